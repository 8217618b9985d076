"""The answer to an OpenID4VP request for ``dc+sd-jwt`` skill credentials: each SD-JWT+KB
verified by ``SdJwtVerifier`` with the request's nonce and client_id as the KB-JWT's
``nonce`` and ``aud`` (OpenID4VP 1.0 Appendix B.3.6), then held against the DCQL query it
answers — the vct asked for, the skill, and every claim asked for disclosed. Claims the
verifier did not ask for are never required (the worker shows only what is needed).

The result is shaped as ``/presentations/verify`` answers, one summary per skill, with
the claims the worker disclosed listed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from skillcred.core.presentation_request import (
    Answer,
    ResponseMismatch,
    SkillQuery,
    claim_pointer,
    select_claim,
)
from skillcred.core.verifying import PRESENTED_BY_HOLDER, CheckResult, VerificationResult
from skillcred.services.sdjwt_vc import SD_JWT_VC_TYPE, SKILL_KINDS
from skillcred.services.sdjwt_verify import SdJwtVerifier


def vcts_by_type(verifier: SdJwtVerifier) -> dict[str, str]:
    """The vct of each Open Badges achievementType (the SD-JWT VC types served here)."""
    return {kind_type: verifier.service.vct(kind) for kind_type, kind in SKILL_KINDS.items()}


def verify_answer(
    verifier: SdJwtVerifier,
    answer: Answer,
    queries: Sequence[SkillQuery],
    *,
    nonce: str,
    audience: str,
) -> dict[str, Any]:
    """The result body; raises ResponseMismatch for an answer that does not answer the
    request (a vct or skill not asked for, a claim asked for and not disclosed)."""
    by_id = {q.id: q for q in queries}
    vcts = vcts_by_type(verifier)
    results: list[tuple[SkillQuery, VerificationResult]] = []
    for query_id, text in answer.sd_jwts:
        query = by_id[query_id]
        result = verifier.verify(text, nonce=nonce, audience=audience)
        claims = result.summary.get("claims")
        if isinstance(claims, Mapping):
            # Read from the credential as verified; an unreadable one keeps its verdict.
            _check_match(query, str(result.summary.get("vct")), claims, vcts)
        results.append((query, result))
    bound = all(_key_bound(result) for _query, result in results)
    presented = CheckResult(
        PRESENTED_BY_HOLDER,
        "passed" if bound else "failed",
        details={"keyBinding": "KB-JWT (nonce, aud, sd_hash)"},
    )
    combined = VerificationResult(
        False, "presentation", [presented], credentials=[r for _q, r in results]
    )
    combined.verified = combined.verdict in ("valid", "untrusted-issuer")
    body = combined.to_json()
    body["format"] = SD_JWT_VC_TYPE
    body["skills"] = [skill_summary(query, result) for query, result in results]
    return body


def _check_match(
    query: SkillQuery, vct: str, claims: Mapping[str, Any], vcts: Mapping[str, str]
) -> None:
    wanted = (
        [vcts[query.achievement_type]]
        if query.achievement_type is not None and query.achievement_type in vcts
        else list(vcts.values())
    )
    if vct not in wanted:
        raise ResponseMismatch(
            f"the SD-JWT VC sent for {query.id!r} is of type {vct}, not one asked for"
        )
    if not query.matches_claims(claims):
        raise ResponseMismatch(
            f"the SD-JWT VC sent for {query.id!r} is not of the skill that query asks for"
        )
    missing = query.missing_claims(claims)
    if missing:
        raise ResponseMismatch(
            f"the SD-JWT VC sent for {query.id!r} does not disclose "
            + ", ".join(claim_pointer(p) for p in missing)
            + ", which the request asks for"
        )


def _key_bound(result: VerificationResult) -> bool:
    return any(p.proof_type == "kb+jwt" and p.outcome == "passed" for p in result.proofs)


def skill_summary(query: SkillQuery, result: VerificationResult) -> dict[str, Any]:
    """What an employer reads of one SD-JWT VC given in answer to a request: the claims
    asked for beside what the worker's wallet showed of them."""
    claims: Mapping[str, Any] = result.summary.get("claims") or {}
    return {
        "queryId": query.id,
        **employer_summary(result),
        "requestedClaims": [claim_pointer(p) for p in query.claims],
        "disclosedClaims": [
            {"path": claim_pointer(p), "value": select_claim(claims, p)} for p in query.claims
        ],
    }


def employer_summary(result: VerificationResult) -> dict[str, Any]:
    """What an employer reads of one SD-JWT VC: the passport summary's fields that its
    claims give (the same fields as a Data Integrity credential's), the claims disclosed."""
    word, reason = result.judgement
    summary = result.summary
    claims: Mapping[str, Any] = summary.get("claims") or {}
    skill: Mapping[str, Any] = _mapping(claims.get("skill"))
    level: Mapping[str, Any] = _mapping(claims.get("level"))
    assessment = claims.get("assessment")
    proof = result.find_check("proof")
    trust = result.find_check("issuerTrust")
    trusted = trust.details.get("trusted") if trust is not None else None
    status = result.find_check("status")
    revoked: Any = False
    suspended: Any = False
    if status is not None and status.outcome == "not-performed":
        revoked = suspended = "unknown"
    elif status is not None:
        revoked = status.details.get("status") == 1
        suspended = status.details.get("status") == 2
    frameworks = [
        {"framework": a.get("targetFramework"), "name": a.get("targetName"), "url": None}
        for a in skill.get("alignment", []) or []
        if isinstance(a, Mapping)
    ]
    return {
        "format": SD_JWT_VC_TYPE,
        "verdict": word,
        "reason": reason,
        "reasons": [
            {"check": check.check, **problem.to_json()}
            for check in result.checks
            if check.outcome in ("failed", "not-performed")
            for problem in check.problems
        ],
        "genuine": proof is not None and proof.outcome == "passed",
        "skill": skill.get("name"),
        "skillId": skill.get("id"),
        "level": level.get("name") or level.get("id"),
        "levelEqf": claims.get("eqf_level"),
        "achievementType": skill.get("type"),
        "safetyCritical": claims.get("safety_certificate") is True,
        "frameworks": frameworks,
        "provider": claims.get("issuer_name"),
        "providerDid": claims.get("issuer_id"),
        "issuer": {
            "id": summary.get("issuer"),
            "name": claims.get("issuer_name"),
            "knownName": trust.details.get("name") if trust is not None and trusted else None,
            "trust": trust.details.get("basis") if trusted and trust is not None else "unknown",
            "trustList": None,
        },
        "trusted": trusted,
        # Only what the worker chose to show: the name is here only when disclosed.
        "holder": {"name": claims.get("name"), "id": claims.get("holder_id")},
        "assessment": dict(assessment) if isinstance(assessment, Mapping) else None,
        "validUntil": _date(claims.get("exp")),
        "validFrom": _date(claims.get("nbf")),
        "status": {"revoked": revoked, "suspended": suspended, "lists": ["revocation"]}
        if status is not None and status.outcome != "skipped"
        else None,
        "credentialId": claims.get("credential_id"),
        "vct": summary.get("vct"),
        "disclosed": list(summary.get("disclosed") or []),
        "keyBinding": bool(summary.get("keyBinding")),
        # every claim disclosed, as the SD-JWT holds them (the verifier has already left
        # out the SD-JWT's own machinery: _sd_alg, cnf, status)
        "claims": dict(claims),
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _date(value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
