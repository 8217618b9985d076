"""Must show 2 of issue 16: the same skill through the EU wallets' format, with other
people's software at both ends, against a running `skillcred serve`:

1. the OpenWallet Foundation's OpenID4VCI client (interop/wallet.mjs) collects an offer
   as ``dc+sd-jwt`` — the SD-JWT VC twin, bound to the P-256 key of its ES256 key proof;
2. the employer asks for that skill with a DCQL query naming two claims; the OWF's
   OpenID4VP client and dcql library (interop/presentation-wallet.mjs) pick the credential
   and the OWF's @sd-jwt holder library presents it with only those claims disclosed and
   a KB-JWT for this request's nonce and client_id;
3. the result: valid, exactly the claims asked for disclosed, the worker's name not;
4. the provider revokes the credential (``POST /credentials/status``): the same SD-JWT
   presentation again, and the Data Integrity twin at ``/credentials/verify``, say revoked;
5. on the employer page (Chromium): the employer ticks the details to ask for, the wallet
   answers the page's request, and the page lists what the worker shared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from skillcred import Ed25519KeyPair
from skillcred.services.status import LOCAL_READ_SECONDS
from tests.e2e.test_presentation_page import ask_on_the_page, browser
from tests.e2e.test_verify_page import open_page
from tests.support.skills import skill_request
from tests.support.wallet import Site, run_wallet, site
from tests.support.wallets import run_node_wallet

pytestmark = pytest.mark.interop
__all__ = ["browser"]  # the Chromium fixture

#: two claims: the level (always visible) and how it was assessed (selectively disclosable)
CLAIMS = [["level"], ["assessment", "method"]]
QUERY = {
    "format": "dc+sd-jwt",
    "skills": [{"id": "welding", "achievementType": "Certification", "claims": CLAIMS}],
}


def collect(running: Site) -> dict[str, Any]:
    """An offer of Pieter's welding skill, collected by the OWF client as dc+sd-jwt."""
    body = skill_request("mig-fillet", "independent", Ed25519KeyPair.generate())
    body["holder"] = {"name": "Pieter Jansen", "email": "pieter@example.nl"}
    offer = running.offer(body)
    answer = run_node_wallet(
        {
            "offer": offer["credentialOffer"],
            "txCode": offer["txCode"],
            "format": "dc+sd-jwt",
            "allowInsecureUrls": True,
        }
    )
    assert answer["ok"], answer
    assert answer["configurationId"] == "SkillCredential_certification_dc+sd-jwt"
    assert isinstance(answer["credential"], str), answer["credential"]
    return answer


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(tmp_path_factory.mktemp("sd-jwt-wallet")) as started:
        yield started


@pytest.fixture(scope="module")
def collected(running: Site) -> tuple[Site, dict[str, Any]]:
    return running, collect(running)


def present(running: Site, collected: dict[str, Any]) -> dict[str, Any]:
    created = running.ask(query=QUERY, purpose="Welding job at the Hengelo yard")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "sdJwts": [{"token": collected["credential"], "holderJwk": collected["holderJwk"]}],
        }
    )
    assert out["ok"], out
    assert out["canBeSatisfied"] is True, out
    assert out["status"] == 200, out
    response = running.result(created)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_two_chosen_claims_presented_then_revoked_in_both_formats(
    collected: tuple[Site, dict[str, Any]],
) -> None:
    running, answer = collected
    body = present(running, answer)
    assert body["verdict"] == "valid", body.get("verdictReason")
    assert body["presentationRequest"]["presentedByHolder"] is True
    (skill,) = body["skills"]
    assert skill["format"] == "dc+sd-jwt"
    assert skill["skill"] == "MIG/MAG fillet welding"
    assert skill["requestedClaims"] == ["/level", "/assessment/method"]
    # Of the selectively disclosable claims, exactly the one asked for was disclosed.
    assert skill["disclosed"] == ["/assessment/method"]
    assert skill["disclosedClaims"][1] == {"path": "/assessment/method", "value": ["practical"]}
    assert skill["disclosedClaims"][0]["value"][0]["name"] == "Independent"
    assert "name" not in skill["claims"] and skill["holder"]["name"] is None
    assert set(skill["claims"]["assessment"]) == {"method"}

    credential_id = skill["credentialId"]
    running.revoke({"id": credential_id})
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # the service re-reads its own lists after this

    again = present(running, answer)
    assert again["verdict"] == "revoked", again
    assert again["skills"][0]["status"]["revoked"] is True
    stored = httpx.get(
        f"{running.base}/credentials/{credential_id}",
        headers={"Authorization": f"Bearer {running.api_key}"},
        timeout=60,
    )
    assert stored.status_code == 200, stored.text
    data_integrity = stored.json()["verifiableCredential"]
    verified = httpx.post(
        f"{running.base}/credentials/verify",
        json={"verifiableCredential": data_integrity},
        timeout=60,
    )
    assert verified.json()["verdict"] == "revoked", verified.text


def test_the_employer_page_asks_for_chosen_details_and_lists_what_was_shared(
    browser: Any, running: Site
) -> None:
    answer = collect(running)
    page = open_page(browser, running.base, bypass_csp=False)
    page.select_option("#ask-format", "dc+sd-jwt")
    page.uncheck("#ask-claims input[value='level']")
    page.check("#ask-claims input[value='assessment.method']")
    request = ask_on_the_page(page, "Welding job at the Hengelo yard")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": request,
            "sdJwts": [{"token": answer["credential"], "holderJwk": answer["holderJwk"]}],
        }
    )
    assert out["ok"] and out["status"] == 200, out
    # The wallet was asked for the ticked details only, and disclosed no more.
    (credential_query,) = out["resolved"]["dcql"]["credentials"]
    assert credential_query["format"] == "dc+sd-jwt"
    assert [c["path"] for c in credential_query["claims"]] == [["skill"], ["assessment", "method"]]
    assert out["frames"]["skill"] == {"skill": True, "assessment": {"method": True}}
    page.wait_for_selector("#result:not([hidden]) .skill", timeout=30_000)
    card = page.locator(".skill").first
    assert card.get_attribute("data-verdict") == "valid"
    shared = card.locator("[data-group='shared']").inner_text()
    assert "what the worker shared" in shared.lower()
    assert "/assessment/method" in shared and "practical" in shared
    assert "Pieter Jansen" not in page.inner_text("#result")
    assert "not shared" in card.locator("[data-group='who']").inner_text()
    page.context.close()
