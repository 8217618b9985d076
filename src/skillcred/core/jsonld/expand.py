"""JSON-LD 1.1 expansion (Processing Algorithms §5.1), built for speed: the fast canonicalization
path, as jsonld.js's ``expand.js``.

It follows the W3C JSON-LD 1.1 Processing Algorithms, and where pyld — the reference path —
deviates from the specification on an input that can matter, it follows pyld so that both paths
give the same canonical N-Quads; the few places where the reference itself is wrong are corrected
in both (see ``canon.py``).  Documents whose meaning JSON-LD processors disagree on are refused in
safe mode rather than silently given one of the meanings (``events.py``).

The rooms: ``syntax.py`` (keywords, IRI forms), ``events.py`` (safe mode), ``active_context.py``
(the active context, term definitions, IRI expansion), ``context.py`` (context processing and
Create Term Definition, memoised), ``expand_values.py`` (scoped contexts, values and maps) and
this module (the algorithm's walk over nodes, keys and keywords).  Speed comes from memoisation
(see ``context.py``): a credential whose contexts were seen before does no context processing at
all.  The expanded output is the plain JSON-LD expanded form (dicts and lists), which ``rdf.py``
turns into quads.

Base directions (``@direction``) are kept in the expanded form: ``rdf.py`` turns them into
``i18n-datatype`` literals, as the eddsa-rdfc-2022 cryptosuite asks jsonld.js to.

Inputs the fast path does not handle raise :class:`~skillcred.core.jsonld.syntax.Unsupported`
(today only Python values that are not JSON, a non-finite xsd:double and a context's default
base direction outside safe mode).
"""

from __future__ import annotations

from typing import Final

from skillcred.core.jsonld.active_context import ActiveContext, TermDef, expand_iri, is_type_key
from skillcred.core.jsonld.context import ContextProcessor
from skillcred.core.jsonld.events import quote, render_path, short
from skillcred.core.jsonld.expand_values import (
    ValueAndMapExpansion,
    add_value,
    is_list,
    is_value,
)
from skillcred.core.jsonld.syntax import (
    ABSOLUTE_IRI_RE,
    BCP47_RE,
    EMPTY,
    KEYWORDS,
    MISSING,
    NODE_KEYWORDS,
    Expanded,
    Json,
    Path,
    Unsupported,
)
from skillcred.core.values import as_list
from skillcred.errors import JsonLdError

__all__ = ["Expander"]

_NOT_ARRAY_KEYS: Final = frozenset({"@index", "@id", "@type", "@value", "@language"})


class Expander(ContextProcessor):
    """Expands JSON-LD documents with contexts from one loader; safe to share between threads."""

    __slots__ = ()

    def expand(self, document: Json, *, safe: bool) -> list[Expanded]:
        """The expanded form of ``document`` (§5.1 and the expand() API, document base null)."""
        return _Run(self, safe).expand_document(document)


def _droppable(node: Expanded, count: int) -> bool:
    """jsonld.js's test for an object a graph cannot keep (``count``: its own key count):
    empty, a bare value or list, or a node reference with nothing to say."""
    return count == 0 or "@value" in node or "@list" in node or (count == 1 and "@id" in node)


def _is_subject(v: Json) -> bool:
    if isinstance(v, dict) and "@value" not in v and "@set" not in v and "@list" not in v:
        return len(v) > 1 or "@id" not in v
    return False


class _Run(ValueAndMapExpansion):
    """One expansion: the safe-mode flag and the document's memoised contexts, around the shared
    Expander."""

    __slots__ = ("expander",)

    def __init__(self, expander: Expander, safe: bool) -> None:
        super().__init__(expander.process, safe)
        self.expander = expander

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
        expanded_active_property: Json = MISSING,
    ) -> Json:
        """The Expansion Algorithm (§5.1) on one element: null, an array, a scalar or a map
        (steps 7-19 here: the hot path, one call per node)."""
        if element is None:
            return None  # step 1
        if isinstance(element, list):
            return self.expand_array(
                active,
                active_property,
                element,
                inside_list,
                inside_index,
                type_scoped,
                path,
                expanded_active_property,
            )
        if expanded_active_property is MISSING:
            expanded_active_property = expand_iri(active, active_property, vocab=True)
        if not isinstance(element, dict):
            return self.expand_scalar(
                active, active_property, expanded_active_property, element, inside_list, path
            )
        # Steps 7-19: a map, with its contexts, its entries, then what the result is.
        scoped_td = active.terms.get(active_property) if active_property is not None else None
        if not inside_index and (type_scoped is not None or active.previous is not None):
            active = self.revert_type_scoped(active, element, type_scoped)
        # Step 8: the property-scoped context.
        if scoped_td is not None and scoped_td.context is not MISSING:
            active = self.apply_scoped(active, scoped_td, path, as_type=False)
        active, type_key, node_type_scoped = self.prepare_node(active, element, path)
        rval: Expanded = {}
        self.expand_object(
            active,
            active_property,
            expanded_active_property,
            element,
            rval,
            inside_list,
            type_key,
            node_type_scoped,
            path,
        )
        return self.finish_object(
            active, active_property, expanded_active_property, element, rval, inside_list, path
        )

    def expand_array(
        self,
        active: ActiveContext,
        active_property: str | None,
        element: list[Json],
        inside_list: bool,
        inside_index: bool,
        type_scoped: ActiveContext | None,
        path: Path,
        expanded_active_property: Json,
    ) -> list[Json]:
        """§5.1 step 5: each item expanded; arrays in a list become list objects."""
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

    def expand_scalar(
        self,
        active: ActiveContext,
        active_property: str | None,
        expanded_active_property: Json,
        element: Json,
        inside_list: bool,
        path: Path,
    ) -> Json:
        """§5.1 step 4: a scalar is dropped at the top level or in a graph, else value-expanded."""
        if not isinstance(element, str | int | float):
            raise Unsupported(f"{type(element).__name__} is not a JSON value")
        if not inside_list and (active_property is None or expanded_active_property == "@graph"):
            self.event(
                "free-floating scalar",
                path,
                f"the value {short(element)} is not the value of any property, so it would "
                "be dropped from the signed data",
            )
            return None
        return self.expand_value(active, active_property, element, path)

    @staticmethod
    def revert_type_scoped(
        active: ActiveContext, element: dict[str, Json], type_scoped: ActiveContext | None
    ) -> ActiveContext:
        """§5.1 step 7: revert a type-scoped (non-propagated) context, except for value objects
        and subject references."""
        if type_scoped is None and active.previous is not None:
            type_scoped = active
        if type_scoped is not None and len(element) <= 2 and "@context" not in element:
            for key in sorted(element):
                expanded_key = expand_iri(type_scoped, key, vocab=True)
                if expanded_key == "@value":
                    return type_scoped
                if expanded_key == "@id" and len(element) == 1:
                    return active
        if active.previous is not None:
            return active.previous
        return active

    def finish_object(
        self,
        active: ActiveContext,
        active_property: str | None,
        expanded_active_property: Json,
        element: dict[str, Json],
        rval: Expanded,
        inside_list: bool,
        path: Path,
    ) -> Json:
        """§5.1 steps 15-19: value, typed, set and list objects checked; what a graph cannot
        keep dropped."""
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
            elif is_type_key(active, key):
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
            elif not is_type_key(active, key):
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
                if scoped is MISSING:
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
        """§5.1 steps 13-14: each entry of a map into ``parent``, then its nested entries."""
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
            if td is not None and td.simple and (not safe or td.safe_ok):
                # Fast path: a plain property (no scoped context, container or reverse).
                prop = td.iri
                assert prop is not None  # a simple term maps to an IRI (TermDef.finish)
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

            if td is not None and (td.keyword or (td.prop_ok and (not safe or td.safe_ok))):
                # A keyword alias (id, type) or a term with nothing to check or report.
                prop = td.iri
                assert prop is not None  # prop_ok: it maps to an IRI or a keyword
            else:
                entry_prop = self.entry_property(active, key, td, kpath)
                if entry_prop is None:
                    continue
                prop = entry_prop
            if prop == "@type" and expanded_active_property != "@reverse":
                if self.add_defined_types(type_scoped, value, parent):
                    continue
            elif (
                prop == "@id"
                and value.__class__ is str
                and "@id" not in parent
                and self.add_absolute_id(active, expanded_active_property, value, parent, kpath)
            ):
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
            if td is not None and td.context is not MISSING:
                term_ctx = self.apply_scoped(active, td, kpath, as_type=False)
            if prop == "@nest":
                nests.append((key, term_ctx))  # step 13.4.x: expanded after the other entries
                continue
            container = td.cset if td is not None else EMPTY
            expanded = self.expand_entry_value(
                active,
                term_ctx,
                td,
                active_property,
                expanded_active_property,
                key,
                prop,
                value,
                container,
                kpath,
            )
            if expanded is not None:
                self.add_entry(parent, active, term_ctx, td, key, prop, value, expanded, kpath)

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
            self.expand_nested(
                term_ctx,
                active_property,
                expanded_active_property,
                element,
                key,
                parent,
                inside_list,
                path,
            )

    def entry_property(
        self, active: ActiveContext, key: str, td: TermDef | None, kpath: Path
    ) -> str | None:
        """§5.1 steps 13.2-13.3: the expanded property of an entry, None when it is dropped."""
        terms = active.terms
        if td is not None:
            iri = td.iri
            if iri is None or not td.prop_ok:
                self.invalid_property(key, iri, kpath)
                return None
            if self.safe and not td.safe_ok and not td.keyword:
                self.check_property(terms, key, iri, True, kpath)
            return iri
        expanded_key = key if key in KEYWORDS else expand_iri(active, key, vocab=True)
        if expanded_key is None or not (
            expanded_key in KEYWORDS or ABSOLUTE_IRI_RE.match(expanded_key)
        ):
            self.invalid_property(key, expanded_key, kpath)
            return None
        if self.safe and expanded_key[0] != "@":
            self.check_property(terms, key, expanded_key, False, kpath)
        return str(expanded_key)

    def expand_entry_value(
        self,
        active: ActiveContext,
        term_ctx: ActiveContext,
        td: TermDef | None,
        active_property: str | None,
        expanded_active_property: Json,
        key: str,
        prop: str,
        value: Json,
        container: frozenset[str],
        kpath: Path,
    ) -> Json:
        """§5.1 steps 13.6-13.8: a map container, a list or set, a JSON literal, or the value
        expanded with the term's scoped context; None when nothing is left."""
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
            return self.expand_map(active, term_ctx, td, key, value, container, kpath)
        if prop == "@list" or prop == "@set":
            list_keyword = prop == "@list"
            next_property = active_property
            if list_keyword and expanded_active_property == "@graph":
                next_property = None
            return self.expand(term_ctx, next_property, value, list_keyword, False, None, kpath)
        if td is not None and td.type == "@json":
            if self.safe:
                self.check_json(value, kpath)
            return {"@type": "@json", "@value": value}
        if term_ctx is active and not isinstance(value, dict | list):
            # A scalar under a term: value expansion directly (what expand() would do).
            if value is None:
                return None
            if not isinstance(value, str | int | float):
                raise Unsupported(f"{type(value).__name__} is not a JSON value")
            return self.expand_value(active, key, value, kpath, td)
        return self.expand(
            term_ctx,
            key,
            value,
            False,
            False,
            None,
            kpath,
            prop if term_ctx is active else MISSING,
        )

    def add_entry(
        self,
        parent: Expanded,
        active: ActiveContext,
        term_ctx: ActiveContext,
        td: TermDef | None,
        key: str,
        prop: str,
        value: Json,
        expanded: Json,
        kpath: Path,
    ) -> None:
        """§5.1 steps 13.9-13.13: list and graph containers wrap the value; a reverse property
        goes to @reverse; anything else is added to the property."""
        container = td.cset if td is not None else EMPTY
        if "@list" in container and prop != "@list" and not is_list(expanded):
            expanded = {"@list": expanded if isinstance(expanded, list) else [expanded]}

        if "@graph" in container and "@id" not in container and "@index" not in container:
            items = expanded if isinstance(expanded, list) else [expanded]
            if self.safe:
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
                if is_value(item) or is_list(item):
                    raise JsonLdError(
                        f"{render_path(kpath)}: invalid reverse property value: a value or "
                        "list cannot be the subject of a reverse property"
                    )
                add_value(reverse_map, prop, item, True)
            return

        if prop[0] == "@":
            add_value(parent, prop, expanded, prop not in _NOT_ARRAY_KEYS)
            return
        existing = parent.get(prop)
        if existing is None:
            parent[prop] = expanded if isinstance(expanded, list) else [expanded]
        elif isinstance(expanded, list):
            existing.extend(expanded)
        else:
            existing.append(expanded)

    def expand_nested(
        self,
        term_ctx: ActiveContext,
        active_property: str | None,
        expanded_active_property: Json,
        element: dict[str, Json],
        key: str,
        parent: Expanded,
        inside_list: bool,
        path: Path,
    ) -> None:
        """§5.1 step 14: the entries of nested node objects (@nest) are the node's own."""
        raw = element[key]
        if raw is None:
            # as_list would make null no nested object at all; it is an invalid one.
            raise JsonLdError(
                f"{render_path((path, key))}: invalid @nest value: it must be a node object"
            )
        for i, nv in enumerate(as_list(raw)):
            npath: Path = ((path, key), i) if isinstance(raw, list) else (path, key)
            if not isinstance(nv, dict):
                raise JsonLdError(
                    f"{render_path(npath)}: invalid @nest value: it must be a node object"
                )
            nested_ctx, nested_type_key, nested_type_scoped = self.prepare_node(term_ctx, nv, npath)
            if any(expand_iri(nested_ctx, k, vocab=True) == "@value" for k in nv):
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
        """§5.1 step 13.4: a keyword entry of a node or value object (after the common @type
        and @id, which :meth:`expand_object` adds directly when it can); False for those
        (@graph, @list, @set, @nest) whose value is expanded as a property's."""
        if expanded_active_property == "@reverse":
            raise JsonLdError(
                f"{render_path(kpath)}: invalid reverse property map: a keyword cannot be a "
                "reverse property"
            )
        if prop in parent and prop != "@included" and prop != "@type":
            raise JsonLdError(f"{render_path(kpath)}: colliding keywords: {prop} is given twice")
        if self.safe and prop not in NODE_KEYWORDS:
            self.event(
                "unprocessed keyword",
                kpath,
                f"the keyword {prop} has no meaning inside data, so this entry would be dropped "
                "from the signed data",
            )
        if prop == "@id":
            self.expand_id(active, value, parent, kpath)
        elif prop == "@type":
            self.expand_type(type_scoped, value, parent, kpath)
        elif prop == "@included":
            self.expand_included(active, active_property, value, parent, kpath)
        elif prop == "@graph":
            if not isinstance(value, dict | list):
                raise JsonLdError(
                    f"{render_path(kpath)}: invalid @graph value: it must be an object or array"
                )
            return False
        elif prop == "@value":
            self.expand_value_entry(active, element, type_key, value, parent, kpath)
        elif prop == "@language":
            self.expand_language(value, parent, kpath)
        elif prop == "@direction":
            if value not in ("ltr", "rtl") or not isinstance(value, str):
                raise JsonLdError(
                    f'{render_path(kpath)}: invalid base direction: @direction must be "ltr" or '
                    f'"rtl", not {quote(value)}'
                )
            add_value(parent, "@direction", value, False)
        elif prop == "@index":
            if not isinstance(value, str):
                raise JsonLdError(f"{render_path(kpath)}: invalid @index value: not a string")
            add_value(parent, "@index", value, False)
        elif prop == "@reverse":
            self.expand_reverse_map(active, value, parent, inside_list, kpath)
        else:
            return False
        return True

    def add_defined_types(self, type_scoped: ActiveContext, value: Json, parent: Expanded) -> bool:
        """The common @type, quickly: every type a term of the type-scoped context (safe ones
        in safe mode). False when :meth:`expand_type` has to look closer."""
        values = [value] if value.__class__ is str else value
        if values.__class__ is not list:
            return False
        type_terms = type_scoped.terms
        safe = self.safe
        expanded_types = []
        for v in values:
            ttd = type_terms.get(v) if v.__class__ is str else None
            if ttd is None or (safe and not ttd.safe_ok) or ttd.iri is None:
                return False
            expanded_types.append(ttd.iri)
        existing = parent.get("@type")
        if not expanded_types:
            pass
        elif existing is None:
            parent["@type"] = expanded_types if len(expanded_types) > 1 else expanded_types[0]
        elif isinstance(existing, list):
            existing.extend(expanded_types)
        else:
            parent["@type"] = [existing, *expanded_types]
        return True

    def add_absolute_id(
        self,
        active: ActiveContext,
        expanded_active_property: Json,
        value: str,
        parent: Expanded,
        kpath: Path,
    ) -> bool:
        """The common @id, quickly: one that expands to an IRI safe mode accepts. False when
        :meth:`expand_id` has to report on it."""
        iri = expand_iri(active, value, vocab=False)
        if iri is None or (self.safe and not ABSOLUTE_IRI_RE.match(iri)):
            return False
        if expanded_active_property == "@reverse":
            raise JsonLdError(
                f"{render_path(kpath)}: invalid reverse property map: a keyword "
                "cannot be a reverse property"
            )
        if self.safe:
            self.check_iri(iri, kpath, "identifier")
        parent["@id"] = iri
        return True

    def expand_id(self, active: ActiveContext, value: Json, parent: Expanded, kpath: Path) -> None:
        """§5.1 step 13.4.3: @id, expanded against the document (no base: relative stays)."""
        if not isinstance(value, str):
            raise JsonLdError(f"{render_path(kpath)}: invalid @id value: not a string")
        iri = expand_iri(active, value, vocab=False)
        if iri is None:
            self.event(
                "reserved @id value",
                kpath,
                f"the identifier {quote(value)} looks like a JSON-LD keyword, so it would be "
                "dropped from the signed data",
            )
        elif self.safe:
            self.check_absolute(iri, value, kpath, "identifier")
        add_value(parent, "@id", iri, False)

    def expand_type(
        self, type_scoped: ActiveContext, value: Json, parent: Expanded, kpath: Path
    ) -> None:
        """§5.1 step 13.4.4: @type, each type expanded with the type-scoped context."""
        if value is None:
            add_value(parent, "@type", None, False)
            return
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            values = value
        else:
            raise JsonLdError(
                f"{render_path(kpath)}: invalid type value: @type must be a string or an "
                "array of strings"
            )
        safe = self.safe
        type_terms = type_scoped.terms
        expanded_types = []
        for i, v in enumerate(values):
            ttd = type_terms.get(v)
            t = ttd.iri if ttd is not None else expand_iri(type_scoped, v, vocab=True)
            if safe and not (ttd is not None and ttd.safe_ok):
                tpath: Path = (kpath, i) if isinstance(value, list) else kpath
                if t != "@json":
                    self.check_absolute(t, v, tpath, "type")
                if t is not None and ttd is None:
                    self.check_prefix(type_terms, v, t, tpath, "type")
            expanded_types.append(t)
        add_value(parent, "@type", expanded_types, False)

    def expand_included(
        self,
        active: ActiveContext,
        active_property: str | None,
        value: Json,
        parent: Expanded,
        kpath: Path,
    ) -> None:
        """§5.1 step 13.4.6: @included holds node objects only."""
        included = self.expand(active, active_property, value, False, False, None, kpath)
        included = included if isinstance(included, list) else [included]
        if not all(_is_subject(v) for v in included):
            raise JsonLdError(
                f"{render_path(kpath)}: invalid @included value: it must contain node objects"
            )
        add_value(parent, "@included", included, True)

    def expand_value_entry(
        self,
        active: ActiveContext,
        element: dict[str, Json],
        type_key: str | None,
        value: Json,
        parent: Expanded,
        kpath: Path,
    ) -> None:
        """§5.1 step 13.4.7: @value, a JSON literal when the object's type is @json."""
        is_json_type = False
        if type_key is not None:
            t = element[type_key]
            if t and isinstance(t, list):
                t = t[0]
            is_json_type = expand_iri(active, t, vocab=True) == "@json"
        if is_json_type:
            parent["@value"] = value
            if self.safe:
                self.check_json(value, kpath)
            return
        if isinstance(value, int | float):
            self.check_number(value, kpath)
        elif value is not None and not isinstance(value, str | dict | list):
            raise Unsupported(f"{type(value).__name__} is not a JSON value")
        add_value(parent, "@value", value, False)

    def expand_language(self, value: Json, parent: Expanded, kpath: Path) -> None:
        """§5.1 step 13.4.8: @language, lower-cased (a null one is dropped)."""
        if value is None:
            return
        if not isinstance(value, str):
            raise JsonLdError(
                f"{render_path(kpath)}: invalid language-tagged string: @language must be a string"
            )
        if self.safe and not BCP47_RE.match(value):
            self.event(
                "invalid @language value",
                kpath,
                f"{quote(value)} is not a well-formed BCP 47 language tag",
            )
        add_value(parent, "@language", value.lower(), False)
