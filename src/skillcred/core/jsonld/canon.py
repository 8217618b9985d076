"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, offline.

``canonicalize`` is what the cryptosuites call. ``canonicalize_reference`` is the
straightforward path (pyld toRdf + pyld URDNA2015) that every faster path is checked
against byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pyld import jsonld

from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.errors import DocumentLoaderError, JsonLdError


def canonicalize_reference(document: Mapping[str, Any], *, loader: DocumentLoader) -> str:
    """Canonical N-Quads of ``document`` by pyld, the reference for every faster path."""
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "base": None,
    }
    try:
        return cast(str, jsonld.normalize(dict(document), options))
    except jsonld.JsonLdError as exc:
        raise _translate(exc) from exc


def canonicalize(document: Mapping[str, Any], *, loader: DocumentLoader, safe: bool = True) -> str:
    """Canonical N-Quads (RDFC-1.0) of a JSON-LD document.

    ``safe`` refuses documents whose JSON-LD processing would silently drop data.
    """
    return canonicalize_reference(document, loader=loader)


def _translate(exc: Exception) -> JsonLdError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DocumentLoaderError):
            return cause
        cause = getattr(cause, "cause", None) or cause.__cause__
    return JsonLdError(f"JSON-LD processing failed: {exc}")
