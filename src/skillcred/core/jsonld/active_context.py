"""The active context (JSON-LD 1.1 Processing Algorithms §4.1) and IRI expansion over it (§5.2).

An :class:`ActiveContext` is immutable once built and keeps a small cache of the contexts
derived from it, keyed by ``(content of the local context, propagate, override protected)`` — a
context URL, or the canonical JSON of a context object (precomputed for the scoped contexts of
term definitions).  The parent is the object holding the cache, so the full key is (parent, local
context, flags).  Term lookups are dict hits, and each :class:`TermDef` carries precomputed flags
for expansion's hot loop.  Building contexts is ``context.py``'s job.
"""

from __future__ import annotations

import contextlib
import json
from typing import Final

from skillcred.core.jsonld.events import ContextEvent
from skillcred.core.jsonld.syntax import (
    ABSOLUTE_IRI_RE,
    EMPTY,
    INVALID_IRI_CHARS_RE,
    KEYWORD_RE,
    KEYWORDS,
    MISSING,
    Json,
    Unsupported,
    is_absolute_iri,
)

__all__ = [
    "ActiveContext",
    "TermDef",
    "expand_iri",
    "initial_context",
    "is_type_key",
    "local_context_key",
]

_CHILD_CACHE_SIZE: Final = 256
_SET_ONLY: Final = frozenset({"@set"})


def local_context_key(local: Json) -> object:
    """A hashable key that equals for local contexts with the same content."""
    if isinstance(local, str):
        return local
    if local is None or local is False:
        return None
    try:
        return ("json", json.dumps(local, sort_keys=True, separators=(",", ":")))
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"a local context that is not plain JSON: {exc}") from exc


class TermDef:
    """One term definition (§4.2); immutable after context processing."""

    __slots__ = (
        "container",
        "context",
        "context_key",
        "cset",
        "direction",
        "has_colon",
        "index",
        "iri",
        "keyword",
        "language",
        "nest",
        "prefix",
        "prop_ok",
        "protected",
        "reverse",
        "safe_ok",
        "scoped_key",
        "simple",
        "trusted",
        "type",
        "type_scoped_key",
    )

    def __init__(self) -> None:
        self.iri: str | None = None
        self.reverse = False
        self.protected = False
        self.prefix = False
        self.has_colon = False
        self.type: str | None = None
        # @container as written (order kept, for the protected-term comparison) and as a set.
        self.container: tuple[str, ...] | None = None
        self.cset: frozenset[str] = EMPTY
        self.index: str | None = None
        self.context: Json = MISSING
        self.context_key: object = None
        self.language: Json = MISSING
        self.direction: Json = MISSING
        self.nest: str | None = None
        # Derived once the definition is complete (see finish()).
        self.prop_ok = False
        self.keyword = False
        self.safe_ok = False
        # Memo keys of the scoped context as a property-scoped / type-scoped context.
        self.scoped_key: object = None
        self.type_scoped_key: object = None
        # A property whose scalar values need no more than value expansion (§5.3).
        self.simple = False
        # Defined by a context the loader serves (so its scoped context is one too).
        self.trusted = False

    def finish(self) -> TermDef:
        if self.context is not MISSING:
            self.scoped_key = (self.context_key, True, True)
            self.type_scoped_key = (self.context_key, False, False)
        iri = self.iri
        self.keyword = iri is not None and iri in KEYWORDS
        self.prop_ok = iri is not None and (self.keyword or is_absolute_iri(iri))
        self.safe_ok = (
            self.prop_ok
            and not self.keyword
            and iri is not None
            and not iri.startswith("_:")
            and INVALID_IRI_CHARS_RE.search(iri) is None
        )
        self.simple = (
            self.prop_ok
            and not self.keyword
            and self.context is MISSING
            and not self.reverse
            and self.cset <= _SET_ONLY
            and self.type != "@json"
        )
        return self

    def same_as(self, other: TermDef) -> bool:
        """Equality as pyld and jsonld.js compare a protected term with its redefinition."""
        return (
            self.iri == other.iri
            and self.reverse == other.reverse
            and self.protected == other.protected
            and self.prefix == other.prefix
            and self.has_colon == other.has_colon
            and self.type == other.type
            and self.container == other.container
            and self.index == other.index
            and _same_json(self.context, other.context)
            and _same_json(self.language, other.language)
            and _same_json(self.direction, other.direction)
            and self.nest == other.nest
        )


def _same_json(a: Json, b: Json) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return bool(a == b)


class ActiveContext:
    """An active context (§4.1). Immutable once built; children are memoised per content."""

    __slots__ = (
        "_children",
        "_with_previous",
        "base",
        "direction",
        "has_protected",
        "language",
        "previous",
        "shared",
        "terms",
        "vocab",
    )

    def __init__(
        self,
        terms: dict[str, TermDef],
        *,
        vocab: str | None = None,
        base: Json = MISSING,
        language: str | None = None,
        direction: str | None = None,
        previous: ActiveContext | None = None,
    ) -> None:
        self.terms = terms
        self.vocab = vocab
        self.base = base
        self.language = language
        self.direction = direction
        self.previous = previous
        self.has_protected = False
        # Built only from contexts the loader serves (and their scoped contexts): the same for
        # every document, so kept across documents.  Contexts built from a document's own
        # @context objects are memoised for that document only.
        self.shared = False
        self._children: dict[object, tuple[ActiveContext, tuple[ContextEvent, ...]]] = {}
        self._with_previous: ActiveContext | None = None

    def clone(self) -> ActiveContext:
        return ActiveContext(
            dict(self.terms),
            vocab=self.vocab,
            base=self.base,
            language=self.language,
            direction=self.direction,
            previous=self.previous,
        )

    def revert(self) -> ActiveContext:
        """The context before any non-propagated (type-scoped) context, §5.1 step 7."""
        previous = self.previous
        return self if previous is None else previous

    def with_previous(self) -> ActiveContext:
        """This context, remembering itself as the one to revert to (§4.1 step 3)."""
        cached = self._with_previous
        if cached is None:
            cached = self.clone()
            cached.previous = self
            cached.has_protected = self.has_protected
            cached.shared = self.shared
            self._with_previous = cached
        return cached

    def cached(self, key: object) -> tuple[ActiveContext, tuple[ContextEvent, ...]] | None:
        return self._children.get(key)

    def remember(self, key: object, value: tuple[ActiveContext, tuple[ContextEvent, ...]]) -> None:
        children = self._children
        if len(children) >= _CHILD_CACHE_SIZE:
            # Bounded: documents may embed contexts of any content.  Races between threads only
            # cost a recomputation.
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del children[next(iter(children))]
        children[key] = value


def initial_context() -> ActiveContext:
    root = ActiveContext({})
    root.shared = True
    return root


def expand_iri(active: ActiveContext, value: Json, *, vocab: bool) -> Json:
    """IRI expansion (§5.2) with a null document base, as pyld does it."""
    if value is None or not isinstance(value, str) or value in KEYWORDS:
        return value
    if value[:1] == "@" and KEYWORD_RE.match(value):
        return None
    terms = active.terms
    if vocab:
        td = terms.get(value)
        if td is not None:
            return td.iri
    colon = value.find(":")
    if colon > 0:
        prefix = value[:colon]
        suffix = value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        prefix_td = terms.get(prefix)
        if prefix_td is not None and prefix_td.prefix and prefix_td.iri is not None:
            return prefix_td.iri + suffix
        if ABSOLUTE_IRI_RE.match(value):
            return value
    if vocab and active.vocab is not None:
        return active.vocab + value
    return value


def is_type_key(active: ActiveContext, key: str) -> bool:
    """``expand_iri(active, key, vocab=True) == "@type"``, without the general expansion."""
    td = active.terms.get(key)
    if td is not None:
        return td.iri == "@type"
    if key == "@type":
        return True
    if key[:1] == "@" or ":" in key:
        return bool(expand_iri(active, key, vocab=True) == "@type")
    vocab = active.vocab
    return vocab is not None and vocab + key == "@type"
