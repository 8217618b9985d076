"""What skillcred issues, in DCC's verifier (`@digitalcredentials/verifier-core`, inside
VerifierPlus and the Learner Credential Wallet), with remote loading refused: it reads
only its own bundled contexts and the documents handed in (our status lists, a did:web
document, the profile's schema at its permanent URL). A plain credential and a skill
credential verify there; a revoked and a suspended safety certificate are shown not
valid there; a passport verifies there as DCC's tools sign one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from skillcred import Ed25519KeyPair, add_proof
from skillcred.core.jsonld.loader import EXAMPLES_V2, default_loader
from skillcred.core.schemas import SKILLS_PROFILE_V2
from skillcred.core.values import as_list
from tests.conftest import REPO_ROOT
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service, running_service

EXAMPLES = REPO_ROOT / "examples"
WORKER = Ed25519KeyPair.generate()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data") as svc,
    ):
        yield svc


def key_of(provider: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider['apiKey']}"}


def published(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    """What DCC's verifier is handed instead of the network: the credential's status
    lists, its issuer's did:web document, and the profile's schema at its w3id URL (as
    the redirect in docs/w3id serves it)."""
    documents: dict[str, Any] = {
        SKILLS_PROFILE_V2: json.loads((REPO_ROOT / "schemas" / "skills" / "v2.json").read_text())
    }
    for entry in as_list(credential.get("credentialStatus")):
        url = entry["statusListCredential"]
        documents[url] = service.client.get(urlsplit(url).path).json()
    issuer = credential["issuer"]
    did = issuer["id"] if isinstance(issuer, dict) else issuer
    if did.startswith("did:web:"):
        slug = did.rsplit(":", 1)[1]
        documents[did] = service.client.get(f"/providers/{slug}/did.json").json()
    return documents


def skill_credential(service: Service, provider: dict[str, Any]) -> dict[str, Any]:
    definition = json.loads((EXAMPLES / "skill-definition.json").read_text())
    service.client.post("/skills", json=definition, headers=key_of(provider))
    request = json.loads((EXAMPLES / "skill-credential-request.json").read_text())
    request["holder"] = {"id": WORKER.controller, "name": "Pieter Jansen"}
    response = service.client.post("/skill-credentials", json=request, headers=key_of(provider))
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    return credential


def change(service: Service, provider: dict[str, Any], credential_id: str, purpose: str) -> None:
    response = service.client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": True,
        },
        headers=key_of(provider),
    )
    assert response.status_code == 200, response.text


def dcc_says(
    dcc: ReferenceImplementation, document: dict[str, Any], documents: dict[str, Any]
) -> dict[str, Any]:
    answer = dcc.verify(document, documents=documents, network=False)
    assert answer["refused"] == [], answer["refused"]  # nothing needed the network
    return answer


def test_a_plain_credential_verifies_in_dccs_verifier(
    service: Service, dcc_verifier: ReferenceImplementation
) -> None:
    provider = service.create_provider("plain")
    response = service.issue(provider["apiKey"], {**CREDENTIAL, "issuer": provider["did"]})
    credential = response.json()["verifiableCredential"]
    # verifier-core bundles no VC examples context: it would fetch it; here it is handed in.
    documents = {EXAMPLES_V2: default_loader().load(EXAMPLES_V2), **published(service, credential)}
    answer = dcc_says(dcc_verifier, credential, documents)
    assert answer["verdict"] == "valid", answer["summary"]
    assert answer["summary"]["checks"]["signature"] == "valid"


@pytest.mark.parametrize("did_method", ["key", "web"])
def test_a_skill_credential_verifies_with_remote_contexts_refused(
    service: Service, dcc_verifier: ReferenceImplementation, did_method: str
) -> None:
    provider = service.create_provider(f"lasschool-{did_method}", did_method=did_method)
    credential = skill_credential(service, provider)
    answer = dcc_says(dcc_verifier, credential, published(service, credential))
    assert answer["verdict"] == "valid", answer["summary"]
    checks = answer["summary"]["checks"]
    assert checks["signature"] == "valid"
    # Both status entries read (one bit each), both clear.
    assert {s["purpose"]: s["valid"] for s in checks["status"]} == {
        "revocation": True,
        "suspension": True,
    }
    # DCC's JSON Schema check (Ajv, draft 2019-09, strict) takes the profile's schema.
    assert checks["schema"] == [{"schema": SKILLS_PROFILE_V2, "valid": True}]


@pytest.mark.parametrize(
    ("purpose", "verdict"), [("revocation", "revoked"), ("suspension", "suspended")]
)
def test_a_revoked_or_suspended_safety_certificate_is_not_valid_there(
    service: Service, dcc_verifier: ReferenceImplementation, purpose: str, verdict: str
) -> None:
    provider = service.create_provider("lasschool")
    credential = skill_credential(service, provider)
    assert credential["credentialSubject"]["achievement"]["achievementType"] == "Certification"
    change(service, provider, credential["id"], purpose)
    answer = dcc_says(dcc_verifier, credential, published(service, credential))
    assert answer["verdict"] == verdict, answer["summary"]
    # ... and here, the same.
    body = service.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    ).json()
    assert body["verdict"] == verdict


def test_a_passport_verifies_there_as_dccs_tools_sign_one(
    service: Service, dcc_verifier: ReferenceImplementation
) -> None:
    """DCC's wallet signs presentations for assertionMethod, without a challenge; so does
    this passport (`skillcred sign --purpose assertionMethod`). verifier-core accepts it
    and every skill in it; skillcred too, saying holder binding is not proven for this
    request."""
    provider = service.create_provider("lasschool")
    credentials = [skill_credential(service, provider) for _ in range(2)]
    passport = add_proof(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": WORKER.controller,
            "verifiableCredential": credentials,
        },
        signer=WORKER,
        proof_purpose="assertionMethod",
        loader=default_loader(),
    )
    documents: dict[str, Any] = {}
    for credential in credentials:
        documents.update(published(service, credential))
    answer = dcc_says(dcc_verifier, passport, documents)
    assert answer["verdict"] == "valid", answer["summary"]
    assert [c["verdict"] for c in answer["summary"]["credentials"]] == ["valid", "valid"]

    body = service.client.post(
        "/presentations/verify", json={"verifiablePresentation": passport}
    ).json()
    assert body["verdict"] == "valid"
    binding = next(c for c in body["checks"] if c["check"] == "holderBinding")
    assert binding["outcome"] == "not-performed" and binding["forThisRequest"] is False
