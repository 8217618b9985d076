"""RDF Dataset Canonicalization (W3C RDFC-1.0, 2024) over N-Quads-term quads from ``rdf.py``.

A direct implementation of §4.4 (canonicalization), §4.6 (hash first degree quads), §4.7 (hash
related blank node) and §4.8 (hash N-degree quads) with SHA-256, the way Digital Bazaar's
rdf-canonize 5 runs it:

* the blank node to quads map holds each quad once per blank node, even when the blank node
  occurs twice in it (rdf-canonize keeps a set; pyld a list, which hashes a self-loop twice);
* the N-degree algorithm is bounded, as §4.8 recommends against "poison" graphs: at most
  (number of blank nodes that need it) ** ``max_work_factor`` calls, rdf-canonize's default
  limit, and at most :data:`MAX_PERMUTATIONS` permutations in all; beyond either a
  :class:`~skillcred.errors.JsonLdError` is raised;
* permutations come in rdf-canonize's order (Steinhaus-Johnson-Trotter from sorted).

The serialized canonical form is the quads in canonical N-Quads form (terms already are, see
``rdf.py``), sorted in code point order (RDFC-1.0 §4.5).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from hashlib import sha256
from typing import Final

from skillcred.core.jsonld.rdf import Quad
from skillcred.errors import JsonLdError

__all__ = ["DEFAULT_MAX_WORK_FACTOR", "canonicalize_quads", "serialize_dataset"]

DEFAULT_MAX_WORK_FACTOR: Final = 1.0
# rdf-canonize bounds the number of N-degree hashes but not the permutations inside one (it has
# a timeout for that); a single hash over n related blank nodes tries up to n! orders.
MAX_PERMUTATIONS: Final = 100_000

_UCHAR_RE: Final = re.compile(r"\\u([0-9A-F]{4})")


def serialize_dataset(quads: list[Quad], labels: Mapping[str, str]) -> str:
    """Sorted N-Quads of ``quads`` with each blank node renamed by ``labels`` (§4.5 step 6)."""
    lines = []
    for s, p, o, g in quads:
        if s[0] == "_":
            s = labels[s]
        if o[0] == "_":
            o = labels[o]
        if g:
            if g[0] == "_":
                g = labels[g]
            lines.append(f"{s} {p} {o} {g} .\n")
        else:
            lines.append(f"{s} {p} {o} .\n")
    lines.sort()
    return "".join(lines)


class _Issuer:
    """RDFC-1.0 §4.5 identifier issuer (ordered: ``issued`` keeps the issuing order)."""

    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None, counter: int = 0) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = {} if issued is None else issued
        self.counter = counter

    def issue(self, existing: str) -> str:
        label = self.issued.get(existing)
        if label is None:
            label = self.issued[existing] = f"{self.prefix}{self.counter}"
            self.counter += 1
        return label

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.issued), self.counter)


def _permutations(items: list[str]) -> Iterator[list[str]]:
    """rdf-canonize's Permuter: Steinhaus-Johnson-Trotter starting from the sorted list."""
    current = sorted(items)
    direction = dict.fromkeys(current, True)  # True: looking left
    length = len(current)
    while True:
        yield current[:]
        k: str | None = None
        pos = 0
        for i, element in enumerate(current):
            left = direction[element]
            if (k is None or element > k) and (
                (left and i > 0 and element > current[i - 1])
                or (not left and i < length - 1 and element > current[i + 1])
            ):
                k = element
                pos = i
        if k is None:
            return
        swap = pos - 1 if direction[k] else pos + 1
        current[pos] = current[swap]
        current[swap] = k
        for element in current:
            if element > k:
                direction[element] = not direction[element]


class _Canonicalizer:
    __slots__ = ("canonical", "first_degree", "max_calls", "permutations", "quads_of", "remaining")

    def __init__(self, quads_of: dict[str, list[Quad]]) -> None:
        self.quads_of = quads_of
        self.canonical = _Issuer("_:c14n")
        self.first_degree: dict[str, str] = {}
        self.remaining = 0
        self.max_calls = 0
        self.permutations = MAX_PERMUTATIONS

    def hash_first_degree(self, node: str) -> str:
        """§4.6: the node's quads with itself as _:a and other blank nodes as _:z, sorted."""
        lines = []
        for s, p, o, g in self.quads_of[node]:
            if s[0] == "_":
                s = "_:a" if s == node else "_:z"
            if o[0] == "_":
                o = "_:a" if o == node else "_:z"
            if g:
                if g[0] == "_":
                    g = "_:a" if g == node else "_:z"
                lines.append(f"{s} {p} {o} {g} .\n")
            else:
                lines.append(f"{s} {p} {o} .\n")
        lines.sort()
        digest = sha256("".join(lines).encode("utf-8")).hexdigest()
        self.first_degree[node] = digest
        return digest

    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        """§4.7."""
        label = self.canonical.issued.get(related)
        if label is None:
            label = issuer.issued.get(related)
            if label is None:
                label = self.first_degree[related]
        if position == "g":
            data = f"g{label}"
        else:
            if "\\" in predicate:  # the hash input has the IRI itself, not its N-Quads escape
                predicate = _UCHAR_RE.sub(lambda m: chr(int(m.group(1), 16)), predicate)
            data = f"{position}{predicate}{label}"
        return sha256(data.encode("utf-8")).hexdigest()

    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        """§4.8, bounded."""
        if self.remaining <= 0:
            raise JsonLdError(
                "RDF canonicalization needs more than the allowed work "
                f"({self.max_calls} N-degree hashes): the document has too many "
                "indistinguishable blank nodes"
            )
        self.remaining -= 1
        related_by_hash: dict[str, list[str]] = {}
        for s, p, o, g in self.quads_of[node]:
            for component, position in ((s, "s"), (o, "o"), (g, "g")):
                if component and component[0] == "_" and component != node:
                    digest = self.hash_related(component, p, issuer, position)
                    related_by_hash.setdefault(digest, []).append(component)
        canonical = self.canonical.issued
        data = sha256()
        for digest in sorted(related_by_hash):
            data.update(digest.encode("utf-8"))
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in _permutations(related_by_hash[digest]):
                self.permutations -= 1
                if self.permutations < 0:
                    raise JsonLdError(
                        "RDF canonicalization needs more than the allowed work "
                        f"({MAX_PERMUTATIONS} permutations): the document has too many "
                        "indistinguishable blank nodes"
                    )
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    label = canonical.get(related)
                    if label is not None:
                        path += label
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    # §4.8.3 step 5.4.4.3 (a longer path is also greater when it is greater)
                    if chosen_path and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += f"<{result_hash}>"
                    issuer_copy = result_issuer
                    if chosen_path and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.update(chosen_path.encode("utf-8"))
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return data.hexdigest(), issuer


def canonicalize_quads(
    quads: list[Quad], *, max_work_factor: float = DEFAULT_MAX_WORK_FACTOR
) -> str:
    """The serialized canonical form (RDFC-1.0 §4.4 and §4.5) of a dataset."""
    quads_of: dict[str, list[Quad]] = {}
    for quad in quads:
        s, _, o, g = quad
        if s[0] == "_":
            quads_of.setdefault(s, []).append(quad)
        if o[0] == "_" and o != s:
            quads_of.setdefault(o, []).append(quad)
        if g and g[0] == "_" and g != s and g != o:
            quads_of.setdefault(g, []).append(quad)
    if not quads_of:
        return serialize_dataset(quads, {})

    state = _Canonicalizer(quads_of)
    by_hash: dict[str, list[str]] = {}
    for node in quads_of:
        by_hash.setdefault(state.hash_first_degree(node), []).append(node)

    canonical = state.canonical
    shared: list[list[str]] = []
    for digest in sorted(by_hash):
        nodes = by_hash[digest]
        if len(nodes) == 1:
            canonical.issue(nodes[0])
        else:
            shared.append(nodes)

    if shared:
        count = sum(len(nodes) for nodes in shared)
        limit = count**max_work_factor
        state.max_calls = state.remaining = int(min(limit, 2**62))
        for nodes in shared:
            results: list[tuple[str, _Issuer]] = []
            for node in nodes:
                if node in canonical.issued:
                    continue
                issuer = _Issuer("_:b")
                issuer.issue(node)
                results.append(state.hash_n_degree(node, issuer))
            results.sort(key=lambda result: result[0])
            for _, issuer in results:
                for existing in issuer.issued:
                    canonical.issue(existing)

    return serialize_dataset(quads, canonical.issued)
