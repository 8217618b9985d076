"""The comparison oracle of the JSON-LD tests: RDFC-1.0 canonicalization by pyld.

``canonicalize_reference`` is the straightforward path — pyld's toRdf and pyld's URDNA2015
(= RDFC-1.0) — that skillcred's own processor (``skillcred.core.jsonld.canon``) is checked
against byte for byte; ``canonicalize_unsafe`` is skillcred's processor outside safe mode with
the reference deciding what that processor leaves undecided (what ``canonicalize(safe=False)``
did while pyld was a production dependency). Both convert to RDF with rdfDirection
``i18n-datatype``, as the eddsa-rdfc-2022 cryptosuite and jsonld-signatures do.

The reference path corrects four pyld defects, because a wrong canonical form gives a signature
that other implementations cannot verify (each has a regression test named after it):

* literal escaping: pyld writes control characters other than TAB, LF and CR raw (and never
  escapes IRIs); RDFC-1.0 requires canonical N-Quads (``\\b``, ``\\f``, ``\\u0000``...,
  ``\\u007F``), as rdf-canonize writes them — both the output and the first-degree hashes;
* xsd:double: pyld rounds the 16 significant digits half to even, JSON-LD (JavaScript's
  ``toExponential``) half up;
* a quad in which one blank node occurs twice is hashed twice by pyld (blank node to quads map
  as a list), once by rdf-canonize (a set), which RDFC-1.0 means;
* a term definition whose ``@direction`` is ``""``, ``false`` or ``0``: pyld accepts it (and
  types the term's strings ``i18n#_``, ``i18n#_False``, ``i18n#_0``), JSON-LD 1.1 (§4.2.2) and
  jsonld.js reject it as an invalid base direction.

It also gives pyld a private copy of every context, because pyld's ``@import`` handling writes
into the loader's shared context documents, and a private context cache, because with its
process-wide cache the second canonicalization of a document with ``@import`` fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

from skillcred.core.jsonld.canon import (
    RDF_DIRECTION,
    Unsupported,
    canonicalize,
    canonicalize_or_unsupported,
)
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.jsonld.rdf import (
    XSD_DOUBLE,
    Quad,
    format_double,
    iri_term,
    literal,
    serialize_quad,
)
from skillcred.core.jsonld.rdfc import DEFAULT_MAX_WORK_FACTOR
from skillcred.errors import DocumentLoaderError, JsonLdError

__all__ = ["canonicalize_mode", "canonicalize_reference", "canonicalize_unsafe"]


def canonicalize_unsafe(document: Mapping[str, Any], *, loader: DocumentLoader) -> str:
    """skillcred's processor outside safe mode; the reference where it has no answer."""
    try:
        return canonicalize_or_unsupported(document, loader=loader, unsafe_skip_safe_mode=True)
    except Unsupported:
        return canonicalize_reference(document, loader=loader)


def canonicalize_mode(document: Mapping[str, Any], *, loader: DocumentLoader, safe: bool) -> str:
    """:func:`canonicalize` in safe mode, or :func:`canonicalize_unsafe`."""
    if safe:
        return canonicalize(document, loader=loader)
    return canonicalize_unsafe(document, loader=loader)


def canonicalize_reference(document: Mapping[str, Any], *, loader: DocumentLoader) -> str:
    """Canonical N-Quads of ``document`` by pyld, the reference for every faster path."""
    options = {
        "base": None,
        "documentLoader": loader,
        # A private cache: pyld's process-wide one breaks the second use of an @import context.
        "contextResolver": ContextResolver({}, loader),
        "processingMode": "json-ld-1.1",
        "produceGeneralizedRdf": False,
        "rdfDirection": RDF_DIRECTION,
    }
    try:
        dataset = _ReferenceProcessor().to_rdf(dict(document), options)
        return _ReferenceRdfc().canonicalize(dataset)
    except jsonld.JsonLdError as exc:
        raise _translate(exc) from exc
    except (TypeError, AttributeError, KeyError, ValueError, OverflowError) as exc:
        # pyld crashes on some malformed input (e.g. an @id that expands to null).  Its message
        # is Python's (reprs, type names), not one for a client: it stays in the chained cause.
        raise JsonLdError("JSON-LD processing failed: the document is not valid JSON-LD") from exc


class _ReferenceProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld with JSON-LD's (JavaScript's) rounding of xsd:double and its base directions."""

    def _create_term_definition(
        self, active_ctx: Any, local_ctx: Any, term: Any, *args: Any, **kwargs: Any
    ) -> Any:
        # JSON-LD 1.1 API §4.2.2 step 22, as jsonld.js: pyld lets "", false and 0 through.
        value = local_ctx.get(term) if isinstance(local_ctx, dict) else None
        if isinstance(value, dict) and value.get("@direction") not in (None, "ltr", "rtl"):
            raise jsonld.JsonLdError(
                'Invalid JSON-LD syntax; @direction value must be null, "ltr", or "rtl".',
                "jsonld.SyntaxError",
                {"context": local_ctx},
                code="invalid base direction",
            )
        return super()._create_term_definition(active_ctx, local_ctx, term, *args, **kwargs)

    def _object_to_rdf(
        self, item: Any, issuer: Any, triples: Any, options: Any
    ) -> dict[str, Any] | None:
        obj = cast("dict[str, Any] | None", super()._object_to_rdf(item, issuer, triples, options))
        if obj is None or obj.get("type") != "literal" or not isinstance(item, dict):
            return obj
        value = item.get("@value")
        datatype = item.get("@type")
        if datatype == "@json" or isinstance(value, bool):
            return obj
        number: float | None = None
        if isinstance(value, float) and not value.is_integer():
            number = value
        elif datatype == XSD_DOUBLE or (isinstance(value, int | float) and abs(value) >= 1e21):
            try:
                number = float(cast("str | float", value))
            except (TypeError, ValueError, OverflowError):
                number = None
        if number is not None and math.isfinite(number):
            obj["value"] = format_double(number)
        return obj


def _term(component: dict[str, Any]) -> str:
    kind = component["type"]
    if kind == "IRI":
        return iri_term(component["value"])
    if kind == "blank node":
        return cast(str, component["value"])
    return literal(component["value"], component["datatype"], component.get("language"))


def _quad(quad: dict[str, Any], node: str | None = None) -> Quad:
    """A pyld quad as N-Quads terms; with ``node``, blank nodes as _:a (node) or _:z (others)."""
    terms = []
    for key in ("subject", "object", "name"):
        component = quad.get(key)
        if component is None:
            terms.append("")
        elif node is not None and component["type"] == "blank node":
            terms.append("_:a" if component["value"] == node else "_:z")
        else:
            terms.append(_term(component))
    return (terms[0], iri_term(quad["predicate"]["value"]), terms[1], terms[2])


class _ReferenceRdfc(URDNA2015):  # type: ignore[misc]
    """pyld's URDNA2015 with canonical N-Quads, per-quad blank node sets and a work limit."""

    def __init__(self) -> None:
        super().__init__()
        self._remaining: int | None = None
        self._deduplicated: set[str] = set()

    def canonicalize(self, dataset: dict[str, Any]) -> str:
        super().main(dataset, {"format": "application/n-quads"})
        # pyld's main has replaced the blank nodes of self.quads by their canonical labels.
        return "".join(sorted(serialize_quad(_quad(q)) for q in self.quads))

    def _quads_of(self, id_: str) -> list[dict[str, Any]]:
        info = self.blank_node_info[id_]
        if id_ not in self._deduplicated:
            info["quads"] = list({id(q): q for q in info["quads"]}.values())
            self._deduplicated.add(id_)
        return cast("list[dict[str, Any]]", info["quads"])

    def hash_first_degree_quads(self, id_: str) -> str:
        info = self.blank_node_info[id_]
        if "hash" in info:
            return cast(str, info["hash"])
        nquads = sorted(serialize_quad(_quad(q, id_)) for q in self._quads_of(id_))
        info["hash"] = cast(str, self.hash_nquads(nquads))
        return cast(str, info["hash"])

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        self._quads_of(id_)
        return cast("dict[str, list[str]]", super().create_hash_to_related(id_, issuer))

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        if self._remaining is None:
            count = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
            self._remaining = int(min(count**DEFAULT_MAX_WORK_FACTOR, 2**62))
        if self._remaining <= 0:
            raise JsonLdError(
                "RDF canonicalization needs more than the allowed work: the document has too "
                "many indistinguishable blank nodes"
            )
        self._remaining -= 1
        return cast("dict[str, Any]", super().hash_n_degree_quads(id_, issuer))


def _translate(exc: Exception) -> JsonLdError:
    """The loader's own error if it caused the failure, else pyld's innermost message."""
    cause: BaseException | None = exc
    innermost: BaseException = exc
    while cause is not None:
        if isinstance(cause, DocumentLoaderError | JsonLdError):
            return cause
        if isinstance(cause, jsonld.JsonLdError):
            innermost = cause
        cause = getattr(cause, "cause", None) or cause.__cause__
    message = innermost.args[0] if innermost.args else str(innermost)
    code = getattr(innermost, "code", None)
    return JsonLdError(f"JSON-LD processing failed: {message}" + (f" ({code})" if code else ""))
