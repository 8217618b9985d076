"""The skills passport profile (v2): skill definitions and skill-shaped issuance.

A provider registers its skills once (name, criteria, framework alignment, ordered
levels); a skill-shaped request (holder, skill, level, assessment) then becomes a complete
Open Badges 3.0 ``OpenBadgeCredential`` on VC 2.0 in standard terms only — the VC 2.0 and
Open Badges 3.0 contexts and nothing else, so any verifier that knows those checks it
offline — that passes this profile's schema (and 1EdTech's AchievementCredential schema
where its single-object ``credentialStatus`` allows) before it is signed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from skillcred.core.datetimes import DateTimeFormatError, format_date_time, parse_date_time, utc_now
from skillcred.core.jsonld.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from skillcred.core.schemas import OB_ACHIEVEMENT_CREDENTIAL, SKILLS_PROFILE_V2, JsonSchemaChecker
from skillcred.errors import ConflictError, DataModelError, NotFoundError
from skillcred.services.remote import TtlCache
from skillcred.storage.db import Database
from skillcred.storage.models import Provider, SkillDefinition
from skillcred.storage.repositories import Providers, SkillDefinitions
from skillcred.storage.unit_of_work import DuplicateError

#: profile v1's context and schema, under each deployment's URL: served for the
#: credentials issued before profile v2, never named by new ones
SKILLS_CONTEXT_PATH = "/contexts/skills/v1"
#: marks a safety-critical skill in ``achievement.tag`` (profile v1: ``safetyCritical``)
SAFETY_CRITICAL_TAG = "safety-critical"
ESCO_SKILL = re.compile(
    r"https?://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
EQF = "http://data.europa.eu/snb/eqf/"
METHODS = (
    "practical",
    "written",
    "oral",
    "observation",
    "portfolio",
    "simulation",
    "recognition-of-prior-learning",
)
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class FrameworkAlignment(BaseModel):
    """Where the skill sits in a framework: an ESCO skill, CompetentNL, a sector framework."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="The skill's URI in the framework, e.g. an ESCO skill URI.")
    framework: Text = Field(default="ESCO", description="The framework's name.")
    name: Text | None = Field(default=None, description="The skill's name in the framework.")
    code: Text | None = Field(default=None, description="Its code there (default: from the URI).")

    @model_validator(mode="after")
    def _url_fits_framework(self) -> FrameworkAlignment:
        is_esco = self.framework.upper() == "ESCO" or "data.europa.eu/esco" in self.url
        if is_esco and not ESCO_SKILL.fullmatch(self.url):
            raise ValueError(
                "url must be an ESCO skill URI: http://data.europa.eu/esco/skill/<uuid>"
            )
        if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", self.url):
            raise ValueError("url must be an http(s) URI")
        return self


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Text
    description: Text | None = None
    eqf: int | None = Field(default=None, ge=1, le=8, description="EQF level 1-8, if it applies.")


class SkillDefinitionIn(BaseModel):
    """A skill a provider assesses, registered once and issued by reference."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "key": "mig-fillet",
                    "name": "MIG/MAG fillet welding",
                    "criteria": "Practical test per EN ISO 9606-1, visual and macro inspection.",
                    "achievementType": "Certification",
                    "safetyCritical": True,
                    "validityMonths": 24,
                    "alignment": [
                        {
                            "framework": "ESCO",
                            "url": "http://data.europa.eu/esco/skill/a5e5e6a4-9c3b-4e2d-8f3c-8b6a0f1f2d3e",
                            "name": "weld metal parts",
                        }
                    ],
                    "levels": [
                        {"key": "basic", "name": "Basic", "eqf": 2},
                        {"key": "independent", "name": "Independent", "eqf": 3},
                        {"key": "expert", "name": "Expert", "eqf": 4},
                    ],
                }
            ]
        },
    )

    key: Key = Field(description="The provider's own reference, e.g. 'mig-fillet'.")
    name: Text
    description: Text | None = None
    criteria: Text = Field(description="What the holder had to show.")
    achievementType: Literal["Competency", "Certification", "License"] = "Competency"
    safetyCritical: bool = False
    validityMonths: int | None = Field(default=None, ge=1, le=240)
    alignment: list[FrameworkAlignment] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1, description="Ordered, lowest first.")

    @field_validator("levels")
    @classmethod
    def _unique_levels(cls, levels: list[Level]) -> list[Level]:
        keys = [level.key for level in levels]
        if len(set(keys)) != len(keys):
            raise ValueError("level keys must be unique")
        return levels


class Holder(BaseModel):
    # What _one_identifier checks, said in the schema too (so clients and fuzzers see it).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["id"]}, {"required": ["email"]}]},
    )

    id: str | None = Field(
        default=None,
        description="The worker's DID (or a urn:).",
        json_schema_extra={"pattern": r"^(did:[a-z0-9]+:|urn:)\S+$"},
    )
    email: str | None = Field(
        default=None,
        description="Hashed into the credential, never shown.",
        json_schema_extra={"pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"},
    )
    name: Text | None = Field(default=None, description="Only when the provider wants it shown.")

    @model_validator(mode="after")
    def _one_identifier(self) -> Holder:
        if self.id is None and self.email is None:
            raise ValueError("a holder needs an id (a DID) or an email address")
        if self.id is not None and not re.fullmatch(r"(did:[a-z0-9]+:|urn:)\S+", self.id):
            raise ValueError("id must be a DID or a urn:")
        if self.email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.email):
            raise ValueError("email is not an email address")
        return self


class Assessor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    id: str | None = None
    qualification: Text | None = None


class AssessingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    id: str | None = None


class Assessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal[METHODS]  # type: ignore[valid-type]
    date: str = Field(description="When it was assessed: a date (2026-02-27) or date-time.")
    assessor: Assessor
    narrative: Text | None = None
    body: AssessingBody | None = Field(default=None, description="The assessing organisation.")

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            value += "T00:00:00Z"
        try:
            parse_date_time(value, require_zone=True)
        except DateTimeFormatError as exc:
            raise ValueError(str(exc)) from exc
        return value


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    url: str | None = None
    narrative: Text | None = None


class SkillCredentialRequest(BaseModel):
    """One skill of one holder: becomes a signed Open Badges 3.0 credential."""

    model_config = ConfigDict(extra="forbid")

    holder: Holder
    skill: Key | SkillDefinitionIn = Field(
        description="A registered skill's key, or a skill defined in place."
    )
    level: Key = Field(description="The key of the level reached.")
    assessment: Assessment
    validFrom: str | None = None
    validUntil: str | None = Field(default=None, description="Default: the skill's validityMonths.")
    evidence: list[EvidenceIn] = Field(default_factory=list)
    cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] = "eddsa-rdfc-2022"


def achievement_id(base_url: str, provider: Provider, key: str) -> str:
    return f"{base_url}/providers/{provider.slug}/skills/{key}"


def build_achievement(definition: SkillDefinitionIn, *, identifier: str) -> dict[str, Any]:
    """The Open Badges Achievement for a skill definition."""
    levels = [
        {
            "id": f"{identifier}#level-{level.key}",
            "type": ["RubricCriterionLevel"],
            "name": level.name,
            **({"description": level.description} if level.description else {}),
            **({"level": f"{EQF}{level.eqf}"} if level.eqf else {}),
        }
        for level in definition.levels
    ]
    achievement: dict[str, Any] = {
        "id": identifier,
        "type": ["Achievement"],
        "achievementType": definition.achievementType,
        "name": definition.name,
        "description": definition.description or definition.criteria,
        "criteria": {"narrative": definition.criteria},
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": a.name or definition.name,
                "targetUrl": a.url,
                "targetFramework": a.framework,
                "targetCode": a.code or a.url.rstrip("/").rsplit("/", 1)[-1],
            }
            for a in definition.alignment
        ],
        "resultDescription": [
            {
                "id": f"{identifier}#levels",
                "type": ["ResultDescription"],
                "name": "Level",
                "resultType": "RubricCriterionLevel",
                "allowedValue": [level.name for level in definition.levels],
                "rubricCriterionLevel": levels,
            }
        ],
    }
    if definition.safetyCritical:
        achievement["tag"] = [SAFETY_CRITICAL_TAG]
    return achievement


def safety_critical(achievement: Mapping[str, Any]) -> bool:
    return SAFETY_CRITICAL_TAG in achievement.get("tag", ())


def level_keys(achievement: Mapping[str, Any]) -> dict[str, str]:
    """level key -> rubric level id."""
    out = {}
    for description in achievement.get("resultDescription", []):
        for level in description.get("rubricCriterionLevel", []):
            out[str(level["id"]).rsplit("#level-", 1)[-1]] = str(level["id"])
    return out


def suspendable(achievement: Mapping[str, Any], credential: Mapping[str, Any]) -> bool:
    """Safety certificates can be suspended as well as revoked."""
    return bool(
        achievement.get("achievementType") in ("Certification", "License")
        or safety_critical(achievement)
        or "validUntil" in credential
    )


class SkillService:
    def __init__(
        self,
        database: Database,
        *,
        base_url: str,
        schemas: JsonSchemaChecker,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.base_url = base_url
        self.schemas = schemas
        self.clock = clock
        self._stored = TtlCache()

    # --- definitions -------------------------------------------------------------------

    def stored(self, provider: Provider, key: str) -> Mapping[str, Any] | None:
        """A registered definition, kept a few seconds per worker (a class of thousands
        names the same few skills; definitions are never changed in place)."""
        cache_key = f"{provider.id} {key}"
        cached: Mapping[str, Any] | None = self._stored.get(cache_key)
        if cached is not None:
            return cached
        with self.database.reading() as session:
            row = SkillDefinitions(session).get(provider.id, key)
        stored = None if row is None else orjson.loads(row.achievement)
        if stored is not None:
            self._stored.put(cache_key, stored, 5.0)
        return stored

    def register(self, provider: Provider, definition: SkillDefinitionIn) -> dict[str, Any]:
        identifier = achievement_id(self.base_url, provider, definition.key)
        achievement = build_achievement(definition, identifier=identifier)
        extra = {"validityMonths": definition.validityMonths} if definition.validityMonths else {}
        row = SkillDefinition(
            id=str(uuid.uuid4()),
            provider_id=provider.id,
            key=definition.key,
            achievement=orjson.dumps({"achievement": achievement, **extra}).decode(),
            created_at=self.clock(),
        )
        try:
            with self.database.writing() as session:
                SkillDefinitions(session).add(row)
        except DuplicateError as exc:
            raise ConflictError(f"skill {definition.key!r} is registered already") from exc
        return self.definition_json(row)

    @staticmethod
    def definition_json(row: SkillDefinition) -> dict[str, Any]:
        stored = orjson.loads(row.achievement)
        return {"key": row.key, **stored}

    def definitions(self, provider: Provider) -> list[dict[str, Any]]:
        with self.database.reading() as session:
            rows = SkillDefinitions(session).all_for(provider.id)
        return [self.definition_json(row) for row in rows]

    def definition(self, provider: Provider, key: str) -> dict[str, Any]:
        with self.database.reading() as session:
            row = SkillDefinitions(session).get(provider.id, key)
        if row is None:
            raise NotFoundError(f"skill: this provider has registered no skill {key!r}")
        return self.definition_json(row)

    def public_definition(self, slug: str, key: str) -> dict[str, Any]:
        """A provider's skill, by the provider's slug (its public achievement URL)."""
        with self.database.reading() as session:
            provider = Providers(session).by_slug(slug)
            row = None if provider is None else SkillDefinitions(session).get(provider.id, key)
        if provider is None:
            raise NotFoundError(f"there is no provider {slug!r}")
        if row is None:
            raise NotFoundError(f"skill: this provider has registered no skill {key!r}")
        return self.definition_json(row)

    # --- credentials ---------------------------------------------------------------------

    def build(
        self,
        provider: Provider,
        request: SkillCredentialRequest,
        *,
        stored: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The unsigned credential (without status) for a skill-shaped request."""
        if isinstance(request.skill, SkillDefinitionIn):
            achievement = build_achievement(
                request.skill,
                identifier=achievement_id(self.base_url, provider, request.skill.key),
            )
            validity_months = request.skill.validityMonths
        else:
            if stored is None:
                raise DataModelError(
                    f"skill: this provider has registered no skill {request.skill!r}"
                )
            achievement = dict(stored["achievement"])
            validity_months = stored.get("validityMonths")
        levels = level_keys(achievement)
        if request.level not in levels:
            raise DataModelError(
                f"level: {request.level!r} is not a level of this skill "
                f"(its levels: {', '.join(levels)})"
            )
        now = self.clock()
        valid_from = request.validFrom or format_date_time(now)
        try:
            start = parse_date_time(valid_from, require_zone=True)
        except DateTimeFormatError as exc:
            raise DataModelError(f"validFrom: {exc}") from exc
        valid_until = request.validUntil
        if valid_until is None and validity_months:
            valid_until = format_date_time(start + timedelta(days=round(validity_months * 30.4375)))
        if valid_until is not None:
            try:
                end = parse_date_time(valid_until, require_zone=True)
            except DateTimeFormatError as exc:
                raise DataModelError(f"validUntil: {exc}") from exc
            if end <= start:
                raise DataModelError(
                    f"validUntil: {valid_until} is not after validFrom {valid_from}"
                )

        subject: dict[str, Any] = {"type": ["AchievementSubject"]}
        holder = request.holder
        if holder.id is not None:
            subject["id"] = holder.id
        if holder.email is not None:
            salt = secrets.token_hex(8)
            digest = hashlib.sha256((holder.email.strip().lower() + salt).encode()).hexdigest()
            subject["identifier"] = [
                {
                    "type": "IdentityObject",
                    "identityHash": f"sha256${digest}",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ]
        if holder.name is not None:
            subject["name"] = holder.name
        subject["activityEndDate"] = request.assessment.date
        subject["achievement"] = achievement
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": achievement["resultDescription"][0]["id"],
                "achievedLevel": levels[request.level],
                "status": "Completed",
            }
        ]
        if request.assessment.body is not None:
            subject["source"] = {
                "id": request.assessment.body.id or f"urn:uuid:{uuid.uuid4()}",
                "type": ["Profile"],
                "name": request.assessment.body.name,
            }
        assessment = request.assessment
        # Profile v2: the assessment in Open Badges terms alone — the method as the
        # evidence's genre, the assessor (and qualification) in its description.
        evidence: list[dict[str, Any]] = [
            {
                "type": ["Evidence"],
                "name": f"{assessment.method.capitalize()} assessment",
                "genre": assessment.method,
                "description": assessed_by(assessment.assessor, assessment.date),
            }
        ]
        if assessment.narrative:
            evidence[0]["narrative"] = assessment.narrative
        for item in request.evidence:
            entry: dict[str, Any] = {"type": ["Evidence"], "name": item.name}
            if item.url:
                entry["id"] = item.url
            if item.narrative:
                entry["narrative"] = item.narrative
            evidence.append(entry)

        credential: dict[str, Any] = {
            "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": achievement["name"],
            "issuer": {"id": provider.did, "type": ["Profile"], "name": provider.name},
            "validFrom": valid_from,
            "credentialSubject": subject,
            "evidence": evidence,
        }
        if valid_until is not None:
            credential["validUntil"] = valid_until
        schemas = [{"id": SKILLS_PROFILE_V2, "type": "JsonSchema"}]
        if not suspendable(achievement, credential):
            # One status object: 1EdTech's schema holds too (it takes no array, so a
            # credential with a suspension entry beside revocation cannot name it).
            schemas.insert(0, {"id": OB_ACHIEVEMENT_CREDENTIAL, "type": "JsonSchema"})
        credential["credentialSchema"] = schemas
        return credential

    def validate_schemas(self, credential: Mapping[str, Any]) -> None:
        """Every schema the credential names must pass before it is signed."""
        problems = []
        for entry in credential.get("credentialSchema", []):
            problems.extend(self.schemas.validate(credential, entry))
        if problems:
            raise DataModelError("; ".join(p.detail for p in problems))


def assessed_by(assessor: Assessor, date: str) -> str:
    """``Assessed by J. de Vries (IWI-C welding inspector) on 2026-02-27.``"""
    extra = [part for part in (assessor.qualification, assessor.id) if part]
    who = assessor.name + (f" ({'; '.join(extra)})" if extra else "")
    return f"Assessed by {who} on {date[:10]}."


def draft_skill_credential(
    skills: SkillService, provider: Provider, request: SkillCredentialRequest
) -> tuple[dict[str, Any], list[str]]:
    """The unsigned credential and the status purposes it gets."""
    stored = None
    if isinstance(request.skill, str):
        stored = skills.stored(provider, request.skill)
    credential = skills.build(provider, request, stored=stored)
    achievement = credential["credentialSubject"]["achievement"]
    purposes = (
        ["revocation", "suspension"] if suspendable(achievement, credential) else ["revocation"]
    )
    return credential, purposes
