"""The worker's wallet answers the employer's request, played by third-party libraries
against a running service (`skillcred serve`):

- OpenID4VP 1.0: the OpenWallet Foundation's @openid4vc/openid4vp (Credo's) parses and
  resolves the request — by value with the ``redirect_uri`` client identifier prefix, by
  reference with a signed request object and ``decentralized_identifier`` — the OWF's dcql
  library validates the DCQL query and picks the credentials, Digital Bazaar's vc signs
  the presentation with the holder's key (challenge = nonce, domain = client_id), and the
  library posts it with direct_post;
- the Learner Credential Wallet's VC-API exchange, step by step as its source does it.

The credentials are skill credentials issued to the worker's did:key by the provider
(``POST /skill-credentials``), as wallet delivery leaves them in the wallet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair
from tests.support.skills import WELDING_ESCO
from tests.support.wallet import Site, key_file, run_wallet, site

pytestmark = pytest.mark.interop

PIETER = Ed25519KeyPair.generate()
MALLORY = Ed25519KeyPair.generate()


@pytest.fixture(scope="module")
def unsigned_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(tmp_path_factory.mktemp("wallet-unsigned")) as running:
        running.issue(PIETER, "mig-fillet", "independent")
        running.issue(PIETER, "working-at-height")
        yield running


@pytest.fixture(scope="module")
def signed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("wallet-signed")
    key_path = workdir / "verifier-key.json"
    key_path.write_text(json.dumps(Ed25519KeyPair.generate().to_key_file()))
    with site(
        workdir,
        SKILLCRED_VERIFIER_KEY_FILE=str(key_path),
        SKILLCRED_VERIFIER_NAME="Bouwbedrijf Hengelo",
    ) as running:
        running.issue(PIETER, "mig-fillet", "independent")
        running.issue(PIETER, "working-at-height")
        yield running


def wallet_credentials(running: Site, holder: Ed25519KeyPair = PIETER) -> list[dict[str, Any]]:
    return list(running.issued[holder.controller].values())


def test_openid4vp_redirect_uri_prefix_end_to_end(unsigned_site: Site) -> None:
    created = unsigned_site.ask(purpose="Welding job at the Hengelo yard")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(PIETER),
            "credentials": wallet_credentials(unsigned_site),
            "replay": True,
        }
    )
    assert out["ok"], out
    resolved = out["resolved"]
    # The library read it as an OpenID4VP 1.0 (final) request, unsigned, redirect_uri.
    assert resolved["version"] == 100
    assert resolved["clientPrefix"] == "redirect_uri"
    assert resolved["signedRequest"] is False
    assert resolved["client_id"] == "redirect_uri:" + resolved["response_uri"]
    assert resolved["response_mode"] == "direct_post"
    assert out["canBeSatisfied"] is True
    assert out["status"] == 200, out
    assert out["body"] == {}
    proof = out["presentation"]["proof"]
    assert proof["challenge"] == resolved["nonce"]
    assert proof["domain"] == resolved["client_id"]
    # The wallet sends the same answer again: refused with an OAuth error.
    assert out["replay"]["status"] == 400
    assert out["replay"]["body"]["error"] == "invalid_request"

    result = unsigned_site.result(created)
    assert result.status_code == 200
    body = result.json()
    assert body["verdict"] == "valid", body.get("verdictReason")
    assert body["presentationRequest"]["presentedByHolder"] is True
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["holderBinding"]["outcome"] == "passed"
    assert checks["holderBinding"]["holder"] == PIETER.controller
    assert [s["verdict"] for s in body["skills"]] == ["valid", "valid"]
    assert unsigned_site.result(created).status_code == 404  # read once


def test_openid4vp_signed_request_by_reference_end_to_end(signed_site: Site) -> None:
    created = signed_site.ask(
        query={"skills": [{"id": "welding", "alignment": WELDING_ESCO}]},
        purpose="Your welding certificate",
    )
    assert "request_uri=" in created["openid4vpRequest"]
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(PIETER),
            "credentials": wallet_credentials(signed_site),
        }
    )
    assert out["ok"], out
    resolved = out["resolved"]
    assert resolved["clientPrefix"] == "decentralized_identifier"
    assert resolved["signedRequest"] is True
    assert resolved["jarTyp"] == "oauth-authz-req+jwt"
    did = resolved["client_id"].removeprefix("decentralized_identifier:")
    assert resolved["jarKid"].startswith(did + "#")
    assert resolved["clientMetadata"]["client_name"] == "Bouwbedrijf Hengelo"
    assert out["status"] == 200, out
    # dcql picked the welding certificate only (the query names its ESCO skill).
    credentials = out["presentation"]["verifiableCredential"]
    assert len(credentials) == 1
    assert credentials[0]["credentialSubject"]["achievement"]["name"] == "MIG/MAG fillet welding"
    body = signed_site.result(created).json()
    assert body["verdict"] == "valid"
    assert body["presentationRequest"]["presentedByHolder"] is True


@pytest.mark.parametrize(
    ("case", "verdict"),
    [
        ("wrong-nonce", "not-genuine"),
        ("wrong-domain", "not-genuine"),
        ("someone-else-signs", "invalid"),
    ],
)
def test_openid4vp_answers_that_are_not_the_holders_now(
    unsigned_site: Site, case: str, verdict: str
) -> None:
    created = unsigned_site.ask()
    other = unsigned_site.ask()
    from urllib.parse import parse_qs, urlsplit

    other_nonce = parse_qs(urlsplit(other["openid4vpRequest"]).query)["nonce"][0]
    job: dict[str, Any] = {
        "op": "openid4vp",
        "request": created["openid4vpRequest"],
        "key": key_file(PIETER),
        "credentials": wallet_credentials(unsigned_site),
    }
    if case == "wrong-nonce":
        job["override"] = {"challenge": other_nonce}
    elif case == "wrong-domain":
        job["override"] = {"domain": "redirect_uri:https://other-verifier.example/response"}
    else:
        job["key"] = key_file(MALLORY)
    out = run_wallet(job)
    assert out["ok"], out
    assert out["status"] == 200
    body = unsigned_site.result(created).json()
    assert body["verdict"] == verdict
    assert body["verified"] is False
    assert body["presentationRequest"]["presentedByHolder"] is False


def test_openid4vp_wallet_without_a_matching_credential_declines(unsigned_site: Site) -> None:
    created = unsigned_site.ask(
        query={"skills": [{"id": "forklift", "achievementType": "License"}]}
    )
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(PIETER),
            "credentials": wallet_credentials(unsigned_site),
        }
    )
    assert out["ok"], out
    assert out["canBeSatisfied"] is False
    assert out["status"] == 200  # access_denied received
    body = unsigned_site.result(created).json()
    assert body["verdict"] == "cannot-check"
    assert "access_denied" in body["verdictReason"]


def test_openid4vp_a_wallet_sending_what_was_not_asked_for_is_refused(
    unsigned_site: Site,
) -> None:
    created = unsigned_site.ask(
        query={"skills": [{"id": "forklift", "achievementType": "License"}]}
    )
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(PIETER),
            "credentials": wallet_credentials(unsigned_site),
            "sendAnyway": True,
        }
    )
    assert out["ok"], out
    assert out["status"] == 400
    assert out["body"]["error"] == "invalid_request"
    assert unsigned_site.result(created).json()["verdict"] == "invalid"


def test_lcw_vcapi_exchange_end_to_end(unsigned_site: Site) -> None:
    created = unsigned_site.ask(purpose="Welding job")
    out = run_wallet(
        {
            "op": "vcapi",
            "request": created["vcapiRequest"],
            "key": key_file(PIETER),
            "credentials": wallet_credentials(unsigned_site),
            "replay": True,
        }
    )
    assert out["ok"], out
    assert out["status"] == 200, out
    assert [q["type"] for q in out["vpr"]["query"]] == ["DIDAuthentication", "QueryByExample"]
    assert out["presentation"]["proof"]["proofPurpose"] == "authentication"
    assert out["presentation"]["proof"]["challenge"] == out["vpr"]["challenge"]
    assert out["replay"]["status"] == 400
    body = unsigned_site.result(created).json()
    assert body["verdict"] == "valid"
    assert body["presentationRequest"]["protocol"] == "vcapi"
    assert body["presentationRequest"]["presentedByHolder"] is True


def test_lcw_vcapi_revoked_credential_inside(tmp_path: Path) -> None:
    with site(tmp_path) as running:
        welding = running.issue(PIETER, "mig-fillet", "independent")
        height = running.issue(PIETER, "working-at-height")
        running.revoke(height)
        created = running.ask()
        out = run_wallet(
            {
                "op": "vcapi",
                "request": created["vcapiRequest"],
                "key": key_file(PIETER),
                "credentials": [welding, height],
            }
        )
        assert out["ok"], out
        assert out["status"] == 200
        body = running.result(created).json()
        assert body["verdict"] == "revoked"
        assert [s["verdict"] for s in body["skills"]] == ["valid", "revoked"]
