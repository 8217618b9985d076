"""The skills passport profile: skill definitions, skill-shaped issuance (Open Badges 3.0 in
standard terms, the profile's schema and 1EdTech's), revocation and suspension entries,
batches, and the examples kept working."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from sqlalchemy import func, select

from skillcred.core.jsonld.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from skillcred.core.schemas import OB_ACHIEVEMENT_CREDENTIAL, SKILLS_PROFILE_V2
from skillcred.storage.models import IssuedCredential
from tests.conftest import REPO_ROOT, load_vector
from tests.support.service import Service

EXAMPLES = REPO_ROOT / "examples"
DEFINITION: dict[str, Any] = json.loads((EXAMPLES / "skill-definition.json").read_text())
REQUEST: dict[str, Any] = json.loads((EXAMPLES / "skill-credential-request.json").read_text())


def stored(service: Service) -> int:
    with service.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(IssuedCredential)) or 0)


def provider_with_skill(service: Service, slug: str = "lasschool") -> dict[str, Any]:
    provider = service.create_provider(slug, name="Lasschool Twente")
    response = service.client.post("/skills", json=DEFINITION, headers=auth(provider))
    assert response.status_code == 201, response.text
    return provider


def auth(provider: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider['apiKey']}"}


def issue(service: Service, provider: dict[str, Any], body: dict[str, Any]) -> Any:
    return service.client.post("/skill-credentials", json=body, headers=auth(provider))


def validate_both(credential: dict[str, Any]) -> None:
    """This profile's schema (draft 2019-09, as DCC's verifier reads schemas) and 1EdTech's
    AchievementCredential schema, run directly. A credential with two status entries names
    only the profile's schema (1EdTech's takes one status object); everything else in it
    must hold 1EdTech's schema all the same."""
    profile = json.loads((REPO_ROOT / "schemas" / "skills" / "v2.json").read_text())
    jsonschema.Draft201909Validator(
        profile, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    ).validate(credential)
    named = [entry["id"] for entry in credential["credentialSchema"]]
    ob = load_vector("ob3", "ob_v3p0_achievementcredential_schema.json")
    if isinstance(credential["credentialStatus"], list):
        assert named == [SKILLS_PROFILE_V2]
        credential = {**credential, "credentialStatus": credential["credentialStatus"][0]}
    else:
        assert named == [OB_ACHIEVEMENT_CREDENTIAL, SKILLS_PROFILE_V2]
    jsonschema.Draft201909Validator(ob).validate(credential)


def test_skill_credential_from_a_registered_skill(service: Service) -> None:
    provider = provider_with_skill(service)
    response = issue(service, provider, REQUEST)
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    validate_both(credential)
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["id"] == f"{service.settings.base_url}/providers/lasschool/skills/mig-fillet"
    assert achievement["achievementType"] == "Certification"
    assert achievement["alignment"][0]["targetFramework"] == "ESCO"
    assert subject["result"][0]["achievedLevel"].endswith("#level-independent")
    assert credential["issuer"] == {
        "id": provider["did"],
        "type": ["Profile"],
        "name": "Lasschool Twente",
    }
    # Standard terms only: the VC 2.0 and Open Badges 3.0 contexts, nothing of our own.
    assert credential["@context"] == [CREDENTIALS_V2, OPEN_BADGES_V3]
    assessment = credential["evidence"][0]
    assert assessment["genre"] == "practical"
    assert assessment["description"] == (
        "Assessed by J. de Vries (IWI-C welding inspector) on 2026-02-27."
    )
    assert achievement["tag"] == ["safety-critical"]
    assert subject["source"]["name"] == "Lasinstituut Oost"
    assert isinstance(credential["proof"], list)
    # A safety certificate: validUntil from the skill's validityMonths, and two 1-bit
    # entries (revocation, suspension) that every status list verifier reads right.
    assert credential["validUntil"] > credential["validFrom"]
    assert [e["statusPurpose"] for e in credential["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert not any("statusSize" in e for e in credential["credentialStatus"])

    body = service.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    ).json()
    assert body["verified"] is True, body["errors"]
    summary = body["summary"]
    assert (summary["verdict"], summary["level"], summary["provider"]) == (
        "valid",
        "Independent",
        "Lasschool Twente",
    )

    # The same skill always has the same achievement id; the id resolves here.
    again = issue(service, provider, {**REQUEST, "level": "expert"}).json()["verifiableCredential"]
    assert again["credentialSubject"]["achievement"]["id"] == achievement["id"]
    public = service.client.get("/providers/lasschool/skills/mig-fillet")
    assert public.status_code == 200 and public.json()["id"] == achievement["id"]


def test_skill_defined_in_place_and_a_hashed_email_holder(service: Service) -> None:
    provider = service.create_provider("inplace")
    body = copy.deepcopy(REQUEST)
    body["skill"] = {
        **DEFINITION,
        "key": "working-at-height",
        "achievementType": "Competency",
        "safetyCritical": False,
        "validityMonths": None,
    }
    body["holder"] = {"email": "Pieter.Jansen@example.nl", "name": "Pieter Jansen"}
    response = issue(service, provider, body)
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    validate_both(credential)
    identifier = credential["credentialSubject"]["identifier"][0]
    assert identifier["identityHash"].startswith("sha256$") and identifier["hashed"] is True
    assert "example.nl" not in json.dumps(credential)
    # Not a safety certificate: a plain revocation entry that every verifier reads.
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    assert "validUntil" not in credential


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (
            lambda b: b.update(skill="crane-operation"),
            422,
            "skill: this provider has registered no skill",
        ),
        (lambda b: b.update(level="master"), 422, "level: 'master' is not a level of this skill"),
        (lambda b: b.pop("holder"), 400, "holder: is required"),
        (lambda b: b["holder"].pop("id"), 400, "a holder needs an id (a DID) or an email address"),
        (
            lambda b: b.update(
                skill={
                    **DEFINITION,
                    "alignment": [
                        {"framework": "ESCO", "url": "http://data.europa.eu/esco/skill/not-a-uuid"}
                    ],
                }
            ),
            400,
            "url must be an ESCO skill URI",
        ),
        (
            lambda b: b.update(
                skill={**DEFINITION, "alignment": [{"framework": "Metalektro", "url": "not a uri"}]}
            ),
            400,
            "url must be an http(s) URI",
        ),
        (
            lambda b: b.update(validFrom="2026-06-01T00:00:00Z", validUntil="2026-01-01T00:00:00Z"),
            422,
            "validUntil: 2026-01-01T00:00:00Z is not after validFrom",
        ),
        (lambda b: b["assessment"].update(method="guesswork"), 400, "assessment.method"),
        (lambda b: b["assessment"].update(date="27-02-2026"), 400, "assessment.date"),
    ],
)
def test_bad_skill_requests_name_the_field_and_issue_nothing(
    service: Service, change: Any, status: int, message: str
) -> None:
    provider = provider_with_skill(service)
    body = copy.deepcopy(REQUEST)
    change(body)
    response = issue(service, provider, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]
    assert stored(service) == 0


def test_suspension_and_revocation_of_a_safety_certificate(service: Service) -> None:
    provider = provider_with_skill(service)
    credential = issue(service, provider, REQUEST).json()["verifiableCredential"]

    def change(purpose: str, status: bool) -> Any:
        return service.client.post(
            "/credentials/status",
            json={
                "credentialId": credential["id"],
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
                "status": status,
            },
            headers=auth(provider),
        )

    def verdict() -> str:
        body = service.client.post(
            "/credentials/verify", json={"verifiableCredential": credential}
        ).json()
        return str(body["summary"]["verdict"])

    import time

    assert change("suspension", True).json()["changed"] is True
    time.sleep(1.1)  # a worker reuses its own list's bits for a second
    assert verdict() == "suspended"
    assert change("suspension", False).json()["changed"] is True
    time.sleep(1.1)
    assert verdict() == "valid"
    assert change("revocation", True).status_code == 200
    time.sleep(1.1)
    assert verdict() == "revoked"
    for purpose, status in (("revocation", False), ("suspension", True), ("suspension", False)):
        refused = change(purpose, status)
        assert refused.status_code == 409, (purpose, status)
        assert "revocation is final" in refused.json()["detail"]


def test_skill_definitions_are_per_provider(service: Service) -> None:
    alice = provider_with_skill(service, "alice-skills")
    bob = service.create_provider("bob-skills")
    assert service.client.get("/skills/mig-fillet", headers=auth(alice)).status_code == 200
    assert service.client.get("/skills/mig-fillet", headers=auth(bob)).status_code == 404
    assert issue(service, bob, REQUEST).status_code == 422
    duplicate = service.client.post("/skills", json=DEFINITION, headers=auth(alice))
    assert duplicate.status_code == 409
    bad = service.client.post("/skills", json={**DEFINITION, "levels": []}, headers=auth(alice))
    assert bad.status_code == 400 and "levels" in bad.json()["detail"]


def test_batch_over_http_json_and_csv(service: Service) -> None:
    provider = provider_with_skill(service)
    rows = [REQUEST, {**REQUEST, "level": "nope"}, {**REQUEST, "level": "basic"}]
    response = service.client.post("/skill-credentials/batch", json=rows, headers=auth(provider))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {"rows": 3, "issued": 2, "alreadyIssued": 0, "failed": 1}
    failed = [r for r in body["results"] if r["outcome"] == "failed"]
    assert failed == [{"line": 2, "outcome": "failed", "error": failed[0]["error"]}]
    assert "level: 'nope'" in failed[0]["error"]
    assert all("verifiableCredential" in r for r in body["results"] if r["outcome"] == "issued")

    again = service.client.post(
        "/skill-credentials/batch", json=rows, headers=auth(provider)
    ).json()
    assert again["summary"] == {"rows": 3, "issued": 0, "alreadyIssued": 2, "failed": 1}
    assert stored(service) == 2

    csv_text = (EXAMPLES / "results.csv").read_text()
    uploaded = service.client.post(
        "/skill-credentials/batch",
        content=csv_text.encode(),
        headers={**auth(provider), "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["summary"]["issued"] == 3
    for result in uploaded.json()["results"]:
        validate_both(result["verifiableCredential"])

    bad_csv = service.client.post(
        "/skill-credentials/batch",
        content=b"holder,skill\nx,y\n",
        headers={**auth(provider), "Content-Type": "text/csv"},
    )
    assert bad_csv.status_code == 400 and "unknown column 'holder'" in bad_csv.json()["detail"]


def test_the_documented_example_credential_is_complete_and_genuine() -> None:
    """examples/skill-credential.json (shown in docs/skills-profile.md) passes its schemas
    and its signature verifies against its issuer's did:web document — with the shipped
    contexts and schemas alone, as any installation has them."""
    from skillcred import Verifier
    from skillcred.core.dids.resolver import MethodResolver
    from skillcred.core.schemas import JsonSchemaChecker

    credential = json.loads((EXAMPLES / "skill-credential.json").read_text())
    did_document = json.loads((EXAMPLES / "provider-did.json").read_text())
    validate_both(credential)
    verifier = Verifier(
        resolver=MethodResolver({"web": lambda did: did_document}), schemas=JsonSchemaChecker()
    )
    result = verifier.verify_credential(credential, checks={"credentialSchema"})
    assert result.verified, result.to_json()["errors"]
