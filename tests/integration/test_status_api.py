"""Revocation and suspension over HTTP (Bitstring Status List v1.0), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import hashlib
from typing import Any
from urllib.parse import urlsplit

import pytest
import rfc8785

from skillcred.core.status_list import MIN_ENTRIES, Bitstring
from tests.integration.test_issuing_api import CREDENTIAL, verifier_for
from tests.support.service import Service

SAFETY = {**CREDENTIAL, "validUntil": "2099-01-01T00:00:00Z"}


def issue(
    service: Service,
    provider: dict[str, Any],
    credential: dict[str, Any] = CREDENTIAL,
    **options: Any,
) -> dict[str, Any]:
    response = service.issue(provider["apiKey"], credential, options or None)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()["verifiableCredential"]
    return issued


def change(
    service: Service,
    provider: dict[str, Any],
    credential_id: str,
    purpose: str,
    status: bool,
    **extra: Any,
) -> Any:
    return service.client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": status,
            **extra,
        },
        headers={"Authorization": f"Bearer {provider['apiKey']}"},
    )


def entries(credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status = credential["credentialStatus"]
    return {e["statusPurpose"]: e for e in (status if isinstance(status, list) else [status])}


def served_bit(service: Service, entry: dict[str, Any]) -> int:
    listed = service.client.get(urlsplit(entry["statusListCredential"]).path).json()
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    return bits.get(int(entry["statusListIndex"]))


def test_every_credential_gets_a_revocation_entry(service: Service) -> None:
    provider = service.create_provider("entries")
    plain = issue(service, provider)
    entry = plain["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"].isdigit() and int(entry["statusListIndex"]) < MIN_ENTRIES
    assert entry["statusListCredential"].startswith(f"{service.settings.base_url}/status-lists/")
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    assert plain["credentialSubject"] == CREDENTIAL["credentialSubject"]

    safety = issue(service, provider, SAFETY)
    assert set(entries(safety)) == {"revocation", "suspension"}
    asked = issue(service, provider, statusPurposes=["revocation", "suspension"])
    assert set(entries(asked)) == {"revocation", "suspension"}
    none = issue(service, provider, statusPurposes=[])
    assert "credentialStatus" not in none

    own_status = {"id": "https://example.org/status/1#5", "type": "CredentialStatusList2017"}
    kept = issue(service, provider, {**CREDENTIAL, "credentialStatus": own_status})
    assert kept["credentialStatus"] == own_status


def test_bad_status_purpose_option_is_400(service: Service) -> None:
    provider = service.create_provider("badpurpose")
    response = service.issue(provider["apiKey"], CREDENTIAL, {"statusPurposes": ["refresh"]})
    assert response.status_code == 400
    assert "unknown status purpose 'refresh'" in response.json()["detail"]


def test_status_list_credential_is_a_signed_bitstring_status_list(service: Service) -> None:
    provider = service.create_provider("lists", did_method="web")
    credential = issue(service, provider)
    url = credential["credentialStatus"]["statusListCredential"]
    response = service.client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "max-age=" in response.headers["cache-control"] and response.headers["etag"]
    listed = response.json()
    assert listed["id"] == url
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert listed["issuer"] == provider["did"]
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert subject["encodedList"].startswith("u")
    assert Bitstring.decode(subject["encodedList"]).entries == MIN_ENTRIES
    assert verifier_for(service).verify_credential(listed, checks={"validityPeriod"}).verified

    # Not re-signed while nothing changed.
    again = service.client.get(urlsplit(url).path)
    assert again.content == response.content
    assert (
        service.client.get(
            urlsplit(url).path, headers={"If-None-Match": response.headers["etag"]}
        ).status_code
        == 304
    )
    assert service.client.get("/status-lists/no-such-list").status_code == 404


def test_revocation_is_visible_and_final(service: Service) -> None:
    provider = service.create_provider("revoker")
    credential = issue(service, provider)
    entry = credential["credentialStatus"]
    verifier = verifier_for(service)
    assert verifier.verify_credential(credential).verified
    before = service.client.get(urlsplit(entry["statusListCredential"]).path).content

    response = change(service, provider, credential["id"], "revocation", True, reason="exam fraud")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "credentialId": credential["id"],
        "statusPurpose": "revocation",
        "status": True,
        "changed": True,
        "statusListCredential": entry["statusListCredential"],
    }
    assert served_bit(service, entry) == 1
    assert service.client.get(urlsplit(entry["statusListCredential"]).path).content != before
    result = verifier.verify_credential(credential)
    assert not result.verified
    assert result.find_check("status").outcome == "failed"  # type: ignore[union-attr]
    assert result.errors[0].code == "CREDENTIAL_REVOKED"

    assert (
        change(service, provider, credential["id"], "revocation", True).json()["changed"] is False
    )
    refused = change(service, provider, credential["id"], "revocation", False)
    assert refused.status_code == 409
    assert "revocation is final" in refused.json()["detail"]
    assert served_bit(service, entry) == 1


def test_suspension_can_be_lifted(service: Service) -> None:
    provider = service.create_provider("suspender")
    credential = issue(service, provider, SAFETY)
    entry = entries(credential)["suspension"]
    verifier = verifier_for(service)
    assert change(service, provider, credential["id"], "suspension", True).status_code == 200
    assert served_bit(service, entry) == 1
    suspended = verifier.verify_credential(credential)
    assert not suspended.verified
    assert suspended.errors[0].code == "CREDENTIAL_SUSPENDED"
    assert change(service, provider, credential["id"], "suspension", False).status_code == 200
    assert served_bit(service, entry) == 0
    assert verifier.verify_credential(credential).verified


def test_status_changes_are_scoped_to_the_provider(service: Service) -> None:
    alice = service.create_provider("alice-s")
    bob = service.create_provider("bob-s")
    credential = issue(service, alice)
    assert change(service, bob, credential["id"], "revocation", True).status_code == 404
    assert change(service, alice, "urn:uuid:nope", "revocation", True).status_code == 404
    no_suspension = change(service, alice, credential["id"], "suspension", True)
    assert no_suspension.status_code == 404
    assert "no suspension status entry" in no_suspension.json()["detail"]
    assert served_bit(service, credential["credentialStatus"]) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"credentialId": "x", "status": True}, "credentialStatus: is required"),
        (
            {
                "credentialId": "x",
                "credentialStatus": {"type": "StatusList2021", "statusPurpose": "revocation"},
                "status": True,
            },
            "credentialStatus.type",
        ),
        (
            {
                "credentialId": "x",
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "refresh"},
                "status": True,
            },
            "credentialStatus.statusPurpose",
        ),
        (
            {
                "credentialId": "x",
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
                "status": "yes",
            },
            "status",
        ),
        (
            {
                "credentialId": "x",
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
                "status": True,
                "extra": 1,
            },
            "extra: is not a field",
        ),
    ],
)
def test_bad_status_requests_are_400(service: Service, body: dict[str, Any], message: str) -> None:
    provider = service.create_provider("badreq")
    response = service.client.post(
        "/credentials/status", json=body, headers={"Authorization": f"Bearer {provider['apiKey']}"}
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
    assert service.client.post("/credentials/status", json=body).status_code == 401


def test_audit_trail_records_who_when_and_why(service: Service) -> None:
    provider = service.create_provider("audited")
    credential = issue(service, provider, SAFETY)
    change(service, provider, credential["id"], "suspension", True, reason="pending re-assessment")
    change(service, provider, credential["id"], "suspension", False, reason="re-assessed: passed")
    change(service, provider, credential["id"], "revocation", True, reason="withdrawn")
    service.client.post("/admin/providers/audited/rotate-key", headers=service.admin())
    other = service.create_provider("not-audited")
    issue(service, other)

    own = service.client.get(
        "/audit/events", headers={"Authorization": f"Bearer {provider['apiKey']}"}
    )
    assert own.status_code == 200
    events = own.json()["events"]
    assert [e["action"] for e in events] == [
        "provider.created",
        "credential.issued",
        "credential.suspended",
        "credential.reinstated",
        "credential.revoked",
        "key.rotated",
    ]
    assert events[2]["reason"] == "pending re-assessment"
    assert events[2]["actor"] == "provider:audited"
    assert events[1]["subject"] == credential["id"]
    assert all(e["subject"] != other["did"] for e in events)
    assert all(len(e["hash"]) == len(e["prevHash"]) == 64 for e in events)
    assert len({e["hash"] for e in events}) == len(events)
    # every field shown is the one hashed: an auditor recomputes each hash from the JSON
    for event in events:
        shown = {k: v for k, v in event.items() if k != "hash"}
        assert hashlib.sha256(rfc8785.dumps(shown)).hexdigest() == event["hash"]
    assert {e["providerId"] for e in events} == {events[0]["providerId"]}

    assert service.client.get("/audit/events").status_code == 401
    page = service.client.get(
        "/audit/events?limit=2", headers={"Authorization": f"Bearer {provider['apiKey']}"}
    ).json()
    assert len(page["events"]) == 2 and page["next"] == page["events"][-1]["seq"]


def test_list_rolls_over_when_full_and_indexes_are_never_reused(service: Service) -> None:
    """A small list (the service refuses fewer than 131,072 entries; this test builds one
    directly) fills, is closed, and a fresh list takes the next entries."""
    from skillcred.services.status import StatusService

    context = service.client.app.state.context  # type: ignore[attr-defined]
    small = StatusService(
        context.database,
        writer=context.writer,
        signers=context.signers,
        loader=context.loader,
        base_url=context.settings.base_url,
        ttl_seconds=0,
        entries=64,
        block=8,
    )
    provider_json = service.create_provider("tiny")
    provider = context.directory.authenticate(provider_json["apiKey"])
    taken = []
    for _ in range(150):
        credential = copy.deepcopy(CREDENTIAL)
        credential["issuer"] = provider.did
        _document, allocations = small.allocate(provider, credential, None)
        taken.extend((a.list_id, a.index) for a in allocations)
    assert len(taken) == 150 == len(set(taken))
    lists = {list_id for list_id, _ in taken}
    assert len(lists) == 3
    assert all(0 <= index < 64 for _, index in taken)
