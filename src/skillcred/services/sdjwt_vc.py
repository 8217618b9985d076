"""The SD-JWT VC twin of a skill credential (draft-ietf-oauth-sd-jwt-vc, HAIP) and the
Token Status Lists that carry its status.

The twin is made from the stored Data Integrity credential — the same award: skill,
level, holder, assessment, validity — so both say the same and are revoked together.
Its status entry is ``status.status_list = {idx, uri}`` with the index the credential's
revocation entry already holds (never a second allocation: the Bitstring Status List's
guarantees — random, never reused, crash-safe — carry over), in a Token Status List made
from the same rows (``storage/es256.TokenStatuses``): 1 revoked, 2 suspended.

Always visible (SD-JWT VC §3.2.2.2 forbids hiding ``iss``, ``nbf``, ``exp``, ``cnf``,
``vct``, ``status``): the skill, the level, the EQF level, whether it is a safety
certificate, the validity, the issuer. Selectively disclosable: the holder's name and
identifiers, the assessment, the evidence; decoy digests hide how many there are.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from skillcred.core.datetimes import DateTimeFormatError, parse_date_time, utc_now
from skillcred.core.jose import ES256, public_key_from_jwk
from skillcred.core.sdjwt import Disclosable, issue
from skillcred.core.token_status_list import list_token
from skillcred.core.x509ca import load_pem, x5c_value
from skillcred.errors import (
    DataModelError,
    KeyFormatError,
    NotFoundError,
    RequestError,
    StatusListError,
)
from skillcred.services.es256_keys import Es256KeyService, public_key_of
from skillcred.services.providers import ensure_active
from skillcred.services.remote import TtlCache
from skillcred.services.skills import EQF, safety_critical
from skillcred.services.status import LOCAL_READ_SECONDS, MESSAGE, REVOCATION
from skillcred.storage.db import Database
from skillcred.storage.es256 import TokenStatuses
from skillcred.storage.models import Provider
from skillcred.storage.repositories import Credentials, Providers, StatusLists

SD_JWT_VC_TYPE = "dc+sd-jwt"
VCT_PATH = "/vct/skills/"
TOKEN_STATUS_LISTS_PATH = "/token-status-lists/"  # noqa: S105 (a path, no secret)
JWT_VC_ISSUER_PATH = "/.well-known/jwt-vc-issuer"
#: the vct per kind of skill (Open Badges achievementType)
SKILL_KINDS = {"Competency": "competency", "Certification": "certification", "License": "license"}
KIND_NAMES = {
    "competency": ({"en": "Skill", "nl": "Vaardigheid"}),
    "certification": ({"en": "Safety certificate", "nl": "Veiligheidscertificaat"}),
    "license": ({"en": "Licence", "nl": "Vergunning"}),
}
DECOYS = 2


def _etag(body: str) -> str:
    return hashlib.sha256(body.encode("ascii")).hexdigest()[:32]


def _epoch(text: Any, what: str) -> int:
    try:
        return int(parse_date_time(str(text), require_zone=True).timestamp())
    except DateTimeFormatError as exc:
        raise DataModelError(f"{what}: {exc}") from exc


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def skill_claims(document: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The skill kind (vct suffix) and the claims of the twin, from the skill credential
    (skills profile v2; docs/skills-profile.md). Disclosable parts are wrapped."""
    subject = _first(document.get("credentialSubject"))
    if not isinstance(subject, Mapping) or not isinstance(subject.get("achievement"), Mapping):
        raise DataModelError("the credential is not a skill credential (no achievement)")
    achievement = subject["achievement"]
    kind = SKILL_KINDS.get(str(achievement.get("achievementType")), "competency")
    result = _first(subject.get("result")) or {}
    achieved = result.get("achievedLevel") if isinstance(result, Mapping) else None
    level: dict[str, Any] = {"id": achieved}
    eqf_level: int | None = None
    for description in achievement.get("resultDescription", []) or []:
        for rubric in description.get("rubricCriterionLevel", []) or []:
            if rubric.get("id") == achieved:
                level["name"] = rubric.get("name")
                eqf = str(rubric.get("level", ""))
                if eqf.startswith(EQF) and eqf[len(EQF) :].isdigit():
                    eqf_level = int(eqf[len(EQF) :])
    skill: dict[str, Any] = {
        "id": achievement.get("id"),
        "name": achievement.get("name"),
        "type": achievement.get("achievementType"),
    }
    criteria = achievement.get("criteria")
    if isinstance(criteria, Mapping) and criteria.get("narrative"):
        skill["criteria"] = criteria["narrative"]
    alignments = [
        {k: a[k] for k in ("targetUrl", "targetFramework", "targetCode", "targetName") if k in a}
        for a in achievement.get("alignment", []) or []
        if isinstance(a, Mapping)
    ]
    if alignments:
        skill["alignment"] = alignments
    issuer = document.get("issuer")
    claims: dict[str, Any] = {
        "skill": skill,
        "level": {k: v for k, v in level.items() if v is not None},
        "safety_certificate": safety_critical(achievement)
        or achievement.get("achievementType") in ("Certification", "License"),
        "issuer_name": issuer.get("name") if isinstance(issuer, Mapping) else None,
        "issuer_id": issuer.get("id") if isinstance(issuer, Mapping) else issuer,
        "credential_id": document.get("id"),
    }
    if eqf_level is not None:
        claims["eqf_level"] = eqf_level
    if subject.get("name"):
        claims["name"] = Disclosable(subject["name"])
    if subject.get("id"):
        claims["holder_id"] = Disclosable(subject["id"])
    if subject.get("identifier"):
        claims["identifier"] = Disclosable(subject["identifier"])
    assessment: dict[str, Any] = {}
    if subject.get("activityEndDate"):
        assessment["date"] = Disclosable(subject["activityEndDate"])
    if isinstance(subject.get("source"), Mapping) and subject["source"].get("name"):
        assessment["body"] = Disclosable(subject["source"]["name"])
    evidence = [e for e in document.get("evidence", []) or [] if isinstance(e, Mapping)]
    if evidence and evidence[0].get("genre"):
        assessment["method"] = Disclosable(evidence[0]["genre"])
        if evidence[0].get("description"):
            assessment["assessor"] = Disclosable(evidence[0]["description"])
    if assessment:
        claims["assessment"] = assessment
    items = [
        Disclosable({k: e[k] for k in ("id", "name", "narrative", "genre") if k in e})
        for e in evidence
    ]
    if items:
        claims["evidence"] = items
    return kind, {k: v for k, v in claims.items() if v is not None}


@dataclass(slots=True)
class _Token:
    content: str
    body: str
    iat: int


@dataclass(frozen=True, slots=True)
class _LocalList:
    """What a verifier here reads of one of this deployment's token status lists."""

    issuer: str | None
    entries: int
    values: Mapping[int, int]


class SdJwtVcService:
    def __init__(
        self,
        database: Database,
        keys: Es256KeyService,
        *,
        base_url: str,
        ttl_seconds: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.keys = keys
        self.base_url = base_url
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._tokens: dict[str, _Token] = {}
        self._local_lists = TtlCache(max_entries=256)
        self._lock = threading.Lock()

    # --- URLs ----------------------------------------------------------------------

    def vct(self, kind: str) -> str:
        return f"{self.base_url}{VCT_PATH}{kind}"

    def token_list_url(self, list_id: str) -> str:
        return f"{self.base_url}{TOKEN_STATUS_LISTS_PATH}{list_id}"

    def local_token_list_id(self, url: str) -> str | None:
        prefix = self.base_url + TOKEN_STATUS_LISTS_PATH
        rest = url[len(prefix) :] if url.startswith(prefix) else ""
        return rest if rest and "/" not in rest else None

    # --- issuance --------------------------------------------------------------------

    def issue_twin(
        self, provider: Provider, credential_id: str, holder_jwk: Mapping[str, Any]
    ) -> str:
        """The SD-JWT VC (``<JWT>~<disclosures>~``) of a skill credential this provider
        issued, bound to the holder's P-256 key (``cnf.jwk``, from the OpenID4VCI key
        proof). Raises NotFoundError, DataModelError, RequestError (bad key)."""
        ensure_active(provider)
        try:
            public_key_from_jwk(holder_jwk)
        except KeyFormatError as exc:
            raise RequestError(f"holderJwk: {exc.detail}") from exc
        with self.database.reading() as session:
            row = Credentials(session).get(provider.id, credential_id)
            if row is None:
                raise NotFoundError(
                    f"this provider has issued no credential with the id {credential_id!r}"
                )
            document = orjson.loads(row.document)
            entry = StatusLists(session).entry_for(provider.id, row.id, (REVOCATION, MESSAGE))
        kind, claims = skill_claims(document)
        key = self.keys.provider_key(provider)
        now = int(self.clock().timestamp())
        payload: dict[str, Any] = {
            "iss": self.keys.issuer_url(provider),
            "iat": now,
            "vct": self.vct(kind),
            "cnf": {"jwk": {k: holder_jwk[k] for k in ("kty", "crv", "x", "y")}},
        }
        if document.get("validFrom"):
            payload["nbf"] = _epoch(document["validFrom"], "validFrom")
        if document.get("validUntil"):
            payload["exp"] = _epoch(document["validUntil"], "validUntil")
        if entry is not None:
            payload["status"] = {
                "status_list": {"idx": entry.index, "uri": self.token_list_url(entry.list_id)}
            }
        payload.update(claims)
        assert key.certificate is not None
        header = {
            "alg": ES256,
            "typ": SD_JWT_VC_TYPE,
            "kid": key.kid,
            "x5c": x5c_value([load_pem(key.certificate)]),
        }
        return issue(header, payload, self.keys.signer(key), decoys=DECOYS)

    # --- status list tokens -------------------------------------------------------------

    def local_status(self, list_id: str, index: int, *, issuer: str) -> int:
        """The status at ``index`` of this deployment's token status list ``list_id``, read
        from the rows the token is made of (no token is built or parsed), kept per worker
        for ``LOCAL_READ_SECONDS`` as the Data Integrity path keeps its own lists' bits.
        Raises NotFoundError (no such list) or StatusListError (another issuer's, out of
        range)."""
        cached: _LocalList | None = self._local_lists.get(list_id)
        if cached is None:
            with self.database.reading() as session:
                statuses = TokenStatuses(session)
                status_list = statuses.list_row(list_id)
                if status_list is None or status_list.purpose not in (REVOCATION, MESSAGE):
                    raise NotFoundError(f"there is no token status list {list_id!r}")
                provider = Providers(session).by_id(status_list.provider_id)
                owner = self.keys.issuer_url(provider) if provider is not None else None
                cached = _LocalList(owner, status_list.entries, statuses.values(status_list))
            self._local_lists.put(list_id, cached, LOCAL_READ_SECONDS)
        if cached.issuer != issuer:
            raise StatusListError(
                f"the token status list {self.token_list_url(list_id)} belongs to another issuer"
            )
        if index >= cached.entries:
            raise StatusListError(
                f"index {index} is past the end of the token status list "
                f"({cached.entries} entries)",
                code="RANGE_ERROR",
            )
        return cached.values.get(index, 0)

    def status_list_token(self, list_id: str) -> tuple[str, str]:
        """The signed Token Status List for a revocation list (its body and ETag), made
        from the same rows as the Bitstring Status List; re-signed when a status changed
        or half its lifetime has passed. The ETag is the token's own hash: a client that
        holds an expired token never hears "not modified"."""
        with self.database.reading() as session:
            status_list = TokenStatuses(session).list_row(list_id)
            if status_list is None or status_list.purpose not in (REVOCATION, MESSAGE):
                raise NotFoundError(f"there is no token status list {list_id!r}")
            provider = Providers(session).by_id(status_list.provider_id)
            values = TokenStatuses(session).values(status_list)
            size = status_list.entries
        if provider is None:
            raise NotFoundError(f"there is no token status list {list_id!r}")
        content = hashlib.sha256(
            orjson.dumps(sorted(values.items())) + str(size).encode()
        ).hexdigest()[:32]
        now = int(self.clock().timestamp())
        cached = self._tokens.get(list_id)
        if (
            cached is not None
            and cached.content == content
            and now < cached.iat + self.ttl_seconds // 2
        ):
            return cached.body, _etag(cached.body)
        key = self.keys.provider_key(provider)
        assert key.certificate is not None
        body = list_token(
            uri=self.token_list_url(list_id),
            statuses=values,
            size=size,
            iat=now,
            ttl=self.ttl_seconds,
            signer=self.keys.signer(key),
            header={"kid": key.kid, "x5c": x5c_value([load_pem(key.certificate)])},
        )
        with self._lock:
            self._tokens[list_id] = _Token(content, body, now)
        return body, _etag(body)

    # --- metadata --------------------------------------------------------------------

    def issuer_metadata(self, slug: str) -> dict[str, Any]:
        """JWT VC Issuer Metadata (SD-JWT VC §5) of a provider: its ES256 keys (current and
        earlier, not those reported compromised) as a JWKS."""
        with self.database.reading() as session:
            provider = Providers(session).by_slug(slug)
        if provider is None:
            raise NotFoundError(f"there is no provider {slug!r}")
        self.keys.provider_key(provider)  # made now for a provider from before SD-JWT VC
        keys = [
            {**orjson.loads(row.public_jwk), "kid": row.kid, "alg": ES256, "use": "sig"}
            for row in self.keys.keys_of(provider.id)
            if row.compromised_at is None
        ]
        return {"issuer": self.keys.issuer_url(provider), "jwks": {"keys": keys}}

    def type_metadata(self, kind: str) -> dict[str, Any]:
        """SD-JWT VC Type Metadata (§6) for a kind of skill: display in en and nl, the
        claims with their display names and selective disclosure, and a JSON Schema."""
        names = KIND_NAMES.get(kind)
        if names is None:
            raise NotFoundError(f"there is no SD-JWT VC type {kind!r}")
        claim_names: list[tuple[list[Any], str, str, str]] = [
            (["skill"], "Skill", "Vaardigheid", "never"),
            (["skill", "name"], "Skill", "Vaardigheid", "never"),
            (["level"], "Level", "Niveau", "never"),
            (["level", "name"], "Level", "Niveau", "never"),
            (["eqf_level"], "EQF level", "EQF-niveau", "never"),
            (["safety_certificate"], "Safety certificate", "Veiligheidscertificaat", "never"),
            (["issuer_name"], "Issued by", "Uitgegeven door", "never"),
            (["name"], "Name", "Naam", "always"),
            (["holder_id"], "Holder", "Houder", "always"),
            (["identifier"], "Identifier", "Kenmerk", "always"),
            (["assessment", "date"], "Assessed on", "Beoordeeld op", "always"),
            (["assessment", "method"], "Assessment method", "Beoordelingsmethode", "always"),
            (["assessment", "assessor"], "Assessor", "Beoordelaar", "always"),
            (["assessment", "body"], "Assessing body", "Beoordelende instantie", "always"),
            (["evidence", None], "Evidence", "Bewijs", "always"),
        ]
        return {
            "vct": self.vct(kind),
            "name": names["en"],
            "description": f"A {names['en'].lower()} a worker has shown (skills passport)",
            "display": [
                {"lang": "en", "name": names["en"]},
                {"lang": "nl", "name": names["nl"]},
            ],
            "claims": [
                {
                    "path": path,
                    "display": [{"lang": "en", "label": en}, {"lang": "nl", "label": nl}],
                    "sd": sd,
                }
                for path, en, nl, sd in claim_names
            ],
            "schema": self.json_schema(kind),
        }

    def json_schema(self, kind: str) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"skillcred {kind} (SD-JWT VC, disclosed claims)",
            "type": "object",
            "required": ["iss", "vct", "skill", "level", "safety_certificate"],
            "properties": {
                "iss": {"type": "string"},
                "vct": {"const": self.vct(kind)},
                "iat": {"type": "integer"},
                "nbf": {"type": "integer"},
                "exp": {"type": "integer"},
                "skill": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
                "level": {"type": "object", "required": ["id"]},
                "eqf_level": {"type": "integer", "minimum": 1, "maximum": 8},
                "safety_certificate": {"type": "boolean"},
                "issuer_name": {"type": "string"},
                "name": {"type": "string"},
                "assessment": {"type": "object"},
                "evidence": {"type": "array"},
                "cnf": {"type": "object"},
                "status": {"type": "object"},
            },
        }

    def provider_public_keys(self, provider_id: str) -> list[tuple[Any, bool]]:
        """(public key, compromised) of each of a provider's ES256 keys."""
        return [
            (public_key_of(row), row.compromised_at is not None)
            for row in self.keys.keys_of(provider_id)
        ]
