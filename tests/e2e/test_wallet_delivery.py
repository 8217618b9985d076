"""Into a real wallet library: the OpenWallet Foundation's OpenID4VCI client
(@openid4vc/openid4vci, as Credo-based wallets use it) collects an offer from a running
`skillcred serve` — offer, token with the transaction code, nonce, credential with a key
proof — and what it receives verifies in Digital Bazaar's reference implementation and in
DCC's verifier-core, bound to the wallet's key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from skillcred.core.schemas import SKILLS_PROFILE_V2
from skillcred.core.values import as_list
from tests.conftest import REPO_ROOT
from tests.support.processes import clean_environment, free_port, serving
from tests.support.reference import ReferenceImplementation
from tests.support.wallets import OFFER_REQUEST, run_node_wallet

pytestmark = pytest.mark.interop
ADMIN = "wallet-e2e-admin-token-0123456789"
DEFINITION = json.loads((REPO_ROOT / "examples" / "skill-definition.json").read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    workdir: Path = tmp_path_factory.mktemp("wallet-e2e")
    port = free_port()
    env = clean_environment(
        SKILLCRED_BASE_URL=f"http://127.0.0.1:{port}",
        SKILLCRED_ADMIN_TOKEN=ADMIN,
        SKILLCRED_DEMO_PROVIDER="false",
    )
    with serving(workdir, env=env, port=port) as (base, _process):
        created = httpx.post(
            f"{base}/admin/providers",
            json={"slug": "lasschool", "name": "Lasschool Twente"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
        assert created.status_code == 201, created.text
        provider = created.json()
        registered = httpx.post(
            f"{base}/skills",
            json=DEFINITION,
            headers={"Authorization": f"Bearer {provider['apiKey']}"},
        )
        assert registered.status_code == 201, registered.text
        yield base, provider


def make_offer(base: str, provider: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/offers",
        json=OFFER_REQUEST,
        headers={"Authorization": f"Bearer {provider['apiKey']}"},
    )
    assert response.status_code == 201, response.text
    offer: dict[str, Any] = response.json()
    return offer


def published(credential: dict[str, Any]) -> dict[str, Any]:
    """What a verifier elsewhere fetches, fetched here and handed in: the status lists and
    the profile's schema at its permanent URL."""
    documents: dict[str, Any] = {
        SKILLS_PROFILE_V2: json.loads((REPO_ROOT / "schemas" / "skills" / "v2.json").read_text())
    }
    for entry in as_list(credential.get("credentialStatus")):
        url = entry["statusListCredential"]
        documents[url] = httpx.get(url).json()
    return documents


@pytest.mark.parametrize(
    ("alg", "key_in"), [("EdDSA", "kid"), ("ES256", "jwk"), ("ES256", "kid"), ("EdDSA", "jwk")]
)
def test_the_openid4vci_client_collects_a_skill_bound_to_its_key(
    server: tuple[str, dict[str, Any]],
    reference: ReferenceImplementation,
    dcc_verifier: ReferenceImplementation,
    alg: str,
    key_in: str,
) -> None:
    base, provider = server
    offer = make_offer(base, provider)
    assert offer["credentialOffer"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert offer["txCode"] is not None and len(offer["txCode"]) == 6

    answer = run_node_wallet(
        {
            "offer": offer["credentialOffer"],
            "txCode": offer["txCode"],
            "alg": alg,
            "keyIn": key_in,
            "allowInsecureUrls": True,
            # Clients send parameters of older drafts (user_pin, beside resource): ignored.
            "extraTokenParameters": {"user_pin": offer["txCode"]},
        }
    )
    assert answer["ok"], answer
    # The client read our metadata as OpenID4VCI 1.0 (credential_metadata present).
    assert answer["version"] == "V1"
    assert answer["issuer"]["credential_issuer"] == base
    credential = answer["credential"]
    assert credential["credentialSubject"]["id"] == answer["holder"]
    assert answer["holder"].startswith("did:key:z6Mk" if alg == "EdDSA" else "did:key:zDn")
    assert credential["issuer"]["id"] == provider["did"]
    assert as_list(credential["proof"])[0]["cryptosuite"] == "eddsa-rdfc-2022"

    # Digital Bazaar's reference implementation, status lists read.
    verified = reference.verify(credential, documents=published(credential), checkStatus=True)
    assert verified["verified"] is True, verified
    assert all(s["status"] is False for s in verified["status"])
    # DCC's verifier-core (VerifierPlus, the Learner Credential Wallet), nothing fetched.
    dcc = dcc_verifier.verify(credential, documents=published(credential), network=False)
    assert dcc["refused"] == [], dcc["refused"]
    assert dcc["verdict"] == "valid", dcc["summary"]
    # And this service's own verifier.
    ours = httpx.post(f"{base}/credentials/verify", json={"verifiableCredential": credential})
    assert ours.status_code == 200, ours.text
    assert ours.json()["verdict"] == "valid"

    # The offer is used up: the same offer again is refused with invalid_grant.
    again = run_node_wallet(
        {
            "offer": offer["credentialOffer"],
            "txCode": offer["txCode"],
            "alg": alg,
            "keyIn": key_in,
            "allowInsecureUrls": True,
        }
    )
    assert again["ok"] is False
    listing = httpx.get(
        f"{base}/offers", headers={"Authorization": f"Bearer {provider['apiKey']}"}
    ).json()["offers"]
    mine = next(o for o in listing if o["id"] == offer["id"])
    assert mine["state"] == "delivered"
    assert mine["credentialId"] == credential["id"]
    assert urlsplit(offer["claimUrl"]).path.startswith("/claim/")
