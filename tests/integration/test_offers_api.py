"""Offers and the OpenID4VCI issuer, in-process on SQLite and PostgreSQL: the flow a wallet
takes, and every way of getting it wrong refused with the specification's error and
nothing issued (single use, transaction code tries, expiry, withdrawal, key proofs,
tokens scoped to their offer, concurrent requests)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from skillcred.core.datetimes import utc_now
from skillcred.services.audit import verify_stored_chain
from skillcred.storage.models import AuditEvent, Offer
from tests.integration.test_skills_api import auth, provider_with_skill, stored
from tests.support.service import BASE_URL, Service
from tests.support.wallets import OFFER_REQUEST, PythonWallet, offer_uri_of

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION = "SkillCredential_ldp_vc"
SD_JWT_CONFIGURATION = "SkillCredential_certification_dc+sd-jwt"


def make_offer(
    service: Service, provider: dict[str, Any], *, name: str = "Pieter Jansen", **params: Any
) -> dict[str, Any]:
    body = {**OFFER_REQUEST, "holder": {**OFFER_REQUEST["holder"], "name": name}}
    response = service.client.post("/offers", json=body, headers=auth(provider), params=params)
    assert response.status_code == 201, response.text
    offer: dict[str, Any] = response.json()
    return offer


def code_of(service: Service, offer: dict[str, Any]) -> str:
    path = urlsplit(offer_uri_of(offer["credentialOffer"])).path
    response = service.client.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential_issuer"] == BASE_URL
    # the wallet chooses: the Data Integrity credential or its SD-JWT VC twin (mig-fillet
    # is a certification)
    assert body["credential_configuration_ids"] == [CONFIGURATION, SD_JWT_CONFIGURATION]
    code: str = body["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    return code


def token_request(service: Service, code: str, tx_code: str | None, **extra: str) -> Any:
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, **extra}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return service.client.post("/openid4vci/token", data=form)


def access_token(service: Service, offer: dict[str, Any]) -> str:
    response = token_request(service, code_of(service, offer), offer["txCode"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token: str = response.json()["access_token"]
    return token


def fresh_nonce(service: Service) -> str:
    response = service.client.post("/openid4vci/nonce")
    assert response.status_code == 200, response.text
    nonce: str = response.json()["c_nonce"]
    return nonce


def credential_request(service: Service, token: str, proof: str) -> Any:
    return service.client.post(
        "/openid4vci/credential",
        json={"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {token}"},
    )


def offer_row(service: Service, offer_id: str) -> Offer:
    with service.database.reading() as session:
        row = session.get(Offer, offer_id)
    assert row is not None
    return row


def actions(service: Service, offer_id: str) -> list[str]:
    with service.database.reading() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject == f"urn:uuid:{offer_id}")
                .order_by(AuditEvent.seq)
            )
        )


def error_of(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error_description"]
    error: str = body["error"]
    return error


@pytest.mark.parametrize(("alg", "use_jwk"), [("EdDSA", False), ("ES256", True)])
def test_a_wallet_collects_its_skill_once(service: Service, alg: str, use_jwk: bool) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    wallet = PythonWallet(alg)
    token = access_token(service, offer)
    proof = wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service), use_jwk=use_jwk)
    response = credential_request(service, token, proof)
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["credentialSubject"]["name"] == "Pieter Jansen"
    row = offer_row(service, offer["id"])
    assert (row.state, row.delivered_via, row.credential_id) == (
        "delivered",
        "openid4vci",
        credential["id"],
    )
    assert row.request is None  # the personal data is gone
    assert actions(service, offer["id"]) == [
        "offer.created",
        "offer.token-issued",
        "offer.delivered",
    ]
    # The verifier says valid; the token is spent.
    verified = service.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert verified.json()["verdict"] == "valid"
    again = credential_request(
        service, token, wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service))
    )
    assert again.status_code == 401 and error_of(again) == "invalid_token"
    assert stored(service) == 1
    # The offer's events sit in the hash chain like every other.
    assert verify_stored_chain(service.database).ok


def test_metadata_names_this_issuer_byte_for_byte_in_two_languages(service: Service) -> None:
    metadata = service.client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == BASE_URL
    assert {d["locale"] for d in metadata["display"]} == {"en", "nl"}
    configuration = metadata["credential_configurations_supported"][CONFIGURATION]
    assert configuration["format"] == "ldp_vc"
    assert {d["locale"] for d in configuration["credential_metadata"]["display"]} == {"en", "nl"}
    assert configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA",
        "ES256",
    ]
    server = service.client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == BASE_URL
    assert server["token_endpoint"] == f"{BASE_URL}/openid4vci/token"


def test_a_reused_pre_authorized_code_is_refused(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    code = code_of(service, offer)
    assert token_request(service, code, offer["txCode"]).status_code == 200
    again = token_request(service, code, offer["txCode"])
    assert again.status_code == 400 and error_of(again) == "invalid_grant"
    assert "single use" in again.json()["error_description"]
    # The offer URI no longer hands the code out either.
    assert (
        service.client.get(urlsplit(offer_uri_of(offer["credentialOffer"])).path).status_code == 404
    )
    assert actions(service, offer["id"])[-1] == "offer.refused"


def test_five_wrong_transaction_codes_lock_the_offer(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    code = code_of(service, offer)
    wrong = f"{(int(offer['txCode']) + 1) % 1_000_000:06d}"
    for attempt in range(1, 6):
        response = token_request(service, code, wrong)
        assert response.status_code == 400 and error_of(response) == "invalid_grant"
        left = 5 - attempt
        assert (f"{left} tries left" if left else "locked") in response.json()["error_description"]
    right = token_request(service, code, offer["txCode"])
    assert right.status_code == 400 and error_of(right) == "invalid_grant"
    assert "locked" in right.json()["error_description"]
    row = offer_row(service, offer["id"])
    assert (row.state, row.tx_attempts, row.request, row.token_hash) == ("locked", 5, None, None)
    assert "offer.locked" in actions(service, offer["id"])
    assert stored(service) == 0


def test_a_token_request_without_its_transaction_code_is_invalid(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    response = token_request(service, code_of(service, offer), None)
    assert response.status_code == 400 and error_of(response) == "invalid_request"
    unknown = token_request(service, "not-a-code", "123456")
    assert unknown.status_code == 400 and error_of(unknown) == "invalid_grant"
    grant = service.client.post(
        "/openid4vci/token", data={"grant_type": "authorization_code", "code": "x"}
    )
    assert grant.status_code == 400 and error_of(grant) == "unsupported_grant_type"
    # Parameters of other drafts and RFC 8707 are ignored.
    ok = token_request(
        service,
        code_of(service, offer),
        offer["txCode"],
        user_pin=offer["txCode"],
        resource=BASE_URL,
    )
    assert ok.status_code == 200, ok.text


def test_an_expired_offer_is_refused_and_forgotten(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider, expiresIn=60)
    code = code_of(service, offer)
    offers = service.client.app.state.context.offers  # type: ignore[attr-defined]
    later = utc_now() + timedelta(minutes=2)
    offers.clock = lambda: later
    try:
        response = token_request(service, code, offer["txCode"])
    finally:
        offers.clock = utc_now
    assert response.status_code == 400 and error_of(response) == "invalid_grant"
    assert "expired" in response.json()["error_description"]
    row = offer_row(service, offer["id"])
    assert (row.state, row.request) == ("expired", None)
    assert "offer.expired" in actions(service, offer["id"])


def test_a_withdrawn_offer_is_refused(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    code = code_of(service, offer)
    withdrawn = service.client.delete(f"/offers/{offer['id']}", headers=auth(provider))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    response = token_request(service, code, offer["txCode"])
    assert response.status_code == 400 and error_of(response) == "invalid_grant"
    assert "withdrawn" in response.json()["error_description"]
    assert offer_row(service, offer["id"]).request is None
    # Another provider cannot withdraw (or see) it.
    other = service.create_provider("other")
    assert service.client.delete(f"/offers/{offer['id']}", headers=auth(other)).status_code == 404


def test_a_withdrawn_offer_with_a_token_issues_nothing(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = access_token(service, offer)
    service.client.delete(f"/offers/{offer['id']}", headers=auth(provider))
    wallet = PythonWallet()
    response = credential_request(
        service, token, wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service))
    )
    assert response.status_code == 401 and error_of(response) == "invalid_token"
    assert stored(service) == 0


def test_bad_key_proofs_are_refused_and_issue_nothing(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = access_token(service, offer)
    wallet = PythonWallet()
    stranger = ed25519.Ed25519PrivateKey.generate()
    cases = {
        "wrong nonce": (wallet.proof(audience=BASE_URL, nonce="made-up"), "invalid_nonce"),
        "no nonce": (wallet.proof(audience=BASE_URL, nonce=None), "invalid_nonce"),
        "wrong audience": (
            wallet.proof(audience="https://elsewhere.test", nonce=fresh_nonce(service)),
            "invalid_proof",
        ),
        "wrong signature": (
            wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service), signing_key=stranger),
            "invalid_proof",
        ),
        "old iat": (
            wallet.proof(
                audience=BASE_URL,
                nonce=fresh_nonce(service),
                iat=utc_now().timestamp() - 3600,
            ),
            "invalid_proof",
        ),
        "future iat": (
            wallet.proof(
                audience=BASE_URL,
                nonce=fresh_nonce(service),
                iat=utc_now().timestamp() + 3600,
            ),
            "invalid_proof",
        ),
        "wrong typ": (
            wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service), typ="JWT"),
            "invalid_proof",
        ),
        "not a JWT": ("not.a-jwt", "invalid_proof"),
    }
    for name, (proof, expected) in cases.items():
        response = credential_request(service, token, proof)
        assert response.status_code == 400, (name, response.text)
        assert error_of(response) == expected, name
    # A used nonce is refused as well.
    used = fresh_nonce(service)
    first = credential_request(service, token, wallet.proof(audience=BASE_URL, nonce=used))
    assert first.status_code == 200, first.text
    assert stored(service) == 1
    refusals = [a for a in actions(service, offer["id"]) if a == "offer.refused"]
    assert len(refusals) == len(cases)


def test_a_replayed_nonce_is_refused(service: Service) -> None:
    provider = provider_with_skill(service)
    first, second = make_offer(service, provider), make_offer(service, provider)
    wallet = PythonWallet()
    nonce = fresh_nonce(service)
    proof = wallet.proof(audience=BASE_URL, nonce=nonce)
    assert credential_request(service, access_token(service, first), proof).status_code == 200
    replayed = credential_request(service, access_token(service, second), proof)
    assert replayed.status_code == 400 and error_of(replayed) == "invalid_nonce"
    assert stored(service) == 1


def test_a_token_gives_its_own_offer_only(service: Service) -> None:
    provider = provider_with_skill(service)
    anna = make_offer(service, provider, name="Anna de Boer")
    pieter = make_offer(service, provider, name="Pieter Jansen")
    anna_token, pieter_token = access_token(service, anna), access_token(service, pieter)
    wallet = PythonWallet()
    got = credential_request(
        service, anna_token, wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service))
    )
    assert got.json()["credentials"][0]["credential"]["credentialSubject"]["name"] == "Anna de Boer"
    # Anna's token, spent, does not open Pieter's offer.
    reuse = credential_request(
        service, anna_token, wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service))
    )
    assert reuse.status_code == 401 and error_of(reuse) == "invalid_token"
    assert offer_row(service, pieter["id"]).state == "token-issued"
    theirs = credential_request(
        service, pieter_token, PythonWallet().proof(audience=BASE_URL, nonce=fresh_nonce(service))
    )
    assert theirs.json()["credentials"][0]["credential"]["credentialSubject"]["name"] == (
        "Pieter Jansen"
    )
    assert stored(service) == 2


def test_concurrent_token_and_credential_requests_one_wins(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    code = code_of(service, offer)
    start = threading.Barrier(4)

    def take_token(_: int) -> Any:
        start.wait()
        return token_request(service, code, offer["txCode"])

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(take_token, range(4)))
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400]
    token = next(a for a in answers if a.status_code == 200).json()["access_token"]
    wallet = PythonWallet()
    proofs = [wallet.proof(audience=BASE_URL, nonce=fresh_nonce(service)) for _ in range(4)]
    start = threading.Barrier(4)

    def take_credential(index: int) -> Any:
        start.wait()
        return credential_request(service, token, proofs[index])

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(take_credential, range(4)))
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
    assert stored(service) == 1


def test_an_offer_takes_no_holder_id_and_a_known_skill(service: Service) -> None:
    provider = provider_with_skill(service)
    with_id = {**OFFER_REQUEST, "holder": {"id": PythonWallet().did}}
    response = service.client.post("/offers", json=with_id, headers=auth(provider))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    unknown = {**OFFER_REQUEST, "skill": "no-such-skill"}
    response = service.client.post("/offers", json=unknown, headers=auth(provider))
    assert response.status_code == 422
    with service.database.reading() as session:
        assert session.scalars(select(Offer)).all() == []


def test_a_draft_13_credential_request_gets_the_draft_answer(service: Service) -> None:
    """Wallets on OpenID4VCI drafts 11-14 name the format and send one ``proof``; they take
    the first nonce from the token response and read ``credential`` from the answer."""
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = token_request(service, code_of(service, offer), offer["txCode"]).json()
    wallet = PythonWallet()
    response = service.client.post(
        "/openid4vci/credential",
        json={
            "format": "ldp_vc",
            "credential_definition": {
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                ],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
            },
            "proof": {
                "proof_type": "jwt",
                "jwt": wallet.proof(audience=BASE_URL, nonce=token["c_nonce"]),
            },
        },
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["credential"]["credentialSubject"]["id"] == wallet.did


def test_a_request_for_another_credential_is_refused(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    token = access_token(service, offer)
    proof = PythonWallet().proof(audience=BASE_URL, nonce=fresh_nonce(service))
    for body, error in (
        (
            {"credential_configuration_id": "Other", "proofs": {"jwt": [proof]}},
            "unknown_credential_configuration",
        ),
        (
            {"format": "jwt_vc_json", "proof": {"proof_type": "jwt", "jwt": proof}},
            "unknown_credential_configuration",
        ),
        ({"proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        (
            {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": [proof, proof]}},
            "invalid_proof",
        ),
        ({"credential_configuration_id": CONFIGURATION}, "invalid_proof"),
    ):
        response = service.client.post(
            "/openid4vci/credential", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 400 and error_of(response) == error, body
    assert stored(service) == 0
    no_token = service.client.post("/openid4vci/credential", json={})
    assert no_token.status_code == 401 and error_of(no_token) == "invalid_token"
    assert no_token.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
