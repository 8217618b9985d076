"""Issue 14, must show 3: every documented limit is refused with a clear problem (413),
changing nothing; the library answers the same documents without processing them; the
public endpoints are rate limited per client address (429 with Retry-After)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, Verifier, add_proof, sign_credential
from skillcred.core.jsonld.loader import default_loader
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service

ISSUER = Ed25519KeyPair.generate()
LIMITS = {
    "max_proofs": 3,
    "max_status_entries": 2,
    "max_credentials_per_presentation": 4,
    "max_json_depth": 16,
    "max_batch_rows": 5,
    "max_batch_job_rows": 8,
    "batch_worker": False,
}


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Service]:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data", **LIMITS) as service,
    ):
        yield service


def signed(**changes: Any) -> dict[str, Any]:
    return sign_credential({**CREDENTIAL, "issuer": ISSUER.controller, **changes}, key=ISSUER)


def with_proofs(count: int) -> dict[str, Any]:
    document = signed()
    for _ in range(count - 1):
        document = add_proof(document, signer=ISSUER, loader=default_loader())
    return document


def status_entries(count: int) -> list[dict[str, str]]:
    return [
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(n),
            "statusListCredential": f"https://status.example/lists/{n}",
        }
        for n in range(count)
    ]


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def passport(count: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [signed() for _ in range(count)],
    }


def assert_limit(response: Any, words: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "LIMIT_EXCEEDED"
    assert words in problem["detail"]


def test_each_limit_over_http(limited: Service) -> None:
    verify = "/credentials/verify"
    client = limited.client
    assert client.post(verify, json={"verifiableCredential": with_proofs(3)}).status_code == 200
    assert_limit(
        client.post(verify, json={"verifiableCredential": with_proofs(4)}),
        "4 proofs; at most 3",
    )
    three = {**CREDENTIAL, "issuer": ISSUER.controller, "credentialStatus": status_entries(3)}
    assert_limit(
        client.post(verify, json={"verifiableCredential": three}),
        "3 status entries; at most 2",
    )
    deep = {**CREDENTIAL, "credentialSubject": {"deep": nested(20)}}
    assert_limit(client.post(verify, json={"verifiableCredential": deep}), "more than 16 levels")
    allowed = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": passport(4),
            "options": {"allowUnsignedPresentation": True},
        },
    )
    assert allowed.status_code == 200, allowed.text
    assert_limit(
        client.post(
            "/presentations/verify",
            json={
                "verifiablePresentation": passport(5),
                "options": {"allowUnsignedPresentation": True},
            },
        ),
        "5 credentials; at most 4",
    )


def test_a_batch_over_the_job_row_limit_is_refused_and_issues_nothing(limited: Service) -> None:
    """Past max_batch_rows a batch becomes a job (tests/integration/test_batch_jobs.py);
    past max_batch_job_rows it is refused, and nothing is stored."""
    from tests.integration.test_skills_api import DEFINITION, REQUEST, auth, stored

    provider = limited.create_provider("batches", name="Lasschool")
    limited.client.post("/skills", json=DEFINITION, headers=auth(provider))
    response = limited.client.post(
        "/skill-credentials/batch", json=[REQUEST] * 9, headers=auth(provider)
    )
    assert_limit(response, "9 rows; a batch job holds at most 8")
    assert stored(limited) == 0
    accepted = limited.client.post(
        "/skill-credentials/batch", json=[REQUEST] * 6, headers=auth(provider)
    )
    assert accepted.status_code == 202, accepted.text


def test_the_library_does_not_process_what_is_past_its_limits() -> None:
    from skillcred.core.verifying import Limits

    verifier = Verifier(limits=Limits(max_proofs=3, max_credentials=4))
    result = verifier.verify_credential(with_proofs(4))
    assert not result.verified
    assert [p.code for p in result.errors] == ["LIMIT_EXCEEDED"]
    assert result.proofs == []  # nothing was verified
    assert verifier.verify_presentation(passport(5), unsigned_allowed=True).errors[0].code == (
        "LIMIT_EXCEEDED"
    )


def test_public_endpoints_are_rate_limited_per_client(tmp_path: Path) -> None:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            # 20 a minute: a token every 3 s, so a request slowed by the parallel suite
            # does not earn the next token before the test asks for it
            rate_limit_verify_per_minute=20,
            rate_limit_verify_burst=3,
            rate_limit_public_per_minute=600,
            rate_limit_public_burst=5,
        ) as service,
    ):
        body = {"verifiableCredential": signed()}
        answers = [service.client.post("/credentials/verify", json=body) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) >= 1
        assert "more than 20 requests a minute" in refused.json()["detail"]
        # Another class of endpoint has its own bucket; authenticated ones have none.
        assert service.client.get("/contexts/credentials/v2").status_code in (200, 404)
        assert service.client.get("/healthz").status_code == 200
        time.sleep(3.1)  # 20 a minute: one more after three seconds
        assert service.client.post("/credentials/verify", json=body).status_code == 200
        assert service.client.post("/credentials/verify", json=body).status_code == 429
