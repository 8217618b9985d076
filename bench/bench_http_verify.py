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
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from skillcred import Ed25519KeyPair, sign_presentation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http_issue import CREDENTIALS, children, free_port, parse_wrk, peak_rss_mb

SKILLCRED = str(Path(sys.executable).with_name("skillcred"))
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
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCRED_")}
    env.update(
        SKILLCRED_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        SKILLCRED_DATA_DIR=str(workdir / "data"),
        SKILLCRED_MASTER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        SKILLCRED_DEMO_PROVIDER="false",
        SKILLCRED_LOG_LEVEL="WARNING",
        SKILLCRED_BASE_URL=f"http://127.0.0.1:{port}",
    )
    created = subprocess.run(
        [SKILLCRED, "providers", "create", "--slug", "bench", "--name", "Bench Provider"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    api_key = json.loads(created.stdout)["apiKey"]
    server = subprocess.Popen(
        [SKILLCRED, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    rows = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        holder = Ed25519KeyPair.generate()
        skill = json.loads(CREDENTIALS["skill"].read_text())
        for name in ("issuer", "id", "credentialStatus", "validUntil"):
            skill.pop(name, None)
        skill["credentialSubject"]["id"] = holder.controller
        with httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {api_key}"}
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
        for label, path, payload, per_request in cases:
            body = json.dumps(payload)
            for _ in range(30):
                answer = httpx.post(
                    base + path, content=body, headers={"Content-Type": "application/json"}
                )
                assert answer.status_code == 200, answer.text
            script = workdir / "verify.lua"
            script.write_text(WRK_SCRIPT % {"body": json.dumps(body)})
            wrk = subprocess.run(
                [
                    "wrk",
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "--timeout",
                    "10s",
                    "-s",
                    str(script),
                    base + path,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            rate, p50, p99, errors, _completed = parse_wrk(wrk.stdout)
            rows.append((label, rate, rate * per_request, p50, p99, errors))
        rss = [peak_rss_mb(pid) for pid in children(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"Verification over HTTP — skill credentials with a revocation entry, {args.workers} "
        f"workers, {args.connections} connections, {args.seconds} s, wrk -t1 on the same host"
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
