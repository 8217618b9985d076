"""Ed25519 keys and their Multikey / multibase encodings.

Multikey (Controlled Identifiers v1.0 §2.2.2): a public key is ``z`` + base58btc of the
multicodec header ``0xed01`` followed by the 32 key bytes; a secret key is ``z`` +
base58btc of ``0x8026`` followed by the 32-byte seed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from skillcred.errors import KeyFormatError

ED25519_PUBLIC_HEADER = b"\xed\x01"
ED25519_SECRET_HEADER = b"\x80\x26"
ED25519_SIGNATURE_LENGTH = 64
# did:key (did:key method v0.7): the DID of an Ed25519 key is its public Multikey itself, so
# a key names its own DID here and ``dids/key.py`` (which builds DID documents) builds on it.
DID_KEY_PREFIX = "did:key:"


_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Two base58 digits per division: 58**2 pairs, so a 64-byte signature takes ~44 divisions.
_B58_PAIRS = tuple(a + b for a in _B58_ALPHABET for b in _B58_ALPHABET)


def base58btc_encode(data: bytes) -> str:
    """Bitcoin base58 (the ``base58`` package's output, in half the divisions).

    Signing a credential encodes a 64-byte signature, and the generic encoder took as
    long as the Ed25519 signature itself. Equality with ``base58.b58encode`` is tested.
    """
    number = int.from_bytes(data, "big")
    pairs: list[str] = []
    while number:
        number, pair = divmod(number, 3364)
        pairs.append(_B58_PAIRS[pair])
    encoded = "".join(reversed(pairs)).lstrip("1")
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + encoded


def multibase_base58btc_encode(data: bytes) -> str:
    """Multibase base58btc (prefix ``z``)."""
    return "z" + base58btc_encode(data)


def multibase_base58btc_decode(value: str, *, what: str) -> bytes:
    """Decode a multibase base58btc string; ``what`` names the value in errors."""
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise KeyFormatError(f"{what} must be a multibase base58btc string starting with 'z'")
    try:
        return bytes(base58.b58decode(value[1:]))
    except ValueError as exc:
        raise KeyFormatError(f"{what} is not valid base58btc: {exc}") from exc


class Signer(Protocol):
    """Signs bytes with a key named by a verification method URL."""

    @property
    def verification_method(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Ed25519PublicMultikey:
    """An Ed25519 public key as a Multikey."""

    public_key: Ed25519PublicKey

    @classmethod
    def from_multibase(cls, value: str) -> Ed25519PublicMultikey:
        raw = multibase_base58btc_decode(value, what="publicKeyMultibase")
        if len(raw) != 34 or raw[:2] != ED25519_PUBLIC_HEADER:
            raise KeyFormatError(
                "publicKeyMultibase is not an Ed25519 Multikey "
                "(expected the multicodec header 0xed01 and 32 key bytes)"
            )
        return cls(Ed25519PublicKey.from_public_bytes(raw[2:]))

    @classmethod
    def from_raw(cls, raw: bytes) -> Ed25519PublicMultikey:
        if len(raw) != 32:
            raise KeyFormatError("an Ed25519 public key has 32 bytes")
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def multibase(self) -> str:
        return multibase_base58btc_encode(ED25519_PUBLIC_HEADER + self.raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        if len(signature) != ED25519_SIGNATURE_LENGTH:
            return False
        try:
            self.public_key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def did_key_for(public: Ed25519PublicMultikey) -> str:
    """The did:key DID of a public key."""
    return DID_KEY_PREFIX + public.multibase


def did_key_verification_method(public: Ed25519PublicMultikey) -> str:
    """The verification method URL of a public key in its did:key document."""
    return f"{DID_KEY_PREFIX}{public.multibase}#{public.multibase}"


class Ed25519KeyPair:
    """An Ed25519 key pair bound to a verification method URL (a ``Signer``).

    The secret never appears in ``repr`` and is exported only by :meth:`secret_multibase`.
    """

    __slots__ = ("_private", "controller", "public", "verification_method")

    def __init__(
        self, private_key: Ed25519PrivateKey, *, controller: str, verification_method: str
    ) -> None:
        self._private = private_key
        self.public = Ed25519PublicMultikey(private_key.public_key())
        self.controller = controller
        self.verification_method = verification_method

    @classmethod
    def generate(cls) -> Ed25519KeyPair:
        return cls.from_private_key(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(
        cls,
        private_key: Ed25519PrivateKey,
        *,
        controller: str | None = None,
        verification_method: str | None = None,
    ) -> Ed25519KeyPair:
        """Bind a key to a controller; by default its did:key and did:key verification method."""
        public = Ed25519PublicMultikey(private_key.public_key())
        if controller is None:
            controller = did_key_for(public)
        if verification_method is None:
            verification_method = (
                did_key_verification_method(public)
                if controller.startswith("did:key:")
                else f"{controller}#{public.multibase}"
            )
        return cls(private_key, controller=controller, verification_method=verification_method)

    @classmethod
    def from_seed(cls, seed: bytes, **binding: str) -> Ed25519KeyPair:
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 secret key (seed) has 32 bytes")
        return cls.from_private_key(Ed25519PrivateKey.from_private_bytes(seed), **binding)

    @classmethod
    def from_secret_multibase(cls, value: str, **binding: str) -> Ed25519KeyPair:
        raw = multibase_base58btc_decode(value, what="secretKeyMultibase")
        if len(raw) != 34 or raw[:2] != ED25519_SECRET_HEADER:
            raise KeyFormatError(
                "secretKeyMultibase is not an Ed25519 secret Multikey "
                "(expected the multicodec header 0x8026 and a 32-byte seed)"
            )
        return cls.from_seed(raw[2:], **binding)

    @classmethod
    def from_key_file(cls, data: Mapping[str, Any]) -> Ed25519KeyPair:
        """Read a key file shaped like the W3C vectors' ``keyPair.json``.

        ``secretKeyMultibase`` (or the vectors' ``privateKeyMultibase``) is required;
        ``publicKeyMultibase``, when present, must match it; ``controller`` and ``id``
        (the verification method) default to the key's did:key.
        """
        if not isinstance(data, Mapping):
            raise KeyFormatError("a key file is a JSON object")
        secret = data.get("secretKeyMultibase", data.get("privateKeyMultibase"))
        if not isinstance(secret, str):
            raise KeyFormatError("the key file has no secretKeyMultibase (or privateKeyMultibase)")
        binding: dict[str, str] = {}
        for field, name in (("controller", "controller"), ("id", "verification_method")):
            value = data.get(field)
            if value is not None:
                if not isinstance(value, str):
                    raise KeyFormatError(f"the key file's {field!r} must be a string")
                binding[name] = value
        if "verification_method" in binding and "controller" not in binding:
            binding["controller"] = binding["verification_method"].split("#", 1)[0]
        pair = cls.from_secret_multibase(secret, **binding)
        public = data.get("publicKeyMultibase")
        if public is not None and public != pair.public.multibase:
            raise KeyFormatError(
                "the key file's publicKeyMultibase does not belong to its secret key"
            )
        return pair

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def secret_multibase(self) -> str:
        return multibase_base58btc_encode(ED25519_SECRET_HEADER + self.seed())

    def seed(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def to_key_file(self) -> dict[str, str]:
        """The key file (secret included): ``type``, ``id``, ``controller`` and both keys."""
        return {
            "type": "Multikey",
            "id": self.verification_method,
            "controller": self.controller,
            "publicKeyMultibase": self.public.multibase,
            "secretKeyMultibase": self.secret_multibase(),
        }

    def to_verification_method(self) -> dict[str, str]:
        """The public Multikey verification method (no secret)."""
        return {
            "id": self.verification_method,
            "type": "Multikey",
            "controller": self.controller,
            "publicKeyMultibase": self.public.multibase,
        }

    def __repr__(self) -> str:
        return f"Ed25519KeyPair(verification_method={self.verification_method!r})"


def load_key_file(text: str | bytes) -> Ed25519KeyPair:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeyFormatError(f"the key file is not JSON: {exc}") from exc
    return Ed25519KeyPair.from_key_file(data)
