"""Issuing credentials for a provider: check, complete, sign, store — once per request."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from anyio import CapacityLimiter, to_thread
from sqlalchemy.orm import Session

from skillcred.core.cryptosuites.eddsa_jcs_2022 import jcs
from skillcred.core.datamodel import ValidityPeriod, check_credential, is_url, issuer_id
from skillcred.core.datetimes import utc_now
from skillcred.core.issuing import complete_credential
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import CREDENTIALS_V1, DATA_INTEGRITY_V2, DocumentLoader
from skillcred.core.proofs import add_proof
from skillcred.core.values import as_list
from skillcred.errors import (
    ConflictError,
    DataModelError,
    IdempotencyKeyReusedError,
    IssuerMismatchError,
)
from skillcred.services import audit, metrics
from skillcred.services.providers import ProviderDirectory, SignerCache, ensure_active
from skillcred.services.status import Allocation, StatusService
from skillcred.storage.db import Database
from skillcred.storage.models import IdempotencyKey, IssuedCredential, Provider
from skillcred.storage.repositories import Credentials, DuplicateError, IdempotencyKeys
from skillcred.storage.writer import BatchWriter


@dataclass(frozen=True, slots=True)
class IssueOptions:
    """How to issue, already checked at the edge (``api/options.py``)."""

    cryptosuite: str = "eddsa-rdfc-2022"
    created: str | None = None
    #: the status purposes asked for (None: the default, see services.status)
    status_purposes: Any = None


@dataclass(frozen=True, slots=True)
class Issued:
    document: bytes
    credential_id: str
    replayed: bool = False


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """What an idempotent retry must repeat: the canonical request body."""
    return hashlib.sha256(jcs(body)).hexdigest()


OPEN_BADGE_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})


def is_open_badge(credential: Mapping[str, Any]) -> bool:
    return bool(OPEN_BADGE_TYPES.intersection(as_list(credential.get("type"))))


def with_data_integrity_context(credential: Mapping[str, Any]) -> dict[str, Any]:
    """VC 1.1 credentials need the Data Integrity context to carry a DataIntegrityProof."""
    contexts = as_list(credential.get("@context"))
    if CREDENTIALS_V1 not in contexts or DATA_INTEGRITY_V2 in contexts:
        return dict(credential)
    return {**credential, "@context": [*contexts, DATA_INTEGRITY_V2]}


@dataclass(frozen=True, slots=True)
class _Signed:
    """A signed credential waiting to be stored."""

    issued: Issued
    row: IssuedCredential
    idempotency: IdempotencyKey | None
    fingerprint: str | None
    allocations: list[Allocation]
    status: StatusService
    actor: str

    def store(self, session: Session) -> None:
        Credentials(session).add_deferred(self.row)
        if self.allocations:
            self.status.link(session, self.row.provider_id, self.row.id, self.allocations)
        if self.idempotency is not None:
            IdempotencyKeys(session).add(self.idempotency)
        audit.record(
            session,
            actor=self.actor,
            action="credential.issued",
            provider_id=self.row.provider_id,
            subject=self.row.credential_id,
            data={
                "cryptosuite": self.row.cryptosuite,
                "verificationMethod": self.row.verification_method,
                "statusEntries": [
                    {"purpose": a.purpose, "list": a.list_id, "index": a.index}
                    for a in self.allocations
                ],
            },
            at=self.row.issued_at,
        )


Check = Callable[[dict[str, Any]], None]


class Pending:
    """A credential signed and on its way to the database."""

    def __init__(
        self,
        service: IssuanceService,
        provider: Provider,
        signed: Issued | _Signed,
        future: Future[None] | None,
    ) -> None:
        self._service = service
        self._provider = provider
        self._signed = signed
        self._future = future

    def result(self) -> Issued:
        """Block until the credential is committed (threads)."""
        if isinstance(self._signed, Issued):
            return self._signed
        assert self._future is not None
        try:
            self._future.result()
        except DuplicateError as exc:
            return self._service._after_duplicate(self._provider, self._signed, exc)
        metrics.ISSUED.inc()
        return self._signed.issued

    async def wait(self) -> Issued:
        """Await the commit (the event loop)."""
        if isinstance(self._signed, Issued):
            return self._signed
        assert self._future is not None
        try:
            await asyncio.wrap_future(self._future)
        except DuplicateError as exc:
            return self._service._after_duplicate(self._provider, self._signed, exc)
        metrics.ISSUED.inc()
        return self._signed.issued


class IssuanceService:
    """Issues credentials for a provider.

    The transactions are kept short on purpose: signing happens outside any transaction,
    so the database's write lock (SQLite's is global) is held only to insert the row.
    """

    def __init__(
        self,
        database: Database,
        *,
        signers: SignerCache,
        directory: ProviderDirectory,
        writer: BatchWriter,
        status: StatusService,
        loader: DocumentLoader,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.signers = signers
        self.directory = directory
        self.writer = writer
        self.loader = loader
        self.status = status
        self.clock = clock

    def start(
        self,
        provider: Provider,
        credential: Any,
        options: IssueOptions,
        *,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        actor: str | None = None,
        check: Check | None = None,
        known_new: bool = False,
    ) -> Pending:
        """Sign now and hand the write to the group commit without waiting for it (batches
        keep many credentials in flight); ``Pending.result()`` waits for the commit.
        ``known_new``: the caller looked the idempotency key up already (in bulk) and it
        was not there; a concurrent duplicate is still caught when the row is written."""
        signed = self._sign(
            provider,
            credential,
            options,
            idempotency_key,
            fingerprint,
            actor or f"provider:{provider.slug}",
            check,
            known_new=known_new,
        )
        if isinstance(signed, Issued):
            return Pending(self, provider, signed, None)
        return Pending(self, provider, signed, self.writer.submit(signed.store))

    async def issue_async(
        self,
        provider: Provider,
        credential: Any,
        options: IssueOptions,
        *,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        actor: str | None = None,
        check: Check | None = None,
        offload: CapacityLimiter | None = None,
    ) -> Issued:
        """Sign, then await the group commit. A credential of the usual size is signed on
        the event loop (a thread hop would cost more than the signature); with
        ``offload`` — for a large document, whose canonicalization takes long enough to
        hold up every other request of the worker — it is signed on a thread of that
        limiter's, so the loop goes on answering."""
        start = partial(
            self.start,
            provider,
            credential,
            options,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            check=check,
        )
        pending = start() if offload is None else await to_thread.run_sync(start, limiter=offload)
        return await pending.wait()

    def _sign(
        self,
        provider: Provider,
        credential: Any,
        options: IssueOptions,
        idempotency_key: str | None,
        fingerprint: str | None,
        actor: str,
        check: Check | None = None,
        *,
        known_new: bool = False,
    ) -> Issued | _Signed:
        if idempotency_key is not None and not known_new:
            with self.database.reading() as session:
                replay = self._replay(session, provider, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        ensure_active(provider)
        key = self.directory.signing_key(provider)
        document, period = self._checked_and_completed(provider, credential, options)
        open_badge = is_open_badge(document)
        document, allocations = self.status.allocate(provider, document, options.status_purposes)
        if check is not None:
            check(document)
        if options.cryptosuite != "eddsa-rdfc-2022":
            # eddsa-rdfc-2022 canonicalizes in safe mode while signing; JCS does not
            # read JSON-LD, so check here that the credential means what it says.
            canonicalize(document, loader=self.loader)
        now = self.clock()
        secured = add_proof(
            document,
            signer=self.signers.signer_for(key),
            cryptosuite=options.cryptosuite,
            created=options.created if options.created is not None else now,
            proof_as_array=open_badge,
            loader=self.loader,
        )
        body = orjson.dumps(secured)
        credential_id = str(secured["id"])
        row = IssuedCredential(
            id=str(uuid.uuid4()),
            provider_id=provider.id,
            credential_id=credential_id,
            document=body.decode(),
            cryptosuite=options.cryptosuite,
            verification_method=key.verification_method,
            issued_at=now,
            valid_until=period.valid_until,
        )
        idempotency = (
            None
            if idempotency_key is None
            else IdempotencyKey(
                provider_id=provider.id,
                key=idempotency_key,
                request_hash=fingerprint or "",
                credential_row_id=row.id,
                created_at=now,
            )
        )
        return _Signed(
            Issued(body, credential_id),
            row,
            idempotency,
            fingerprint,
            allocations,
            self.status,
            actor,
        )

    def _after_duplicate(self, provider: Provider, signed: _Signed, exc: DuplicateError) -> Issued:
        if signed.idempotency is not None:
            # A concurrent request with the same key won the race: answer with its result.
            with self.database.reading() as session:
                replay = self._replay(session, provider, signed.idempotency.key, signed.fingerprint)
            if replay is not None:
                return replay
        raise ConflictError(
            f"a credential with the id {signed.issued.credential_id!r} was issued already"
        ) from exc

    def _replay(
        self, session: Session, provider: Provider, idempotency_key: str, fingerprint: str | None
    ) -> Issued | None:
        previous = IdempotencyKeys(session).get(provider.id, idempotency_key)
        if previous is None:
            return None
        if previous.request_hash != fingerprint:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was used for a different request; "
                "use a new key for a new credential"
            )
        row = Credentials(session).by_row_id(provider.id, previous.credential_row_id)
        assert row is not None  # a foreign key guarantees it
        return Issued(row.document.encode(), row.credential_id, replayed=True)

    def _checked_and_completed(
        self, provider: Provider, credential: Any, options: IssueOptions
    ) -> tuple[dict[str, Any], ValidityPeriod]:
        if not isinstance(credential, Mapping):
            raise DataModelError("credential must be a JSON object")
        if "issuer" in credential:
            given = issuer_id(credential)
            if given is None or not is_url(given):
                raise DataModelError("issuer must be a URL or an object whose id is a URL")
            if given != provider.did:
                raise IssuerMismatchError(
                    f"the credential's issuer {given!r} is not this provider's DID {provider.did!r}"
                )
        if "proof" in credential:
            raise DataModelError("the credential to issue must not carry a proof already")
        document = complete_credential(
            with_data_integrity_context(credential), issuer=provider.did, now=self.clock()
        )
        period = check_credential(document).period
        return document, period

    def get(self, provider: Provider, credential_id: str) -> bytes | None:
        with self.database.reading() as session:
            row = Credentials(session).get(provider.id, credential_id)
        return None if row is None else row.document.encode()
