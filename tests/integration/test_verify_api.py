"""POST /credentials/verify and /presentations/verify: every check, with named failures,
against SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, sign_credential, sign_presentation
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.service import Service

SAFETY = {**CREDENTIAL, "validUntil": "2099-01-01T00:00:00Z"}
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
DATA = Path(__file__).resolve().parents[1] / "data"


def issue(
    service: Service, provider: dict[str, Any], credential: dict[str, Any] = CREDENTIAL
) -> dict[str, Any]:
    response = service.issue(provider["apiKey"], credential)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()["verifiableCredential"]
    return issued


def verify(service: Service, credential: Any, options: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options is not None:
        body["options"] = options
    return service.client.post("/credentials/verify", json=body)


def set_status(
    service: Service, provider: dict[str, Any], credential: dict[str, Any], purpose: str
) -> None:
    response = service.client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": True,
        },
        headers={"Authorization": f"Bearer {provider['apiKey']}"},
    )
    assert response.status_code == 200, response.text


def codes(body: dict[str, Any]) -> set[str]:
    return {e["code"] for e in body["errors"]}


def test_a_credential_issued_here_verifies_and_is_trusted(service: Service) -> None:
    provider = service.create_provider("verify-ok", name="Metaal Opleidingen Oost")
    response = verify(service, issue(service, provider))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert {c["check"]: c["outcome"] for c in body["checks"]} == {
        "proof": "passed",
        "dataModel": "passed",
        "validityPeriod": "passed",
        "status": "passed",
        "credentialSchema": "skipped",  # it names no schema
        "issuerTrust": "passed",
    }
    assert body["summary"]["verdict"] == "valid"
    assert body["summary"]["provider"] == "Metaal Opleidingen Oost"
    assert body["summary"]["trusted"] is True
    assert body["errors"] == [] and body["warnings"] == []


def test_tampered_credential_is_not_genuine(service: Service) -> None:
    provider = service.create_provider("verify-tamper")
    credential = issue(service, provider)
    credential["credentialSubject"]["skill"] = "brain surgery"
    response = verify(service, credential)
    assert response.status_code == 422
    body = response.json()
    assert body["verified"] is False
    assert body["summary"]["verdict"] == "not-genuine"
    assert codes(body) == {"PROOF_VERIFICATION_ERROR"}
    assert body["errors"][0]["type"] == "https://w3id.org/security#PROOF_VERIFICATION_ERROR"


@pytest.mark.parametrize(
    ("purpose", "verdict", "code"),
    [
        ("revocation", "revoked", "CREDENTIAL_REVOKED"),
        ("suspension", "suspended", "CREDENTIAL_SUSPENDED"),
    ],
)
def test_revoked_and_suspended(service: Service, purpose: str, verdict: str, code: str) -> None:
    provider = service.create_provider(f"verify-{purpose}")
    credential = issue(service, provider, SAFETY)
    set_status(service, provider, credential, purpose)
    body = verify(service, credential).json()
    assert body["verified"] is False
    assert body["summary"]["verdict"] == verdict
    assert code in codes(body)
    assert (
        body["summary"]["status"][{"revocation": "revoked", "suspension": "suspended"}[purpose]]
        is True
    )


def test_expired(service: Service) -> None:
    provider = service.create_provider("verify-expired")
    credential = issue(
        service,
        provider,
        {**CREDENTIAL, "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2021-01-01T00:00:00Z"},
    )
    body = verify(service, credential).json()
    assert body["verified"] is False
    assert body["summary"]["verdict"] == "expired"
    assert codes(body) == {"RANGE_ERROR"}
    # Asking only for the proof: the dates are not judged.
    assert verify(service, credential, {"checks": ["proof"]}).status_code == 200


def test_unknown_issuer_is_verified_and_flagged_untrusted(service: Service, tmp_path: Path) -> None:
    stranger = Ed25519KeyPair.generate()
    credential = sign_credential({**CREDENTIAL, "issuer": stranger.controller}, key=stranger)
    response = verify(service, credential)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert body["summary"]["verdict"] == "untrusted-issuer"
    assert [w["code"] for w in body["warnings"]] == ["UNTRUSTED_ISSUER"]
    assert next(c for c in body["checks"] if c["check"] == "issuerTrust")["trusted"] is False


def test_trust_list_names_other_issuers(tmp_path: Path, backend: str) -> None:
    from tests.support.databases import fresh_database_url
    from tests.support.service import running_service

    stranger = Ed25519KeyPair.generate()
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps({"issuers": [{"did": stranger.controller, "name": "Techniek Nederland"}]})
    )
    credential = sign_credential({**CREDENTIAL, "issuer": stranger.controller}, key=stranger)
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "data", trust_list_file=trust) as service,
    ):
        body = verify(service, credential).json()
    assert body["summary"]["verdict"] == "valid"
    assert body["summary"]["provider"] == "Techniek Nederland"
    assert body["warnings"] == []


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"verifiableCredential": {}, "options": {"challenge": "x"}},
            400,
            "unknown option 'challenge'",
        ),
        (
            {"verifiableCredential": {}, "options": {"checks": ["magic"]}},
            400,
            "unknown check 'magic'",
        ),
        (
            {"verifiableCredential": {}, "options": {"checks": "proof"}},
            400,
            "options.checks must be an array",
        ),
        ({"credential": {}}, 400, "verifiableCredential: is required"),
    ],
)
def test_bad_verify_requests_are_400(
    service: Service, body: dict[str, Any], status: int, message: str
) -> None:
    response = service.client.post("/credentials/verify", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "mangle", ["as a JSON string", "proof null", "no proof", "proof without type"]
)
def test_malformed_documents_are_422_with_a_result(service: Service, mangle: str) -> None:
    provider = service.create_provider("verify-malformed")
    credential: Any = issue(service, provider)
    if mangle == "as a JSON string":
        credential = json.dumps(credential)
    elif mangle == "proof null":
        credential["proof"] = None
    elif mangle == "no proof":
        del credential["proof"]
    else:
        del credential["proof"]["type"]
    response = verify(service, credential)
    assert response.status_code == 422
    body = response.json()
    assert body["verified"] is False
    assert body["errors"]


def test_credential_schema_is_checked(service: Service) -> None:
    provider = service.create_provider("verify-schema")
    skill = json.loads((DATA / "skill-credential.json").read_text())
    # One status entry: Open Badges takes credentialStatus as a single object.
    for field in ("issuer", "id", "credentialStatus", "validUntil"):
        skill.pop(field)
    skill["credentialSchema"] = [{"id": OB_SCHEMA, "type": "JsonSchema"}]
    good = issue(service, provider, skill)
    assert verify(service, good).status_code == 200

    broken = copy.deepcopy(skill)
    broken["credentialSubject"]["achievement"].pop("criteria")  # required by Open Badges
    bad = issue(service, provider, broken)
    body = verify(service, bad).json()
    failed = next(c for c in body["checks"] if c["check"] == "credentialSchema")
    assert failed["outcome"] == "failed"
    assert '"criteria" is a required property' in failed["problems"][0]["detail"]
    # As the reference verifiers report it: beside the verdict, as a warning. A genuine
    # credential whose shape departs from a schema it names is still genuine and valid.
    assert any('"criteria" is a required property' in w["detail"] for w in body["warnings"])
    assert (body["verified"], body["summary"]["verdict"]) == (True, "valid")

    elsewhere = {
        **CREDENTIAL,
        "credentialSchema": {"id": "https://schemas.example/skill.json", "type": "JsonSchema"},
    }
    unknown = verify(service, issue(service, provider, elsewhere)).json()
    unavailable = next(c for c in unknown["checks"] if c["check"] == "credentialSchema")
    assert unavailable["outcome"] == "not-performed"
    assert "not known here" in json.dumps(unknown["warnings"])


# --- passports ----------------------------------------------------------------------------


def passport(
    service: Service, holder: Ed25519KeyPair, credentials: list[dict[str, Any]], **proof: Any
) -> dict[str, Any]:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": credentials,
    }
    return sign_presentation(presentation, key=holder, **proof)


def verify_passport(
    service: Service, presentation: dict[str, Any], options: dict[str, Any] | None = None
) -> Any:
    body: dict[str, Any] = {"verifiablePresentation": presentation}
    if options is not None:
        body["options"] = options
    return service.client.post("/presentations/verify", json=body)


def test_a_passport_of_several_skills(service: Service) -> None:
    provider = service.create_provider("passport", name="Lasschool Twente")
    holder = Ed25519KeyPair.generate()
    about_holder = {
        **CREDENTIAL,
        "credentialSubject": {"id": holder.controller, "skill": "welding"},
    }
    valid = issue(service, provider, about_holder)
    revoked = issue(service, provider, about_holder)
    set_status(service, provider, revoked, "revocation")
    document = passport(
        service, holder, [valid, revoked], challenge="c-1", domain="employer.example"
    )

    response = verify_passport(
        service, document, {"challenge": "c-1", "domain": "employer.example"}
    )
    assert response.status_code == 422  # one of the skills is revoked
    body = response.json()
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["holderProof"]["outcome"] == "passed"
    assert checks["credentials"]["outcome"] == "failed"
    assert checks["holderBinding"]["bound"] is True
    assert [s["verdict"] for s in body["skills"]] == ["valid", "revoked"]
    assert all(s["provider"] == "Lasschool Twente" and s["subjectIsHolder"] for s in body["skills"])

    only_valid = passport(service, holder, [valid], challenge="c-2", domain="employer.example")
    ok = verify_passport(service, only_valid, {"challenge": "c-2", "domain": "employer.example"})
    assert ok.status_code == 200, ok.text
    wrong = verify_passport(
        service, only_valid, {"challenge": "other", "domain": "employer.example"}
    ).json()
    assert "INVALID_CHALLENGE_ERROR" in codes(wrong)


def test_unsigned_passport_only_when_allowed(service: Service) -> None:
    provider = service.create_provider("unsigned-passport")
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [issue(service, provider)],
    }
    refused = verify_passport(service, presentation)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["title"] == "No holder proof"
    allowed = verify_passport(service, presentation, {"allowUnsignedPresentation": True})
    assert allowed.status_code == 200, allowed.text
    assert (
        next(c for c in allowed.json()["checks"] if c["check"] == "holderBinding")["bound"] is False
    )
    bad = verify_passport(service, presentation, {"allowUnsignedPresentation": "yes"})
    assert bad.status_code == 400


def test_a_status_not_asked_for_is_not_claimed(service: Service) -> None:
    provider = service.create_provider("verify-proof-only")
    credential = issue(service, provider)
    set_status(service, provider, credential, "revocation")
    body = verify(service, credential, {"checks": ["proof"]}).json()
    assert body["verified"] is True  # only the proof was asked for ...
    assert body["summary"]["status"] is None  # ... so nothing is said about revocation
    status = next(c for c in body["checks"] if c["check"] == "status")
    assert status == {"check": "status", "outcome": "skipped", "reason": "not requested"}


def test_holder_binding_is_reported_beside_verified(service: Service) -> None:
    provider = service.create_provider("binding")
    holder = Ed25519KeyPair.generate()
    about_someone_else = issue(service, provider)  # its subject is did:example:worker-7
    document = passport(service, holder, [about_someone_else], challenge="c", domain="d")
    body = verify_passport(service, document, {"challenge": "c", "domain": "d"}).json()
    binding = next(c for c in body["checks"] if c["check"] == "holderBinding")
    assert binding["outcome"] == "failed" and binding["bound"] is True
    assert body["verified"] is True  # every credential is genuine; binding is informational
    assert "SUBJECT_NOT_HOLDER" in {w["code"] for w in body["warnings"]}
    assert body["skills"][0]["subjectIsHolder"] is False

    anonymous = {k: v for k, v in document.items() if k not in ("holder", "proof")}
    unsigned = verify_passport(service, anonymous, {"allowUnsignedPresentation": True}).json()
    binding = next(c for c in unsigned["checks"] if c["check"] == "holderBinding")
    assert binding["outcome"] == "skipped" and binding["bound"] is False
