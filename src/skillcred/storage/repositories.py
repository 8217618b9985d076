"""Every query the service makes. Services call these; routers never touch SQL.

Rows that belong to a provider are read only through :func:`owned_by`, so one provider
can never see another's credentials, keys or idempotency records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skillcred.storage.db import DuplicateError as DuplicateError
from skillcred.storage.db import defer
from skillcred.storage.models import (
    ApiKey,
    AuditEvent,
    AuditHead,
    Base,
    IdempotencyKey,
    IssuedCredential,
    Provider,
    ProviderDid,
    SigningKey,
    SkillDefinition,
    StatusEntryRecord,
    StatusList,
)

Owned = TypeVar(
    "Owned",
    ApiKey,
    AuditEvent,
    IdempotencyKey,
    IssuedCredential,
    ProviderDid,
    SigningKey,
    SkillDefinition,
    StatusEntryRecord,
    StatusList,
)


def owned_by(model: type[Owned], provider_id: str) -> Select[Owned]:
    """The one way to select a provider's rows: always filtered by ``provider_id``."""
    return select(model).where(model.provider_id == provider_id)


def ping(session: Session) -> None:
    """A round trip to the database (raises when it cannot be reached)."""
    session.execute(text("SELECT 1"))


def schema_revision(session: Session) -> str | None:
    """The migration the database is at (Alembic's version table), None before any."""
    try:
        return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no version table: never migrated
        session.rollback()
        return None


def flush_or_duplicate(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateError(str(exc.orig)) from exc


def _row(obj: Base) -> dict[str, Any]:
    """The column values of a mapped object, for a Core insert (no unit of work)."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


class Providers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, provider: Provider, did: ProviderDid) -> None:
        self.session.add(provider)
        flush_or_duplicate(self.session)
        self.session.add(did)
        flush_or_duplicate(self.session)

    def by_slug(self, slug: str) -> Provider | None:
        return self.session.scalar(select(Provider).where(Provider.slug == slug))

    def all(self) -> Sequence[Provider]:
        return self.session.scalars(select(Provider).order_by(Provider.slug)).all()

    def by_api_key_hash(self, key_hash: str, now: datetime) -> tuple[Provider, ApiKey] | None:
        """The provider and its API key with this hash, if the key is in force at ``now``:
        not revoked (a rotated key's ``revoked_at`` lies ahead until its grace ends), not
        expired."""
        row = self.session.execute(
            select(Provider, ApiKey)
            .join(ApiKey, ApiKey.provider_id == Provider.id)
            .where(
                ApiKey.key_hash == key_hash,
                or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > now),
                or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
        ).first()
        return None if row is None else (row[0], row[1])

    def owner_of_did(self, did: str) -> tuple[Provider, ProviderDid] | None:
        row = self.session.execute(
            select(Provider, ProviderDid)
            .join(ProviderDid, ProviderDid.provider_id == Provider.id)
            .where(ProviderDid.did == did)
        ).first()
        return None if row is None else (row[0], row[1])

    def dids(self, provider_id: str) -> Sequence[ProviderDid]:
        return self.session.scalars(
            owned_by(ProviderDid, provider_id).order_by(ProviderDid.created_at)
        ).all()

    def add_did(self, did: ProviderDid) -> None:
        self.session.add(did)
        flush_or_duplicate(self.session)

    def retire_dids(self, provider_id: str, at: datetime) -> None:
        self.session.execute(
            update(ProviderDid)
            .where(ProviderDid.provider_id == provider_id, ProviderDid.retired_at.is_(None))
            .values(retired_at=at)
        )


class ApiKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)
        flush_or_duplicate(self.session)

    def get(self, provider_id: str, key_id: str) -> ApiKey | None:
        return self.session.scalar(owned_by(ApiKey, provider_id).where(ApiKey.id == key_id))

    def all_for(self, provider_id: str) -> Sequence[ApiKey]:
        return self.session.scalars(
            owned_by(ApiKey, provider_id).order_by(ApiKey.created_at, ApiKey.id)
        ).all()

    def touch(self, key_id: str, at: datetime) -> None:
        self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))


class SigningKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: SigningKey) -> None:
        self.session.add(key)
        flush_or_duplicate(self.session)

    def controlled_by(self, provider_id: str, controller: str) -> SigningKey | None:
        """The newest key of a DID (a did:key has exactly one)."""
        return self.session.scalar(
            owned_by(SigningKey, provider_id)
            .where(SigningKey.controller == controller)
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        )

    def current(self, provider_id: str) -> SigningKey | None:
        return self.session.scalar(
            owned_by(SigningKey, provider_id)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        )

    def all_for(self, provider_id: str) -> Sequence[SigningKey]:
        return self.session.scalars(
            owned_by(SigningKey, provider_id).order_by(SigningKey.created_at)
        ).all()

    def by_verification_method(self, verification_method: str) -> SigningKey | None:
        """A key by its verification method (public: every key is in a DID document)."""
        return self.session.scalar(
            select(SigningKey).where(SigningKey.verification_method == verification_method)
        )

    def compromised(self) -> Sequence[SigningKey]:
        return self.session.scalars(
            select(SigningKey).where(SigningKey.compromised_at.is_not(None))
        ).all()

    def every_key(self) -> Sequence[SigningKey]:
        """All keys of all providers (for the operator's rewrap and check)."""
        return self.session.scalars(select(SigningKey).order_by(SigningKey.id)).all()

    def sealed_under_other_than(
        self, master_key_id: str, *, after: str, limit: int
    ) -> Sequence[SigningKey]:
        """Database-store keys not sealed under ``master_key_id``, in id order after
        ``after``, locked for the rewrap of one batch."""
        return self.session.scalars(
            select(SigningKey)
            .where(
                SigningKey.store == "database",
                SigningKey.master_key_id != master_key_id,
                SigningKey.id > after,
            )
            .order_by(SigningKey.id)
            .limit(limit)
            .with_for_update()
        ).all()

    def retire_all(self, provider_id: str, at: datetime) -> None:
        self.session.execute(
            update(SigningKey)
            .where(SigningKey.provider_id == provider_id, SigningKey.retired_at.is_(None))
            .values(retired_at=at)
        )


class Credentials:
    def __init__(self, session: Session) -> None:
        self.session = session

    _INSERT = insert(IssuedCredential.__table__)  # type: ignore[arg-type]

    def add_deferred(self, credential: IssuedCredential) -> None:
        """Insert at commit, batched with the other credentials of a group commit. A
        duplicate then fails the whole batch, which the writer retries one by one."""
        row = _row(credential)
        defer(self.session, self._INSERT, row)

    def get(self, provider_id: str, credential_id: str) -> IssuedCredential | None:
        return self.session.scalar(
            owned_by(IssuedCredential, provider_id).where(
                IssuedCredential.credential_id == credential_id
            )
        )

    def signed_with(
        self, provider_id: str, verification_method: str, *, since: datetime | None
    ) -> Sequence[tuple[str, str, datetime]]:
        """(row id, credential id, issued at) of the credentials a key signed, from
        ``since`` on (all of them when None), oldest first."""
        query = select(
            IssuedCredential.id, IssuedCredential.credential_id, IssuedCredential.issued_at
        ).where(
            IssuedCredential.provider_id == provider_id,
            IssuedCredential.verification_method == verification_method,
        )
        if since is not None:
            query = query.where(IssuedCredential.issued_at >= since)
        rows = self.session.execute(query.order_by(IssuedCredential.issued_at)).all()
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    def by_row_id(self, provider_id: str, row_id: str) -> IssuedCredential | None:
        return self.session.scalar(
            owned_by(IssuedCredential, provider_id).where(IssuedCredential.id == row_id)
        )


class IdempotencyKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, provider_id: str, key: str) -> IdempotencyKey | None:
        return self.session.scalar(
            owned_by(IdempotencyKey, provider_id).where(IdempotencyKey.key == key)
        )

    def existing(self, provider_id: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` were used already (one query per 500 keys)."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found.update(
                self.session.scalars(
                    select(IdempotencyKey.key).where(
                        IdempotencyKey.provider_id == provider_id, IdempotencyKey.key.in_(chunk)
                    )
                )
            )
        return found

    _INSERT = insert(IdempotencyKey.__table__)  # type: ignore[arg-type]

    def add(self, record: IdempotencyKey) -> None:
        """At commit, after the credential it points to (deferred in that order)."""
        defer(
            self.session,
            self._INSERT,
            _row(record),
        )


@dataclass(frozen=True, slots=True)
class ListBits:
    """What verification needs of a list: its bits and whose they are."""

    bits: bytes
    purpose: str
    issuer: str
    status_size: int


class StatusLists:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_for_update(self, provider_id: str, purpose: str, issuer: str) -> StatusList | None:
        """The list taking new entries, locked until the transaction ends."""
        return self.session.scalar(
            owned_by(StatusList, provider_id)
            .where(
                StatusList.purpose == purpose,
                StatusList.issuer == issuer,
                StatusList.closed.is_(False),
            )
            .with_for_update()
        )

    def close_open_lists(self, provider_id: str, issuer: str) -> None:
        """After a did:key rotation no new entries go into the lists of the old DID."""
        self.session.execute(
            update(StatusList)
            .where(
                StatusList.provider_id == provider_id,
                StatusList.issuer == issuer,
                StatusList.closed.is_(False),
            )
            .values(closed=True)
        )

    def invalidate_signatures(self, provider_id: str) -> None:
        """Every list of the provider is signed afresh when next served."""
        self.session.execute(
            update(StatusList)
            .where(StatusList.provider_id == provider_id)
            .values(signed_version=-1)
        )

    def add(self, status_list: StatusList) -> None:
        self.session.add(status_list)
        flush_or_duplicate(self.session)

    def public(self, list_id: str) -> StatusList | None:
        """A list by its public id: lists are public documents, not tenant data."""
        return self.session.get(StatusList, list_id)

    def bits_of(self, list_id: str) -> ListBits | None:
        row = self.session.execute(
            select(
                StatusList.bits, StatusList.purpose, StatusList.issuer, StatusList.status_size
            ).where(StatusList.id == list_id)
        ).first()
        if row is None:
            return None
        return ListBits(bytes(row[0]), str(row[1]), str(row[2]), int(row[3]))

    def public_for_update(self, list_id: str) -> StatusList | None:
        return self.session.get(StatusList, list_id, with_for_update=True)

    def add_entries(self, entries: Sequence[StatusEntryRecord]) -> None:
        self.session.add_all(entries)
        flush_or_duplicate(self.session)

    _entries = StatusEntryRecord.__table__.c
    # Built once (Core, not the ORM): linking runs for every credential issued.
    _LINK = (
        update(StatusEntryRecord.__table__)  # type: ignore[arg-type]
        .where(
            _entries.provider_id == bindparam("p_provider"),
            _entries.list_id == bindparam("p_list"),
            _entries.idx == bindparam("p_index"),
            _entries.credential_row_id.is_(None),
        )
        .values(credential_row_id=bindparam("p_row"))
    )

    def link(self, provider_id: str, list_id: str, index: int, credential_row_id: str) -> None:
        """Give a handed-out index to its credential, at commit after the credential's own
        insert; the transaction fails if the index is not free for it."""
        defer(
            self.session,
            self._LINK,
            {
                "p_provider": provider_id,
                "p_list": list_id,
                "p_index": index,
                "p_row": credential_row_id,
            },
            expect_rows=True,
        )

    def entry_at(self, list_id: str, index: int) -> StatusEntryRecord | None:
        """The entry at an index of a public list (whose it is: its provider_id)."""
        return self.session.get(StatusEntryRecord, (list_id, index))

    def entries_of(
        self, provider_id: str, credential_row_ids: Sequence[str], purposes: Sequence[str]
    ) -> list[tuple[str, str, int]]:
        """(credential row id, list id, index) of the credentials' entries in lists of
        ``purposes`` (500 credentials a query)."""
        found: list[tuple[str, str, int]] = []
        for start in range(0, len(credential_row_ids), 500):
            chunk = credential_row_ids[start : start + 500]
            rows = self.session.execute(
                select(
                    StatusEntryRecord.credential_row_id,
                    StatusEntryRecord.list_id,
                    StatusEntryRecord.index,
                )
                .join(StatusList, StatusList.id == StatusEntryRecord.list_id)
                .where(
                    StatusEntryRecord.provider_id == provider_id,
                    StatusEntryRecord.credential_row_id.in_(chunk),
                    StatusList.purpose.in_(purposes),
                )
            ).all()
            found.extend((str(r[0]), str(r[1]), int(r[2])) for r in rows)
        return found

    def entry_for(
        self, provider_id: str, credential_row_id: str, purposes: Sequence[str]
    ) -> StatusEntryRecord | None:
        """The credential's entry in a list of the first of ``purposes`` it has one for
        (one query; the list itself is read, locked, by the caller)."""
        rows = self.session.execute(
            select(StatusEntryRecord, StatusList.purpose)
            .join(StatusList, StatusList.id == StatusEntryRecord.list_id)
            .where(
                StatusEntryRecord.provider_id == provider_id,
                StatusEntryRecord.credential_row_id == credential_row_id,
                StatusList.purpose.in_(purposes),
            )
        ).all()
        by_purpose = {purpose: entry for entry, purpose in rows}
        return next((by_purpose[p] for p in purposes if p in by_purpose), None)


class AuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    _INSERT = insert(AuditEvent.__table__)  # type: ignore[arg-type]
    _MOVE_HEAD = (
        update(AuditHead.__table__)  # type: ignore[arg-type]
        .where(AuditHead.__table__.c.id == 1)
        .values(seq=bindparam("p_seq"), hash=bindparam("p_hash"))
    )
    _READ_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()

    def head(self) -> tuple[int, str]:
        """(seq, hash) at the chain's end, locked; remembered for the transaction."""
        cached: tuple[int, str] | None = self.session.info.get("audit_head")
        if cached is not None:
            return cached
        row = self.session.execute(self._READ_HEAD).first()
        if row is None:
            raise RuntimeError("the audit chain has no head: run the migrations")
        head = (int(row[0]), str(row[1]))
        self.session.info["audit_head"] = head
        return head

    def append(self, event: AuditEvent) -> None:
        """Insert the event and move the head to it, at commit with the other writes."""
        row = _row(event)
        defer(self.session, self._INSERT, row)
        defer(
            self.session,
            self._MOVE_HEAD,
            {"p_seq": event.seq, "p_hash": event.hash},
            last_only=True,
        )
        self.session.info["audit_head"] = (event.seq, event.hash)

    def stored_head(self) -> tuple[int, str]:
        """(seq, hash) the chain's end was last committed as; read without a lock."""
        head = self.session.get(AuditHead, 1)
        if head is None:
            raise RuntimeError("the audit chain has no head: run the migrations")
        return head.seq, head.hash

    def page(self, *, provider_id: str | None, after: int, limit: int) -> Sequence[AuditEvent]:
        query = select(AuditEvent) if provider_id is None else owned_by(AuditEvent, provider_id)
        query = query.where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(limit)
        return self.session.scalars(query).all()

    def all(self) -> Sequence[AuditEvent]:
        return self.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()

    def latest_about_credential(
        self, provider_id: str, credential_row_id: str, actions: Sequence[str]
    ) -> AuditEvent | None:
        """The provider's latest event of one of ``actions`` about one of its credentials."""
        return self.session.scalar(
            owned_by(AuditEvent, provider_id)
            .join(
                IssuedCredential,
                (IssuedCredential.credential_id == AuditEvent.subject)
                & (IssuedCredential.provider_id == AuditEvent.provider_id),
            )
            .where(IssuedCredential.id == credential_row_id, AuditEvent.action.in_(actions))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )


class SkillDefinitions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, definition: SkillDefinition) -> None:
        self.session.add(definition)
        flush_or_duplicate(self.session)

    def get(self, provider_id: str, key: str) -> SkillDefinition | None:
        return self.session.scalar(
            owned_by(SkillDefinition, provider_id).where(SkillDefinition.key == key)
        )

    def all_for(self, provider_id: str) -> Sequence[SkillDefinition]:
        return self.session.scalars(
            owned_by(SkillDefinition, provider_id).order_by(SkillDefinition.key)
        ).all()
