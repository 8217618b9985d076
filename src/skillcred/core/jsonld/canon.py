"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, offline.

``canonicalize`` is what the cryptosuites call: JSON-LD expansion with memoised contexts
(``expand.py``), deserialization to RDF (``rdf.py``) and RDFC-1.0 (``rdfc.py``), all in this
package.  The tests check it byte for byte against a straightforward path — pyld's toRdf and
pyld's URDNA2015 (= RDFC-1.0), with four pyld defects corrected — which lives with them, in
``tests/support/jsonld_reference.py``: nothing in production needs pyld.

It converts to RDF with rdfDirection ``i18n-datatype``, as the eddsa-rdfc-2022 cryptosuite and
jsonld-signatures (Digital Bazaar) do: a string with a base direction becomes a literal typed
``https://www.w3.org/ns/i18n#{language}_{direction}`` (``#en_ltr``, ``#_rtl`` without a language).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final

from skillcred.core.jsonld.expand import Expander
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.jsonld.rdf import to_quads
from skillcred.core.jsonld.rdfc import canonicalize_quads
from skillcred.core.jsonld.syntax import Unsupported
from skillcred.errors import JsonLdError

__all__ = ["RDF_DIRECTION", "Unsupported", "canonicalize", "canonicalize_or_unsupported"]

# The rdfDirection Digital Bazaar's eddsa-rdfc-2022 cryptosuite and jsonld-signatures pass to
# jsonld.js toRDF (JSON-LD 1.1 API §8.6 step 13); ``rdf.py`` implements the same.
RDF_DIRECTION: Final = "i18n-datatype"

# Keyed by the loader object itself (identity: loaders define no equality).
_EXPANDERS: dict[DocumentLoader, Expander] = {}
_EXPANDERS_MAX: Final = 32


def _expander(loader: DocumentLoader) -> Expander:
    """One Expander (and so one tree of memoised contexts) per loader."""
    expander = _EXPANDERS.get(loader)
    if expander is not None:
        return expander
    expander = Expander(loader)
    if len(_EXPANDERS) >= _EXPANDERS_MAX:
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del _EXPANDERS[next(iter(_EXPANDERS))]
    _EXPANDERS[loader] = expander
    return expander


def canonicalize(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    unsafe_skip_safe_mode: bool = False,
) -> str:
    """Canonical N-Quads (RDFC-1.0) of a JSON-LD document, converted to RDF as eddsa-rdfc-2022
    does (rdfDirection ``i18n-datatype``).

    In safe mode (always, unless ``unsafe_skip_safe_mode``) it refuses documents whose JSON-LD
    processing would silently drop data (the jsonld.js safe-mode events, see
    ``events.SAFE_MODE_EVENTS``) or that JSON-LD processors would canonicalize differently
    (``events.EXTRA_SAFE_MODE_CHECKS``), with a :class:`~skillcred.errors.SafeModeError`
    naming the JSON path and the offending term. ``unsafe_skip_safe_mode`` signs what the
    processor makes of such a document instead, which other verifiers may read otherwise:
    for tests and comparisons only, never for credentials. Either way, input this processor
    does not handle is a :class:`~skillcred.errors.JsonLdError`.
    """
    try:
        return canonicalize_or_unsupported(
            document, loader=loader, unsafe_skip_safe_mode=unsafe_skip_safe_mode
        )
    except Unsupported as exc:
        mode = (
            "JSON-LD processor does not handle"
            if unsafe_skip_safe_mode
            else ("safe JSON-LD processor does not accept")
        )
        raise JsonLdError(f"the document uses something the {mode}: {exc}") from exc


def canonicalize_or_unsupported(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    unsafe_skip_safe_mode: bool = False,
) -> str:
    """:func:`canonicalize`, raising :class:`Unsupported` for input the processor does not
    handle (a Python value that is not JSON; outside safe mode a non-finite xsd:double or a
    context's default base direction), so that a caller can let another processor decide."""
    safe = not unsafe_skip_safe_mode
    expanded = _expander(loader).expand(dict(document), safe=safe)
    return canonicalize_quads(to_quads(expanded, safe=safe))
