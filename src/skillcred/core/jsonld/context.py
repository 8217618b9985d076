"""JSON-LD 1.1 context processing (Processing Algorithms §4.1) and Create Term Definition (§4.2),
as jsonld.js's ``context.js``; memoised so that a credential whose contexts were seen before does
no context processing at all.

Where pyld — the reference path the tests compare with — deviates from the specification on an
input that can matter, this follows pyld so that both give the same canonical N-Quads; the few
places where the reference itself is wrong are corrected in both (see ``canon.py``).

Only contexts derived from loader-served contexts (the shipped ones) and their scoped contexts
are kept across documents (:attr:`ActiveContext.shared`); contexts built from a document's own
``@context`` objects are memoised for that document only (a :data:`RunCache`), so clients cannot
grow the caches.
"""

from __future__ import annotations

import re
from typing import Final

from skillcred.core.jsonld.active_context import (
    ActiveContext,
    TermDef,
    expand_iri,
    initial_context,
    local_context_key,
)
from skillcred.core.jsonld.events import ContextEvent, quote, short
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.jsonld.syntax import (
    BCP47_RE,
    KEYWORD_RE,
    KEYWORDS,
    MISSING,
    Json,
    is_absolute_iri,
)
from skillcred.errors import DocumentLoaderError, JsonLdError

__all__ = ["ContextBuilder", "ContextProcessor", "RunCache"]

_MAX_REMOTE_CONTEXTS: Final = 10
_IRI_FORM_RE: Final = re.compile(r".*((:[^:])|/)")
_GEN_DELIM_END_RE: Final = re.compile(r".*[:/\?#\[\]@]$")
_COLON_OR_SLASH_RE: Final = re.compile(r".*(:|/)")


# Contexts built from a document's own contexts, memoised for one document:
# (parent, key) -> (child, events); active contexts hash by identity.
RunCache = dict[tuple[ActiveContext, object], tuple[ActiveContext, tuple[ContextEvent, ...]]]


def lookup_child(
    active: ActiveContext, key: object, run_cache: RunCache | None
) -> tuple[ActiveContext, tuple[ContextEvent, ...]] | None:
    """A child context processed before: kept by ``active`` or by the document's run."""
    hit = active.cached(key)
    if hit is None and run_cache is not None:
        hit = run_cache.get((active, key))
    return hit


def remember_child(
    active: ActiveContext,
    key: object,
    hit: tuple[ActiveContext, tuple[ContextEvent, ...]],
    run_cache: RunCache | None,
) -> None:
    """A shared context keeps only shared children; others stay with the document's run."""
    if hit[0].shared or not active.shared:
        active.remember(key, hit)
    elif run_cache is not None:
        run_cache[(active, key)] = hit


class ContextProcessor:
    """Context processing (§4.1) with contexts from one loader, memoised; safe to share between
    threads (the memo is a cache: a race costs a recomputation)."""

    __slots__ = ("_loader", "_root")

    def __init__(self, loader: DocumentLoader) -> None:
        self._loader = loader
        self._root = initial_context()

    def process(
        self,
        active: ActiveContext,
        local: Json,
        *,
        propagate: bool = True,
        override_protected: bool = False,
        key: object = MISSING,
        trusted: bool = False,
        run_cache: RunCache | None = None,
    ) -> tuple[ActiveContext, tuple[ContextEvent, ...]]:
        """Process a local context; ``trusted`` if it comes from a loader-served context."""
        if isinstance(local, dict) and isinstance(local.get("@context"), list):
            local = local["@context"]
            key = MISSING
        if key is MISSING:
            if isinstance(local, list):
                key = tuple(local_context_key(item) for item in local)
            else:
                key = local_context_key(local)
        full_key = (key, propagate, override_protected)
        hit = lookup_child(active, full_key, run_cache)
        if hit is None:
            events: list[ContextEvent] = []
            result = self._process_uncached(
                active, local, propagate, override_protected, set(), events, trusted, run_cache
            )
            hit = (result, tuple(events))
            remember_child(active, full_key, hit, run_cache)
        return hit

    def _process_uncached(
        self,
        active: ActiveContext,
        local: Json,
        propagate: bool,
        override_protected: bool,
        cycles: set[str],
        events: list[ContextEvent],
        trusted: bool = False,
        run_cache: RunCache | None = None,
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
                raise JsonLdError(f"invalid local context {short(item)}: not an object or a URL")
        return out

    def _process_one(
        self,
        active: ActiveContext,
        ctx: Json,
        override_protected: bool,
        cycles: set[str],
        events: list[ContextEvent],
        trusted: bool = False,
        run_cache: RunCache | None = None,
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
            raise JsonLdError(f"invalid local context {short(ctx)}: not a JSON object")
        key = ("one", local_context_key(ctx), override_protected)
        hit = lookup_child(active, key, run_cache)
        if hit is not None:
            events.extend(hit[1])
            return hit[0]
        own_events: list[ContextEvent] = []
        builder = ContextBuilder(self, active, ctx, override_protected, cycles, own_events)
        result = builder.build(trusted)
        result.shared = active.shared and trusted
        remember_child(active, key, (result, tuple(own_events)), run_cache)
        events.extend(own_events)
        return result


class ContextBuilder:
    """Processes one local context object into a new active context (§4.1 steps 5.x, §4.2)."""

    __slots__ = (
        "active",
        "ctx",
        "cycles",
        "defined",
        "events",
        "override_protected",
        "processor",
        "result",
        "trusted",
    )

    def __init__(
        self,
        processor: ContextProcessor,
        active: ActiveContext,
        ctx: dict[str, Json],
        override_protected: bool,
        cycles: set[str],
        events: list[ContextEvent],
    ) -> None:
        self.processor = processor
        self.active = active
        self.ctx = ctx
        self.override_protected = override_protected
        self.cycles = cycles
        self.events = events
        self.result = active.clone()
        self.defined: dict[str, bool] = {}
        self.trusted = False

    def build(self, trusted: bool = False) -> ActiveContext:
        """§4.1 step 5 for one context object: its keywords, then each term definition."""
        self.trusted = trusted
        self._version()
        if "@import" in self.ctx:
            self.ctx = self._import(self.ctx)
            self.defined["@import"] = True
        self._base()
        self._vocab()
        self._language()
        self._direction()
        self._propagate()
        return self._define_terms()

    def _version(self) -> None:
        """§4.1 step 5.5: only JSON-LD 1.1 is processed."""
        ctx = self.ctx
        if "@version" in ctx:
            if ctx["@version"] != 1.1:
                raise JsonLdError(f"unsupported JSON-LD version {short(ctx['@version'])}")
            self.defined["@version"] = True

    def _base(self) -> None:
        """§4.1 step 5.7: @base."""
        ctx = self.ctx
        if "@base" in ctx:
            base = ctx["@base"]
            if base is not None and not isinstance(base, str):
                raise JsonLdError("invalid base IRI: @base must be a string or null")
            # With a null document base pyld resolves nothing against @base (and jsonld.js does);
            # relative identifiers stay relative, which safe mode refuses.
            self.result.base = base
            self.defined["@base"] = True

    def _vocab(self) -> None:
        """§4.1 step 5.8: @vocab, expanded against the vocabulary mapping so far."""
        ctx = self.ctx
        if "@vocab" not in ctx:
            return
        result = self.result
        value = ctx["@vocab"]
        if value is None:
            result.vocab = None
        elif not isinstance(value, str):
            raise JsonLdError("invalid vocab mapping: @vocab must be a string or null")
        else:
            vocab = expand_iri(result, value, vocab=True)
            if vocab is None or not is_absolute_iri(vocab):
                self.events.append(
                    ContextEvent(
                        "relative @vocab reference",
                        f"@vocab {quote(value)} is not an absolute IRI, so the terms it should "
                        "define would be dropped or relative",
                    )
                )
            result.vocab = vocab
        self.defined["@vocab"] = True

    def _language(self) -> None:
        """§4.1 step 5.9: the default language."""
        ctx = self.ctx
        if "@language" not in ctx:
            return
        value = ctx["@language"]
        if value is None:
            self.result.language = None
        elif not isinstance(value, str):
            raise JsonLdError("invalid default language: @language must be a string or null")
        else:
            if not BCP47_RE.match(value):
                self.events.append(
                    ContextEvent(
                        "invalid @language value",
                        f"the default language {quote(value)} is not a well-formed BCP 47 "
                        "language tag",
                    )
                )
            self.result.language = value.lower()
        self.defined["@language"] = True

    def _direction(self) -> None:
        """§4.1 step 5.10: the default base direction."""
        ctx = self.ctx
        if "@direction" in ctx:
            value = ctx["@direction"]
            if value is not None and value not in ("ltr", "rtl"):
                raise JsonLdError(
                    'invalid base direction: @direction must be null, "ltr" or "rtl", not '
                    + quote(value)
                )
            self.result.direction = value
            self.defined["@direction"] = True

    def _propagate(self) -> None:
        """§4.1 step 5.11 (the value itself was read before processing, step 4)."""
        ctx = self.ctx
        if "@propagate" in ctx:
            if not isinstance(ctx["@propagate"], bool):
                raise JsonLdError("invalid @propagate value: it must be true or false")
            self.defined["@propagate"] = True

    def _define_terms(self) -> ActiveContext:
        """§4.1 step 5.13: a term definition for every other entry (keywords are refused or
        passed over by Create Term Definition itself), each scoped context checked early."""
        ctx = self.ctx
        result = self.result
        self.defined["@protected"] = bool(ctx.get("@protected", False))
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
        resolved = self.processor._resolve([url], set(), True)
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
            self.processor._process_uncached(snapshot, scoped, True, True, cycles, self.events)
        except DocumentLoaderError:
            raise
        except JsonLdError as exc:
            raise JsonLdError(
                f"invalid scoped context for the term {quote(term)}: {exc.detail}"
            ) from exc

    # -- Create Term Definition (§4.2), mirroring pyld where it differs from jsonld.js ----------

    def define(self, term: str) -> None:
        """Create Term Definition (§4.2) for ``term`` of this local context, once."""
        if not self._begin_definition(term):
            return
        value = self.ctx.get(term)
        previous = self.result.terms.pop(term, None)
        simple = isinstance(value, str) or value is None
        definition = self._definition_value(term, value)
        td = TermDef()
        colon = term.find(":")
        td.has_colon = colon > 0
        if not self._iri_mapping(td, term, definition, simple, colon):
            # A reserved @reverse or @id: the term is ignored, its earlier definition kept.
            if previous is not None:
                self.result.terms[term] = previous
            return
        if definition.get("@protected") or (
            self.defined.get("@protected") and definition.get("@protected", True)
        ):
            td.protected = True  # step 11
        self._type_mapping(td, term, definition)
        self._container_mapping(td, term, definition)
        self._index_mapping(td, term, definition)
        self._scoped_context(td, definition)
        self._language_mapping(td, term, definition)
        self._prefix_flag(td, term, definition)
        self._direction_mapping(td, term, definition)
        self._nest_value(td, term, definition)
        if td.iri in ("@context", "@preserve"):
            raise JsonLdError(f"invalid keyword alias: {quote(term)} cannot alias {td.iri}")
        self._check_protected_redefinition(td, term, previous)
        td.trusted = self.trusted
        self.result.terms[term] = td.finish()
        self.defined[term] = True

    def _begin_definition(self, term: str) -> bool:
        """Steps 1-5: once per term, no cycles, no keyword redefined; False when the term is
        already defined or is to be ignored (a reserved term, reported as an event)."""
        state = self.defined.get(term)
        if state is not None:
            if state:
                return False
            raise JsonLdError(f"cyclic IRI mapping: the term {quote(term)} is defined in a cycle")
        self.defined[term] = False
        value = self.ctx.get(term)
        if (
            term == "@type"
            and isinstance(value, dict)
            and value.get("@container", "@set") == "@set"
        ):
            if not value or any(k not in ("@container", "@id", "@protected") for k in value):
                raise JsonLdError("keyword redefinition: @type may only be given @container @set")
        elif term in KEYWORDS:
            raise JsonLdError(f"keyword redefinition: {quote(term)} cannot be redefined")
        elif KEYWORD_RE.match(term):
            self.events.append(
                ContextEvent(
                    "reserved term",
                    f"the term {quote(term)} looks like a JSON-LD keyword but is not one, so its "
                    "definition would be ignored",
                )
            )
            return False
        elif term == "":
            raise JsonLdError("invalid term definition: a term cannot be the empty string")
        return True

    @staticmethod
    def _definition_value(term: str, value: Json) -> dict[str, Json]:
        """Steps 7-9: a string or null is short for {"@id": value}; only known entries."""
        if isinstance(value, str) or value is None:
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
        return value

    def _iri_mapping(
        self, td: TermDef, term: str, value: dict[str, Json], simple: bool, colon: int
    ) -> bool:
        """Steps 13-17: the IRI a term maps to (reverse, explicit, or implicit); False when a
        reserved value makes the term ignored."""
        if "@reverse" in value:
            return self._reverse_mapping(td, term, value)
        if "@id" in value and value["@id"] != term:
            return self._id_mapping(td, term, value["@id"], simple)
        self._implicit_iri(td, term, colon)
        return True

    def _reverse_mapping(self, td: TermDef, term: str, value: dict[str, Json]) -> bool:
        """Step 13: a reverse property."""
        if "@id" in value:
            raise JsonLdError(f"invalid reverse property {quote(term)}: @reverse with @id")
        if "@nest" in value:
            raise JsonLdError(f"invalid reverse property {quote(term)}: @reverse with @nest")
        reverse = value["@reverse"]
        if not isinstance(reverse, str):
            raise JsonLdError(f"invalid IRI mapping for {quote(term)}: @reverse must be a string")
        if KEYWORD_RE.match(reverse):
            self.events.append(
                ContextEvent(
                    "reserved @reverse value",
                    f"the @reverse value {quote(reverse)} of the term {quote(term)} looks like "
                    "a keyword, so the term would be ignored",
                )
            )
            return False
        iri = self.expand_iri_defining(reverse)
        if iri is None or not is_absolute_iri(iri):
            raise JsonLdError(
                f"invalid IRI mapping for {quote(term)}: @reverse must expand to an absolute IRI"
            )
        td.iri = iri
        td.reverse = True
        return True

    def _id_mapping(self, td: TermDef, term: str, id_: Json, simple: bool) -> bool:
        """Step 14: an explicit @id (other than the term itself)."""
        if id_ is None:
            td.iri = None  # a term explicitly mapped to null
            return True
        if not isinstance(id_, str):
            raise JsonLdError(f"invalid IRI mapping for {quote(term)}: @id must be a string")
        if id_ not in KEYWORDS and KEYWORD_RE.match(id_):
            self.events.append(
                ContextEvent(
                    "reserved @id value",
                    f"the @id value {quote(id_)} of the term {quote(term)} looks like a "
                    "keyword, so the term would be ignored",
                )
            )
            return False
        iri = self.expand_iri_defining(id_)
        if iri is None or not (is_absolute_iri(iri) or iri in KEYWORDS):
            raise JsonLdError(
                f"invalid IRI mapping for {quote(term)}: {quote(id_)} does not expand to "
                "an absolute IRI, a blank node identifier or a keyword"
            )
        if _IRI_FORM_RE.match(term):
            # Step 14.2.4: pyld expands the term with a copy of `defined` in which it is defined.
            original = self.defined
            self.defined = {**original, term: True}
            try:
                term_iri = self.expand_iri_defining(term)
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
        return True

    def _type_mapping(self, td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 12: the type a term coerces its values to."""
        if "@type" not in value:
            return
        type_ = value["@type"]
        if not isinstance(type_, str):
            raise JsonLdError(f"invalid type mapping for {quote(term)}: @type must be a string")
        if type_ not in ("@json", "@none", "@id", "@vocab"):
            expanded = self.expand_iri_defining(type_)
            if expanded is None or not is_absolute_iri(expanded):
                raise JsonLdError(
                    f"invalid type mapping for {quote(term)}: {quote(type_)} is not an absolute IRI"
                )
            if expanded.startswith("_:"):
                raise JsonLdError(
                    f"invalid type mapping for {quote(term)}: a blank node cannot be a datatype"
                )
            type_ = expanded
        td.type = type_

    @staticmethod
    def _container_mapping(td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 19: the container mapping, as pyld validates it."""
        if "@container" not in value:
            return
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
            raise JsonLdError(f"invalid container mapping for {quote(term)}: {short(raw)}")
        if td.reverse and any(c not in ("@index", "@set") for c in container):
            raise JsonLdError(
                f"invalid reverse property {quote(term)}: its container must be @index or @set"
            )
        td.container = tuple(container)
        td.cset = frozenset(container)

    @staticmethod
    def _index_mapping(td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 20: a property-valued index."""
        if "@index" not in value:
            return
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

    @staticmethod
    def _scoped_context(td: TermDef, value: dict[str, Json]) -> None:
        """Step 21: the scoped context, kept as written (validated in _validate_scoped)."""
        if "@context" in value:
            scoped = value["@context"]
            td.context = False if scoped is None else scoped
            td.context_key = local_context_key(scoped)

    @staticmethod
    def _language_mapping(td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 22: the language of the term's strings (not with @type)."""
        if "@language" in value and "@type" not in value:
            language = value["@language"]
            if language is not None and not isinstance(language, str):
                raise JsonLdError(
                    f"invalid language mapping for {quote(term)}: it must be a string or null"
                )
            td.language = language.lower() if isinstance(language, str) else None

    @staticmethod
    def _prefix_flag(td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 25: @prefix, on a term that is no compact IRI and no keyword alias."""
        if "@prefix" not in value:
            return
        if _COLON_OR_SLASH_RE.match(term):
            raise JsonLdError(
                f"invalid term definition for {quote(term)}: @prefix on a compact IRI term"
            )
        if td.iri is not None and td.iri in KEYWORDS:
            raise JsonLdError(f"invalid term definition for {quote(term)}: a keyword prefix")
        if not isinstance(value["@prefix"], bool):
            raise JsonLdError(f"invalid @prefix value for {quote(term)}: it must be true or false")
        td.prefix = value["@prefix"]

    @staticmethod
    def _direction_mapping(td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 23: the base direction of the term's strings."""
        if "@direction" in value:
            direction = value["@direction"]
            # §4.2.2 step 22, as jsonld.js (pyld lets "", false and 0 through).
            if direction is not None and direction not in ("ltr", "rtl"):
                raise JsonLdError(
                    f"invalid base direction for the term {quote(term)}: @direction must be null, "
                    f'"ltr" or "rtl", not {quote(direction)}'
                )
            td.direction = direction

    @staticmethod
    def _nest_value(td: TermDef, term: str, value: dict[str, Json]) -> None:
        """Step 24: the nesting property."""
        if "@nest" in value:
            nest = value["@nest"]
            if not isinstance(nest, str) or (nest != "@nest" and nest.startswith("@")):
                raise JsonLdError(
                    f"invalid @nest value for {quote(term)}: a string that is not a keyword"
                )
            td.nest = nest

    def _check_protected_redefinition(
        self, td: TermDef, term: str, previous: TermDef | None
    ) -> None:
        """Step 27: a protected term may only be redefined the same (outside a property-scoped
        context, which overrides protection)."""
        if previous is not None and previous.protected and not self.override_protected:
            td.protected = True
            if not previous.same_as(td):
                raise JsonLdError(
                    f"protected term redefinition: the term {quote(term)} is protected by a "
                    "context in scope and cannot be redefined"
                )

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

    def expand_iri_defining(self, value: str) -> str | None:
        """IRI expansion during context processing (vocab-relative, defines dependencies)."""
        if value in KEYWORDS:
            return value
        if KEYWORD_RE.match(value):
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
