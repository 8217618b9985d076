"""Safe mode: the conditions on which JSON-LD processing would silently lose data or be read
differently by other processors, as jsonld.js reports them in ``lib/events.js``.

Safe mode (the default; ``canonicalize(unsafe_skip_safe_mode=True)`` turns it off) mirrors
jsonld.js "safe mode": every condition for which jsonld.js emits
one of its unsafe warning events (``invalid property``, ``relative @id reference``, ...) raises
:class:`~skillcred.errors.SafeModeError` naming the JSON path and the offending term or value.
A few further conditions on which JSON-LD implementations are known to disagree are refused too;
they are listed in :data:`EXTRA_SAFE_MODE_CHECKS`.

Context processing records its events (:class:`ContextEvent`) with the memoised context, so they
are raised wherever the context is used; expansion raises them where it meets them
(:class:`SafeMode`, which the expansion run extends).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Final, Literal

from skillcred.core.jsonld.syntax import (
    ABSOLUTE_IRI_RE,
    DECIMAL_RE,
    INVALID_IRI_CHARS_RE,
    KEYWORD_RE,
    Expanded,
    Json,
    Path,
    Unsupported,
)
from skillcred.errors import JsonLdError, SafeModeError

__all__ = [
    "EXTRA_SAFE_MODE_CHECKS",
    "SAFE_MODE_EVENTS",
    "ContextEvent",
    "SafeMode",
    "quote",
    "render_path",
    "short",
]

# The event codes for which jsonld.js safe mode fails (lib/events.js, jsonld 9.0), but one:
# "rdfDirection not set" cannot happen, because skillcred (like the eddsa-rdfc-2022 cryptosuite
# and jsonld-signatures) converts to RDF with rdfDirection "i18n-datatype".
SAFE_MODE_EVENTS: Final = frozenset(
    {
        "empty object",
        "free-floating scalar",
        "invalid @language value",
        "invalid property",
        "null @id value",
        "null @value value",
        "object with only @id",
        "object with only @language",
        "object with only @list",
        "object with only @value",
        "relative @id reference",
        "relative @type reference",
        "relative @vocab reference",
        "reserved @id value",
        "reserved @reverse value",
        "reserved term",
        "blank node predicate",
        "relative graph reference",
        "relative object reference",
        "relative predicate reference",
        "relative subject reference",
    }
)
# Conditions skillcred's safe mode refuses beyond jsonld.js: inputs that JSON-LD processors
# (pyld, jsonld.js, and others) turn into different canonical forms, so a signature over them
# would not verify everywhere.
EXTRA_SAFE_MODE_CHECKS: Final = {
    "undefined prefix": "a key or type 'prefix:suffix' whose prefix is not a defined term and not "
    "a common IRI scheme: it becomes the IRI 'prefix:suffix', almost always a missing context",
    "lossy number": "an integer that IEEE doubles cannot hold exactly, or a non-integral number "
    "below 1e-6 in magnitude (jsonld.js writes those as xsd:integer 0)",
    "invalid IRI": "an identifier containing characters that no IRI may contain (spaces, "
    'controls, <>"{}|^`\\), which implementations escape or reject differently',
    "invalid double": "a string typed xsd:double that is not a decimal number",
    "unprocessed keyword": "a keyword such as @vocab used as a key inside data, which expansion "
    "drops",
    "index property not expanded": "a property-valued @index whose property pyld does not expand "
    "and so drops",
    "type-scoped null context": "a type whose scoped context is null: pyld ignores it, jsonld.js "
    "clears the active context",
    "repeated JSON literal": "one node given the same object or array @json literal twice: "
    "jsonld.js writes the quad twice, pyld once",
    "nested list": "an array inside an array inside an explicit @list (not a @list container): "
    "pyld nests it, jsonld.js flattens it",
    "default base direction": "a string that takes the @direction a context gives by default "
    "(not a term definition): jsonld.js and pyld lose that default when they copy the active "
    "context, in different places",
    "conflicting base directions": "one node given the same string twice for one property with "
    "different base directions (or with and without one): the node map keeps only the first one "
    "it meets, so the other direction is lost",
}

# Schemes that are real IRI schemes when they appear as the prefix of a key or a type.
COMMON_SCHEMES: Final = frozenset(
    {
        "http",
        "https",
        "urn",
        "did",
        "tag",
        "mailto",
        "data",
        "ipfs",
        "ipns",
        "ni",
        "ark",
        "doi",
        "info",
        "geo",
        "tel",
        "file",
        "ftp",
        "uuid",
    }
)
_DOUBLE_LIMIT: Final = 2**53


class ContextEvent:
    """A safe-mode event found while processing a context; raised wherever the context is used."""

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def render_path(path: Path) -> str:
    parts: list[str | int] = []
    while path is not None:
        path, key = path
        parts.append(key)
    if not parts:
        return "(document)"
    out: list[str] = []
    for key in reversed(parts):
        if isinstance(key, int):
            out.append(f"[{key}]")
        elif key and all(ch.isalnum() or ch in "_-@:$" for ch in key):
            out.append(f".{key}" if out else key)
        else:
            out.append(f"[{json.dumps(key, ensure_ascii=False)}]")
    return "".join(out)


def quote(value: Json) -> str:
    """A value for a message, in JSON spelling ("term", null, true, ["a"]): never a Python repr
    such as 'term', None, True or ['a'] (messages reach clients in problem details)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return f"a {type(value).__name__}"


def short(value: Json) -> str:
    """:func:`quote`, cut to 80 characters."""
    text = quote(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: what safe mode reports of an identifier or a type that is not an absolute IRI
_NOT_ABSOLUTE: Final = {
    "identifier": (
        "relative @id reference",
        "the identifier {} is not an absolute IRI (there is no base IRI to resolve it "
        "against), so statements about it would be dropped from the signed data",
    ),
    "type": (
        "relative @type reference",
        "the type {} is not defined by any context in scope and is not an absolute IRI, so "
        "it would be dropped from the signed data",
    ),
}


class SafeMode:
    """The safe-mode events of one expansion: raised when ``safe``, else passed over."""

    __slots__ = ("safe",)

    def __init__(self, safe: bool) -> None:
        self.safe = safe

    def event(self, code: str, path: Path, message: str) -> None:
        if self.safe:
            raise SafeModeError(f"{render_path(path)}: {message}")

    def check_absolute(
        self, iri: str | None, raw: str, path: Path, what: Literal["identifier", "type"]
    ) -> None:
        """An identifier (``@id``, an ``@id`` map key) or a type that is no absolute IRI
        would be dropped from the signed data; one that is must hold only IRI characters."""
        if iri is None or not ABSOLUTE_IRI_RE.match(iri):
            code, message = _NOT_ABSOLUTE[what]
            self.event(code, path, message.format(quote(raw)))
        else:
            self.check_iri(iri, path, what)

    def check_iri(self, iri: str, path: Path, what: str) -> None:
        """Extra check: characters that no IRI may contain."""
        if self.safe and INVALID_IRI_CHARS_RE.search(iri):
            self.event(
                "invalid IRI",
                path,
                f"the {what} {quote(iri)} contains characters that are not allowed in an IRI, so "
                "JSON-LD implementations would sign it differently",
            )

    def check_prefix(
        self, terms: Mapping[str, object], raw: str, iri: str, path: Path, what: str
    ) -> None:
        """Extra check: 'prefix:suffix' where prefix is no term and no common scheme."""
        if raw is not iri and raw != iri:
            return
        colon = raw.find(":")
        if colon <= 0:
            return
        prefix = raw[:colon]
        if (
            prefix != "_"
            and not raw.startswith("//", colon + 1)
            and prefix.lower() not in COMMON_SCHEMES
            and prefix not in terms
        ):
            self.event(
                "undefined prefix",
                path,
                f"the {what} {quote(raw)} uses the prefix {quote(prefix)}, which no context in "
                f"scope defines, so it would be signed as the IRI {quote(raw)}",
            )

    def check_number(self, value: Json, path: Path) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int):
            if self.safe and (value > _DOUBLE_LIMIT or value < -_DOUBLE_LIMIT):
                try:
                    exact = float(value) == value
                except OverflowError:
                    exact = False
                if not exact:
                    self.event(
                        "lossy number",
                        path,
                        f"the integer {value} cannot be represented exactly by JSON-LD "
                        "processors that use IEEE doubles (such as JavaScript), so they would "
                        "sign a different number",
                    )
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise JsonLdError(f"{render_path(path)}: NaN and Infinity are not JSON numbers")
            if self.safe and 0 < abs(value) < 1e-6 and not value.is_integer():
                self.event(
                    "lossy number",
                    path,
                    f"the number {quote(value)} is written in canonical form differently by "
                    "JSON-LD processors (jsonld.js signs it as the integer 0)",
                )

    def check_json(self, value: Json, path: Path) -> None:
        """Numbers inside an @json literal."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.check_json(v, (path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.check_json(v, (path, i))
        elif isinstance(value, int | float):
            self.check_number(value, path)
        elif value is not None and not isinstance(value, str):
            raise Unsupported(f"{type(value).__name__} in an @json value")

    def check_double(self, value: Json, path: Path) -> None:
        """Extra check: a string typed xsd:double that processors parse differently."""
        if not isinstance(value, str):
            return
        if DECIMAL_RE.match(value) is None or not math.isfinite(float(value)):
            self.event(
                "invalid double",
                path,
                f"the string {quote(value)} is typed xsd:double but is not a finite decimal "
                "number; JSON-LD processors would sign different forms of it",
            )

    def dropped_object(self, value: Expanded, count: int, path: Path) -> None:
        """The safe-mode events of jsonld.js's _dropUnsafeObject."""
        if count == 0:
            self.event(
                "empty object",
                path,
                "an empty object at the top level or in a graph would be dropped from the "
                "signed data",
            )
        elif "@value" in value:
            self.event(
                "object with only @value",
                path,
                "a value at the top level or directly in a graph is not the value of any "
                "property, so it would be dropped from the signed data",
            )
        elif "@list" in value:
            self.event(
                "object with only @list",
                path,
                "a list at the top level or directly in a graph is not the value of any "
                "property, so it would be dropped from the signed data",
            )
        else:
            self.event(
                "object with only @id",
                path,
                f"the node {short(value.get('@id'))} has only an identifier and stands at the top "
                "level or directly in a graph, so it carries no statement and would be dropped",
            )

    def invalid_property(self, key: str, prop: Json, path: Path) -> None:
        if prop is None and KEYWORD_RE.match(key):
            msg = (
                f"the key {quote(key)} looks like a JSON-LD keyword but is not one, so it would be "
                "dropped from the signed data"
            )
        elif prop is None:
            msg = (
                f"the term {quote(key)} is mapped to null by a context in scope, so it would be "
                "dropped from the signed data"
            )
        else:
            msg = (
                f"the term {quote(key)} is not defined by any context in scope, so it would be "
                "dropped from the signed data"
            )
        self.event("invalid property", path, msg)

    def check_property(
        self, terms: Mapping[str, object], key: str, prop: str, is_term: bool, path: Path
    ) -> None:
        if prop.startswith("_:"):
            self.event(
                "blank node predicate",
                path,
                f"the term {quote(key)} expands to the blank node {quote(prop)}, which cannot be a "
                "property in RDF, so it would be dropped from the signed data",
            )
        self.check_iri(prop, path, "property")
        if not is_term:
            self.check_prefix(terms, key, prop, path, "key")

    def default_direction(self, direction: str, path: Path) -> None:
        """A string would take the default base direction of a context (§5.3 step 4.3).

        jsonld.js and pyld lose a context's ``@direction`` whenever they copy the active context
        (their clone functions leave it out): jsonld.js when any later context is processed, pyld
        in fewer places, the specification never.  Where it survives differs between them, so
        safe mode refuses and otherwise it is Unsupported (the tests' pyld oracle decides).
        """
        if self.safe:
            self.event(
                "default base direction",
                path,
                f"the string would take the base direction {quote(direction)} that a context "
                "gives by default; JSON-LD processors keep or lose such a default in different "
                "places, so give @direction in the term definition or the value instead",
            )
        raise Unsupported("a default base direction from a context")
