"""did:web (W3C CCG did:web method): DID <-> HTTPS URL, and resolution with an injected fetcher.

The core makes no network requests itself: the caller passes a function that fetches a
URL (the service's one enforces timeouts, size limits and refuses private addresses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from skillcred.errors import DidNotResolvedError, DidResolutionError

Fetch = Callable[[str], bytes]


def did_web_url(did: str) -> str:
    """The URL of the DID document (did:web §3.2.1 Read)."""
    if not did.startswith("did:web:"):
        raise DidResolutionError(f"{did!r} is not a did:web DID")
    identifier = did[len("did:web:") :]
    if not identifier or "#" in identifier or "?" in identifier:
        raise DidResolutionError(f"{did!r} is not a valid did:web DID")
    parts = identifier.split(":")
    host = unquote(parts[0])
    if not host or "/" in host or "@" in host or any(not p for p in parts):
        raise DidResolutionError(f"{did!r} is not a valid did:web DID")
    path = "/".join(quote(unquote(p), safe="") for p in parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


class WebDidResolver:
    """Resolves did:web by fetching its document and checking that it names itself."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch

    def __call__(self, did: str) -> Mapping[str, Any]:
        url = did_web_url(did)
        try:
            raw = self._fetch(url)
        except DidResolutionError:
            raise
        except Exception as exc:
            raise DidNotResolvedError(
                f"the DID document of {did} could not be fetched from {url}: {exc}"
            ) from exc
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise DidNotResolvedError(f"the DID document at {url} is not JSON") from exc
        if not isinstance(document, dict) or document.get("id") != did:
            raise DidNotResolvedError(f"the document at {url} is not the DID document of {did}")
        return document
