"""Revocation and suspension with W3C Bitstring Status List v1.0.

Allocation: each list has 131,072 entries; indexes are drawn at random among the free
ones (a list then says nothing about issuance order). A worker reserves a small block
of random indexes at a time in one committed transaction, and hands them out from
memory: an index is never handed out twice (each handed-out index has its row in
``status_entries``, whose (list, index) primary key refuses a second one; reservations
take the list's row lock), and an index whose request fails, or whose worker dies, is
wasted, never reused. A list that fills is closed and a fresh one opened.

Storage: the value of each set entry (revoked, suspended) is a row of ``status_values``.
A change writes that row and bumps the list's version in the same transaction as the
audit record; a list's bitstring is folded from its rows when it is signed. So neither a
reservation nor a change rewrites a whole list (they write a few small rows). The answer
is sent after the commit, and a list is re-signed whenever it is served with a version
newer than its signature — so every list served after an acknowledged change carries it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from skillcred.core.datamodel import version_of
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.proofs import add_proof
from skillcred.core.status_list import (
    MIN_ENTRIES,
    Bitstring,
    StatusEntry,
    entry_json,
    list_credential,
)
from skillcred.errors import ConflictError, NotFoundError, RequestError
from skillcred.services import audit, metrics
from skillcred.services.providers import SignerCache, ensure_active
from skillcred.services.remote import TtlCache
from skillcred.storage.db import Database
from skillcred.storage.models import Provider, StatusEntryRecord, StatusList
from skillcred.storage.repositories import (
    AuditLog,
    Credentials,
    ListBits,
    SigningKeys,
    StatusLists,
)
from skillcred.storage.writer import BatchWriter

log = logging.getLogger("skillcred.status")
REVOCATION = "revocation"
#: skills profile v1's single two-bit entry (0 valid, 1 revoked, 2 suspended): no longer
#: issued — a verifier that reads one bit at the raw index (DCC's) would call a revoked
#: safety certificate valid — but the credentials that carry one keep their meaning
MESSAGE = "message"
MESSAGE_VALUES = {"valid": 0, "revoked": 1, "suspended": 2}
SUSPENSION = "suspension"
PURPOSES = (REVOCATION, SUSPENSION)
STATUS_LISTS_PATH = "/status-lists/"
#: marks, in a suspension's audit record, a reason given to be shown to verifiers
REASON_SHOWN = "reasonShownToVerifiers"
#: how long a worker reuses a list's bits when verifying (a change is visible within it)
LOCAL_READ_SECONDS = 1.0
_random = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Allocation:
    list_id: str
    index: int
    purpose: str


@dataclass(frozen=True, slots=True)
class ChangeResult:
    credential_id: str
    purpose: str
    status: bool
    changed: bool
    list_url: str

    def to_json(self) -> dict[str, Any]:
        return {
            "credentialId": self.credential_id,
            "statusPurpose": self.purpose,
            "status": self.status,
            "changed": self.changed,
            "statusListCredential": self.list_url,
        }


def requested_purposes(credential: Mapping[str, Any], option: Any) -> list[str]:
    """Which status entries a credential gets: revocation always, suspension when asked
    for or when the credential expires (a safety certificate)."""
    if option is None:
        return [REVOCATION, SUSPENSION] if "validUntil" in credential else [REVOCATION]
    if not isinstance(option, list) or not all(isinstance(p, str) for p in option):
        raise RequestError("options.statusPurposes must be an array such as ['revocation']")
    unknown = [p for p in option if p not in PURPOSES]
    if unknown:
        raise RequestError(
            f"unknown status purpose {unknown[0]!r}; this issuer keeps 'revocation' and "
            "'suspension' lists"
        )
    return [p for p in PURPOSES if p in option]


class StatusService:
    def __init__(
        self,
        database: Database,
        *,
        writer: BatchWriter,
        signers: SignerCache,
        loader: DocumentLoader,
        base_url: str,
        ttl_seconds: int,
        entries: int = MIN_ENTRIES,
        block: int = 32,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.writer = writer
        self.signers = signers
        self.loader = loader
        self.base_url = base_url
        self.ttl_seconds = ttl_seconds
        self.entries = entries
        self.block = block
        self.clock = clock
        self._pools: dict[tuple[str, str, str], deque[Allocation]] = {}
        self._refills: dict[tuple[str, str, str], Future[list[Allocation]]] = {}
        self._bits_cache = TtlCache(max_entries=256)
        self._reason_cache = TtlCache(max_entries=256)
        # Re-entrant: a refill that finished already runs its callback inside _refill.
        self._lock = threading.RLock()

    # --- URLs ----------------------------------------------------------------------

    def list_url(self, list_id: str) -> str:
        return f"{self.base_url}{STATUS_LISTS_PATH}{list_id}"

    def local_list_id(self, url: str) -> str | None:
        prefix = self.base_url + STATUS_LISTS_PATH
        if url.startswith(prefix) and "/" not in url[len(prefix) :] and url[len(prefix) :]:
            return url[len(prefix) :]
        return None

    # --- allocation ------------------------------------------------------------------

    def allocate(
        self,
        provider: Provider,
        credential: dict[str, Any],
        purposes_option: Any,
    ) -> tuple[dict[str, Any], list[Allocation]]:
        """Add status entries to a credential about to be signed (VC 2.0 only): one 1-bit
        entry per purpose, which every Bitstring Status List verifier reads right.

        A credential that brings its own ``credentialStatus`` keeps it as given."""
        if "credentialStatus" in credential or version_of(credential) != "2.0":
            if purposes_option:
                raise RequestError(
                    "options.statusPurposes needs a VC 2.0 credential without credentialStatus"
                )
            return credential, []
        purposes = requested_purposes(credential, purposes_option)
        if not purposes:
            return credential, []
        issuer = provider.did
        allocations = [self._take(provider, purpose, issuer) for purpose in purposes]
        entries = [self._entry(a) for a in allocations]
        completed = dict(credential)
        completed["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        return completed, allocations

    def _entry(self, allocation: Allocation) -> dict[str, Any]:
        return entry_json(allocation.purpose, allocation.index, self.list_url(allocation.list_id))

    def _take(self, provider: Provider, purpose: str, issuer: str) -> Allocation:
        """An index from this worker's reserve; the reserve is refilled in the background
        when it runs low, so issuing only waits for the database when it is empty."""
        key = (provider.id, purpose, issuer)
        while True:
            with self._lock:
                pool = self._pools.setdefault(key, deque())
                refill = self._refills.get(key)
                if refill is None and len(pool) <= self.block // 2:
                    refill = self._refill(key, provider.id, purpose, issuer)
                if pool:
                    return pool.popleft()
            assert refill is not None  # an empty reserve always has a refill under way
            refill.result()  # empty: wait for the reservation under way

    def _refill(
        self, key: tuple[str, str, str], provider_id: str, purpose: str, issuer: str
    ) -> Future[list[Allocation]]:
        # Called with self._lock held.
        future = self.writer.submit(
            lambda session: self._reserve(session, provider_id, purpose, issuer, self.block)
        )
        self._refills[key] = future

        def done(finished: Future[list[Allocation]]) -> None:
            with self._lock:
                self._refills.pop(key, None)
                if finished.exception() is None:
                    self._pools.setdefault(key, deque()).extend(finished.result())
                else:
                    log.error("reserving status indexes failed: %s", finished.exception())

        future.add_done_callback(done)
        return future

    def _reserve(
        self, session: Session, provider_id: str, purpose: str, issuer: str, count: int
    ) -> list[Allocation]:
        lists = StatusLists(session)
        taken: list[Allocation] = []
        now = self.clock()
        while len(taken) < count:
            status_list = lists.open_for_update(provider_id, purpose, issuer)
            if status_list is None:
                status_size = 1  # (profile v1 message lists, 2 bits, are only read)
                status_list = StatusList(
                    id=str(uuid.uuid4()),
                    provider_id=provider_id,
                    purpose=purpose,
                    issuer=issuer,
                    entries=self.entries,
                    status_size=status_size,
                    allocated=0,
                    closed=False,
                    version=0,
                    signed_version=-1,
                    created_at=now,
                )
                lists.add(status_list)
            free = status_list.entries - status_list.allocated
            picks = _random_free(
                lists, status_list.id, status_list.entries, free, min(count - len(taken), free)
            )
            lists.add_entries(
                [
                    StatusEntryRecord(
                        list_id=status_list.id,
                        index=index,
                        provider_id=provider_id,
                        allocated_at=now,
                    )
                    for index in picks
                ]
            )
            status_list.allocated += len(picks)
            if status_list.allocated >= status_list.entries:
                status_list.closed = True
            session.flush()
            taken.extend(Allocation(status_list.id, index, purpose) for index in picks)
        return taken

    def link(
        self, session: Session, provider_id: str, row_id: str, allocations: list[Allocation]
    ) -> None:
        """Inside the issuance write: the handed-out indexes now belong to the credential."""
        lists = StatusLists(session)
        for allocation in allocations:
            lists.link(provider_id, allocation.list_id, allocation.index, row_id)

    # --- changes ---------------------------------------------------------------------

    async def change_async(
        self,
        provider: Provider,
        credential_id: str,
        purpose: str,
        status: bool,
        *,
        reason: str | None,
        actor: str,
    ) -> ChangeResult:
        return await asyncio.wrap_future(
            self.writer.submit(
                lambda s: self._change(s, provider, credential_id, purpose, status, reason, actor)
            )
        )

    def _change(
        self,
        session: Session,
        provider: Provider,
        credential_id: str,
        purpose: str,
        status: bool,
        reason: str | None,
        actor: str,
    ) -> ChangeResult:
        ensure_active(provider)
        credential = Credentials(session).get(provider.id, credential_id)
        if credential is None:
            raise NotFoundError(
                f"this provider has issued no credential with the id {credential_id!r}"
            )
        lists = StatusLists(session)
        entry = lists.entry_for(provider.id, credential.id, (purpose, MESSAGE))
        if entry is None:
            raise NotFoundError(f"credential {credential_id!r} has no {purpose} status entry")
        url = self.list_url(entry.list_id)
        current = lists.status_of(entry.list_id, entry.index, lock=True)
        if entry.purpose == MESSAGE:
            new = _message_transition(credential_id, current, purpose, status)
        else:
            if (purpose == REVOCATION and not status and current) or (
                purpose == SUSPENSION and _revoked(lists, provider, credential.id)
            ):
                # Revocation is final; a revoked credential is not suspended or reinstated.
                raise ConflictError(
                    f"credential {credential_id!r} is revoked, and revocation is final; "
                    "issue a new credential instead"
                )
            if bool(current) == status:
                return ChangeResult(credential_id, purpose, status, False, url)
            new = int(status)
        if new == current:
            return ChangeResult(credential_id, purpose, status, False, url)
        version = lists.set_status(entry.list_id, entry.index, new)
        action = {
            (REVOCATION, True): "credential.revoked",
            (SUSPENSION, True): "credential.suspended",
            (SUSPENSION, False): "credential.reinstated",
        }[(purpose, status)]
        audit.record(
            session,
            actor=actor,
            action=action,
            provider_id=provider.id,
            subject=credential_id,
            reason=reason,
            data={
                "statusListCredential": url,
                "statusListIndex": entry.index,
                "version": version,
                # Given under the terms that a suspension's reason is shown to verifiers
                # (reasons recorded before those terms stay in the audit trail alone).
                **({REASON_SHOWN: True} if action == "credential.suspended" and reason else {}),
            },
            at=self.clock(),
        )
        metrics.STATUS_CHANGES.labels(purpose, str(status).lower()).inc()
        return ChangeResult(credential_id, purpose, status, True, url)

    def revoke_many(
        self,
        session: Session,
        provider: Provider,
        credentials: Sequence[tuple[str, str]],
        *,
        reason: str,
        actor: str,
        data: Mapping[str, Any],
    ) -> dict[str, tuple[bool, bool]]:
        """Revoke many credentials (row id, credential id) in the caller's transaction:
        each list is locked once and each entry changed as one small row. Answers, by
        credential id, (has a revocation entry, was changed now)."""
        lists = StatusLists(session)
        entries = lists.entries_of(
            provider.id, [row for row, _ in credentials], (REVOCATION, MESSAGE)
        )
        by_list: dict[str, list[tuple[str, int]]] = {}
        ids = dict(credentials)
        for row_id, list_id, index in entries:
            by_list.setdefault(list_id, []).append((ids[row_id], index))
        answer = {credential_id: (False, False) for _, credential_id in credentials}
        now = self.clock()
        for list_id in sorted(by_list):
            status_list = lists.public_for_update(list_id)
            assert status_list is not None
            revoked_value = MESSAGE_VALUES["revoked"] if status_list.purpose == MESSAGE else 1
            changed: list[tuple[str, int]] = []
            version = status_list.version
            for credential_id, index in sorted(by_list[list_id], key=lambda item: item[1]):
                if lists.status_of(list_id, index, lock=True) == revoked_value:
                    answer[credential_id] = (True, False)
                    continue
                version = lists.set_status(list_id, index, revoked_value)
                changed.append((credential_id, index))
                answer[credential_id] = (True, True)
            if not changed:
                continue
            url = self.list_url(list_id)
            for credential_id, index in changed:
                audit.record(
                    session,
                    actor=actor,
                    action="credential.revoked",
                    provider_id=provider.id,
                    subject=credential_id,
                    reason=reason,
                    data={
                        "statusListCredential": url,
                        "statusListIndex": index,
                        "version": version,
                        **data,
                    },
                    at=now,
                )
            metrics.STATUS_CHANGES.labels(REVOCATION, "true").inc(len(changed))
        session.flush()
        return answer

    # --- the list credential ---------------------------------------------------------

    def list_document(self, list_id: str) -> bytes:
        """The signed list credential, re-signed when a bit changed since its signature."""
        with self.database.reading() as session:
            status_list = StatusLists(session).public(list_id)
            if status_list is None:
                raise NotFoundError(f"there is no status list {list_id!r}")
            if status_list.signed_version == status_list.version and status_list.signed_document:
                return status_list.signed_document.encode()
            key = self._list_key(session, status_list)
            version = status_list.version
            issuer, purpose = status_list.issuer, status_list.purpose
            # After the row (its version) was read: see StatusLists.bitstring.
            bits = StatusLists(session).bitstring(status_list)
        now = self.clock()
        unsigned = list_credential(
            list_url=self.list_url(list_id),
            issuer=issuer,
            purpose=purpose,
            bitstring=bits,
            valid_from=format_date_time(now),
            ttl_ms=self.ttl_seconds * 1000,
        )
        signed = add_proof(
            unsigned, signer=self.signers.signer_for(key), created=now, loader=self.loader
        )
        body = orjson.dumps(signed)

        def store(session: Session) -> None:
            current = StatusLists(session).public(list_id)
            if current is not None and current.signed_version < version:
                current.signed_version = version
                current.signed_document = body.decode()
                current.signed_at = now

        # Kept for the next reader; the answer does not wait for it.
        self.writer.submit(store)
        return body

    def _list_key(self, session: Session, status_list: StatusList) -> Any:
        keys = SigningKeys(session)
        provider_key = keys.current(status_list.provider_id)
        if provider_key is not None and provider_key.compromised_at is not None:
            provider_key = None
        if provider_key is not None and provider_key.controller == status_list.issuer:
            return provider_key
        # A did:key provider rotated: the list stays under the DID its credentials name,
        # signed by that DID's (retired) key, so earlier credentials keep a valid status.
        key = keys.controlled_by(status_list.provider_id, status_list.issuer)
        if key is None:
            raise NotFoundError(f"no key of {status_list.issuer} is left to sign its status list")
        return key

    # --- reading statuses of this service's own lists -----------------------------------

    def local_value(self, entry: StatusEntry) -> tuple[int, ListBits] | None:
        """The value of an entry in one of this service's lists (None: not ours).

        Each worker keeps a list's bits for ``LOCAL_READ_SECONDS``: a change reaches this
        verifier within that time (served lists carry it at once)."""
        list_id = self.local_list_id(entry.list_url)
        if list_id is None:
            return None
        bits = self._bits_cache.get(list_id)
        if bits is None:
            with self.database.reading() as session:
                bits = StatusLists(session).bits_of(list_id)
            if bits is None:
                raise NotFoundError(f"there is no status list {entry.list_url}")
            self._bits_cache.put(list_id, bits, LOCAL_READ_SECONDS)
        return Bitstring(bits.bits, status_size=bits.status_size).get(entry.index), bits

    def suspension_reason(self, entry: StatusEntry) -> str | None:
        """The reason the provider gave for suspending the credential at this entry of one
        of this service's lists: that of its latest suspension, unless it was lifted since
        (None: not ours, no reason given, not suspended, or a reason recorded before
        reasons were shown to verifiers). Kept as briefly as the bits."""
        list_id = self.local_list_id(entry.list_url)
        if list_id is None:
            return None
        key = f"{list_id} {entry.index}"
        cached = self._reason_cache.get(key)
        if cached is not None:
            return str(cached[0]) if cached[0] is not None else None
        reason: str | None = None
        with self.database.reading() as session:
            record = StatusLists(session).entry_at(list_id, entry.index)
            if record is not None and record.credential_row_id is not None:
                event = AuditLog(session).latest_about_credential(
                    record.provider_id,
                    record.credential_row_id,
                    ("credential.suspended", "credential.reinstated"),
                )
                if (
                    event is not None
                    and event.action == "credential.suspended"
                    and orjson.loads(event.data).get(REASON_SHOWN) is True
                ):
                    reason = event.reason
        self._reason_cache.put(key, (reason,), LOCAL_READ_SECONDS)
        return reason


def _revoked(lists: StatusLists, provider: Provider, credential_row_id: str) -> bool:
    """Whether the credential's revocation bit is set (read without a lock: a revocation
    racing with a suspension leaves both bits set, and revoked wins every verdict)."""
    entry = lists.entry_for(provider.id, credential_row_id, (REVOCATION,))
    return entry is not None and bool(lists.status_of(entry.list_id, entry.index))


def _message_transition(credential_id: str, current: int, purpose: str, status: bool) -> int:
    """A two-bit entry (0 valid, 1 revoked, 2 suspended): revocation is final, and a
    suspension can be set and lifted only while the credential is not revoked."""
    revoked, suspended = MESSAGE_VALUES["revoked"], MESSAGE_VALUES["suspended"]
    if current == revoked and not (purpose == REVOCATION and status):
        raise ConflictError(
            f"credential {credential_id!r} is revoked, and revocation is final; "
            "issue a new credential instead"
        )
    if purpose == REVOCATION:
        return revoked if status else current
    if status:
        return suspended
    return MESSAGE_VALUES["valid"] if current == suspended else current


#: below this share of free indexes, a reservation draws from the list of free ones
#: itself rather than guessing (read once per reservation, only as a list nears its end)
_NEARLY_FULL = 1 / 16
#: random candidates tried at once (one primary-key lookup for all of them)
_MAX_CANDIDATES = 1024


def _random_free(
    lists: StatusLists, list_id: str, entries: int, free: int, count: int
) -> list[int]:
    """``count`` indexes of a list drawn uniformly at random among those not yet handed
    out (the caller holds the list's row lock and inserts the entries)."""
    if count <= 0:
        return []
    if free < entries * _NEARLY_FULL:
        used = lists.allocated_indexes(list_id)
        return _random.sample([i for i in range(entries) if i not in used], count)
    picks: list[int] = []
    chosen: set[int] = set()
    while len(picks) < count:
        need = count - len(picks)
        # Enough guesses that most rounds find all it needs (free >= 1/16 of the list).
        tries = min(_MAX_CANDIDATES, 2 * need * entries // free + 8)
        drawn = dict.fromkeys(_random.randrange(entries) for _ in range(tries))
        candidates = [i for i in drawn if i not in chosen]
        used = lists.allocated_among(list_id, candidates)
        for index in candidates:  # in the order drawn: a uniform choice
            if index not in used and len(picks) < count:
                picks.append(index)
                chosen.add(index)
    return picks
