"""Issuing a whole class at once: one row per holder and skill, from CSV or JSON.

A bad row is reported with its line number and does not stop or corrupt the others.
Every row has a stable idempotency key (a digest of the provider and the row's content),
so running the same file again issues nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from skillcred.errors import SkillcredError
from skillcred.services import metrics
from skillcred.services.skills import SkillCredentialRequest

#: CSV columns; "skill", "level", a holder ("holder_id" or "holder_email") and the
#: assessment ("assessment_method", "assessment_date", "assessor_name") are required.
CSV_COLUMNS = (
    "holder_id",
    "holder_email",
    "holder_name",
    "skill",
    "level",
    "assessment_method",
    "assessment_date",
    "assessor_name",
    "assessor_id",
    "assessor_qualification",
    "assessment_body",
    "assessment_narrative",
    "valid_until",
    "evidence_name",
    "evidence_url",
    "evidence_narrative",
)
IN_FLIGHT = 64


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    data: Mapping[str, Any]


@dataclass(slots=True)
class RowResult:
    line: int
    outcome: str  # "issued", "already issued", "failed"
    credential_id: str | None = None
    document: bytes | None = None
    error: str | None = None

    def to_json(self, *, with_credential: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"line": self.line, "outcome": self.outcome}
        if self.credential_id:
            data["credentialId"] = self.credential_id
        if self.error:
            data["error"] = self.error
        if with_credential and self.document is not None:
            data["verifiableCredential"] = orjson.loads(self.document)
        return data


@dataclass(slots=True)
class Summary:
    rows: int = 0
    issued: int = 0
    already_issued: int = 0
    failed: int = 0
    failures: list[RowResult] = field(default_factory=list)

    def add(self, result: RowResult) -> None:
        metrics.BATCH_ROWS.labels(result.outcome.replace(" ", "-")).inc()
        self.rows += 1
        if result.outcome == "issued":
            self.issued += 1
        elif result.outcome == "already issued":
            self.already_issued += 1
        else:
            self.failed += 1
            self.failures.append(result)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "issued": self.issued,
            "alreadyIssued": self.already_issued,
            "failed": self.failed,
        }


def csv_rows(text: str) -> Iterator[Row]:
    """Rows of a results CSV (header line first), with their line numbers."""
    # newline="": the csv module reads line ends itself (a \r inside a field is data).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if unknown:
            raise SkillcredError(
                f"line 1: unknown column {unknown[0]!r}; the columns are: {', '.join(CSV_COLUMNS)}"
            )
        for record in reader:
            yield Row(
                reader.line_num,
                {k: v.strip() for k, v in record.items() if k and isinstance(v, str) and v.strip()},
            )
    except csv.Error as exc:
        raise SkillcredError(f"line {reader.line_num}: not a CSV row ({exc})") from exc


def request_from_csv(data: Mapping[str, str]) -> dict[str, Any]:
    """A SkillCredentialRequest body from one CSV record."""
    body: dict[str, Any] = {
        "holder": {
            k: data[c]
            for k, c in (("id", "holder_id"), ("email", "holder_email"), ("name", "holder_name"))
            if c in data
        },
        "skill": data.get("skill"),
        "level": data.get("level"),
        "assessment": {
            "method": data.get("assessment_method"),
            "date": data.get("assessment_date"),
            "assessor": {
                k: data[c]
                for k, c in (
                    ("name", "assessor_name"),
                    ("id", "assessor_id"),
                    ("qualification", "assessor_qualification"),
                )
                if c in data
            },
        },
    }
    if "assessment_body" in data:
        body["assessment"]["body"] = {"name": data["assessment_body"]}
    if "assessment_narrative" in data:
        body["assessment"]["narrative"] = data["assessment_narrative"]
    if "valid_until" in data:
        body["validUntil"] = data["valid_until"]
    if "evidence_name" in data:
        evidence = {"name": data["evidence_name"]}
        if "evidence_url" in data:
            evidence["url"] = data["evidence_url"]
        if "evidence_narrative" in data:
            evidence["narrative"] = data["evidence_narrative"]
        body["evidence"] = [evidence]
    return body


def row_key(provider_slug: str, body: Mapping[str, Any]) -> str:
    """The stable idempotency key of a row: the same row issues once, however often sent."""
    digest = hashlib.sha256(
        provider_slug.encode() + b"\0" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    return f"batch-row:{digest}"


def job_row_key(job_id: str, row_number: int) -> str:
    """The idempotency key of a batch job's row: whichever worker issues it, and however
    often the job is taken over after a crash, the row is issued once."""
    return f"batch-job:{job_id}:{row_number}"


def row_fingerprint(key: str) -> str:
    """What a replay must match (64 hex characters): the row key says it all already."""
    tail = key.rsplit(":", 1)[-1]
    return tail if len(tail) == 64 else hashlib.sha256(key.encode()).hexdigest()


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if not str(p).startswith("function-"))
        message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
        if item.get("type") == "missing":
            message = "is required"
        parts.append(f"{where or 'row'}: {message}")
    return "; ".join(parts)


#: starts the issuance of one request (request, idempotency key, key known to be new);
#: returns a handle whose result() is the Issued credential, raising SkillcredError for a
#: request that cannot be issued
Start = Callable[[SkillCredentialRequest, str, bool], Any]


def run(
    rows: Iterable[Row],
    *,
    start: Start,
    provider_slug: str,
    existing: Callable[[list[str]], set[str]] = lambda keys: set(keys),
    on_result: Callable[[RowResult], None] = lambda _: None,
    keys: Callable[[Row, Mapping[str, Any]], str] | None = None,
) -> Summary:
    """Issue every row, keeping up to ``IN_FLIGHT`` commits in flight. ``existing`` says in
    one go which row keys were issued before (a re-run), so new rows skip that lookup.
    ``keys`` gives a row's idempotency key (default: :func:`row_key` of its content)."""
    summary = Summary()
    pending: deque[tuple[int, Any]] = deque()
    prepared = []
    for row in rows:
        body = dict(row.data) if "holder" in row.data else request_from_csv(row.data)
        key = row_key(provider_slug, body) if keys is None else keys(row, body)
        prepared.append((row, body, key))
    seen = existing([key for _, _, key in prepared])

    def finish(line: int, handle: Any) -> None:
        try:
            issued = handle.result()
        except SkillcredError as exc:
            result = RowResult(line, "failed", error=exc.detail)
        else:
            outcome = "already issued" if issued.replayed else "issued"
            result = RowResult(line, outcome, issued.credential_id, issued.document)
        summary.add(result)
        on_result(result)

    for row, body, key in prepared:
        try:
            request = SkillCredentialRequest.model_validate(body)
            handle = start(request, key, key not in seen)
        except ValidationError as exc:
            result = RowResult(row.line, "failed", error=describe(exc))
            summary.add(result)
            on_result(result)
            continue
        except SkillcredError as exc:
            result = RowResult(row.line, "failed", error=exc.detail)
            summary.add(result)
            on_result(result)
            continue
        pending.append((row.line, handle))
        if len(pending) >= IN_FLIGHT:
            finish(*pending.popleft())
    while pending:
        finish(*pending.popleft())
    return summary
