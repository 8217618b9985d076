"""Offers delivered into wallets per second, beside plain skill issuance, in the same run.

    .venv/bin/python bench/bench_offers.py [--offers 200] [--connections 8] [--workers 2]
        [--backend sqlite --backend postgresql] [--node-rounds 20]

Against `skillcred serve --workers N`, for each backend:

- *skill-credentials/s*: `POST /skill-credentials` (the same skill-shaped body), from
  ``--connections`` concurrent clients;
- *offers delivered/s*: each of ``--offers`` offers (created beforehand, not timed)
  collected end to end with the OpenWallet Foundation client's message shapes — the
  credential offer by reference, the token request (form: grant_type,
  pre-authorized_code, tx_code, resource), the nonce request, the credential request
  (``credential_configuration_id`` + ``proofs.jwt``, an EdDSA key proof with a did:key
  ``kid``, a new key per wallet) — from ``--connections`` concurrent wallets;
- *node client offers/s*: ``--node-rounds`` offers collected one after the other by the
  real client (`@openid4vc/openid4vci` in interop/wallet.mjs; it also fetches both
  metadata documents each time), single-threaded.

Prints one table. The clients run on the same machine as the server: read the figures
side by side, not as a capacity claim.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.wallets import OFFER_REQUEST, PythonWallet

from bench_http_issue import database, running_service

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = json.loads((ROOT / "examples" / "skill-definition.json").read_text())
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


async def issue_plain(base: str, key: str, count: int, connections: int) -> tuple[float, float]:
    body = {**OFFER_REQUEST, "holder": {"id": PythonWallet().did, "name": "Pieter Jansen"}}
    latencies: list[float] = []
    queue = list(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            queue.pop()
            started = time.perf_counter()
            response = await client.post("/skill-credentials", json=body)
            assert response.status_code == 201, response.text
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return count / elapsed, statistics.median(latencies) * 1000


async def collect(client: httpx.AsyncClient, offer: dict[str, Any], issuer: str) -> None:
    """One wallet, as the OpenWallet Foundation client sends it."""
    offer_uri = parse_qs(urlsplit(offer["credentialOffer"]).query)["credential_offer_uri"][0]
    credential_offer = (await client.get(offer_uri)).json()
    code = credential_offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    token = await client.post(
        "/openid4vci/token",
        data={
            "grant_type": PRE_AUTHORIZED,
            "pre-authorized_code": code,
            "tx_code": offer["txCode"],
            "resource": issuer,
        },
    )
    assert token.status_code == 200, token.text
    nonce = (await client.post("/openid4vci/nonce")).json()["c_nonce"]
    proof = PythonWallet().proof(audience=issuer, nonce=nonce)
    answer = await client.post(
        "/openid4vci/credential",
        json={"credential_configuration_id": "SkillCredential_ldp_vc", "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert answer.status_code == 200, answer.text


async def deliver(base: str, offers: list[dict[str, Any]], connections: int) -> tuple[float, float]:
    latencies: list[float] = []
    queue = list(offers)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            offer = queue.pop()
            started = time.perf_counter()
            await collect(client, offer, base)
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return len(offers) / elapsed, statistics.median(latencies) * 1000


def make_offers(base: str, key: str, count: int) -> list[dict[str, Any]]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        offers = []
        for _ in range(count):
            response = client.post("/offers", json=OFFER_REQUEST)
            assert response.status_code == 201, response.text
            offers.append(response.json())
    return offers


def node_rounds(base: str, key: str, rounds: int) -> float | None:
    node = shutil.which("node")
    if node is None or rounds < 2:
        return None
    offers = make_offers(base, key, rounds)
    done = subprocess.run(
        [node, str(ROOT / "interop" / "wallet.mjs")],
        input=json.dumps(
            {
                "rounds": rounds,
                "offers": [o["credentialOffer"] for o in offers],
                "txCodes": [o["txCode"] for o in offers],
                "allowInsecureUrls": True,
            }
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["ok"], answer
    return float(rounds / answer["seconds"])


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"skillcred-bench-offers-{backend}-"))
    try:
        with (
            database(backend, workdir) as url,
            running_service(url, workdir, workers=args.workers) as service,
        ):
            base, key = service.base, service.api_key
            registered = httpx.post(
                f"{base}/skills", json=DEFINITION, headers={"Authorization": f"Bearer {key}"}
            )
            assert registered.status_code == 201, registered.text
            asyncio.run(issue_plain(base, key, 40, args.connections))  # warm up
            plain_rate, plain_p50 = asyncio.run(
                issue_plain(base, key, args.offers, args.connections)
            )
            offers = make_offers(base, key, args.offers)
            offer_rate, offer_p50 = asyncio.run(deliver(base, offers, args.connections))
            node_rate = node_rounds(base, key, args.node_rounds)
        return {
            "backend": backend,
            "plain_per_s": plain_rate,
            "plain_p50_ms": plain_p50,
            "offers_per_s": offer_rate,
            "offer_p50_ms": offer_p50,
            "node_per_s": node_rate,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--node-rounds", type=int, default=20)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    rows = [run(backend, args) for backend in args.backend or ["sqlite"]]
    print(
        f"{'backend':<11} {'skill-credentials/s':>20} {'p50 ms':>8} "
        f"{'offers delivered/s':>19} {'p50 ms':>8} {'node client offers/s':>21}"
    )
    for row in rows:
        node = "-" if row["node_per_s"] is None else f"{row['node_per_s']:.1f}"
        print(
            f"{row['backend']:<11} {row['plain_per_s']:>20.1f} {row['plain_p50_ms']:>8.1f} "
            f"{row['offers_per_s']:>19.1f} {row['offer_p50_ms']:>8.1f} {node:>21}"
        )
    print(
        f"({args.offers} of each, {args.connections} concurrent clients, "
        f"{args.workers} server workers; an offer delivered = offer + token + nonce + "
        "credential with a key proof)"
    )


if __name__ == "__main__":
    main()
