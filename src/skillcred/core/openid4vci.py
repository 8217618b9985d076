"""OpenID4VCI 1.0 key proofs: the wallet's ``openid4vci-proof+jwt`` (Appendix F.1).

A proof is a compact JWS the wallet signs with the key the credential is to be bound to.
It is accepted only when its header says ``typ: openid4vci-proof+jwt`` with an allowed
``alg`` and names the key by exactly one of ``kid`` (a did:key DID URL) or ``jwk`` (a public
key); the signature verifies with that key; ``aud`` is this credential issuer; ``iat`` is
recent; and ``nonce`` is present (the caller checks it is one this issuer handed out and
consumes it). The key becomes the holder's did:key, the credential's
``credentialSubject.id``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from skillcred.core.keys import multibase_base58btc_decode, multibase_base58btc_encode
from skillcred.errors import InvalidNonceError, InvalidProofError, KeyFormatError

PROOF_TYPE = "openid4vci-proof+jwt"
#: JOSE algorithms accepted for key proofs
PROOF_ALGORITHMS = ("EdDSA", "ES256")
#: multicodec prefixes (varint) of the public keys a did:key names
ED25519_PUB = b"\xed\x01"
P256_PUB = b"\x80\x24"
#: how old a proof's ``iat`` may be, and how far in the future (clock skew), in seconds
MAX_PROOF_AGE = 300
MAX_CLOCK_SKEW = 60

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class KeyProof:
    """A verified key proof: who holds the key, and the nonce it was made for."""

    holder: str
    nonce: str
    algorithm: str
    #: the proof's public key as a JWK (``kty``, ``crv``, ``x``[, ``y``]): an SD-JWT VC
    #: binds to it (``cnf.jwk``)
    jwk: dict[str, str]


def did_key_for_public_key(key: PublicKey) -> str:
    """The did:key (multibase base58btc, multicodec-prefixed) of an Ed25519 or P-256 key."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return "did:key:" + multibase_base58btc_encode(ED25519_PUB + raw)
    if isinstance(key.curve, ec.SECP256R1):
        point = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        return "did:key:" + multibase_base58btc_encode(P256_PUB + point)
    raise InvalidProofError(f"keys on {key.curve.name} are not accepted; use Ed25519 or P-256")


def public_key_from_did_key(did: str) -> PublicKey:
    """The Ed25519 (``z6Mk…``) or P-256 (``zDn…``) key a did:key names."""
    if not did.startswith("did:key:"):
        raise InvalidProofError(f"kid {did!r} is not a did:key DID URL")
    try:
        data = multibase_base58btc_decode(did[len("did:key:") :], what="did:key identifier")
    except KeyFormatError as exc:
        raise InvalidProofError(f"kid {did!r}: {exc.detail}") from exc
    try:
        if data[:2] == ED25519_PUB and len(data) == 34:
            return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])
        if data[:2] == P256_PUB and len(data) == 35:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[2:])
    except ValueError as exc:
        raise InvalidProofError(f"kid {did!r} does not hold a valid public key") from exc
    raise InvalidProofError(f"kid {did!r}: only Ed25519 and P-256 did:key keys are accepted")


def public_key_from_jwk(jwk_value: Any) -> PublicKey:
    if not isinstance(jwk_value, Mapping):
        raise InvalidProofError("the proof header's jwk must be a JSON object")
    if "d" in jwk_value:
        raise InvalidProofError("the proof header's jwk holds a private key; send the public key")
    kty, crv = jwk_value.get("kty"), jwk_value.get("crv")
    if (kty, crv) not in (("OKP", "Ed25519"), ("EC", "P-256")):
        raise InvalidProofError(
            f"a jwk of kty {kty!r} crv {crv!r} is not accepted; use OKP Ed25519 or EC P-256"
        )
    try:
        key = jwt.PyJWK(dict(jwk_value)).key
    except (jwt.PyJWKError, ValueError, TypeError) as exc:
        raise InvalidProofError(f"the proof header's jwk is not a valid key: {exc}") from exc
    if not isinstance(key, (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey)):
        raise InvalidProofError("the proof header's jwk is not a public key")
    return key


def _key_for(header: Mapping[str, Any]) -> PublicKey:
    kid, jwk_value = header.get("kid"), header.get("jwk")
    if (kid is None) == (jwk_value is None):
        raise InvalidProofError("the proof header must name its key by exactly one of kid or jwk")
    if "x5c" in header:
        raise InvalidProofError("x5c key proofs are not accepted; use kid (did:key) or jwk")
    if jwk_value is not None:
        return public_key_from_jwk(jwk_value)
    if not isinstance(kid, str) or "#" not in kid:
        raise InvalidProofError("kid must be a did:key DID URL (did:key:z…#z…)")
    did, _, fragment = kid.partition("#")
    if fragment != did[len("did:key:") :]:
        raise InvalidProofError(f"kid {kid!r} does not name the did:key's own key")
    return public_key_from_did_key(did)


def _matches(algorithm: str, key: PublicKey) -> bool:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return algorithm == "EdDSA"
    return algorithm == "ES256" and isinstance(key.curve, ec.SECP256R1)


def verify_key_proof(
    proof_jwt: Any,
    *,
    audience: str,
    now: float | None = None,
    max_age: int = MAX_PROOF_AGE,
) -> KeyProof:
    """Check a key proof's header, signature, audience and freshness (OpenID4VCI 1.0
    Appendix F.4). The nonce is returned unchecked: it is the caller's to consume."""
    if not isinstance(proof_jwt, str) or proof_jwt.count(".") != 2:
        raise InvalidProofError("the key proof must be a compact JWT (header.payload.signature)")
    try:
        header = jwt.get_unverified_header(proof_jwt)
    except jwt.PyJWTError as exc:
        raise InvalidProofError(f"the key proof's header cannot be read: {exc}") from exc
    if header.get("typ") != PROOF_TYPE:
        raise InvalidProofError(f"the key proof's typ must be {PROOF_TYPE!r}")
    algorithm = header.get("alg")
    if algorithm not in PROOF_ALGORITHMS:
        raise InvalidProofError(
            f"the key proof's alg {algorithm!r} is not accepted; use EdDSA or ES256"
        )
    key = _key_for(header)
    if not _matches(algorithm, key):
        raise InvalidProofError(f"alg {algorithm!r} does not fit the proof's key")
    moment = time.time() if now is None else now
    try:
        payload = jwt.decode(
            proof_jwt,
            key=key,
            algorithms=[algorithm],
            options={"verify_aud": False, "verify_iat": False, "verify_exp": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise InvalidProofError("the key proof's signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise InvalidProofError(f"the key proof cannot be verified: {exc}") from exc
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise InvalidProofError(f"the key proof's aud {aud!r} is not this issuer ({audience})")
    iat = payload.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise InvalidProofError("the key proof has no iat (issued-at time)")
    if iat > moment + MAX_CLOCK_SKEW:
        raise InvalidProofError("the key proof's iat is in the future")
    if iat < moment - max_age:
        raise InvalidProofError(
            f"the key proof is stale: made {int(moment - iat)} s ago, at most {max_age} s allowed"
        )
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidNonceError("the key proof carries no nonce: get one from the nonce endpoint")
    return KeyProof(
        holder=did_key_for_public_key(key), nonce=nonce, algorithm=algorithm, jwk=public_jwk(key)
    )


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK (RFC 7517/8037) of an Ed25519 or P-256 key, members sorted."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    if isinstance(key, ed25519.Ed25519PublicKey):
        return {
            "crv": "Ed25519",
            "kty": "OKP",
            "x": b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw)),
        }
    numbers = key.public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
    }
