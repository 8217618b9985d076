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
from typing import Any, Literal, Protocol

from skillcred.core.datamodel import (
    ValidityPeriod,
    check_credential,
    check_presentation,
    holder_id,
    issuer_id,
)
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.dids.resolver import DidResolver, did_key_only
from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.core.proofs import Problem, ProofResult, verify_proofs
from skillcred.core.values import as_list
from skillcred.errors import DataModelError

Outcome = Literal["passed", "failed", "not-performed", "skipped"]

#: the checks a credential goes through, in order; ``issuerTrust`` is informational
INFORMATIONAL_CHECKS = ("issuerTrust", "holderBinding")


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
    set: bool | None
    #: when the status could not be checked: why (then ``set`` is None)
    problem: Problem | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class StatusChecker(Protocol):
    def check(self, credential: Mapping[str, Any], entry: Mapping[str, Any]) -> StatusOutcome: ...


class SchemaChecker(Protocol):
    def check(
        self, credential: Mapping[str, Any], schema_entry: Mapping[str, Any]
    ) -> list[Problem]:
        """Problems found validating the credential against the schema (empty: valid)."""
        ...


@dataclass(frozen=True, slots=True)
class TrustAnswer:
    trusted: bool
    name: str | None = None
    source: str | None = None


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

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.check == name), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "checks": [c.to_json() for c in self.checks],
            "proofs": [p.to_json() for p in self.proofs],
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }
        if self.summary:
            data["summary"] = self.summary
        if self.kind == "presentation":
            data["credentialResults"] = [c.to_json() for c in self.credentials]
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Verifier:
    """What verification needs from outside the core, injected.

    The defaults verify offline: shipped contexts only, did:key only, no status lists
    (a credential with a status entry then fails closed, its status 'not-performed').
    """

    loader: DocumentLoader = field(default_factory=default_loader)
    resolver: DidResolver = field(default_factory=did_key_only)
    status: StatusChecker | None = None
    schemas: SchemaChecker | None = None
    trust: TrustResolver | None = None
    clock: Callable[[], datetime] = utc_now

    def verify_credential(
        self,
        credential: Any,
        *,
        checks: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> VerificationResult:
        return _verify_credential(self, credential, checks=checks, now=now or self.clock())

    def verify_presentation(
        self,
        presentation: Any,
        *,
        challenge: str | None = None,
        domain: str | None = None,
        unsigned_allowed: bool = False,
        checks: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> VerificationResult:
        return _verify_presentation(
            self,
            presentation,
            challenge=challenge,
            domain=domain,
            unsigned_allowed=unsigned_allowed,
            checks=checks,
            now=now or self.clock(),
        )


def _failed(check: str, code: str, title: str, detail: str, **details: Any) -> CheckResult:
    return CheckResult(check, "failed", [Problem(code, title, detail)], dict(details))


def _proof_check(
    verifier: Verifier,
    document: Mapping[str, Any],
    *,
    purpose: str,
    challenge: str | None,
    domain: str | None,
    now: datetime,
) -> tuple[CheckResult, list[ProofResult]]:
    results = verify_proofs(
        document,
        resolver=verifier.resolver,
        loader=verifier.loader,
        expected_purpose=purpose,
        challenge=challenge,
        domain=domain,
        now=now,
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
    outcome: Outcome = "passed" if all(r.verified for r in results) else "failed"
    return CheckResult("proof", outcome, problems, {"proofCount": len(results)}), results


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


def _status_check(verifier: Verifier, credential: Mapping[str, Any]) -> CheckResult:
    entries = [e for e in as_list(credential.get("credentialStatus")) if isinstance(e, Mapping)]
    if not entries:
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
    for entry in entries:
        outcome = verifier.status.check(credential, entry)
        item: dict[str, Any] = {"purpose": outcome.purpose, **outcome.details}
        if outcome.problem is not None:
            not_performed = True
            problems.append(outcome.problem)
            item["checked"] = False
        else:
            item["checked"] = True
            item["set"] = outcome.set
            if outcome.set and outcome.purpose in ("revocation", "suspension"):
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


def _schema_check(verifier: Verifier, credential: Mapping[str, Any]) -> CheckResult:
    entries = [e for e in as_list(credential.get("credentialSchema")) if isinstance(e, Mapping)]
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
        problems.extend(verifier.schemas.check(credential, entry))
    outcome: Outcome = "failed" if problems else "passed"
    return CheckResult(
        "credentialSchema", outcome, problems, {"schemas": [e.get("id") for e in entries]}
    )


def _trust_check(
    verifier: Verifier, credential: Mapping[str, Any]
) -> tuple[CheckResult, list[Problem]]:
    issuer = issuer_id(credential)
    if verifier.trust is None or issuer is None:
        return CheckResult("issuerTrust", "not-performed", details={"issuer": issuer}), []
    answer = verifier.trust.lookup(issuer)
    details = {"issuer": issuer, "trusted": answer.trusted}
    if answer.name:
        details["issuerName"] = answer.name
    if answer.source:
        details["source"] = answer.source
    if answer.trusted:
        return CheckResult("issuerTrust", "passed", details=details), []
    warning = Problem(
        "UNTRUSTED_ISSUER",
        "Untrusted issuer",
        f"the issuer {issuer} is neither a provider registered here nor on the trust list",
    )
    return CheckResult("issuerTrust", "failed", [warning], details), [warning]


def _verify_credential(
    verifier: Verifier, credential: Any, *, checks: Collection[str] | None, now: datetime
) -> VerificationResult:
    try:
        _version, period = check_credential(credential)
        data_model = CheckResult("dataModel", "passed")
    except DataModelError as exc:
        period = None
        data_model = _failed("dataModel", exc.code, exc.title, exc.detail)
    if not isinstance(credential, Mapping):
        return VerificationResult(False, "credential", [data_model])
    # The proof is always checked: nothing else means anything without it.
    proof_result, proofs = _proof_check(
        verifier, credential, purpose="assertionMethod", challenge=None, domain=None, now=now
    )
    results = [proof_result, data_model]
    if period is None:
        return VerificationResult(False, "credential", results, proofs)

    results.append(_optional(checks, "validityPeriod", lambda: _validity_check(period, now)))
    results.append(_optional(checks, "status", lambda: _status_check(verifier, credential)))
    results.append(
        _optional(checks, "credentialSchema", lambda: _schema_check(verifier, credential))
    )
    trust, warnings = _trust_check(verifier, credential)
    results.append(trust)
    return VerificationResult(
        _all_required_passed(results), "credential", results, proofs, warnings
    )


def _optional(
    checks: Collection[str] | None, name: str, run: Callable[[], CheckResult]
) -> CheckResult:
    """The check ``run`` makes, or a skipped one when ``checks`` does not select it."""
    if checks is None or name in checks:
        return run()
    return CheckResult(name, "skipped", details={"reason": "not requested"})


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
    checks: Collection[str] | None,
    now: datetime,
) -> VerificationResult:
    results: list[CheckResult] = []
    proofs: list[ProofResult] = []
    try:
        check_presentation(presentation)
    except DataModelError as exc:
        results.append(_failed("dataModel", exc.code, exc.title, exc.detail))
        return VerificationResult(False, "presentation", results)

    holder = holder_id(presentation)
    if "proof" in presentation:
        proof_result, proofs = _proof_check(
            verifier,
            presentation,
            purpose="authentication",
            challenge=challenge,
            domain=domain,
            now=now,
        )
        # The holder proof must come from the holder (VC 2.0 §4.13 / §5.?: holder binding).
        if holder is not None and proof_result.outcome == "passed":
            signers = {str(p.verification_method).split("#", 1)[0] for p in proofs}
            if signers != {holder}:
                proof_result = _failed(
                    "proof",
                    "PROOF_VERIFICATION_ERROR",
                    "Proof not by the holder",
                    f"the presentation is signed by {', '.join(sorted(signers))}, "
                    f"not by its holder {holder}",
                )
        proof_result.check = "holderProof"
        results.append(proof_result)
        # Bound: a holder is named and the proof is theirs (checked just above).
        bound = proof_result.outcome == "passed" and holder is not None
    elif unsigned_allowed:
        results.append(
            CheckResult(
                "holderProof",
                "skipped",
                details={"bound": False, "reason": "unsigned presentation"},
            )
        )
        bound = False
    else:
        results.append(
            _failed(
                "holderProof",
                "PROOF_VERIFICATION_ERROR",
                "No holder proof",
                "the presentation has no proof; ask the holder to sign it, or allow unsigned "
                "presentations explicitly",
            )
        )
        bound = False
    results.append(CheckResult("dataModel", "passed"))

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
        if bound and holder is not None and holder not in subjects:
            subject_problems.append(
                Problem(
                    "SUBJECT_NOT_HOLDER",
                    "Credential subject is not the holder",
                    f"verifiableCredential[{index}] is about {subjects or 'an unnamed subject'}, "
                    f"not the holder {holder}",
                )
            )
        credential_results.append(result)
    results.append(
        CheckResult(
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
    )
    if not bound:
        reason = "no holder named" if holder is None else "no valid holder proof"
        binding = CheckResult(
            "holderBinding", "skipped", [], {"bound": False, "holder": holder, "reason": reason}
        )
    elif subject_problems:
        # Informational: genuine credentials about someone other than the presenter.
        binding = CheckResult(
            "holderBinding", "failed", subject_problems, {"bound": True, "holder": holder}
        )
    else:
        binding = CheckResult("holderBinding", "passed", [], {"bound": True, "holder": holder})
    results.append(binding)
    warnings = list(subject_problems)
    for credential_result in credential_results:
        warnings.extend(credential_result.warnings)
    verified = _all_required_passed(results)
    return VerificationResult(
        verified, "presentation", results, proofs, warnings, credential_results
    )
