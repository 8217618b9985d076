"""Verification that needs other parties' documents: a did:web issuer and its status list
served over HTTPS by a test server; an unreachable did:web; SSRF attempts refused before
any request is made."""

from __future__ import annotations

from typing import Any

import pytest

from skillcred import Ed25519KeyPair, add_proof, default_loader, sign_credential
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.status_list import Bitstring, list_credential
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.https_server import DocumentServer
from tests.support.service import Service


def web_issuer(server: DocumentServer) -> Ed25519KeyPair:
    """Another issuer, did:web, whose DID document the test server publishes."""
    did = server.did
    key = Ed25519KeyPair.generate()
    key = Ed25519KeyPair.from_seed(key.seed(), controller=did, verification_method=f"{did}#key-1")
    server.put(
        "/.well-known/did.json",
        {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [key.to_verification_method()],
            "assertionMethod": [key.verification_method],
        },
    )
    return key


def publish_list(server: DocumentServer, key: Ed25519KeyPair, revoked: list[int]) -> str:
    bits = Bitstring.empty()
    for index in revoked:
        bits.set(index, 1)
    url = server.url("/status/1")
    document = list_credential(
        list_url=url,
        issuer=key.controller,
        purpose="revocation",
        bitstring=bits,
        valid_from=format_date_time(utc_now()),
    )
    server.put("/status/1", add_proof(document, signer=key, loader=default_loader()))
    return url


def remote_credential(key: Ed25519KeyPair, list_url: str | None, index: int = 7) -> dict[str, Any]:
    credential = {**CREDENTIAL, "issuer": key.controller}
    if list_url is not None:
        credential["credentialStatus"] = {
            "id": f"{list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": list_url,
        }
    return sign_credential(credential, key=key)


def verify(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = service.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    ).json()
    return body


def test_did_web_issuer_with_a_remote_status_list(
    open_service: Service, remote: DocumentServer
) -> None:
    key = web_issuer(remote)
    list_url = publish_list(remote, key, revoked=[3])
    active = verify(open_service, remote_credential(key, list_url, index=7))
    assert active["verified"] is True, active
    assert active["summary"]["verdict"] == "untrusted-issuer"  # genuine, but not registered here
    statuses = next(c for c in active["checks"] if c["check"] == "status")["statuses"]
    assert statuses[0]["source"] == "remote" and statuses[0]["value"] == 0

    revoked = verify(open_service, remote_credential(key, list_url, index=3))
    assert revoked["verified"] is False
    assert revoked["summary"]["verdict"] == "revoked"
    assert "/.well-known/did.json" in remote.requests and "/status/1" in remote.requests


def test_status_list_signed_by_someone_else_is_refused(
    open_service: Service, remote: DocumentServer
) -> None:
    key = web_issuer(remote)
    list_url = publish_list(remote, Ed25519KeyPair.generate(), revoked=[])
    body = verify(open_service, remote_credential(key, list_url))
    assert body["verified"] is False
    status = next(c for c in body["checks"] if c["check"] == "status")
    assert status["outcome"] == "not-performed"
    assert "not by the credential's issuer" in status["problems"][0]["detail"]


def test_unreachable_did_web(open_service: Service, remote: DocumentServer) -> None:
    key = web_issuer(remote)
    credential = remote_credential(key, None)
    remote.documents.clear()  # the DID document is gone: 404
    body = verify(open_service, credential)
    assert body["verified"] is False
    # We could not learn the issuer's keys: that is no evidence of forgery.
    assert body["summary"]["verdict"] == "cannot-check"
    assert body["verdict"] == "cannot-check"
    assert body["notChecked"][0]["check"] == "proof"
    detail = body["errors"][0]["detail"]
    assert "could not be fetched" in detail and "404" in detail

    nowhere = Ed25519KeyPair.generate()
    did = "did:web:localhost%3A1"  # nothing listens on port 1
    nowhere = Ed25519KeyPair.from_seed(
        nowhere.seed(), controller=did, verification_method=f"{did}#k"
    )
    body = verify(open_service, sign_credential({**CREDENTIAL, "issuer": did}, key=nowhere))
    assert body["verified"] is False
    assert body["verdict"] == "cannot-check"
    assert "could not be fetched" in body["errors"][0]["detail"]


def test_ssrf_did_web_on_loopback_is_refused_without_a_request(
    guarded_service: Service, remote: DocumentServer
) -> None:
    key = web_issuer(remote)
    body = verify(guarded_service, remote_credential(key, None))
    assert body["verified"] is False
    detail = body["errors"][0]["detail"]
    assert "loopback, private or reserved address" in detail
    assert "SKILLCRED_UNSAFE_ALLOW_PRIVATE_ADDRESSES" in detail
    assert remote.requests == []


@pytest.mark.parametrize(
    "list_url",
    [
        "https://127.0.0.1:9/status/1",
        "https://10.0.0.8/status/1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/status/1",
        "http://skills.example/status/1",
    ],
)
def test_ssrf_status_list_is_refused_without_a_request(
    guarded_service: Service, remote: DocumentServer, list_url: str
) -> None:
    issuer = Ed25519KeyPair.generate()
    body = verify(guarded_service, remote_credential(issuer, list_url))
    assert body["verified"] is False
    status = next(c for c in body["checks"] if c["check"] == "status")
    assert status["outcome"] == "not-performed"
    detail = status["problems"][0]["detail"]
    assert ("only https://" in detail) or ("loopback, private or reserved" in detail)
    assert remote.requests == []
