"""A signing key reported compromised: what it signed is revoked, and verifiers are told.

The operator reports a key compromised as of a time (or entirely). In one transaction:
every credential this service recorded as signed with it from that time on (by the
server's own issuance time, not the proof's ``created``, which the signer chooses) is
revoked through its Bitstring Status List entry; the key is marked, so it signs nothing
more (a provider whose current key it was gets a new one at once) and leaves the
verification relationships of its did:web document; the audit trail records the report
and each revocation.

A leaked key can sign anything with any date, so a verifier elsewhere, which reads the
did:web document, refuses every proof the key made from then on. This service, which
holds the record of what it issued, keeps confirming the credentials it recorded as
issued with that key *before* the compromise time (the same proof, byte for byte), and
reports anything else the key signed as revoked: "signed with a key reported compromised".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.proofs import Problem
from skillcred.core.values import as_list
from skillcred.errors import NotFoundError, RequestError
from skillcred.services import audit
from skillcred.services.es256_keys import make_provider_key
from skillcred.services.providers import CACHE_TTL_SECONDS, ProviderService, aware, iso
from skillcred.services.status import StatusService
from skillcred.storage.db import Database
from skillcred.storage.es256 import Es256Keys
from skillcred.storage.models import Es256Key, Provider, SigningKey
from skillcred.storage.repositories import Credentials, SigningKeys, StatusLists

KEY_COMPROMISED = "KEY_COMPROMISED"


@dataclass(frozen=True, slots=True)
class Affected:
    credential_id: str
    issued_at: datetime
    revoked: bool
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "credentialId": self.credential_id,
            "issuedAt": iso(self.issued_at),
            "revoked": self.revoked,
            "changed": self.changed,
        }


@dataclass(frozen=True, slots=True)
class CompromiseReport:
    verification_method: str
    since: datetime | None
    credentials: list[Affected]
    new_verification_method: str | None

    @property
    def revoked(self) -> int:
        return sum(1 for c in self.credentials if c.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "verificationMethod": self.verification_method,
            "since": iso(self.since),
            "revoked": self.revoked,
            "credentials": [c.to_json() for c in self.credentials],
            "newVerificationMethod": self.new_verification_method,
        }


def find_key(session: Session, provider: Provider, key_id: str) -> SigningKey:
    """A provider's key by the fragment of its verification method (``z6Mk…``) or the
    whole verification method."""
    for key in SigningKeys(session).all_for(provider.id):
        if key_id in (key.verification_method, key.verification_method.partition("#")[2]):
            return key
    raise NotFoundError(f"provider {provider.slug!r} has no signing key {key_id!r}")


def report_compromise(
    providers: ProviderService,
    status: StatusService,
    provider: Provider,
    key_id: str,
    *,
    since: datetime | None,
    actor: str,
    reason: str | None = None,
) -> CompromiseReport:
    """In the providers' unit of work (:meth:`AppContext.provider_work`): one transaction."""
    session = providers.session
    now = utc_now()
    if since is not None:
        if since.tzinfo is None:
            raise RequestError("since must be a date-time with a time zone (e.g. ...Z)")
        if since > now:
            raise RequestError(
                f"since ({iso(since)}) lies in the future; a key is reported "
                "compromised as of a time that has come"
            )
    es256 = next((k for k in Es256Keys(session).all_for(provider.id) if k.kid == key_id), None)
    if es256 is not None:
        return _es256_compromised(providers, provider, es256, since, now, actor, reason)
    key = find_key(session, provider, key_id)
    if key.compromised_at is not None:
        # Reported again: the wider of the two reports holds (None is everything).
        earlier = key.compromised_since
        if earlier is None or (since is not None and aware(earlier) <= since):
            since = None if earlier is None else aware(earlier)
    key.compromised_at = key.compromised_at or now
    key.compromised_since = since
    was_current = key.retired_at is None
    session.flush()
    new_key = None
    if was_current:
        # It signs nothing more: the provider gets a new key now (did:key: a new DID).
        new_key = providers.rotate_key(
            provider, actor=actor, reason="the previous signing key was reported compromised"
        )
    # Lists it signed are signed again, by a key not reported, when next served.
    StatusLists(session).invalidate_signatures(provider.id)
    signed = Credentials(session).signed_with(provider.id, key.verification_method, since=since)
    outcome = status.revoke_many(
        session,
        provider,
        [(row_id, credential_id) for row_id, credential_id, _ in signed],
        reason=reason or "signed with a key reported compromised",
        actor=actor,
        data={"keyCompromised": key.verification_method},
    )
    affected = [
        Affected(credential_id, issued_at, *outcome[credential_id])
        for _, credential_id, issued_at in signed
    ]
    report = CompromiseReport(
        key.verification_method,
        since,
        affected,
        new_key.verification_method if new_key is not None else None,
    )
    audit.record(
        session,
        actor=actor,
        action="key.compromised",
        provider_id=provider.id,
        subject=key.verification_method,
        reason=reason,
        data={
            "since": report.to_json()["since"],
            "credentialsAffected": len(affected),
            "revoked": report.revoked,
            "withoutRevocationEntry": [c.credential_id for c in affected if not c.revoked],
            "newVerificationMethod": report.new_verification_method,
        },
        at=now,
    )
    return report


def _es256_compromised(
    providers: ProviderService,
    provider: Provider,
    key: Es256Key,
    since: datetime | None,
    now: datetime,
    actor: str,
    reason: str | None,
) -> CompromiseReport:
    """A provider's ES256 (SD-JWT VC) key reported compromised, named by its ``kid``: it
    leaves the issuer metadata, signs nothing more (a new key is made when it was the
    current one), and every SD-JWT VC it signed verifies as revoked here. This service
    keeps no record of the twins it signed, so none is confirmed whatever ``since`` says;
    holders get new twins from the (unaffected) Data Integrity credentials."""
    session = providers.session
    if key.compromised_at is not None and key.compromised_since is None:
        since = None
    key.compromised_at = key.compromised_at or now
    key.compromised_since = since
    new_kid = None
    if key.retired_at is None:
        new = make_provider_key(
            session,
            providers.keystore,
            provider,
            base_url=providers.base_url,
            actor=actor,
            record=False,
        )
        new_kid = new.kid
    session.flush()
    report = CompromiseReport(key.kid, since, [], new_kid)
    audit.record(
        session,
        actor=actor,
        action="key.compromised",
        provider_id=provider.id,
        subject=key.kid,
        reason=reason,
        data={"es256Kid": key.kid, "since": iso(since), "newKid": new_kid},
        at=now,
    )
    return report


@dataclass(frozen=True, slots=True)
class _Report:
    provider_id: str
    reported_at: datetime
    since: datetime | None


@dataclass
class KeyReports:
    """The verifier's view of keys this service's providers reported compromised
    (``core.verifying.KeyStatusChecker``). The list is re-read at most every
    ``ttl`` seconds per worker, so a report reaches every verifier within that bound."""

    database: Database
    ttl: float = CACHE_TTL_SECONDS
    _reports: dict[str, _Report] = field(default_factory=dict)
    _read_at: float = -1e9
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _current(self) -> dict[str, _Report]:
        if time.monotonic() - self._read_at < self.ttl:
            return self._reports
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                with self.database.reading() as session:
                    self._reports = {
                        key.verification_method: _Report(
                            key.provider_id,
                            aware(key.compromised_at),
                            None if key.compromised_since is None else aware(key.compromised_since),
                        )
                        for key in SigningKeys(session).compromised()
                        if key.compromised_at is not None
                    }
                self._read_at = time.monotonic()
        return self._reports

    def check(self, verification_method: str, credential: Mapping[str, Any]) -> Problem | None:
        report = self._current().get(verification_method)
        if report is None:
            return None
        if report.since is not None and self._issued_before(
            report, verification_method, credential
        ):
            return None
        reported = format_date_time(report.reported_at)
        scope = (
            "everything it signed"
            if report.since is None
            else f"what it signed from {iso(report.since)} on"
        )
        return Problem(
            KEY_COMPROMISED,
            "Signed with a compromised key",
            f"signed with a key reported compromised ({verification_method}): its "
            f"controller reported it on {reported} and revoked {scope}",
        )

    def _issued_before(
        self, report: _Report, verification_method: str, credential: Mapping[str, Any]
    ) -> bool:
        """Whether this is, proof for proof, a credential recorded as issued with the key
        before the compromise time."""
        assert report.since is not None
        credential_id = credential.get("id")
        if not isinstance(credential_id, str):
            return False
        with self.database.reading() as session:
            row = Credentials(session).get(report.provider_id, credential_id)
            if row is None or row.verification_method != verification_method:
                return False
            if aware(row.issued_at) >= report.since:
                return False
            stored = _proof_values(_loads(row.document), verification_method)
        presented = _proof_values(credential, verification_method)
        return bool(presented) and presented == stored


def _loads(document: str) -> Mapping[str, Any]:
    loaded = orjson.loads(document)
    return loaded if isinstance(loaded, Mapping) else {}


def _proof_values(document: Mapping[str, Any], verification_method: str) -> set[str]:
    return {
        str(proof.get("proofValue"))
        for proof in as_list(document.get("proof"))
        if isinstance(proof, Mapping) and proof.get("verificationMethod") == verification_method
    }
