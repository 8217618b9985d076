"""Verification over HTTP: `skillcred serve --workers 2` driven by wrk, 64 connections.

    .venv/bin/python bench/bench_http_verify.py [--seconds 15] [--connections 64]

Single credentials (POST /credentials/verify) and 10-credential passports (POST
/presentations/verify, holder-signed), issued here with a revocation entry each, so every
verification includes the proof(s), the data model, the validity period, the status read
from this service's list and issuer trust. Prints verifications per second (credentials
verified per second for passports), p50/p99 latency and errors. Target: >= 1,500
credential verifications/s. The load generator shares the 2 cores with the server.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from skillcred import Ed25519KeyPair, sign_presentation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http_issue import CREDENTIALS, Running, children, peak_rss_mb, run_wrk, running_service

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = %(body)s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="skillcred-bench-verify-"))
    try:
        with running_service(
            f"sqlite:///{workdir / 'bench.db'}", workdir, workers=args.workers
        ) as service:
            rows, rss = measure(service, args.connections, args.seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(rows, rss, args.workers, args.connections, args.seconds)


Row = tuple[str, float, float, float, float, int]


def measure(service: Running, connections: int, seconds: int) -> tuple[list[Row], list[float]]:
    """Issue ten credentials, then drive both verify endpoints with wrk."""
    base, workdir = service.base, service.workdir
    holder = Ed25519KeyPair.generate()
    skill = json.loads(CREDENTIALS["skill"].read_text())
    for name in ("issuer", "id", "credentialStatus", "validUntil"):
        skill.pop(name, None)
    skill["credentialSubject"]["id"] = holder.controller
    with httpx.Client(
        base_url=base, timeout=30, headers={"Authorization": f"Bearer {service.api_key}"}
    ) as client:
        issued = []
        for _ in range(10):
            response = client.post("/credentials/issue", json={"credential": skill})
            response.raise_for_status()
            issued.append(response.json()["verifiableCredential"])
    passport = sign_presentation(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder.controller,
            "verifiableCredential": issued,
        },
        key=holder,
    )
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("credential", "/credentials/verify", {"verifiableCredential": issued[0]}, 1),
        ("passport (10)", "/presentations/verify", {"verifiablePresentation": passport}, 10),
    ]
    rows: list[Row] = []
    for label, path, payload, per_request in cases:
        body = json.dumps(payload)
        for _ in range(30):  # warm every worker's caches
            answer = httpx.post(
                base + path, content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 200, answer.text
        script = workdir / "verify.lua"
        script.write_text(WRK_SCRIPT % {"body": json.dumps(body)})
        rate, p50, p99, errors, _completed = run_wrk(
            script, base + path, connections=connections, seconds=seconds
        )
        rows.append((label, rate, rate * per_request, p50, p99, errors))
    return rows, [peak_rss_mb(pid) for pid in children(service.server.pid)]


def report(rows: list[Row], rss: list[float], workers: int, connections: int, seconds: int) -> None:
    print(
        f"Verification over HTTP — skill credentials with a revocation entry, {workers} "
        f"workers, {connections} connections, {seconds} s, wrk -t1 on the same host"
    )
    line = "{:<15} {:>10} {:>16} {:>8} {:>8} {:>7}"
    print(line.format("document", "requests/s", "credentials/s", "p50 ms", "p99 ms", "errors"))
    for label, rate, credentials, p50, p99, errors in rows:
        print(
            line.format(
                label, f"{rate:.0f}", f"{credentials:.0f}", f"{p50:.1f}", f"{p99:.1f}", errors
            )
        )
    print("peak RSS (parent, workers): " + ", ".join(f"{m:.0f} MB" for m in rss))
    print("target: >= 1500 credential verifications/s")


if __name__ == "__main__":
    main()
