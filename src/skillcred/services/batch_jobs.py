"""Batch jobs: a class too large to issue while the client waits, issued in the background.

A job is its rows, stored as sent, and a record of progress. Every ``skillcred serve``
process runs a worker thread that claims one job at a time with a lease in the database
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, the writer lock on SQLite), issues
its rows in chunks and records each chunk's outcomes — renewing the lease — in one
transaction. So instances sharing a database share the jobs, and a job whose worker died
is taken over where its last chunk ended once the lease has run out.

A row is never issued twice: its idempotency key is derived from (job id, row number), and
a credential is stored in the same transaction as its key. A row issued just before a
crash, whose outcome was not recorded yet, is found by its key when the job is resumed and
reported as issued, with the credential issued the first time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from skillcred.core.datetimes import utc_now
from skillcred.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    JobNotFinishedError,
    NotFoundError,
    SkillcredError,
)
from skillcred.services import audit, batch, metrics
from skillcred.services.skill_issuer import SkillIssuer
from skillcred.storage.batch_jobs import BatchJobs, PendingRow, RowOutcome
from skillcred.storage.db import Database
from skillcred.storage.models import BatchJob, Provider

log = logging.getLogger("skillcred.batch_jobs")

#: a job's results are read only once it has stopped
FINISHED_STATES = ("completed", "failed")
MAX_RESULTS_PAGE = 1000
#: attempts after which a job that keeps failing is given up
MAX_ATTEMPTS = 5


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives datetimes back without their zone; they were stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    aware = _aware(moment)
    return None if aware is None else aware.isoformat().replace("+00:00", "Z")


def _job_id(text: str) -> str:
    """A job id as stored (a UUID), or one that matches no job (any other text)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return ""


def job_path(job_id: str) -> str:
    return f"/skill-credentials/batch-jobs/{job_id}"


def job_json(job: BatchJob) -> dict[str, Any]:
    """A job's progress as the API shows it."""
    data: dict[str, Any] = {
        "id": job.id,
        "state": job.state,
        "total": job.total,
        "done": job.done,
        "issued": job.issued,
        "alreadyIssued": job.already_issued,
        "failed": job.failed,
        "created": _iso(job.created_at),
        "started": _iso(job.started_at),
        "finished": _iso(job.finished_at),
    }
    if job.error:
        data["error"] = job.error
    if job.state in FINISHED_STATES:
        data["results"] = job_path(job.id) + "/results"
    return data


def summary_json(job: BatchJob) -> dict[str, int]:
    """The summary a synchronous batch answers with, for the rows processed."""
    return {
        "rows": job.done,
        "issued": job.issued,
        "alreadyIssued": job.already_issued,
        "failed": job.failed,
    }


def request_hash(media_type: str, body: bytes) -> str:
    """What a submission retried with the same Idempotency-Key must repeat."""
    return hashlib.sha256(media_type.encode() + b"\0" + body).hexdigest()


IssuerFor = Callable[[Provider, str], SkillIssuer]


class BatchJobService:
    def __init__(
        self,
        database: Database,
        *,
        issuer_for: IssuerFor,
        lease_seconds: float,
        chunk_rows: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.issuer_for = issuer_for
        self.lease = timedelta(seconds=lease_seconds)
        self.chunk_rows = chunk_rows
        self.clock = clock

    # -- for requests -------------------------------------------------------------------

    def submit(
        self,
        provider: Provider,
        rows: Sequence[batch.Row],
        *,
        actor: str,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
    ) -> tuple[BatchJob, bool]:
        """Store a job and its rows; (the job, whether it is new). A submission retried
        with its Idempotency-Key answers with the job it made the first time."""
        now = self.clock()
        job = BatchJob(
            id=str(uuid.uuid4()),
            provider_id=provider.id,
            actor=actor,
            state="queued",
            total=len(rows),
            done=0,
            issued=0,
            already_issued=0,
            failed=0,
            attempts=0,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
            created_at=now,
        )
        try:
            with self.database.writing() as session:
                jobs = BatchJobs(session)
                if idempotency_key is not None:
                    previous = jobs.by_idempotency_key(provider.id, idempotency_key)
                    if previous is not None:
                        if previous.request_hash != fingerprint:
                            raise IdempotencyKeyReusedError(
                                "this Idempotency-Key was used for a different batch; "
                                "use a new key for a new batch"
                            )
                        return previous, False
                jobs.add(job, ((row.line, orjson.dumps(row.data).decode()) for row in rows))
                audit.record(
                    session,
                    actor=actor,
                    action="batch-job.submitted",
                    provider_id=provider.id,
                    subject=f"urn:uuid:{job.id}",
                    data={"rows": len(rows)},
                    at=now,
                )
        except IntegrityError as exc:  # the same key, submitted at the same moment
            raise ConflictError(
                "a batch with this Idempotency-Key is being submitted; ask again"
            ) from exc
        metrics.BATCH_JOBS.labels("submitted").inc()
        log.info("batch job %s submitted: %d rows for %s", job.id, job.total, provider.slug)
        return job, True

    def get(self, provider: Provider, job_id: str) -> BatchJob:
        with self.database.reading() as session:
            job = BatchJobs(session).get(provider.id, _job_id(job_id))
        if job is None:
            raise NotFoundError(f"this provider has no batch job {job_id!r}")
        return job

    def results(
        self, provider: Provider, job_id: str, *, after: int, limit: int, outcome: str | None
    ) -> dict[str, Any]:
        """A page of a finished job's rows, each as a synchronous batch reports it."""
        with self.database.reading() as session:
            jobs = BatchJobs(session)
            job = jobs.get(provider.id, _job_id(job_id))
            if job is None:
                raise NotFoundError(f"this provider has no batch job {job_id!r}")
            if job.state not in FINISHED_STATES:
                raise JobNotFinishedError(
                    f"the job is {job.state}: {job.done} of {job.total} rows done; its "
                    f"results can be read once its state is completed ({job_path(job.id)})"
                )
            page = jobs.results(job, after=after, limit=limit, outcome=outcome)
        results = []
        for _number, row in page:
            item: dict[str, Any] = {"line": row.line, "outcome": row.outcome or "not processed"}
            if row.credential_id:
                item["credentialId"] = row.credential_id
            if row.error:
                item["error"] = row.error
            if row.document is not None:
                item["verifiableCredential"] = orjson.loads(row.document)
            results.append(item)
        last = page[-1][0] if page else None
        return {
            "job": job_json(job),
            "summary": summary_json(job),
            "results": results,
            "next": last if len(page) == limit and last is not None and last < job.total else None,
        }

    # -- for workers --------------------------------------------------------------------

    def run_one(self, owner: str, stop: threading.Event) -> bool:
        """Claim one job and work on it until it is done, ``stop`` is set or the lease is
        lost; False when there was nothing to claim."""
        now = self.clock()
        with self.database.reading() as session:
            if not BatchJobs(session).claimable(now):
                return False
        with self.database.writing() as session:
            jobs = BatchJobs(session)
            job = jobs.claim(owner, now, now + self.lease)
            provider = None if job is None else jobs.provider(job.provider_id)
        if job is None:
            return False
        assert provider is not None  # a foreign key
        if job.attempts > 1:
            metrics.BATCH_JOBS.labels("resumed").inc()
            log.info("batch job %s resumed at row %d of %d", job.id, job.done + 1, job.total)
        try:
            self._work(job, provider, owner, stop)
        except Exception as exc:
            # Perhaps the database was away for a moment: try again after a lease, and
            # give up only when it keeps failing (its rows are then reported as they are).
            log.exception("batch job %s: attempt %d failed", job.id, job.attempts)
            if job.attempts >= MAX_ATTEMPTS:
                self._fail(
                    job.id,
                    owner,
                    f"the job stopped on an internal error ({type(exc).__name__}) "
                    f"{job.attempts} times; rows not processed are reported so",
                )
            else:
                self._release(job.id, owner, retry_after=self.lease)
        return True

    def _work(self, job: BatchJob, provider: Provider, owner: str, stop: threading.Event) -> None:
        issuer = self.issuer_for(provider, job.actor)
        done = job.done
        while not stop.is_set():
            with self.database.reading() as session:
                rows = BatchJobs(session).pending_rows(job.id, after=done, limit=self.chunk_rows)
            if not rows:
                self._finish(job.id, owner)
                return
            outcomes = self._issue(issuer, job.id, rows)
            with self.database.writing() as session:
                jobs = BatchJobs(session)
                held = jobs.held_by(job.id, owner)
                if held is None:
                    # Another worker took the job over (this one was too slow to renew the
                    # lease); what this one issued it finds by the rows' keys.
                    log.warning("batch job %s: lease lost at row %d", job.id, done)
                    return
                jobs.record(held, outcomes)
                held.lease_expires_at = self.clock() + self.lease
                done, remaining = held.done, held.total - held.done
            metrics.BATCH_JOB_ROWS_PENDING.set(remaining)
        self._release(job.id, owner)

    def _issue(self, issuer: SkillIssuer, job_id: str, rows: list[PendingRow]) -> list[RowOutcome]:
        numbers = {row.line: row.row_number for row in rows}
        results: list[batch.RowResult] = []
        issuer.run_batch(
            [batch.Row(row.line, orjson.loads(row.body)) for row in rows],
            results.append,
            keys=lambda row, _body: batch.job_row_key(job_id, numbers[row.line]),
        )
        # A row whose key was used already was issued by this job before a crash (the
        # key is the job's own): issued, once.
        return sorted(
            (
                RowOutcome(
                    numbers[r.line],
                    "failed" if r.outcome == "failed" else "issued",
                    r.credential_id,
                    r.error,
                )
                for r in results
            ),
            key=lambda o: o.row_number,
        )

    def _finish(self, job_id: str, owner: str) -> None:
        with self.database.writing() as session:
            jobs = BatchJobs(session)
            held = jobs.held_by(job_id, owner)
            if held is None or jobs.pending_count(job_id):
                return
            held.state = "completed"
            held.finished_at = self.clock()
            held.lease_owner = held.lease_expires_at = None
            total, issued, failed = held.total, held.issued, held.failed
        metrics.BATCH_JOBS.labels("completed").inc()
        metrics.BATCH_JOB_ROWS_PENDING.set(0)
        log.info(
            "batch job %s completed: %d rows, %d issued, %d failed", job_id, total, issued, failed
        )

    def _fail(self, job_id: str, owner: str, error: str) -> None:
        with self.database.writing() as session:
            held = BatchJobs(session).held_by(job_id, owner)
            if held is None:
                return
            held.state = "failed"
            held.error = error
            held.finished_at = self.clock()
            held.lease_owner = held.lease_expires_at = None
        metrics.BATCH_JOBS.labels("failed").inc()
        metrics.BATCH_JOB_ROWS_PENDING.set(0)

    def _release(self, job_id: str, owner: str, retry_after: timedelta | None = None) -> None:
        """Give the job back: at once (a clean shutdown: another worker goes on with it
        without waiting for the lease to run out), or to be tried again later."""
        with self.database.writing() as session:
            held = BatchJobs(session).held_by(job_id, owner)
            if held is not None:
                held.lease_owner = None
                held.lease_expires_at = None if retry_after is None else self.clock() + retry_after
        metrics.BATCH_JOB_ROWS_PENDING.set(0)
        log.info("batch job %s released", job_id)


class BatchJobWorker:
    """The thread of one process that runs batch jobs, one at a time."""

    def __init__(self, service: BatchJobService, *, poll_seconds: float) -> None:
        self.service = service
        self.poll_seconds = poll_seconds
        #: who holds a lease: host, process and a random part (a restarted process is new)
        self.owner = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="skillcred-batch-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the chunk at hand, give the job back, and end the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.service.run_one(self.owner, self._stop)
            except SkillcredError as exc:
                log.warning("batch jobs: %s", exc.detail)
                worked = False
            except Exception:  # the database away for a moment: try again later
                log.exception("batch jobs: could not look for work")
                worked = False
            if not worked:
                self._stop.wait(self.poll_seconds)
