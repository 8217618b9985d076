"""The parts of expansion (JSON-LD 1.1 Processing Algorithms §5.1) that turn one value or one map
into expanded values: applying a scoped context, Value Expansion (§5.3), the checks on a value
object (§5.1 step 15) and the language, index, id and type maps (§5.1 steps 13.7–13.8).

:class:`ValueAndMapExpansion` holds them for the expansion run in ``expand.py``, which supplies
the recursive :meth:`ValueAndMapExpansion.expand` (a map's values are expanded as elements).
"""

from __future__ import annotations

from collections.abc import Callable

from skillcred.core.jsonld.active_context import ActiveContext, TermDef, expand_iri
from skillcred.core.jsonld.context import RunCache
from skillcred.core.jsonld.events import ContextEvent, SafeMode, quote, render_path, short
from skillcred.core.jsonld.syntax import (
    ABSOLUTE_IRI_RE,
    BCP47_RE,
    KEYWORDS,
    MISSING,
    XSD_DOUBLE,
    Expanded,
    Json,
    Missing,
    Path,
    is_absolute_iri,
)
from skillcred.core.values import as_list
from skillcred.errors import JsonLdError

__all__ = ["ValueAndMapExpansion", "add_value", "is_graph", "is_list", "is_value"]

#: ContextProcessor.process, bound: (active, local, **flags) -> (context, its events)
Process = Callable[..., tuple[ActiveContext, tuple[ContextEvent, ...]]]


def add_value(parent: Expanded, key: str, value: Json, as_array: bool) -> None:
    """pyld's add_value with duplicates allowed."""
    if isinstance(value, list):
        if not value and as_array and key not in parent:
            parent[key] = []
        for item in value:
            add_value(parent, key, item, as_array)
        return
    if key in parent:
        existing = parent[key]
        if not isinstance(existing, list):
            parent[key] = existing = [existing]
        existing.append(value)
    else:
        parent[key] = [value] if as_array else value


def is_value(v: Json) -> bool:
    return isinstance(v, dict) and "@value" in v


def is_list(v: Json) -> bool:
    return isinstance(v, dict) and "@list" in v


def is_graph(v: Json) -> bool:
    return (
        isinstance(v, dict)
        and "@graph" in v
        and sum(1 for k in v if k not in ("@id", "@index")) == 1
    )


class ValueAndMapExpansion(SafeMode):
    """Scoped contexts, values and maps of one expansion run; ``expand`` is the run's."""

    __slots__ = ("process", "run_cache")

    def __init__(self, process: Process, safe: bool) -> None:
        super().__init__(safe)
        self.process = process
        self.run_cache: RunCache = {}

    def expand(
        self,
        active: ActiveContext,
        active_property: str | None,
        element: Json,
        inside_list: bool,
        inside_index: bool,
        type_scoped: ActiveContext | None,
        path: Path,
        expanded_active_property: Json = MISSING,
    ) -> Json:
        """The Expansion Algorithm (§5.1) on one element: the expansion run's."""
        raise NotImplementedError

    # -- scoped contexts (§5.1 steps 8, 11 and 13.8.3) --------------------------------------------

    def apply(
        self,
        active: ActiveContext,
        local: Json,
        path: Path,
        *,
        propagate: bool = True,
        override_protected: bool = False,
        key: object = MISSING,
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

    # -- values (§5.3, §5.1 step 15) -------------------------------------------------------------

    def expand_value(
        self,
        active: ActiveContext,
        active_property: str | None,
        value: Json,
        path: Path,
        td: TermDef | Missing | None = MISSING,
    ) -> Json:
        """Value expansion (§5.3)."""
        if isinstance(td, Missing):
            td = active.terms.get(active_property) if active_property is not None else None
        prop = td.iri if td is not None else expand_iri(active, active_property, vocab=True)
        if prop == "@id":
            return expand_iri(active, value, vocab=False)
        if prop == "@type":
            return expand_iri(active, value, vocab=True)
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
            if type_ == XSD_DOUBLE and self.safe:
                self.check_double(value, path)
        elif isinstance(value, str):
            language = active.language
            if td is not None and td.language is not MISSING:
                language = td.language
            if language is not None:
                rval["@language"] = language
            direction = active.direction
            if td is not None and td.direction is not MISSING:
                direction = td.direction
            elif direction is not None:
                self.default_direction(direction, path)
            if direction is not None:
                rval["@direction"] = direction
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.check_number(value, path)
        rval["@value"] = value
        return rval

    def reference(
        self, active: ActiveContext, value: str, vocab: bool, term: str | None, path: Path
    ) -> Json:
        """A string that a term coerces to an IRI (@type @id / @vocab, @graph)."""
        iri = expand_iri(active, value, vocab=vocab)
        if iri is None:
            self.event(
                "reserved @id value",
                path,
                f"the value {quote(value)} looks like a JSON-LD keyword, so it would be dropped "
                "from the signed data",
            )
        elif self.safe:
            if not ABSOLUTE_IRI_RE.match(iri):
                self.event(
                    "relative object reference",
                    path,
                    f"the value {quote(value)} is used as an IRI (the term {quote(term)} has "
                    f'"@type": "@{"vocab" if vocab else "id"}") but is not an absolute IRI, so it '
                    "would be dropped from the signed data",
                )
            self.check_iri(iri, path, "IRI")
        return iri

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
                expand_iri(active, k, vocab=True) == "@type" and isinstance(v, list)
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
                    f"{render_path(path)}: invalid typed value: the datatype {short(t)} is not an "
                    "absolute IRI"
                )
        if self.safe and type_ == XSD_DOUBLE:
            self.check_double(value, path)
        return rval

    # -- maps (§5.1 steps 13.7-13.8) -------------------------------------------------------------

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
            if td is not None and td.direction is not MISSING:
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
                property_index = expand_iri(active, index_key, vocab=False)
                if self.safe and (
                    property_index is None or not ABSOLUTE_IRI_RE.match(property_index)
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
                add_value(parent, prop, items, True)
        reverse_map = parent.get("@reverse")
        for prop, items in expanded.items():
            if prop == "@reverse":
                continue
            if reverse_map is None:
                reverse_map = parent["@reverse"] = {}
            add_value(reverse_map, prop, [], True)
            for item in items:
                if is_value(item) or is_list(item):
                    raise JsonLdError(
                        f"{render_path(path)}: invalid reverse property value: a value or list "
                        "cannot be the subject of a reverse property"
                    )
                add_value(reverse_map, prop, item, True)

    def expand_language_map(
        self, active: ActiveContext, language_map: dict[str, Json], direction: Json, path: Path
    ) -> list[Expanded]:
        out: list[Expanded] = []
        for key in sorted(language_map):
            expanded_key = expand_iri(active, key, vocab=True)
            kpath: Path = (path, key)
            for item in as_list(language_map[key]):
                if item is None:
                    continue
                if not isinstance(item, str):
                    raise JsonLdError(
                        f"{render_path(kpath)}: invalid language map value: not a string"
                    )
                val: Expanded = {"@value": item}
                if expanded_key != "@none":
                    if self.safe and not BCP47_RE.match(key):
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
                if td is not None and td.context is not MISSING:
                    active = self.apply(
                        active, td.context, kpath, propagate=False, key=td.context_key
                    )
            items = self.expand(
                active, active_property, as_list(value[k]), False, True, None, kpath
            )
            if property_index:
                expanded_key = (
                    "@none" if k == "@none" else self.expand_value(active, index_key, k, kpath)
                )
            else:
                expanded_key = expand_iri(active, k, vocab=True)
            key: Json = k
            if index_key == "@id":
                key = expand_iri(active, k, vocab=False)
                if self.safe and expanded_key != "@none":
                    self.check_absolute(key, k, kpath, "identifier")
            elif is_type_index:
                key = expanded_key
                if self.safe and expanded_key != "@none":
                    self.check_absolute(key, k, kpath, "type")
            for item in items:
                if as_graph and not is_graph(item):
                    item = {"@graph": [item]}
                if index_key == "@type":
                    if expanded_key == "@none":
                        pass
                    elif item.get("@type"):
                        item["@type"] = [key, *item["@type"]]
                    else:
                        item["@type"] = [key]
                elif (
                    is_value(item)
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
                        add_value(item, property_index, expanded_key, True)
                elif expanded_key != "@none" and index_key not in item:
                    item[index_key] = key
                out.append(item)
        return out
