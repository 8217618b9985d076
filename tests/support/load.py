"""A running `skillcred serve` with several workers, and concurrent traffic against it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from skillcred.core.status_list import Bitstring
from tests.support.processes import clean_environment, free_port, serving
from tests.support.service import ADMIN_TOKEN, MASTER_KEY

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:worker", "skill": "rigging"},
}


def server_environment(url: str, data_dir: Path, port: int) -> dict[str, str]:
    return clean_environment(
        SKILLCRED_DATABASE_URL=url,
        SKILLCRED_DATA_DIR=str(data_dir),
        SKILLCRED_MASTER_KEY=MASTER_KEY,
        SKILLCRED_ADMIN_TOKEN=ADMIN_TOKEN,
        SKILLCRED_BASE_URL=f"http://127.0.0.1:{port}",
        SKILLCRED_DEMO_PROVIDER="false",
        SKILLCRED_LOG_LEVEL="WARNING",
    )


@contextmanager
def server(
    workdir: Path, url: str, *, workers: int, port: int | None = None
) -> Iterator[tuple[str, Any]]:
    port = port or free_port()
    env = server_environment(url, workdir / "data", port)
    with serving(workdir, "--workers", str(workers), env=env, port=port) as (base, process):
        yield base, process


@dataclass
class Traffic:
    """What the server acknowledged: only answers received count."""

    issued: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)  # credential id -> API key
    #: (credential id, purpose) -> last acknowledged status
    statuses: dict[tuple[str, str], bool] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def create_provider(client: httpx.AsyncClient, slug: str) -> str:
    response = await client.post(
        "/admin/providers",
        json={"slug": slug, "name": slug},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    response.raise_for_status()
    return str(response.json()["apiKey"])


async def burst(
    base: str,
    traffic: Traffic,
    api_keys: list[str],
    *,
    issuances: int,
    concurrency: int,
    seed: int = 7,
) -> None:
    """Issue credentials and change statuses concurrently until ``issuances`` are done.

    Changes of one credential are sent one after another (so the last acknowledged state
    is well defined); changes of different credentials overlap freely with issuance."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        semaphore = asyncio.Semaphore(concurrency)

        async def change(credential_id: str, key: str, purpose: str, status: bool) -> None:
            async with semaphore:
                response = await client.post(
                    "/credentials/status",
                    json={
                        "credentialId": credential_id,
                        "credentialStatus": {
                            "type": "BitstringStatusList",
                            "statusPurpose": purpose,
                        },
                        "status": status,
                        "reason": "load test",
                    },
                    headers={"Authorization": f"Bearer {key}"},
                )
            if response.status_code == 200:
                traffic.statuses[(credential_id, purpose)] = status
            else:
                traffic.errors.append(f"status {response.status_code}: {response.text}")

        async def one(number: int) -> None:
            key = api_keys[number % len(api_keys)]
            credential = dict(CREDENTIAL)
            if number % 2:
                credential["validUntil"] = "2099-01-01T00:00:00Z"
            async with semaphore:
                response = await client.post(
                    "/credentials/issue",
                    json={"credential": credential},
                    headers={"Authorization": f"Bearer {key}"},
                )
            if response.status_code != 201:
                traffic.errors.append(f"issue {response.status_code}: {response.text}")
                return
            issued = response.json()["verifiableCredential"]
            traffic.issued[issued["id"]] = issued
            traffic.api_keys[issued["id"]] = key
            roll = rng.random()
            if roll < 0.3:
                await change(issued["id"], key, "revocation", True)
            elif roll < 0.6 and number % 2:
                await change(issued["id"], key, "suspension", True)
                if rng.random() < 0.5:
                    await change(issued["id"], key, "suspension", False)

        await asyncio.gather(*(one(n) for n in range(issuances)), return_exceptions=True)


def entries_of(credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status = credential["credentialStatus"]
    return {e["statusPurpose"]: e for e in (status if isinstance(status, list) else [status])}


def served_lists(base: str, credentials: list[dict[str, Any]]) -> dict[str, Bitstring]:
    urls = {e["statusListCredential"] for c in credentials for e in entries_of(c).values()}
    lists = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for url in urls:
            response = client.get(urlsplit(url).path)
            response.raise_for_status()
            lists[url] = Bitstring.decode(response.json()["credentialSubject"]["encodedList"])
    return lists


def check_consistency(base: str, traffic: Traffic) -> None:
    """No index shared; every acknowledged credential stored; every acknowledged status in
    the served lists; no bit set that nobody asked for."""
    credentials = list(traffic.issued.values())
    slots = [
        (e["statusListCredential"], e["statusListIndex"])
        for c in credentials
        for e in entries_of(c).values()
    ]
    assert len(slots) == len(set(slots)), "a status index was handed out twice"
    with httpx.Client(base_url=base, timeout=30) as client:
        for credential_id, credential in traffic.issued.items():
            response = client.get(
                f"/credentials/{credential_id}",
                headers={"Authorization": f"Bearer {traffic.api_keys[credential_id]}"},
            )
            assert response.status_code == 200, f"acknowledged {credential_id} is not stored"
            assert response.json()["verifiableCredential"] == credential
    lists = served_lists(base, credentials)
    for credential in credentials:
        for purpose, entry in entries_of(credential).items():
            bit = lists[entry["statusListCredential"]].get(int(entry["statusListIndex"]))
            expected = traffic.statuses.get((credential["id"], purpose), False)
            assert bit == int(expected), (credential["id"], purpose, bit, expected)
