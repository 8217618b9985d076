"""Prometheus metrics (the prometheus_client library): what operators watch.

Counted where the work is done — issuance, status changes, verification verdicts, remote
lookups, batch rows — and per HTTP route by the API's middleware. With several worker
processes (``skillcred serve --workers N``) every worker writes to the folder named by
``PROMETHEUS_MULTIPROC_DIR`` and /metrics adds them up (prometheus_client's
multiprocess mode), so a scrape sees the whole instance whichever worker answers it.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "skillcred_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "skillcred_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ISSUED = Counter(
    "skillcred_credentials_issued_total", "Credentials signed and stored (replays not counted)."
)
VERIFIED = Counter(
    "skillcred_verifications_total",
    "Verifications answered, by kind (credential, presentation) and verdict.",
    ["kind", "verdict"],
)
STATUS_CHANGES = Counter(
    "skillcred_status_changes_total",
    "Status bits changed, by purpose (revocation, suspension) and new value.",
    ["purpose", "status"],
)
REMOTE_FETCHES = Counter(
    "skillcred_remote_fetches_total",
    "Remote lookups (did:web documents, status lists, schemas), by outcome.",
    ["outcome"],
)
BATCH_ROWS = Counter(
    "skillcred_batch_rows_total",
    "Rows of skill-credential batches processed, by outcome (issued, already-issued, failed).",
    ["outcome"],
)
BATCH_JOBS = Counter(
    "skillcred_batch_jobs_total",
    "Batch jobs by event: submitted, resumed (taken over after a crash, a restart or a lost "
    "lease), completed, failed.",
    ["event"],
)
BATCH_JOB_ROWS_PENDING = Gauge(
    "skillcred_batch_job_rows_pending",
    "Rows still to be issued of the batch jobs running in this instance (rows issued are "
    "counted in skillcred_batch_rows_total).",
    multiprocess_mode="livesum",
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition() -> bytes:
    """The metrics in the Prometheus text format: this process's, or every worker's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
