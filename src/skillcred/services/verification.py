"""Verification as this service does it: the core verifier, wired to this service's
status lists and DIDs (read from the database), other parties' status lists and did:web
documents (fetched with the guarded fetcher, cached), and issuer trust.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from skillcred.core.datamodel import Credential, StatusReference, issuer_id
from skillcred.core.datetimes import utc_now
from skillcred.core.dids.resolver import MethodResolver
from skillcred.core.dids.web import WebDidResolver
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.proofs import Problem
from skillcred.core.status_list import ENTRY_TYPE, ENTRY_TYPES, read_status
from skillcred.core.verifying import (
    KeyStatusChecker,
    Limits,
    StatusOutcome,
    VerificationResult,
    Verifier,
)
from skillcred.errors import (
    DidNotResolvedError,
    RemoteFetchError,
    SkillcredError,
    StatusListError,
)
from skillcred.services import metrics
from skillcred.services.remote import GuardedFetcher, TtlCache, fetch_budget
from skillcred.services.status import REVOCATION, SUSPENSION, StatusService

DID_CACHE_SECONDS = 300.0


@dataclass
class ServiceStatusChecker:
    """Bitstring Status List checks (BSL v1.0 §3.2), failing closed with the reason."""

    status: StatusService | None
    fetcher: GuardedFetcher | None
    list_verifier: Callable[[Mapping[str, Any]], Any]
    default_ttl_seconds: float = 300.0
    cache: TtlCache = field(default_factory=TtlCache)

    def status_of(self, credential: Credential, status: StatusReference) -> StatusOutcome:
        purpose = status.purpose
        if status.unreadable == "unsupported":
            return self._failed(
                purpose,
                "UNSUPPORTED_STATUS_TYPE",
                "Status type not supported",
                f"the status entry's type {status.type!r} is not one this verifier reads "
                f"({', '.join(sorted(ENTRY_TYPES))}), so whether it is revoked is unknown",
            )
        parsed = status.entry
        if parsed is None:
            return self._failed(
                purpose, "STATUS_VERIFICATION_ERROR", "Malformed status entry", status.detail
            )
        details: dict[str, Any] = {
            "statusListCredential": parsed.list_url,
            "statusListIndex": parsed.index,
        }
        try:
            local = (
                self.status.local_value(parsed)
                if self.status is not None and parsed.type == ENTRY_TYPE
                else None
            )
            if local is not None:
                value, status_list = local
                if status_list.purpose != parsed.purpose:
                    raise StatusListError(
                        f"the status list {parsed.list_url} is for {status_list.purpose}, "
                        f"not {parsed.purpose}"
                    )
                if status_list.issuer != credential.issuer:
                    raise StatusListError(
                        f"the status list {parsed.list_url} belongs to another issuer"
                    )
                details["source"] = "local"
            else:
                document = self._remote_list(parsed.list_url)
                if issuer_id(document) != credential.issuer:
                    raise StatusListError(
                        f"the status list {parsed.list_url} is issued by "
                        f"{issuer_id(document)!r}, not by the credential's issuer"
                    )
                found = read_status(document, parsed)
                value = found.value
                details["source"] = "remote"
        except StatusListError as exc:
            return self._failed(purpose, exc.code, exc.title, exc.detail, details)
        except RemoteFetchError as exc:
            return self._failed(
                purpose, "STATUS_RETRIEVAL_ERROR", "Status list unavailable", exc.detail, details
            )
        except SkillcredError as exc:
            return self._failed(purpose, "STATUS_RETRIEVAL_ERROR", exc.title, exc.detail, details)
        details["value"] = value
        meaning, flagged = (
            parsed.purpose,
            (bool(value) if parsed.purpose in (REVOCATION, SUSPENSION) else False),
        )
        if parsed.messages:
            message = parsed.messages.get(value)
            details["message"] = message
            # A multi-state entry (the skills profile's) that says revoked or suspended
            # is reported as such.
            if message in ("revoked", "suspended"):
                meaning, flagged = (REVOCATION if message == "revoked" else SUSPENSION), True
        if meaning == SUSPENSION and flagged and details["source"] == "local":
            # Our own list: the reason the provider gave ("pending re-assessment") tells
            # the verifier what a suspension means. Remote lists publish no reasons.
            assert self.status is not None  # a local value came from it
            reason = self.status.suspension_reason(parsed)
            if reason:
                details["statusReason"] = reason
        return StatusOutcome(meaning, flagged, None, details)

    def _remote_list(self, url: str) -> Mapping[str, Any]:
        cached = self.cache.get(url)
        if cached is not None:
            return dict(cached)
        if self.fetcher is None:
            raise RemoteFetchError(
                f"the status list {url} was not fetched (offline verification), so the "
                "status is unknown"
            )
        raw = self.fetcher.fetch(url, accept="application/vc+ld+json, application/json")
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise StatusListError(
                f"the status list {url} is not JSON", code="STATUS_RETRIEVAL_ERROR"
            ) from exc
        if not isinstance(document, dict):
            raise StatusListError(
                f"the status list {url} is not a JSON object", code="STATUS_RETRIEVAL_ERROR"
            )
        # A list's own id may differ from where it is served (lists copied to a mirror,
        # as DCC's test fixtures are); as for the reference verifiers, what binds it to
        # the credential is its issuer, type and purpose, checked below and in read_status.
        result = self.list_verifier(document)
        if not result.verified:
            reasons = "; ".join(p.detail for p in result.errors) or "it did not verify"
            raise StatusListError(f"the status list credential {url} is not valid: {reasons}")
        ttl = self.default_ttl_seconds
        subject = document.get("credentialSubject")
        if isinstance(subject, Mapping) and isinstance(subject.get("ttl"), int):
            ttl = min(ttl, subject["ttl"] / 1000)
        self.cache.put(url, document, ttl)
        return document

    @staticmethod
    def _failed(
        purpose: str, code: str, title: str, detail: str, details: Mapping[str, Any] | None = None
    ) -> StatusOutcome:
        return StatusOutcome(purpose, None, Problem(code, title, detail), dict(details or {}))


class CachedWebResolver:
    """did:web over the guarded fetcher, with this service's own did:web DIDs read locally."""

    def __init__(
        self,
        fetcher: GuardedFetcher | None,
        *,
        local: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        self._local = local
        self._cache = TtlCache()
        self._remote = (
            WebDidResolver(
                lambda url: fetcher.fetch(url, accept="application/did+json, application/json")
            )
            if fetcher is not None
            else None
        )

    def __call__(self, did: str) -> Mapping[str, Any]:
        if self._local is not None:
            document = self._local(did)
            if document is not None:
                return document
        cached = self._cache.get(did)
        if cached is not None:
            return dict(cached)
        if self._remote is None:
            raise DidNotResolvedError(
                f"{did} was not resolved: did:web needs the network (offline)"
            )
        document = self._remote(did)
        self._cache.put(did, document, DID_CACHE_SECONDS)
        return document


def build_verifier(
    *,
    loader: DocumentLoader,
    status: StatusService | None,
    fetcher: GuardedFetcher | None,
    local_did: Callable[[str], Mapping[str, Any] | None] | None = None,
    trust: Any = None,
    schemas: Any = None,
    status_ttl_seconds: float = 300.0,
    clock: Callable[[], datetime] = utc_now,
    limits: Limits | None = None,
    keys: KeyStatusChecker | None = None,
) -> Verifier:
    resolver = MethodResolver({"web": CachedWebResolver(fetcher, local=local_did)})
    list_verifier = Verifier(loader=loader, resolver=resolver, clock=clock)
    checker = ServiceStatusChecker(
        status,
        fetcher,
        # A status list credential is verified for its proof and dates, not its own status.
        lambda document: list_verifier.verify_credential(document, checks={"validityPeriod"}),
        status_ttl_seconds,
    )
    return Verifier(
        loader=loader,
        resolver=resolver,
        status=checker,
        keys=keys,
        trust=trust,
        schemas=schemas,
        clock=clock,
        limits=limits or Limits(),
    )


@dataclass(frozen=True, slots=True)
class BudgetedVerifier:
    """The verifier with each call's remote lookups (did:web documents, status lists,
    schemas) sharing one budget: a deadline for all of them and a number of fetches.
    What does not fit is *cannot check*, and the call returns within the deadline."""

    verifier: Verifier
    seconds: float
    fetches: int

    def verify_credential(self, credential: Any, **options: Any) -> VerificationResult:
        with fetch_budget(self.seconds, self.fetches):
            result = self.verifier.verify_credential(credential, **options)
        metrics.VERIFIED.labels("credential", result.verdict).inc()
        return result

    def verify_presentation(self, presentation: Any, **options: Any) -> VerificationResult:
        with fetch_budget(self.seconds, self.fetches):
            result = self.verifier.verify_presentation(presentation, **options)
        metrics.VERIFIED.labels("presentation", result.verdict).inc()
        return result
