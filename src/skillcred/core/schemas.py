"""JSON Schema validation of credentials (W3C VC JSON Schema: ``credentialSchema``).

Schemas are found by URL among the ones the project ships (Open Badges 3.0 and the skills
passport profile); others only through an injected fetcher that the caller restricts to
allowed hosts. A schema that cannot be had is a problem, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema_rs

from skillcred.core.proofs import Problem
from skillcred.resources import data_dir

#: credentialSchema types whose ``id`` names a JSON Schema document
SCHEMA_TYPES = ("JsonSchema", "1EdTechJsonSchemaValidator2019")
OB_ACHIEVEMENT_CREDENTIAL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
OB_PROFILE = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"
#: the skills passport profile's schema, by its permanent URL (shipped: never fetched)
SKILLS_PROFILE_V2 = "https://w3id.org/skillcred/schemas/skills/v2.json"
_MAX_REPORTED = 5

Fetch = Callable[[str], bytes]


class SchemaUnusable(Exception):
    """A schema document that is not a valid JSON Schema."""


@cache
def shipped_schemas() -> Mapping[str, Any]:
    """URL -> schema for the schemas in ``schemas/`` (by their $id and published URL)."""
    folder = data_dir("schemas")
    schemas: dict[str, Any] = {}
    for path in sorted(Path(folder).rglob("*.json")):
        schema = json.loads(path.read_bytes())
        if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
            schemas[schema["$id"]] = schema
    ob = folder / "ob"
    schemas[OB_ACHIEVEMENT_CREDENTIAL] = json.loads(
        (ob / "ob_v3p0_achievementcredential_schema.json").read_bytes()
    )
    schemas[OB_PROFILE] = json.loads((ob / "ob_v3p0_profile_schema.json").read_bytes())
    return MappingProxyType(schemas)


class JsonSchemaChecker:
    """A ``SchemaChecker`` (see core.verifying) over known schemas and an optional fetcher."""

    def __init__(
        self,
        schemas: Mapping[str, Any] | None = None,
        *,
        fetch: Fetch | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._schemas = dict(schemas if schemas is not None else shipped_schemas())
        self._schemas.update(extra or {})
        self._fetch = fetch
        self._validators: dict[str, Any] = {}

    def schema(self, url: str) -> Mapping[str, Any]:
        known = self._schemas.get(url)
        if known is not None:
            return known  # type: ignore[no-any-return]
        if self._fetch is None:
            raise LookupError(f"the schema {url} is not known here and was not fetched")
        try:
            document = json.loads(self._fetch(url))
        except ValueError as exc:
            raise LookupError(f"the schema at {url} is not JSON") from exc
        if not isinstance(document, dict):
            raise LookupError(f"the schema at {url} is not a JSON object")
        self._schemas[url] = document
        return document

    def _validator(self, url: str) -> Any:
        # jsonschema-rs: the Open Badges schema takes ~3 us there against ~700 us in the
        # pure-Python jsonschema, and every issued and verified credential is checked.
        validator = self._validators.get(url)
        if validator is None:
            schema = dict(self.schema(url))
            try:
                validator = jsonschema_rs.validator_for(schema, validate_formats=True)
            except (ValueError, jsonschema_rs.ValidationError) as exc:
                raise SchemaUnusable(f"{url} is not a valid JSON Schema: {exc}") from exc
            self._validators[url] = validator
        return validator

    def validate(
        self, credential: Mapping[str, Any], schema_entry: Mapping[str, Any]
    ) -> list[Problem]:
        url = schema_entry.get("id")
        kind = schema_entry.get("type")
        if kind not in SCHEMA_TYPES:
            return [
                Problem(
                    "SCHEMA_TYPE_UNSUPPORTED",
                    "Unsupported schema type",
                    f"credentialSchema type {json.dumps(kind)} is not one this verifier checks "
                    f"({', '.join(SCHEMA_TYPES)})",
                )
            ]
        if not isinstance(url, str):
            return [
                Problem(
                    "MALFORMED_VALUE_ERROR",
                    "Malformed schema reference",
                    "credentialSchema.id must be a URL",
                )
            ]
        try:
            validator = self._validator(url)
        except LookupError as exc:
            return [Problem("SCHEMA_UNAVAILABLE", "Schema unavailable", str(exc))]
        except SchemaUnusable as exc:
            return [Problem("SCHEMA_UNAVAILABLE", "Schema unusable", str(exc))]
        except Exception as exc:  # a fetch failure of any kind: the check could not run
            return [Problem("SCHEMA_UNAVAILABLE", "Schema unavailable", f"{url}: {exc}")]
        return self._validate(validator, credential, url)

    @staticmethod
    def _validate(validator: Any, credential: Mapping[str, Any], url: str) -> list[Problem]:
        if validator.is_valid(credential):
            return []
        errors = sorted(
            validator.iter_errors(credential), key=lambda e: [str(p) for p in e.instance_path]
        )
        problems = [
            Problem(
                "SCHEMA_VALIDATION_ERROR",
                "Does not match its schema",
                f"{_where(error.instance_path)}: {error.message} (schema {url})",
            )
            for error in errors[:_MAX_REPORTED]
        ]
        if len(errors) > _MAX_REPORTED:
            problems.append(
                Problem(
                    "SCHEMA_VALIDATION_ERROR",
                    "Does not match its schema",
                    f"... and {len(errors) - _MAX_REPORTED} more (schema {url})",
                )
            )
        return problems


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the credential"
