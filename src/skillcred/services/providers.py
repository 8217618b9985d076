"""Providers (tenants): registration, API keys, signing keys, DIDs and their rotation."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from skillcred.core.datetimes import utc_now
from skillcred.core.dids.key import did_key_for, did_key_verification_method
from skillcred.core.keys import Ed25519KeyPair
from skillcred.errors import (
    AuthenticationError,
    ConflictError,
    KeyStoreError,
    NotFoundError,
    RequestError,
)
from skillcred.services import audit
from skillcred.services.keystore import KeyStore
from skillcred.services.remote import TtlCache
from skillcred.storage.db import Database
from skillcred.storage.models import ApiKey, Provider, ProviderDid, SigningKey
from skillcred.storage.repositories import (
    ApiKeys,
    DuplicateError,
    Providers,
    SigningKeys,
    StatusLists,
)

DidMethod = Literal["key", "web"]
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
API_KEY_PREFIX = "skc_"


def hash_api_key(api_key: str) -> str:
    """API keys carry 256 random bits, so a plain SHA-256 is a sound stored form."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def did_web_for(base_url: str, slug: str) -> str:
    """did:web for a provider whose document is served at {base}/providers/{slug}/did.json."""
    parts = urlsplit(base_url)
    segments = [quote(parts.netloc, safe="")]
    segments += [quote(s, safe="") for s in parts.path.strip("/").split("/") if s]
    segments += ["providers", slug]
    return "did:web:" + ":".join(segments)


@dataclass(frozen=True, slots=True)
class RegisteredProvider:
    provider: Provider
    api_key: str


class ProviderService:
    def __init__(self, session: Session, *, keystore: KeyStore, base_url: str) -> None:
        self.session = session
        self.keystore = keystore
        self.base_url = base_url
        self.providers = Providers(session)
        self.signing_keys = SigningKeys(session)

    def create(
        self, *, slug: str, name: str, did_method: DidMethod = "key", actor: str = "operator"
    ) -> RegisteredProvider:
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise RequestError(
                "slug must be 1-64 characters of lowercase letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise RequestError("name must be a non-empty string of at most 200 characters")
        if did_method not in ("key", "web"):
            raise RequestError("didMethod must be 'key' or 'web'")
        if self.providers.by_slug(slug) is not None:
            raise ConflictError(f"a provider with the slug {slug!r} exists already")
        now = utc_now()
        provider_id = str(uuid.uuid4())
        pair = Ed25519KeyPair.generate()
        did = did_key_for(pair.public) if did_method == "key" else did_web_for(self.base_url, slug)
        provider = Provider(
            id=provider_id,
            slug=slug,
            name=name.strip(),
            did_method=did_method,
            did=did,
            created_at=now,
        )
        try:
            self.providers.add(
                provider, ProviderDid(did=did, provider_id=provider_id, created_at=now)
            )
        except DuplicateError as exc:
            raise ConflictError(f"a provider with the slug {slug!r} exists already") from exc
        key = self._store_key(provider, pair, now)
        api_key = self.new_api_key(provider)
        audit.record(
            self.session,
            actor=actor,
            action="provider.created",
            provider_id=provider.id,
            subject=provider.did,
            data={
                "slug": slug,
                "name": provider.name,
                "verificationMethod": key.verification_method,
            },
            at=now,
        )
        return RegisteredProvider(provider, api_key)

    def new_api_key(self, provider: Provider) -> str:
        api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        ApiKeys(self.session).add(
            ApiKey(
                id=str(uuid.uuid4()),
                provider_id=provider.id,
                key_hash=hash_api_key(api_key),
                prefix=api_key[:10],
                created_at=utc_now(),
            )
        )
        return api_key

    def _store_key(self, provider: Provider, pair: Ed25519KeyPair, now: datetime) -> SigningKey:
        if provider.did_method == "key":
            controller = did_key_for(pair.public)
            method = did_key_verification_method(pair.public)
        else:
            controller = provider.did
            method = f"{provider.did}#{pair.public.multibase}"
        key_id = str(uuid.uuid4())
        sealed, master_key_id = self.keystore.seal(key_id, pair.seed())
        row = SigningKey(
            id=key_id,
            provider_id=provider.id,
            verification_method=method,
            controller=controller,
            public_key_multibase=pair.public.multibase,
            encrypted_secret=sealed,
            master_key_id=master_key_id,
            created_at=now,
        )
        self.signing_keys.add(row)
        return row

    def rotate_key(
        self, provider: Provider, *, actor: str = "operator", reason: str | None = None
    ) -> SigningKey:
        """A new signing key. did:key providers get a new DID (earlier ones are kept on
        record, and their status lists stay signed by that DID's own key); did:web
        providers keep their DID and list the old key beside the new one."""
        now = utc_now()
        previous = self.signing_keys.current(provider.id)
        self.signing_keys.retire_all(provider.id, now)
        pair = Ed25519KeyPair.generate()
        if provider.did_method == "key":
            old_did = provider.did
            self.providers.retire_dids(provider.id, now)
            StatusLists(self.session).close_open_lists(provider.id, old_did)
            provider.did = did_key_for(pair.public)
            self.providers.add_did(
                ProviderDid(did=provider.did, provider_id=provider.id, created_at=now)
            )
        row = self._store_key(provider, pair, now)
        self.session.flush()
        audit.record(
            self.session,
            actor=actor,
            action="key.rotated",
            provider_id=provider.id,
            subject=provider.did,
            reason=reason,
            data={
                "previousVerificationMethod": previous.verification_method if previous else None,
                "verificationMethod": row.verification_method,
            },
            at=now,
        )
        return row

    def by_slug(self, slug: str) -> Provider:
        provider = self.providers.by_slug(slug)
        if provider is None:
            raise NotFoundError(f"there is no provider {slug!r}")
        return provider

    def did_document(self, slug: str) -> dict[str, Any]:
        """The did:web document: every key the provider ever signed with stays listed."""
        provider = self.by_slug(slug)
        if provider.did_method != "web":
            raise NotFoundError(f"provider {slug!r} uses did:key; it has no did:web document")
        methods = [
            {
                "id": key.verification_method,
                "type": "Multikey",
                "controller": provider.did,
                "publicKeyMultibase": key.public_key_multibase,
            }
            for key in self.signing_keys.all_for(provider.id)
        ]
        ids = [m["id"] for m in methods]
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": provider.did,
            "verificationMethod": methods,
            "assertionMethod": ids,
            "authentication": ids,
            "capabilityInvocation": ids,
            "capabilityDelegation": ids,
        }

    def summary(self, provider: Provider) -> dict[str, Any]:
        return {
            "slug": provider.slug,
            "name": provider.name,
            "didMethod": provider.did_method,
            "did": provider.did,
            "earlierDids": [
                d.did for d in self.providers.dids(provider.id) if d.did != provider.did
            ],
            "createdAt": provider.created_at.isoformat() if provider.created_at else None,
        }


#: how long a worker trusts what it read of a provider (its API keys, its signing key):
#: a rotation or a revoked API key reaches every worker and instance within this
PROVIDER_CACHE_SECONDS = 2.0


class ProviderDirectory:
    """Who an API key belongs to and which key a provider signs with, cached briefly.

    Each worker process keeps answers for ``ttl`` seconds, so a busy issuer does not pay
    two database reads per credential. A revoked API key or a rotated signing key takes
    effect everywhere within ``ttl``.
    """

    def __init__(self, database: Database, *, ttl: float = PROVIDER_CACHE_SECONDS):
        self._database = database
        self._ttl = ttl
        self._providers = TtlCache()
        self._keys = TtlCache()

    def authenticate(self, api_key: str) -> Provider:
        digest = hash_api_key(api_key)
        cached: Provider | None = self._providers.get(digest)
        if cached is not None:
            return cached
        with self._database.reading() as session:
            provider = Providers(session).by_api_key_hash(digest)
        if provider is None:
            raise AuthenticationError("the API key is not valid")
        self._providers.put(digest, provider, self._ttl)
        return provider

    def signing_key(self, provider: Provider) -> SigningKey:
        cached: SigningKey | None = self._keys.get(provider.id)
        if cached is not None:
            return cached
        with self._database.reading() as session:
            key = SigningKeys(session).current(provider.id)
        if key is None:
            raise KeyStoreError(f"provider {provider.slug!r} has no signing key")
        self._keys.put(provider.id, key, self._ttl)
        return key

    def forget(self) -> None:
        self._providers.clear()
        self._keys.clear()


class SignerCache:
    """Decrypted signing keys, per worker process, by signing key row id.

    Keys never leave the process unencrypted; caching spares an AES-GCM open and a key
    import per credential.
    """

    def __init__(self, keystore: KeyStore) -> None:
        self._keystore = keystore
        self._pairs: dict[str, Ed25519KeyPair] = {}
        self._lock = Lock()

    def signer_for(self, key: SigningKey) -> Ed25519KeyPair:
        pair = self._pairs.get(key.id)
        if pair is None:
            pair = self._keystore.open(
                key.id,
                key.encrypted_secret,
                key.master_key_id,
                controller=key.controller,
                verification_method=key.verification_method,
            )
            with self._lock:
                self._pairs[key.id] = pair
        return pair


def provider_json(registered: RegisteredProvider, service: ProviderService) -> Mapping[str, Any]:
    return {**service.summary(registered.provider), "apiKey": registered.api_key}
