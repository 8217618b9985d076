"""Issue and verify rates of the same skill credential as `dc+sd-jwt` and as `ldp_vc`.

    .venv/bin/python bench/bench_sd_jwt.py [--rounds 5] [--seconds 1.0]
        [--http] [--requests 300] [--connections 8] [--workers 2]

In-process (single thread, the median of ``--rounds`` rounds as bench/bench_core.py, but
interleaved: each round runs every operation in turn, so the ratios survive a loaded
machine):

- ``ldp_vc`` eddsa-rdfc-2022 and eddsa-jcs-2022: issue = data-model check + proof
  (``sign_credential``); verify = proof + data model + validity period (``Verifier``,
  ``checks={"validityPeriod"}``).
- ``dc+sd-jwt``: issue = the twin's claims from the same credential (``skill_claims``),
  salts, disclosures and 2 decoys, the ES256 signature with an ``x5c`` header and a
  status claim; verify = the service's ``SdJwtVerifier``: parse, ``x5c`` chain to a
  trusted root, SAN URI = ``iss``, signature, every disclosure put back (RFC 9901 §7.1),
  validity period and issuer trust; "verify+KB" is a presentation of one disclosure with
  a KB-JWT (nonce, audience, ``sd_hash``, the holder's signature).
- The raw Ed25519 and ES256 (P-256) sign/verify rates are the floors.

A status list cannot be consulted offline, so status is left out of verification on
both sides (``ldp_vc``: not among the checks; ``dc+sd-jwt``: the verified token carries
no status claim).

With ``--http``, against ``skillcred serve --workers N`` (SQLite), ``--connections``
concurrent clients, ``--passes`` times in turn (medians): ``POST /skill-credentials``
(each suite) beside ``POST /sd-jwt-vc`` (the twin of a stored credential), and
``POST /credentials/verify`` of each — status included, read from this service's own
lists. Prints a table; the clients share the
machine with the server, so read the figures side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from skillcred import Verifier, load_key_file, sign_credential
from skillcred.core import sdjwt
from skillcred.core.jose import ES256, P256KeyPair, b64url_decode, public_jwk
from skillcred.core.x509ca import make_leaf, make_root, x5c_value
from skillcred.services.sdjwt_vc import DECOYS, skill_claims
from skillcred.services.sdjwt_verify import SdJwtVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import with_issuer

ROOT = Path(__file__).resolve().parent.parent
KEY_FILE = ROOT / "tests" / "vectors" / "eddsa" / "keyPair.json"
CREDENTIAL = ROOT / "tests" / "data" / "skill-credential.json"
DEFINITION = json.loads((ROOT / "examples" / "skill-definition.json").read_text())
REQUEST = json.loads((ROOT / "examples" / "skill-credential-request.json").read_text())
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
ISS = "https://college.example/issuer"
AUD = "https://employer.example"

Row = tuple[str, str, float]  # (format, operation, per second)


def _epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def interleaved(
    operations: dict[tuple[str, str], Callable[[], object]], *, rounds: int, seconds: float
) -> list[Row]:
    """Median operations per second of each operation over ``rounds`` rounds, every round
    running each operation in turn for about ``seconds``: a swing in the machine's load
    then falls on all of them alike, so the ratios hold when the absolute figures do not."""
    for operation in operations.values():
        for _ in range(20):  # warm-up: caches, first-call costs
            operation()
    per_round: dict[tuple[str, str], list[float]] = {name: [] for name in operations}
    for _ in range(rounds):
        for name, operation in operations.items():
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
            per_round[name].append(count / (now - started))
    return [(fmt, op, statistics.median(values)) for (fmt, op), values in per_round.items()]


def run_in_process(rounds: int, seconds: float) -> list[Row]:
    operations: dict[tuple[str, str], Callable[[], object]] = {}
    message = b"\x01" * 64

    ed = Ed25519PrivateKey.generate()
    ed_signature = ed.sign(message)
    ed_public = ed.public_key()
    operations[("raw Ed25519", "sign")] = lambda: ed.sign(message)
    operations[("raw Ed25519", "verify")] = lambda: ed_public.verify(ed_signature, message)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_signature = p256.sign(message, ec.ECDSA(hashes.SHA256()))
    p256_public = p256.public_key()
    operations[("raw ES256", "sign")] = lambda: p256.sign(message, ec.ECDSA(hashes.SHA256()))
    operations[("raw ES256", "verify")] = lambda: p256_public.verify(
        p256_signature, message, ec.ECDSA(hashes.SHA256())
    )

    # ldp_vc: the Data Integrity credential, both suites
    key = load_key_file(KEY_FILE.read_text())
    credential = with_issuer(json.loads(CREDENTIAL.read_text()), key.controller)
    verifier = Verifier()
    for suite in SUITES:
        signed = sign_credential(credential, key=key, cryptosuite=suite)
        check = verifier.verify_credential(signed, checks={"validityPeriod"})
        if not check.verified:
            raise SystemExit(f"ldp_vc {suite} does not verify: {check.to_json()['errors']}")
        operations[(f"ldp_vc {suite}", "issue")] = lambda s=suite: sign_credential(
            credential, key=key, cryptosuite=s
        )
        operations[(f"ldp_vc {suite}", "verify")] = lambda d=signed: verifier.verify_credential(
            d, checks={"validityPeriod"}
        )

    # dc+sd-jwt: the twin of the same credential, x5c to a root the verifier trusts
    now = dt.datetime.now(dt.UTC)
    ca = P256KeyPair.generate()
    root = make_root(ca, common_name="bench CA", now=now)
    issuer_key = P256KeyPair.generate()
    leaf = make_leaf(
        ca, root, issuer_key.public_key, issuer_url=ISS, common_name="bench issuer", now=now
    )
    holder = P256KeyPair.generate()
    header = {"alg": ES256, "typ": "dc+sd-jwt", "kid": "bench", "x5c": x5c_value([leaf])}
    status = {"status_list": {"idx": 81234, "uri": "https://college.example/status/1"}}

    def issue_twin(*, with_status: bool = True) -> str:
        kind, claims = skill_claims(credential)
        payload: dict[str, Any] = {
            "iss": ISS,
            "iat": int(time.time()),
            "vct": f"https://college.example/vct/skills/{kind}",
            "cnf": {"jwk": public_jwk(holder.public_key)},
            "nbf": _epoch(credential["validFrom"]),
            "exp": _epoch(credential["validUntil"]),
        }
        if with_status:
            payload["status"] = status
        payload.update(claims)
        return sdjwt.issue(header, payload, issuer_key, decoys=DECOYS)

    sd_verifier = SdJwtVerifier(
        SimpleNamespace(base_url="https://skills.invalid"),  # type: ignore[arg-type]
        fetcher=None,
        trusted_roots=lambda: [(root, "bench CA")],
        budget_seconds=5.0,
        budget_fetches=4,
    )
    token = issue_twin(with_status=False)
    parsed = sdjwt.SdJwt.parse(token)
    name = next(d for d in parsed.disclosures if '"name"' in b64url_decode(d).decode())
    presentation = sdjwt.make_kb_jwt(
        f"{parsed.issuer_jwt}~{name}~", holder, nonce="n-1", audience=AUD, iat=int(time.time())
    )
    for text, options in ((token, {}), (presentation, {"nonce": "n-1", "audience": AUD})):
        result = sd_verifier.verify(text, **options)
        if result.verdict != "valid":
            raise SystemExit(f"dc+sd-jwt does not verify: {result.to_json()}")
    operations[("dc+sd-jwt ES256", "issue")] = issue_twin
    operations[("dc+sd-jwt ES256", "verify")] = lambda: sd_verifier.verify(token)
    operations[("dc+sd-jwt ES256", "verify+KB")] = lambda: sd_verifier.verify(
        presentation, nonce="n-1", audience=AUD
    )
    return interleaved(operations, rounds=rounds, seconds=seconds)


# --- over HTTP ----------------------------------------------------------------------------


async def _drive(
    base: str,
    bodies: list[tuple[str, Any]],
    connections: int,
    *,
    headers: dict[str, str],
    expect: Callable[[httpx.Response], Any],
) -> tuple[float, float, list[Any]]:
    """POST each (path, body) from ``connections`` clients; (per second, p50 ms, answers)."""
    latencies: list[float] = []
    answers: list[Any] = []
    queue = list(reversed(bodies))

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            path, body = queue.pop()
            started = time.perf_counter()
            response = await client.post(path, json=body)
            latencies.append(time.perf_counter() - started)
            answers.append(expect(response))

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return len(bodies) / elapsed, statistics.median(latencies) * 1000, answers


def _issued(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _valid(response: httpx.Response) -> None:
    assert response.status_code == 200 and response.json()["verdict"] == "valid", response.text


def run_http(
    requests: int, connections: int, workers: int, passes: int
) -> list[tuple[str, str, float, float]]:
    from bench_http_issue import running_service

    holder = P256KeyPair.generate()
    holder_jwk = public_jwk(holder.public_key)
    rows: list[tuple[str, str, float, float]] = []
    workdir = Path(tempfile.mkdtemp(prefix="skillcred-bench-sd-jwt-"))
    try:
        with running_service(f"sqlite:///{workdir / 'bench.db'}", workdir, workers=workers) as svc:
            auth = {"Authorization": f"Bearer {svc.api_key}"}
            registered = httpx.post(f"{svc.base}/skills", json=DEFINITION, headers=auth)
            assert registered.status_code == 201, registered.text
            body = copy.deepcopy(REQUEST)
            body["holder"]["name"] = "Pieter Jansen"

            def drive(path_bodies: list[tuple[str, Any]], expect: Callable[..., Any]) -> Any:
                return asyncio.run(
                    _drive(svc.base, path_bodies, connections, headers=auth, expect=expect)
                )

            drive([("/skill-credentials", body)] * 40, _issued)  # warm every worker
            figures: dict[tuple[str, str], list[tuple[float, float]]] = {}

            def record(row: tuple[str, str, float, float]) -> None:
                figures.setdefault((row[0], row[1]), []).append((row[2], row[3]))

            for _ in range(passes):
                issued: dict[str, list[dict[str, Any]]] = {}
                for suite in SUITES:
                    per_s, p50, answers = drive(
                        [("/skill-credentials", {**body, "cryptosuite": suite})] * requests, _issued
                    )
                    record((f"ldp_vc {suite}", "POST /skill-credentials", per_s, p50))
                    issued[suite] = [a["verifiableCredential"] for a in answers]
                twins_for = [
                    ("/sd-jwt-vc", {"credentialId": c["id"], "holderJwk": holder_jwk})
                    for c in issued[SUITES[0]]
                ]
                per_s, p50, answers = drive(twins_for, _issued)
                record(("dc+sd-jwt ES256", "POST /sd-jwt-vc", per_s, p50))
                twins = [a["credential"] for a in answers]

                for suite in SUITES:
                    per_s, p50, _ = drive(
                        [
                            ("/credentials/verify", {"verifiableCredential": c})
                            for c in issued[suite]
                        ],
                        _valid,
                    )
                    record((f"ldp_vc {suite}", "POST /credentials/verify", per_s, p50))
                per_s, p50, _ = drive(
                    [("/credentials/verify", {"verifiableCredential": t}) for t in twins], _valid
                )
                record(("dc+sd-jwt ES256", "POST /credentials/verify", per_s, p50))
                presentations = []
                for twin in twins:
                    parsed = sdjwt.SdJwt.parse(twin)
                    name = next(
                        d for d in parsed.disclosures if '"name"' in b64url_decode(d).decode()
                    )
                    presentations.append(
                        sdjwt.make_kb_jwt(
                            f"{parsed.issuer_jwt}~{name}~",
                            holder,
                            nonce="n-1",
                            audience=AUD,
                            iat=int(time.time()),
                        )
                    )
                per_s, p50, _ = drive(
                    [
                        (
                            "/credentials/verify",
                            {
                                "verifiableCredential": p,
                                "options": {"challenge": "n-1", "domain": AUD},
                            },
                        )
                        for p in presentations
                    ],
                    _valid,
                )
                record(("dc+sd-jwt ES256", "POST /credentials/verify +KB", per_s, p50))
            for (fmt, request), values in figures.items():
                rows.append(
                    (
                        fmt,
                        request,
                        statistics.median(v[0] for v in values),
                        statistics.median(v[1] for v in values),
                    )
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--http", action="store_true", help="also over HTTP (skillcred serve)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--passes", type=int, default=3, help="HTTP passes (medians)")
    args = parser.parse_args()

    rows = run_in_process(args.rounds, args.seconds)
    print(
        f"in-process — medians of {args.rounds} rounds of {args.seconds:.1f} s, one thread; "
        "the same Open Badges skill credential"
    )
    header = f"{'format':<26} {'op':<10} {'per s':>10}"
    print(header)
    print("-" * len(header))
    for fmt, op, value in rows:
        print(f"{fmt:<26} {op:<10} {value:10.0f}")
    figures = {(fmt, op): value for fmt, op, value in rows}
    print()
    for op in ("issue", "verify"):
        sd = figures[("dc+sd-jwt ES256", op)]
        ratios = ", ".join(f"{sd / figures[(f'ldp_vc {s}', op)]:.2f}× {s}" for s in SUITES)
        print(f"dc+sd-jwt {op}: {ratios}")
    sys.stdout.flush()

    if args.http:
        http_rows = run_http(args.requests, args.connections, args.workers, args.passes)
        print()
        print(
            f"over HTTP — skillcred serve --workers {args.workers} (SQLite), "
            f"{args.connections} clients, {args.requests} requests each, "
            f"medians of {args.passes} passes"
        )
        header = f"{'format':<26} {'request':<30} {'per s':>8} {'p50 ms':>8}"
        print(header)
        print("-" * len(header))
        for fmt, request, per_s, p50 in http_rows:
            print(f"{fmt:<26} {request:<30} {per_s:8.0f} {p50:8.1f}")


if __name__ == "__main__":
    main()
