"""Issue 14, item 2 and 5: inputs that reached a 500 with a traceback (some without any
key), and a chunked body over the size limit that got 400. Each is now a problem detail
or a verification result; the library answers them too, it does not raise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, Verifier, add_proof, sign_credential
from skillcred.core.jsonld.loader import default_loader
from skillcred.errors import InvalidInputError
from tests.conftest import REPO_ROOT
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.service import Service

EXAMPLES = REPO_ROOT / "examples"
ISSUER = Ed25519KeyPair.generate()
#: a lone surrogate, as JSON escapes it (Python's json lets it through; UTF-8 cannot hold it)
SURROGATE = "\\ud800"


def with_lone_surrogate(document: dict[str, Any], old: str) -> bytes:
    text = json.dumps(document)
    assert old in text
    return text.replace(old, SURROGATE).encode()


def post(service: Service, path: str, body: bytes, **headers: str) -> Any:
    return service.client.post(
        path, content=body, headers={"Content-Type": "application/json", **headers}
    )


def assert_parsing_problem(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "PARSING_ERROR"
    assert "surrogate" in problem["detail"]


def test_regression_lone_surrogate_in_issue_verify_and_skill_credentials(
    service: Service,
) -> None:
    provider = service.create_provider("surrogates")
    key = {"Authorization": f"Bearer {provider['apiKey']}"}
    credential = {**CREDENTIAL, "credentialSubject": {"id": "did:example:1", "skill": "MIG"}}
    assert_parsing_problem(
        post(
            service,
            "/credentials/issue",
            with_lone_surrogate({"credential": credential}, "MIG"),
            **key,
        )
    )
    signed = sign_credential({**credential, "issuer": ISSUER.controller}, key=ISSUER)
    assert_parsing_problem(
        post(
            service,
            "/credentials/verify",
            with_lone_surrogate({"verifiableCredential": signed}, "MIG"),
        )
    )
    definition = json.loads((EXAMPLES / "skill-definition.json").read_text())
    service.client.post("/skills", json=definition, headers=key)
    request = json.loads((EXAMPLES / "skill-credential-request.json").read_text())
    assert_parsing_problem(
        post(service, "/skill-credentials", with_lone_surrogate(request, "J. de Vries"), **key)
    )
    assert service.client.get("/healthz").status_code == 200


STATUS = {
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "9" * 5000,
    "statusListCredential": "https://status.example/lists/1",
}


def signed_with_huge_index() -> dict[str, Any]:
    """Signed as another issuer could (add_proof does not check the data model)."""
    document = {**CREDENTIAL, "issuer": ISSUER.controller, "credentialStatus": STATUS}
    return add_proof(document, signer=ISSUER, loader=default_loader())


def test_regression_a_status_index_of_5000_digits(service: Service) -> None:
    status = STATUS
    signed = signed_with_huge_index()
    response = service.client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert response.status_code == 422
    body = response.json()
    assert body["verdict"] == "cannot-check"
    assert "5000 digits" in json.dumps(body["errors"])
    provider = service.create_provider("digits")
    issued = service.issue(provider["apiKey"], {**CREDENTIAL, "credentialStatus": status})
    assert issued.status_code == 422
    assert "5000 digits" in issued.json()["detail"]


def test_regression_the_library_answers_them_and_does_not_raise() -> None:
    verifier = Verifier()
    lone = sign_credential({**CREDENTIAL, "issuer": ISSUER.controller}, key=ISSUER)
    lone["credentialSubject"] = {"id": "did:example:1", "skill": "\ud800"}
    result = verifier.verify_credential(lone)
    assert result.verdict == "invalid"
    assert "lone surrogate" in result.errors[0].detail
    assert verifier.verify_credential(signed_with_huge_index()).verdict == "cannot-check"
    # Signing refuses it with the project's own error, not a UnicodeEncodeError.
    with pytest.raises(InvalidInputError, match="lone surrogate"):
        sign_credential({k: v for k, v in lone.items() if k != "proof"}, key=ISSUER)


def test_regression_a_chunked_body_over_the_limit_is_413(service: Service) -> None:
    limit = service.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"verifiableCredential": {"padding": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}}'

    response = service.client.post(
        "/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["title"] == "Content Too Large"
    # A chunked body under the limit still arrives whole.
    small = json.dumps({"verifiableCredential": {**CREDENTIAL}}).encode()
    response = service.client.post(
        "/credentials/verify",
        content=iter([small[:10], small[10:]]),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["kind"] == "credential"


def test_regression_allow_on_405_names_every_method_of_the_path(service: Service) -> None:
    response = service.client.request("PATCH", "/skills")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.headers["content-type"].startswith("application/problem+json")


def test_regression_found_by_the_fuzzer(service: Service) -> None:
    """A CSV with a bare carriage return, and an audit cursor past 64 bits, were 500s."""
    provider = service.create_provider("fuzzed")
    key = {"Authorization": f"Bearer {provider['apiKey']}"}
    csv = service.client.post(
        "/skill-credentials/batch",
        content=b"\r0",
        headers={**key, "Content-Type": "text/csv"},
    )
    # A header line, then a row that is not a request: reported per row, as batches are.
    assert csv.status_code == 200, csv.text
    assert csv.json()["summary"] == {"rows": 1, "issued": 0, "alreadyIssued": 0, "failed": 1}
    cursor = service.client.get("/audit/events", params={"after": 2**63}, headers=key)
    assert cursor.status_code in (400, 422), cursor.text
