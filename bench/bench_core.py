"""Issue and verify throughput of the Data Integrity core, beside the floor and the reference.

    .venv/bin/python bench/bench_core.py [--rounds 5] [--seconds 1.0] [--no-js]

For each credential (the W3C vector credential and an Open Badges 3.0 skill credential
with a status entry) and each cryptosuite: issue/s (data-model check + proof; for
eddsa-jcs-2022 also "proof": the proof alone, which is what the raw floor compares to) and
verify/s (proof + data model + validity period; a status list cannot be consulted offline
so that check is left out on both sides), single thread, the median of several rounds.
The raw Ed25519 sign/verify rate is the floor. Digital Bazaar's reference implementation
(interop/bench.mjs) runs the same operations on the same credentials in the same run, so
the ratio is what is read: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from skillcred import Verifier, add_proof, default_loader, load_key_file, sign_credential

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
KEY_FILE = VECTORS / "eddsa" / "keyPair.json"
CREDENTIALS = {
    "vector": VECTORS / "eddsa" / "unsigned.json",
    "skill": ROOT / "tests" / "data" / "skill-credential.json",
}
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")


def rate(operation: Callable[[], object], *, rounds: int, seconds: float) -> float:
    """Median operations per second over ``rounds`` rounds of about ``seconds`` each."""
    for _ in range(20):  # warm-up: caches, first-call costs
        operation()
    per_round: list[float] = []
    for _ in range(rounds):
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while True:
            for _ in range(10):
                operation()
            count += 10
            now = time.perf_counter()
            if now >= deadline:
                break
        per_round.append(count / (now - started))
    return statistics.median(per_round)


def with_issuer(document: dict[str, Any], issuer: str) -> dict[str, Any]:
    document = dict(document)
    if isinstance(document.get("issuer"), dict):
        document["issuer"] = {**document["issuer"], "id": issuer}
    else:
        document["issuer"] = issuer
    return document


def run_python(rounds: int, seconds: float) -> dict[tuple[str, str, str], float]:
    key = load_key_file(KEY_FILE.read_text())
    verifier = Verifier()
    results: dict[tuple[str, str, str], float] = {}
    raw = Ed25519PrivateKey.generate()
    message = b"\x01" * 64
    signature = raw.sign(message)
    public = raw.public_key()
    results[("raw Ed25519", "-", "issue")] = rate(
        lambda: raw.sign(message), rounds=rounds, seconds=seconds
    )
    results[("raw Ed25519", "-", "verify")] = rate(
        lambda: public.verify(signature, message), rounds=rounds, seconds=seconds
    )
    for name, path in CREDENTIALS.items():
        credential = with_issuer(json.loads(path.read_text()), key.controller)
        for suite in SUITES:
            signed = sign_credential(credential, key=key, cryptosuite=suite)
            check = verifier.verify_credential(signed, checks={"validityPeriod"})
            if not check.verified:
                raise SystemExit(f"{name}/{suite} does not verify: {check.to_json()['errors']}")
            results[(name, suite, "issue")] = rate(
                lambda c=credential, s=suite: sign_credential(c, key=key, cryptosuite=s),
                rounds=rounds,
                seconds=seconds,
            )
            if suite == "eddsa-jcs-2022":
                results[(name, suite, "proof")] = rate(
                    lambda c=credential: add_proof(
                        c, signer=key, cryptosuite="eddsa-jcs-2022", loader=default_loader()
                    ),
                    rounds=rounds,
                    seconds=seconds,
                )
            results[(name, suite, "verify")] = rate(
                lambda d=signed: verifier.verify_credential(d, checks={"validityPeriod"}),
                rounds=rounds,
                seconds=seconds,
            )
    return results


def run_javascript(rounds: int, seconds: float) -> tuple[dict[tuple[str, str, str], float], str]:
    node = shutil.which("node")
    if node is None or not (ROOT / "interop" / "node_modules").is_dir():
        return {}, "reference implementation not installed (npm ci --prefix interop)"
    done = subprocess.run(
        [
            node,
            str(ROOT / "interop" / "bench.mjs"),
            "--rounds",
            str(rounds),
            "--seconds",
            str(seconds),
            "--key",
            str(KEY_FILE),
            *[str(p) for p in CREDENTIALS.values()],
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    names = {str(path): name for name, path in CREDENTIALS.items()}
    by_file = {Path(p).name: n for p, n in names.items()}
    results = {}
    for row in report["results"]:
        name = by_file.get(Path(row["file"]).name, row["file"])
        results[(name, row["cryptosuite"], row["op"])] = float(row["median_per_s"])
    versions = ", ".join(
        f"{k}@{v}"
        for k, v in report["packages"].items()
        if k in ("@digitalbazaar/vc", "jsonld", "rdf-canonize")
    )
    return results, f"node {report['node']}; {versions}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--no-js", action="store_true", help="skip the reference implementation")
    args = parser.parse_args()

    python = run_python(args.rounds, args.seconds)
    javascript, js_note = (
        ({}, "skipped") if args.no_js else run_javascript(args.rounds, args.seconds)
    )

    floor_sign = python[("raw Ed25519", "-", "issue")]
    print(f"skillcred core — medians of {args.rounds} rounds of {args.seconds:.1f} s, one core")
    print(f"reference: {js_note}\n")
    columns = ("credential", "cryptosuite", "op", "skillcred/s", "reference/s", "ratio")
    header = "{:<12} {:<16} {:<7} {:>12} {:>12} {:>7}".format(*columns)
    print(header)
    print("-" * len(header))
    for (name, suite, op), value in python.items():
        js = javascript.get((name, suite, op))
        ratio = f"{value / js:6.2f}×" if js else "-"
        js_text = f"{js:.0f}" if js else "-"
        print(f"{name:<12} {suite:<16} {op:<7} {value:12.0f} {js_text:>12} {ratio:>7}")
    print()
    for name in CREDENTIALS:
        slower = floor_sign / python[(name, "eddsa-jcs-2022", "issue")]
        proof = floor_sign / python[(name, "eddsa-jcs-2022", "proof")]
        print(
            f"{name}: eddsa-jcs-2022 issue takes {slower:.2f}× a raw Ed25519 sign (target ≤ 2×); "
            f"the proof alone {proof:.2f}×, the rest is the data-model check"
        )
    for name in CREDENTIALS:
        for op in ("issue", "verify"):
            js = javascript.get((name, "eddsa-rdfc-2022", op))
            if js:
                ratio = python[(name, "eddsa-rdfc-2022", op)] / js
                print(
                    f"{name}: eddsa-rdfc-2022 {op} runs at {ratio:.2f}× the reference (target ≥ 3×)"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
