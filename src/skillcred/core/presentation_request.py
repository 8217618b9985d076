"""What a verifier asks a wallet for, in the two protocols wallets speak, and whether
an answer matches it. Pure: no HTTP, no storage.

- OpenID for Verifiable Presentations 1.0: a DCQL query (§6) for W3C credentials secured
  with Data Integrity (format ``ldp_vc``, Appendix B.1.3: ``meta.type_values`` holds the
  fully expanded type IRIs) or for SD-JWT VCs (format ``dc+sd-jwt``, Appendix B.3:
  ``meta.vct_values``, and ``claims`` naming only the claims the verifier needs, §6.3),
  and the ``vp_token`` of a ``direct_post`` response (§8.1: a JSON object keyed by the
  credential query ids, each value an array of presentations — JSON objects for
  ``ldp_vc``, SD-JWT+KB strings for ``dc+sd-jwt``).
- VC-API exchanges as the DCC Learner Credential Wallet speaks them: a
  ``VerifiablePresentationRequest`` with ``DIDAuthentication`` and ``QueryByExample``
  (W3C CCG Verifiable Presentation Request v0.3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from skillcred.core.values import as_list
from skillcred.errors import RequestError

#: a claims path query (OpenID4VP 1.0 §7): names, array indexes, null for every element
ClaimPath = tuple[str | int | None, ...]

VC_TYPE_IRI = "https://www.w3.org/2018/credentials#VerifiableCredential"
OPEN_BADGE_TYPE_IRI = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
ACHIEVEMENT_TYPES = (
    "Certification",
    "Competency",
    "License",
    "Achievement",
    "Assessment",
    "Badge",
    "Course",
)
MAX_SKILL_QUERIES = 20
MAX_CLAIM_QUERIES = 20
LDP_VC = "ldp_vc"
SD_JWT_VC = "dc+sd-jwt"
FORMATS = (LDP_VC, SD_JWT_VC)
#: what an SD-JWT VC query asks for when it names no claims: the skill and the level
DEFAULT_CLAIMS: tuple[ClaimPath, ...] = (("skill",), ("level",))
#: the SD-JWT's own claims (always there, never a claim to ask for)
_NOT_CLAIMS = frozenset(("iss", "iat", "nbf", "exp", "vct", "cnf", "status", "_sd", "_sd_alg"))
MAX_PURPOSE_LENGTH = 500
#: DCQL credential query ids: alphanumeric, underscore, hyphen (OpenID4VP §6.1)
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def claim_pointer(path: ClaimPath) -> str:
    """A claims path query (§7) as text: ``/skill/name``, ``/evidence/*``."""
    return "/" + "/".join("*" if p is None else str(p) for p in path)


def select_claim(claims: Any, path: ClaimPath) -> list[Any]:
    """The values a claims path query selects (OpenID4VP 1.0 §7.1): a string a member,
    an integer an array element, null every element."""
    selected = [claims]
    for component in path:
        following: list[Any] = []
        for value in selected:
            if isinstance(component, str) and isinstance(value, Mapping) and component in value:
                following.append(value[component])
            elif component is None and isinstance(value, list):
                following.extend(value)
            elif isinstance(component, int) and isinstance(value, list) and component < len(value):
                following.append(value[component])
        selected = following
    return selected


@dataclass(frozen=True, slots=True)
class SkillQuery:
    """One kind of skill credential wanted: any skill credential, or one naming a skill
    definition (``achievement``), aligned to a framework skill (``alignment``, e.g. an ESCO
    URI) or of an achievement type (``Certification`` for safety certificates)."""

    id: str
    achievement: str | None = None
    alignment: str | None = None
    achievement_type: str | None = None
    required: bool = True
    format: str = LDP_VC
    #: for dc+sd-jwt: the claims asked for (claims path queries)
    claims: tuple[ClaimPath, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "required": self.required}
        if self.format != LDP_VC:
            data["format"] = self.format
            data["claims"] = [list(path) for path in self.claims]
        if self.achievement is not None:
            data["achievement"] = self.achievement
        if self.alignment is not None:
            data["alignment"] = self.alignment
        if self.achievement_type is not None:
            data["achievementType"] = self.achievement_type
        return data

    def matches(self, credential: Any) -> bool:
        """Whether a credential is one this query asks for (read from the credential as
        sent; whether it is genuine is the verifier's business)."""
        if not isinstance(credential, Mapping):
            return False
        if "OpenBadgeCredential" not in as_list(credential.get("type")):
            return False
        achievements = [
            s.get("achievement")
            for s in as_list(credential.get("credentialSubject"))
            if isinstance(s, Mapping)
        ]
        for achievement in achievements:
            if not isinstance(achievement, Mapping):
                continue
            if self.achievement is not None and achievement.get("id") != self.achievement:
                continue
            if (
                self.achievement_type is not None
                and achievement.get("achievementType") != self.achievement_type
            ):
                continue
            if self.alignment is not None and not any(
                isinstance(a, Mapping) and a.get("targetUrl") == self.alignment
                for a in as_list(achievement.get("alignment"))
            ):
                continue
            return True
        return False

    def matches_claims(self, claims: Mapping[str, Any]) -> bool:
        """Whether an SD-JWT VC's claims (disclosed, as verified) are of the skill this
        query asks for."""
        skill = claims.get("skill")
        if not isinstance(skill, Mapping):
            return False
        if self.achievement is not None and skill.get("id") != self.achievement:
            return False
        if self.achievement_type is not None and skill.get("type") != self.achievement_type:
            return False
        return self.alignment is None or any(
            isinstance(a, Mapping) and a.get("targetUrl") == self.alignment
            for a in as_list(skill.get("alignment"))
        )

    def missing_claims(self, claims: Mapping[str, Any]) -> list[ClaimPath]:
        """The claims asked for that the presentation does not show."""
        return [path for path in self.claims if not select_claim(claims, path)]


ANY_SKILL = (SkillQuery("skills"),)


def _parse_claims(raw: Any, where: str) -> tuple[ClaimPath, ...]:
    """``["skill", ["assessment", "method"], ["evidence", null]]`` -> claims path queries."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_CLAIM_QUERIES:
        raise RequestError(f"{where} must be an array of 1-{MAX_CLAIM_QUERIES} claim paths")
    paths: list[ClaimPath] = []
    for index, item in enumerate(raw):
        path = [item] if isinstance(item, str) else item
        if (
            not isinstance(path, list)
            or not 1 <= len(path) <= 5
            or not isinstance(path[0], str)
            or not all(
                (isinstance(p, str) and 0 < len(p) <= 100)
                or p is None
                or (isinstance(p, int) and not isinstance(p, bool) and p >= 0)
                for p in path
            )
        ):
            raise RequestError(
                f"{where}[{index}] must be a claim name or a path: 1-5 names, array "
                "indexes or null (every element), starting with a name"
            )
        if path[0] in _NOT_CLAIMS:
            raise RequestError(
                f"{where}[{index}]: {path[0]!r} is part of every SD-JWT VC, not a claim to ask for"
            )
        if tuple(path) in paths:
            raise RequestError(f"{where} names {claim_pointer(tuple(path))} twice")
        paths.append(tuple(path))
    return tuple(paths)


def parse_query(raw: Any) -> tuple[SkillQuery, ...]:
    """``{"skills": [{"id"?, "achievement"?, "alignment"?, "achievementType"?,
    "required"?}]}`` -> skill queries; absent or ``{}``: any skill credential."""
    if raw is None:
        return ANY_SKILL
    if not isinstance(raw, Mapping):
        raise RequestError("query must be a JSON object with a list of skills")
    unknown = sorted(set(raw) - {"skills", "format"})
    if unknown:
        raise RequestError(
            f"query.{unknown[0]} is not a field of a query; it takes skills and format"
        )
    default_format = raw.get("format", LDP_VC)
    if default_format not in FORMATS:
        raise RequestError(f"query.format must be one of {', '.join(FORMATS)}")
    skills = raw.get("skills")
    implicit = skills is None
    if implicit and default_format == LDP_VC:
        return ANY_SKILL
    if implicit:
        skills = [{"id": ANY_SKILL[0].id}]
    if not isinstance(skills, list) or not skills:
        raise RequestError("query.skills must be a non-empty array")
    if len(skills) > MAX_SKILL_QUERIES:
        raise RequestError(f"query.skills holds {len(skills)} entries; at most {MAX_SKILL_QUERIES}")
    queries: list[SkillQuery] = []
    for index, item in enumerate(skills):
        where = f"query.skills[{index}]"
        if not isinstance(item, Mapping):
            raise RequestError(f"{where} must be a JSON object")
        unknown = sorted(
            set(item)
            - {"id", "achievement", "alignment", "achievementType", "required", "format", "claims"}
        )
        if unknown:
            raise RequestError(
                f"{where}.{unknown[0]} is not a field of a skill query; it takes id, "
                "achievement, alignment, achievementType, required, format and claims"
            )
        query_id = item.get("id", f"skill_{index}")
        if (
            not isinstance(query_id, str)
            or not query_id
            or len(query_id) > 64
            or not set(query_id) <= _ID_CHARS
        ):
            raise RequestError(
                f"{where}.id must be 1-64 letters, digits, '_' or '-' (a DCQL credential query id)"
            )
        for name in ("achievement", "alignment"):
            value = item.get(name)
            if value is not None and (
                not isinstance(value, str) or ":" not in value or len(value) > 500
            ):
                raise RequestError(f"{where}.{name} must be a URI")
        kind = item.get("achievementType")
        if kind is not None and kind not in ACHIEVEMENT_TYPES:
            raise RequestError(
                f"{where}.achievementType must be one of {', '.join(ACHIEVEMENT_TYPES)}"
            )
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise RequestError(f"{where}.required must be true or false")
        wanted = item.get("format", default_format)
        if wanted not in FORMATS:
            raise RequestError(f"{where}.format must be one of {', '.join(FORMATS)}")
        claims: tuple[ClaimPath, ...] = ()
        if wanted == SD_JWT_VC:
            raw_claims = item.get("claims")
            claims = DEFAULT_CLAIMS if raw_claims is None else _parse_claims(raw_claims, where)
        elif "claims" in item:
            raise RequestError(
                f"{where}.claims: only a dc+sd-jwt credential is shown claim by claim; an "
                "ldp_vc credential is shown whole"
            )
        queries.append(
            SkillQuery(
                query_id,
                item.get("achievement"),
                item.get("alignment"),
                kind,
                required,
                wanted,
                claims,
            )
        )
    if len({q.format for q in queries}) > 1:
        raise RequestError(
            "query.skills asks for ldp_vc and dc+sd-jwt at once; ask for one format per request"
        )
    ids = [q.id for q in queries]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise RequestError(f"query.skills has the id {duplicate!r} twice")
    if not any(q.required for q in queries):
        raise RequestError("query.skills must ask for at least one skill as required")
    return tuple(queries)


def parse_purpose(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_PURPOSE_LENGTH:
        raise RequestError(f"purpose must be a text of 1-{MAX_PURPOSE_LENGTH} characters")
    return raw.strip()


def _sd_jwt_credential_query(query: SkillQuery, vcts: Mapping[str, str]) -> dict[str, Any]:
    """A DCQL credential query for an SD-JWT VC (Appendix B.3.1): its ``vct`` values and the
    claims asked for, the skill filters as claims with ``values``."""
    kind = query.achievement_type
    wanted = [vcts[kind]] if kind is not None and kind in vcts else sorted(set(vcts.values()))
    claims: list[dict[str, Any]] = [{"path": list(path)} for path in query.claims]
    filters: list[tuple[list[Any], str | None]] = [
        (["skill", "id"], query.achievement),
        (["skill", "alignment", None, "targetUrl"], query.alignment),
    ]
    for path, value in filters:
        if value is not None:
            claims.append({"path": path, "values": [value]})
    return {
        "id": query.id,
        "format": SD_JWT_VC,
        "meta": {"vct_values": wanted},
        "claims": claims,
    }


def dcql_query(
    queries: Sequence[SkillQuery], *, vcts: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The DCQL query (OpenID4VP 1.0 §6) for skill credentials as ``ldp_vc``, or as
    ``dc+sd-jwt`` (``vcts``: the vct of each achievementType)."""
    credentials: list[dict[str, Any]] = []
    for query in queries:
        if query.format == SD_JWT_VC:
            if not vcts:
                raise RequestError("this verifier does not ask for dc+sd-jwt credentials")
            credentials.append(_sd_jwt_credential_query(query, vcts))
            continue
        credential: dict[str, Any] = {
            "id": query.id,
            "format": "ldp_vc",
            "multiple": True,
            "meta": {"type_values": [[VC_TYPE_IRI, OPEN_BADGE_TYPE_IRI]]},
        }
        claims: list[dict[str, Any]] = []
        if query.achievement is not None:
            claims.append(
                {
                    "path": ["credentialSubject", "achievement", "id"],
                    "values": [query.achievement],
                }
            )
        if query.alignment is not None:
            claims.append(
                {
                    "path": ["credentialSubject", "achievement", "alignment", None, "targetUrl"],
                    "values": [query.alignment],
                }
            )
        if query.achievement_type is not None:
            claims.append(
                {
                    "path": ["credentialSubject", "achievement", "achievementType"],
                    "values": [query.achievement_type],
                }
            )
        if claims:
            credential["claims"] = claims
        credentials.append(credential)
    dcql: dict[str, Any] = {"credentials": credentials}
    if not all(q.required for q in queries):
        # §6.2: without credential_sets every credential query is required.
        dcql["credential_sets"] = [{"options": [[q.id]], "required": q.required} for q in queries]
    return dcql


def vpr_query(queries: Sequence[SkillQuery], *, purpose: str | None) -> list[dict[str, Any]]:
    """The ``query`` of a VerifiablePresentationRequest: DIDAuthentication (the holder
    proves control of a DID) and one QueryByExample per skill query.

    Shaped as the Learner Credential Wallet reads it (app/lib/exchanges.ts): each
    ``credentialQuery`` one object, its ``example`` matched key by key against the
    credentials held — arrays by their literal members, objects recursively. So the
    example names only literals (the types, the achievement's id and type); a framework
    alignment, an array of objects there, is checked by this verifier on the answer."""
    query: list[dict[str, Any]] = [
        {"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}, {"method": "web"}]}
    ]
    for skill in queries:
        achievement: dict[str, Any] = {}
        if skill.achievement is not None:
            achievement["id"] = skill.achievement
        if skill.achievement_type is not None:
            achievement["achievementType"] = skill.achievement_type
        example: dict[str, Any] = {"type": ["VerifiableCredential", "OpenBadgeCredential"]}
        if achievement:
            example["credentialSubject"] = {"achievement": achievement}
        credential_query: dict[str, Any] = {"required": skill.required, "example": example}
        if purpose is not None:
            credential_query["reason"] = purpose
        query.append({"type": "QueryByExample", "credentialQuery": credential_query})
    return query


@dataclass(frozen=True, slots=True)
class Answer:
    """The presentations a wallet sent, each with the ids of the queries it answers."""

    presentations: tuple[tuple[Mapping[str, Any], tuple[str, ...]], ...]
    #: dc+sd-jwt answers: (the query id, the SD-JWT+KB)
    sd_jwts: tuple[tuple[str, str], ...] = ()


class ResponseMismatch(ValueError):
    """An answer that does not answer the request (OpenID4VP ``invalid_request``)."""


def parse_vp_token(raw: Any, queries: Sequence[SkillQuery]) -> Answer:
    """A ``vp_token`` (OpenID4VP 1.0 §8.1): a JSON object keyed by credential query id,
    each value a non-empty array of presentations (for ``ldp_vc``, JSON objects)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ResponseMismatch("vp_token is not JSON") from exc
    if not isinstance(raw, Mapping) or not raw:
        raise ResponseMismatch(
            "vp_token must be a JSON object keyed by the DCQL credential query ids"
        )
    known = {q.id: q for q in queries}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ResponseMismatch(f"vp_token answers {unknown[0]!r}, which was not asked for")
    presentations: list[tuple[Mapping[str, Any], tuple[str, ...]]] = []
    sd_jwts: list[tuple[str, str]] = []
    for query_id, value in raw.items():
        items = value if isinstance(value, list) else None
        if not items:
            raise ResponseMismatch(
                f"vp_token[{query_id!r}] must be a non-empty array of presentations"
            )
        if known[query_id].format == SD_JWT_VC:
            for item in items:
                if not isinstance(item, str) or "~" not in item:
                    raise ResponseMismatch(
                        f"vp_token[{query_id!r}] must hold SD-JWT+KB strings (dc+sd-jwt)"
                    )
                sd_jwts.append((query_id, item))
            continue
        for item in items:
            if isinstance(item, str):
                raise ResponseMismatch(
                    f"vp_token[{query_id!r}] holds a string; ldp_vc presentations are JSON objects"
                )
            if not isinstance(item, Mapping):
                raise ResponseMismatch(f"vp_token[{query_id!r}] holds a non-object")
            presentations.append((item, (query_id,)))
    return Answer(tuple(presentations), tuple(sd_jwts))


def check_answer(answer: Answer, queries: Sequence[SkillQuery]) -> None:
    """Every credential sent matches the query it answers, and every required query is
    answered by at least one credential. Raises ResponseMismatch."""
    by_id = {q.id: q for q in queries}
    answered: set[str] = {query_id for query_id, _text in answer.sd_jwts}
    for presentation, query_ids in answer.presentations:
        credentials = as_list(presentation.get("verifiableCredential"))
        if not credentials:
            raise ResponseMismatch("a presentation in the answer holds no credential")
        for query_id in query_ids:
            query = by_id[query_id]
            for index, credential in enumerate(credentials):
                if not query.matches(credential):
                    raise ResponseMismatch(
                        f"verifiableCredential[{index}] sent for {query_id!r} is not a skill "
                        "credential that query asks for"
                    )
            answered.add(query_id)
    missing = [q.id for q in queries if q.required and q.id not in answered]
    if missing:
        raise ResponseMismatch(f"no credential was sent for the required query {missing[0]!r}")


def match_presentation(presentation: Any, queries: Sequence[SkillQuery]) -> Answer:
    """A VC-API answer (one presentation): each credential is assigned to the queries it
    matches; one that matches none, or a required query left unanswered, is a mismatch."""
    if not isinstance(presentation, Mapping):
        raise ResponseMismatch("verifiablePresentation must be a JSON object")
    credentials = as_list(presentation.get("verifiableCredential"))
    if not credentials:
        raise ResponseMismatch("the presentation holds no credential")
    answered: set[str] = set()
    for index, credential in enumerate(credentials):
        matching = [q.id for q in queries if q.matches(credential)]
        if not matching:
            raise ResponseMismatch(
                f"verifiableCredential[{index}] is not a skill credential this request asks for"
            )
        answered.update(matching)
    missing = [q.id for q in queries if q.required and q.id not in answered]
    if missing:
        raise ResponseMismatch(f"no credential was sent for the required query {missing[0]!r}")
    return Answer(((presentation, tuple(sorted(answered))),))
