"""VC-API ``options``, parsed once at the edge into typed models (extra fields forbidden).

The request bodies keep ``options`` as a free JSON object in the OpenAPI document (the
VC-API leaves it open, and each endpoint documents what it understands); the routers turn
it into one of these models before anything else reads it, and every mistake is answered
as a 400 problem naming the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from skillcred.core.cryptosuites import SIGNING_SUITES
from skillcred.core.verifying import Check, parse_checks
from skillcred.errors import RequestError

#: what a wrong type is called in a problem's detail, by pydantic error type
_EXPECTED = {
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "an array of check names",
}


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    #: who reads these options, for the detail of an "unknown option" problem
    reader: ClassVar[str]

    @classmethod
    def parse(cls, raw: Any) -> Self:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise RequestError("options must be a JSON object")
        known = [field.alias or name for name, field in cls.model_fields.items()]
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise RequestError(
                f"unknown option {unknown[0]!r}; this {cls.reader} understands "
                + ", ".join(repr(name) for name in known)
            )
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as exc:
            raise RequestError(_detail(exc)) from exc


def _detail(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = "options." + ".".join(str(part) for part in first["loc"])
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    expected = _EXPECTED.get(first["type"])
    return f"{where} must be {expected}" if expected else f"{where}: {first['msg']}"


class IssueRequestOptions(_Options):
    """``POST /credentials/issue`` options."""

    reader: ClassVar[str] = "issuer"

    cryptosuite: str = "eddsa-rdfc-2022"
    created: str | None = None
    #: the status purposes asked for (None: the default; the status service checks them)
    statusPurposes: Any = None

    @field_validator("cryptosuite")
    @classmethod
    def _known_suite(cls, suite: str) -> str:
        if suite not in SIGNING_SUITES:
            raise ValueError(
                f"unknown cryptosuite {suite!r}; use 'eddsa-rdfc-2022' or 'eddsa-jcs-2022'"
            )
        return suite


class _VerifyOptions(_Options):
    reader: ClassVar[str] = "verifier"

    #: which checks to run besides the proof (None: all)
    checks: list[str] | None = None

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, names: list[str] | None) -> list[str] | None:
        try:
            parse_checks(names)
        except RequestError as exc:
            raise ValueError(exc.detail) from None
        return names

    @property
    def selected_checks(self) -> frozenset[Check] | None:
        return parse_checks(self.checks)


class VerifyCredentialRequestOptions(_VerifyOptions):
    """``POST /credentials/verify`` options."""


class VerifyPresentationRequestOptions(_VerifyOptions):
    """``POST /presentations/verify`` options."""

    challenge: str | None = None
    domain: str | None = None
    allowUnsignedPresentation: bool = Field(default=False)


class SdJwtVerifyOptions(_Options):
    """``POST /credentials/verify`` options for an SD-JWT VC: the KB-JWT's expected
    ``nonce`` (challenge) and ``aud`` (domain). Every check is always run."""

    reader: ClassVar[str] = "SD-JWT VC verifier"

    challenge: str | None = None
    domain: str | None = None
