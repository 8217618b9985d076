"""Bitstring Status List costs: a full list, revocation-to-visible latency, and issuance
with status allocation against issuance alone.

    .venv/bin/python bench/bench_status.py [--rounds 5] [--changes 200] [--seconds 10]

1. Encoding (GZIP + base64url) and signing (eddsa-rdfc-2022) a full 131,072-entry list
   with 1 % of its bits set, in process (median of rounds).
2. Revocation to visible, over HTTP against `skillcred serve --workers 2` (SQLite): the
   time from sending POST /credentials/status to holding a served list that shows the
   bit (the answer, then a GET that re-signs the list), p50/p99 over many changes; and a
   GET of a list that did not change (served from its stored signature).
3. Issuance throughput over HTTP (wrk, 64 connections, 2 workers) with no status entry,
   a revocation entry, and revocation + suspension entries.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from skillcred import load_key_file
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.proofs import add_proof
from skillcred.core.status_list import MIN_ENTRIES, Bitstring, list_credential

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http_issue import CREDENTIALS, running_service
from bench_http_issue import run as run_issue

ROOT = Path(__file__).resolve().parent.parent
SKILLCRED = str(Path(sys.executable).with_name("skillcred"))
KEY_FILE = ROOT / "tests" / "vectors" / "eddsa" / "keyPair.json"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def full_list(rounds: int) -> dict[str, float]:
    bits = Bitstring.empty()
    rng = random.Random(1)
    for index in rng.sample(range(MIN_ENTRIES), MIN_ENTRIES // 100):
        bits.set(index, 1)
    key = load_key_file(KEY_FILE.read_text())
    encode_ms, sign_ms, sizes = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        encoded = bits.encode()
        encode_ms.append((time.perf_counter() - started) * 1000)
        document = list_credential(
            list_url="https://skills.example/status-lists/1",
            issuer=key.controller,
            purpose="revocation",
            bitstring=bits,
            valid_from=format_date_time(utc_now()),
        )
        started = time.perf_counter()
        add_proof(document, signer=key, loader=default_loader())
        sign_ms.append((time.perf_counter() - started) * 1000)
        sizes.append(len(encoded))
    return {
        "encode_ms": statistics.median(encode_ms),
        "sign_ms": statistics.median(sign_ms),
        "encoded_bytes": statistics.median(sizes),
    }


def revocation_latency(changes: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="skillcred-bench-status-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    try:
        with (
            running_service(url, workdir, workers=2) as service,
            httpx.Client(
                base_url=service.base,
                timeout=30,
                headers={"Authorization": f"Bearer {service.api_key}"},
            ) as client,
        ):
            credential = json.loads(CREDENTIALS["vector"].read_text())
            credential.pop("issuer")
            credential.pop("id")
            issued = [
                client.post("/credentials/issue", json={"credential": credential}).json()[
                    "verifiableCredential"
                ]
                for _ in range(changes)
            ]
            visible_ms, answer_ms, unchanged_ms = [], [], []
            for document in issued:
                entry = document["credentialStatus"]
                path = urlsplit(entry["statusListCredential"]).path
                started = time.perf_counter()
                response = client.post(
                    "/credentials/status",
                    json={
                        "credentialId": document["id"],
                        "credentialStatus": {
                            "type": "BitstringStatusList",
                            "statusPurpose": "revocation",
                        },
                        "status": True,
                    },
                )
                answered = time.perf_counter()
                assert response.status_code == 200, response.text
                listed = client.get(path).json()
                seen = time.perf_counter()
                bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
                assert bits.get(int(entry["statusListIndex"])) == 1, "a change was not visible"
                client.get(path)
                unchanged = time.perf_counter()
                visible_ms.append((seen - started) * 1000)
                answer_ms.append((answered - started) * 1000)
                unchanged_ms.append((unchanged - seen) * 1000)
        return {
            "answer_p50": percentile(answer_ms, 0.5),
            "visible_p50": percentile(visible_ms, 0.5),
            "visible_p99": percentile(visible_ms, 0.99),
            "unchanged_get_p50": percentile(unchanged_ms, 0.5),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def issuance(seconds: int) -> list[tuple[str, Any]]:
    credential = json.loads(CREDENTIALS["skill"].read_text())
    for name in ("issuer", "id", "credentialStatus", "validUntil"):
        credential.pop(name, None)
    rows = []
    for label, options in (
        ("no status entry", {"statusPurposes": []}),
        ("revocation", None),
        ("revocation + suspension", {"statusPurposes": ["revocation", "suspension"]}),
    ):
        figures = run_issue(
            "sqlite",
            connections=64,
            seconds=seconds,
            credential=credential,
            workers=2,
            options=options,
        )
        rows.append((label, figures))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    listed = full_list(args.rounds)
    print(f"Full list ({MIN_ENTRIES} entries, 1 % set), median of {args.rounds}")
    encoded = f"{listed['encoded_bytes']:.0f} bytes"
    print(f"  encode (GZIP + base64url)       {listed['encode_ms']:8.1f} ms  ({encoded})")
    print(f"  sign (eddsa-rdfc-2022)          {listed['sign_ms']:8.1f} ms")

    latency = revocation_latency(args.changes)
    print(f"\nRevocation to visible, HTTP, 2 workers, SQLite, {args.changes} changes")
    print(f"  POST /credentials/status answered      p50 {latency['answer_p50']:6.1f} ms")
    visible = f"p50 {latency['visible_p50']:6.1f} ms   p99 {latency['visible_p99']:6.1f} ms"
    print(f"  ... and a served list shows the bit    {visible}")
    print(f"  GET of an unchanged list               p50 {latency['unchanged_get_p50']:6.1f} ms")

    setup = f"skill credential, 64 connections, 2 workers, SQLite, {args.seconds} s"
    print(f"\nIssuance over HTTP ({setup})")
    print(f"  {'status entries':<26} {'issued/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, figures in issuance(args.seconds):
        print(
            f"  {label:<26} {figures.requests_per_s:9.0f} {figures.p50_ms:8.1f} "
            f"{figures.p99_ms:8.1f} {figures.errors:7d}"
        )


if __name__ == "__main__":
    main()
