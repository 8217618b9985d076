"""Skill credentials verify in Digital Bazaar's reference implementation with the Open
Badges 3.0 context and the skills profile context (as a wallet would fetch them here)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.test_skills_api import DEFINITION, REQUEST, auth, issue, provider_with_skill
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service

pytestmark = pytest.mark.interop


def published(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    """The documents a verifier elsewhere would fetch from this service."""
    documents = {}
    for url in credential["@context"]:
        if url.startswith(service.settings.base_url):
            documents[url] = service.client.get(urlsplit(url).path).json()
    status_url = credential["credentialStatus"]["statusListCredential"]
    documents[status_url] = service.client.get(urlsplit(status_url).path).json()
    return documents


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_skill_credentials_verify_in_the_reference(
    service: Service, reference: ReferenceImplementation, cryptosuite: str
) -> None:
    provider = provider_with_skill(service)
    # A safety certificate (one two-bit entry, which the reference does not read) ...
    certificate = issue(service, provider, {**REQUEST, "cryptosuite": cryptosuite}).json()[
        "verifiableCredential"
    ]
    answer = reference.verify(
        certificate, documents=published(service, certificate), checkStatus="skip"
    )
    assert answer["verified"] is True, answer

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

    service.client.post(
        "/credentials/status",
        json={
            "credentialId": competency["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=auth(provider),
    )
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
