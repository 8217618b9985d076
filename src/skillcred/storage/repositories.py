"""Every query the service makes. Services call these; routers never touch SQL.

Rows that belong to a provider are read only through :func:`owned_by`, so one provider
can never see another's credentials, keys or idempotency records.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skillcred.core.status_list import Bitstring
from skillcred.storage.models import (
    ApiKey,
    AuditEvent,
    AuditHead,
    Base,
    BatchJob,
    IdempotencyKey,
    IssuedCredential,
    Offer,
    OfferExchange,
    OfferNonce,
    PresentationRequest,
    Provider,
    ProviderDid,
    SigningKey,
    SkillDefinition,
    StatusEntryRecord,
    StatusList,
    StatusValue,
)
from skillcred.storage.unit_of_work import DuplicateError as DuplicateError
from skillcred.storage.unit_of_work import defer

Owned = TypeVar(
    "Owned",
    ApiKey,
    AuditEvent,
    BatchJob,
    IdempotencyKey,
    IssuedCredential,
    Offer,
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

    def by_id(self, provider_id: str) -> Provider | None:
        return self.session.get(Provider, provider_id)

    def by_slug(self, slug: str) -> Provider | None:
        return self.session.scalar(select(Provider).where(Provider.slug == slug))

    def issuers_of(self, credential_id: str) -> Sequence[Provider]:
        """The providers that issued a credential with this id (ids are unique per provider)."""
        return self.session.scalars(
            select(Provider)
            .join(IssuedCredential, IssuedCredential.provider_id == Provider.id)
            .where(IssuedCredential.credential_id == credential_id)
        ).all()

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


@dataclass(frozen=True, slots=True)
class EntryRef:
    """Where a credential's status entry is, and what kind of list holds it."""

    list_id: str
    index: int
    purpose: str
    status_size: int


class StatusLists:
    def __init__(self, session: Session) -> None:
        self.session = session

    def public_for_update(self, list_id: str) -> StatusList | None:
        """A list by id, its row locked until the transaction ends (changes to many of
        its entries at once)."""
        return self.session.get(StatusList, list_id, with_for_update=True)

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

    _SET_VALUES = select(StatusValue.index, StatusValue.status).where(
        StatusValue.list_id == bindparam("p_list")
    )

    def bitstring(self, status_list: StatusList) -> Bitstring:
        """The list's bits, folded from its set entries (``status_values``, by primary
        key: the cost grows with the set entries, not with the list).

        Read the list row *before* this: on PostgreSQL (READ COMMITTED) a change committed
        in between is then in these bits though not in the version read, which only makes
        the next reader sign again; the other order could label old bits as new."""
        bits = Bitstring.empty(status_list.entries, status_size=status_list.status_size)
        for index, value in self.session.execute(self._SET_VALUES, {"p_list": status_list.id}):
            bits.set(int(index), int(value))
        return bits

    def bits_of(self, list_id: str) -> ListBits | None:
        status_list = self.public(list_id)
        if status_list is None:
            return None
        return ListBits(
            self.bitstring(status_list).raw,
            status_list.purpose,
            status_list.issuer,
            status_list.status_size,
        )

    def allocated_among(self, list_id: str, indexes: Sequence[int]) -> set[int]:
        """Which of ``indexes`` of a list were handed out already (a primary-key lookup)."""
        return set(
            self.session.scalars(
                select(StatusEntryRecord.index).where(
                    StatusEntryRecord.list_id == list_id, StatusEntryRecord.index.in_(indexes)
                )
            )
        )

    def allocated_indexes(self, list_id: str) -> set[int]:
        """Every index of a list handed out so far (for a nearly full list only)."""
        return set(
            self.session.scalars(
                select(StatusEntryRecord.index).where(StatusEntryRecord.list_id == list_id)
            )
        )

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

    # The credential's entries, by the index on credential_row_id alone: a query that
    # also joins the lists lets PostgreSQL, without statistics on a freshly filled table,
    # walk each list's entries by the primary key (160 ms at 1M entries, against 0.1 ms).
    _ENTRIES_OF = select(StatusEntryRecord.list_id, StatusEntryRecord.index).where(
        StatusEntryRecord.credential_row_id == bindparam("p_row"),
        StatusEntryRecord.provider_id == bindparam("p_provider"),
    )

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
    ) -> EntryRef | None:
        """The credential's entry in a list of the first of ``purposes`` it has one for:
        its entries by credential, then their lists by primary key (two index lookups
        whatever the table statistics)."""
        entries = self.session.execute(
            self._ENTRIES_OF, {"p_row": credential_row_id, "p_provider": provider_id}
        ).all()
        if not entries:
            return None
        lists = {
            row[0]: (str(row[1]), int(row[2]))
            for row in self.session.execute(
                select(StatusList.id, StatusList.purpose, StatusList.status_size).where(
                    StatusList.id.in_({str(e[0]) for e in entries})
                )
            )
        }
        by_purpose = {
            lists[list_id][0]: EntryRef(list_id, int(index), *lists[list_id])
            for list_id, index in entries
            if list_id in lists
        }
        return next((by_purpose[p] for p in purposes if p in by_purpose), None)

    def status_of(self, list_id: str, index: int, *, lock: bool = False) -> int:
        """An entry's status value (0: unset, or never handed out). ``lock``: a set
        value's row stays locked until the transaction ends (on PostgreSQL every write
        transaction also locks the audit chain's head first, which orders changes)."""
        query = select(StatusValue.status).where(
            StatusValue.list_id == list_id, StatusValue.index == index
        )
        value = self.session.scalar(query.with_for_update() if lock else query)
        return int(value or 0)

    def set_status(self, list_id: str, index: int, value: int) -> int:
        """Change one entry's status and bump its list's version (a small row each,
        nothing rewritten whole); the new version."""
        where = (StatusValue.list_id == list_id, StatusValue.index == index)
        if value == 0:
            self.session.execute(delete(StatusValue).where(*where))
        else:
            changed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                update(StatusValue).where(*where).values(status=value)
            )
            if changed.rowcount == 0:
                self.session.execute(
                    insert(StatusValue).values(list_id=list_id, index=index, status=value)
                )
        version = self.session.scalar(
            update(StatusList)
            .where(StatusList.id == list_id)
            .values(version=StatusList.version + 1)
            .returning(StatusList.version)
        )
        assert version is not None
        return int(version)


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

    def stream(self, *, up_to: int, page: int = 1000) -> Iterator[AuditEvent]:
        """Every event up to ``up_to`` in order, a page at a time by keyset (``seq >`` the
        last one seen, on the primary key): memory stays that of one page however long
        the trail, and each page is one short query on SQLite and PostgreSQL alike."""
        after = 0
        while True:
            events = self.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > after, AuditEvent.seq <= up_to)
                .order_by(AuditEvent.seq)
                .limit(page)
            ).all()
            if not events:
                return
            after = events[-1].seq
            yield from events
            del events  # (the session holds loaded events only weakly)

    def last_seq(self) -> int | None:
        """The highest sequence number stored (read now, not from the transaction's start
        on PostgreSQL)."""
        return self.session.scalar(select(func.max(AuditEvent.seq)))

    def current_head_seq(self) -> int:
        """The head's sequence number as committed now (not the session's cached row)."""
        return int(self.session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0)

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


class PresentationRequests:
    """Presentation requests: each answered at most once, kept until read or expired."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, request: PresentationRequest) -> None:
        self.session.add(request)
        self.session.flush()

    def get(self, request_id: str) -> PresentationRequest | None:
        return self.session.get(PresentationRequest, request_id)

    def by_result_id(self, result_id: str) -> PresentationRequest | None:
        return self.session.scalars(
            select(PresentationRequest).where(PresentationRequest.result_id == result_id)
        ).first()

    def claim(self, request_id: str, now: datetime) -> bool:
        """Marks the request answered if it is open (unanswered, unexpired); True if this
        call did so. One statement, so two answers racing cannot both win."""
        result = self.session.execute(
            update(PresentationRequest)
            .where(
                PresentationRequest.id == request_id,
                PresentationRequest.answered_at.is_(None),
                PresentationRequest.expires_at > now,
            )
            .values(answered_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def set_result(self, request_id: str, result: str, keep_until: datetime) -> None:
        self.session.execute(
            update(PresentationRequest)
            .where(PresentationRequest.id == request_id)
            .values(result=result, result_expires_at=keep_until)
        )

    def take_result(self, result_id: str) -> bool:
        """Deletes an answered request whose result was read; True if this call did."""
        result = self.session.execute(
            delete(PresentationRequest).where(
                PresentationRequest.result_id == result_id,
                PresentationRequest.result.is_not(None),
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def purge(self, now: datetime, *, unanswered_before: datetime) -> int:
        """Deletes results past their lifetime and requests that expired unanswered (or
        whose answer was never verified) before ``unanswered_before``."""
        result = self.session.execute(
            delete(PresentationRequest).where(
                or_(
                    PresentationRequest.result_expires_at < now,
                    (PresentationRequest.result.is_(None))
                    & (PresentationRequest.expires_at < unanswered_before),
                )
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


#: an offer's states in which a wallet may still collect it
OPEN_OFFER_STATES = ("offered", "token-issued", "issuing")


class Offers:
    """Credential offers. Wallet-facing lookups go by a secret's hash (the wallet does not
    know the provider); the provider's own go through :func:`owned_by`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, offer: Offer) -> None:
        self.session.add(offer)
        flush_or_duplicate(self.session)

    def add_exchange(self, exchange: OfferExchange) -> None:
        self.session.add(exchange)
        flush_or_duplicate(self.session)

    def owned(self, provider_id: str, offer_id: str) -> Offer | None:
        return self.session.scalar(owned_by(Offer, provider_id).where(Offer.id == offer_id))

    def listing(self, provider_id: str, *, limit: int = 1000) -> Sequence[Offer]:
        return self.session.scalars(
            owned_by(Offer, provider_id).order_by(Offer.created_at.desc()).limit(limit)
        ).all()

    def by_handle(self, handle_hash: str) -> Offer | None:
        return self.session.scalar(select(Offer).where(Offer.handle_hash == handle_hash))

    def by_code(self, code_hash: str) -> Offer | None:
        return self.session.scalar(select(Offer).where(Offer.code_hash == code_hash))

    def by_token(self, token_hash: str) -> Offer | None:
        return self.session.scalar(select(Offer).where(Offer.token_hash == token_hash))

    def exchange(self, id_hash: str) -> tuple[OfferExchange, Offer] | None:
        row = self.session.execute(
            select(OfferExchange, Offer)
            .join(Offer, Offer.id == OfferExchange.offer_id)
            .where(OfferExchange.id_hash == id_hash)
        ).first()
        return None if row is None else (row[0], row[1])

    def transition(self, offer_id: str, from_states: Sequence[str], **values: Any) -> bool:
        """Move an offer on only if it is still in one of ``from_states``: of two
        concurrent requests for the same step, exactly one changes the row."""
        result = self.session.execute(
            update(Offer)
            .where(Offer.id == offer_id, Offer.state.in_(from_states))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def count_try(self, offer_id: str, *, limit: int, at: datetime) -> int:
        """One more wrong transaction code; the offer is locked at ``limit``."""
        self.session.execute(
            update(Offer)
            .where(Offer.id == offer_id)
            .values(tx_attempts=Offer.tx_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        attempts = int(
            self.session.scalar(select(Offer.tx_attempts).where(Offer.id == offer_id)) or 0
        )
        if attempts >= limit:
            self.transition(offer_id, ("offered",), state="locked", request=None, closed_at=at)
        return attempts

    def set_challenge(self, id_hash: str, challenge: str | None) -> None:
        self.session.execute(
            update(OfferExchange)
            .where(OfferExchange.id_hash == id_hash)
            .values(challenge=challenge)
            .execution_options(synchronize_session=False)
        )

    def expire(self, at: datetime) -> Sequence[tuple[str, str]]:
        """Close every open offer whose time is up, forgetting its personal data;
        (id, provider_id) of each."""
        # Not one being issued at this moment: its delivery finishes it.
        expired = self.session.execute(
            select(Offer.id, Offer.provider_id).where(
                Offer.state.in_(("offered", "token-issued", "locked")),
                Offer.expires_at <= at,
            )
        ).all()
        ids = [row[0] for row in expired]
        if ids:
            self.session.execute(
                update(Offer)
                .where(Offer.id.in_(ids))
                .values(state="expired", request=None, closed_at=at)
                .execution_options(synchronize_session=False)
            )
        return [(str(row[0]), str(row[1])) for row in expired]

    def add_nonce(self, nonce: OfferNonce) -> None:
        self.session.add(nonce)
        flush_or_duplicate(self.session)

    def use_nonce(self, nonce_hash: str, at: datetime) -> bool:
        """Consume a nonce: true once, if it exists and is fresh; expired ones go too."""
        result = self.session.execute(
            delete(OfferNonce)
            .where(OfferNonce.nonce_hash == nonce_hash, OfferNonce.expires_at > at)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            delete(OfferNonce)
            .where(OfferNonce.expires_at <= at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
