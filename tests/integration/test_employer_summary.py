"""The summary an employer reads (and the page renders) for each skill: whose skill, the
skill and level with its EQF level, how it was assessed, who vouches for it and on what
basis, the problems behind the verdict by code, and — for a suspension on this service's
own list — the reason the provider gave."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from skillcred import Ed25519KeyPair, sign_credential
from skillcred.services import audit
from skillcred.services.status import LOCAL_READ_SECONDS, REASON_SHOWN
from skillcred.storage.repositories import Providers
from tests.conftest import REPO_ROOT
from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service

EXAMPLES = REPO_ROOT / "examples"
DEFINITION: dict[str, Any] = json.loads((EXAMPLES / "skill-definition.json").read_text())
REQUEST: dict[str, Any] = json.loads((EXAMPLES / "skill-credential-request.json").read_text())


def _provider(service: Service) -> dict[str, Any]:
    provider = service.create_provider("lasschool", name="Lasschool Twente")
    response = service.client.post("/skills", json=DEFINITION, headers=_auth(provider))
    assert response.status_code == 201, response.text
    return provider


def _auth(provider: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider['apiKey']}"}


def _issue(service: Service, provider: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    response = service.client.post("/skill-credentials", json=body, headers=_auth(provider))
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    return credential


def _summary(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    body = service.client.post("/credentials/verify", json={"verifiableCredential": credential})
    summary: dict[str, Any] = body.json()["summary"]
    return summary


def _set_status(
    service: Service,
    provider: dict[str, Any],
    credential: dict[str, Any],
    purpose: str,
    status: bool,
    reason: str | None = None,
) -> None:
    response = service.client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": status,
            **({"reason": reason} if reason else {}),
        },
        headers=_auth(provider),
    )
    assert response.status_code == 200, response.text


def test_whose_skill_what_how_and_who_says_so(service: Service) -> None:
    provider = _provider(service)
    request = copy.deepcopy(REQUEST)
    request["holder"] = {"email": "Pieter.Jansen@Example.nl", "name": "Pieter Jansen"}
    credential = _issue(service, provider, request)
    summary = _summary(service, credential)

    assert summary["verdict"] == "valid" and summary["genuine"] is True
    assert summary["reasons"] == []
    holder = summary["holder"]
    assert holder["name"] == "Pieter Jansen" and holder["id"] is None
    # The hashed address: what a reader compares the worker's address with, locally.
    email = holder["emailHash"]
    expected = hashlib.sha256(("pieter.jansen@example.nl" + email["salt"]).encode()).hexdigest()
    assert (email["algorithm"], email["hash"]) == ("sha256", expected)
    assert (summary["skill"], summary["level"], summary["levelEqf"]) == (
        "MIG/MAG fillet welding",
        "Independent",
        3,
    )
    assert summary["safetyCritical"] is True and summary["achievementType"] == "Certification"
    assert summary["frameworks"][0]["framework"] == "ESCO"
    assert summary["assessment"] == {
        "date": "2026-02-27T00:00:00Z",
        "method": "practical",
        "assessor": "J. de Vries",
        "qualification": "IWI-C welding inspector",
        "body": "Lasinstituut Oost",
        "name": "Practical assessment",
        "narrative": REQUEST["assessment"]["narrative"],
        "url": None,
    }
    assert summary["evidence"] == [
        {
            "name": "Test report",
            "url": "https://lasschool.example/reports/2026-0227-118",
            "narrative": "Inspection report of the test pieces.",
        }
    ]
    assert summary["issuer"] == {
        "id": provider["did"],
        "name": "Lasschool Twente",
        "knownName": "Lasschool Twente",
        "trust": "registered",
        "trustList": None,
    }
    assert summary["status"] == {
        "revoked": False,
        "suspended": False,
        "lists": ["revocation", "suspension"],
    }


def test_an_assessor_id_is_not_read_as_a_qualification(service: Service) -> None:
    provider = _provider(service)
    request = copy.deepcopy(REQUEST)
    request["assessment"]["assessor"] = {
        "name": "A. Bakker",
        "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    }
    assessment = _summary(service, _issue(service, provider, request))["assessment"]
    assert (assessment["assessor"], assessment["qualification"]) == ("A. Bakker", None)


def test_a_suspension_shows_the_reason_the_provider_gave_until_it_is_lifted(
    service: Service,
) -> None:
    provider = _provider(service)
    credential = _issue(service, provider, REQUEST)
    _set_status(service, provider, credential, "suspension", True, "pending re-assessment")
    summary = _summary(service, credential)
    assert summary["verdict"] == "suspended"
    assert summary["status"]["suspensionReason"] == "pending re-assessment"
    assert [r["code"] for r in summary["reasons"]] == ["CREDENTIAL_SUSPENDED"]
    # The reason sits in the status check too, beside the bit it explains.
    body = service.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    ).json()
    statuses = next(c for c in body["checks"] if c["check"] == "status")["statuses"]
    assert [s.get("statusReason") for s in statuses] == [None, "pending re-assessment"]

    _set_status(service, provider, credential, "suspension", False, "re-assessed: passed")
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a worker re-reads its own lists' bits after this
    summary = _summary(service, credential)
    assert summary["verdict"] == "valid"
    assert "suspensionReason" not in summary["status"]

    # Suspended again without a reason: no earlier reason is shown for it.
    _set_status(service, provider, credential, "suspension", True)
    time.sleep(LOCAL_READ_SECONDS + 0.1)
    summary = _summary(service, credential)
    assert summary["verdict"] == "suspended"
    assert "suspensionReason" not in summary["status"]


def test_a_reason_recorded_before_reasons_were_shown_stays_in_the_audit_trail(
    service: Service,
) -> None:
    """Reasons given while the API said only "kept in the audit trail" are not published
    now: only a suspension recorded with the reason marked as shown to verifiers is."""
    provider = _provider(service)
    credential = _issue(service, provider, REQUEST)
    _set_status(service, provider, credential, "suspension", True, "pending re-assessment")
    with service.database.writing() as session:
        row = Providers(session).by_slug("lasschool")
        assert row is not None
        audit.record(
            session,
            actor="provider:lasschool",
            action="credential.suspended",
            provider_id=row.id,
            subject=credential["id"],
            reason="a private note from before",
            data={"statusListIndex": 1},
        )
    summary = _summary(service, credential)
    assert summary["verdict"] == "suspended"
    assert "suspensionReason" not in summary["status"]
    events = service.client.get("/audit/events", headers=_auth(provider)).json()["events"]
    assert [
        e["data"].get(REASON_SHOWN) for e in events if e["action"] == "credential.suspended"
    ] == [
        True,
        None,
    ]


def test_the_reasons_behind_a_verdict_carry_their_codes(service: Service) -> None:
    provider = _provider(service)
    credential = _issue(service, provider, REQUEST)
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["result"][0]["achievedLevel"] = tampered["credentialSubject"][
        "result"
    ][0]["achievedLevel"].replace("independent", "expert")
    summary = _summary(service, tampered)
    assert summary["verdict"] == "not-genuine" and summary["genuine"] is False
    assert [r["code"] for r in summary["reasons"]] == ["PROOF_VERIFICATION_ERROR"]
    # Nothing vouches for the issuer it names: no basis for trust is reported.
    assert summary["issuer"]["trust"] is None and summary["issuer"]["knownName"] is None

    impostor_key = Ed25519KeyPair.generate()
    unsigned = {k: v for k, v in credential.items() if k not in ("proof", "credentialStatus")}
    impostor = sign_credential(unsigned, key=impostor_key)
    summary = _summary(service, impostor)
    assert summary["verdict"] == "not-genuine"
    assert [r["code"] for r in summary["reasons"]] == ["ISSUER_MISMATCH"]

    # The provider's name under a key of its own: genuine, but nobody known vouches.
    own = sign_credential(
        {**unsigned, "issuer": {**unsigned["issuer"], "id": impostor_key.controller}},
        key=impostor_key,
    )
    summary = _summary(service, own)
    assert summary["verdict"] == "untrusted-issuer"
    assert [r["code"] for r in summary["reasons"]] == ["UNTRUSTED_ISSUER"]
    assert summary["issuer"]["trust"] == "unknown"
    assert summary["issuer"]["name"] == "Lasschool Twente"
    assert summary["issuer"]["knownName"] is None
    assert summary["status"]["lists"] == []

    unknown = copy.deepcopy(credential)
    unknown["@context"].append("https://contexts.example/welding/v1")
    summary = _summary(service, unknown)
    assert summary["verdict"] == "cannot-check"
    assert [(r["check"], r["code"]) for r in summary["reasons"]] == [("proof", "UNKNOWN_CONTEXT")]


def test_a_named_trust_list_is_the_basis_reported(tmp_path: Path) -> None:
    stranger = Ed25519KeyPair.generate()
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "name": "Erkende opleiders metaal",
                "issuers": [{"did": stranger.controller, "name": "Techniek Nederland"}],
            }
        )
    )
    credential = sign_credential(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": stranger.controller,
            "credentialSubject": {"id": "did:example:worker"},
        },
        key=stranger,
    )
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data", trust_list_file=trust) as service,
    ):
        summary = _summary(service, credential)
    assert summary["verdict"] == "valid"
    assert summary["issuer"]["trust"] == "trust-list"
    assert summary["issuer"]["trustList"] == "Erkende opleiders metaal"
    assert summary["issuer"]["knownName"] == "Techniek Nederland"


def test_a_profile_v1_credential_is_summarised_too() -> None:
    from skillcred.core.passport import summary
    from skillcred.core.verifying import Verifier

    credentials = json.loads(
        (REPO_ROOT / "tests" / "data" / "legacy-profile-v1" / "credentials.json").read_text()
    )
    credential = credentials["lasschool-safety"]
    # Offline and without its context, it cannot be checked; its claims are still read.
    result = Verifier().verify_credential(credential)
    read = summary(credential, result)
    assert read["verdict"] == "cannot-check"
    assert read["safetyCritical"] is True
    assert read["assessment"]["assessor"] == "J. de Vries"
    assert read["assessment"]["qualification"] == "IWI-C welding inspector"
    assert read["assessment"]["method"] == "practical"
