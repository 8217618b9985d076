"""Issuer trust: a provider registered here (current or earlier DID) or one on the
operator's trust list. Trust is reported beside ``verified``, never folded into it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from skillcred.core.verifying import TrustAnswer, TrustBasis
from skillcred.core.x509ca import load_pem
from skillcred.errors import ConfigurationError
from skillcred.services.remote import TtlCache
from skillcred.storage.db import Database
from skillcred.storage.repositories import Providers

CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class TrustList:
    """The operator's list of issuers trusted besides the providers registered here."""

    #: issuer DID -> the issuer's name
    issuers: Mapping[str, str] = field(default_factory=dict)
    #: what the list is, as a reader should see it ("Erkende leerbedrijven SBB", say)
    name: str | None = None
    #: X.509 root certificates (PEM) trusted for SD-JWT VC ``x5c`` chains, with a name each
    x509_roots: tuple[tuple[str, str], ...] = ()


def load_trust_list(path: Path) -> TrustList:
    """A JSON file: ``{"name": "…", "issuers": [{"did": "did:web:…", "name": "…"}, …],
    "x509Roots": [{"certificate": "-----BEGIN CERTIFICATE-----…", "name": "…"}]}``
    (``name`` and ``x509Roots`` optional; or the bare list of issuers)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the trust list {path}: {exc}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"the trust list {path} is not JSON: {exc}") from exc
    entries = data.get("issuers") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise ConfigurationError(f'the trust list {path} must be {{"issuers": [...]}}')
    trusted: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("did"), str)
            or not entry["did"].startswith("did:")
            or not isinstance(entry.get("name"), str)
        ):
            raise ConfigurationError(f"trust list entry {index} needs a 'did' and a 'name'")
        trusted[entry["did"]] = entry["name"]
    name = data.get("name") if isinstance(data, Mapping) else None
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigurationError(f"the trust list {path}: 'name' must be a non-empty string")
    roots = data.get("x509Roots", []) if isinstance(data, Mapping) else []
    if not isinstance(roots, list):
        raise ConfigurationError(f"the trust list {path}: 'x509Roots' must be an array")
    x509_roots: list[tuple[str, str]] = []
    for index, root in enumerate(roots):
        if (
            not isinstance(root, Mapping)
            or not isinstance(root.get("certificate"), str)
            or not isinstance(root.get("name"), str)
        ):
            raise ConfigurationError(
                f"trust list x509Roots entry {index} needs a 'certificate' (PEM) and a 'name'"
            )
        try:
            load_pem(root["certificate"])
        except ValueError as exc:
            raise ConfigurationError(
                f"trust list x509Roots entry {index}: not a PEM certificate ({exc})"
            ) from exc
        x509_roots.append((root["certificate"], root["name"]))
    return TrustList(trusted, name.strip() if name else None, tuple(x509_roots))


class TrustDirectory:
    """A ``TrustResolver``: the providers in the database, then the trust list."""

    def __init__(
        self, database: Database | None, trust_list: TrustList | Mapping[str, str] | None = None
    ):
        self._database = database
        if not isinstance(trust_list, TrustList):
            trust_list = TrustList(dict(trust_list or {}))
        self._trust_list = dict(trust_list.issuers)
        self._trust_list_name = trust_list.name
        #: (certificate, name) of the X.509 roots trusted for SD-JWT VC
        self.x509_roots: list[tuple[x509.Certificate, str]] = [
            (load_pem(text), name) for text, name in trust_list.x509_roots
        ]
        self._cache = TtlCache()

    def lookup(self, issuer: str) -> TrustAnswer:
        cached = self._cache.get(issuer)
        if isinstance(cached, TrustAnswer):
            return cached
        answer = self._lookup(issuer)
        self._cache.put(issuer, answer, CACHE_SECONDS)
        return answer

    def _lookup(self, issuer: str) -> TrustAnswer:
        if self._database is not None:
            with self._database.reading() as session:
                found = Providers(session).owner_of_did(issuer)
            if found is not None:
                provider, did = found
                earlier = did.retired_at is not None
                source = "provider registered here" + (" (an earlier key)" if earlier else "")
                basis: TrustBasis = "registered-earlier-key" if earlier else "registered"
                return TrustAnswer(True, provider.name, source, basis)
        name = self._trust_list.get(issuer)
        if name is not None:
            return TrustAnswer(True, name, "trust list", "trust-list", self._trust_list_name)
        return TrustAnswer(False)
