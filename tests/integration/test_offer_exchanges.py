"""The VC-API exchange as the DCC Learner Credential Wallet runs it (app/lib/exchanges.ts
in learner-credential-wallet): the `request=` deep link names the exchange under
`protocols.vcapi`; the wallet POSTs `{}`, gets a DIDAuthentication request with a
challenge and a domain, answers with a presentation it signs for authentication
(`vc.createPresentation({holder})` + `vc.signPresentation`, Ed25519Signature2020 — here
through Digital Bazaar's vc library), and receives the credential in a presentation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from skillcred import Ed25519KeyPair
from skillcred.core.schemas import SKILLS_PROFILE_V2
from skillcred.core.values import as_list
from tests.conftest import REPO_ROOT
from tests.integration.test_offers_api import actions, make_offer, offer_row
from tests.integration.test_skills_api import auth, provider_with_skill, stored
from tests.support.reference import ReferenceImplementation
from tests.support.service import BASE_URL, Service

pytestmark = pytest.mark.interop
VC_V1 = "https://www.w3.org/2018/credentials/v1"


def exchange_url_of(vcapi_request: str) -> str:
    """What LCW reads from the deep link: request.protocols.vcapi."""
    parts = urlsplit(vcapi_request)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://lcw.app/request.html"
    request = json.loads(parse_qs(parts.query)["request"][0])
    assert request["credentialRequestOrigin"] == BASE_URL
    url: str = request["protocols"]["vcapi"]
    return url


def did_auth(
    reference: ReferenceImplementation,
    holder: Ed25519KeyPair,
    request: dict[str, Any],
    *,
    signer: Ed25519KeyPair | None = None,
    challenge: str | None = None,
) -> dict[str, Any]:
    """vc.createPresentation({holder}) then vc.signPresentation, as LCW does."""
    presentation = {
        "@context": [VC_V1],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
    }
    key = signer or holder
    return reference.sign(
        presentation,
        key.to_key_file(),
        cryptosuite="Ed25519Signature2020",
        purpose="authentication",
        challenge=challenge or request["challenge"],
        domain=request["domain"],
    )


def post(service: Service, url: str, body: dict[str, Any]) -> Any:
    return service.client.post(urlsplit(url).path, json=body)


def start(service: Service, url: str) -> dict[str, Any]:
    response = post(service, url, {})
    assert response.status_code == 200, response.text
    request: dict[str, Any] = response.json()["verifiablePresentationRequest"]
    return request


def test_the_learner_credential_wallet_protocol_delivers_a_bound_credential(
    service: Service,
    reference: ReferenceImplementation,
    dcc_verifier: ReferenceImplementation,
) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    url = exchange_url_of(offer["vcapiRequest"])
    request = start(service, url)
    assert [q["type"] for q in request["query"]] == ["DIDAuthentication"]
    assert request["challenge"] and request["domain"] == BASE_URL  # LCW needs both
    holder = Ed25519KeyPair.generate()
    answer = post(service, url, {"verifiablePresentation": did_auth(reference, holder, request)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "verifiablePresentationRequest" not in body  # LCW stops here and stores
    credentials = body["verifiablePresentation"]["verifiableCredential"]
    assert len(credentials) == 1
    credential = credentials[0]
    assert credential["credentialSubject"]["id"] == holder.controller
    documents: dict[str, Any] = {
        SKILLS_PROFILE_V2: json.loads((REPO_ROOT / "schemas" / "skills" / "v2.json").read_text())
    }
    for entry in as_list(credential["credentialStatus"]):
        documents[entry["statusListCredential"]] = service.client.get(
            urlsplit(entry["statusListCredential"]).path
        ).json()
    assert reference.verify(credential, documents=documents, checkStatus=True)["verified"]
    dcc = dcc_verifier.verify(credential, documents=documents, network=False)
    assert dcc["verdict"] == "valid", dcc["summary"]
    row = offer_row(service, offer["id"])
    assert (row.state, row.delivered_via, row.request) == ("delivered", "vcapi", None)
    # The exchange is done: a second round is refused.
    again = post(service, url, {})
    assert again.status_code == 409
    assert stored(service) == 1


def test_a_did_auth_signed_by_another_key_than_the_holder_is_refused(
    service: Service, reference: ReferenceImplementation
) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    url = exchange_url_of(offer["vcapiRequest"])
    request = start(service, url)
    claimed, actual = Ed25519KeyPair.generate(), Ed25519KeyPair.generate()
    forged = did_auth(reference, claimed, request, signer=actual)
    response = post(service, url, {"verifiablePresentation": forged})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    # A wrong challenge is refused too.
    stale = did_auth(reference, claimed, request, challenge="not-the-challenge")
    response = post(service, url, {"verifiablePresentation": stale})
    assert response.status_code == 400, response.text
    assert stored(service) == 0
    assert offer_row(service, offer["id"]).state == "offered"
    assert actions(service, offer["id"]).count("offer.refused") == 2
    # The rightful holder still collects it.
    good = did_auth(reference, claimed, request)
    assert post(service, url, {"verifiablePresentation": good}).status_code == 200
    assert stored(service) == 1


def test_a_provider_starts_another_exchange_for_an_offer(
    service: Service, reference: ReferenceImplementation
) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    created = service.client.post(
        "/workflows/skill-credential/exchanges",
        json={"offerId": offer["id"]},
        headers=auth(provider),
    )
    assert created.status_code == 201, created.text
    exchange = created.json()
    assert created.headers["location"] == exchange["url"]
    assert exchange_url_of(exchange["vcapiRequest"]) == exchange["url"]
    request = start(service, exchange["url"])
    holder = Ed25519KeyPair.generate()
    answer = post(
        service, exchange["url"], {"verifiablePresentation": did_auth(reference, holder, request)}
    )
    assert answer.status_code == 200, answer.text
    # The offer's own link is spent with it: single use across both protocols.
    assert post(service, exchange_url_of(offer["vcapiRequest"]), {}).status_code == 409
    other = service.create_provider("other")
    refused = service.client.post(
        "/workflows/skill-credential/exchanges",
        json={"offerId": offer["id"]},
        headers=auth(other),
    )
    assert refused.status_code == 404
    unknown = service.client.post("/workflows/nope/exchanges/abc", json={})
    assert unknown.status_code == 404
