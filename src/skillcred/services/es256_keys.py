"""ES256 (P-256) keys for SD-JWT VC, and the deployment's issuing CA.

Each provider has, beside its Ed25519 Data Integrity key, a P-256 key that signs its
SD-JWT VCs and Token Status Lists, in the same store as its Ed25519 key (``database``:
sealed under the master key, bound to its row; ``pkcs11``: made and kept in the token).
It is made with the provider, again when the provider's keys are rotated, and lazily for
providers registered before SD-JWT VC (the first SD-JWT VC or status list token makes it).

The deployment's issuing CA (a self-signed P-256 root, its key sealed in the database)
gives each provider key a leaf certificate whose SubjectAltName URI is the provider's
``iss`` URL; the root is served for employers' trust lists.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime

import orjson
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from skillcred.core.datetimes import utc_now
from skillcred.core.jose import JwsSigner, P256KeyPair, jwk_thumbprint, public_jwk
from skillcred.core.x509ca import load_pem, make_leaf, make_root, pem
from skillcred.errors import KeyStoreError
from skillcred.services import audit
from skillcred.services.keystore import KeyStore, SigningKeyStores
from skillcred.storage.db import Database
from skillcred.storage.es256 import CA, SD_JWT, Es256Keys
from skillcred.storage.models import Es256Key, Provider
from skillcred.storage.repositories import DuplicateError, SigningKeys

#: the AAD prefix of a sealed P-256 secret: the row id alone could be an Ed25519 row's
_SEAL_PREFIX = "es256:"
PROVIDERS_PATH = "/providers/"


def issuer_url(base_url: str, slug: str) -> str:
    """The provider's ``iss`` for SD-JWT VC: an https URL (with the deployment's base URL)."""
    return f"{base_url}{PROVIDERS_PATH}{slug}"


def _seal_id(key_id: str) -> str:
    return _SEAL_PREFIX + key_id


def new_es256_key(
    stores: SigningKeyStores,
    *,
    provider_id: str | None,
    purpose: str,
    store: str,
    now: datetime,
) -> tuple[Es256Key, P256KeyPair | None]:
    """A new key row (not yet added) and, for the database store, the software pair."""
    key_id = str(uuid.uuid4())
    pair: P256KeyPair | None = None
    sealed: bytes | None
    master_key_id: str | None
    if store == "database":
        pair = P256KeyPair.generate()
        public = pair.public_key
        sealed, master_key_id = stores.database.seal(_seal_id(key_id), pair.secret())
        store_ref = None
    elif store == "pkcs11":
        if stores.pkcs11 is None:
            raise KeyStoreError("this provider's keys live in a PKCS#11 token; none is configured")
        store_ref = f"skillcred-es256-{key_id}"
        public = stores.pkcs11.generate_p256(store_ref)
        sealed, master_key_id = None, None
    else:
        raise KeyStoreError(f"unknown key store {store!r}")
    jwk = public_jwk(public)
    row = Es256Key(
        id=key_id,
        provider_id=provider_id,
        purpose=purpose,
        kid=jwk_thumbprint(jwk),
        public_jwk=orjson.dumps(jwk).decode(),
        store=store,
        encrypted_secret=sealed,
        master_key_id=master_key_id,
        store_ref=store_ref,
        created_at=now,
    )
    return row, pair


def open_software_key(stores: SigningKeyStores, row: Es256Key) -> P256KeyPair:
    if row.encrypted_secret is None or row.master_key_id is None:
        raise KeyStoreError(f"ES256 key {row.id} has no sealed secret in the database")
    secret = stores.database.open_secret(_seal_id(row.id), row.encrypted_secret, row.master_key_id)
    return P256KeyPair.from_secret(secret)


def reseal(keystore: KeyStore, row: Es256Key) -> None:
    """Seal a database key again under the newest master key (master key rotation)."""
    if row.encrypted_secret is None or row.master_key_id is None:
        raise KeyStoreError(f"ES256 key {row.id} has no sealed secret in the database")
    secret = keystore.open_secret(_seal_id(row.id), row.encrypted_secret, row.master_key_id)
    row.encrypted_secret, row.master_key_id = keystore.seal(_seal_id(row.id), secret)


def check_key(stores: SigningKeyStores, row: Es256Key) -> None:
    """Open the key and sign with it; the signature must verify under its public key."""
    from skillcred.core.jose import CompactJws, sign_compact

    token = sign_compact({"alg": "ES256"}, {"check": row.id}, signer_for(stores, row))
    if not CompactJws.parse(token, what="probe").verifies_with(public_key_of(row)):
        raise KeyStoreError(f"ES256 key {row.id} does not match its public key")


def signer_for(stores: SigningKeyStores, row: Es256Key) -> JwsSigner:
    if row.store == "database":
        return open_software_key(stores, row)
    if row.store == "pkcs11":
        if stores.pkcs11 is None or row.store_ref is None:
            raise KeyStoreError(f"ES256 key {row.id} is in a PKCS#11 token that is not configured")
        return stores.pkcs11.p256_signer(row.store_ref)
    raise KeyStoreError(f"ES256 key {row.id} is in an unknown store {row.store!r}")


def public_key_of(row: Es256Key) -> ec.EllipticCurvePublicKey:
    from skillcred.core.jose import public_key_from_jwk

    return public_key_from_jwk(orjson.loads(row.public_jwk))


def ensure_ca(session: Session, stores: SigningKeyStores, *, base_url: str) -> Es256Key:
    """The issuing CA's key and root, made on first need (inside the caller's
    transaction; a concurrent maker wins by the unique index, and this one fails)."""
    keys = Es256Keys(session)
    ca = keys.current(None, CA)
    if ca is not None:
        return ca
    now = utc_now()
    row, pair = new_es256_key(stores, provider_id=None, purpose=CA, store="database", now=now)
    assert pair is not None
    row.certificate = pem(make_root(pair, common_name=f"skillcred issuing CA {base_url}", now=now))
    keys.add(row)
    audit.record(session, actor="system", action="es256.ca-created", data={"kid": row.kid}, at=now)
    return row


def make_provider_key(
    session: Session,
    stores: SigningKeyStores,
    provider: Provider,
    *,
    base_url: str,
    store: str | None = None,
    actor: str = "system",
    record: bool = True,
) -> Es256Key:
    """A provider's new ES256 key with its leaf certificate, in ``store`` (default: the
    store of the provider's current Ed25519 key). Retires its earlier ES256 keys.
    ``record``: an audit event of its own (False: the caller's event names the key)."""
    if store is None:
        current = SigningKeys(session).current(provider.id)
        store = current.store if current is not None else "database"
    ca = ensure_ca(session, stores, base_url=base_url)
    now = utc_now()
    keys = Es256Keys(session)
    keys.retire_all(provider.id, now)
    row, _pair = new_es256_key(
        stores, provider_id=provider.id, purpose=SD_JWT, store=store, now=now
    )
    ca_pair = open_software_key(stores, ca)
    assert ca.certificate is not None
    leaf = make_leaf(
        ca_pair,
        load_pem(ca.certificate),
        public_key_of(row),
        issuer_url=issuer_url(base_url, provider.slug),
        common_name=provider.name,
        now=now,
    )
    row.certificate = pem(leaf)
    keys.add(row)
    if not record:
        return row
    audit.record(
        session,
        actor=actor,
        action="es256.key-created",
        provider_id=provider.id,
        subject=issuer_url(base_url, provider.slug),
        data={"kid": row.kid, "keyStore": row.store},
        at=now,
    )
    return row


class Es256KeyService:
    """Reads (and lazily makes) providers' ES256 keys; caches signers per process."""

    def __init__(
        self,
        database: Database,
        stores: SigningKeyStores,
        *,
        base_url: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.stores = stores
        self.base_url = base_url
        self.clock = clock
        self._signers: dict[str, JwsSigner] = {}
        self._lock = threading.Lock()
        self._own_root: tuple[x509.Certificate, str] | None = None

    def issuer_url(self, provider: Provider) -> str:
        return issuer_url(self.base_url, provider.slug)

    def provider_key(self, provider: Provider) -> Es256Key:
        """The provider's current ES256 key, made now if it has none yet."""
        with self.database.reading() as session:
            row = Es256Keys(session).current(provider.id, SD_JWT)
        if row is not None:
            return row
        try:
            with self.database.writing() as session:
                row = Es256Keys(session).current(provider.id, SD_JWT)
                if row is None:
                    row = make_provider_key(session, self.stores, provider, base_url=self.base_url)
                session.expunge(row)
                return row
        except DuplicateError:
            pass  # another worker made it first: read theirs
        with self.database.reading() as session:
            row = Es256Keys(session).current(provider.id, SD_JWT)
        if row is None:
            raise KeyStoreError(f"provider {provider.slug!r} has no ES256 key")
        return row

    def ca(self) -> Es256Key:
        with self.database.reading() as session:
            row = Es256Keys(session).current(None, CA)
        if row is not None:
            return row
        try:
            with self.database.writing() as session:
                row = ensure_ca(session, self.stores, base_url=self.base_url)
                session.expunge(row)
                return row
        except DuplicateError:
            pass
        with self.database.reading() as session:
            row = Es256Keys(session).current(None, CA)
        if row is None:
            raise KeyStoreError("the deployment has no issuing CA")
        return row

    def root_pem(self) -> str:
        certificate = self.ca().certificate
        assert certificate is not None
        return certificate

    def own_roots(self) -> list[tuple[x509.Certificate, str]]:
        """This deployment's issuing CA root, when it has one (read only, never made). A
        root, once made, never changes: it is read from the database until there is one."""
        if self._own_root is not None:
            return [self._own_root]
        with self.database.reading() as session:
            row = Es256Keys(session).current(None, CA)
        if row is None or row.certificate is None:
            return []
        self._own_root = (load_pem(row.certificate), "this service's issuing CA")
        return [self._own_root]

    def keys_of(self, provider_id: str) -> list[Es256Key]:
        with self.database.reading() as session:
            return list(Es256Keys(session).all_for(provider_id))

    def signer(self, row: Es256Key) -> JwsSigner:
        signer = self._signers.get(row.id)
        if signer is None:
            signer = signer_for(self.stores, row)
            with self._lock:
                self._signers[row.id] = signer
        return signer
