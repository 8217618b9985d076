"""What an employer reads: one line per skill credential — the skill, the level, the
provider, the dates, the status, and a verdict — derived from a verification result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skillcred.core.datamodel import issuer_id
from skillcred.core.values import as_list
from skillcred.core.verifying import Verdict, VerificationResult


def _text(value: Any) -> str | None:
    """A plain or language-tagged string (the first one of a list)."""
    for item in as_list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, Mapping) and isinstance(item.get("@value"), str):
            return str(item["@value"])
    return None


def _skill(credential: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(skill name, level reached, skill id) from an Open Badges achievement, else the
    credential's own name."""
    for subject in as_list(credential.get("credentialSubject")):
        if not isinstance(subject, Mapping):
            continue
        achievement = subject.get("achievement")
        if isinstance(achievement, Mapping):
            levels: dict[str, str] = {}
            for description in as_list(achievement.get("resultDescription")):
                if isinstance(description, Mapping):
                    for level in as_list(description.get("rubricCriterionLevel")):
                        if isinstance(level, Mapping) and isinstance(level.get("id"), str):
                            levels[level["id"]] = _text(level.get("name")) or level["id"]
            reached = None
            for result in as_list(subject.get("result")):
                if isinstance(result, Mapping):
                    value = result.get("achievedLevel") or result.get("value")
                    if isinstance(value, str):
                        reached = levels.get(value, value)
                        break
            name = _text(achievement.get("name"))
            skill_id = achievement.get("id") if isinstance(achievement.get("id"), str) else None
            return name, reached, skill_id
    return _text(credential.get("name")), None, None


def verdict(result: VerificationResult) -> tuple[Verdict, str | None]:
    """The one word an employer needs first, and why when it is not 'valid'."""
    return result.judgement


def summary(credential: Any, result: VerificationResult) -> dict[str, Any]:
    if not isinstance(credential, Mapping):
        word, reason = verdict(result)
        return {"verdict": word, "reason": reason}
    skill, level, skill_id = _skill(credential)
    issuer = credential.get("issuer")
    trust = result.check("issuerTrust")
    provider_name = (trust.details.get("issuerName") if trust is not None else None) or (
        _text(issuer.get("name")) if isinstance(issuer, Mapping) else None
    )
    statuses: dict[str, Any] = {}
    status_check = result.check("status")
    not_checked = status_check is None or status_check.details.get("reason") == "not requested"
    if status_check is not None:
        for item in status_check.details.get("statuses", []):
            purpose = item.get("purpose")
            statuses[str(purpose)] = item.get("set") if item.get("checked") else "unknown"
    word, reason = verdict(result)
    return {
        "verdict": word,
        "reason": reason,
        "skill": skill,
        "skillId": skill_id,
        "level": level,
        "provider": provider_name,
        "providerDid": issuer_id(credential),
        "trusted": trust.details.get("trusted") if trust is not None else None,
        "validFrom": credential.get("validFrom") or credential.get("issuanceDate"),
        "validUntil": credential.get("validUntil") or credential.get("expirationDate"),
        # None: the status was not checked (not asked for), so nothing is claimed.
        "status": None
        if not_checked
        else {
            "revoked": statuses.get("revocation", False),
            "suspended": statuses.get("suspension", False),
        },
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
