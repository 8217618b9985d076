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
        self.trusted = trusted
        ctx = self.ctx
        result = self.result
        defined = self.defined
        if "@version" in ctx:
            if ctx["@version"] != 1.1:
                raise JsonLdError(f"unsupported JSON-LD version {short(ctx['@version'])}")
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
            defined["@vocab"] = True
        if "@language" in ctx:
            value = ctx["@language"]
            if value is None:
                result.language = None
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
        elif KEYWORD_RE.match(term):
            self.events.append(
                ContextEvent(
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
            if KEYWORD_RE.match(reverse):
                self.events.append(
                    ContextEvent(
                        "reserved @reverse value",
                        f"the @reverse value {quote(reverse)} of the term {quote(term)} looks like "
                        "a keyword, so the term would be ignored",
                    )
                )
                if previous is not None:
                    active.terms[term] = previous
                return
            iri = self.expand_iri_defining(reverse)
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
            elif id_ not in KEYWORDS and KEYWORD_RE.match(id_):
                self.events.append(
                    ContextEvent(
                        "reserved @id value",
                        f"the @id value {quote(id_)} of the term {quote(term)} looks like a "
                        "keyword, so the term would be ignored",
                    )
                )
                if previous is not None:
                    active.terms[term] = previous
                return
            elif id_ != term:
                iri = self.expand_iri_defining(id_)
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
                expanded = self.expand_iri_defining(type_)
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
                raise JsonLdError(f"invalid container mapping for {quote(term)}: {short(raw)}")
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
            td.context_key = local_context_key(scoped)

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
