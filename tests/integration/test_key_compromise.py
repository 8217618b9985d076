"""A signing key reported compromised, over HTTP, on SQLite and PostgreSQL: what it signed
from the reported time on is revoked through the status lists in one operation, the key
leaves the did:web document's assertionMethod, earlier keys keep verifying, and the
report lists exactly the credentials affected."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from skillcred.core.proofs import add_proof
from skillcred.core.status_list import Bitstring
from skillcred.services.keystore import SigningKeyStores, key_stores
from skillcred.storage.repositories import AuditLog, SigningKeys
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service

pytestmark = pytest.mark.interop

BEFORE = 500
AFTER = 500


def issue_many(service: Service, api_key: str, count: int) -> list[dict[str, Any]]:
    issued = []
    for _ in range(count):
        response = service.issue(api_key, CREDENTIAL)
        assert response.status_code == 201, response.text
        issued.append(response.json()["verifiableCredential"])
    return issued


def verify(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = service.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    ).json()
    return answer


def served_bits(service: Service, credentials: list[dict[str, Any]]) -> list[int]:
    """Each credential's revocation bit in the status list as served now."""
    lists: dict[str, Bitstring] = {}
    bits = []
    for credential in credentials:
        entry = credential["credentialStatus"]
        url = entry["statusListCredential"]
        if url not in lists:
            served = service.client.get(urlsplit(url).path).json()
            lists[url] = Bitstring.decode(served["credentialSubject"]["encodedList"])
        bits.append(lists[url].get(int(entry["statusListIndex"])))
    return bits


def method_of(credential: dict[str, Any]) -> str:
    proof = credential["proof"]
    return str((proof[0] if isinstance(proof, list) else proof)["verificationMethod"])


def test_compromise_revokes_what_the_key_signed_after_the_time_given(
    service: Service, reference: ReferenceImplementation
) -> None:
    provider = service.create_provider("leaky", did_method="web")
    api_key, did = provider["apiKey"], provider["did"]
    # An earlier key, rotated out before the leak: what it signed stays valid everywhere.
    earliest = issue_many(service, api_key, 3)
    rotated = service.client.post("/admin/providers/leaky/rotate-key", headers=service.admin())
    assert rotated.status_code == 200, rotated.text

    before = issue_many(service, api_key, BEFORE)
    time.sleep(0.05)
    since = datetime.now(UTC)
    time.sleep(0.05)
    after = issue_many(service, api_key, AFTER)
    leaked = method_of(after[0])
    assert {method_of(c) for c in before + after} == {leaked}
    assert method_of(earliest[0]) != leaked
    key_id = leaked.partition("#")[2]

    response = service.client.post(
        f"/admin/providers/leaky/keys/{key_id}/compromise",
        json={"since": since.isoformat(), "reason": "laptop stolen"},
        headers=service.admin(),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    # The report: exactly the credentials signed after `since`, each revoked now.
    assert report["revoked"] == AFTER
    assert [c["credentialId"] for c in report["credentials"]] == [c["id"] for c in after]
    assert all(c["revoked"] and c["changed"] for c in report["credentials"])
    assert report["verificationMethod"] == leaked
    new_method = report["newVerificationMethod"]
    assert new_method and new_method != leaked

    # The served lists carry it: the ones after are revoked, the ones before are not.
    assert served_bits(service, after) == [1] * AFTER
    assert served_bits(service, before + earliest) == [0] * (BEFORE + 3)

    # The did:web document: the key leaves assertionMethod; the earlier and new keys stay.
    document = service.client.get("/providers/leaky/did.json").json()
    assert leaked not in document["assertionMethod"]
    assert method_of(earliest[0]) in document["assertionMethod"]
    assert new_method in document["assertionMethod"]
    assert leaked in [m["id"] for m in document["verificationMethod"]]

    # This service: before — valid (it holds their issuance record); after — revoked,
    # and says why.
    for credential in before[:20] + earliest:
        assert verify(service, credential)["verdict"] == "valid", verify(service, credential)
    for credential in after[:20]:
        answer = verify(service, credential)
        assert answer["verdict"] == "revoked", answer
        assert "signed with a key reported compromised" in answer["verdictReason"]
    # A credential forged with the leaked key — never issued here, even one dated before
    # the compromise and pointing at a status entry that is not set — is not valid here.
    forged = forge_with(service, leaked, before[0])
    answer = verify(service, forged)
    assert answer["verdict"] == "revoked", answer
    assert "signed with a key reported compromised" in answer["verdictReason"]

    # Digital Bazaar's reference, with what is published now: the leaked key's proofs no
    # longer verify (retired from assertionMethod), the earlier key's still do.
    lists = {c["credentialStatus"]["statusListCredential"] for c in (earliest + before + after)}
    served = {url: service.client.get(urlsplit(url).path).json() for url in lists}
    documents = {did: document, **served}
    for credential in (before[0], after[0], forged):
        assert (
            reference.verify(credential, documents=documents, checkStatus=True)["verified"] is False
        )
    answer = reference.verify(earliest[0], documents=documents, checkStatus=True)
    assert answer["verified"] is True, answer
    # The served status lists are signed by a key the document lists (the new one) and
    # the reference reads the revocations from them: given a DID document that still
    # lists the leaked key (a verifier's stale copy), it reports the ones after revoked
    # and the ones before not.
    stale = copy.deepcopy(document)
    stale["assertionMethod"].append(leaked)
    for credential, revoked in ((before[1], False), (after[1], True), (after[-1], True)):
        answer = reference.verify(credential, documents={**documents, did: stale}, checkStatus=True)
        statuses = {s["statusPurpose"]: s["status"] for s in answer.get("status", [])}
        assert statuses == {"revocation": revoked}, answer

    # The audit trail: the report, and each revocation with its reason.
    with service.database.reading() as session:
        events = list(AuditLog(session).stream(up_to=AuditLog(session).stored_head()[0]))
    compromised = [e for e in events if e.action == "key.compromised"]
    assert len(compromised) == 1 and compromised[0].subject == leaked
    assert compromised[0].reason == "laptop stolen"
    revocations = {e.subject for e in events if e.action == "credential.revoked"}
    assert revocations == {c["id"] for c in after}

    # Reported again: nothing more to revoke, the same credentials listed.
    again = service.client.post(
        f"/admin/providers/leaky/keys/{key_id}/compromise",
        json={"since": since.isoformat()},
        headers=service.admin(),
    ).json()
    assert again["revoked"] == 0 and len(again["credentials"]) == AFTER
    assert not any(c["changed"] for c in again["credentials"])
    # New credentials are signed with the new key and are valid.
    fresh = issue_many(service, api_key, 1)[0]
    assert method_of(fresh) == new_method
    assert verify(service, fresh)["verdict"] == "valid"


def forge_with(service: Service, method: str, model: dict[str, Any]) -> dict[str, Any]:
    """What a thief holding the leaked key could make: a new credential, backdated, using
    a status entry that is not set."""
    stores: SigningKeyStores = key_stores(service.settings)
    with service.database.reading() as session:
        row = SigningKeys(session).by_verification_method(method)
        assert row is not None
        signer = stores.signer(row)
    unsigned = {k: v for k, v in model.items() if k != "proof"}
    unsigned["id"] = "urn:uuid:00000000-0000-4000-8000-000000000bad"
    unsigned["credentialSubject"] = {**model["credentialSubject"], "skill": "forged"}
    created = datetime(2020, 1, 1, tzinfo=UTC)
    return add_proof(unsigned, signer=signer, created=created, loader=service_loader(service))


def service_loader(service: Service) -> Any:
    from skillcred.services.runtime import service_loader as loader

    return loader(service.settings)


def test_compromise_without_a_time_revokes_everything_the_key_signed(service: Service) -> None:
    provider = service.create_provider("gone")  # did:key
    issued = issue_many(service, provider["apiKey"], 20)
    leaked = method_of(issued[0])
    key_id = leaked.partition("#")[2]
    bad = [
        ({"since": "2999-01-01T00:00:00Z"}, 400, "future"),
        ({"since": "yesterday"}, 400, "since"),
        ({"until": "2020-01-01T00:00:00Z"}, 400, "until"),
    ]
    for body, status, word in bad:
        refused = service.client.post(
            f"/admin/providers/gone/keys/{key_id}/compromise", json=body, headers=service.admin()
        )
        assert refused.status_code == status and word in refused.json()["detail"], refused.text
    unknown = service.client.post(
        "/admin/providers/gone/keys/z6MkNotAKeyOfThisProvider/compromise",
        json={},
        headers=service.admin(),
    )
    assert unknown.status_code == 404
    assert served_bits(service, issued) == [0] * 20  # bad requests changed nothing

    response = service.client.post(
        f"/admin/providers/gone/keys/{key_id}/compromise", headers=service.admin()
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["since"] is None and report["revoked"] == 20
    assert {c["credentialId"] for c in report["credentials"]} == {c["id"] for c in issued}
    assert served_bits(service, issued) == [1] * 20
    for credential in issued[:3]:
        answer = verify(service, credential)
        assert answer["verdict"] == "revoked"
        assert "signed with a key reported compromised" in answer["verdictReason"]
    # A did:key provider gets a new key, hence a new DID; it issues under it.
    summary = {
        p["slug"]: p for p in service.client.get("/admin/providers", headers=service.admin()).json()
    }["gone"]
    assert summary["did"] != provider["did"] and provider["did"] in summary["earlierDids"]
    fresh = issue_many(service, provider["apiKey"], 1)[0]
    assert fresh["issuer"] == summary["did"] if isinstance(fresh["issuer"], str) else True
    assert verify(service, fresh)["verdict"] == "valid"
