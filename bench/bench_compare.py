"""The core's issue and verify rates at two commits, measured in one run, rounds interleaved.

    .venv/bin/python bench/bench_compare.py [--base REV] [--head REV] [--rounds 7] [--seconds 0.5]

A refactoring must not slow the core down. Timing one commit today and another tomorrow on a
shared machine says nothing, so this checks both out (``git archive``, into a temporary
folder), and runs bench_core's Python operations (issue and verify of the W3C vector and a
skill credential, both cryptosuites, and the eddsa-jcs-2022 proof alone) against each in
turn: round 1 base, round 1 head, round 2 head, round 2 base, ... each round in a fresh
process. The table gives each side's median and head/base: within about ±5 % is noise here.

``--base`` defaults to main just before issue 10's refactoring (the JSON-LD processor split
into rooms, proof purposes as objects, credentials read once at the edge); ``--head`` to
the working tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: main before issue 10's refactoring was merged (bc0e995's first parent)
DEFAULT_BASE = "c67c491"


def export(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (src, contexts, schemas, tests/data, tests/vectors) in ``into``."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src", "contexts", "schemas", "tests"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def one_round(tree: Path, seconds: float) -> dict[str, float]:
    """bench_core's Python rates for one round, with ``skillcred`` imported from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    report = json.loads(done.stdout)
    if Path(report["from"]) != tree / "src" / "skillcred":
        raise SystemExit(f"the round meant for {tree} imported skillcred from {report['from']}")
    rates: dict[str, float] = report["rates"]
    return rates


def worker(seconds: float) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import skillcred
    from bench_core import run_python

    results = run_python(1, seconds)
    rates = {" ".join(k): v for k, v in results.items() if k[0] != "raw Ed25519"}
    print(json.dumps({"from": str(Path(skillcred.__file__).parent), "rates": rates}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--head", default=None, help="a commit (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.seconds)
        return

    with tempfile.TemporaryDirectory(prefix="bench-compare-") as folder:
        trees = {"base": export(args.base, Path(folder) / "base")}
        trees["head"] = export(args.head, Path(folder) / "head") if args.head else ROOT
        samples: dict[str, dict[str, list[float]]] = {"base": {}, "head": {}}
        for number in range(args.rounds):
            order = ("base", "head") if number % 2 == 0 else ("head", "base")
            for side in order:
                for op, value in one_round(trees[side], args.seconds).items():
                    samples[side].setdefault(op, []).append(value)

    base_name = args.base
    head_name = args.head or "working tree"
    print(
        f"skillcred core, {base_name} (base) against {head_name} (head): medians of "
        f"{args.rounds} interleaved rounds of {args.seconds:.1f} s per operation, one core\n"
    )
    header = f"{'operation':<40} {'base/s':>9} {'head/s':>9} {'head/base':>9}"
    print(header)
    print("-" * len(header))
    ratios = []
    for op, values in samples["head"].items():
        base = statistics.median(samples["base"][op])
        head = statistics.median(values)
        ratios.append(head / base)
        print(f"{op:<40} {base:9.0f} {head:9.0f} {head / base:8.3f}×")
    print(f"\ngeometric mean of head/base: {statistics.geometric_mean(ratios):.3f}×")


if __name__ == "__main__":
    main()
