"""Credentials issued over HTTP verify in Digital Bazaar's reference implementation, for
did:key and did:web issuers and both cryptosuites; the reference reads this service's
status lists and sees revoked / suspended / active as they are here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service

pytestmark = pytest.mark.interop


def published(service: Service, credential: dict[str, Any], did: str) -> dict[str, Any]:
    """What the reference would fetch: the issuer's DID document and the status lists."""
    documents: dict[str, Any] = {}
    if did.startswith("did:web:"):
        slug = did.rsplit(":", 1)[1]
        documents[did] = service.client.get(f"/providers/{slug}/did.json").json()
    status = credential.get("credentialStatus", [])
    for entry in status if isinstance(status, list) else [status]:
        url = entry["statusListCredential"]
        response = service.client.get(urlsplit(url).path)
        assert response.status_code == 200, response.text
        documents[url] = response.json()
    return documents


def reference_status(answer: dict[str, Any]) -> dict[str, bool]:
    return {s["statusPurpose"]: s["status"] for s in answer.get("status", [])}


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
@pytest.mark.parametrize("did_method", ["key", "web"])
def test_http_issued_credential_verifies_in_the_reference_implementation(
    service: Service, reference: ReferenceImplementation, suite: str, did_method: str
) -> None:
    provider = service.create_provider(f"interop-{did_method}", did_method=did_method)
    response = service.issue(provider["apiKey"], CREDENTIAL, {"cryptosuite": suite})
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    documents = published(service, credential, provider["did"])
    answer = reference.verify(credential, documents=documents, checkStatus=True)
    assert answer["verified"] is True, answer
    assert reference_status(answer) == {"revocation": False}

    credential["credentialSubject"]["skill"] = "forged"
    assert reference.verify(credential, documents=documents, checkStatus=True)["verified"] is False


def test_the_reference_reads_revocation_and_suspension_from_these_lists(
    service: Service, reference: ReferenceImplementation
) -> None:
    provider = service.create_provider("interop-status", did_method="web")
    key = {"Authorization": f"Bearer {provider['apiKey']}"}
    safety = {**CREDENTIAL, "validUntil": "2099-01-01T00:00:00Z"}  # gets suspension too
    credentials = [
        service.issue(provider["apiKey"], safety).json()["verifiableCredential"] for _ in range(3)
    ]
    _active, suspended, revoked = credentials
    for credential, purpose in ((suspended, "suspension"), (revoked, "revocation")):
        change = service.client.post(
            "/credentials/status",
            json={
                "credentialId": credential["id"],
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
                "status": True,
                "reason": "interop test",
            },
            headers=key,
        )
        assert change.status_code == 200, change.text

    expected = {
        "active": {"revocation": False, "suspension": False},
        "suspended": {"revocation": False, "suspension": True},
        "revoked": {"revocation": True, "suspension": False},
    }
    for name, credential in zip(expected, credentials, strict=True):
        documents = published(service, credential, provider["did"])
        answer = reference.verify(credential, documents=documents, checkStatus=True)
        assert reference_status(answer) == expected[name], (name, answer)
