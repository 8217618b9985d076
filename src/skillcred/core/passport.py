"""What an employer reads: one summary per skill credential — whose skill, what skill and
level, how it was assessed, who vouches for it and on what basis, until when, its status,
and a verdict with the problems behind it — derived from a verification result.

The summary repeats what the credential *claims*; ``genuine`` says whether its issuer's
proof holds, and only then are those claims the issuer's word. A reader (the employer
page) must not present the claims of a credential that is not genuine as facts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from skillcred.core.datamodel import issuer_id
from skillcred.core.values import as_list
from skillcred.core.verifying import INFORMATIONAL_CHECKS, Verdict, VerificationResult

#: the EQF level URIs a rubric level names (profile v2: ``rubricCriterionLevel[].level``)
EQF = re.compile(r"^https?://data\.europa\.eu/snb/eqf/([1-8])$")
#: profile v2's assessment description, as the service writes it (services.skills.assessed_by)
ASSESSED_BY = re.compile(r"^Assessed by (?P<who>.+?) on (?P<date>\d{4}-\d{2}-\d{2})\.?$")
SAFETY_TYPES = ("Certification", "License")
SAFETY_CRITICAL_TAG = "safety-critical"
#: an identity hash Open Badges 3.0 defines (IdentityHash: ``sha256$`` + hex)
IDENTITY_HASH = re.compile(r"^sha256\$[0-9a-fA-F]{64}$")


def _text(value: Any) -> str | None:
    """A plain or language-tagged string (the first one of a list)."""
    for item in as_list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, Mapping) and isinstance(item.get("@value"), str):
            return str(item["@value"])
    return None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _web_url(value: Any) -> str | None:
    """An http(s) URL, the only kind a reader may be offered as a link."""
    return value if isinstance(value, str) and re.match(r"^https?://\S+$", value) else None


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    return next(
        (s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)), {}
    )


def _rubric_levels(achievement: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    levels: dict[str, Mapping[str, Any]] = {}
    for description in as_list(achievement.get("resultDescription")):
        if isinstance(description, Mapping):
            for level in as_list(description.get("rubricCriterionLevel")):
                if isinstance(level, Mapping) and isinstance(level.get("id"), str):
                    levels[level["id"]] = level
    return levels


def _skill(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The skill and the level reached, from an Open Badges achievement (else the
    credential's own name)."""
    subject = _subject(credential)
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping):
        return {"skill": _text(credential.get("name")), "level": None, "skillId": None}
    levels = _rubric_levels(achievement)
    reached: str | None = None
    eqf: int | None = None
    for result in as_list(subject.get("result")):
        if isinstance(result, Mapping):
            value = result.get("achievedLevel") or result.get("value")
            if isinstance(value, str):
                level = levels.get(value)
                reached = (_text(level.get("name")) if level else None) or value
                match = EQF.match(str(level.get("level", ""))) if level else None
                eqf = int(match.group(1)) if match else None
                break
    tags = [t for t in as_list(achievement.get("tag")) if isinstance(t, str)]
    achievement_type = _string(achievement.get("achievementType"))
    frameworks = [
        {
            "framework": _string(a.get("targetFramework")),
            "name": _string(a.get("targetName")),
            "url": _web_url(a.get("targetUrl")),
        }
        for a in as_list(achievement.get("alignment"))
        if isinstance(a, Mapping)
    ]
    return {
        "skill": _text(achievement.get("name")),
        "skillId": _string(achievement.get("id")),
        "level": reached,
        "levelEqf": eqf,
        "achievementType": achievement_type,
        # A safety certificate (profile: Certification / License), or a skill the provider
        # marks safety-critical (v2: a tag; v1: safetyCritical).
        "safetyCritical": achievement_type in SAFETY_TYPES
        or SAFETY_CRITICAL_TAG in tags
        or achievement.get("safetyCritical") is True,
        "criteria": _text(
            achievement["criteria"].get("narrative")
            if isinstance(achievement.get("criteria"), Mapping)
            else None
        ),
        "frameworks": [f for f in frameworks if f["name"] or f["url"]],
    }


def _holder(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Whose skill: the subject's name and id, and a hashed e-mail address (Open Badges
    IdentityObject) that a reader can compare with the address the worker gives."""
    subject = _subject(credential)
    holder: dict[str, Any] = {
        "name": _text(subject.get("name")),
        "id": _string(subject.get("id")),
    }
    for identity in as_list(subject.get("identifier")):
        if not isinstance(identity, Mapping) or identity.get("identityType") != "emailAddress":
            continue
        value = _string(identity.get("identityHash"))
        if value is None:
            continue
        if identity.get("hashed") is True:
            if IDENTITY_HASH.match(value):
                holder["emailHash"] = {
                    "algorithm": "sha256",
                    "hash": value.split("$", 1)[1].lower(),
                    "salt": _string(identity.get("salt")) or "",
                }
        else:
            holder["email"] = value
        break
    return holder


def _assessment(credential: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[Any]]:
    """How the skill was assessed (profile v2: ``evidence[0]`` with its genre, described as
    "Assessed by NAME (QUALIFICATION) on DATE."; v1: its assessor and assessmentMethod),
    and the further evidence."""
    subject = _subject(credential)
    evidence = [e for e in as_list(credential.get("evidence")) if isinstance(e, Mapping)]
    first = evidence[0] if evidence else {}
    description = _text(first.get("description"))
    match = ASSESSED_BY.match(description or "")
    v1_assessor = first.get("assessor") if isinstance(first.get("assessor"), Mapping) else None
    is_assessment = bool(
        first.get("genre") or first.get("assessmentMethod") or match or v1_assessor
    )
    further = evidence[1:] if is_assessment else evidence
    source = subject.get("source")
    body = _text(source.get("name")) if isinstance(source, Mapping) else None
    date = _string(subject.get("activityEndDate"))
    if not is_assessment and date is None and body is None:
        return None, further
    assessment: dict[str, Any] = {
        "date": date,
        "method": _string(first.get("genre")) or _string(first.get("assessmentMethod")),
        "assessor": None,
        "qualification": None,
        "body": body,
        "name": _text(first.get("name")) if is_assessment else None,
        "narrative": _text(first.get("narrative")) if is_assessment else None,
        "url": _web_url(first.get("id")) if is_assessment else None,
    }
    if v1_assessor is not None:
        assessment["assessor"] = _text(v1_assessor.get("name"))
        assessment["qualification"] = _text(v1_assessor.get("qualification"))
    elif match:
        who = match.group("who")
        name, _, rest = who.partition(" (")
        assessment["assessor"] = name
        if rest.endswith(")"):
            # "(QUALIFICATION; ASSESSOR-ID)": the id is a DID or URN, the rest the qualification
            parts = [p.strip() for p in rest[:-1].split(";")]
            qualification = [p for p in parts if p and not re.match(r"^(did|urn):", p)]
            assessment["qualification"] = "; ".join(qualification) or None
        else:
            assessment["assessor"] = who
        assessment["date"] = assessment["date"] or match.group("date")
    elif description and is_assessment:
        assessment["description"] = description
    return assessment, further


def _evidence(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": _text(item.get("name")),
            "url": _web_url(item.get("id")),
            "narrative": _text(item.get("narrative")),
        }
        for item in items
    ]


def _issuer(credential: Mapping[str, Any], result: VerificationResult) -> dict[str, Any]:
    """Who vouches for it: the issuer as the document names it, and — for a genuine
    credential only — whether this service knows it and on what basis."""
    issuer = credential.get("issuer")
    trust = result.find_check("issuerTrust")
    details = trust.details if trust is not None else {}
    basis = details.get("basis") if trust is not None and trust.outcome == "passed" else None
    return {
        "id": issuer_id(credential),
        "name": _text(issuer.get("name")) if isinstance(issuer, Mapping) else None,
        "knownName": details.get("issuerName") if basis else None,
        "trust": basis or ("unknown" if details.get("trusted") is False else None),
        "trustList": details.get("trustList") if basis == "trust-list" else None,
    }


def _reasons(result: VerificationResult, verdict: Verdict) -> list[dict[str, Any]]:
    """The problems behind the verdict, each with the check it comes from and its code
    (readers translate by code; ``detail`` is the service's own English)."""

    def problems_of(*names: str, codes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        found = []
        for check in result.checks:
            if check.check in names:
                for problem in check.problems:
                    if not codes or problem.code in codes:
                        found.append({"check": check.check, **problem.to_json()})
        return found

    def proof_problems(outcome: str) -> list[dict[str, Any]]:
        return [
            {"check": "proof", **problem.to_json()}
            for proof in result.proofs
            if proof.outcome == outcome
            for problem in proof.problems
        ] or problems_of("proof")

    if verdict == "not-genuine":
        return proof_problems("failed")
    if verdict == "revoked":
        return problems_of("status", codes=("CREDENTIAL_REVOKED",))
    if verdict == "suspended":
        return problems_of("status", codes=("CREDENTIAL_SUSPENDED",))
    if verdict in ("expired", "not-yet-valid"):
        return problems_of("validityPeriod")
    if verdict == "untrusted-issuer":
        return problems_of("issuerTrust")
    if verdict == "invalid":
        data_model = result.find_check("dataModel")
        if data_model is not None and data_model.outcome == "failed":
            return problems_of("dataModel")
        proof = result.find_check("proof")
        if proof is not None and proof.outcome == "failed":
            return proof_problems("failed")
        return [
            {"check": check.check, **problem.to_json()}
            for check in result.checks
            if check.outcome == "failed" and check.check not in INFORMATIONAL_CHECKS
            for problem in check.problems
        ]
    if verdict == "cannot-check":
        reasons: list[dict[str, Any]] = []
        proof = result.find_check("proof")
        if proof is not None and proof.outcome == "not-performed":
            reasons.extend(proof_problems("not-performed"))
        for check in result.checks:
            if check.check in INFORMATIONAL_CHECKS or check.check == "proof":
                continue
            if check.outcome == "not-performed":
                reasons.extend({"check": check.check, **p.to_json()} for p in check.problems)
            elif check.outcome == "skipped" and check.details.get("reason") == "not requested":
                reasons.append({"check": check.check, "code": None, "detail": "not requested"})
        return reasons
    return []


def _status(result: VerificationResult) -> dict[str, Any] | None:
    """Revoked / suspended as the status lists say (None: not checked, so nothing is
    claimed; "unknown": a list that could not be read), with the provider's reason for a
    suspension where this service keeps the list."""
    check = result.find_check("status")
    if check is None or check.details.get("reason") == "not requested":
        return None
    statuses: dict[str, Any] = {}
    reason: str | None = None
    purposes: list[str] = []
    for item in check.details.get("statuses", []):
        purpose = str(item.get("purpose"))
        purposes.append(purpose)
        statuses[purpose] = item.get("set") if item.get("checked") else "unknown"
        if purpose == "suspension" and item.get("set") and item.get("statusReason"):
            reason = str(item["statusReason"])
    status: dict[str, Any] = {
        "revoked": statuses.get("revocation", False),
        "suspended": statuses.get("suspension", False),
        # which lists the credential is on: none means it cannot be revoked at all
        "lists": purposes,
    }
    if reason is not None:
        status["suspensionReason"] = reason
    return status


def verdict(result: VerificationResult) -> tuple[Verdict, str | None]:
    """The one word an employer needs first, and why when it is not 'valid'."""
    return result.judgement


def summary(credential: Any, result: VerificationResult) -> dict[str, Any]:
    word, reason = verdict(result)
    if not isinstance(credential, Mapping):
        return {"verdict": word, "reason": reason, "reasons": _reasons(result, word)}
    skill = _skill(credential)
    issuer = _issuer(credential, result)
    trust = result.find_check("issuerTrust")
    proof = result.find_check("proof")
    assessment, further = _assessment(credential)
    return {
        "verdict": word,
        "reason": reason,
        "reasons": _reasons(result, word),
        # Whether the issuer's proof holds: only then are the claims below its word.
        "genuine": proof is not None and proof.outcome == "passed",
        **skill,
        "provider": issuer["knownName"] or issuer["name"],
        "providerDid": issuer["id"],
        "issuer": issuer,
        "trusted": trust.details.get("trusted") if trust is not None else None,
        "holder": _holder(credential),
        "assessment": assessment,
        "evidence": _evidence(further),
        "validFrom": credential.get("validFrom") or credential.get("issuanceDate"),
        "validUntil": credential.get("validUntil") or credential.get("expirationDate"),
        "status": _status(result),
        "credentialId": credential.get("id"),
    }


def report(document: Any, result: VerificationResult) -> dict[str, Any]:
    """The answer an employer gets (API and CLI): the verification result with the summary
    of a credential, or one summary per skill credential of a presentation."""
    data = result.to_json()
    if result.kind == "presentation":
        credentials = (
            document.get("verifiableCredential", []) if isinstance(document, Mapping) else []
        )
        credentials = credentials if isinstance(credentials, list) else [credentials]
        data["skills"] = [
            {**summary(credential, credential_result), **credential_result.summary}
            for credential, credential_result in zip(credentials, result.credentials, strict=False)
        ]
    else:
        data["summary"] = summary(document, result)
    return data
