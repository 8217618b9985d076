"""Issue 14, must show 3: a batch too large to issue while the client waits becomes a job
(202 with Location), whose progress the provider polls and whose results it pages through;
only that provider sees it; a job over the cap is refused (413) and stores nothing; bad
rows are reported per row; a row is issued once even when its worker dies after issuing
it and before recording it. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from skillcred.services import batch
from skillcred.services.runtime import AppContext
from skillcred.storage.batch_jobs import BatchJobs
from skillcred.storage.models import BatchJob, BatchJobRow, IdempotencyKey, IssuedCredential
from tests.integration.test_skills_api import (
    DEFINITION,
    REQUEST,
    auth,
    stored,
    validate_both,
)
from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service

SETTINGS = {
    "max_batch_rows": 5,
    "max_batch_job_rows": 40,
    "batch_job_chunk_rows": 4,
    "batch_job_poll_seconds": 0.05,
    "batch_job_lease_seconds": 1.0,
    "max_body_bytes": 64 * 1024,
    "max_batch_body_bytes": 256 * 1024,
}
CSV_HEADER = "holder_email,skill,level,assessment_method,assessment_date,assessor_name\n"


@pytest.fixture
def jobs_service(backend: str, tmp_path: Path) -> Iterator[Service]:
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "data", **SETTINGS) as service,
    ):
        yield service


@pytest.fixture
def idle_service(backend: str, tmp_path: Path) -> Iterator[Service]:
    """No worker thread: the test runs the worker's steps itself."""
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "data", batch_worker=False, **SETTINGS) as service,
    ):
        yield service


def provider_with_skill(service: Service, slug: str) -> dict[str, Any]:
    provider = service.create_provider(slug, name="Lasschool Twente")
    response = service.client.post("/skills", json=DEFINITION, headers=auth(provider))
    assert response.status_code == 201, response.text
    return provider


def rows(count: int, *, bad: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """``count`` requests for different holders; the rows numbered in ``bad`` (1-based)
    name a level the skill does not have."""
    return [
        {
            **REQUEST,
            "holder": {"email": f"worker{n}@example.nl"},
            "level": "nope" if n in bad else ("basic", "independent", "expert")[n % 3],
        }
        for n in range(1, count + 1)
    ]


def finished(service: Service, provider: dict[str, Any], location: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        response = service.client.get(location, headers=auth(provider))
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        assert 0 <= job["done"] <= job["total"]
        if job["state"] in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def context_of(service: Service) -> AppContext:
    context: AppContext = service.client.app.state.context  # type: ignore[attr-defined]
    return context


def count(service: Service, model: Any) -> int:
    with service.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_batch_over_the_row_limit_runs_as_a_job(jobs_service: Service) -> None:
    service = jobs_service
    provider = provider_with_skill(service, "lasschool")
    submitted = service.client.post(
        "/skill-credentials/batch", json=rows(13, bad=(3, 11)), headers=auth(provider)
    )
    assert submitted.status_code == 202, submitted.text
    location = submitted.headers["location"]
    assert location == f"/skill-credentials/batch-jobs/{submitted.json()['id']}"
    assert "preference-applied" not in submitted.headers
    assert submitted.json()["total"] == 13
    assert submitted.json()["state"] in ("queued", "running")

    job = finished(service, provider, location)
    assert job["state"] == "completed", job
    assert (job["done"], job["issued"], job["failed"], job["alreadyIssued"]) == (13, 11, 2, 0)
    assert job["results"] == location + "/results"
    assert stored(service) == 11

    page = service.client.get(job["results"], headers=auth(provider)).json()
    assert page["summary"] == {"rows": 13, "issued": 11, "alreadyIssued": 0, "failed": 2}
    assert [r["line"] for r in page["results"]] == list(range(1, 14))
    assert page["next"] is None
    failed = [r for r in page["results"] if r["outcome"] == "failed"]
    assert [r["line"] for r in failed] == [3, 11]
    assert all("level: 'nope'" in r["error"] for r in failed)
    issued = [r for r in page["results"] if r["outcome"] == "issued"]
    assert len({r["credentialId"] for r in issued}) == 11
    for result in issued:
        assert result["verifiableCredential"]["id"] == result["credentialId"]
    validate_both(issued[0]["verifiableCredential"])
    # The issued credential is the one stored, and verifies.
    fetched = service.client.get(
        f"/credentials/{issued[0]['credentialId']}", headers=auth(provider)
    )
    assert fetched.json()["verifiableCredential"] == issued[0]["verifiableCredential"]
    verdict = service.client.post(
        "/credentials/verify", json={"verifiableCredential": issued[0]["verifiableCredential"]}
    )
    assert verdict.status_code == 200, verdict.text

    # Pages, and the failed rows alone.
    first = service.client.get(job["results"] + "?limit=5", headers=auth(provider)).json()
    assert [r["line"] for r in first["results"]] == [1, 2, 3, 4, 5] and first["next"] == 5
    second = service.client.get(
        job["results"] + f"?limit=5&after={first['next']}", headers=auth(provider)
    ).json()
    assert [r["line"] for r in second["results"]] == [6, 7, 8, 9, 10]
    only_failed = service.client.get(
        job["results"] + "?outcome=failed", headers=auth(provider)
    ).json()
    assert [r["line"] for r in only_failed["results"]] == [3, 11]
    assert service.client.get(job["results"] + "?limit=0", headers=auth(provider)).status_code in (
        400,
        422,
    )

    # The job's rows were issued under keys of the job's own: one per row, no more.
    with service.database.reading() as session:
        keys = session.scalars(
            select(IdempotencyKey.key).where(IdempotencyKey.key.like("batch-job:%"))
        ).all()
    assert sorted(keys) == sorted(
        batch.job_row_key(job["id"], n) for n in range(1, 14) if n not in (3, 11)
    )

    # Progress is in the metrics.
    exposition = service.client.get("/metrics").text
    assert 'skillcred_batch_jobs_total{event="submitted"}' in exposition
    assert 'skillcred_batch_jobs_total{event="completed"}' in exposition
    assert "skillcred_batch_job_rows_pending" in exposition


def test_a_job_is_its_providers_alone(jobs_service: Service) -> None:
    service = jobs_service
    owner = provider_with_skill(service, "owner")
    other = provider_with_skill(service, "other")
    submitted = service.client.post(
        "/skill-credentials/batch",
        json=rows(2),
        headers={**auth(owner), "Prefer": "wait=5, respond-async"},
    )
    assert submitted.status_code == 202, submitted.text
    assert submitted.headers["preference-applied"] == "respond-async"
    location = submitted.headers["location"]
    finished(service, owner, location)
    for path in (location, location + "/results"):
        assert service.client.get(path).status_code == 401
        hidden = service.client.get(path, headers=auth(other))
        assert hidden.status_code == 404, hidden.text
        assert hidden.headers["content-type"].startswith("application/problem+json")
    for unknown in ("not-a-job", "00000000-0000-4000-8000-000000000000"):
        response = service.client.get(
            f"/skill-credentials/batch-jobs/{unknown}", headers=auth(owner)
        )
        assert response.status_code == 404, response.text


def test_limits_and_refused_batches_change_nothing(jobs_service: Service) -> None:
    service = jobs_service
    provider = provider_with_skill(service, "lasschool")
    before = stored(service)
    over = service.client.post("/skill-credentials/batch", json=rows(41), headers=auth(provider))
    assert over.status_code == 413, over.text
    assert over.json()["code"] == "LIMIT_EXCEEDED"
    assert "41 rows; a batch job holds at most 40" in over.json()["detail"]
    unknown_column = service.client.post(
        "/skill-credentials/batch",
        content=b"holder_email,colour\nx@example.nl,red\n" * 1,
        headers={**auth(provider), "Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert unknown_column.status_code == 400
    assert "unknown column 'colour'" in unknown_column.json()["detail"]
    not_rows = service.client.post(
        "/skill-credentials/batch",
        json={"rows": rows(8)},
        headers={**auth(provider), "Prefer": "respond-async"},
    )
    assert not_rows.status_code == 400
    assert stored(service) == before
    assert count(service, BatchJob) == 0 and count(service, BatchJobRow) == 0

    # The batch endpoint takes larger bodies than other requests (a class's results),
    # up to its own limit.
    def csv(narrative: int) -> bytes:
        return (
            "holder_email,skill,level,assessment_method,assessment_date,assessor_name,"
            "assessment_narrative\n"
            + "".join(
                f"worker{n}@example.nl,mig-fillet,basic,practical,2026-02-27,J. de Vries,"
                f"{'x' * narrative}\n"
                for n in range(40)
            )
        ).encode()

    too_big = csv(7_000)
    assert len(too_big) > 256 * 1024
    refused = service.client.post(
        "/skill-credentials/batch",
        content=too_big,
        headers={**auth(provider), "Content-Type": "text/csv"},
    )
    assert refused.status_code == 413, refused.text
    assert "larger than 262144 bytes" in refused.json()["detail"]
    assert count(service, BatchJob) == 0
    elsewhere = service.client.post(
        "/skills", content=b"x" * (64 * 1024 + 1), headers=auth(provider)
    )
    assert elsewhere.status_code == 413
    large = csv(3_000)
    assert 64 * 1024 < len(large) < 256 * 1024
    accepted = service.client.post(
        "/skill-credentials/batch",
        content=large,
        headers={**auth(provider), "Content-Type": "text/csv"},
    )
    assert accepted.status_code == 202, accepted.text
    job = finished(service, provider, accepted.headers["location"])
    assert job["total"] == 40 and job["done"] == 40


def test_bad_csv_rows_are_reported_per_row(jobs_service: Service) -> None:
    service = jobs_service
    provider = provider_with_skill(service, "lasschool")
    lines = [
        "worker1@example.nl,mig-fillet,basic,practical,2026-02-27,J. de Vries",
        "worker2@example.nl,,basic,practical,2026-02-27,J. de Vries",  # no skill
        "worker3@example.nl,mig-fillet,basic,practical,27-02-2026,J. de Vries",  # bad date
        "worker4@example.nl,mig-fillet,expert,practical,2026-02-27,J. de Vries",
        "worker5@example.nl,mig-fillet,expert,practical,2026-02-27,J. de Vries",
        ",mig-fillet,expert,practical,2026-02-27,J. de Vries",  # no holder
        "worker7@example.nl,mig-fillet,expert,practical,2026-02-27,J. de Vries",
    ]
    submitted = service.client.post(
        "/skill-credentials/batch",
        content=(CSV_HEADER + "\n".join(lines) + "\n").encode(),
        headers={**auth(provider), "Content-Type": "text/csv"},
    )
    assert submitted.status_code == 202, submitted.text
    job = finished(service, provider, submitted.headers["location"])
    assert (job["issued"], job["failed"]) == (4, 3)
    page = service.client.get(job["results"] + "?outcome=failed", headers=auth(provider)).json()
    errors = {r["line"]: r["error"] for r in page["results"]}
    assert sorted(errors) == [3, 4, 7]  # CSV lines: the header is line 1
    assert "skill" in errors[3]
    assert "date" in errors[4]
    assert "holder" in errors[7]


def test_a_retried_submission_finds_its_job(jobs_service: Service) -> None:
    service = jobs_service
    provider = provider_with_skill(service, "lasschool")
    headers = {**auth(provider), "Idempotency-Key": "class-2026-03"}
    first = service.client.post("/skill-credentials/batch", json=rows(7), headers=headers)
    again = service.client.post("/skill-credentials/batch", json=rows(7), headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.headers["location"] == again.headers["location"]
    other = service.client.post("/skill-credentials/batch", json=rows(8), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    finished(service, provider, first.headers["location"])
    assert count(service, BatchJob) == 1
    assert stored(service) == 7


def test_results_wait_for_the_job_and_a_dead_workers_rows_are_issued_once(
    idle_service: Service,
) -> None:
    """A worker issues a chunk and dies before recording it; once its lease has run out
    another worker takes the job over, finds those rows issued by their keys, and issues
    the rest: every row once."""
    service = idle_service
    context = context_of(service)
    provider = provider_with_skill(service, "lasschool")
    submitted = service.client.post(
        "/skill-credentials/batch", json=rows(10, bad=(2,)), headers=auth(provider)
    )
    assert submitted.status_code == 202
    location = submitted.headers["location"]
    job_id = submitted.json()["id"]
    early = service.client.get(location + "/results", headers=auth(provider))
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "JOB_NOT_FINISHED"
    assert "0 of 10 rows done" in early.json()["detail"]

    jobs = context.batch_jobs
    # The dead worker: claims the job, issues rows 1-4, records nothing.
    with service.database.writing() as session:
        claimed = BatchJobs(session).claim("dead-worker", jobs.clock(), jobs.clock())
        assert claimed is not None and claimed.id == job_id
        provider_row = BatchJobs(session).provider(claimed.provider_id)
    assert provider_row is not None
    with service.database.reading() as session:
        pending = BatchJobs(session).pending_rows(job_id, after=0, limit=4)
    outcomes = jobs._issue(jobs.issuer_for(provider_row, "provider:lasschool"), job_id, pending)
    assert [o.outcome for o in outcomes] == ["issued", "failed", "issued", "issued"]
    assert stored(service) == 3
    assert service.client.get(location, headers=auth(provider)).json()["state"] == "running"

    # Its lease (already past) is taken over; nothing is issued twice.
    assert jobs.run_one("second-worker", threading.Event())
    job = service.client.get(location, headers=auth(provider)).json()
    assert job["state"] == "completed", job
    assert (job["issued"], job["failed"], job["done"]) == (9, 1, 10)
    assert stored(service) == 9
    page = service.client.get(job["results"], headers=auth(provider)).json()
    first_issue = {o.row_number: o.credential_id for o in outcomes if o.credential_id}
    for number, credential_id in first_issue.items():
        assert page["results"][number - 1]["credentialId"] == credential_id
    with service.database.reading() as session:
        assert int(session.scalar(select(func.count()).select_from(IssuedCredential)) or 0) == 9
        attempts = session.scalar(select(BatchJob.attempts).where(BatchJob.id == job_id))
    assert attempts == 2


def test_a_stopped_worker_gives_its_job_back(idle_service: Service) -> None:
    service = idle_service
    jobs = context_of(service).batch_jobs
    provider = provider_with_skill(service, "lasschool")
    submitted = service.client.post(
        "/skill-credentials/batch",
        json=rows(3),
        headers={**auth(provider), "Prefer": "respond-async"},
    )
    stop = threading.Event()
    stop.set()  # stopping as it claims: nothing issued, the lease released at once
    assert jobs.run_one("stopping-worker", stop)
    with service.database.reading() as session:
        job = session.get(BatchJob, submitted.json()["id"])
        assert job is not None
        assert job.lease_owner is None and job.lease_expires_at is None
    assert jobs.run_one("next-worker", threading.Event())
    assert finished(service, provider, submitted.headers["location"])["issued"] == 3


def test_instances_on_one_database_share_the_jobs(backend: str, tmp_path: Path) -> None:
    """Two instances (each its own engines, as two servers have): a job under a live lease
    is not taken by the other; two workers at once take one job each; every row once."""
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "a", batch_worker=False, **SETTINGS) as first,
        running_service(url, tmp_path / "b", batch_worker=False, **SETTINGS) as second,
    ):
        provider = provider_with_skill(first, "lasschool")
        locations = []
        for count_ in (9, 11):
            submitted = first.client.post(
                "/skill-credentials/batch", json=rows(count_), headers=auth(provider)
            )
            assert submitted.status_code == 202, submitted.text
            locations.append(submitted.headers["location"])
        a, b = context_of(first).batch_jobs, context_of(second).batch_jobs
        now = a.clock()
        with first.database.writing() as session:
            held = BatchJobs(session).claim("a", now, now + a.lease * 60)
            assert held is not None
        # The oldest job is held (its lease is live): the other instance takes the next.
        with second.database.writing() as session:
            other = BatchJobs(session).claim("b", now, now + b.lease)
            assert other is not None and other.id != held.id
        with second.database.writing() as session:
            assert BatchJobs(session).claim("c", now, now + b.lease) is None
            # Give both back, as stopped workers do.
            for job in session.scalars(select(BatchJob)):
                job.lease_owner = job.lease_expires_at = None

        outcomes: list[bool] = []
        workers = [
            threading.Thread(
                target=lambda j=jobs, o=owner: outcomes.append(j.run_one(o, threading.Event()))
            )
            for jobs, owner in ((a, "instance-a"), (b, "instance-b"))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert outcomes == [True, True]
        states = [
            second.client.get(location, headers=auth(provider)).json() for location in locations
        ]
        assert [(s["state"], s["issued"]) for s in states] == [("completed", 9), ("completed", 11)]
        with first.database.reading() as session:
            owners_attempts = session.execute(select(BatchJob.attempts)).scalars().all()
        assert sorted(owners_attempts) == [2, 2]  # the test's claims, then one worker each
        assert stored(first) == 20


def test_an_empty_batch_job_completes_with_nothing_issued(jobs_service: Service) -> None:
    service = jobs_service
    provider = provider_with_skill(service, "lasschool")
    submitted = service.client.post(
        "/skill-credentials/batch",
        content=CSV_HEADER.encode(),
        headers={**auth(provider), "Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert submitted.status_code == 202, submitted.text
    job = finished(service, provider, submitted.headers["location"])
    assert (job["state"], job["total"], job["done"], job["issued"]) == ("completed", 0, 0, 0)
    page = service.client.get(job["results"], headers=auth(provider)).json()
    assert page["results"] == [] and page["next"] is None
    assert stored(service) == 0
