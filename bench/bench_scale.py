"""Costs that must stay flat as the data grows: revocation latency, time to visible, the
audit check's time and memory, and the bytes stored per credential, at several fills.

    .venv/bin/python bench/bench_scale.py [--backend postgresql|sqlite]
        [--sizes 0,100000,1000000] [--revokes 200] [--visible 40] [--workers 2]

For each size a fresh database is filled, then measured against `skillcred serve`:

- The fill is bulk SQL (the fastest honest route), rows shaped as the service writes them:
  each credential row holds a real issued credential's document with its own id (the
  signature then does not match that id; nothing here verifies them), one revocation
  entry at a random index of a full list (131,072 entries each, a fixed random
  permutation), and its `credential.issued` audit event, hash-chained like the service's
  (the chain verifies). No ANALYZE afterwards: the planner has no statistics, as on a
  database where autovacuum has not run yet (it is off on these machines).
- The credentials revoked are issued over HTTP after the fill, so they are real.
- revoke p50/p99: `POST /credentials/status` (revocation), sequential, keep-alive.
- visible p50/p99: from sending the revocation to holding a served list that has the bit.
- server WAL/revoke (PostgreSQL): the server's write-ahead log bytes during the revocations,
  per revocation. Server-wide: meaningful only on a server of its own (on a shared one,
  others' writes land in it).
- audit check: `skillcred audit verify` as a process: wall time and peak RSS.
- bytes/credential: the database's tables and indexes (PostgreSQL) or file (SQLite)
  after the fill, divided by the credentials.

Target (issue 14): revoke latency at 1M within 2x of empty; audit-check memory constant.
PostgreSQL: SKILLCRED_BENCH_POSTGRES_URL (default postgres@127.0.0.1:5432), a database of
its own per size, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine, create_engine, insert, text, update
from sqlalchemy.engine import make_url

from bench_http_issue import database, free_port, service_env, serving
from skillcred.core.cryptosuites.eddsa_jcs_2022 import jcs
from skillcred.core.status_list import MIN_ENTRIES, Bitstring
from skillcred.services.audit import event_hash
from skillcred.storage.models import AuditEvent, AuditHead

SKILLCRED = str(Path(sys.executable).with_name("skillcred"))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ADMIN_TOKEN = "bench-scale-admin-token-0123456789abcdef"
#: an odd multiplier: n -> n * M mod 2^17 is a permutation of a list's indexes
PERMUTATION = 48_271
CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:worker", "skill": "rigging"},
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Server:
    base: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]


@contextmanager
def serve(url: str, workdir: Path, workers: int) -> Iterator[Server]:
    port = free_port()
    env = service_env(url, workdir, port, SKILLCRED_ADMIN_TOKEN=ADMIN_TOKEN)
    with serving(env, port, workers) as process:
        yield Server(f"http://127.0.0.1:{port}", env, process)


# --- the fill -------------------------------------------------------------------------------


def series(engine: Engine, last: int) -> str:
    """0..last as rows of ``n``: a recursive CTE works on SQLite and PostgreSQL alike."""
    if engine.dialect.name == "postgresql":
        return f"SELECT generate_series(0::bigint, {last}) AS n"
    return (
        f"WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {last}) "
        "SELECT n FROM s"
    )


def fill(engine: Engine, provider_id: str, issuer: str, template: str, size: int) -> None:
    """``size`` credentials with a revocation entry each and their audit events."""
    if size == 0:
        return
    template_id = json.loads(template)["id"]
    lists = (size + MIN_ENTRIES - 1) // MIN_ENTRIES
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for number in range(lists):
            connection.execute(
                text(
                    "INSERT INTO status_lists (id, provider_id, purpose, issuer, entries, "
                    "status_size, allocated, closed, version, signed_version, created_at) "
                    "VALUES (:id, :p, 'revocation', :issuer, :entries, 1, :allocated, :closed, "
                    "0, -1, :now)"
                ),
                {
                    "id": f"bulk-list-{number}",
                    "p": provider_id,
                    "issuer": issuer,
                    "entries": MIN_ENTRIES,
                    "allocated": min(MIN_ENTRIES, size - number * MIN_ENTRIES),
                    "closed": True,
                    "now": now,
                },
            )
        rows = series(engine, size - 1)
        connection.execute(
            text(
                "INSERT INTO credentials (id, provider_id, credential_id, document, cryptosuite, "
                "verification_method, issued_at) "
                "SELECT 'bulk-' || n, :p, 'urn:bulk:' || n, "
                "replace(:doc, :tid, 'urn:bulk:' || n), "
                f"'eddsa-rdfc-2022', :vm, :now FROM ({rows}) AS numbers"
            ),
            {
                "p": provider_id,
                "doc": template,
                "tid": template_id,
                "vm": json.loads(template)["proof"]["verificationMethod"],
                "now": now,
            },
        )
        connection.execute(
            text(
                "INSERT INTO status_entries (list_id, idx, provider_id, credential_row_id, "
                "allocated_at) "
                f"SELECT 'bulk-list-' || (n / {MIN_ENTRIES}), "
                f"(n * {PERMUTATION}) % {MIN_ENTRIES}, :p, 'bulk-' || n, :now "
                f"FROM ({rows}) AS numbers"
            ),
            {"p": provider_id, "now": now},
        )
        append_audit(connection, provider_id, size, now)


def append_audit(connection: Connection, provider_id: str, size: int, now: datetime) -> None:
    """One chained ``credential.issued`` event per bulk credential, after the head."""
    head_seq, head_hash = connection.execute(
        text("SELECT seq, hash FROM audit_head WHERE id = 1")
    ).one()
    previous = str(head_hash)
    batch: list[dict[str, Any]] = []
    statement = insert(AuditEvent.__table__)  # type: ignore[arg-type]
    for n in range(size):
        event = AuditEvent(
            seq=head_seq + 1 + n,
            provider_id=provider_id,
            occurred_at=now + timedelta(microseconds=n),
            actor="provider:bench",
            action="credential.issued",
            subject=f"urn:bulk:{n}",
            reason=None,
            data=jcs(
                {
                    "cryptosuite": "eddsa-rdfc-2022",
                    "statusEntries": [
                        {
                            "index": (n * PERMUTATION) % MIN_ENTRIES,
                            "list": f"bulk-list-{n // MIN_ENTRIES}",
                            "purpose": "revocation",
                        }
                    ],
                }
            ).decode(),
            prev_hash=previous,
        )
        event.hash = event_hash(event)
        previous = event.hash
        batch.append({c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns})
        if len(batch) == 10_000:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
    connection.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=head_seq + size, hash=previous)
    )


# --- the measurements -------------------------------------------------------------------------


def issue(client: httpx.Client, count: int) -> list[dict[str, Any]]:
    issued = []
    for _ in range(count):
        response = client.post("/credentials/issue", json={"credential": CREDENTIAL})
        response.raise_for_status()
        issued.append(response.json()["verifiableCredential"])
    return issued


def revoke(client: httpx.Client, credential: dict[str, Any]) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
            "status": True,
        },
    )
    assert response.status_code == 200 and response.json()["changed"], response.text


def wal_lsn(engine: Engine) -> int | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar_one()
        )


def stored_bytes(engine: Engine, url: str) -> int:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                        "JOIN pg_namespace s ON s.oid = c.relnamespace "
                        "WHERE s.nspname = 'public' AND c.relkind = 'r'"
                    )
                ).scalar_one()
            )
    path = Path(str(make_url(url).database))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def audit_check(env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, events) of `skillcred audit verify`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [SKILLCRED, "audit", "verify"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    report = json.loads(output)
    assert process.returncode == 0 and report["intact"], report
    return elapsed, usage.ru_maxrss / 1024, int(report["events"])


def measure(backend: str, size: int, *, revokes: int, visible: int, workers: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="skillcred-bench-scale-"))
    try:
        with database(backend, workdir) as url, serve(url, workdir, workers) as server:
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            created = httpx.post(
                f"{server.base}/admin/providers",
                json={"slug": "bench", "name": "Bench"},
                headers=admin,
                timeout=30,
            )
            created.raise_for_status()
            provider = created.json()
            engine = create_engine(url)
            with httpx.Client(
                base_url=server.base,
                timeout=60,
                headers={"Authorization": f"Bearer {provider['apiKey']}"},
            ) as client:
                template = issue(client, 1)[0]
                with engine.connect() as connection:
                    provider_id = connection.execute(
                        text("SELECT id FROM providers WHERE slug = 'bench'")
                    ).scalar_one()
                started = time.perf_counter()
                fill(engine, provider_id, provider["did"], json.dumps(template), size)
                fill_seconds = time.perf_counter() - started
                stored = stored_bytes(engine, url)
                warm = 20
                targets = issue(client, warm + revokes + visible)
                for credential in targets[:warm]:
                    revoke(client, credential)
                wal_before = wal_lsn(engine)
                revoke_ms = []
                for credential in targets[warm : warm + revokes]:
                    began = time.perf_counter()
                    revoke(client, credential)
                    revoke_ms.append((time.perf_counter() - began) * 1000)
                wal_after = wal_lsn(engine)
                visible_ms = []
                for credential in targets[warm + revokes :]:
                    entry = credential["credentialStatus"]
                    began = time.perf_counter()
                    revoke(client, credential)
                    listed = client.get(urlsplit(entry["statusListCredential"]).path).json()
                    seen = time.perf_counter()
                    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
                    assert bits.get(int(entry["statusListIndex"])) == 1, "not visible"
                    visible_ms.append((seen - began) * 1000)
            audit_seconds, audit_mb, events = audit_check(server.env)
            engine.dispose()
        return {
            "size": size,
            "fill_s": fill_seconds,
            "revoke_p50": percentile(revoke_ms, 0.5),
            "revoke_p99": percentile(revoke_ms, 0.99),
            "visible_p50": percentile(visible_ms, 0.5),
            "visible_p99": percentile(visible_ms, 0.99),
            "wal_per_revoke": (
                (wal_after - wal_before) / revokes
                if wal_after is not None and wal_before is not None
                else None
            ),
            "audit_s": audit_seconds,
            "audit_mb": audit_mb,
            "events": events,
            "bytes_per_credential": stored / max(size, 1) if size else None,
            "stored_mb": stored / 1e6,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--sizes", default="0,100000,1000000", help="credentials per fill")
    parser.add_argument("--revokes", type=int, default=200)
    parser.add_argument("--visible", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for size in sizes:
        figures = measure(
            args.backend, size, revokes=args.revokes, visible=args.visible, workers=args.workers
        )
        rows.append(figures)
        print(json.dumps(figures), file=sys.stderr, flush=True)

    def fmt(value: Any, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    print(
        f"\nbench_scale: {args.backend}, --workers {args.workers}, {args.revokes} revocations "
        f"(+{args.visible} to visible) per size; fill by bulk SQL, no ANALYZE\n"
    )
    header = (
        "| credentials | revoke p50 / p99 ms | visible p50 / p99 ms | server WAL/revoke | "
        "audit check s | audit peak RSS MB | bytes/credential | fill s |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for r in rows:
        print(
            f"| {r['size']:,} | {r['revoke_p50']:.1f} / {r['revoke_p99']:.1f} | "
            f"{r['visible_p50']:.1f} / {r['visible_p99']:.1f} | "
            f"{fmt(r['wal_per_revoke'], ',.0f')} | {r['audit_s']:.1f} ({r['events']:,} events) | "
            f"{r['audit_mb']:.0f} | {fmt(r['bytes_per_credential'], ',.0f')} | {r['fill_s']:.0f} |"
        )
    empty, largest = rows[0], rows[-1]
    if len(rows) > 1:
        ratio = largest["revoke_p50"] / empty["revoke_p50"]
        memory = largest["audit_mb"] / empty["audit_mb"]
        print(
            f"\nrevoke p50 at {largest['size']:,} / at {empty['size']:,}: {ratio:.2f}x "
            f"(target < 2x); audit-check peak RSS: {memory:.2f}x (target: constant)"
        )


if __name__ == "__main__":
    main()
