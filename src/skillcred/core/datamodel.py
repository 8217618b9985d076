"""The data-model rules of VC 2.0 (and VC 1.1) that a verifier and an issuer enforce.

Only what the JSON shows is checked here; proofs, status and schemas are checked
elsewhere. Each violation is a DataModelError naming the property and the rule.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from skillcred.core.datetimes import DateTimeFormatError, parse_date_time
from skillcred.core.jsonld.loader import CREDENTIALS_V1, CREDENTIALS_V2, shipped_documents
from skillcred.core.status_list import ENTRY_TYPE, ENTRY_TYPES, StatusEntry, parse_entry
from skillcred.core.values import as_list
from skillcred.core.values import is_url as is_url  # part of the data model's vocabulary
from skillcred.errors import DataModelError

Version = Literal["2.0", "1.1"]


@dataclass(frozen=True, slots=True)
class ValidityPeriod:
    valid_from: datetime | None
    valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class StatusReference:
    """One ``credentialStatus`` entry as read once, at the edge: ``entry`` when it is a
    kind this service reads and well formed; otherwise why not (``unreadable``), which a
    verifier reports as an unknown status — never as *valid*."""

    #: the ``statusPurpose`` the entry names ("unknown" when it names none)
    purpose: str
    #: the entry's ``type`` as written
    type: Any
    entry: StatusEntry | None
    #: ``None`` (read), ``"unsupported"`` (a status type not read here) or ``"malformed"``
    unreadable: Literal["unsupported", "malformed"] | None = None
    #: what is wrong with a malformed entry
    detail: str = ""

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> StatusReference:
        purpose = str(raw.get("statusPurpose", "unknown"))
        kind = raw.get("type")
        if kind not in ENTRY_TYPES:
            return cls(purpose, kind, None, "unsupported")
        try:
            return cls(purpose, kind, parse_entry(raw))
        except DataModelError as exc:
            return cls(purpose, kind, None, "malformed", exc.detail)


@dataclass(frozen=True)
class Credential:
    """A credential whose data model was checked (``check_credential``): what the proof,
    validity, status, schema and trust checks read, so none of them re-reads the raw
    document. ``document`` is the JSON as received; it is what the proofs cover."""

    document: Mapping[str, Any]
    version: Version
    period: ValidityPeriod
    #: the issuer's id (a URL: the data model check requires it)
    issuer: str

    @cached_property
    def statuses(self) -> tuple[StatusReference, ...]:
        """The ``credentialStatus`` entries, each read once (on first use: an issuer,
        which refuses malformed entries outright, never needs them)."""
        return tuple(
            StatusReference.read(e) for e in as_list(self.document.get("credentialStatus"))
        )

    @cached_property
    def schemas(self) -> tuple[Mapping[str, Any], ...]:
        """The ``credentialSchema`` entries (objects with a type and an id)."""
        return tuple(as_list(self.document.get("credentialSchema")))


def version_of(document: Mapping[str, Any]) -> Version:
    """VC 2.0 or 1.1, by the first @context (VC 2.0 §4.3, VC 1.1 §4.1)."""
    contexts = document.get("@context")
    if contexts is None:
        raise DataModelError("@context is missing")
    first = as_list(contexts)[0] if as_list(contexts) else None
    if first == CREDENTIALS_V2:
        return "2.0"
    if first == CREDENTIALS_V1:
        return "1.1"
    raise DataModelError(
        f"the first @context must be {json.dumps(CREDENTIALS_V2)} (or {json.dumps(CREDENTIALS_V1)} "
        f"for VC 1.1), not {json.dumps(first)}"
    )


def _check_contexts(document: Mapping[str, Any]) -> Version:
    version = version_of(document)
    for index, entry in enumerate(as_list(document["@context"])):
        if isinstance(entry, str):
            if not is_url(entry):
                raise DataModelError(f"@context[{index}] {json.dumps(entry)} is not a URL")
        elif not isinstance(entry, Mapping):
            raise DataModelError(f"@context[{index}] must be a URL or an object")
    return version


def _check_type(document: Mapping[str, Any], required: str) -> None:
    value = document.get("type")
    if value is None:
        raise DataModelError("type is missing")
    values = as_list(value)
    if not values or not all(isinstance(t, str) and t for t in values):
        raise DataModelError("type must be a string or an array of strings")
    if required not in values:
        raise DataModelError(f"type must include {json.dumps(required)}")


def _check_id(node: Mapping[str, Any], where: str) -> None:
    if "id" in node and not is_url(node["id"]):
        raise DataModelError(f"{where}id {json.dumps(node['id'])} is not a URL")


def _check_typed_objects(document: Mapping[str, Any], name: str, *, need_id: bool) -> None:
    if name not in document:
        return
    entries = as_list(document[name])
    if not entries:
        raise DataModelError(f"{name} must not be empty")
    for index, entry in enumerate(entries):
        where = f"{name}[{index}]" if isinstance(document[name], list) else name
        if not isinstance(entry, Mapping):
            raise DataModelError(f"{where} must be an object")
        if "type" not in entry:
            raise DataModelError(f"{where}.type is missing")
        if not all(isinstance(t, str) and t for t in as_list(entry["type"])) or not as_list(
            entry["type"]
        ):
            raise DataModelError(f"{where}.type must be a string or an array of strings")
        if need_id and "id" not in entry:
            raise DataModelError(f"{where}.id is missing")
        _check_id(entry, where + ".")


_VALUE_OBJECT_KEYS = frozenset({"@value", "@language", "@direction"})


def _check_language_value(document: Mapping[str, Any], name: str) -> None:
    """``name``/``description``: strings or language value objects (VC 2.0 §11.1)."""
    if name not in document:
        return
    for index, entry in enumerate(as_list(document[name])):
        where = f"{name}[{index}]" if isinstance(document[name], list) else name
        if isinstance(entry, str):
            continue
        if isinstance(entry, Mapping) and isinstance(entry.get("@value"), str):
            extra = sorted(set(entry) - _VALUE_OBJECT_KEYS)
            if extra:
                raise DataModelError(
                    f"{where} is a value object with {extra[0]!r}; only @value, @language "
                    "and @direction are allowed"
                )
            continue
        raise DataModelError(f"{where} must be a string or a language value object")


def _date(document: Mapping[str, Any], name: str, *, require_zone: bool) -> datetime | None:
    if name not in document:
        return None
    try:
        return parse_date_time(document[name], require_zone=require_zone)
    except DateTimeFormatError as exc:
        raise DataModelError(f"{name}: {exc}") from exc


# One SRI hash expression (W3C SRI §3.5): algorithm, base64 digest, optional ?options.
_SRI = re.compile(r"(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(\?[\x21-\x7e]*)?")
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def _check_related_resources(
    credential: Mapping[str, Any], resources: Callable[[str], bytes | None]
) -> None:
    """VC 2.0 §5.3: each related resource is an object with a unique URL ``id`` and a
    ``digestSRI`` (sha256/384/512, base64) and/or ``digestMultibase`` (multibase base64url or
    base58btc of a SHA-256 digest); a digest of a resource this service has (the shipped
    contexts) must match those exact bytes."""
    if "relatedResource" not in credential:
        return
    raw = credential["relatedResource"]
    entries = as_list(raw)
    if not entries:
        raise DataModelError("relatedResource must not be empty")
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"relatedResource[{index}]" if isinstance(raw, list) else "relatedResource"
        if not isinstance(entry, Mapping):
            raise DataModelError(f"{where} must be an object with an id and a digest")
        resource = entry.get("id")
        if not is_url(resource):
            raise DataModelError(f"{where}.id must be a URL")
        if resource in seen:
            raise DataModelError(f"{where}.id {json.dumps(resource)} appears twice")
        seen.add(str(resource))
        if "digestSRI" not in entry and "digestMultibase" not in entry:
            raise DataModelError(f"{where} needs a digestSRI or a digestMultibase")
        content = resources(str(resource))
        if "digestSRI" in entry:
            _check_sri(where, entry["digestSRI"], resource, content)
        if "digestMultibase" in entry:
            multibase_digest = _multibase_digest(entry["digestMultibase"])
            if multibase_digest is None or len(multibase_digest) != 32:
                raise DataModelError(
                    f"{where}.digestMultibase must be a multibase (u or z) SHA-256 digest"
                )
            if content is not None and hashlib.sha256(content).digest() != multibase_digest:
                raise DataModelError(
                    f"{where}.digestMultibase does not match the resource {resource} as published"
                )


def _check_sri(where: str, value: Any, resource: Any, content: bytes | None) -> None:
    """An SRI metadata string: one or more hash expressions separated by spaces. Each must
    be well formed; for a resource this service has, one of them must match its bytes."""
    expressions = value.split() if isinstance(value, str) else []
    if not expressions:
        raise DataModelError(
            f"{where}.digestSRI must be sha256-, sha384- or sha512- and a base64 digest"
        )
    matched = False
    for expression in expressions:
        match = _SRI.fullmatch(expression)
        if match is None:
            raise DataModelError(
                f"{where}.digestSRI must be sha256-, sha384- or sha512- and a base64 digest "
                f"(not {json.dumps(expression)})"
            )
        try:
            digest = base64.b64decode(match.group(2), validate=True)
        except ValueError as exc:
            raise DataModelError(f"{where}.digestSRI is not valid base64") from exc
        algorithm = _HASHES[match.group(1)]
        if len(digest) != algorithm().digest_size:
            raise DataModelError(f"{where}.digestSRI has the wrong length for {match.group(1)}")
        if content is not None and algorithm(content).digest() == digest:
            matched = True
    if content is not None and not matched:
        raise DataModelError(
            f"{where}.digestSRI does not match the resource {resource} as published"
        )


def _multibase_digest(value: Any) -> bytes | None:
    if not isinstance(value, str) or len(value) < 2:
        return None
    body = value[1:]
    try:
        if value[0] == "u" and re.fullmatch(r"[A-Za-z0-9_-]+", body):
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        elif value[0] == "z":
            import base58

            raw = bytes(base58.b58decode(body))
        else:
            return None
    except ValueError:
        return None
    # A sha2-256 multihash (0x12, 0x20, digest), as in VC 2.0's examples, or the bare digest.
    if len(raw) == 34 and raw[:2] == b"\x12\x20":
        return raw[2:]
    return raw


_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _check_status_entries(credential: Mapping[str, Any]) -> None:
    """Every object typed BitstringStatusListEntry, wherever it appears, must be one
    (Bitstring Status List v1.0 §2.1): a base-10 index, a purpose, a list URL."""

    # Runs on every credential signed or verified: scalars are passed over without a call,
    # and the path is a linked tuple, spelt out only for an entry.
    def walk(node: Any, path: tuple[Any, str | int] | None) -> None:
        if type(node) is list:
            for index, item in enumerate(node):
                if type(item) not in _SCALARS:
                    walk(item, (path, index))
        elif isinstance(node, Mapping):
            kind = node.get("type")
            if kind == ENTRY_TYPE or (type(kind) is list and ENTRY_TYPE in kind):
                parse_entry(node, where=_spelt(path) or "credential")
            for key, value in node.items():
                if key != "@context" and type(value) not in _SCALARS:
                    walk(value, (path, key))

    walk(credential, None)


def _spelt(path: tuple[Any, str | int] | None) -> str:
    """``a.b[0].c`` from a linked path ``((((None, "a"), "b"), 0), "c")``."""
    parts: list[str | int] = []
    while path is not None:
        path, part = path
        parts.append(part)
    spelt = ""
    for part in reversed(parts):
        if isinstance(part, int):
            spelt += f"[{part}]"
        else:
            spelt += f".{part}" if spelt else str(part)
    return spelt


def _shipped_resource(url: str) -> bytes | None:
    return shipped_documents().get(url)


def check_credential(
    credential: Any,
    *,
    resources: Callable[[str], bytes | None] = _shipped_resource,
    issuing: bool = True,
) -> Credential:
    """Check a credential's data model; return it read (``Credential``).

    An issuer (the default) refuses to sign what a verifier reads leniently
    (``issuing=False``): malformed status entries, which a verifier leaves to the status
    check (what such an entry says is then unknown — never valid — rather than the whole
    credential unreadable), and VC 1.1's ``issuanceDate`` in a VC 2.0 credential.
    """
    if not isinstance(credential, Mapping):
        raise DataModelError("the credential must be a JSON object")
    version = _check_contexts(credential)
    _check_type(credential, "VerifiableCredential")
    _check_id(credential, "")
    if credential.get("issuer") is None:
        raise DataModelError("issuer is missing")
    _check_url_or_node(credential, "issuer")

    subjects = credential.get("credentialSubject")
    if subjects is None:
        raise DataModelError("credentialSubject is missing")
    subject_list = as_list(subjects)
    if not subject_list:
        raise DataModelError("credentialSubject must not be empty")
    for index, subject in enumerate(subject_list):
        at = "credentialSubject" + (f"[{index}]" if isinstance(subjects, list) else "")
        if not isinstance(subject, Mapping):
            raise DataModelError(f"{at} must be an object")
        if not subject:
            raise DataModelError(f"{at} must hold at least one claim")
        _check_id(subject, at + ".")

    for name in ("name", "description"):
        _check_language_value(credential, name)
    issuer = credential["issuer"]
    if isinstance(issuer, Mapping):
        for name in ("name", "description"):
            try:
                _check_language_value(issuer, name)
            except DataModelError as exc:
                raise DataModelError(f"issuer.{exc.detail}") from exc
    _check_related_resources(credential, resources)
    if issuing:
        _check_status_entries(credential)
    for name, need_id in (
        ("credentialStatus", False),
        ("credentialSchema", True),
        ("evidence", False),
        ("termsOfUse", False),
        ("refreshService", False),
        ("renderMethod", False),
    ):
        _check_typed_objects(credential, name, need_id=need_id)

    if version == "2.0":
        # VC 1.1's expirationDate means nothing in VC 2.0: ignoring it could call valid a
        # credential its issuer meant to expire, so it is refused. issuanceDate, which
        # some issuers still add beside a context that defines it, limits nothing: read,
        # it is passed over; it is never signed here.
        if "expirationDate" in credential:
            raise DataModelError(
                "expirationDate is a VC 1.1 property; VC 2.0 uses validUntil, and a VC 2.0 "
                "credential that says when it expires in VC 1.1 terms is not read as valid"
            )
        if issuing and "issuanceDate" in credential:
            raise DataModelError("issuanceDate is a VC 1.1 property; VC 2.0 uses validFrom")
        period = ValidityPeriod(
            _date(credential, "validFrom", require_zone=True),
            _date(credential, "validUntil", require_zone=True),
        )
        if (
            period.valid_from is not None
            and period.valid_until is not None
            and period.valid_until < period.valid_from
        ):
            raise DataModelError("validUntil is before validFrom: the credential is never valid")
    else:
        if "issuanceDate" not in credential:
            raise DataModelError("issuanceDate is missing (required by VC 1.1)")
        period = ValidityPeriod(
            _date(credential, "issuanceDate", require_zone=False),
            _date(credential, "expirationDate", require_zone=False),
        )
    issuer_url = issuer_id(credential)
    assert issuer_url is not None  # _check_url_or_node above
    return Credential(credential, version, period, issuer_url)


def _check_url_or_node(document: Mapping[str, Any], name: str) -> None:
    """``issuer``/``holder``: a URL, or an object whose id is one."""
    value = document[name]
    if isinstance(value, Mapping):
        if not is_url(value.get("id")):
            raise DataModelError(f"{name}.id must be a URL")
    elif not is_url(value):
        raise DataModelError(f"{name} must be a URL or an object with an id")


def _node_id(value: Any) -> str | None:
    """The id of a property that is a URL or an object with an id."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else None


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    return _node_id(credential.get("issuer"))


def check_presentation(presentation: Any) -> Version:
    """Check a presentation's own data model (not the credentials inside it)."""
    if not isinstance(presentation, Mapping):
        raise DataModelError("the presentation must be a JSON object")
    version = _check_contexts(presentation)
    _check_type(presentation, "VerifiablePresentation")
    _check_id(presentation, "")
    if presentation.get("holder") is not None:
        _check_url_or_node(presentation, "holder")
    for index, credential in enumerate(as_list(presentation.get("verifiableCredential"))):
        if not isinstance(credential, Mapping):
            raise DataModelError(f"verifiableCredential[{index}] must be an object")
    return version


def holder_id(presentation: Mapping[str, Any]) -> str | None:
    return _node_id(presentation.get("holder"))
