"""JSON-LD 1.1 context processing and expansion, built for speed (the fast canonicalization path).

It follows the W3C JSON-LD 1.1 Processing Algorithms (§4.1 context processing, §4.2 create term
definition, §5.1 expansion, §5.2 IRI expansion), and where pyld — the reference path — deviates
from the specification on an input that can matter, it follows pyld so that both paths give the
same canonical N-Quads; the few places where the reference itself is wrong are corrected in both
(see ``canon.py``).  Documents whose meaning JSON-LD processors disagree on are refused in safe
mode rather than silently given one of the meanings.

Speed comes from memoisation: an :class:`ActiveContext` is immutable once built and keeps a small
cache of the contexts derived from it, keyed by ``(content of the local context, propagate,
override protected)`` — a context URL, or the canonical JSON of a context object (precomputed
for the scoped contexts of term definitions).  The parent is the object holding the cache, so
the full key is (parent, local context, flags).  A credential whose contexts were seen before does
no context processing at all; term lookups are dict hits, and each term definition carries
precomputed flags for the hot loop.  Only contexts derived from loader-served contexts (the
shipped ones) and their scoped contexts are kept across documents; contexts built from a
document's own ``@context`` objects are memoised for that document only, so clients cannot grow
the caches.  The expanded output is the plain JSON-LD expanded form (dicts and lists), which
``rdf.py`` turns into quads.

Base directions (``@direction``) are kept in the expanded form: ``rdf.py`` turns them into
``i18n-datatype`` literals, as the eddsa-rdfc-2022 cryptosuite asks jsonld.js to.

Inputs the fast path does not handle raise :class:`Unsupported` (today only Python values that
are not JSON, and a non-finite xsd:double outside safe mode): ``canonicalize`` then refuses in
safe mode and falls back to the reference path otherwise.

Safe mode (``safe=True``) mirrors jsonld.js "safe mode": every condition for which jsonld.js emits
one of its unsafe warning events (``invalid property``, ``relative @id reference``, ...) raises
:class:`~skillcred.errors.SafeModeError` naming the JSON path and the offending term or value.
A few further conditions on which JSON-LD implementations are known to disagree are refused too;
they are listed in :data:`EXTRA_SAFE_MODE_CHECKS`.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable
from typing import Any, Final

from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.errors import DocumentLoaderError, JsonLdError, SafeModeError

__all__ = [
    "EXTRA_SAFE_MODE_CHECKS",
    "SAFE_MODE_EVENTS",
    "ActiveContext",
    "Expander",
    "Unsupported",
    "initial_context",
    "quote",
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
_NODE_KEYWORDS: Final = frozenset(
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

_KEYWORD_RE: Final = re.compile(r"^@[a-zA-Z]+$")
# Identical to pyld's and jsonld.js's absolute-IRI test (Python's \s and $ included, on purpose).
_ABSOLUTE_IRI_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_BCP47_RE: Final = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_IRI_FORM_RE: Final = re.compile(r".*((:[^:])|/)")
_GEN_DELIM_END_RE: Final = re.compile(r".*[:/\?#\[\]@]$")
_COLON_OR_SLASH_RE: Final = re.compile(r".*(:|/)")
# Characters no IRI may contain (RFC 3987), plus the Unicode spaces on which Python's and
# JavaScript's "\s" disagree.
_INVALID_IRI_CHARS_RE: Final = re.compile(
    '[\x00-\x20<>"{}|^`\\\\\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'
)
DECIMAL_RE: Final = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# Schemes that are real IRI schemes when they appear as the prefix of a key or a type.
_COMMON_SCHEMES: Final = frozenset(
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

_MAX_REMOTE_CONTEXTS: Final = 10
_CHILD_CACHE_SIZE: Final = 256
_EMPTY: Final[frozenset[str]] = frozenset()
_SET_ONLY: Final = frozenset({"@set"})


class Unsupported(Exception):
    """The fast path does not handle this input; ``canonicalize`` falls back (unsafe mode only)."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()


def is_absolute_iri(value: str) -> bool:
    return _ABSOLUTE_IRI_RE.match(value) is not None


def _context_key(local: Json) -> object:
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
        self.cset: frozenset[str] = _EMPTY
        self.index: str | None = None
        self.context: Json = _MISSING
        self.context_key: object = None
        self.language: Json = _MISSING
        self.direction: Json = _MISSING
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
        if self.context is not _MISSING:
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
            and _INVALID_IRI_CHARS_RE.search(iri) is None
        )
        self.simple = (
            self.prop_ok
            and not self.keyword
            and self.context is _MISSING
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
    if a is _MISSING or b is _MISSING:
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
        base: Json = _MISSING,
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
        self._children: dict[object, tuple[ActiveContext, tuple[_Event, ...]]] = {}
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

    def cached(self, key: object) -> tuple[ActiveContext, tuple[_Event, ...]] | None:
        return self._children.get(key)

    def remember(self, key: object, value: tuple[ActiveContext, tuple[_Event, ...]]) -> None:
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


class _Event:
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


def _short(value: Json) -> str:
    """:func:`quote`, cut to 80 characters."""
    text = quote(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Expander:
    """Expands JSON-LD documents with contexts from one loader; safe to share between threads."""

    __slots__ = ("_loader", "_root")

    def __init__(self, loader: DocumentLoader) -> None:
        self._loader = loader
        self._root = initial_context()

    def expand(self, document: Json, *, safe: bool) -> list[Expanded]:
        """The expanded form of ``document`` (§5.1 and the expand() API, document base null)."""
        return _Run(self, safe).expand_document(document)

    # -- context processing (§4.1), memoised ------------------------------------------------------

    def process(
        self,
        active: ActiveContext,
        local: Json,
        *,
        propagate: bool = True,
        override_protected: bool = False,
        key: object = _MISSING,
        trusted: bool = False,
        run_cache: _RunCache | None = None,
    ) -> tuple[ActiveContext, tuple[_Event, ...]]:
        """Process a local context; ``trusted`` if it comes from a loader-served context."""
        if isinstance(local, dict) and isinstance(local.get("@context"), list):
            local = local["@context"]
            key = _MISSING
        if key is _MISSING:
            if isinstance(local, list):
                key = tuple(_context_key(item) for item in local)
            else:
                key = _context_key(local)
        full_key = (key, propagate, override_protected)
        hit = _lookup(active, full_key, run_cache)
        if hit is None:
            events: list[_Event] = []
            result = self._process_uncached(
                active, local, propagate, override_protected, set(), events, trusted, run_cache
            )
            hit = (result, tuple(events))
            _remember(active, full_key, hit, run_cache)
        return hit

    def _process_uncached(
        self,
        active: ActiveContext,
        local: Json,
        propagate: bool,
        override_protected: bool,
        cycles: set[str],
        events: list[_Event],
        trusted: bool = False,
        run_cache: _RunCache | None = None,
    ) -> ActiveContext:
        items = local if isinstance(local, list) else [local]
        if not items:
            return active
        resolved = self._resolve(items, set(), trusted)
        first = resolved[0][0]
        # §4.1 step 4 (jsonld.js reads @propagate from remote contexts too; pyld crashes on it).
        if isinstance(first, dict) and isinstance(first.get("@propagate"), bool):
            propagate = first["@propagate"]
        result = active
        if not propagate and result.previous is None:
            result = result.with_previous()
        for ctx, ctx_trusted in resolved:
            result = self._process_one(
                result, ctx, override_protected, cycles, events, ctx_trusted, run_cache
            )
        return result

    def _resolve(
        self, items: list[Json], cycles: set[str], trusted: bool
    ) -> list[tuple[Json, bool]]:
        """Replace context URLs by the contexts they name (what pyld's ContextResolver does)."""
        out: list[tuple[Json, bool]] = []
        for item in items:
            if isinstance(item, str):
                if item in cycles:
                    raise JsonLdError(f"the JSON-LD context {quote(item)} includes itself")
                if len(cycles) >= _MAX_REMOTE_CONTEXTS:
                    raise JsonLdError("too many nested JSON-LD context URLs")
                document = self._loader.load(item)  # DocumentLoaderError passes through
                if not isinstance(document, dict):
                    raise JsonLdError(f"the JSON-LD context {quote(item)} is not a JSON object")
                inner = document.get("@context", {})
                nested = cycles | {item}
                if isinstance(inner, str | list):
                    inner_items = inner if isinstance(inner, list) else [inner]
                    out.extend(self._resolve(inner_items, nested, True))
                else:
                    out.append((inner, True))
            elif item is None or item is False:
                out.append((None, True))
            elif isinstance(item, dict):
                out.append((item, trusted))
            else:
                raise JsonLdError(f"invalid local context {_short(item)}: not an object or a URL")
        return out

    def _process_one(
        self,
        active: ActiveContext,
        ctx: Json,
        override_protected: bool,
        cycles: set[str],
        events: list[_Event],
        trusted: bool = False,
        run_cache: _RunCache | None = None,
    ) -> ActiveContext:
        if ctx is None:
            if not override_protected and active.has_protected:
                raise JsonLdError(
                    "invalid context nullification: a context with protected terms cannot be "
                    "set to null outside a term definition"
                )
            return self._root
        if isinstance(ctx, dict) and "@context" in ctx:
            ctx = ctx["@context"]
        if not isinstance(ctx, dict):
            raise JsonLdError(f"invalid local context {_short(ctx)}: not a JSON object")
        key = ("one", _context_key(ctx), override_protected)
        hit = _lookup(active, key, run_cache)
        if hit is not None:
            events.extend(hit[1])
            return hit[0]
        own_events: list[_Event] = []
        builder = _ContextBuilder(self, active, ctx, override_protected, cycles, own_events)
        result = builder.build(trusted)
        result.shared = active.shared and trusted
        _remember(active, key, (result, tuple(own_events)), run_cache)
        events.extend(own_events)
        return result


# Contexts built from a document's own contexts, memoised for one document:
# (parent, key) -> (child, events); active contexts hash by identity.
_RunCache = dict[tuple[ActiveContext, object], tuple[ActiveContext, tuple[_Event, ...]]]


def _lookup(
    active: ActiveContext, key: object, run_cache: _RunCache | None
) -> tuple[ActiveContext, tuple[_Event, ...]] | None:
    """A child context processed before: kept by ``active`` or by the document's run."""
    hit = active.cached(key)
    if hit is None and run_cache is not None:
        hit = run_cache.get((active, key))
    return hit


def _remember(
    active: ActiveContext,
    key: object,
    hit: tuple[ActiveContext, tuple[_Event, ...]],
    run_cache: _RunCache | None,
) -> None:
    """A shared context keeps only shared children; others stay with the document's run."""
    if hit[0].shared or not active.shared:
        active.remember(key, hit)
    elif run_cache is not None:
        run_cache[(active, key)] = hit


class _ContextBuilder:
    """Processes one local context object into a new active context (§4.1 steps 5.x, §4.2)."""

    __slots__ = (
        "active",
        "ctx",
        "cycles",
        "defined",
        "events",
        "expander",
        "override_protected",
        "result",
        "trusted",
    )

    def __init__(
        self,
        expander: Expander,
        active: ActiveContext,
        ctx: dict[str, Json],
        override_protected: bool,
        cycles: set[str],
        events: list[_Event],
    ) -> None:
        self.expander = expander
        self.active = active
        self.ctx = ctx
        self.override_protected = override_protected
        self.cycles = cycles
        self.events = events
        self.result = active.clone()
        self.defined: dict[str, bool] = {}
        self.trusted = False

    def build(self, trusted: bool = False) -> ActiveContext:
        self.trusted = trusted
        ctx = self.ctx
        result = self.result
        defined = self.defined
        if "@version" in ctx:
            if ctx["@version"] != 1.1:
                raise JsonLdError(f"unsupported JSON-LD version {_short(ctx['@version'])}")
            defined["@version"] = True
        if "@import" in ctx:
            ctx = self._import(ctx)
            self.ctx = ctx
            defined["@import"] = True
        if "@base" in ctx:
            base = ctx["@base"]
            if base is not None and not isinstance(base, str):
                raise JsonLdError("invalid base IRI: @base must be a string or null")
            # With a null document base pyld resolves nothing against @base (and jsonld.js does);
            # relative identifiers stay relative, which safe mode refuses.
            result.base = base
            defined["@base"] = True
        if "@vocab" in ctx:
            value = ctx["@vocab"]
            if value is None:
                result.vocab = None
            elif not isinstance(value, str):
                raise JsonLdError("invalid vocab mapping: @vocab must be a string or null")
            else:
                vocab = _expand_iri(result, value, vocab=True)
                if vocab is None or not is_absolute_iri(vocab):
                    self.events.append(
                        _Event(
                            "relative @vocab reference",
                            f"@vocab {quote(value)} is not an absolute IRI, so the terms it should "
                            "define would be dropped or relative",
                        )
                    )
                result.vocab = vocab
            defined["@vocab"] = True
        if "@language" in ctx:
            value = ctx["@language"]
            if value is None:
                result.language = None
            elif not isinstance(value, str):
                raise JsonLdError("invalid default language: @language must be a string or null")
            else:
                if not _BCP47_RE.match(value):
                    self.events.append(
                        _Event(
                            "invalid @language value",
                            f"the default language {quote(value)} is not a well-formed BCP 47 "
                            "language tag",
                        )
                    )
                result.language = value.lower()
            defined["@language"] = True
        if "@direction" in ctx:
            value = ctx["@direction"]
            if value is not None and value not in ("ltr", "rtl"):
                raise JsonLdError(
                    'invalid base direction: @direction must be null, "ltr" or "rtl", not '
                    + quote(value)
                )
            result.direction = value
            defined["@direction"] = True
        if "@propagate" in ctx:
            if not isinstance(ctx["@propagate"], bool):
                raise JsonLdError("invalid @propagate value: it must be true or false")
            defined["@propagate"] = True
        defined["@protected"] = bool(ctx.get("@protected", False))
        for term, value in ctx.items():
            self.define(term)
            if isinstance(value, dict) and "@context" in value:
                self._validate_scoped(term, value["@context"])
        result.has_protected = any(td.protected for td in result.terms.values())
        return result

    def _import(self, ctx: dict[str, Json]) -> dict[str, Json]:
        url = ctx["@import"]
        if not isinstance(url, str):
            raise JsonLdError("invalid @import value: it must be a string")
        resolved = self.expander._resolve([url], set(), True)
        if len(resolved) != 1 or not isinstance(resolved[0][0], dict):
            raise JsonLdError("invalid remote context: @import must name a single context")
        imported = resolved[0][0]
        if "@import" in imported:
            raise JsonLdError("invalid context entry: an imported context must not use @import")
        # §4.1 step 5.6.7; never modify the loader's (shared) document.
        merged = {**imported, **ctx}
        del merged["@import"]
        return merged

    def _validate_scoped(self, term: str, scoped: Json) -> None:
        """§4.2 step 21: a scoped context is processed once to detect errors early."""
        cycles = self.cycles
        if isinstance(scoped, str):
            if scoped in cycles:
                return
            cycles.add(scoped)
        snapshot = self.result.clone()
        snapshot.has_protected = any(td.protected for td in snapshot.terms.values())
        try:
            self.expander._process_uncached(snapshot, scoped, True, True, cycles, self.events)
        except DocumentLoaderError:
            raise
        except JsonLdError as exc:
            raise JsonLdError(
                f"invalid scoped context for the term {quote(term)}: {exc.detail}"
            ) from exc

    def define(self, term: str) -> None:
        """Create Term Definition (§4.2), mirroring pyld where it differs from jsonld.js."""
        defined = self.defined
        state = defined.get(term)
        if state is not None:
            if state:
                return
            raise JsonLdError(f"cyclic IRI mapping: the term {quote(term)} is defined in a cycle")
        defined[term] = False
        ctx = self.ctx
        active = self.result
        value = ctx.get(term)
        if (
            term == "@type"
            and isinstance(value, dict)
            and value.get("@container", "@set") == "@set"
        ):
            if not value or any(k not in ("@container", "@id", "@protected") for k in value):
                raise JsonLdError("keyword redefinition: @type may only be given @container @set")
        elif term in KEYWORDS:
            raise JsonLdError(f"keyword redefinition: {quote(term)} cannot be redefined")
        elif _KEYWORD_RE.match(term):
            self.events.append(
                _Event(
                    "reserved term",
                    f"the term {quote(term)} looks like a JSON-LD keyword but is not one, so its "
                    "definition would be ignored",
                )
            )
            return
        elif term == "":
            raise JsonLdError("invalid term definition: a term cannot be the empty string")

        previous = active.terms.pop(term, None)
        simple = False
        if isinstance(value, str) or value is None:
            simple = True
            value = {"@id": value}
        if not isinstance(value, dict):
            raise JsonLdError(
                f"invalid term definition for {quote(term)}: it must be a string, null or an object"
            )
        for kw in value:
            if kw not in _TERM_DEFINITION_KEYS:
                raise JsonLdError(
                    f"invalid term definition for {quote(term)}: {quote(kw)} is not allowed"
                )

        td = TermDef()
        colon = term.find(":")
        td.has_colon = colon > 0

        if "@reverse" in value:
            if "@id" in value:
                raise JsonLdError(f"invalid reverse property {quote(term)}: @reverse with @id")
            if "@nest" in value:
                raise JsonLdError(f"invalid reverse property {quote(term)}: @reverse with @nest")
            reverse = value["@reverse"]
            if not isinstance(reverse, str):
                raise JsonLdError(
                    f"invalid IRI mapping for {quote(term)}: @reverse must be a string"
                )
            if _KEYWORD_RE.match(reverse):
                self.events.append(
                    _Event(
                        "reserved @reverse value",
                        f"the @reverse value {quote(reverse)} of the term {quote(term)} looks like "
                        "a keyword, so the term would be ignored",
                    )
                )
                if previous is not None:
                    active.terms[term] = previous
                return
            iri = self.expand_iri(reverse)
            if iri is None or not is_absolute_iri(iri):
                raise JsonLdError(
                    f"invalid IRI mapping for {quote(term)}: @reverse must expand to an "
                    "absolute IRI"
                )
            td.iri = iri
            td.reverse = True
        elif "@id" in value:
            id_ = value["@id"]
            if id_ is None:
                td.iri = None  # a term explicitly mapped to null
            elif not isinstance(id_, str):
                raise JsonLdError(f"invalid IRI mapping for {quote(term)}: @id must be a string")
            elif id_ not in KEYWORDS and _KEYWORD_RE.match(id_):
                self.events.append(
                    _Event(
                        "reserved @id value",
                        f"the @id value {quote(id_)} of the term {quote(term)} looks like a "
                        "keyword, so the term would be ignored",
                    )
                )
                if previous is not None:
                    active.terms[term] = previous
                return
            elif id_ != term:
                iri = self.expand_iri(id_)
                if iri is None or not (is_absolute_iri(iri) or iri in KEYWORDS):
                    raise JsonLdError(
                        f"invalid IRI mapping for {quote(term)}: {quote(id_)} does not expand to "
                        "an absolute IRI, a blank node identifier or a keyword"
                    )
                if _IRI_FORM_RE.match(term):
                    # pyld expands the term with a copy of `defined` in which it is defined.
                    original = self.defined
                    self.defined = {**original, term: True}
                    try:
                        term_iri = self.expand_iri(term)
                    finally:
                        self.defined = original
                    if term_iri != iri:
                        raise JsonLdError(
                            f"invalid IRI mapping: the term {quote(term)} has the form of an IRI "
                            f"but is defined as {quote(iri)}"
                        )
                td.iri = iri
                td.prefix = (
                    simple
                    and not td.has_colon
                    and (iri.startswith("_:") or _GEN_DELIM_END_RE.match(iri) is not None)
                )
            else:
                self._implicit_iri(td, term, colon)
        else:
            self._implicit_iri(td, term, colon)

        if value.get("@protected") or (defined.get("@protected") and value.get("@protected", True)):
            td.protected = True

        if "@type" in value:
            type_ = value["@type"]
            if not isinstance(type_, str):
                raise JsonLdError(f"invalid type mapping for {quote(term)}: @type must be a string")
            if type_ not in ("@json", "@none", "@id", "@vocab"):
                expanded = self.expand_iri(type_)
                if expanded is None or not is_absolute_iri(expanded):
                    raise JsonLdError(
                        f"invalid type mapping for {quote(term)}: {quote(type_)} is not an "
                        "absolute IRI"
                    )
                if expanded.startswith("_:"):
                    raise JsonLdError(
                        f"invalid type mapping for {quote(term)}: a blank node cannot be a datatype"
                    )
                type_ = expanded
            td.type = type_

        if "@container" in value:
            raw = value["@container"]
            container = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(c, str) for c in container):
                raise JsonLdError(f"invalid container mapping for {quote(term)}")
            has_set = "@set" in container
            is_valid = True
            if "@list" in container:
                if len(container) != 1:
                    raise JsonLdError(
                        f"invalid container mapping for {quote(term)}: @list allows no other values"
                    )
            elif "@graph" in container:
                if any(c not in ("@graph", "@id", "@index", "@set") for c in container):
                    raise JsonLdError(
                        f"invalid container mapping for {quote(term)}: @graph only combines with "
                        "@id, @index and @set"
                    )
            else:
                is_valid = len(container) <= (2 if has_set else 1)
            if "@type" in container:
                if not td.type:
                    td.type = "@id"
                if td.type not in ("@id", "@vocab"):
                    raise JsonLdError(
                        f"invalid type mapping for {quote(term)}: a @type container needs @type "
                        "@id or @vocab"
                    )
            is_valid = (
                is_valid
                and all(c in _VALID_CONTAINERS for c in container)
                and not (has_set and "@list" in container)
            )
            if not is_valid:
                raise JsonLdError(f"invalid container mapping for {quote(term)}: {_short(raw)}")
            if td.reverse and any(c not in ("@index", "@set") for c in container):
                raise JsonLdError(
                    f"invalid reverse property {quote(term)}: its container must be @index or @set"
                )
            td.container = tuple(container)
            td.cset = frozenset(container)

        if "@index" in value:
            if "@container" not in value or "@index" not in td.cset:
                raise JsonLdError(
                    f"invalid term definition for {quote(term)}: @index without an @index container"
                )
            index = value["@index"]
            if not isinstance(index, str) or index.startswith("@"):
                raise JsonLdError(
                    f"invalid term definition for {quote(term)}: @index must expand to an IRI"
                )
            td.index = index

        if "@context" in value:
            scoped = value["@context"]
            td.context = False if scoped is None else scoped
            td.context_key = _context_key(scoped)

        if "@language" in value and "@type" not in value:
            language = value["@language"]
            if language is not None and not isinstance(language, str):
                raise JsonLdError(
                    f"invalid language mapping for {quote(term)}: it must be a string or null"
                )
            td.language = language.lower() if isinstance(language, str) else None

        if "@prefix" in value:
            if _COLON_OR_SLASH_RE.match(term):
                raise JsonLdError(
                    f"invalid term definition for {quote(term)}: @prefix on a compact IRI term"
                )
            if td.iri is not None and td.iri in KEYWORDS:
                raise JsonLdError(f"invalid term definition for {quote(term)}: a keyword prefix")
            if not isinstance(value["@prefix"], bool):
                raise JsonLdError(
                    f"invalid @prefix value for {quote(term)}: it must be true or false"
                )
            td.prefix = value["@prefix"]

        if "@direction" in value:
            direction = value["@direction"]
            # §4.2.2 step 22, as jsonld.js (pyld lets "", false and 0 through).
            if direction is not None and direction not in ("ltr", "rtl"):
                raise JsonLdError(
                    f"invalid base direction for the term {quote(term)}: @direction must be null, "
                    f'"ltr" or "rtl", not {quote(direction)}'
                )
            td.direction = direction

        if "@nest" in value:
            nest = value["@nest"]
            if not isinstance(nest, str) or (nest != "@nest" and nest.startswith("@")):
                raise JsonLdError(
                    f"invalid @nest value for {quote(term)}: a string that is not a keyword"
                )
            td.nest = nest

        if td.iri in ("@context", "@preserve"):
            raise JsonLdError(f"invalid keyword alias: {quote(term)} cannot alias {td.iri}")

        if previous is not None and previous.protected and not self.override_protected:
            td.protected = True
            if not previous.same_as(td):
                raise JsonLdError(
                    f"protected term redefinition: the term {quote(term)} is protected by a "
                    "context in scope and cannot be redefined"
                )

        td.trusted = self.trusted
        active.terms[term] = td.finish()
        defined[term] = True

    def _implicit_iri(self, td: TermDef, term: str, colon: int) -> None:
        """§4.2 steps 15-17: a term without @id is a compact IRI, an IRI or vocab-relative."""
        active = self.result
        if td.has_colon:
            prefix = term[:colon]
            if prefix in self.ctx:
                self.define(prefix)
            prefix_td = active.terms.get(prefix)
            if prefix_td is not None:
                td.iri = (prefix_td.iri or "") + term[colon + 1 :]
                if prefix_td.iri is None:
                    # pyld concatenates to None and fails; a null prefix cannot define a term.
                    raise JsonLdError(
                        f"invalid IRI mapping for {quote(term)}: its prefix maps to null"
                    )
            else:
                td.iri = term
        elif term == "@type":
            td.iri = term
        else:
            if active.vocab is None:
                raise JsonLdError(
                    f"invalid IRI mapping: the term {quote(term)} defines no @id and no @vocab is "
                    "set"
                )
            td.iri = active.vocab + term

    def expand_iri(self, value: str) -> str | None:
        """IRI expansion during context processing (vocab-relative, defines dependencies)."""
        if value in KEYWORDS:
            return value
        if _KEYWORD_RE.match(value):
            return None
        ctx = self.ctx
        defined = self.defined
        if value in ctx and defined.get(value) is not True:
            self.define(value)
        active = self.result
        td = active.terms.get(value)
        if td is not None:
            return td.iri
        colon = value.find(":")
        if colon > 0:
            prefix = value[:colon]
            suffix = value[colon + 1 :]
            if prefix == "_" or suffix.startswith("//"):
                return value
            if prefix in ctx and not defined.get(prefix):
                self.define(prefix)
            prefix_td = active.terms.get(prefix)
            if prefix_td is not None and prefix_td.prefix and prefix_td.iri is not None:
                return prefix_td.iri + suffix
            if is_absolute_iri(value):
                return value
        if active.vocab is not None:
            return active.vocab + value
        return value


_TERM_DEFINITION_KEYS: Final = frozenset(
    {
        "@container",
        "@id",
        "@language",
        "@reverse",
        "@type",
        "@context",
        "@direction",
        "@index",
        "@nest",
        "@prefix",
        "@protected",
    }
)
_VALID_CONTAINERS: Final = frozenset(
    {"@list", "@set", "@index", "@language", "@graph", "@id", "@type"}
)


def _expand_iri(active: ActiveContext, value: Json, *, vocab: bool) -> Json:
    """IRI expansion (§5.2) with a null document base, as pyld does it."""
    if value is None or not isinstance(value, str) or value in KEYWORDS:
        return value
    if value[:1] == "@" and _KEYWORD_RE.match(value):
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
        if _ABSOLUTE_IRI_RE.match(value):
            return value
    if vocab and active.vocab is not None:
        return active.vocab + value
    return value


def _is_type_key(active: ActiveContext, key: str) -> bool:
    """``_expand_iri(active, key, vocab=True) == "@type"``, without the general expansion."""
    td = active.terms.get(key)
    if td is not None:
        return td.iri == "@type"
    if key == "@type":
        return True
    if key[:1] == "@" or ":" in key:
        return bool(_expand_iri(active, key, vocab=True) == "@type")
    vocab = active.vocab
    return vocab is not None and vocab + key == "@type"


def _as_list(value: Json) -> list[Json]:
    return value if isinstance(value, list) else [value]


def _droppable(node: Expanded, count: int) -> bool:
    """jsonld.js's test for an object a graph cannot keep (``count``: its own key count):
    empty, a bare value or list, or a node reference with nothing to say."""
    return count == 0 or "@value" in node or "@list" in node or (count == 1 and "@id" in node)


def _add(parent: Expanded, key: str, value: Json, as_array: bool) -> None:
    """pyld's add_value with duplicates allowed."""
    if isinstance(value, list):
        if not value and as_array and key not in parent:
            parent[key] = []
        for item in value:
            _add(parent, key, item, as_array)
        return
    if key in parent:
        existing = parent[key]
        if not isinstance(existing, list):
            parent[key] = existing = [existing]
        existing.append(value)
    else:
        parent[key] = [value] if as_array else value


def _is_value(v: Json) -> bool:
    return isinstance(v, dict) and "@value" in v


def _is_list(v: Json) -> bool:
    return isinstance(v, dict) and "@list" in v


def _is_graph(v: Json) -> bool:
    return (
        isinstance(v, dict)
        and "@graph" in v
        and sum(1 for k in v if k not in ("@id", "@index")) == 1
    )


def _is_subject(v: Json) -> bool:
    if isinstance(v, dict) and "@value" not in v and "@set" not in v and "@list" not in v:
        return len(v) > 1 or "@id" not in v
    return False


_NOT_ARRAY_KEYS: Final = frozenset({"@index", "@id", "@type", "@value", "@language"})
_DOUBLE_LIMIT: Final = 2**53
_XSD_DOUBLE: Final = "http://www.w3.org/2001/XMLSchema#double"


class _Run:
    """One expansion: the safe-mode flag and the event helper, around the shared Expander."""

    __slots__ = ("expander", "process", "run_cache", "safe")

    def __init__(self, expander: Expander, safe: bool) -> None:
        self.expander = expander
        self.safe = safe
        self.process: Callable[..., tuple[ActiveContext, tuple[_Event, ...]]] = expander.process
        self.run_cache: _RunCache = {}

    # -- safe mode --------------------------------------------------------------------------------

    def event(self, code: str, path: Path, message: str) -> None:
        if self.safe:
            raise SafeModeError(f"{render_path(path)}: {message}")

    def apply(
        self,
        active: ActiveContext,
        local: Json,
        path: Path,
        *,
        propagate: bool = True,
        override_protected: bool = False,
        key: object = _MISSING,
        trusted: bool = False,
    ) -> ActiveContext:
        result, events = self.process(
            active,
            local,
            propagate=propagate,
            override_protected=override_protected,
            key=key,
            trusted=trusted,
            run_cache=self.run_cache,
        )
        if events and self.safe:
            first = events[0]
            self.event(first.code, path, first.message)
        return result

    def apply_scoped(
        self, active: ActiveContext, td: TermDef, path: Path, *, as_type: bool
    ) -> ActiveContext:
        """A term's scoped context: property-scoped (override protected) or type-scoped."""
        hit = active._children.get(td.type_scoped_key if as_type else td.scoped_key)
        if hit is None:
            return self.apply(
                active,
                td.context,
                path,
                propagate=not as_type,
                override_protected=not as_type,
                key=td.context_key,
                trusted=td.trusted,
            )
        if hit[1] and self.safe:
            self.event(hit[1][0].code, path, hit[1][0].message)
        return hit[0]

    def check_iri(self, iri: str, path: Path, what: str) -> None:
        """Extra check: characters that no IRI may contain."""
        if self.safe and _INVALID_IRI_CHARS_RE.search(iri):
            self.event(
                "invalid IRI",
                path,
                f"the {what} {quote(iri)} contains characters that are not allowed in an IRI, so "
                "JSON-LD implementations would sign it differently",
            )

    def check_prefix(
        self, active: ActiveContext, raw: str, iri: str, path: Path, what: str
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
            and prefix.lower() not in _COMMON_SCHEMES
            and prefix not in active.terms
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

    # -- expansion (§5.1) -------------------------------------------------------------------------

    def expand_document(self, document: Json) -> list[Expanded]:
        expanded = self.expand(self.expander._root, None, document, False, False, None, None)
        if isinstance(expanded, dict) and "@graph" in expanded and len(expanded) == 1:
            expanded = expanded["@graph"]
        elif expanded is None:
            expanded = []
        return expanded if isinstance(expanded, list) else [expanded]

    def expand(
        self,
        active: ActiveContext,
        active_property: str | None,
        element: Json,
        inside_list: bool,
        inside_index: bool,
        type_scoped: ActiveContext | None,
        path: Path,
        expanded_active_property: Json = _MISSING,
    ) -> Json:
        if element is None:
            return None

        if isinstance(element, list):
            td = active.terms.get(active_property) if active_property is not None else None
            from_container = td is not None and "@list" in td.cset
            nested_in_list = inside_list and not from_container
            inside_list = inside_list or from_container
            out: list[Json] = []
            for i, item in enumerate(element):
                if (
                    nested_in_list
                    and self.safe
                    and item.__class__ is list
                    and (active_property is None or any(x.__class__ is list for x in item))
                ):
                    # pyld keeps "inside list" for arrays nested in an explicit @list; jsonld.js
                    # only one level down (deeper arrays are flattened or dropped).
                    self.event(
                        "nested list",
                        (path, i),
                        "arrays nested more than one level inside @list are expanded "
                        "differently by JSON-LD processors; use nested @list objects",
                    )
                e = self.expand(
                    active,
                    active_property,
                    item,
                    inside_list,
                    inside_index,
                    type_scoped,
                    (path, i),
                    expanded_active_property,
                )
                if e is None:
                    continue
                if isinstance(e, list):
                    if inside_list:
                        out.append({"@list": e})
                    else:
                        out.extend(e)
                else:
                    out.append(e)
            return out

        if expanded_active_property is _MISSING:
            expanded_active_property = _expand_iri(active, active_property, vocab=True)

        if not isinstance(element, dict):
            if not isinstance(element, str | int | float):
                raise Unsupported(f"{type(element).__name__} is not a JSON value")
            if not inside_list and (
                active_property is None or expanded_active_property == "@graph"
            ):
                self.event(
                    "free-floating scalar",
                    path,
                    f"the value {_short(element)} is not the value of any property, so it would "
                    "be dropped from the signed data",
                )
                return None
            return self.expand_value(active, active_property, element, path)

        scoped_td = active.terms.get(active_property) if active_property is not None else None

        # §5.1 step 7: revert a type-scoped (non-propagated) context, except for value objects
        # and subject references.
        if type_scoped is None and active.previous is not None:
            type_scoped = active
        if not inside_index:
            must_revert = True
            if type_scoped is not None and len(element) <= 2 and "@context" not in element:
                for key in sorted(element):
                    expanded_key = _expand_iri(type_scoped, key, vocab=True)
                    if expanded_key == "@value":
                        must_revert = False
                        active = type_scoped
                        break
                    if expanded_key == "@id" and len(element) == 1:
                        must_revert = False
                        break
            if must_revert and active.previous is not None:
                active = active.previous

        # §5.1 step 8: the property-scoped context.
        if scoped_td is not None and scoped_td.context is not _MISSING:
            active = self.apply_scoped(active, scoped_td, path, as_type=False)

        active, type_key, type_scoped = self.prepare_node(active, element, path)

        rval: Expanded = {}
        self.expand_object(
            active,
            active_property,
            expanded_active_property,
            element,
            rval,
            inside_list,
            type_key,
            type_scoped,
            path,
        )

        count = len(rval)
        result: Json = rval
        if "@value" in rval:
            result = self.finish_value(active, element, rval, count, path)
        elif "@type" in rval:
            types = rval["@type"]
            if types is None:
                raise JsonLdError(f"{render_path(path)}: invalid type value: @type is null")
            if not isinstance(types, list):
                rval["@type"] = [types]
        elif "@set" in rval or "@list" in rval:
            if count > 1 and not (count == 2 and "@index" in rval):
                raise JsonLdError(
                    f"{render_path(path)}: invalid set or list object: only @index may be "
                    "given beside @set or @list"
                )
            if "@set" in rval:
                result = rval["@set"]
                count = len(result)
        elif count == 1 and "@language" in rval:
            self.event(
                "object with only @language",
                path,
                "an object with only @language carries no value and would be dropped",
            )
            result = None

        if (
            not inside_list
            and (active_property is None or expanded_active_property == "@graph")
            and isinstance(result, dict)
            and _droppable(result, count)
        ):
            self.dropped_object(result, count, path)
            result = None
        return result

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
                f"the node {_short(value.get('@id'))} has only an identifier and stands at the top "
                "level or directly in a graph, so it carries no statement and would be dropped",
            )

    def finish_value(
        self,
        active: ActiveContext,
        element: dict[str, Json],
        rval: Expanded,
        count: int,
        path: Path,
    ) -> Json:
        """§5.1 step 15: checks on a value object."""
        if "@type" in rval and ("@language" in rval or "@direction" in rval):
            raise JsonLdError(
                f"{render_path(path)}: invalid value object: @type with @language or @direction"
            )
        valid = count - 1
        for k in ("@type", "@index", "@language", "@direction"):
            if k in rval:
                valid -= 1
        if valid != 0:
            raise JsonLdError(
                f"{render_path(path)}: invalid value object: only @type, @language, @direction "
                "and @index may be given beside @value"
            )
        if "@type" in rval:
            if any(
                _expand_iri(active, k, vocab=True) == "@type" and isinstance(v, list)
                for k, v in element.items()
            ):
                raise JsonLdError(
                    f"{render_path(path)}: invalid typed value: @type of a value must be a string"
                )
            if rval["@type"] is None:
                del rval["@type"]
        value = rval["@value"]
        type_ = rval.get("@type")
        if type_ == "@json":
            return rval
        if value is None:
            self.event(
                "null @value value",
                path,
                "a value object whose @value is null would be dropped from the signed data",
            )
            return None
        values = value if isinstance(value, list) else [value]
        if "@language" in rval and not all(
            isinstance(v, str) or (isinstance(v, dict) and not v) for v in values
        ):
            raise JsonLdError(
                f"{render_path(path)}: invalid language-tagged value: only strings may have a "
                "language"
            )
        types = type_ if isinstance(type_, list) else ([] if type_ is None else [type_])
        for t in types:
            if not (
                (isinstance(t, dict) and not t)
                or (isinstance(t, str) and is_absolute_iri(t) and not t.startswith("_:"))
            ):
                raise JsonLdError(
                    f"{render_path(path)}: invalid typed value: the datatype {_short(t)} is not an "
                    "absolute IRI"
                )
        if self.safe and type_ == _XSD_DOUBLE:
            self.check_double(value, path)
        return rval

    def prepare_node(
        self, active: ActiveContext, element: dict[str, Json], path: Path
    ) -> tuple[ActiveContext, str | None, ActiveContext]:
        """Embedded and type-scoped contexts of a node (pyld's _prepare_nested_context)."""
        if "@context" in element:
            local = element["@context"]
            if isinstance(local, dict) and len(local) == 1 and "@context" in local:
                raise JsonLdError(
                    f"{render_path(path)}: keyword redefinition: a context cannot contain only "
                    "@context"
                )
            active = self.apply(active, local, (path, "@context"))
        type_scoped = active
        type_key: str | None = None
        terms = active.terms
        for key in element:
            td = terms.get(key)
            if td is not None:
                if td.iri == "@type":
                    break
            elif _is_type_key(active, key):
                break
        else:
            # No key is @type now, and only a type-scoped context could make one so.
            return active, None, type_scoped
        type_terms = type_scoped.terms
        for key in sorted(element):
            # Each key is expanded with the context so far, type-scoped ones included (pyld).
            td = active.terms.get(key)
            if td is not None:
                if td.iri != "@type":
                    continue
            elif not _is_type_key(active, key):
                continue
            if type_key is None:
                type_key = key
            value = element[key]
            if isinstance(value, str):
                types = [value]
            elif isinstance(value, list):
                types = sorted(t for t in value if isinstance(t, str))
            else:
                continue
            for type_ in types:
                ttd = type_terms.get(type_)
                if ttd is None:
                    continue
                scoped = ttd.context
                if scoped is _MISSING:
                    continue
                if scoped is None or scoped is False:
                    # pyld ignores a type-scoped null context; jsonld.js clears the context.
                    self.event(
                        "type-scoped null context",
                        (path, key),
                        f"the type {quote(type_)} resets the context to null, which JSON-LD "
                        "processors apply differently",
                    )
                    continue
                active = self.apply_scoped(active, ttd, (path, key), as_type=True)
        return active, type_key, type_scoped

    def expand_object(
        self,
        active: ActiveContext,
        active_property: str | None,
        expanded_active_property: Json,
        element: dict[str, Json],
        parent: Expanded,
        inside_list: bool,
        type_key: str | None,
        type_scoped: ActiveContext,
        path: Path,
    ) -> None:
        nests: list[tuple[str, ActiveContext]] = []
        unexpanded_value: Json = None
        terms = active.terms
        safe = self.safe

        # pyld visits the keys in sorted order; only error precedence depends on it.
        for key, value in element.items():
            if key == "@context":
                continue
            kpath: Path = (path, key)
            td = terms.get(key)
            expanded: Json
            prop: str
            if td is not None:
                iri = td.iri
                if iri is None or not td.prop_ok:
                    self.invalid_property(key, iri, kpath)
                    continue
                prop = iri
                if td.simple and (not safe or td.safe_ok):
                    # Fast path: a plain property (no scoped context, container or reverse).
                    cls = value.__class__
                    if cls is str or cls is int or cls is float or cls is bool:
                        expanded = self.expand_value(active, key, value, kpath, td)
                    elif value is None:
                        continue
                    else:
                        expanded = self.expand(active, key, value, False, False, None, kpath, prop)
                        if expanded is None:
                            continue
                    existing = parent.get(prop)
                    if existing is None:
                        parent[prop] = expanded if isinstance(expanded, list) else [expanded]
                    elif isinstance(expanded, list):
                        existing.extend(expanded)
                    else:
                        existing.append(expanded)
                    continue
                if safe and not td.safe_ok and not td.keyword:
                    self.check_property(active, key, prop, True, kpath)
            else:
                expanded_key = key if key in KEYWORDS else _expand_iri(active, key, vocab=True)
                if expanded_key is None or not (
                    expanded_key in KEYWORDS or _ABSOLUTE_IRI_RE.match(expanded_key)
                ):
                    self.invalid_property(key, expanded_key, kpath)
                    continue
                prop = expanded_key
                if safe and prop[0] != "@":
                    self.check_property(active, key, prop, False, kpath)

            if prop == "@type" and expanded_active_property != "@reverse":
                # The common keyword, inline: types that are terms of the type-scoped context.
                values = [value] if value.__class__ is str else value
                if values.__class__ is list:
                    type_terms = type_scoped.terms
                    expanded_types = []
                    for v in values:
                        ttd = type_terms.get(v) if v.__class__ is str else None
                        if ttd is None or (safe and not ttd.safe_ok) or ttd.iri is None:
                            break
                        expanded_types.append(ttd.iri)
                    else:
                        existing = parent.get("@type")
                        if not expanded_types:
                            pass
                        elif existing is None:
                            parent["@type"] = (
                                expanded_types if len(expanded_types) > 1 else expanded_types[0]
                            )
                        elif isinstance(existing, list):
                            existing.extend(expanded_types)
                        else:
                            parent["@type"] = [existing, *expanded_types]
                        continue
            if prop == "@id" and isinstance(value, str) and "@id" not in parent:
                iri = _expand_iri(active, value, vocab=False)
                if iri is None or (safe and not _ABSOLUTE_IRI_RE.match(iri)):
                    pass  # expand_keyword reports it
                else:
                    if expanded_active_property == "@reverse":
                        raise JsonLdError(
                            f"{render_path(kpath)}: invalid reverse property map: a keyword "
                            "cannot be a reverse property"
                        )
                    if safe:
                        self.check_iri(iri, kpath, "identifier")
                    parent["@id"] = iri
                    continue
            if prop[0] == "@" and self.expand_keyword(
                active,
                active_property,
                expanded_active_property,
                element,
                parent,
                inside_list,
                type_scoped,
                type_key,
                key,
                prop,
                value,
                kpath,
            ):
                if prop == "@value":
                    unexpanded_value = value
                continue

            term_ctx = active
            if td is not None and td.context is not _MISSING:
                term_ctx = self.apply_scoped(active, td, kpath, as_type=False)

            if prop == "@nest":
                nests.append((key, term_ctx))
                continue

            container = td.cset if td is not None else _EMPTY
            if (
                container
                and isinstance(value, dict)
                and (
                    "@language" in container
                    or "@index" in container
                    or "@id" in container
                    or "@type" in container
                )
            ):
                expanded = self.expand_map(active, term_ctx, td, key, value, container, kpath)
            elif prop == "@list" or prop == "@set":
                is_list = prop == "@list"
                next_property = active_property
                if is_list and expanded_active_property == "@graph":
                    next_property = None
                expanded = self.expand(term_ctx, next_property, value, is_list, False, None, kpath)
            elif td is not None and td.type == "@json":
                if safe:
                    self.check_json(value, kpath)
                expanded = {"@type": "@json", "@value": value}
            elif term_ctx is active and not isinstance(value, dict | list):
                # A scalar under a term: value expansion directly (what expand() would do).
                if value is None:
                    continue
                if not isinstance(value, str | int | float):
                    raise Unsupported(f"{type(value).__name__} is not a JSON value")
                expanded = self.expand_value(active, key, value, kpath, td)
            else:
                expanded = self.expand(
                    term_ctx,
                    key,
                    value,
                    False,
                    False,
                    None,
                    kpath,
                    prop if term_ctx is active else _MISSING,
                )

            if expanded is None:
                continue

            if "@list" in container and prop != "@list" and not _is_list(expanded):
                expanded = {"@list": expanded if isinstance(expanded, list) else [expanded]}

            if "@graph" in container and "@id" not in container and "@index" not in container:
                items = expanded if isinstance(expanded, list) else [expanded]
                if safe:
                    for i, item in enumerate(items):
                        n = len(item) if isinstance(item, dict) else 1
                        if isinstance(item, dict) and _droppable(item, n):
                            self.dropped_object(
                                item, n, (kpath, i) if isinstance(value, list) else kpath
                            )
                expanded = [{"@graph": [item]} for item in items]

            ttd = td if term_ctx is active else term_ctx.terms.get(key)
            if ttd is not None and ttd.reverse:
                reverse_map = parent.setdefault("@reverse", {})
                items = expanded if isinstance(expanded, list) else [expanded]
                for item in items:
                    if _is_value(item) or _is_list(item):
                        raise JsonLdError(
                            f"{render_path(kpath)}: invalid reverse property value: a value or "
                            "list cannot be the subject of a reverse property"
                        )
                    _add(reverse_map, prop, item, True)
                continue

            if prop[0] == "@":
                _add(parent, prop, expanded, prop not in _NOT_ARRAY_KEYS)
                continue
            existing = parent.get(prop)
            if existing is None:
                parent[prop] = expanded if isinstance(expanded, list) else [expanded]
            elif isinstance(expanded, list):
                existing.extend(expanded)
            else:
                existing.append(expanded)

        if (
            "@value" in parent
            and parent.get("@type") != "@json"
            and isinstance(unexpanded_value, dict | list)
        ):
            raise JsonLdError(
                f"{render_path(path)}: invalid value object value: @value must not be an "
                "object or an array"
            )

        for key, term_ctx in nests:
            raw = element[key]
            for i, nv in enumerate(_as_list(raw)):
                npath: Path = ((path, key), i) if isinstance(raw, list) else (path, key)
                if not isinstance(nv, dict):
                    raise JsonLdError(
                        f"{render_path(npath)}: invalid @nest value: it must be a node object"
                    )
                nested_ctx, nested_type_key, nested_type_scoped = self.prepare_node(
                    term_ctx, nv, npath
                )
                if any(_expand_iri(nested_ctx, k, vocab=True) == "@value" for k in nv):
                    raise JsonLdError(
                        f"{render_path(npath)}: invalid @nest value: it must be a node object"
                    )
                self.expand_object(
                    nested_ctx,
                    active_property,
                    expanded_active_property,
                    nv,
                    parent,
                    inside_list,
                    nested_type_key,
                    nested_type_scoped,
                    npath,
                )

    def invalid_property(self, key: str, prop: Json, path: Path) -> None:
        if prop is None and _KEYWORD_RE.match(key):
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
        self, active: ActiveContext, key: str, prop: str, is_term: bool, path: Path
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
            self.check_prefix(active, key, prop, path, "key")

    def expand_keyword(
        self,
        active: ActiveContext,
        active_property: str | None,
        expanded_active_property: Json,
        element: dict[str, Json],
        parent: Expanded,
        inside_list: bool,
        type_scoped: ActiveContext,
        type_key: str | None,
        key: str,
        prop: str,
        value: Json,
        kpath: Path,
    ) -> bool:
        """A keyword entry of a node or value object; False for those expanded as properties."""
        safe = self.safe
        if expanded_active_property == "@reverse":
            raise JsonLdError(
                f"{render_path(kpath)}: invalid reverse property map: a keyword cannot be a "
                "reverse property"
            )
        if prop in parent and prop != "@included" and prop != "@type":
            raise JsonLdError(f"{render_path(kpath)}: colliding keywords: {prop} is given twice")
        if safe and prop not in _NODE_KEYWORDS:
            self.event(
                "unprocessed keyword",
                kpath,
                f"the keyword {prop} has no meaning inside data, so this entry would be dropped "
                "from the signed data",
            )

        if prop == "@id":
            if not isinstance(value, str):
                raise JsonLdError(f"{render_path(kpath)}: invalid @id value: not a string")
            iri = _expand_iri(active, value, vocab=False)
            if iri is None:
                self.event(
                    "reserved @id value",
                    kpath,
                    f"the identifier {quote(value)} looks like a JSON-LD keyword, so it would be "
                    "dropped from the signed data",
                )
            elif safe:
                if not _ABSOLUTE_IRI_RE.match(iri):
                    self.event(
                        "relative @id reference",
                        kpath,
                        f"the identifier {quote(value)} is not an absolute IRI (there is no base "
                        "IRI to resolve it against), so statements about it would be dropped from "
                        "the signed data",
                    )
                self.check_iri(iri, kpath, "identifier")
            _add(parent, "@id", iri, False)
            return True

        if prop == "@type":
            if value is None:
                _add(parent, "@type", None, False)
                return True
            if isinstance(value, str):
                values = [value]
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                values = value
            else:
                raise JsonLdError(
                    f"{render_path(kpath)}: invalid type value: @type must be a string or an "
                    "array of strings"
                )
            type_terms = type_scoped.terms
            expanded_types = []
            for i, v in enumerate(values):
                ttd = type_terms.get(v)
                t = ttd.iri if ttd is not None else _expand_iri(type_scoped, v, vocab=True)
                if safe and not (ttd is not None and ttd.safe_ok):
                    tpath: Path = (kpath, i) if isinstance(value, list) else kpath
                    if t != "@json" and (t is None or not _ABSOLUTE_IRI_RE.match(t)):
                        self.event(
                            "relative @type reference",
                            tpath,
                            f"the type {quote(v)} is not defined by any context in scope and is "
                            "not an absolute IRI, so it would be dropped from the signed data",
                        )
                    if isinstance(t, str):
                        self.check_iri(t, tpath, "type")
                        if ttd is None:
                            self.check_prefix(type_scoped, v, t, tpath, "type")
                expanded_types.append(t)
            _add(parent, "@type", expanded_types, False)
            return True

        if prop == "@included":
            included = self.expand(active, active_property, value, False, False, None, kpath)
            included = included if isinstance(included, list) else [included]
            if not all(_is_subject(v) for v in included):
                raise JsonLdError(
                    f"{render_path(kpath)}: invalid @included value: it must contain node objects"
                )
            _add(parent, "@included", included, True)
            return True

        if prop == "@graph":
            if not isinstance(value, dict | list):
                raise JsonLdError(
                    f"{render_path(kpath)}: invalid @graph value: it must be an object or array"
                )
            return False

        if prop == "@value":
            is_json_type = False
            if type_key is not None:
                t = element[type_key]
                if t and isinstance(t, list):
                    t = t[0]
                is_json_type = _expand_iri(active, t, vocab=True) == "@json"
            if is_json_type:
                parent["@value"] = value
                if safe:
                    self.check_json(value, kpath)
            else:
                if isinstance(value, int | float):
                    self.check_number(value, kpath)
                elif value is not None and not isinstance(value, str | dict | list):
                    raise Unsupported(f"{type(value).__name__} is not a JSON value")
                _add(parent, "@value", value, False)
            return True

        if prop == "@language":
            if value is None:
                return True
            if not isinstance(value, str):
                raise JsonLdError(
                    f"{render_path(kpath)}: invalid language-tagged string: @language must be a "
                    "string"
                )
            if safe and not _BCP47_RE.match(value):
                self.event(
                    "invalid @language value",
                    kpath,
                    f"{quote(value)} is not a well-formed BCP 47 language tag",
                )
            _add(parent, "@language", value.lower(), False)
            return True

        if prop == "@direction":
            if value not in ("ltr", "rtl") or not isinstance(value, str):
                raise JsonLdError(
                    f'{render_path(kpath)}: invalid base direction: @direction must be "ltr" or '
                    f'"rtl", not {quote(value)}'
                )
            _add(parent, "@direction", value, False)
            return True

        if prop == "@index":
            if not isinstance(value, str):
                raise JsonLdError(f"{render_path(kpath)}: invalid @index value: not a string")
            _add(parent, "@index", value, False)
            return True

        if prop == "@reverse":
            self.expand_reverse_map(active, value, parent, inside_list, kpath)
            return True

        return False

    def expand_map(
        self,
        active: ActiveContext,
        term_ctx: ActiveContext,
        td: TermDef | None,
        key: str,
        value: dict[str, Json],
        container: frozenset[str],
        kpath: Path,
    ) -> Json:
        """Language, index, id and type maps (§5.1 steps 13.7-13.8)."""
        if "@language" in container:
            direction = active.direction
            if td is not None and td.direction is not _MISSING:
                direction = td.direction
            elif direction is not None:
                self.default_direction(direction, kpath)
            return self.expand_language_map(term_ctx, value, direction, kpath)
        if "@index" in container:
            index_key = None
            ttd = term_ctx.terms.get(key)
            if ttd is not None:
                index_key = ttd.index
            if index_key is None:
                index_key = "@index"
            property_index = None
            if index_key != "@index":
                # pyld expands the index property without vocab (it passes the document base,
                # null, as the vocab flag): a term stays unexpanded and is dropped.
                property_index = _expand_iri(active, index_key, vocab=False)
                if self.safe and (
                    property_index is None or not _ABSOLUTE_IRI_RE.match(property_index)
                ):
                    self.event(
                        "index property not expanded",
                        kpath,
                        f"the index property {quote(index_key)} of the term {quote(key)} would be "
                        "dropped by some JSON-LD processors and kept by others",
                    )
            return self.expand_index_map(
                term_ctx, key, value, index_key, "@graph" in container, property_index, kpath
            )
        if "@id" in container:
            return self.expand_index_map(
                term_ctx, key, value, "@id", "@graph" in container, None, kpath
            )
        return self.expand_index_map(term_ctx.revert(), key, value, "@type", False, None, kpath)

    def expand_reverse_map(
        self, active: ActiveContext, value: Json, parent: Expanded, inside_list: bool, path: Path
    ) -> None:
        if not isinstance(value, dict):
            raise JsonLdError(f"{render_path(path)}: invalid @reverse value: not an object")
        expanded = self.expand(active, "@reverse", value, inside_list, False, None, path)
        if not isinstance(expanded, dict):
            return
        if "@reverse" in expanded:
            for prop, items in expanded["@reverse"].items():
                _add(parent, prop, items, True)
        reverse_map = parent.get("@reverse")
        for prop, items in expanded.items():
            if prop == "@reverse":
                continue
            if reverse_map is None:
                reverse_map = parent["@reverse"] = {}
            _add(reverse_map, prop, [], True)
            for item in items:
                if _is_value(item) or _is_list(item):
                    raise JsonLdError(
                        f"{render_path(path)}: invalid reverse property value: a value or list "
                        "cannot be the subject of a reverse property"
                    )
                _add(reverse_map, prop, item, True)

    def expand_value(
        self,
        active: ActiveContext,
        active_property: str | None,
        value: Json,
        path: Path,
        td: TermDef | _Missing | None = _MISSING,
    ) -> Json:
        """Value expansion (§5.3)."""
        if isinstance(td, _Missing):
            td = active.terms.get(active_property) if active_property is not None else None
        prop = td.iri if td is not None else _expand_iri(active, active_property, vocab=True)
        if prop == "@id":
            return _expand_iri(active, value, vocab=False)
        if prop == "@type":
            return _expand_iri(active, value, vocab=True)
        type_ = td.type if td is not None else None
        if isinstance(value, str):
            if type_ == "@id" or prop == "@graph":
                return {"@id": self.reference(active, value, False, active_property, path)}
            if type_ == "@vocab":
                return {"@id": self.reference(active, value, True, active_property, path)}
        if prop in KEYWORDS:
            return value
        rval: Expanded = {}
        if type_ is not None and type_ not in ("@id", "@vocab", "@none"):
            rval["@type"] = type_
            if type_ == _XSD_DOUBLE and self.safe:
                self.check_double(value, path)
        elif isinstance(value, str):
            language = active.language
            if td is not None and td.language is not _MISSING:
                language = td.language
            if language is not None:
                rval["@language"] = language
            direction = active.direction
            if td is not None and td.direction is not _MISSING:
                direction = td.direction
            elif direction is not None:
                self.default_direction(direction, path)
            if direction is not None:
                rval["@direction"] = direction
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.check_number(value, path)
        rval["@value"] = value
        return rval

    def default_direction(self, direction: str, path: Path) -> None:
        """A string would take the default base direction of a context (§5.3 step 4.3).

        jsonld.js and pyld lose a context's ``@direction`` whenever they copy the active context
        (their clone functions leave it out): jsonld.js when any later context is processed, pyld
        in fewer places, the specification never.  Where it survives differs between them, so
        safe mode refuses and otherwise the reference path decides.
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

    def reference(
        self, active: ActiveContext, value: str, vocab: bool, term: str | None, path: Path
    ) -> Json:
        """A string that a term coerces to an IRI (@type @id / @vocab, @graph)."""
        iri = _expand_iri(active, value, vocab=vocab)
        if iri is None:
            self.event(
                "reserved @id value",
                path,
                f"the value {quote(value)} looks like a JSON-LD keyword, so it would be dropped "
                "from the signed data",
            )
        elif self.safe:
            if not _ABSOLUTE_IRI_RE.match(iri):
                self.event(
                    "relative object reference",
                    path,
                    f"the value {quote(value)} is used as an IRI (the term {quote(term)} has "
                    f'"@type": "@{"vocab" if vocab else "id"}") but is not an absolute IRI, so it '
                    "would be dropped from the signed data",
                )
            self.check_iri(iri, path, "IRI")
        return iri

    def expand_language_map(
        self, active: ActiveContext, language_map: dict[str, Json], direction: Json, path: Path
    ) -> list[Expanded]:
        out: list[Expanded] = []
        for key in sorted(language_map):
            expanded_key = _expand_iri(active, key, vocab=True)
            kpath: Path = (path, key)
            for item in _as_list(language_map[key]):
                if item is None:
                    continue
                if not isinstance(item, str):
                    raise JsonLdError(
                        f"{render_path(kpath)}: invalid language map value: not a string"
                    )
                val: Expanded = {"@value": item}
                if expanded_key != "@none":
                    if self.safe and not _BCP47_RE.match(key):
                        self.event(
                            "invalid @language value",
                            kpath,
                            f"{quote(key)} is not a well-formed BCP 47 language tag",
                        )
                    val["@language"] = key.lower()
                if direction:
                    val["@direction"] = direction
                out.append(val)
        return out

    def expand_index_map(
        self,
        active: ActiveContext,
        active_property: str,
        value: dict[str, Json],
        index_key: str,
        as_graph: bool,
        property_index: Json,
        path: Path,
    ) -> list[Json]:
        out: list[Json] = []
        is_type_index = index_key == "@type"
        for k in sorted(value):
            kpath: Path = (path, k)
            if is_type_index:
                td = active.terms.get(k)
                if td is not None and td.context is not _MISSING:
                    active = self.apply(
                        active, td.context, kpath, propagate=False, key=td.context_key
                    )
            items = self.expand(
                active, active_property, _as_list(value[k]), False, True, None, kpath
            )
            if property_index:
                expanded_key = (
                    "@none" if k == "@none" else self.expand_value(active, index_key, k, kpath)
                )
            else:
                expanded_key = _expand_iri(active, k, vocab=True)
            key: Json = k
            if index_key == "@id":
                key = _expand_iri(active, k, vocab=False)
                if self.safe and expanded_key != "@none":
                    if key is None or not _ABSOLUTE_IRI_RE.match(key):
                        self.event(
                            "relative @id reference",
                            kpath,
                            f"the identifier {quote(k)} is not an absolute IRI, so statements "
                            "about it would be dropped from the signed data",
                        )
                    else:
                        self.check_iri(key, kpath, "identifier")
            elif is_type_index:
                key = expanded_key
                if self.safe and expanded_key != "@none":
                    if key is None or not _ABSOLUTE_IRI_RE.match(key):
                        self.event(
                            "relative @type reference",
                            kpath,
                            f"the type {quote(k)} is not defined by any context in scope and is "
                            "not an absolute IRI, so it would be dropped from the signed data",
                        )
                    else:
                        self.check_iri(key, kpath, "type")
            for item in items:
                if as_graph and not _is_graph(item):
                    item = {"@graph": [item]}
                if index_key == "@type":
                    if expanded_key == "@none":
                        pass
                    elif item.get("@type"):
                        item["@type"] = [key, *item["@type"]]
                    else:
                        item["@type"] = [key]
                elif (
                    _is_value(item)
                    and "@language" not in index_key
                    and "@type" not in index_key
                    and "@index" not in index_key
                ):
                    raise JsonLdError(
                        f"{render_path(kpath)}: invalid value object: a value cannot be indexed "
                        f"by {quote(index_key)}"
                    )
                elif property_index:
                    if expanded_key != "@none":
                        # pyld asks add_value to prepend but add_value appends; order is
                        # immaterial in RDF.
                        _add(item, property_index, expanded_key, True)
                elif expanded_key != "@none" and index_key not in item:
                    item[index_key] = key
                out.append(item)
        return out
