"""Skill credentials verify in Digital Bazaar's reference implementation with the standard
contexts alone (VC 2.0, Open Badges 3.0), and it reads their revocation and suspension
entries right."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import pytest

from skillcred.core.jsonld.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from skillcred.core.values import as_list
from tests.integration.test_skills_api import DEFINITION, REQUEST, auth, issue, provider_with_skill
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service

pytestmark = pytest.mark.interop


def published(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    """The status lists a verifier elsewhere would fetch from this service: nothing else
    (no context of ours: the credential uses the standard ones only)."""
    documents = {}
    for entry in as_list(credential["credentialStatus"]):
        url = entry["statusListCredential"]
        documents[url] = service.client.get(urlsplit(url).path).json()
    return documents


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
        headers=auth(provider),
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_skill_credentials_verify_in_the_reference(
    service: Service, reference: ReferenceImplementation, cryptosuite: str
) -> None:
    provider = provider_with_skill(service)
    # A safety certificate: a revocation and a suspension entry, both read there ...
    certificate = issue(service, provider, {**REQUEST, "cryptosuite": cryptosuite}).json()[
        "verifiableCredential"
    ]
    assert certificate["@context"] == [CREDENTIALS_V2, OPEN_BADGES_V3]
    answer = reference.verify(
        certificate, documents=published(service, certificate), checkStatus=True
    )
    assert answer["verified"] is True, answer
    statuses = {s["statusPurpose"]: s["status"] for s in answer["status"]}
    assert statuses == {"revocation": False, "suspension": False}
    set_status(service, provider, certificate, "suspension")
    suspended = reference.verify(
        certificate, documents=published(service, certificate), checkStatus=True
    )
    statuses = {s["statusPurpose"]: s["status"] for s in suspended["status"]}
    assert statuses == {"revocation": False, "suspension": True}

    # ... and a competency (a plain revocation entry, which it reads).
    body = copy.deepcopy(REQUEST)
    body["cryptosuite"] = cryptosuite
    body["skill"] = {
        **DEFINITION,
        "key": "drawings",
        "achievementType": "Competency",
        "safetyCritical": False,
        "validityMonths": None,
    }
    competency = issue(service, provider, body).json()["verifiableCredential"]
    documents = published(service, competency)
    answer = reference.verify(competency, documents=documents, checkStatus=True)
    assert answer["verified"] is True, answer
    assert {s["statusPurpose"]: s["status"] for s in answer["status"]} == {"revocation": False}

    set_status(service, provider, competency, "revocation")
    revoked = reference.verify(
        competency, documents=published(service, competency), checkStatus=True
    )
    assert {s["statusPurpose"]: s["status"] for s in revoked["status"]} == {"revocation": True}

    competency["credentialSubject"]["result"][0]["achievedLevel"] = competency["credentialSubject"][
        "result"
    ][0]["achievedLevel"].replace("independent", "expert")
    assert (
        reference.verify(competency, documents=documents, checkStatus="skip")["verified"] is False
    )
