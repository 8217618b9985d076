"""Providers (tenants): registration, API keys, signing keys, DIDs and their rotation."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from skillcred.core.datetimes import utc_now
from skillcred.core.dids.key import did_key_for, did_key_verification_method
from skillcred.core.keys import Signer
from skillcred.errors import (
    AuthenticationError,
    ConflictError,
    KeyStoreError,
    NotFoundError,
    ProviderSuspendedError,
    RequestError,
)
from skillcred.services import audit
from skillcred.services.es256_keys import make_provider_key
from skillcred.services.keystore import STORES, NewKey, SigningKeyStores
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


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """An API key as created: the secret is shown this once and never stored."""

    row: ApiKey
    api_key: str


#: API key names: what an operator types to tell keys apart
_KEY_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
#: the latest expiry an API key can be given
MAX_LIFETIME = timedelta(days=36525)
#: the longest grace period a rotated API key keeps working for
MAX_GRACE = timedelta(days=90)


def ensure_active(provider: Provider) -> None:
    """A suspended provider issues nothing and changes no status."""
    if provider.suspended_at is not None:
        raise ProviderSuspendedError(
            f"provider {provider.slug!r} is suspended by the operator"
            + (f" ({provider.suspension_reason})" if provider.suspension_reason else "")
            + ": it cannot issue credentials or change their status until it is reinstated"
        )


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else aware(moment).isoformat().replace("+00:00", "Z")


def aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes: they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def api_key_json(row: ApiKey, now: datetime) -> dict[str, Any]:
    revoked = row.revoked_at is not None and aware(row.revoked_at) <= now
    expired = row.expires_at is not None and aware(row.expires_at) <= now
    state = "revoked" if revoked else "expired" if expired else "active"
    if state == "active" and row.revoked_at is not None:
        state = "grace"  # rotated: still accepted until revokedAt
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "createdAt": iso(row.created_at),
        "lastUsedAt": iso(row.last_used_at),
        "expires": iso(row.expires_at),
        "revokedAt": iso(row.revoked_at),
        "state": state,
    }


class ProviderService:
    def __init__(self, session: Session, *, keystore: SigningKeyStores, base_url: str) -> None:
        self.session = session
        self.keystore = keystore
        self.base_url = base_url
        self.providers = Providers(session)
        self.signing_keys = SigningKeys(session)

    def create(
        self,
        *,
        slug: str,
        name: str,
        did_method: DidMethod = "key",
        actor: str = "operator",
        key_store: str = "database",
    ) -> RegisteredProvider:
        """A provider, its first signing key (in ``key_store``: "database" or "pkcs11";
        its later keys are made in the same store) and its first API key."""
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
        if key_store not in STORES:
            raise RequestError(f"keyStore must be one of {', '.join(STORES)}, not {key_store!r}")
        now = utc_now()
        provider_id = str(uuid.uuid4())
        key_id = str(uuid.uuid4())
        new = self.keystore.new_key(key_id, key_store)
        did = did_key_for(new.public) if did_method == "key" else did_web_for(self.base_url, slug)
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
        key = self._store_key(provider, key_id, new, now)
        # Its SD-JWT VC key beside it, in the same store (services/es256_keys.py).
        es256 = make_provider_key(
            self.session,
            self.keystore,
            provider,
            base_url=self.base_url,
            store=key_store,
            record=False,
        )
        api_key = self.new_api_key(provider, name="initial").api_key
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
                "keyStore": key.store,
                "es256Kid": es256.kid,
            },
            at=now,
        )
        return RegisteredProvider(provider, api_key)

    def new_api_key(
        self, provider: Provider, *, name: str | None = None, expires: datetime | None = None
    ) -> NewApiKey:
        api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(
            id=str(uuid.uuid4()),
            provider_id=provider.id,
            key_hash=hash_api_key(api_key),
            prefix=api_key[:10],
            created_at=utc_now(),
            name=name,
            expires_at=expires,
        )
        ApiKeys(self.session).add(row)
        return NewApiKey(row, api_key)

    # --- API keys ---------------------------------------------------------------------

    def create_api_key(
        self,
        provider: Provider,
        *,
        name: str | None,
        expires: datetime | None,
        actor: str,
        replaces: str | None = None,
    ) -> NewApiKey:
        now = utc_now()
        if name is not None and (not isinstance(name, str) or not _KEY_NAME.fullmatch(name)):
            raise RequestError("name must be 1-100 characters without control characters")
        if expires is not None:
            if expires.tzinfo is None:
                raise RequestError("expires must be a date-time with a time zone (e.g. ...Z)")
            if expires <= now:
                raise RequestError(f"expires ({iso(expires)}) must lie in the future")
            if expires > now + MAX_LIFETIME:
                raise RequestError("expires must lie within 100 years (leave it out: no expiry)")
        created = self.new_api_key(provider, name=name, expires=expires)
        audit.record(
            self.session,
            actor=actor,
            action="api-key.created",
            provider_id=provider.id,
            subject=created.row.id,
            data={
                "name": name,
                "prefix": created.row.prefix,
                "expires": iso(expires),
                **({"replaces": replaces} if replaces else {}),
            },
            at=now,
        )
        return created

    def api_key(self, provider: Provider, key_id: str) -> ApiKey:
        row = ApiKeys(self.session).get(provider.id, key_id)
        if row is None:
            raise NotFoundError(f"provider {provider.slug!r} has no API key {key_id!r}")
        return row

    def api_keys(self, provider: Provider) -> list[dict[str, Any]]:
        now = utc_now()
        return [api_key_json(row, now) for row in ApiKeys(self.session).all_for(provider.id)]

    def revoke_api_key(
        self, provider: Provider, key_id: str, *, actor: str, reason: str | None = None
    ) -> ApiKey:
        """Refused from now on (by every worker within the directory's cache TTL)."""
        row = self.api_key(provider, key_id)
        now = utc_now()
        if row.revoked_at is not None and aware(row.revoked_at) <= now:
            return row  # revoked already: nothing changes, nothing is recorded
        row.revoked_at = now
        self.session.flush()
        audit.record(
            self.session,
            actor=actor,
            action="api-key.revoked",
            provider_id=provider.id,
            subject=row.id,
            reason=reason,
            data={"name": row.name, "prefix": row.prefix},
            at=now,
        )
        return row

    def rotate_api_key(
        self,
        provider: Provider,
        key_id: str,
        *,
        grace: timedelta,
        actor: str,
        name: str | None = None,
        expires: datetime | None = None,
    ) -> tuple[NewApiKey, ApiKey]:
        """A new key; the old one keeps working for ``grace``, then is refused."""
        if grace < timedelta(0) or grace > MAX_GRACE:
            raise RequestError(
                f"graceSeconds must be between 0 and {int(MAX_GRACE.total_seconds())}"
            )
        old = self.api_key(provider, key_id)
        now = utc_now()
        if old.revoked_at is not None and aware(old.revoked_at) <= now:
            raise ConflictError(f"API key {key_id!r} is revoked; create a new key instead")
        if old.expires_at is not None and aware(old.expires_at) <= now:
            raise ConflictError(f"API key {key_id!r} has expired; create a new key instead")
        until = now + grace
        if old.revoked_at is None or aware(old.revoked_at) > until:
            old.revoked_at = until
        created = self.create_api_key(
            provider,
            name=name if name is not None else old.name,
            expires=expires,
            actor=actor,
            replaces=old.id,
        )
        self.session.flush()
        audit.record(
            self.session,
            actor=actor,
            action="api-key.rotated",
            provider_id=provider.id,
            subject=old.id,
            data={
                "replacedBy": created.row.id,
                "graceSeconds": int(grace.total_seconds()),
                "validUntil": iso(old.revoked_at),
            },
            at=now,
        )
        return created, old

    # --- suspension -------------------------------------------------------------------

    def suspend(self, provider: Provider, *, actor: str, reason: str | None = None) -> bool:
        """No issuance, no status changes from now on (within the directory's cache TTL
        on every worker); what the provider issued keeps verifying. False: it was."""
        return self._set_suspension(provider, True, actor=actor, reason=reason)

    def reinstate(self, provider: Provider, *, actor: str, reason: str | None = None) -> bool:
        """Issuance and status changes again. False: it was not suspended."""
        return self._set_suspension(provider, False, actor=actor, reason=reason)

    def _set_suspension(
        self, provider: Provider, suspended: bool, *, actor: str, reason: str | None
    ) -> bool:
        if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
            raise RequestError("reason must be a string of at most 1000 characters")
        if (provider.suspended_at is not None) == suspended:
            return False
        now = utc_now()
        provider.suspended_at = now if suspended else None
        provider.suspension_reason = reason if suspended else None
        self.session.flush()
        audit.record(
            self.session,
            actor=actor,
            action="provider.suspended" if suspended else "provider.reinstated",
            provider_id=provider.id,
            subject=provider.did,
            reason=reason,
            data={"slug": provider.slug},
            at=now,
        )
        return True

    def _store_key(self, provider: Provider, key_id: str, new: NewKey, now: datetime) -> SigningKey:
        if provider.did_method == "key":
            controller = did_key_for(new.public)
            method = did_key_verification_method(new.public)
        else:
            controller = provider.did
            method = f"{provider.did}#{new.public.multibase}"
        row = SigningKey(
            id=key_id,
            provider_id=provider.id,
            verification_method=method,
            controller=controller,
            public_key_multibase=new.public.multibase,
            encrypted_secret=new.encrypted_secret,
            master_key_id=new.master_key_id,
            store=new.store,
            store_ref=new.store_ref,
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
        earlier = self.signing_keys.all_for(provider.id)
        store = earlier[-1].store if earlier else "database"
        self.signing_keys.retire_all(provider.id, now)
        key_id = str(uuid.uuid4())
        new = self.keystore.new_key(key_id, store)
        if provider.did_method == "key":
            old_did = provider.did
            self.providers.retire_dids(provider.id, now)
            StatusLists(self.session).close_open_lists(provider.id, old_did)
            provider.did = did_key_for(new.public)
            self.providers.add_did(
                ProviderDid(did=provider.did, provider_id=provider.id, created_at=now)
            )
        row = self._store_key(provider, key_id, new, now)
        self.session.flush()
        es256 = make_provider_key(
            self.session,
            self.keystore,
            provider,
            base_url=self.base_url,
            store=store,
            actor=actor,
            record=False,
        )
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
                "es256Kid": es256.kid,
            },
            at=now,
        )
        return row

    def by_slug(self, slug: str) -> Provider:
        provider = self.providers.by_slug(slug)
        if provider is None:
            raise NotFoundError(f"there is no provider {slug!r}")
        return provider

    def did_document(self, slug: str, *, with_compromised: bool = False) -> dict[str, Any]:
        """The did:web document: every key the provider ever signed with stays listed
        (rotation retires a key from signing, not from verifying), except that a key
        reported compromised leaves the verification relationships, so that no verifier
        accepts a proof it makes. ``with_compromised``: this service's own verifier's
        view, which keeps them so that it can tell, from its issuance records, what such
        a key signed before the compromise (see services.compromise)."""
        provider = self.by_slug(slug)
        if provider.did_method != "web":
            raise NotFoundError(f"provider {slug!r} uses did:key; it has no did:web document")
        keys = self.signing_keys.all_for(provider.id)
        methods = [
            {
                "id": key.verification_method,
                "type": "Multikey",
                "controller": provider.did,
                "publicKeyMultibase": key.public_key_multibase,
            }
            for key in keys
        ]
        ids = [
            key.verification_method
            for key in keys
            if with_compromised or key.compromised_at is None
        ]
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
            "suspended": provider.suspended_at is not None,
            "suspendedAt": iso(provider.suspended_at),
            "suspensionReason": provider.suspension_reason,
        }


#: how long each worker trusts what it read about an API key, a provider (suspended?) and
#: its signing key: a revoked API key, a suspension or a rotated key takes effect on every
#: instance within this bound
CACHE_TTL_SECONDS = 2.0
#: an API key's last use is written when the stored one is older than this
LAST_USED_PRECISION = timedelta(minutes=1)


@contextmanager
def provider_work(
    database: Database, *, keystore: SigningKeyStores, base_url: str, write: bool = True
) -> Iterator[ProviderService]:
    """One unit of work on providers, their keys and API keys: what the service changes in
    the block commits together when it ends (rolled back if it raises). The service layer
    opens the transaction; callers never see a session."""
    with database.writing() if write else database.reading() as session:
        yield ProviderService(session, keystore=keystore, base_url=base_url)


class ProviderDirectory:
    """Who an API key belongs to and which key a provider signs with, cached briefly.

    Each worker process keeps answers for ``ttl`` seconds, so a busy issuer does not pay
    two database reads per credential. A revoked API key or a rotated signing key takes
    effect everywhere within ``ttl``.
    """

    def __init__(
        self,
        database: Database,
        *,
        ttl: float = CACHE_TTL_SECONDS,
        touch: Callable[[str, datetime], None] | None = None,
    ):
        self._database = database
        self._ttl = ttl
        self._touch = touch
        self._providers = TtlCache()
        self._keys = TtlCache()
        self._also_forget: list[Callable[[], None]] = []

    def on_forget(self, forget: Callable[[], None]) -> None:
        """Another cache of what providers and their keys are, emptied with this one."""
        self._also_forget.append(forget)

    def authenticate(self, api_key: str) -> Provider:
        digest = hash_api_key(api_key)
        cached: Provider | None = self._providers.get(digest)
        if cached is not None:
            return cached
        now = utc_now()
        with self._database.reading() as session:
            found = Providers(session).by_api_key_hash(digest, now)
        if found is None:
            raise AuthenticationError("the API key is not valid (unknown, revoked or expired)")
        provider, key = found
        # Kept no longer than the key is in force: an expiry or the end of a rotated
        # key's grace period is honoured to the second, not within the TTL.
        ends = [aware(t) for t in (key.revoked_at, key.expires_at) if t is not None]
        ttl = min([self._ttl, *((t - now).total_seconds() for t in ends)])
        self._providers.put(digest, provider, ttl)
        last = key.last_used_at
        if self._touch is not None and (last is None or now - aware(last) > LAST_USED_PRECISION):
            self._touch(key.id, now)
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
        """Forget everything read: after a change in this process (a rotated key, a
        suspension, a compromise), so this worker acts on it at once."""
        self._providers.clear()
        self._keys.clear()
        for forget in self._also_forget:
            forget()


class SignerCache:
    """Signers for signing keys, per worker process, by signing key row id.

    Database keys never leave the process unencrypted; caching spares an AES-GCM open
    and a key import per credential. Token keys are handles: the key stays in the token.
    """

    def __init__(self, stores: SigningKeyStores) -> None:
        self._stores = stores
        self._signers: dict[str, Signer] = {}
        self._lock = Lock()

    def signer_for(self, key: SigningKey) -> Signer:
        signer = self._signers.get(key.id)
        if signer is None:
            signer = self._stores.signer(key)
            with self._lock:
                self._signers[key.id] = signer
        return signer


def provider_json(registered: RegisteredProvider, service: ProviderService) -> Mapping[str, Any]:
    return {**service.summary(registered.provider), "apiKey": registered.api_key}
