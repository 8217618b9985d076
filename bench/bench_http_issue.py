"""Issuance over HTTP: `skillcred serve --workers 2` driven by wrk with many connections.

    .venv/bin/python bench/bench_http_issue.py [--connections 64] [--seconds 15]
        [--backend sqlite --backend postgresql] [--credential skill|vector]

Prints issued credentials per second, p50/p99 latency, errors, and peak memory (RSS high
water mark) per worker process, for SQLite and PostgreSQL. Needs `wrk` (Debian package)
and, for PostgreSQL, SKILLCRED_BENCH_POSTGRES_URL or a server on 127.0.0.1:5432. The load
generator runs on the same machine: read the figures as a pair, not as a capacity claim.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SKILLCRED = str(Path(sys.executable).with_name("skillcred"))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CREDENTIALS = {
    "skill": ROOT / "tests" / "data" / "skill-credential.json",
    "vector": ROOT / "tests" / "vectors" / "eddsa" / "unsigned.json",
}

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(api_key)s"
wrk.body = %(body)s
"""


@dataclass
class Figures:
    backend: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    completed: int
    stored: int
    worker_peak_rss_mb: list[float]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    admin_url = os.environ.get("SKILLCRED_BENCH_POSTGRES_URL", DEFAULT_PG)
    name = f"skillcred_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def run_wrk(
    script: Path, url: str, *, connections: int, seconds: int
) -> tuple[float, float, float, int, int]:
    """One wrk run (one thread, the Lua ``script``) against ``url``; see ``parse_wrk``."""
    wrk = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(wrk.stdout)


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        match = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    completed = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return rate, percentile("50"), percentile("99"), errors, completed


@dataclass
class Running:
    base: str
    api_key: str
    server: subprocess.Popen[bytes]
    workdir: Path


def service_env(url: str, workdir: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment of a benchmarked ``skillcred serve``: no SKILLCRED_* of the caller's,
    a fresh master key, no demo provider, and no rate limits (a load generator is one client
    at many times any client's rate)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCRED_")}
    env.update(
        SKILLCRED_DATABASE_URL=url,
        SKILLCRED_DATA_DIR=str(workdir / "data"),
        SKILLCRED_MASTER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        SKILLCRED_DEMO_PROVIDER="false",
        SKILLCRED_LOG_LEVEL="WARNING",
        SKILLCRED_RATE_LIMIT_VERIFY_PER_MINUTE="0",
        SKILLCRED_RATE_LIMIT_PUBLIC_PER_MINUTE="0",
        SKILLCRED_BASE_URL=f"http://127.0.0.1:{port}",
        **settings,
    )
    return env


@contextmanager
def serving(env: dict[str, str], port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    """``skillcred serve --workers N`` on ``port``, once /healthz answers; stopped after."""
    server = subprocess.Popen(
        [SKILLCRED, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("skillcred serve did not start")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=60)


@contextmanager
def running_service(url: str, workdir: Path, *, workers: int) -> Iterator[Running]:
    """`skillcred serve --workers N` on ``url`` with one provider ("bench"), answering."""
    port = free_port()
    env = service_env(url, workdir, port)
    created = subprocess.run(
        [SKILLCRED, "providers", "create", "--slug", "bench", "--name", "Bench Provider"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    with serving(env, port, workers) as server:
        base = f"http://127.0.0.1:{port}"
        yield Running(base, json.loads(created.stdout)["apiKey"], server, workdir)


def run(
    backend: str,
    *,
    connections: int,
    seconds: int,
    credential: dict[str, Any],
    workers: int,
    options: dict[str, Any] | None = None,
) -> Figures:
    workdir = Path(tempfile.mkdtemp(prefix=f"skillcred-bench-{backend}-"))
    try:
        with database(backend, workdir) as url:
            with running_service(url, workdir, workers=workers) as service:
                base, api_key, server = service.base, service.api_key, service.server
                body = json.dumps(
                    {"credential": credential, **({"options": options} if options else {})}
                )
                for _ in range(50):  # warm every worker's caches
                    response = httpx.post(
                        f"{base}/credentials/issue",
                        content=body,
                        headers={
                            "Authorization": f"Bearer {api_key}",
                            "Content-Type": "application/json",
                        },
                    )
                    assert response.status_code == 201, response.text
                script = workdir / "issue.lua"
                script.write_text(WRK_SCRIPT % {"api_key": api_key, "body": json.dumps(body)})
                rate, p50, p99, errors, completed = run_wrk(
                    script, f"{base}/credentials/issue", connections=connections, seconds=seconds
                )
                rss = [peak_rss_mb(pid) for pid in children(server.pid)]
            engine = create_engine(url)
            with engine.connect() as connection:
                stored = int(
                    connection.execute(text("SELECT count(*) FROM credentials")).scalar_one()
                )
            engine.dispose()
            return Figures(backend, rate, p50, p99, errors, completed, stored - 50, rss)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--credential", choices=tuple(CREDENTIALS), default="skill")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    credential = json.loads(CREDENTIALS[args.credential].read_text())
    credential.pop("issuer", None)
    credential.pop("id", None)
    credential.pop("credentialStatus", None)  # the service adds its own status entry
    results = [
        run(
            b,
            connections=args.connections,
            seconds=args.seconds,
            credential=credential,
            workers=args.workers,
        )
        for b in (args.backend or ["sqlite", "postgresql"])
    ]
    print(
        f"POST /credentials/issue — {args.credential} credential with a revocation entry, "
        "eddsa-rdfc-2022, "
        f"{args.workers} workers, {args.connections} connections, {args.seconds} s, "
        "wrk -t1 on the same host"
    )
    row = "{:<11} {:>9} {:>8} {:>8} {:>7} {:>8}  {}"
    header = row.format("backend", "issued/s", "p50 ms", "p99 ms", "errors", "stored", "peak RSS")
    print(header)
    print("-" * len(header))
    for f in results:
        rss = ", ".join(f"{m:.0f} MB" for m in f.worker_peak_rss_mb)
        print(
            row.format(
                f.backend,
                f"{f.requests_per_s:.0f}",
                f"{f.p50_ms:.1f}",
                f"{f.p99_ms:.1f}",
                f.errors,
                f.stored,
                f"{rss} (parent, workers)",
            )
        )
    print("\ntarget: >= 1000 issued/s with p99 < 50 ms at 64 connections on this 2-core machine")


if __name__ == "__main__":
    main()
