"""From the provider to the employer through the worker's wallet, with third-party
libraries playing the wallet at both ends, one holder key throughout:

1. the provider offers two skills (``POST /offers``); the OpenWallet Foundation's
   OpenID4VCI client (interop/wallet.mjs) collects each with the transaction code and a
   key proof made with the worker's Ed25519 key, so each credential is about that key;
2. the employer asks the worker's wallet (``POST /presentation-requests``); the OpenWallet
   Foundation's OpenID4VP library (interop/presentation-wallet.mjs) answers with those
   delivered credentials in a presentation signed by the same key;
3. the result: both skills valid, holder binding proven for this request.

Someone else's wallet answering with the worker's delivered credentials is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from skillcred import Ed25519KeyPair
from tests.support.skills import skill_request
from tests.support.wallet import Site, key_file, run_wallet, site
from tests.support.wallets import run_node_wallet

pytestmark = pytest.mark.interop

WORKER = Ed25519KeyPair.generate()
SOMEONE_ELSE = Ed25519KeyPair.generate()


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, list[Any]]]:
    with site(tmp_path_factory.mktemp("wallet-to-employer")) as running:
        credentials = []
        for skill, level in (("mig-fillet", "independent"), ("working-at-height", "basic")):
            body = skill_request(skill, level, WORKER)
            # no DID yet: the wallet gives one
            body["holder"] = {"name": "Pieter Jansen", "email": "pieter@example.nl"}
            offer = running.offer(body)
            answer = run_node_wallet(
                {
                    "offer": offer["credentialOffer"],
                    "txCode": offer["txCode"],
                    "keyIn": "kid",
                    "key": key_file(WORKER),
                    "allowInsecureUrls": True,
                }
            )
            assert answer["ok"], answer
            assert answer["holder"] == WORKER.controller
            credential = answer["credential"]
            assert credential["credentialSubject"]["id"] == WORKER.controller
            credentials.append(credential)
        yield running, credentials


def test_delivered_credentials_presented_by_their_holder_are_valid_and_bound(
    delivered: tuple[Site, list[Any]],
) -> None:
    running, credentials = delivered
    created = running.ask(purpose="Welding job at the Hengelo yard")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(WORKER),
            "credentials": credentials,
        }
    )
    assert out["ok"], out
    assert out["status"] == 200, out
    presented = out["presentation"]["verifiableCredential"]
    assert {c["id"] for c in presented} == {c["id"] for c in credentials}
    body = running.result(created).json()
    assert body["verdict"] == "valid", body.get("verdictReason")
    assert body["presentationRequest"]["presentedByHolder"] is True
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["holderBinding"]["outcome"] == "passed"
    assert checks["holderBinding"]["holder"] == WORKER.controller
    assert sorted(s["verdict"] for s in body["skills"]) == ["valid", "valid"]


def test_someone_elses_wallet_cannot_present_them(delivered: tuple[Site, list[Any]]) -> None:
    running, credentials = delivered
    created = running.ask(purpose="Welding job at the Hengelo yard")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(SOMEONE_ELSE),
            "credentials": credentials,
        }
    )
    assert out["ok"], out
    body = running.result(created).json()
    assert body["verdict"] != "valid"
    assert body["presentationRequest"]["presentedByHolder"] is False
