"""Presentation responses verified per second (a 5-skill passport), beside the plain
/presentations/verify rate of the same passport, in the same run.

    .venv/bin/python bench/bench_presentation_requests.py [--responses 200] [--concurrency 16]

`skillcred serve --workers 2` (SQLite). Five skill credentials, each with a revocation
entry, are issued to a holder's did:key. Then, untimed: ``--responses`` presentation
requests are made (POST /presentation-requests) and for each the holder signs the
passport for its nonce and client_id. Timed: those answers are posted (direct_post,
form-encoded) with ``--concurrency`` in flight, each verified with holder binding, the
request claimed once and its result stored; then the same number of POST
/presentations/verify of one passport signed with a challenge. Also timed, apart: making
requests (POST /presentation-requests: a database write, two QR codes). The client
(Python, httpx) shares the 2 cores with the server. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from skillcred import Ed25519KeyPair, sign_presentation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http_issue import Running, running_service

SKILL = {
    "name": "Skill {n}",
    "criteria": "Practical test {n}.",
    "alignment": [
        {
            "framework": "ESCO",
            "url": "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-00000000000{n}",
            "name": "skill {n}",
        }
    ],
    "levels": [{"key": "basic", "name": "Basic", "eqf": 3}],
}


def issue_passport(service: Running, holder: Ed25519KeyPair) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {service.api_key}"}
    credentials = []
    with httpx.Client(base_url=service.base, timeout=60, headers=headers) as client:
        for n in range(1, 6):
            definition = json.loads(json.dumps(SKILL).replace("{n}", str(n)))
            client.post("/skills", json={"key": f"skill-{n}", **definition}).raise_for_status()
            response = client.post(
                "/skill-credentials",
                json={
                    "holder": {"id": holder.controller},
                    "skill": f"skill-{n}",
                    "level": "basic",
                    "assessment": {
                        "method": "practical",
                        "date": "2026-02-27",
                        "assessor": {"name": "J. de Vries"},
                    },
                },
            )
            response.raise_for_status()
            credentials.append(response.json()["verifiableCredential"])
    return credentials


def passport(
    credentials: list[dict[str, Any]], holder: Ed25519KeyPair, *, challenge: str, domain: str
) -> dict[str, Any]:
    return sign_presentation(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder.controller,
            "verifiableCredential": credentials,
        },
        key=holder,
        challenge=challenge,
        domain=domain,
    )


async def timed(calls: list[Any], concurrency: int) -> tuple[float, list[float], int]:
    """Runs the coroutine factories with ``concurrency`` in flight: (seconds, latencies,
    failures)."""
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failures = 0

    async def one(call: Any) -> None:
        nonlocal failures
        async with semaphore:
            started = time.perf_counter()
            ok = await call()
            latencies.append(time.perf_counter() - started)
            failures += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    return time.perf_counter() - started, sorted(latencies), failures


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


async def measure(service: Running, responses: int, concurrency: int) -> list[tuple[Any, ...]]:
    holder = Ed25519KeyPair.generate()
    credentials = issue_passport(service, holder)
    limits = httpx.Limits(max_connections=concurrency)
    rows: list[tuple[Any, ...]] = []
    async with httpx.AsyncClient(base_url=service.base, timeout=120, limits=limits) as client:
        created: list[dict[str, Any]] = []

        def make() -> Any:
            async def call() -> bool:
                response = await client.post("/presentation-requests", json={})
                if response.status_code == 201:
                    created.append(response.json())
                return response.status_code == 201

            return call

        seconds, latencies, failures = await timed([make() for _ in range(responses)], concurrency)
        rows.append(("POST /presentation-requests", responses, seconds, latencies, failures, 0))

        answers = []
        for request in created:
            params = {
                k: v[0] for k, v in parse_qs(urlsplit(request["openid4vpRequest"]).query).items()
            }
            vp = passport(
                credentials, holder, challenge=params["nonce"], domain=params["client_id"]
            )
            body = urlencode({"vp_token": json.dumps({"skills": [vp]}), "state": params["state"]})
            answers.append((urlsplit(params["response_uri"]).path, body, request["resultUrl"]))

        def respond(path: str, body: str) -> Any:
            async def call() -> bool:
                response = await client.post(
                    path,
                    content=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                return response.status_code == 200

            return call

        seconds, latencies, failures = await timed(
            [respond(path, body) for path, body, _ in answers], concurrency
        )
        # Every answer must have been verified valid with the holder binding proven.
        invalid = 0
        for _path, _body, result_url in answers:
            result = (await client.get(result_url)).json()
            proven = result.get("presentationRequest", {}).get("presentedByHolder")
            invalid += 0 if result.get("verdict") == "valid" and proven else 1
        rows.append(
            (
                "presentation responses (direct_post)",
                len(answers),
                seconds,
                latencies,
                failures,
                invalid,
            )
        )

        plain = json.dumps(
            {
                "verifiablePresentation": passport(
                    credentials, holder, challenge="bench", domain="bench.example"
                ),
                "options": {"challenge": "bench", "domain": "bench.example"},
            }
        )

        def verify() -> Any:
            async def call() -> bool:
                response = await client.post(
                    "/presentations/verify",
                    content=plain,
                    headers={"Content-Type": "application/json"},
                )
                return response.status_code == 200

            return call

        seconds, latencies, failures = await timed(
            [verify() for _ in range(len(answers))], concurrency
        )
        rows.append(("POST /presentations/verify", len(answers), seconds, latencies, failures, 0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="skillcred-bench-presentation-"))
    try:
        with running_service(
            f"sqlite:///{workdir / 'bench.db'}", workdir, workers=args.workers
        ) as service:
            rows = asyncio.run(measure(service, args.responses, args.concurrency))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"skillcred serve --workers {args.workers} (SQLite), {args.concurrency} in flight, "
        "a 5-skill passport (each credential with a revocation entry); per s = passports "
        "verified per second (requests made per second on the first row)"
    )
    print(
        f"{'operation':<40} {'n':>5} {'per s':>8} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'failed':>6} {'not valid':>9}"
    )
    for name, count, seconds, latencies, failures, invalid in rows:
        rate = count / seconds if seconds else float("nan")
        print(
            f"{name:<40} {count:>5} {rate:>8.1f} "
            f"{percentile(latencies, 0.5):>8.1f} {percentile(latencies, 0.99):>8.1f} "
            f"{failures:>6} {invalid:>9}"
        )


if __name__ == "__main__":
    main()
