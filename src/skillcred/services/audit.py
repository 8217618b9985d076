"""The audit trail: append-only, each record chained to the one before by a SHA-256 hash.

A record's hash covers its sequence number, time, actor, action, subject, reason, data
and the previous record's hash (RFC 8785 JSON of those fields), so changing, removing or
reordering any stored record breaks the chain from there on; ``verify_chain`` finds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from skillcred.core.cryptosuites.eddsa_jcs_2022 import jcs
from skillcred.core.datetimes import utc_now
from skillcred.storage.db import Database
from skillcred.storage.models import AuditEvent
from skillcred.storage.repositories import AuditLog

GENESIS = "0" * 64


def _timestamp(moment: datetime) -> str:
    # SQLite hands back naive datetimes: they were written in UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    """The one list of what a record's hash covers; its JSON is these plus the hash, so a
    field added here is both hashed and shown, and anyone can recompute the hash from
    the JSON."""
    return {
        "seq": event.seq,
        "providerId": event.provider_id,
        "occurredAt": _timestamp(event.occurred_at),
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "reason": event.reason,
        "data": orjson.loads(event.data),
        "prevHash": event.prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(jcs(chained_fields(event))).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    provider_id: str | None = None,
    subject: str | None = None,
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction."""
    log = AuditLog(session)
    head_seq, head_hash = log.head()
    event = AuditEvent(
        seq=head_seq + 1,
        provider_id=provider_id,
        occurred_at=at or utc_now(),
        actor=actor,
        action=action,
        subject=subject,
        reason=reason,
        data=jcs(dict(data or {})).decode(),
        prev_hash=head_hash,
    )
    event.hash = event_hash(event)
    log.append(event)
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(events: Iterable[AuditEvent], *, head_seq: int, head_hash: str) -> ChainReport:
    previous = GENESIS
    expected_seq = 1
    count = 0
    for event in events:
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, event.seq, f"record {expected_seq} is missing")
        if event.prev_hash != previous:
            return ChainReport(False, count, event.seq, "it does not follow the record before it")
        if event_hash(event) != event.hash:
            return ChainReport(False, count, event.seq, "its content does not match its hash")
        previous = event.hash
        expected_seq += 1
    if head_seq != expected_seq - 1 or head_hash != previous:
        return ChainReport(
            False, count, expected_seq, "the chain ends before its recorded head (records removed)"
        )
    return ChainReport(True, count)


def verify_stored_chain(database: Database) -> ChainReport:
    """Recompute the whole stored chain against its recorded head, streaming it (constant
    memory at any length). Records appended while it runs are past the head it read and
    are left for the next check; a record past the head as it stands at the end was
    added outside the chain."""
    with database.reading() as session:
        log = AuditLog(session)
        head_seq, head_hash = log.stored_head()
        report = verify_chain(log.stream(up_to=head_seq), head_seq=head_seq, head_hash=head_hash)
        if report.ok:
            last = log.last_seq()
            if last is not None and last > head_seq and last > log.current_head_seq():
                return ChainReport(
                    False,
                    report.events,
                    head_seq + 1,
                    "records follow the chain's recorded head (added outside the chain)",
                )
    return report


def events_page(
    database: Database, *, provider_id: str | None, after: int, limit: int
) -> dict[str, Any]:
    """One page of events after ``after`` (all, or one provider's), with the ``next`` cursor."""
    with database.reading() as session:
        events = AuditLog(session).page(provider_id=provider_id, after=after, limit=limit)
        page = [event_json(e) for e in events]
    return {"events": page, "next": page[-1]["seq"] if len(page) == limit else None}


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {**chained_fields(event), "hash": event.hash}
