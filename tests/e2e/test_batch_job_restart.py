"""Issue 14, must show 3: a large batch runs as a job in `skillcred serve`, with progress to
poll; the server is killed (SIGKILL) midway and started again, and the job completes with
every row issued exactly once — one credential per row key, no status index twice.

3,000 rows on SQLite and PostgreSQL as a normal test; 200,000 rows (slow) on SQLite,
printing the rows per second."""

from __future__ import annotations

import csv
import io
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import REPO_ROOT
from tests.support.databases import fresh_database_url
from tests.support.load import server_environment
from tests.support.processes import free_port, serving, stop
from tests.support.service import ADMIN_TOKEN

DEFINITION = orjson.loads((REPO_ROOT / "examples" / "skill-definition.json").read_bytes())
#: every row with this many in between names a level the skill does not have
BAD_EVERY = 997


def results_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["holder_email", "skill", "level", "assessment_method", "assessment_date", "assessor_name"]
    )
    for number in range(1, rows + 1):
        level = (
            "nope" if number % BAD_EVERY == 0 else ("basic", "independent", "expert")[number % 3]
        )
        writer.writerow(
            [f"worker{number}@example.nl", "mig-fillet", level, "practical", "2026-02-27", "J. Vos"]
        )
    return out.getvalue().encode()


def poll(base: str, location: str, key: dict[str, str], until: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, headers=key, timeout=30) as client:
        while True:
            job = client.get(location).json()
            if until(job):
                return job
            assert job["state"] != "failed", job
            assert time.monotonic() < deadline, f"the job did not get there in time: {job}"
            time.sleep(0.2)


def run_with_a_crash(tmp_path: Path, url: str, rows: int, *, timeout: float) -> dict[str, Any]:
    port = free_port()
    env = {
        **server_environment(url, tmp_path / "data", port),
        "SKILLCRED_BATCH_JOB_LEASE_SECONDS": "3",
        "SKILLCRED_BATCH_JOB_POLL_SECONDS": "0.2",
    }
    with serving(tmp_path, env=env, port=port) as (base, process):
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        created = httpx.post(
            f"{base}/admin/providers", json={"slug": "lasschool", "name": "L"}, headers=admin
        )
        assert created.status_code == 201, created.text
        key = {"Authorization": f"Bearer {created.json()['apiKey']}"}
        assert httpx.post(f"{base}/skills", json=DEFINITION, headers=key).status_code == 201
        body = results_csv(rows)
        started = time.monotonic()
        submitted = httpx.post(
            f"{base}/skill-credentials/batch",
            content=body,
            headers={**key, "Content-Type": "text/csv", "Prefer": "respond-async"},
            timeout=300,
        )
        accepted = time.monotonic() - started
        assert submitted.status_code == 202, submitted.text
        location = submitted.headers["location"]
        assert submitted.json()["total"] == rows
        midway = poll(base, location, key, lambda job: job["done"] >= rows // 3, timeout)
        stop(process, sig=signal.SIGKILL)
        killed_at = midway["done"]
    assert 0 < killed_at < rows
    with serving(tmp_path, env=env, port=port) as (base, _process):
        resumed = time.monotonic()
        job = poll(base, location, key, lambda job: job["state"] == "completed", timeout)
        resumed_seconds = time.monotonic() - resumed
        with httpx.Client(base_url=base, headers=key, timeout=60) as client:
            failed = client.get(job["results"], params={"outcome": "failed", "limit": 1000})
            first = client.get(job["results"], params={"limit": 10})
            metrics = client.get("/metrics").text
    assert job["done"] == job["total"] == rows
    bad_rows = rows // BAD_EVERY
    assert (job["issued"], job["failed"], job["alreadyIssued"]) == (rows - bad_rows, bad_rows, 0)
    assert [r["line"] for r in failed.json()["results"]] == [
        n + 1 for n in range(1, rows + 1) if n % BAD_EVERY == 0
    ]  # CSV lines: the header is line 1
    assert all(r["outcome"] == "issued" for r in first.json()["results"])
    assert 'skillcred_batch_jobs_total{event="resumed"} 1.0' in metrics
    assert 'skillcred_batch_jobs_total{event="completed"} 1.0' in metrics
    check_exactly_once(url, job["id"], rows - bad_rows)
    return {
        "accepted": accepted,
        "killedAt": killed_at,
        "rowsAfterRestart": rows - killed_at,
        "resumedSeconds": resumed_seconds,
    }


def check_exactly_once(url: str, job_id: str, issued: int) -> None:
    """One credential per issued row, each under its row's key; no status index twice."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            keys = connection.execute(
                text("SELECT key, credential_row_id FROM idempotency_keys WHERE key LIKE :prefix"),
                {"prefix": f"batch-job:{job_id}:%"},
            ).all()
            assert len(keys) == issued
            assert len({row_id for _key, row_id in keys}) == issued
            assert connection.execute(text("SELECT count(*) FROM credentials")).scalar() == issued
            events = connection.execute(
                text("SELECT count(*) FROM audit_events WHERE action = 'credential.issued'")
            ).scalar()
            assert events == issued
            row_ids = connection.execute(
                text(
                    "SELECT count(*) FROM batch_job_rows WHERE job_id = :job AND outcome = 'issued'"
                ),
                {"job": job_id},
            ).scalar()
            assert row_ids == issued
            entries: Counter[tuple[str, str]] = Counter()
            for (document,) in connection.execute(text("SELECT document FROM credentials")):
                status = orjson.loads(document)["credentialStatus"]
                for entry in status if isinstance(status, list) else [status]:
                    entries[(entry["statusListCredential"], entry["statusListIndex"])] += 1
            assert entries and max(entries.values()) == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_job_survives_a_crash_midway(tmp_path: Path, backend: str) -> None:
    with fresh_database_url(backend, tmp_path) as url:
        figures = run_with_a_crash(tmp_path, url, 3_000, timeout=600)
    print(f"\n3,000-row job on {backend}: {figures}")


@pytest.mark.slow
def test_two_hundred_thousand_rows_survive_a_crash(tmp_path: Path) -> None:
    rows = 200_000
    with fresh_database_url("sqlite", tmp_path) as url:
        figures = run_with_a_crash(tmp_path, url, rows, timeout=3_600)
    rate = figures["rowsAfterRestart"] / figures["resumedSeconds"]
    print(
        f"\n200,000-row job: submitted in {figures['accepted']:.1f} s, killed at row "
        f"{figures['killedAt']}, the rest at {rate:.0f} rows/s"
    )
