"""JSON-LD 1.1 syntax shared by context processing, expansion and RDF conversion: the keywords,
the forms of IRIs, terms and numbers (JSON-LD 1.1 §9 and the regular expressions pyld and
jsonld.js test with), and the shapes of the JSON values the processor passes around."""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = [
    "ABSOLUTE_IRI_RE",
    "BCP47_RE",
    "DECIMAL_RE",
    "EMPTY",
    "INVALID_IRI_CHARS_RE",
    "KEYWORDS",
    "KEYWORD_RE",
    "MISSING",
    "NODE_KEYWORDS",
    "XSD_DOUBLE",
    "Expanded",
    "Json",
    "Missing",
    "Path",
    "Unsupported",
    "is_absolute_iri",
]

# A JSON value as json.loads returns it.  JSON is dynamic by nature; the hot paths test types
# with isinstance, so ``Any`` here costs nothing and says what it is.
Json = Any
# An expanded JSON-LD node, value or list object.
Expanded = dict[str, Any]
# A JSON path as a linked list: (parent path, key or index), None for the document itself.
Path = tuple[Any, str | int] | None

KEYWORDS: Final = frozenset(
    {
        "@base",
        "@container",
        "@context",
        "@default",
        "@direction",
        "@embed",
        "@explicit",
        "@first",
        "@graph",
        "@id",
        "@import",
        "@included",
        "@index",
        "@json",
        "@language",
        "@list",
        "@nest",
        "@none",
        "@omitDefault",
        "@propagate",
        "@protected",
        "@preserve",
        "@requireAll",
        "@reverse",
        "@set",
        "@type",
        "@value",
        "@version",
        "@vocab",
    }
)
# Keywords that expansion handles in a node object; any other keyword used as a key is dropped.
NODE_KEYWORDS: Final = frozenset(
    {
        "@context",
        "@id",
        "@type",
        "@included",
        "@graph",
        "@value",
        "@language",
        "@direction",
        "@index",
        "@reverse",
        "@nest",
        "@list",
        "@set",
    }
)


KEYWORD_RE: Final = re.compile(r"^@[a-zA-Z]+$")
# Identical to pyld's and jsonld.js's absolute-IRI test (Python's \s and $ included, on purpose).
ABSOLUTE_IRI_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
BCP47_RE: Final = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
# Characters no IRI may contain (RFC 3987), plus the Unicode spaces on which Python's and
# JavaScript's "\s" disagree.
INVALID_IRI_CHARS_RE: Final = re.compile(
    '[\x00-\x20<>"{}|^`\\\\\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'
)
DECIMAL_RE: Final = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
XSD_DOUBLE: Final = "http://www.w3.org/2001/XMLSchema#double"
EMPTY: Final[frozenset[str]] = frozenset()


class Unsupported(Exception):
    """The processor does not handle this input: ``canonicalize`` refuses it as a JsonLdError;
    ``canonicalize_or_unsupported`` lets its caller ask another processor (the tests' oracle)."""


class Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = Missing()


def is_absolute_iri(value: str) -> bool:
    return ABSOLUTE_IRI_RE.match(value) is not None
