"""Every query of batch jobs: submission, the workers' lease, progress and results.

A job belongs to a provider and is read through :func:`owned_by` like every tenant row.
The workers' queries are not tenant-scoped (a worker serves every provider) and never
answer a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from skillcred.storage.models import BatchJob, BatchJobRow, IssuedCredential, Provider
from skillcred.storage.repositories import owned_by

#: states in which a job still has work (a worker may claim it)
OPEN_STATES = ("queued", "running")
_ROWS_PER_INSERT = 5_000


@dataclass(frozen=True, slots=True)
class PendingRow:
    row_number: int
    line: int
    body: str


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row_number: int
    outcome: str
    credential_id: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class ResultRow:
    line: int
    outcome: str | None
    credential_id: str | None
    error: str | None
    #: the stored credential (issued rows)
    document: str | None


class BatchJobs:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- requests (tenant-scoped) ------------------------------------------------------

    def add(self, job: BatchJob, rows: Iterable[tuple[int, str]]) -> None:
        """The job and its rows (line, body), numbered 1, 2, ... in order."""
        self.session.add(job)
        self.session.flush()
        statement = insert(BatchJobRow)
        chunk: list[dict[str, Any]] = []
        for number, (line, body) in enumerate(rows, start=1):
            chunk.append({"job_id": job.id, "row_number": number, "line": line, "body": body})
            if len(chunk) >= _ROWS_PER_INSERT:
                self.session.execute(statement, chunk)
                chunk = []
        if chunk:
            self.session.execute(statement, chunk)

    def get(self, provider_id: str, job_id: str) -> BatchJob | None:
        return self.session.scalar(owned_by(BatchJob, provider_id).where(BatchJob.id == job_id))

    def by_idempotency_key(self, provider_id: str, key: str) -> BatchJob | None:
        return self.session.scalar(
            owned_by(BatchJob, provider_id).where(BatchJob.idempotency_key == key)
        )

    def results(
        self, job: BatchJob, *, after: int, limit: int, outcome: str | None = None
    ) -> list[tuple[int, ResultRow]]:
        """Rows after row number ``after`` in order, each with its credential if issued.
        ``job`` was read through :meth:`get` (so it is the caller's)."""
        query = (
            select(
                BatchJobRow.row_number,
                BatchJobRow.line,
                BatchJobRow.outcome,
                BatchJobRow.credential_id,
                BatchJobRow.error,
                IssuedCredential.document,
            )
            .outerjoin(
                IssuedCredential,
                and_(
                    IssuedCredential.provider_id == job.provider_id,
                    IssuedCredential.credential_id == BatchJobRow.credential_id,
                ),
            )
            .where(BatchJobRow.job_id == job.id, BatchJobRow.row_number > after)
            .order_by(BatchJobRow.row_number)
            .limit(limit)
        )
        if outcome is not None:
            query = query.where(BatchJobRow.outcome == outcome)
        return [
            (number, ResultRow(line, result, credential_id, error, document))
            for number, line, result, credential_id, error, document in self.session.execute(query)
        ]

    # -- workers ---------------------------------------------------------------------

    def claimable(self, now: datetime) -> bool:
        """Whether any job waits for a worker (a cheap read before a write transaction)."""
        return self.session.scalar(select(BatchJob.id).where(_claimable(now)).limit(1)) is not None

    def claim(self, owner: str, now: datetime, until: datetime) -> BatchJob | None:
        """Take the oldest job that is waiting or whose worker's lease ran out. On
        PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets concurrent claims pass each other; on
        SQLite the write transaction holds the database's writer lock already."""
        job = self.session.scalar(
            select(BatchJob)
            .where(_claimable(now))
            .order_by(BatchJob.created_at, BatchJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        job.state = "running"
        job.lease_owner = owner
        job.lease_expires_at = until
        job.attempts += 1
        if job.started_at is None:
            job.started_at = now
        self.session.flush()
        return job

    def held_by(self, job_id: str, owner: str) -> BatchJob | None:
        """The job, locked, if ``owner`` still holds its lease."""
        return self.session.scalar(
            select(BatchJob)
            .where(BatchJob.id == job_id, BatchJob.lease_owner == owner)
            .with_for_update()
        )

    def provider(self, provider_id: str) -> Provider | None:
        return self.session.get(Provider, provider_id)

    def pending_rows(self, job_id: str, *, after: int, limit: int) -> list[PendingRow]:
        """Rows not yet processed, from row number ``after`` on (rows are processed in
        order, so a job's ``done`` is where to look: an index range, not a scan)."""
        return [
            PendingRow(number, line, body)
            for number, line, body in self.session.execute(
                select(BatchJobRow.row_number, BatchJobRow.line, BatchJobRow.body)
                .where(
                    BatchJobRow.job_id == job_id,
                    BatchJobRow.row_number > after,
                    BatchJobRow.outcome.is_(None),
                )
                .order_by(BatchJobRow.row_number)
                .limit(limit)
            )
        ]

    _RECORD = (
        update(BatchJobRow)
        .where(
            BatchJobRow.job_id == bindparam("b_job_id"),
            BatchJobRow.row_number == bindparam("b_row_number"),
        )
        .values(
            outcome=bindparam("b_outcome"),
            credential_id=bindparam("b_credential_id"),
            error=bindparam("b_error"),
        )
    )

    def record(self, job: BatchJob, outcomes: Sequence[RowOutcome]) -> None:
        """The outcome of processed rows; ``job`` is held (see :meth:`held_by`)."""
        if not outcomes:
            return
        self.session.connection().execute(
            self._RECORD,
            [
                {
                    "b_job_id": job.id,
                    "b_row_number": o.row_number,
                    "b_outcome": o.outcome,
                    "b_credential_id": o.credential_id,
                    "b_error": o.error,
                }
                for o in outcomes
            ],
        )
        job.done = max(job.done, max(o.row_number for o in outcomes))
        job.issued += sum(1 for o in outcomes if o.outcome == "issued")
        job.already_issued += sum(1 for o in outcomes if o.outcome == "already issued")
        job.failed += sum(1 for o in outcomes if o.outcome == "failed")
        self.session.flush()

    def pending_count(self, job_id: str) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(BatchJobRow)
                .where(BatchJobRow.job_id == job_id, BatchJobRow.outcome.is_(None))
            )
            or 0
        )


def _claimable(now: datetime) -> Any:
    return and_(
        BatchJob.state.in_(OPEN_STATES),
        or_(BatchJob.lease_expires_at.is_(None), BatchJob.lease_expires_at < now),
    )
