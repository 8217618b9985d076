"""Where signing keys live: sealed in the database, or inside a PKCS#11 token.

The key store interface (``SigningKeyStores``) does two things for the rest of the
service: make a new Ed25519 key in a named store, and give a ``Signer`` for a stored key.

``database`` — signing keys encrypted at rest: AES-256-GCM under the operator's master key.

Each ciphertext records the id of the master key that sealed it and is bound to its
row (the key id is the associated data), so a ciphertext cannot be moved to another
row. The first configured master key seals new keys; older ones still open what they
sealed, so an older master key stays configured while keys it sealed are in use.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from skillcred.core.keys import Ed25519KeyPair, Ed25519PublicMultikey, Signer
from skillcred.errors import KeyStoreError, KeyStoreNotConfiguredError, RequestError
from skillcred.settings import MasterKey, Settings
from skillcred.storage.models import SigningKey

_NONCE_BYTES = 12


class KeyStore:
    def __init__(self, master_keys: Sequence[MasterKey]) -> None:
        if not master_keys:
            raise KeyStoreError("no master key")
        self._current = master_keys[0]
        self._by_id = {key.key_id: AESGCM(key.secret) for key in master_keys}

    @property
    def current_key_id(self) -> str:
        return self._current.key_id

    def seal(self, key_id: str, seed: bytes) -> tuple[bytes, str]:
        """Encrypt a 32-byte Ed25519 seed for the row ``key_id``: (ciphertext, master key id)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._by_id[self._current.key_id].encrypt(nonce, seed, self._aad(key_id))
        return nonce + sealed, self._current.key_id

    def open(
        self,
        key_id: str,
        sealed: bytes,
        master_key_id: str,
        *,
        controller: str,
        verification_method: str,
    ) -> Ed25519KeyPair:
        seed = self.open_secret(key_id, sealed, master_key_id)
        return Ed25519KeyPair.from_seed(
            seed, controller=controller, verification_method=verification_method
        )

    def open_secret(self, key_id: str, sealed: bytes, master_key_id: str) -> bytes:
        """The secret sealed for the row ``key_id`` (raises KeyStoreError)."""
        aead = self._by_id.get(master_key_id)
        if aead is None:
            raise KeyStoreError(
                f"signing key {key_id} is sealed under master key {master_key_id!r}, "
                "which is not configured"
            )
        try:
            return aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], self._aad(key_id))
        except InvalidTag as exc:
            raise KeyStoreError(
                f"signing key {key_id} cannot be decrypted (wrong master key?)"
            ) from exc

    def open_row(self, key: SigningKey) -> Ed25519KeyPair:
        if key.encrypted_secret is None or key.master_key_id is None:
            raise KeyStoreError(f"signing key {key.id} has no sealed secret in the database")
        return self.open(
            key.id,
            key.encrypted_secret,
            key.master_key_id,
            controller=key.controller,
            verification_method=key.verification_method,
        )

    def has(self, master_key_id: str) -> bool:
        return master_key_id in self._by_id

    @staticmethod
    def _aad(key_id: str) -> bytes:
        return b"skillcred signing key " + key_id.encode()


#: the stores a signing key can live in
STORES = ("database", "pkcs11")


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: its public key and what its row stores about the secret."""

    public: Ed25519PublicMultikey
    store: str
    encrypted_secret: bytes | None
    master_key_id: str | None
    store_ref: str | None
    #: the software key pair (database store only), to bind to a DID
    pair: Ed25519KeyPair | None = None


class SigningKeyStores:
    """The key store interface: the database store, and a PKCS#11 token when one is
    configured. A cloud KMS would be a third store of the same shape (docs/keys.md)."""

    def __init__(self, database: KeyStore, pkcs11: Pkcs11KeyStore | None = None) -> None:
        self.database = database
        self.pkcs11 = pkcs11

    def new_key(self, key_id: str, store: str) -> NewKey:
        if store == "database":
            pair = Ed25519KeyPair.generate()
            sealed, master_key_id = self.database.seal(key_id, pair.seed())
            return NewKey(pair.public, "database", sealed, master_key_id, None, pair)
        if store == "pkcs11":
            if self.pkcs11 is None:
                raise KeyStoreNotConfiguredError(
                    "keyStore 'pkcs11' needs a PKCS#11 token, and this service has none "
                    "configured (SKILLCRED_PKCS11_MODULE, SKILLCRED_PKCS11_TOKEN_LABEL, "
                    "SKILLCRED_PKCS11_PIN); use keyStore 'database'"
                )
            token = self._token()
            label = f"skillcred-{key_id}"
            return NewKey(token.generate(label), "pkcs11", None, None, label)
        raise RequestError(f"keyStore must be one of {', '.join(STORES)}, not {store!r}")

    def signer(self, key: SigningKey) -> Signer:
        if key.store == "database":
            return self.database.open_row(key)
        if key.store == "pkcs11":
            if key.store_ref is None:
                raise KeyStoreError(f"signing key {key.id} names no key in the token")
            return self._token().signer(
                key.store_ref,
                verification_method=key.verification_method,
                public=Ed25519PublicMultikey.from_multibase(key.public_key_multibase),
            )
        raise KeyStoreError(f"signing key {key.id} is in an unknown store {key.store!r}")

    def check(self, key: SigningKey) -> None:
        """Open the key and sign with it; the signature must verify under its public key."""
        signer = self.signer(key)
        probe = b"skillcred keys check " + key.id.encode()
        public = Ed25519PublicMultikey.from_multibase(key.public_key_multibase)
        if not public.verify(signer.sign(probe), probe):
            raise KeyStoreError(
                f"signing key {key.id} does not match its public key {key.public_key_multibase}"
            )

    def _token(self) -> Pkcs11KeyStore:
        if self.pkcs11 is None:
            raise KeyStoreError(
                "no PKCS#11 token is configured (set SKILLCRED_PKCS11_MODULE, "
                "SKILLCRED_PKCS11_TOKEN_LABEL and SKILLCRED_PKCS11_PIN)"
            )
        return self.pkcs11


#: CKA_EC_PARAMS of an Ed25519 key: the DER of id-Ed25519, 1.3.101.112 (RFC 8410 §3)
ED25519_OID_DER = bytes.fromhex("06032b6570")
#: CKA_EC_PARAMS of a P-256 key: the DER of prime256v1 / secp256r1, 1.2.840.10045.3.1.7
P256_OID_DER = bytes.fromhex("06082a8648ce3d030107")


def _edwards_point(point: bytes) -> bytes:
    """The 32-byte public key from CKA_EC_POINT: tokens give it DER-wrapped as an OCTET
    STRING (04 20 …, as PKCS#11 v3.0 §2.3.7 asks) or, some of them, bare."""
    if len(point) == 34 and point[:2] == b"\x04\x20":
        return point[2:]
    if len(point) == 32:
        return point
    raise KeyStoreError(f"the token gave an Ed25519 public key of {len(point)} bytes")


class Pkcs11KeyStore:
    """Ed25519 keys made and used inside a PKCS#11 token (CKM_EC_EDWARDS_KEY_PAIR_GEN,
    CKM_EDDSA, PKCS#11 v3.0): the private key is created sensitive and not extractable,
    so it never leaves the token; this process only asks the token to sign.

    One session per process, opened on first use (and again after a fork); signing is
    serialized on it, as a token session is not to be shared between threads.
    """

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        self._module = module
        self._token_label = token_label
        self._pin = pin
        self._session: Any = None
        self._pid = -1
        self._lock = threading.Lock()

    def _open(self) -> Any:
        if self._session is not None and self._pid == os.getpid():
            return self._session
        import pkcs11  # only needed where a token is configured

        try:
            token = pkcs11.lib(self._module).get_token(token_label=self._token_label)
            try:
                self._session = token.open(user_pin=self._pin, rw=True)
            except pkcs11.UserAlreadyLoggedIn:
                # PKCS#11 logs in per process, not per session: another store of this
                # process (a second app in tests) has logged in already.
                self._session = token.open(rw=True)
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
            raise KeyStoreError(
                f"cannot open the PKCS#11 token {self._token_label!r} with {self._module}: "
                f"{type(exc).__name__} {exc}"
            ) from exc
        self._pid = os.getpid()
        return self._session

    def generate(self, label: str) -> Ed25519PublicMultikey:
        from pkcs11 import KeyType, Mechanism

        # RFC 8410: id-Ed25519 1.3.101.112
        point = self._key_pair(
            label,
            KeyType.EC_EDWARDS,
            Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
            ED25519_OID_DER,
            "an Ed25519",
        )
        return Ed25519PublicMultikey.from_raw(_edwards_point(point))

    def _key_pair(self, label: str, kind: Any, mechanism: Any, params: bytes, what: str) -> bytes:
        """A key pair made in the token, the private part sensitive and not extractable,
        stored under ``label``; answers the public key's CKA_EC_POINT."""
        from pkcs11 import Attribute, PKCS11Error

        with self._lock:
            session = self._open()
            try:
                public, _private = session.generate_keypair(
                    kind,
                    0,
                    mechanism=mechanism,
                    store=True,
                    label=label,
                    id=label.encode(),
                    public_template={Attribute.EC_PARAMS: params},
                    private_template={
                        Attribute.SENSITIVE: True,
                        Attribute.EXTRACTABLE: False,
                        Attribute.SIGN: True,
                    },
                )
            except PKCS11Error as exc:
                raise KeyStoreError(
                    f"the PKCS#11 token could not make {what} key: {type(exc).__name__}"
                ) from exc
            return bytes(public[Attribute.EC_POINT])

    def signer(
        self, label: str, *, verification_method: str, public: Ed25519PublicMultikey
    ) -> Pkcs11Signer:
        return Pkcs11Signer(self, self._private_key(label), verification_method, public)

    def _private_key(self, label: str) -> Any:
        from pkcs11 import ObjectClass, PKCS11Error

        with self._lock:
            session = self._open()
            try:
                return session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            except PKCS11Error as exc:
                raise KeyStoreError(
                    f"the PKCS#11 token has no private key {label!r} ({type(exc).__name__})"
                ) from exc

    def sign(self, private: Any, data: bytes) -> bytes:
        from pkcs11 import Mechanism

        with self._lock:
            signature: bytes = private.sign(data, mechanism=Mechanism.EDDSA)
        return signature

    # --- P-256 (ES256, for SD-JWT VC) ---------------------------------------------

    def generate_p256(self, label: str) -> ec.EllipticCurvePublicKey:
        """A P-256 key pair made in the token (CKM_EC_KEY_PAIR_GEN), private part
        sensitive and not extractable; answers the public key."""
        from pkcs11 import KeyType, Mechanism

        point = self._key_pair(
            label, KeyType.EC, Mechanism.EC_KEY_PAIR_GEN, P256_OID_DER, "a P-256"
        )
        # CKA_EC_POINT: the DER OCTET STRING of the uncompressed point (04 41 04 …)
        if len(point) == 67 and point[:2] == b"\x04\x41":
            point = point[2:]
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError as exc:
            raise KeyStoreError("the token gave a P-256 public key that cannot be read") from exc

    def p256_signer(self, label: str) -> Pkcs11Es256Signer:
        return Pkcs11Es256Signer(self, self._private_key(label))

    def sign_es256(self, private: Any, data: bytes) -> bytes:
        from pkcs11 import Mechanism

        # CKM_ECDSA over the SHA-256 digest (SoftHSM2 and many tokens lack
        # CKM_ECDSA_SHA256); it answers r || s, as JOSE wants it.
        digest = hashlib.sha256(data).digest()
        with self._lock:
            signature: bytes = private.sign(digest, mechanism=Mechanism.ECDSA)
        return signature


class Pkcs11Es256Signer:
    """A ``JwsSigner`` whose P-256 key stays in the token."""

    __slots__ = ("_private", "_store")

    def __init__(self, store: Pkcs11KeyStore, private: Any) -> None:
        self._store = store
        self._private = private

    def sign_es256(self, data: bytes) -> bytes:
        return self._store.sign_es256(self._private, data)


class Pkcs11Signer:
    """A ``Signer`` whose key stays in the token."""

    __slots__ = ("_private", "_store", "public", "verification_method")

    def __init__(
        self,
        store: Pkcs11KeyStore,
        private: Any,
        verification_method: str,
        public: Ed25519PublicMultikey,
    ) -> None:
        self._store = store
        self._private = private
        self.verification_method = verification_method
        self.public = public

    def sign(self, data: bytes) -> bytes:
        return self._store.sign(self._private, data)

    def __repr__(self) -> str:
        return f"Pkcs11Signer({self.verification_method!r})"


def key_stores(settings: Settings, database: KeyStore | None = None) -> SigningKeyStores:
    """The stores the settings configure (the database store always)."""
    token = None
    if settings.pkcs11_module:
        if not settings.pkcs11_token_label or settings.pkcs11_pin is None:
            raise KeyStoreError(
                "SKILLCRED_PKCS11_MODULE needs SKILLCRED_PKCS11_TOKEN_LABEL "
                "and SKILLCRED_PKCS11_PIN"
            )
        token = Pkcs11KeyStore(
            settings.pkcs11_module,
            settings.pkcs11_token_label,
            settings.pkcs11_pin.get_secret_value(),
        )
    return SigningKeyStores(database or KeyStore(settings.master_keys()), token)
