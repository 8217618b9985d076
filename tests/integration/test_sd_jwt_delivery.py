"""The wallet chooses the format: an offer is collected over OpenID4VCI as ``ldp_vc`` or as
``dc+sd-jwt`` (the SD-JWT VC twin, bound to the P-256 key of the wallet's ES256 key
proof), with the same offer, token and nonce rules; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.test_offers_api import (
    CONFIGURATION,
    SD_JWT_CONFIGURATION,
    actions,
    code_of,
    error_of,
    fresh_nonce,
    make_offer,
    offer_row,
    token_request,
)
from tests.integration.test_skills_api import auth, provider_with_skill, stored
from tests.support.service import BASE_URL, Service
from tests.support.wallets import PythonWallet


def sd_jwt_request(service: Service, token: str, proof: str, configuration: str) -> Any:
    return service.client.post(
        "/openid4vci/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {token}"},
    )


def issued_jwt(sd_jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header_b64, payload_b64, _sig = sd_jwt.split("~")[0].split(".")

    def decode(part: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return data

    return decode(header_b64), decode(payload_b64)


def token_of(service: Service, offer: dict[str, Any]) -> dict[str, Any]:
    response = token_request(service, code_of(service, offer), offer["txCode"])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_metadata_offers_dc_sd_jwt_beside_ldp_vc(service: Service) -> None:
    metadata = service.client.get("/.well-known/openid-credential-issuer").json()
    configurations = metadata["credential_configurations_supported"]
    assert configurations[CONFIGURATION]["format"] == "ldp_vc"
    sd_jwt = configurations[SD_JWT_CONFIGURATION]
    assert sd_jwt["format"] == "dc+sd-jwt"
    assert sd_jwt["vct"] == f"{BASE_URL}/vct/skills/certification"
    assert sd_jwt["cryptographic_binding_methods_supported"] == ["jwk"]
    assert sd_jwt["credential_signing_alg_values_supported"] == ["ES256"]
    assert sd_jwt["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256"]}
    }
    assert {d["locale"] for d in sd_jwt["credential_metadata"]["display"]} == {"en", "nl"}
    # Each vct resolves to its type metadata here.
    kinds = [c for c in configurations.values() if c["format"] == "dc+sd-jwt"]
    assert len(kinds) == 3
    for configuration in kinds:
        served = service.client.get(urlsplit(configuration["vct"]).path)
        assert served.status_code == 200, configuration["vct"]
        assert served.json()["vct"] == configuration["vct"]


def test_a_wallet_collects_the_sd_jwt_vc_twin_bound_to_its_key(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = token_of(service, offer)
    assert [d["credential_configuration_id"] for d in token["authorization_details"]] == [
        CONFIGURATION,
        SD_JWT_CONFIGURATION,
    ]
    wallet = PythonWallet("ES256")
    proof = wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True)
    response = sd_jwt_request(service, token["access_token"], proof, SD_JWT_CONFIGURATION)
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    assert isinstance(credential, str) and credential.endswith("~")
    header, payload = issued_jwt(credential)
    assert header["typ"] == "dc+sd-jwt" and header["alg"] == "ES256" and header["x5c"]
    assert payload["vct"] == f"{BASE_URL}/vct/skills/certification"
    jwk = wallet.jwk()
    assert payload["cnf"]["jwk"] == {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    assert "name" not in payload  # selectively disclosable, not in the clear
    # The Data Integrity twin is stored beside it, bound to the same key's did:key, and
    # both say valid.
    row = offer_row(service, offer["id"])
    assert (row.state, row.credential_id) == ("delivered", payload["credential_id"])
    assert stored(service) == 1
    verified = service.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verdict"] == "valid"
    assert body["summary"]["claims"]["name"] == "Pieter Jansen"  # all disclosures came along
    stored_one = service.client.get(
        f"/credentials/{payload['credential_id']}", headers=auth(provider)
    )
    assert stored_one.json()["verifiableCredential"]["credentialSubject"]["id"] == wallet.did
    assert actions(service, offer["id"])[-1] == "offer.delivered"
    # Single use, as for ldp_vc.
    again = sd_jwt_request(
        service,
        token["access_token"],
        wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True),
        SD_JWT_CONFIGURATION,
    )
    assert again.status_code == 401 and error_of(again) == "invalid_token"


def test_a_draft_wallet_asks_by_format(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = token_of(service, offer)
    wallet = PythonWallet("ES256")
    response = service.client.post(
        "/openid4vci/credential",
        json={
            "format": "vc+sd-jwt",
            "vct": f"{BASE_URL}/vct/skills/certification",
            "proof": {
                "proof_type": "jwt",
                "jwt": wallet.proof(audience=BASE_URL, nonce=token["c_nonce"], use_jwk=True),
            },
        },
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert response.status_code == 200, response.text
    assert issued_jwt(response.json()["credential"])[0]["typ"] == "dc+sd-jwt"


def test_wrong_proofs_and_formats_are_refused_and_issue_nothing(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = token_of(service, offer)["access_token"]
    ed25519_wallet = PythonWallet("EdDSA")
    p256 = PythonWallet("ES256")
    p384_key = ec.generate_private_key(ec.SECP384R1())
    p384_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(p384_key.public_key()))
    p384_proof = jwt.encode(
        {"aud": BASE_URL, "iat": int(time.time()), "nonce": fresh_nonce(service)},
        p384_key,
        algorithm="ES384",
        headers={"typ": "openid4vci-proof+jwt", "jwk": p384_jwk},
    )
    # An ES256 header over an Ed25519 key: alg and key disagree.
    mismatched = jwt.encode(
        {"aud": BASE_URL, "iat": int(time.time()), "nonce": fresh_nonce(service)},
        p256.key,
        algorithm="ES256",
        headers={"typ": "openid4vci-proof+jwt", "jwk": ed25519_wallet.jwk()},
    )
    cases = [
        (
            "EdDSA proof",
            ed25519_wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True),
            SD_JWT_CONFIGURATION,
            "invalid_proof",
            "sign the key proof with ES256",
        ),
        ("P-384 key", p384_proof, SD_JWT_CONFIGURATION, "invalid_proof", "ES384"),
        ("Ed25519 key under ES256", mismatched, SD_JWT_CONFIGURATION, "invalid_proof", "alg"),
        (
            "another kind's configuration",
            p256.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True),
            "SkillCredential_competency_dc+sd-jwt",
            "unknown_credential_configuration",
            "SkillCredential_certification_dc+sd-jwt",
        ),
        (
            "mdoc",
            p256.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True),
            "SkillCredential_mso_mdoc",
            "unknown_credential_configuration",
            "not 'SkillCredential_mso_mdoc'",
        ),
    ]
    for name, proof, configuration, error, words in cases:
        response = sd_jwt_request(service, token, proof, configuration)
        assert response.status_code == 400, (name, response.text)
        assert error_of(response) == error, name
        assert words in response.json()["error_description"], (name, response.text)
    draft = service.client.post(
        "/openid4vci/credential",
        json={
            "format": "mso_mdoc",
            "proof": {
                "proof_type": "jwt",
                "jwt": p256.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True),
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert draft.status_code == 400 and error_of(draft) == "unknown_credential_configuration"
    assert stored(service) == 0
    assert offer_row(service, offer["id"]).state == "token-issued"
    # Nothing was used up: the right proof still collects it.
    good = sd_jwt_request(
        service,
        token,
        p256.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=True),
        SD_JWT_CONFIGURATION,
    )
    assert good.status_code == 200, good.text
    assert stored(service) == 1
