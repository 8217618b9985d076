"""/healthz under issuance load: does signing hold up the rest of a worker?

    .venv/bin/python bench/bench_healthz.py [--seconds 10] [--connections 4]
        [--before PATH-TO-ANOTHER-CHECKOUT/src]

Starts `skillcred serve` (one worker, SQLite), drives POST /credentials/issue with wrk —
the profile's skill credential (~5 KB), then a ~300 KB credential — while a probe asks
/healthz every 10 ms, and prints the probe's p50/p99/max beside the issue rate. With
--before the same runs are made against another checkout's code (its src/ put first on
the server's PYTHONPATH), so both are read side by side in one run. Needs `wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http_issue import (
    CREDENTIALS,
    WRK_SCRIPT,
    database,
    run_wrk,
    running_service,
)


def big_credential(size: int) -> dict[str, Any]:
    """A credential of about ``size`` bytes: many statements (canonicalization grows with
    them), in the examples context's vocabulary."""
    lines = [
        f"assessment note {n}: weld seam inspected, no porosity found" for n in range(size // 60)
    ]
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:worker", "notes": lines},
    }


def probe(base: str, stop: threading.Event, samples: list[float]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            started = time.monotonic()
            client.get(f"{base}/healthz")
            samples.append((time.monotonic() - started) * 1000)
            time.sleep(0.01)


def scenario(
    base: str, api_key: str, workdir: Path, credential: dict[str, Any] | None, args: Any
) -> tuple[float, list[float]]:
    samples: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=probe, args=(base, stop, samples))
    thread.start()
    rate = 0.0
    try:
        if credential is None:
            time.sleep(args.seconds)
        else:
            body = json.dumps({"credential": credential})
            script = workdir / "issue.lua"
            script.write_text(WRK_SCRIPT % {"api_key": api_key, "body": json.dumps(body)})
            rate, *_ = run_wrk(
                script,
                f"{base}/credentials/issue",
                connections=args.connections,
                seconds=args.seconds,
            )
    finally:
        stop.set()
        thread.join()
    return rate, samples


def measure(label: str, pythonpath: str | None, args: Any) -> list[tuple[str, ...]]:
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="skillcred-healthz-"))
    old = os.environ.get("PYTHONPATH")
    if pythonpath:
        os.environ["PYTHONPATH"] = pythonpath
    try:
        with database("sqlite", workdir) as url, running_service(url, workdir, workers=1) as run:
            skill = json.loads(CREDENTIALS["skill"].read_text())
            for name, credential in (
                ("idle", None),
                ("issuing ~5 KB credentials", skill),
                ("issuing ~300 KB credentials", big_credential(300_000)),
            ):
                rate, samples = scenario(run.base, run.api_key, workdir, credential, args)
                p = statistics.quantiles(samples, n=100, method="inclusive")
                rows.append(
                    (
                        label,
                        name,
                        f"{rate:.0f}" if credential else "-",
                        f"{p[49]:.1f}",
                        f"{p[98]:.1f}",
                        f"{max(samples):.1f}",
                    )
                )
    finally:
        if pythonpath:
            if old is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = old
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--before", help="src/ of another checkout, measured first")
    args = parser.parse_args()
    rows = []
    if args.before:
        rows += measure("before", args.before, args)
    rows += measure("this checkout", None, args)
    header = ("code", "load", "issued/s", "healthz p50 ms", "p99 ms", "max ms")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
