"""Canonicalization speed: the pyld reference path against the fast path.

    .venv/bin/python bench/bench_canon.py [--rounds 7] [--seconds 0.4]

Prints operations per second (median over rounds) for the W3C vector credential, a realistic
Open Badges 3.0 skill credential (tests/data/skill-credential.json) and its eddsa-rdfc-2022 proof
configuration, each canonicalized the way eddsa-rdfc-2022 signing and verification do it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import default_loader

# The reference path is the tests' comparison oracle (pyld, a development dependency).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.jsonld_reference import canonicalize_reference, canonicalize_unsafe

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "tests" / "vectors" / "eddsa"


def proof_configuration(credential: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-03-01T09:00:00Z",
        "verificationMethod": (
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
            "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        ),
        "proofPurpose": "assertionMethod",
        "@context": credential["@context"],
    }


def rate(fn: Callable[[], object], rounds: int, seconds: float) -> tuple[float, float]:
    """(median operations per second, median microseconds per operation)."""
    fn()  # warm up: contexts processed and memoised
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds / 4:
            break
        n *= 2
    n = max(1, int(n * seconds / elapsed))
    per_op = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        per_op.append((time.perf_counter() - start) / n)
    median = statistics.median(per_op)
    return 1 / median, median * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.4, help="time per round")
    args = parser.parse_args()

    loader = default_loader()
    vector = json.loads((VECTORS / "unsigned.json").read_text())
    skill = json.loads((HERE.parent / "tests" / "data" / "skill-credential.json").read_text())
    cases = {
        "vector credential": vector,
        "skill credential (OB 3.0)": skill,
        "proof configuration": proof_configuration(skill),
    }
    methods: dict[str, Callable[[dict[str, Any]], str]] = {
        "reference (pyld)": lambda d: canonicalize_reference(d, loader=loader),
        "fast, safe": lambda d: canonicalize(d, loader=loader),
        "fast, unsafe": lambda d: canonicalize_unsafe(d, loader=loader),
    }
    for doc in cases.values():
        assert canonicalize(doc, loader=loader) == canonicalize_reference(doc, loader=loader)

    print(f"{'document':28} {'method':18} {'ops/s':>10} {'us/op':>10}")
    totals: dict[str, float] = {}
    for case, doc in cases.items():
        for method, fn in methods.items():
            ops, micros = rate(lambda fn=fn, doc=doc: fn(doc), args.rounds, args.seconds)
            print(f"{case:28} {method:18} {ops:10.0f} {micros:10.1f}")
            if case != "vector credential":
                totals[method] = totals.get(method, 0.0) + micros
    print()
    for method, micros in totals.items():
        print(
            f"skill credential + its proof configuration, {method}: {micros:.0f} us "
            f"({1e6 / micros:.0f}/s)"
        )


if __name__ == "__main__":
    main()
