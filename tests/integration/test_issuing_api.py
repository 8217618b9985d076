"""Issuing over HTTP against SQLite and PostgreSQL: the VC-API issue and fetch endpoints."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from skillcred import Verifier
from skillcred.core.dids.resolver import MethodResolver
from skillcred.core.dids.web import WebDidResolver
from skillcred.storage.models import IssuedCredential
from tests.support.service import Service

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "ExampleSkillCredential"],
    "credentialSubject": {"id": "did:example:worker-7", "skill": "MIG welding"},
}


def verifier_for(service: Service) -> Verifier:
    """A verifier that resolves this service's did:web DIDs through the test client and
    reads its status lists as published (GET /status-lists/...)."""
    from skillcred.services.verification import ServiceStatusChecker

    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        assert parts.netloc == urlsplit(service.settings.base_url).netloc
        response = service.client.get(parts.path)
        assert response.status_code == 200, response.text
        return response.content

    resolver = MethodResolver({"web": WebDidResolver(fetch)})
    list_verifier = Verifier(resolver=resolver)

    class ClientFetcher:
        def fetch(self, url: str, *, accept: str = "") -> bytes:
            return fetch(url)

    checker = ServiceStatusChecker(
        None,
        ClientFetcher(),  # type: ignore[arg-type]
        lambda d: list_verifier.verify_credential(d, checks={"validityPeriod"}),
        0,
    )
    return Verifier(resolver=resolver, status=checker)


def stored_count(service: Service) -> int:
    with service.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(IssuedCredential)) or 0)


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
@pytest.mark.parametrize("did_method", ["key", "web"])
def test_issue_fetch_and_verify(service: Service, suite: str, did_method: str) -> None:
    provider = service.create_provider(f"p-{did_method}", did_method=did_method)
    response = service.issue(provider["apiKey"], CREDENTIAL, {"cryptosuite": suite})
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    assert credential["issuer"] == provider["did"]
    assert credential["id"].startswith("urn:uuid:")
    assert credential["validFrom"].endswith("Z")
    assert credential["proof"]["cryptosuite"] == suite
    if did_method == "web":
        assert provider["did"] == "did:web:skills.test:providers:p-web"
    result = verifier_for(service).verify_credential(credential)
    assert result.verified, result.to_json()

    fetched = service.client.get(
        f"/credentials/{quote(credential['id'], safe='')}",
        headers={"Authorization": f"Bearer {provider['apiKey']}"},
    )
    assert fetched.status_code == 200
    assert fetched.json()["verifiableCredential"] == credential


def test_issuer_given_as_an_object_with_the_provider_did(service: Service) -> None:
    provider = service.create_provider("objissuer")
    credential = {**CREDENTIAL, "issuer": {"id": provider["did"], "name": "Objects Inc."}}
    response = service.issue(provider["apiKey"], credential)
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["issuer"]["name"] == "Objects Inc."


def test_idempotent_retry_issues_nothing_twice(service: Service) -> None:
    provider = service.create_provider("idem")
    headers = {"Idempotency-Key": "batch-7/row-12"}
    first = service.issue(provider["apiKey"], CREDENTIAL, headers=headers)
    second = service.issue(provider["apiKey"], CREDENTIAL, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert stored_count(service) == 1

    other = copy.deepcopy(CREDENTIAL)
    other["credentialSubject"]["skill"] = "TIG welding"
    reused = service.issue(provider["apiKey"], other, headers=headers)
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert "different request" in reused.json()["detail"]
    assert stored_count(service) == 1

    # The same key belongs to each provider separately.
    elsewhere = service.create_provider("idem-2")
    assert service.issue(elsewhere["apiKey"], CREDENTIAL, headers=headers).status_code == 201
    assert stored_count(service) == 2


@pytest.mark.parametrize("did_method", ["key", "web"])
def test_key_rotation_keeps_earlier_credentials_verifiable(
    service: Service, did_method: str
) -> None:
    provider = service.create_provider(f"rot-{did_method}", did_method=did_method)
    before = service.issue(provider["apiKey"], CREDENTIAL).json()["verifiableCredential"]
    rotated = service.client.post(
        f"/admin/providers/rot-{did_method}/rotate-key", headers=service.admin()
    )
    assert rotated.status_code == 200, rotated.text
    after = service.issue(provider["apiKey"], CREDENTIAL).json()["verifiableCredential"]

    assert after["proof"]["verificationMethod"] != before["proof"]["verificationMethod"]
    if did_method == "key":
        # A did:key is the key: the provider has a new DID and remembers the old one.
        assert rotated.json()["did"] != provider["did"]
        assert rotated.json()["earlierDids"] == [provider["did"]]
        assert after["issuer"] == rotated.json()["did"]
    else:
        assert rotated.json()["did"] == provider["did"]
        document = service.client.get(f"/providers/rot-{did_method}/did.json").json()
        listed = {m["id"] for m in document["verificationMethod"]}
        assert {
            before["proof"]["verificationMethod"],
            after["proof"]["verificationMethod"],
        } <= listed
    verifier = verifier_for(service)
    for credential in (before, after):
        result = verifier.verify_credential(credential)
        assert result.verified, result.to_json()

    # Issuing under the earlier did:key is refused once it is retired.
    if did_method == "key":
        stale = {**CREDENTIAL, "issuer": provider["did"]}
        refused = service.issue(provider["apiKey"], stale)
        assert refused.status_code == 400
        assert refused.json()["code"] == "ISSUER_MISMATCH"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer skc_not-a-key"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
)
def test_wrong_or_missing_api_key_is_401(service: Service, headers: dict[str, str]) -> None:
    response = service.client.post(
        "/credentials/issue", json={"credential": CREDENTIAL}, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401
    assert stored_count(service) == 0


def test_another_providers_credential_is_404(service: Service) -> None:
    alice = service.create_provider("alice")
    bob = service.create_provider("bob")
    credential = service.issue(alice["apiKey"], CREDENTIAL).json()["verifiableCredential"]
    path = f"/credentials/{quote(credential['id'], safe='')}"
    assert (
        service.client.get(path, headers={"Authorization": f"Bearer {bob['apiKey']}"}).status_code
        == 404
    )
    missing = service.client.get(
        "/credentials/urn:uuid:00000000-0000-0000-0000-000000000000",
        headers={"Authorization": f"Bearer {alice['apiKey']}"},
    )
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:skillcred:problem:not-found"


def test_issuer_mismatch_is_400(service: Service) -> None:
    provider = service.create_provider("mismatch")
    response = service.issue(
        provider["apiKey"], {**CREDENTIAL, "issuer": "did:example:someone-else"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "ISSUER_MISMATCH"
    assert "did:example:someone-else" in body["detail"]
    assert stored_count(service) == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mandatoryPointers": ["/issuer"]}, "unknown option 'mandatoryPointers'"),
        ({"cryptosuite": "ecdsa-rdfc-2019"}, "unknown cryptosuite 'ecdsa-rdfc-2019'"),
        ({"created": 5}, "options.created"),
    ],
)
def test_unknown_or_bad_option_is_400(
    service: Service, options: dict[str, Any], message: str
) -> None:
    provider = service.create_provider("opts")
    response = service.issue(provider["apiKey"], CREDENTIAL, options)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert stored_count(service) == 0


def test_oversized_body_is_413(service: Service) -> None:
    provider = service.create_provider("big")
    credential = copy.deepcopy(CREDENTIAL)
    credential["credentialSubject"]["skill"] = "x" * (1024 * 1024 + 1)
    response = service.issue(provider["apiKey"], credential)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert stored_count(service) == 0


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{", 400, "not valid JSON"),
        (b"[]", 400, "valid dictionary"),
        (b'{"credential": {}, "extra": 1}', 400, "extra: is not a field"),
        (b'{"options": {}}', 400, "credential: is required"),
    ],
)
def test_malformed_request_bodies(service: Service, body: bytes, status: int, message: str) -> None:
    provider = service.create_provider("malformed")
    response = service.client.post(
        "/credentials/issue",
        content=body,
        headers={
            "Authorization": f"Bearer {provider['apiKey']}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert stored_count(service) == 0


def test_a_credential_with_a_proof_already_is_refused(service: Service) -> None:
    provider = service.create_provider("proofed")
    signed = service.issue(provider["apiKey"], CREDENTIAL).json()["verifiableCredential"]
    response = service.issue(provider["apiKey"], {k: v for k, v in signed.items() if k != "id"})
    assert response.status_code == 422
    assert "must not carry a proof" in response.json()["detail"]
