"""OpenID4VCI key proofs (openid4vci-proof+jwt): what is accepted, and each way a proof
can be wrong, refused with invalid_proof or invalid_nonce."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from skillcred.core.openid4vci import public_key_from_did_key, verify_key_proof
from skillcred.errors import InvalidNonceError, InvalidProofError
from tests.support.wallets import PythonWallet

AUD = "https://skills.test"


@pytest.mark.parametrize(
    ("alg", "use_jwk"), [("EdDSA", False), ("EdDSA", True), ("ES256", False), ("ES256", True)]
)
def test_a_good_proof_names_its_key_as_a_did_key(alg: str, use_jwk: bool) -> None:
    wallet = PythonWallet(alg)
    proof = verify_key_proof(wallet.proof(audience=AUD, nonce="n-1", use_jwk=use_jwk), audience=AUD)
    assert proof.holder == wallet.did and proof.nonce == "n-1" and proof.algorithm == alg
    # The did:key reads back to the same public key (Ed25519 z6Mk…, P-256 zDn…).
    assert wallet.did.startswith("did:key:z6Mk" if alg == "EdDSA" else "did:key:zDn")
    key = public_key_from_did_key(wallet.did)
    assert (
        key.public_numbers() == wallet.key.public_key().public_numbers()
        if alg == "ES256"
        else (
            key.public_bytes_raw() == wallet.key.public_key().public_bytes_raw()  # type: ignore[union-attr]
        )
    )

    # The key as a public JWK (what an SD-JWT VC binds to in cnf.jwk), whether the proof
    # named it by jwk or by did:key, the same as PyJWT makes it.
    expected = {k: v for k, v in wallet.jwk().items() if k in ("kty", "crv", "x", "y")}
    assert proof.jwk == expected and "d" not in proof.jwk


def forged(header: dict[str, Any], payload: dict[str, Any], key: Any, alg: str = "EdDSA") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers=header)


def test_each_wrong_proof_is_refused() -> None:
    wallet = PythonWallet()
    now = int(time.time())
    good_payload = {"aud": AUD, "iat": now, "nonce": "n"}
    p256 = ec.generate_private_key(ec.SECP256R1())
    private_jwk = jwt.algorithms.OKPAlgorithm.to_jwk(wallet.key, as_dict=True)
    cases: dict[str, tuple[str, type[Exception]]] = {
        "kid and jwk both": (
            forged(
                {"typ": "openid4vci-proof+jwt", "kid": wallet.kid(), "jwk": wallet.jwk()},
                good_payload,
                wallet.key,
            ),
            InvalidProofError,
        ),
        "neither kid nor jwk": (
            forged({"typ": "openid4vci-proof+jwt"}, good_payload, wallet.key),
            InvalidProofError,
        ),
        "a private jwk": (
            forged({"typ": "openid4vci-proof+jwt", "jwk": private_jwk}, good_payload, wallet.key),
            InvalidProofError,
        ),
        "kid not a did:key": (
            forged(
                {"typ": "openid4vci-proof+jwt", "kid": "did:web:evil.test#k"},
                good_payload,
                wallet.key,
            ),
            InvalidProofError,
        ),
        "kid fragment of another key": (
            forged(
                {
                    "typ": "openid4vci-proof+jwt",
                    "kid": wallet.did + "#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                },
                good_payload,
                wallet.key,
            ),
            InvalidProofError,
        ),
        "alg none": (
            jwt.encode(
                good_payload,
                None,
                algorithm="none",
                headers={"typ": "openid4vci-proof+jwt", "kid": wallet.kid()},
            ),
            InvalidProofError,
        ),
        "ES256 over an Ed25519 key": (
            forged(
                {"typ": "openid4vci-proof+jwt", "kid": wallet.kid()}, good_payload, p256, "ES256"
            ),
            InvalidProofError,
        ),
        "signed by another key": (
            forged(
                {"typ": "openid4vci-proof+jwt", "kid": wallet.kid()},
                good_payload,
                ed25519.Ed25519PrivateKey.generate(),
            ),
            InvalidProofError,
        ),
        "aud of another issuer": (
            wallet.proof(audience="https://other.test", nonce="n"),
            InvalidProofError,
        ),
        "no iat": (
            forged(
                {"typ": "openid4vci-proof+jwt", "kid": wallet.kid()},
                {"aud": AUD, "nonce": "n"},
                wallet.key,
            ),
            InvalidProofError,
        ),
        "stale iat": (wallet.proof(audience=AUD, nonce="n", iat=now - 301), InvalidProofError),
        "iat in the future": (
            wallet.proof(audience=AUD, nonce="n", iat=now + 120),
            InvalidProofError,
        ),
        "no nonce": (wallet.proof(audience=AUD, nonce=None), InvalidNonceError),
        "typ JWT": (wallet.proof(audience=AUD, nonce="n", typ="JWT"), InvalidProofError),
        "garbage": ("a.b.c", InvalidProofError),
        "not a string": (42, InvalidProofError),  # type: ignore[dict-item]
    }
    for name, (proof, error) in cases.items():
        with pytest.raises(error):
            verify_key_proof(proof, audience=AUD)
        assert error.code in ("invalid_proof", "invalid_nonce"), name
