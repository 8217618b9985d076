"""ES256 (ECDSA P-256 with SHA-256) keys and compact JWS, as SD-JWT VC and HAIP use them.

Signing goes through a small ``JwsSigner`` protocol (raw ``r || s``, RFC 7518 §3.4), so a
key that never leaves a PKCS#11 token signs the same way as one opened from the database.
Verification uses PyJWT (the JOSE library the service already relies on for OpenID4VCI
key proofs), with the algorithm pinned by the caller, never taken from the header.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from skillcred.errors import KeyFormatError

ES256 = "ES256"
_COORDINATE = 32


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url (RFC 7515 §2); refuses padding and characters outside the alphabet."""
    if not isinstance(text, str) or "=" in text or not text.isascii():
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


class JwsSigner(Protocol):
    """Makes ES256 signatures (the 64-byte ``r || s`` of RFC 7518 §3.4)."""

    def sign_es256(self, data: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class P256KeyPair:
    """A software P-256 key (the database store's, or a test's)."""

    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> P256KeyPair:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_secret(cls, secret: bytes) -> P256KeyPair:
        if len(secret) != _COORDINATE:
            raise KeyFormatError("a P-256 private key is 32 bytes")
        return cls(ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1()))

    def secret(self) -> bytes:
        return self.private_key.private_numbers().private_value.to_bytes(_COORDINATE, "big")

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    def sign_es256(self, data: bytes) -> bytes:
        der = self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return raw_signature(der)


def raw_signature(der: bytes) -> bytes:
    """A DER ECDSA signature as JOSE's fixed-length ``r || s``."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(_COORDINATE, "big") + s.to_bytes(_COORDINATE, "big")


def der_signature(raw: bytes) -> bytes:
    if len(raw) != 2 * _COORDINATE:
        raise ValueError("an ES256 signature is 64 bytes")
    return encode_dss_signature(
        int.from_bytes(raw[:_COORDINATE], "big"), int.from_bytes(raw[_COORDINATE:], "big")
    )


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public key as an RFC 7517 JWK (kty EC, crv P-256)."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise KeyFormatError(f"not a P-256 key ({key.curve.name})")
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(_COORDINATE, "big")),
        "y": b64url(numbers.y.to_bytes(_COORDINATE, "big")),
    }


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256) of an EC or OKP public JWK."""
    if jwk.get("kty") == "EC":
        members = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    elif jwk.get("kty") == "OKP":
        members = {k: jwk[k] for k in ("crv", "kty", "x")}
    else:
        raise KeyFormatError(f"no thumbprint for a JWK of kty {jwk.get('kty')!r}")
    canonical = orjson.dumps(members, option=orjson.OPT_SORT_KEYS)
    return b64url(hashlib.sha256(canonical).digest())


def public_key_from_jwk(jwk: Any) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from a JWK; a private key (``d``) or another curve is refused."""
    if not isinstance(jwk, Mapping):
        raise KeyFormatError("a JWK must be a JSON object")
    if "d" in jwk:
        raise KeyFormatError("the JWK holds a private key; give the public key only")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise KeyFormatError(
            f"a JWK of kty {jwk.get('kty')!r} crv {jwk.get('crv')!r} is not accepted; "
            "use kty EC, crv P-256"
        )
    try:
        key = jwt.PyJWK(dict(jwk)).key
    except (jwt.PyJWKError, ValueError, TypeError) as exc:
        raise KeyFormatError(f"the JWK is not a valid P-256 key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFormatError("the JWK is not a public key")
    return key


def same_key(a: ec.EllipticCurvePublicKey, b: ec.EllipticCurvePublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()


def sign_compact(header: Mapping[str, Any], payload: Mapping[str, Any], signer: JwsSigner) -> str:
    """A compact JWS (RFC 7515 §7.1) over JSON header and payload, signed ES256."""
    if header.get("alg") != ES256:
        raise ValueError("only ES256 is signed here")
    signing_input = b64url(orjson.dumps(dict(header))) + "." + b64url(orjson.dumps(dict(payload)))
    signature = signer.sign_es256(signing_input.encode("ascii"))
    return signing_input + "." + b64url(signature)


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A compact JWS split and decoded, its signature not yet checked."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @classmethod
    def parse(cls, token: str, *, what: str) -> CompactJws:
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3:
            raise ValueError(f"the {what} is not a compact JWS (header.payload.signature)")
        try:
            header = orjson.loads(b64url_decode(parts[0]))
            payload = orjson.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, orjson.JSONDecodeError) as exc:
            raise ValueError(f"the {what} cannot be decoded: {exc}") from exc
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ValueError(f"the {what}'s header and payload must be JSON objects")
        return cls(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)

    def verifies_with(self, key: ec.EllipticCurvePublicKey) -> bool:
        """The ES256 signature checks under ``key`` (the header's alg is checked by the caller)."""
        if not isinstance(key.curve, ec.SECP256R1) or len(self.signature) != 64:
            return False
        try:
            key.verify(der_signature(self.signature), self.signing_input, ec.ECDSA(hashes.SHA256()))
        except Exception:
            return False
        return True
