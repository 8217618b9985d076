"""Verify a credential or a presentation -> a structured result. Never raises on bad input.

Every check reports an outcome (``passed``, ``failed``, ``not-performed``, ``skipped``)
and, where it did not pass, RFC 9457 problem details. ``verified`` is true only when
every required check *passed*: a check that could not run (a status list that could not
be fetched, a schema that is unknown, verification offline) fails closed.

Issuer trust is not part of ``verified``: a genuine, valid credential from an unknown
issuer is verified and reported untrusted beside it (see ``TrustResolver``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from skillcred.core.datamodel import (
    Credential,
    StatusReference,
    ValidityPeriod,
    check_credential,
    check_presentation,
    holder_id,
    issuer_id,
)
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.dids.resolver import DidResolver, did_key_only
from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.core.proofs import (
    AssertionProofPurpose,
    AuthenticationProofPurpose,
    ControllerProofPurpose,
    Problem,
    ProofResult,
    verify_proofs,
)
from skillcred.core.values import as_list, nested_deeper_than
from skillcred.errors import DataModelError, LimitExceededError, RequestError

Outcome = Literal["passed", "failed", "not-performed", "skipped"]

#: the answer in one word (DESIGN: one vocabulary for JSON, CLI, HTTP and the page)
Verdict = Literal[
    "valid",
    "revoked",
    "suspended",
    "expired",
    "not-yet-valid",
    "not-genuine",
    "cannot-check",
    "untrusted-issuer",
    "invalid",
]
#: worst first: a passport's verdict is the worst of its own and its credentials'
VERDICT_SEVERITY: tuple[Verdict, ...] = (
    "not-genuine",
    "invalid",
    "revoked",
    "suspended",
    "expired",
    "not-yet-valid",
    "cannot-check",
    "untrusted-issuer",
    "valid",
)

#: a schema problem that means "could not validate", not "does not validate"
SCHEMA_NOT_CHECKED_CODES = frozenset(
    {"SCHEMA_NOT_CHECKED", "SCHEMA_UNAVAILABLE", "SCHEMA_TYPE_UNSUPPORTED"}
)
#: checks reported beside ``verified``, never part of it: trust in the issuer, whether the
#: presenter is the holder, and whether the credential matches the JSON Schemas it names
#: (as the reference verifiers report them: a genuine credential whose shape departs from
#: a schema is still genuine and valid, with a warning)
INFORMATIONAL_CHECKS = ("issuerTrust", "holderBinding", "credentialSchema")
#: checks made only when a presentation answers this verifier's own request (holder
#: binding required): on the presentation, that its holder signed for that request; on
#: each credential, that it is about that holder
PRESENTED_BY_HOLDER = "presentedByHolder"
SUBJECT_IS_HOLDER = "subjectIsHolder"
#: nesting deeper than this is refused as unusable input (no credential comes near it;
#: JSON-LD processing recurses over the document)
MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one verification does at most: a document past these is not processed
    (each proof, status entry and credential costs canonicalization, a signature check,
    perhaps a remote fetch; no genuine credential comes near them)."""

    max_depth: int = MAX_DEPTH
    max_proofs: int = 8
    max_status_entries: int = 8
    max_credentials: int = 100

    def enforce(self, document: Any, kind: Literal["credential", "presentation"]) -> None:
        """Raises LimitExceededError naming the limit a document exceeds."""
        if nested_deeper_than(document, self.max_depth):
            raise LimitExceededError(
                f"the {kind} is nested more than {self.max_depth} levels deep; no credential "
                "is, so it is not processed"
            )
        if not isinstance(document, Mapping):
            return
        documents = [document]
        if kind == "presentation":
            credentials = as_list(document.get("verifiableCredential"))
            if len(credentials) > self.max_credentials:
                raise LimitExceededError(
                    f"the presentation holds {len(credentials)} credentials; at most "
                    f"{self.max_credentials} are verified in one request"
                )
            documents += [c for c in credentials if isinstance(c, Mapping)]
        for item in documents:
            if len(as_list(item.get("proof"))) > self.max_proofs:
                raise LimitExceededError(
                    f"a document has {len(as_list(item.get('proof')))} proofs; at most "
                    f"{self.max_proofs} are verified per document"
                )
            entries = as_list(item.get("credentialStatus"))
            if len(entries) > self.max_status_entries:
                raise LimitExceededError(
                    f"a credential has {len(entries)} status entries; at most "
                    f"{self.max_status_entries} are checked per credential"
                )


class Check(StrEnum):
    """The checks a caller may select (``checks=``); the proof and the data model are
    always checked, whatever is selected."""

    PROOF = "proof"
    VALIDITY_PERIOD = "validityPeriod"
    STATUS = "status"
    CREDENTIAL_SCHEMA = "credentialSchema"


#: the names other tools send for the same checks (VC-API clients, the reference)
CHECK_ALIASES: Mapping[str, Check] = {
    "expiration": Check.VALIDITY_PERIOD,
    "validFrom": Check.VALIDITY_PERIOD,
    "validUntil": Check.VALIDITY_PERIOD,
    "credentialStatus": Check.STATUS,
    "schema": Check.CREDENTIAL_SCHEMA,
}


def parse_checks(names: Collection[str] | None) -> frozenset[Check] | None:
    """The checks named (None: all). An unknown name is refused, never skipped: a check
    the caller believes ran must not pass by being ignored."""
    if names is None:
        return None
    if isinstance(names, str):
        raise RequestError("checks must be a collection of check names, not one string")
    selected: set[Check] = set()
    for name in names:
        check = CHECK_ALIASES.get(name) if isinstance(name, str) else None
        if check is None:
            try:
                check = Check(name)
            except ValueError:
                known = sorted([*(c.value for c in Check), *CHECK_ALIASES])
                raise RequestError(
                    f"unknown check {name!r}; known checks: {', '.join(known)}"
                ) from None
        selected.add(check)
    return frozenset(selected)


@dataclass(slots=True)
class CheckResult:
    check: str
    outcome: Outcome
    problems: list[Problem] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check, "outcome": self.outcome}
        if self.details:
            data.update(self.details)
        if self.problems:
            data["problems"] = [p.to_json() for p in self.problems]
        return data


@dataclass(frozen=True, slots=True)
class StatusOutcome:
    """What one status entry says (Bitstring Status List §3.2 validate algorithm)."""

    purpose: str
    #: True when the bit (or message) marks the credential revoked / suspended / flagged
    flagged: bool | None
    #: when the status could not be checked: why (then ``flagged`` is None)
    problem: Problem | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class StatusChecker(Protocol):
    def status_of(self, credential: Credential, status: StatusReference) -> StatusOutcome: ...


class KeyStatusChecker(Protocol):
    """Whether the key that made a proof is reported compromised by its controller, for
    this credential: a Problem (code ``KEY_COMPROMISED``) when the credential is not to be
    relied on for that reason, None otherwise. A verifier that knows of no key reports
    (the default) checks nothing here."""

    def check(self, verification_method: str, credential: Mapping[str, Any]) -> Problem | None: ...


class SchemaChecker(Protocol):
    def validate(
        self, credential: Mapping[str, Any], schema_entry: Mapping[str, Any]
    ) -> list[Problem]:
        """Problems found validating the credential against the schema (empty: valid)."""
        ...


#: on what a trusted issuer is trusted: a provider registered here (under its current DID,
#: or one of its earlier ones), or an entry on the operator's trust list
TrustBasis = Literal["registered", "registered-earlier-key", "trust-list"]


@dataclass(frozen=True, slots=True)
class TrustAnswer:
    trusted: bool
    name: str | None = None
    #: the same in words, for people reading the JSON
    source: str | None = None
    basis: TrustBasis | None = None
    #: the trust list's own name, when the basis is a trust list that has one
    trust_list: str | None = None


class TrustResolver(Protocol):
    def lookup(self, issuer: str) -> TrustAnswer: ...


@dataclass(slots=True)
class VerificationResult:
    verified: bool
    kind: Literal["credential", "presentation"]
    checks: list[CheckResult]
    proofs: list[ProofResult] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    credentials: list[VerificationResult] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        problems: list[Problem] = []
        for check in self.checks:
            if (
                check.outcome in ("failed", "not-performed")
                and check.check not in INFORMATIONAL_CHECKS
            ):
                problems.extend(check.problems)
        return problems

    def find_check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.check == name), None)

    @property
    def verdict(self) -> Verdict:
        return self.judgement[0]

    @property
    def judgement(self) -> tuple[Verdict, str | None]:
        """The verdict, and why when it is not *valid*."""
        if self.kind == "presentation":
            return _presentation_verdict(self)
        return _credential_verdict(self)

    def to_json(self) -> dict[str, Any]:
        verdict, reason = self.judgement
        data: dict[str, Any] = {
            "verified": self.verified,
            "verdict": verdict,
            "kind": self.kind,
            "checks": [c.to_json() for c in self.checks],
            "proofs": [p.to_json() for p in self.proofs],
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }
        if reason is not None:
            data["verdictReason"] = reason
        cannot_check = self.not_checked
        if cannot_check:
            data["notChecked"] = cannot_check
        if self.summary:
            data["summary"] = self.summary
        if self.kind == "presentation":
            data["credentialResults"] = [c.to_json() for c in self.credentials]
        return data

    @property
    def not_checked(self) -> list[dict[str, str]]:
        """What could not be checked and why (what makes the verdict *cannot check*)."""
        items: list[dict[str, str]] = []
        for check in self.checks:
            if check.check in INFORMATIONAL_CHECKS:
                continue
            if check.outcome == "not-performed" or _skipped_on_request(check):
                reasons = [p.detail for p in check.problems] or [
                    str(check.details.get("reason", "not checked"))
                ]
                items.extend({"check": check.check, "reason": r} for r in reasons)
        return items


def _skipped_on_request(check: CheckResult) -> bool:
    return check.outcome == "skipped" and check.details.get("reason") == "not requested"


def _first_detail(check: CheckResult) -> str | None:
    return check.problems[0].detail if check.problems else None


def _credential_verdict(result: VerificationResult) -> tuple[Verdict, str | None]:
    """Genuineness first, then whether to rely on it now, then what could not be checked;
    trust in the issuer last (DESIGN: Verdicts)."""
    checks = {c.check: c for c in result.checks}
    data_model = checks.get("dataModel")
    proof = checks.get("proof")
    if data_model is not None and data_model.outcome == "failed":
        return "invalid", _first_detail(data_model)
    if proof is not None and proof.outcome == "failed":
        problems = [q for p in result.proofs if p.outcome == "failed" for q in p.problems]
        detail = problems[0].detail if problems else _first_detail(proof)
        if problems and all(q.code == "PROOF_TRANSFORMATION_ERROR" for q in problems):
            # The document cannot be read as the JSON-LD it says it is (an undefined
            # term, say): malformed as issued, which is no evidence of forgery.
            return "invalid", detail
        return "not-genuine", detail
    genuine = proof is not None and proof.outcome == "passed"
    key_status = checks.get("keyStatus")
    if genuine and key_status is not None and key_status.outcome == "failed":
        # Revoked by the key's controller, through the key: "signed with a key reported
        # compromised" is the reason, whatever its status entry says.
        return "revoked", _first_detail(key_status)
    status = checks.get("status")
    if genuine and status is not None and status.outcome == "failed":
        codes = [p.code for p in status.problems]
        if "CREDENTIAL_REVOKED" in codes:
            return "revoked", None
        return "suspended", None
    validity = checks.get("validityPeriod")
    if validity is not None and validity.outcome == "failed":
        # Outside its dates it is not to be relied on, whatever else could not be checked.
        expired = validity.details.get("reason") == "expired"
        return ("expired" if expired else "not-yet-valid"), _first_detail(validity)
    if not genuine:
        return "cannot-check", (_first_detail(proof) if proof is not None else None)
    for check in result.checks:
        if check.check not in INFORMATIONAL_CHECKS and check.outcome == "failed":
            return "invalid", _first_detail(check)
    unchecked = result.not_checked
    if unchecked:
        return "cannot-check", "; ".join(item["reason"] for item in unchecked)
    trust = checks.get("issuerTrust")
    if trust is not None and trust.details.get("trusted") is False:
        return "untrusted-issuer", None
    return "valid", None


def _presentation_verdict(result: VerificationResult) -> tuple[Verdict, str | None]:
    """The presentation's own (its data model, the holder's proof), then the worst of its
    credentials'."""
    checks = {c.check: c for c in result.checks}
    data_model = checks.get("dataModel")
    if data_model is not None and data_model.outcome == "failed":
        return "invalid", _first_detail(data_model)
    holder_proof = checks.get("holderProof")
    if holder_proof is not None and holder_proof.outcome == "failed":
        return "not-genuine", _first_detail(holder_proof)
    if holder_proof is not None and holder_proof.outcome == "not-performed":
        return "cannot-check", _first_detail(holder_proof)
    worst: tuple[Verdict, str | None] = ("valid", None)
    presented = checks.get(PRESENTED_BY_HOLDER)
    if presented is not None and presented.outcome == "failed":
        # Asked for with a challenge, answered without proof that the holder presents
        # their own credentials now: not to be relied on as theirs.
        worst = ("invalid", _first_detail(presented))
    for index, credential in enumerate(result.credentials):
        verdict, reason = credential.judgement
        if VERDICT_SEVERITY.index(verdict) < VERDICT_SEVERITY.index(worst[0]):
            worst = (verdict, f"verifiableCredential[{index}]: {reason or verdict}")
    return worst


@dataclass(frozen=True, slots=True, kw_only=True)
class Verifier:
    """What verification needs from outside the core, injected.

    The defaults verify offline: shipped contexts only, did:key only, no status lists
    (a credential with a status entry is then *cannot check*, its status 'not-performed').
    Nothing a document holds makes it raise: an unusable document is answered *invalid*.
    ``checks`` naming an unknown check raises RequestError (a caller's mistake).
    """

    loader: DocumentLoader = field(default_factory=default_loader)
    resolver: DidResolver = field(default_factory=did_key_only)
    status: StatusChecker | None = None
    keys: KeyStatusChecker | None = None
    schemas: SchemaChecker | None = None
    trust: TrustResolver | None = None
    clock: Callable[[], datetime] = utc_now
    limits: Limits = field(default_factory=Limits)

    def verify_credential(
        self,
        credential: Any,
        *,
        checks: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> VerificationResult:
        selected = parse_checks(checks)
        moment = now or self.clock()
        return _guarded(
            "credential",
            credential,
            self.limits,
            lambda: _verify_credential(self, credential, checks=selected, now=moment),
        )

    def verify_presentation(
        self,
        presentation: Any,
        *,
        challenge: str | None = None,
        domain: str | None = None,
        unsigned_allowed: bool = False,
        holder_binding_required: bool = False,
        checks: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> VerificationResult:
        """``holder_binding_required``: the presentation answers this verifier's own request
        (a presentation request with a fresh challenge), so it verifies only when its holder
        signed it for that challenge and every credential in it is about that holder."""
        selected = parse_checks(checks)
        moment = now or self.clock()
        return _guarded(
            "presentation",
            presentation,
            self.limits,
            lambda: _verify_presentation(
                self,
                presentation,
                challenge=challenge,
                domain=domain,
                unsigned_allowed=unsigned_allowed,
                holder_binding_required=holder_binding_required,
                checks=selected,
                now=moment,
            ),
        )


def _guarded(
    kind: Literal["credential", "presentation"],
    document: Any,
    limits: Limits,
    verify: Callable[[], VerificationResult],
) -> VerificationResult:
    """Refuse a document past the limits (deep nesting first, before any processing
    recurses over it); whatever else goes wrong inside is answered, never raised (fail
    closed)."""
    try:
        limits.enforce(document, kind)
    except LimitExceededError as exc:
        return VerificationResult(
            False, kind, [_failed("dataModel", exc.code, "Not processed", exc.detail)]
        )
    try:
        return verify()
    except RecursionError:
        return _unusable(kind, f"the {kind} is too deeply nested to be processed")
    except UnicodeError:
        return _unusable(
            kind, f"the {kind} holds text that is not valid Unicode (a lone surrogate)"
        )
    except Exception as exc:  # fail closed: whatever we could not process is not valid
        return VerificationResult(
            False,
            kind,
            [
                CheckResult(
                    "dataModel",
                    "not-performed",
                    [
                        Problem(
                            "VERIFIER_ERROR",
                            "Not processed",
                            f"the verifier could not process this {kind} "
                            f"({type(exc).__name__}: {exc}); nothing about it is confirmed",
                        )
                    ],
                )
            ],
        )


def _unusable(kind: Literal["credential", "presentation"], detail: str) -> VerificationResult:
    return VerificationResult(
        False, kind, [_failed("dataModel", "PARSING_ERROR", "Unusable input", detail)]
    )


def _failed(check: str, code: str, title: str, detail: str, **details: Any) -> CheckResult:
    return CheckResult(check, "failed", [Problem(code, title, detail)], dict(details))


def _proof_check(
    verifier: Verifier,
    document: Mapping[str, Any],
    *,
    purpose: ControllerProofPurpose,
    now: datetime,
) -> tuple[CheckResult, list[ProofResult]]:
    """Every proof must pass (a proof set is as strong as its weakest proof, each made by
    a key of the issuer/holder); one that fails makes the document not genuine, one that
    could not be checked (and none failed) leaves it unchecked."""
    results = verify_proofs(
        document, purpose=purpose, resolver=verifier.resolver, loader=verifier.loader, now=now
    )
    if not results:
        return (
            _failed(
                "proof",
                "PROOF_VERIFICATION_ERROR",
                "No proof",
                "the document has no proof, so nothing shows it is genuine",
            ),
            results,
        )
    problems = [p for r in results for p in r.problems]
    outcomes = {r.outcome for r in results}
    outcome: Outcome = (
        "failed"
        if "failed" in outcomes
        else "not-performed"
        if "not-performed" in outcomes
        else "passed"
    )
    return CheckResult("proof", outcome, problems, {"proofCount": len(results)}), results


def _key_status_check(
    keys: KeyStatusChecker, credential: Mapping[str, Any], proofs: Sequence[ProofResult]
) -> CheckResult | None:
    """A failed ``keyStatus`` check when a proof's key is reported compromised for this
    credential (the check appears only then: most verifiers know of no such report)."""
    problems = [
        problem
        for proof in proofs
        if proof.verification_method is not None
        for problem in [keys.check(proof.verification_method, credential)]
        if problem is not None
    ]
    if not problems:
        return None
    return CheckResult("keyStatus", "failed", problems)


def _validity_check(period: ValidityPeriod, now: datetime) -> CheckResult:
    details: dict[str, Any] = {"checkedAt": format_date_time(now)}
    if period.valid_from is not None:
        details["validFrom"] = format_date_time(period.valid_from)
    if period.valid_until is not None:
        details["validUntil"] = format_date_time(period.valid_until)
    if period.valid_from is not None and now < period.valid_from:
        return _failed(
            "validityPeriod",
            "RANGE_ERROR",
            "Not yet valid",
            f"the credential is valid from {details['validFrom']}, after the time of checking",
            reason="not-yet-valid",
            **details,
        )
    if period.valid_until is not None and now > period.valid_until:
        return _failed(
            "validityPeriod",
            "RANGE_ERROR",
            "Expired",
            f"the credential expired at {details['validUntil']}",
            reason="expired",
            **details,
        )
    return CheckResult("validityPeriod", "passed", details=details)


def _status_check(verifier: Verifier, credential: Credential) -> CheckResult:
    if not credential.statuses:
        return CheckResult(
            "status", "skipped", details={"statuses": [], "reason": "no status entry"}
        )
    if verifier.status is None:
        return CheckResult(
            "status",
            "not-performed",
            [
                Problem(
                    "STATUS_RETRIEVAL_ERROR",
                    "Status not checked",
                    "the credential has a status entry, but its status list was not consulted "
                    "(offline verification), so revocation cannot be ruled out",
                )
            ],
        )
    statuses: list[dict[str, Any]] = []
    problems: list[Problem] = []
    not_performed = False
    revoked_or_suspended = False
    for status in credential.statuses:
        outcome = verifier.status.status_of(credential, status)
        item: dict[str, Any] = {"purpose": outcome.purpose, **outcome.details}
        if outcome.problem is not None:
            not_performed = True
            problems.append(outcome.problem)
            item["checked"] = False
        else:
            item["checked"] = True
            item["set"] = outcome.flagged
            if outcome.flagged and outcome.purpose in ("revocation", "suspension"):
                revoked_or_suspended = True
                word = "revoked" if outcome.purpose == "revocation" else "suspended"
                problems.append(
                    Problem(
                        "CREDENTIAL_" + word.upper(),
                        f"Credential {word}",
                        f"the issuer has {word} this credential",
                    )
                )
        statuses.append(item)
    details = {"statuses": statuses}
    if revoked_or_suspended:
        return CheckResult("status", "failed", problems, details)
    if not_performed:
        return CheckResult("status", "not-performed", problems, details)
    return CheckResult("status", "passed", problems, details)


def _schema_check(verifier: Verifier, credential: Credential) -> CheckResult:
    entries = credential.schemas
    if not entries:
        return CheckResult(
            "credentialSchema", "skipped", details={"schemas": [], "reason": "no credentialSchema"}
        )
    if verifier.schemas is None:
        return CheckResult(
            "credentialSchema",
            "not-performed",
            [
                Problem(
                    "SCHEMA_NOT_CHECKED",
                    "Schema not checked",
                    "the credential names a credentialSchema, but no schema validation was done",
                )
            ],
        )
    problems: list[Problem] = []
    for entry in entries:
        problems.extend(verifier.schemas.validate(credential.document, entry))
    # A schema that could not be had (or of a kind not checked here) is no failed validation.
    unavailable = [p for p in problems if p.code in SCHEMA_NOT_CHECKED_CODES]
    outcome: Outcome = (
        "failed" if len(unavailable) < len(problems) else "not-performed" if problems else "passed"
    )
    return CheckResult(
        "credentialSchema", outcome, problems, {"schemas": [e.get("id") for e in entries]}
    )


def _trust_check(
    verifier: Verifier, issuer: str, *, genuine: bool
) -> tuple[CheckResult, list[Problem]]:
    """Whether the issuer is one we know. Asked only of a credential whose proofs hold:
    anyone can *name* a known issuer; never report trusted what the issuer did not sign."""
    if not genuine:
        reason = "the issuer's proof did not verify, so the issuer named is not vouched for"
        return CheckResult(
            "issuerTrust", "skipped", details={"issuer": issuer, "reason": reason}
        ), []
    if verifier.trust is None:
        return CheckResult("issuerTrust", "not-performed", details={"issuer": issuer}), []
    answer = verifier.trust.lookup(issuer)
    details = {"issuer": issuer, "trusted": answer.trusted}
    if answer.name:
        details["issuerName"] = answer.name
    if answer.source:
        details["source"] = answer.source
    if answer.basis:
        details["basis"] = answer.basis
    if answer.trust_list:
        details["trustList"] = answer.trust_list
    if answer.trusted:
        return CheckResult("issuerTrust", "passed", details=details), []
    warning = Problem(
        "UNTRUSTED_ISSUER",
        "Untrusted issuer",
        f"the issuer {issuer} is neither a provider registered here nor on the trust list",
    )
    return CheckResult("issuerTrust", "failed", [warning], details), [warning]


def _verify_credential(
    verifier: Verifier,
    credential: Any,
    *,
    checks: frozenset[Check] | None,
    now: datetime,
) -> VerificationResult:
    read: Credential | None
    try:
        read = check_credential(credential, issuing=False)
        data_model = CheckResult("dataModel", "passed")
    except DataModelError as exc:
        read = None
        data_model = _failed("dataModel", exc.code, exc.title, exc.detail)
    if not isinstance(credential, Mapping):
        return VerificationResult(False, "credential", [data_model])
    # The proof is always checked, even of a credential whose data model is wrong:
    # nothing else means anything without it.
    proof_result, proofs = _proof_check(
        verifier,
        credential,
        purpose=AssertionProofPurpose(
            controller=read.issuer if read is not None else issuer_id(credential)
        ),
        now=now,
    )
    results = [proof_result, data_model]
    if verifier.keys is not None and proof_result.outcome == "passed":
        key_status = _key_status_check(verifier.keys, credential, proofs)
        if key_status is not None:
            results.append(key_status)
    if read is None:
        return VerificationResult(False, "credential", results, proofs)

    period = read.period
    bounded = period.valid_from is not None or period.valid_until is not None
    results.append(
        _optional(checks, Check.VALIDITY_PERIOD, bounded, lambda: _validity_check(period, now))
    )
    results.append(
        _optional(
            checks,
            Check.STATUS,
            "credentialStatus" in credential,
            lambda: _status_check(verifier, read),
        )
    )
    schema = _optional(
        checks,
        Check.CREDENTIAL_SCHEMA,
        "credentialSchema" in credential,
        lambda: _schema_check(verifier, read),
    )
    results.append(schema)
    trust, warnings = _trust_check(verifier, read.issuer, genuine=proof_result.outcome == "passed")
    if schema.outcome in ("failed", "not-performed"):
        warnings = [*schema.problems, *warnings]
    results.append(trust)
    return VerificationResult(
        _all_required_passed(results), "credential", results, proofs, warnings
    )


def _optional(
    checks: frozenset[Check] | None,
    check: Check,
    applies: bool,
    run: Callable[[], CheckResult],
) -> CheckResult:
    """The check ``run`` makes; when ``checks`` does not select it and it applies to the
    credential, a check 'skipped' on request — which keeps the verdict from *valid*."""
    if checks is None or check in checks or not applies:
        return run()
    return CheckResult(check.value, "skipped", details={"reason": "not requested"})


def _all_required_passed(results: Sequence[CheckResult]) -> bool:
    return all(
        r.outcome in ("passed", "skipped") for r in results if r.check not in INFORMATIONAL_CHECKS
    )


def _verify_presentation(
    verifier: Verifier,
    presentation: Any,
    *,
    challenge: str | None,
    domain: str | None,
    unsigned_allowed: bool,
    checks: frozenset[Check] | None,
    now: datetime,
    holder_binding_required: bool = False,
) -> VerificationResult:
    """The presentation's data model, the holder's proof, each credential, and whether the
    one presenting is the holder (VC 2.0 §4.13; VC-API presentations/verify)."""
    try:
        check_presentation(presentation)
    except DataModelError as exc:
        return VerificationResult(
            False, "presentation", [_failed("dataModel", exc.code, exc.title, exc.detail)]
        )
    purpose = AuthenticationProofPurpose(
        controller=holder_id(presentation), challenge=challenge, domain=domain
    )
    holder_proof, proofs = _holder_proof_check(
        verifier, presentation, purpose, unsigned_allowed=unsigned_allowed, now=now
    )
    signed_by_holder = holder_proof.outcome == "passed" and purpose.controller is not None
    credential_results, subject_problems = _credential_results(
        verifier,
        presentation,
        purpose.controller,
        signed_by_holder=signed_by_holder,
        holder_binding_required=holder_binding_required,
        checks=checks,
        now=now,
    )
    binding = _holder_binding(purpose, signed_by_holder, proofs, subject_problems)
    results = [
        holder_proof,
        CheckResult("dataModel", "passed"),
        _credentials_check(credential_results),
        binding,
    ]
    if holder_binding_required:
        results.append(_presented_by_holder(binding))
    warnings = list(binding.problems)
    for credential_result in credential_results:
        warnings.extend(credential_result.warnings)
    verified = _all_required_passed(results)
    return VerificationResult(
        verified, "presentation", results, proofs, warnings, credential_results
    )


def _holder_proof_check(
    verifier: Verifier,
    presentation: Mapping[str, Any],
    purpose: AuthenticationProofPurpose,
    *,
    unsigned_allowed: bool,
    now: datetime,
) -> tuple[CheckResult, list[ProofResult]]:
    """Every proof must be the holder's (its key one the holder's DID document lists), made
    for authentication — or for assertionMethod, as DCC's tools sign — with the challenge and
    domain asked for. No proof: refused unless unsigned presentations are allowed."""
    if "proof" in presentation:
        proof_result, proofs = _proof_check(verifier, presentation, purpose=purpose, now=now)
        proof_result.check = "holderProof"
        return proof_result, proofs
    if unsigned_allowed:
        details = {"bound": False, "reason": "unsigned presentation"}
        return CheckResult("holderProof", "skipped", details=details), []
    return _failed(
        "holderProof",
        "PROOF_VERIFICATION_ERROR",
        "No holder proof",
        "the presentation has no proof; ask the holder to sign it, or allow unsigned "
        "presentations explicitly",
    ), []


def _credential_results(
    verifier: Verifier,
    presentation: Mapping[str, Any],
    holder: str | None,
    *,
    signed_by_holder: bool,
    holder_binding_required: bool,
    checks: frozenset[Check] | None,
    now: datetime,
) -> tuple[list[VerificationResult], list[Problem]]:
    """Each credential verified on its own, with whether its subject is the holder; and, when
    the holder signed, the genuine credentials about someone else. When this verifier asked
    for the presentation (holder binding required), a credential not about the holder fails."""
    credential_results: list[VerificationResult] = []
    subject_problems: list[Problem] = []
    for index, credential in enumerate(as_list(presentation.get("verifiableCredential"))):
        result = _verify_credential(verifier, credential, checks=checks, now=now)
        subjects = (
            [
                s.get("id")
                for s in as_list(credential.get("credentialSubject"))
                if isinstance(s, Mapping)
            ]
            if isinstance(credential, Mapping)
            else []
        )
        result.summary["index"] = index
        result.summary["subjectIsHolder"] = holder is not None and holder in subjects
        not_holder = Problem(
            "SUBJECT_NOT_HOLDER",
            "Credential subject is not the holder",
            f"verifiableCredential[{index}] is about {subjects or 'an unnamed subject'}, "
            f"not the holder {holder}",
        )
        if signed_by_holder and holder is not None and holder not in subjects:
            subject_problems.append(not_holder)
        if holder_binding_required and (holder is None or holder not in subjects):
            # Presented by someone it is not about: genuine perhaps, but not this
            # worker's skill, so not to be relied on for the one presenting it.
            result.checks.append(CheckResult(SUBJECT_IS_HOLDER, "failed", [not_holder]))
            result.verified = False
        credential_results.append(result)
    return credential_results, subject_problems


def _credentials_check(credential_results: Sequence[VerificationResult]) -> CheckResult:
    return CheckResult(
        "credentials",
        "passed" if all(r.verified for r in credential_results) else "failed",
        [
            Problem(
                "CREDENTIAL_NOT_VERIFIED",
                "Credential not verified",
                f"verifiableCredential[{i}] did not verify",
            )
            for i, r in enumerate(credential_results)
            if not r.verified
        ],
        {"count": len(credential_results)},
    )


def _presented_by_holder(binding: CheckResult) -> CheckResult:
    """Asked for by this verifier: the holder binding is then part of ``verified``."""
    if binding.outcome == "passed":
        return CheckResult(PRESENTED_BY_HOLDER, "passed", [], dict(binding.details))
    problems = binding.problems or [
        Problem(
            "HOLDER_BINDING_NOT_PROVEN",
            "Holder binding not proven for this request",
            "the presentation is not signed by its holder for this request "
            f"({binding.details.get('reason', 'no holder proof')})",
        )
    ]
    return CheckResult(PRESENTED_BY_HOLDER, "failed", problems, dict(binding.details))


def _holder_binding(
    purpose: AuthenticationProofPurpose,
    signed_by_holder: bool,
    proofs: Sequence[ProofResult],
    subject_problems: list[Problem],
) -> CheckResult:
    """Whether the one presenting is the holder, now. A holder's proof shows who signed;
    only one bound to this request (:meth:`AuthenticationProofPurpose.binds_request`) shows
    it was signed for it — any other could be a copy replayed by someone else."""
    holder = purpose.controller
    if not signed_by_holder:
        reason = "no holder named" if holder is None else "no valid holder proof"
        return CheckResult(
            "holderBinding", "skipped", [], {"bound": False, "holder": holder, "reason": reason}
        )
    for_this_request = purpose.binds_request(proofs)
    details: dict[str, Any] = {"bound": True, "holder": holder, "forThisRequest": for_this_request}
    problems = list(subject_problems)  # genuine credentials about someone else
    if not for_this_request:
        if any(p.proof_purpose != "authentication" for p in proofs):
            why = "its proof is for assertionMethod, with no challenge from this verifier"
        else:
            why = "no challenge was asked for, so the proof may be an earlier one replayed"
        problems.append(
            Problem(
                "HOLDER_BINDING_NOT_PROVEN",
                "Holder binding not proven for this request",
                f"the holder {holder} signed the presentation, but {why}; anyone holding a "
                "copy could present it. Ask the holder's wallet with a fresh challenge to be sure",
            )
        )
    if subject_problems:
        return CheckResult("holderBinding", "failed", problems, details)
    if problems:
        return CheckResult("holderBinding", "not-performed", problems, details)
    return CheckResult("holderBinding", "passed", [], details)
