"""Deserialize expanded JSON-LD to RDF (JSON-LD 1.1 API §8) as N-Quads terms.

The specification builds a node map first and then walks it; this module walks the expanded
document once and emits quads directly, with the node map's de-duplication rule (a value is
added to a node's property only if an equal one — same ``@id``, or same ``@value``/``@type``/
``@language``/``@index``, but not ``@direction`` — is not there yet).  The canonical output is
therefore the same as pyld's ``toRdf`` + node map, byte for byte, which the tests check.

Strings with a base direction become literals typed ``https://www.w3.org/ns/i18n#{language}_
{direction}`` (rdfDirection ``i18n-datatype``, §8.6 step 13): the eddsa-rdfc-2022 cryptosuite
and jsonld-signatures canonicalize with it, so their signatures cover the direction.

Each RDF term is kept as its canonical N-Quads text: ``<iri>``, ``_:bN``, or a literal
``"..."``/``"..."@lang``/``"..."^^<datatype>`` escaped as RDF 1.2 N-Quads canonical form (and
Digital Bazaar's rdf-canonize) require.  Blank node labels are ``_:b0``, ``_:b1``, ... in order
of first use.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Final

import rfc8785

from skillcred.core.jsonld.events import quote
from skillcred.core.jsonld.syntax import DECIMAL_RE, KEYWORDS, Unsupported, is_absolute_iri
from skillcred.errors import JsonLdError, SafeModeError

__all__ = [
    "RDF_TYPE",
    "Quad",
    "escape_iri",
    "escape_literal",
    "format_double",
    "literal",
    "serialize_quad",
    "to_quads",
]

# (subject, predicate, object, graph) as N-Quads terms; graph "" is the default graph.
Quad = tuple[str, str, str, str]

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING: Final = XSD + "string"
XSD_BOOLEAN: Final = XSD + "boolean"
XSD_INTEGER: Final = XSD + "integer"
XSD_DOUBLE: Final = XSD + "double"
RDF_LANGSTRING: Final = RDF + "langString"
RDF_JSON: Final = RDF + "JSON"
# rdfDirection "i18n-datatype": the datatype of a string with a base direction (§8.6 step 13).
I18N: Final = "https://www.w3.org/ns/i18n#"
RDF_TYPE: Final = f"<{RDF}type>"
RDF_FIRST: Final = f"<{RDF}first>"
RDF_REST: Final = f"<{RDF}rest>"
RDF_NIL: Final = f"<{RDF}nil>"

# RDF 1.2 N-Quads canonical form (and rdf-canonize): \b \t \n \f \r \" \\ as ECHAR, any other
# U+0000-U+001F and U+007F as UCHAR with upper-case hex.
_LITERAL_ESCAPE_RE: Final = re.compile('[\x00-\x1f\x7f"\\\\]')
_LITERAL_ESCAPES: Final[dict[int, str]] = {
    **{i: f"\\u{i:04X}" for i in range(0x20)},
    0x7F: "\\u007F",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}
# rdf-canonize escapes these in IRIs (as UCHAR); a valid IRI never contains them.
_IRI_ESCAPE_RE: Final = re.compile('[\x00-\x20<>"{}|^`\\\\]')
_IRI_ESCAPES: Final[dict[int, str]] = {
    i: f"\\u{i:04X}" for i in (*range(0x21), *(ord(c) for c in '<>"{}|^`\\'))
}


def escape_literal(value: str) -> str:
    if _LITERAL_ESCAPE_RE.search(value) is None:
        return value
    return value.translate(_LITERAL_ESCAPES)


def escape_iri(value: str) -> str:
    if _IRI_ESCAPE_RE.search(value) is None:
        return value
    return value.translate(_IRI_ESCAPES)


_IRI_TERMS: dict[str, str] = {}
_IRI_TERMS_MAX: Final = 8192


def iri_term(iri: str) -> str:
    """``<iri>`` for a vocabulary IRI (a property, type or datatype), memoised.

    Identifiers of the things a document describes are not memoised (see ``id_term``): they
    differ from document to document.
    """
    term = _IRI_TERMS.get(iri)
    if term is None:
        term = f"<{escape_iri(iri)}>"
        if len(_IRI_TERMS) < _IRI_TERMS_MAX:
            _IRI_TERMS[iri] = term
    return term


def literal(lexical: str, datatype: str, language: str | None = None) -> str:
    text = f'"{escape_literal(lexical)}"'
    if datatype == RDF_LANGSTRING:
        return f"{text}@{language}" if language else text
    if datatype == XSD_STRING:
        return text
    return f"{text}^^{iri_term(datatype)}"


def serialize_quad(quad: Quad) -> str:
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


_EXACT: Final = Context(prec=1100)


_MAX_SAFE_INTEGER: Final = 2**53 - 1


def json_literal_lexical_form(value: Any) -> str:
    """The lexical form of an ``@json`` literal (JSON-LD 1.1 API §8.6 step 6.2): the value in
    RFC 8785 canonical form, numbers as JavaScript (jsonld.js, and pyld's bundled c14n) hold
    them — so an integer beyond ±(2**53 - 1) is the double nearest to it, which rfc8785 (strict
    I-JSON) would refuse. Equality with pyld's c14n is tested over random values."""
    return rfc8785.dumps(_as_javascript_numbers(value)).decode("utf-8")


def _as_javascript_numbers(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        # OverflowError for an integer beyond any double, as pyld's c14n raises it.
        return value if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER else float(value)
    if kind is dict:
        return {key: _as_javascript_numbers(item) for key, item in value.items()}
    if kind is list:
        return [_as_javascript_numbers(item) for item in value]
    return value


def format_double(value: float) -> str:
    """The canonical xsd:double form JSON-LD uses: JavaScript's ``toExponential(15)`` tidied.

    ``toExponential`` rounds half up on the exact binary value; Python's formatting rounds half
    to even, which differs for doubles that sit exactly halfway (1234567890123456.5 is
    ``1.234567890123457E15`` in JavaScript and ``...456E15`` in Python, and in pyld).
    """
    if not math.isfinite(value):
        raise JsonLdError("NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0.0E0"
    sign = "-" if value < 0 else ""
    exact = Decimal(abs(value))
    exponent = exact.adjusted()
    quantum = Decimal(1).scaleb(exponent - 15, _EXACT)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP, context=_EXACT)
    digits = rounded.as_tuple().digits
    if len(digits) > 16:  # rounded up to the next power of ten
        exponent += 1
        digits = digits[:16]
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    fraction = mantissa[1:] or "0"
    return f"{sign}{mantissa[0]}.{fraction}E{exponent}"


def _is_double(value: object) -> bool:
    return isinstance(value, float) and not value.is_integer()


class _ToRdf:
    __slots__ = ("counter", "directed", "indexes", "labels", "quads", "safe", "seen")

    def __init__(self, safe: bool) -> None:
        self.safe = safe
        self.quads: list[Quad] = []
        self.seen: set[tuple[Any, ...]] = set()
        # The literal kept for a de-duplication key that a string with a direction took.
        self.directed: dict[tuple[Any, ...], str] = {}
        self.labels: dict[str, str] = {}
        self.indexes: dict[tuple[str, str], str] = {}
        self.counter = 0

    def fresh(self) -> str:
        label = f"_:b{self.counter}"
        self.counter += 1
        return label

    def relabel(self, label: str) -> str:
        issued = self.labels.get(label)
        if issued is None:
            issued = self.labels[label] = self.fresh()
        return issued

    def refuse(self, what: str) -> None:
        if self.safe:
            raise SafeModeError(f"(node): {what}, so it would be dropped from the signed data")

    def id_term(self, value: Any, noun: str = "IRI") -> str | None:
        """The term for an @id or @type value: a blank node, an IRI, or None if relative."""
        if not isinstance(value, str):
            return None
        term = _IRI_TERMS.get(value)
        if term is not None:
            return term
        if value.startswith("_:"):
            return self.relabel(value)
        if is_absolute_iri(value):
            return f"<{escape_iri(value)}>"
        self.refuse(f"the {noun} {quote(value)} is relative")
        return None

    def type_term(self, value: Any) -> str | None:
        """The term for an @type value (a vocabulary IRI, so memoised)."""
        term = _IRI_TERMS.get(value) if isinstance(value, str) else None
        if term is not None:
            return term
        if isinstance(value, str) and not value.startswith("_:") and is_absolute_iri(value):
            return iri_term(value)
        return self.id_term(value)

    def top(self, item: Any, graph: str | None) -> None:
        """An item at the top of a graph: nodes are kept, free-floating values are not."""
        if not isinstance(item, dict) or "@value" in item:
            return
        if "@list" in item:
            for element in item["@list"]:
                self.top(element, graph)
            return
        self.node(item, graph)

    def node(self, node: dict[str, Any], graph: str | None) -> str | None:
        subject: str | None
        if "@id" in node and isinstance(node["@id"], str):
            subject = self.id_term(node["@id"], "identifier")
        else:
            subject = self.fresh()  # jsonld.js also gives a node with a null @id a blank node

        quads = self.quads
        seen = self.seen
        emit = subject is not None and graph is not None
        # The subject and graph terms of the quads this node states (when ``emit``).
        s_term = subject or ""
        g_term = graph or ""
        dedupe: tuple[Any, ...]

        index = node.get("@index")
        if index is not None and subject is not None:
            key = (graph or "", subject)
            previous = self.indexes.setdefault(key, index)
            if previous != index:
                raise JsonLdError(
                    f"conflicting indexes {quote(previous)} and {quote(index)} for one node"
                )

        for prop, values in node.items():
            if prop[0] == "@":
                if prop == "@type":
                    for type_ in values:
                        obj = self.type_term(type_)
                        if emit and obj is not None:
                            dedupe = (g_term, s_term, RDF_TYPE, obj, None)
                            if dedupe not in seen:
                                seen.add(dedupe)
                                quads.append((s_term, RDF_TYPE, obj, g_term))
                elif prop == "@reverse":
                    self.reverse(values, subject, graph)
                elif prop == "@graph":
                    for item in values:
                        self.top(item, subject)
                elif prop == "@included":
                    for item in values:
                        self.top(item, graph)
                if prop in KEYWORDS:
                    continue
            predicate = _IRI_TERMS.get(prop)
            if predicate is None:
                if prop.startswith("_:"):
                    self.refuse(f"the property {quote(prop)} is a blank node")
                else:
                    predicate = iri_term(prop)
            live = emit and predicate is not None
            p_term = predicate or ""
            for value in values:
                if "@value" in value:
                    if not live:
                        continue
                    raw = value["@value"]
                    cls = raw.__class__
                    if cls is str and len(value) == 1:
                        if _LITERAL_ESCAPE_RE.search(raw) is None:
                            obj = f'"{raw}"'
                        else:
                            obj = f'"{raw.translate(_LITERAL_ESCAPES)}"'
                        compared = obj
                        extra: Any = None
                    else:
                        obj = compared = self.literal(value)
                        # The node map compares @value, @type, @language and @index, not
                        # @direction (pyld's compare_values, jsonld.js's compareValues); the
                        # literal text covers all but these.
                        extra = (
                            None if cls is str else ("json" if cls is dict or cls is list else raw),
                            value.get("@index"),
                            "@language" in value,
                        )
                        if cls is str and "@direction" in value:
                            compared, extra = _undirected_key(value)
                    dedupe = (g_term, s_term, p_term, compared, extra)
                    if dedupe not in seen:
                        seen.add(dedupe)
                        if compared is not obj:
                            self.directed[dedupe] = obj
                        quads.append((s_term, p_term, obj, g_term))
                    elif self.safe and (cls is dict or cls is list):
                        raise SafeModeError(
                            f"(node {subject}): the node has the same JSON literal twice "
                            f"for {quote(prop)}; jsonld.js signs it twice, pyld once"
                        )
                    elif self.directed.get(dedupe, compared) != obj:
                        self.conflicting_directions(subject, prop)
                elif "@list" in value:
                    head = self.list(value["@list"], graph, live)
                    if live:
                        quads.append((s_term, p_term, head, g_term))
                else:
                    if len(value) == 1 and "@id" in value:
                        # A node reference: no statements of its own.
                        reference = value["@id"]
                        obj = self.fresh() if reference is None else self.id_term(reference)
                    else:
                        obj = self.node(value, graph)
                    if live and obj is not None:
                        dedupe = (g_term, s_term, p_term, obj, None)
                        if dedupe not in seen:
                            seen.add(dedupe)
                            quads.append((s_term, p_term, obj, g_term))
        return subject

    def conflicting_directions(self, subject: str | None, prop: str) -> None:
        """One string twice for a property of a node, with two base directions (or one and none).

        The node map keeps the first one it meets and drops the other: safe mode refuses the
        loss; otherwise it is Unsupported (the tests' pyld oracle decides), because processors
        walk the node map in an order (properties sorted by IRI) that this single pass does not
        follow.
        """
        if self.safe:
            raise SafeModeError(
                f"(node {subject}): the node has the same string twice for {quote(prop)} with "
                "different base directions (or with and without one); JSON-LD keeps only one "
                "of them, so the other would be dropped from the signed data"
            )
        raise Unsupported("one string with different base directions for one property")

    def reverse(self, reverse_map: dict[str, Any], subject: str | None, graph: str | None) -> None:
        seen = self.seen
        for prop, items in reverse_map.items():
            if prop.startswith("_:"):
                self.refuse(f"the property {quote(prop)} is a blank node")
                predicate: str | None = None
            else:
                predicate = iri_term(prop)
            for item in items:
                obj = self.node(item, graph)
                if obj is None or subject is None or predicate is None or graph is None:
                    continue
                dedupe = (graph, obj, predicate, subject, None)
                if dedupe not in seen:
                    seen.add(dedupe)
                    self.quads.append((obj, predicate, subject, graph))

    def list(self, items: list[Any], graph: str | None, live: bool) -> str:
        """An RDF collection (§8.4); ``live`` False only creates the nodes inside it."""
        if not items:
            return RDF_NIL
        quads = self.quads
        head = subject = self.fresh() if live else ""
        last = len(items) - 1
        for i, item in enumerate(items):
            obj = self.object(item, graph, live)
            if not live:
                continue
            assert graph is not None
            if obj is not None:
                quads.append((subject, RDF_FIRST, obj, graph))
            following = self.fresh() if i < last else RDF_NIL
            quads.append((subject, RDF_REST, following, graph))
            subject = following
        return head

    def object(self, item: Any, graph: str | None, live: bool) -> str | None:
        if "@value" in item:
            return self.literal(item) if live else None
        if "@list" in item:
            return self.list(item["@list"], graph, live)
        return self.node(item, graph)

    def literal(self, item: dict[str, Any]) -> str:
        """A value object as an RDF literal (§8.6, object to RDF conversion)."""
        value = item["@value"]
        datatype = item.get("@type")
        if datatype == "@json":
            try:
                lexical = json_literal_lexical_form(value)
            except (ValueError, TypeError) as exc:
                raise JsonLdError(f"the @json value cannot be canonicalized: {exc}") from exc
            return literal(lexical, RDF_JSON)
        if isinstance(value, bool):
            return literal("true" if value else "false", datatype or XSD_BOOLEAN)
        if _is_double(value):
            return literal(format_double(value), datatype or XSD_DOUBLE)
        if datatype == XSD_DOUBLE:
            if self.safe and isinstance(value, str) and DECIMAL_RE.match(value) is None:
                raise SafeModeError(
                    f"(value): the string {quote(value)} is typed xsd:double but is not a decimal "
                    "number; JSON-LD processors would sign it differently"
                )
            try:
                number = float(value)
            except (ValueError, TypeError, OverflowError):
                return literal(str(value), XSD_DOUBLE)
            if not math.isfinite(number):
                # pyld writes Python's 'INF'/'NAN', jsonld.js 'Infinity'/'NaN'.
                if self.safe:
                    raise SafeModeError(
                        f"(value): the value {quote(value)} typed xsd:double is not a finite number"
                    )
                raise Unsupported("a non-finite xsd:double")
            return literal(format_double(number), XSD_DOUBLE)
        if isinstance(value, int | float):
            if abs(value) >= 1e21:
                try:
                    number = float(value)
                except OverflowError as exc:
                    raise JsonLdError(f"the number {value} is too large") from exc
                return literal(format_double(number), datatype or XSD_DOUBLE)
            return literal(str(int(value)), datatype or XSD_INTEGER)
        if not isinstance(value, str):
            raise Unsupported(f"a {type(value).__name__} @value")
        if "@direction" in item:
            # rdfDirection "i18n-datatype" (§8.6 step 13), spelt as jsonld.js spells it: the
            # language lower-cased (expansion already did) or empty, and no language tag.
            language = item.get("@language") or ""
            return literal(value, f"{I18N}{language.lower()}_{item['@direction']}")
        if "@language" in item:
            return literal(value, datatype or RDF_LANGSTRING, item["@language"])
        return literal(value, datatype or XSD_STRING)


def _undirected_key(value: dict[str, Any]) -> tuple[str, Any]:
    """The node-map de-duplication key of a string value with a base direction.

    The node map compares values without ``@direction`` (jsonld.js compareValues, pyld
    compare_values), so the same string with and without a direction, or with two directions, is
    one value: the first one given is kept.  The key is the one the value without its direction
    would have.
    """
    raw = value["@value"]
    if len(value) == 2:  # only @value and @direction
        return f'"{escape_literal(raw)}"', None
    language = value.get("@language")
    text = (
        literal(raw, RDF_LANGSTRING, language) if "@language" in value else literal(raw, XSD_STRING)
    )
    return text, (None, value.get("@index"), "@language" in value)


def to_quads(expanded: list[Any], *, safe: bool) -> list[Quad]:
    """The RDF dataset of an expanded document as N-Quads terms (graph "" is the default)."""
    state = _ToRdf(safe)
    for item in expanded:
        state.top(item, "")
    return state.quads
