"""The core's issue and verify rates at two commits, measured in one run, rounds interleaved.

    .venv/bin/python bench/bench_compare.py [--base REV] [--head REV] [--rounds 7] [--seconds 0.5]

A refactoring must not slow the core down. Timing one commit today and another tomorrow on a
shared machine says nothing, so this checks both out (``git archive``, into a temporary
folder), and runs bench_core's Python operations (issue and verify of the W3C vector and a
skill credential, both cryptosuites, and the eddsa-jcs-2022 proof alone) against each in
turn: round 1 base, round 1 head, round 2 head, round 2 base, ... each round in a fresh
process. The table gives each side's median and head/base: within about ±5 % is noise here.

``--instructions`` counts instead of timing: each operation runs under valgrind's callgrind
(which counts instructions, the same whatever else the machine does) N times and 0 times,
and the difference over N is the cost of one operation. Slow (a minute or so per
operation and side) but exact to a fraction of a percent on a shared machine.

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


OPERATIONS = ("rdfc-issue", "rdfc-verify", "jcs-issue", "jcs-verify")


def count_worker(op: str, times: int) -> None:
    """``op`` on the skill credential ``times`` times, after the same setup either way."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_core import CREDENTIALS, KEY_FILE, with_issuer
    from skillcred import Verifier, load_key_file, sign_credential

    key = load_key_file(KEY_FILE.read_text())
    credential = with_issuer(json.loads(CREDENTIALS["skill"].read_text()), key.controller)
    suite = "eddsa-rdfc-2022" if op.startswith("rdfc") else "eddsa-jcs-2022"
    signed = sign_credential(credential, key=key, cryptosuite=suite)
    verifier = Verifier()
    assert verifier.verify_credential(signed, checks={"validityPeriod"}).verified
    for _ in range(times):
        if op.endswith("verify"):
            verifier.verify_credential(signed, checks={"validityPeriod"})
        else:
            sign_credential(credential, key=key, cryptosuite=suite)


def instructions(tree: Path, op: str, times: int) -> int:
    """Instructions callgrind counted for a worker process doing ``op`` ``times`` times."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--count",
            op,
            str(times),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(tree / "src")},
    )
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    raise SystemExit(f"callgrind printed no count: {done.stderr[-500:]}")


def count(trees: dict[str, Path], times: int) -> None:
    print(
        f"instructions per operation (callgrind; {times} operations less none), skill credential\n"
    )
    header = f"{'operation':<14} {'base':>12} {'head':>12} {'head/base':>9}"
    print(header)
    print("-" * len(header))
    setups = {}
    for op in OPERATIONS:
        per: dict[str, float] = {}
        for side, tree in trees.items():
            empty = instructions(tree, op, 0)
            setups[side] = empty
            per[side] = (instructions(tree, op, times) - empty) / times
        print(
            f"{op:<14} {per['base']:12,.0f} {per['head']:12,.0f} {per['head'] / per['base']:8.3f}×"
        )
    print(
        f"\nstart-up and setup: base {setups['base']:,}, head {setups['head']:,} instructions "
        f"({setups['head'] / setups['base']:.2f}×)"
    )


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
    parser.add_argument(
        "--instructions",
        type=int,
        metavar="N",
        help="count instructions under callgrind over N operations instead of timing",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.seconds)
        return
    if args.count:
        count_worker(args.count[0], int(args.count[1]))
        return

    with tempfile.TemporaryDirectory(prefix="bench-compare-") as folder:
        trees = {"base": export(args.base, Path(folder) / "base")}
        trees["head"] = export(args.head, Path(folder) / "head") if args.head else ROOT
        if args.instructions:
            print(
                f"skillcred core, {args.base} (base) against {args.head or 'working tree'} (head)"
            )
            count(trees, args.instructions)
            return
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
