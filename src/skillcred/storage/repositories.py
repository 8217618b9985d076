"""Every query the service makes. Services call these; routers never touch SQL.

Rows that belong to a provider are read only through :func:`owned_by`, so one provider
can never see another's credentials, keys or idempotency records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skillcred.storage.models import (
    ApiKey,
    IdempotencyKey,
    IssuedCredential,
    Provider,
    ProviderDid,
    SigningKey,
)

Owned = TypeVar("Owned", ApiKey, IdempotencyKey, IssuedCredential, ProviderDid, SigningKey)


def owned_by(model: type[Owned], provider_id: str) -> Select[Owned]:
    """The one way to select a provider's rows: always filtered by ``provider_id``."""
    return select(model).where(model.provider_id == provider_id)


def ping(session: Session) -> None:
    """A round trip to the database (raises when it cannot be reached)."""
    session.execute(text("SELECT 1"))


class DuplicateError(Exception):
    """A unique constraint refused the row (e.g. a slug or a credential id in use)."""


def flush_or_duplicate(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateError(str(exc.orig)) from exc


class Providers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, provider: Provider, did: ProviderDid) -> None:
        self.session.add(provider)
        flush_or_duplicate(self.session)
        self.session.add(did)
        flush_or_duplicate(self.session)

    def by_slug(self, slug: str) -> Provider | None:
        return self.session.scalar(select(Provider).where(Provider.slug == slug))

    def by_id(self, provider_id: str) -> Provider | None:
        return self.session.get(Provider, provider_id)

    def all(self) -> Sequence[Provider]:
        return self.session.scalars(select(Provider).order_by(Provider.slug)).all()

    def by_api_key_hash(self, key_hash: str) -> Provider | None:
        return self.session.scalar(
            select(Provider)
            .join(ApiKey, ApiKey.provider_id == Provider.id)
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )

    def owner_of_did(self, did: str) -> tuple[Provider, ProviderDid] | None:
        row = self.session.execute(
            select(Provider, ProviderDid)
            .join(ProviderDid, ProviderDid.provider_id == Provider.id)
            .where(ProviderDid.did == did)
        ).first()
        return None if row is None else (row[0], row[1])

    def dids(self, provider_id: str) -> Sequence[ProviderDid]:
        return self.session.scalars(
            owned_by(ProviderDid, provider_id).order_by(ProviderDid.created_at)
        ).all()

    def add_did(self, did: ProviderDid) -> None:
        self.session.add(did)
        flush_or_duplicate(self.session)

    def retire_dids(self, provider_id: str, at: datetime) -> None:
        self.session.execute(
            update(ProviderDid)
            .where(ProviderDid.provider_id == provider_id, ProviderDid.retired_at.is_(None))
            .values(retired_at=at)
        )


class ApiKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)
        flush_or_duplicate(self.session)

    def for_provider(self, provider_id: str) -> Sequence[ApiKey]:
        return self.session.scalars(owned_by(ApiKey, provider_id)).all()


class SigningKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: SigningKey) -> None:
        self.session.add(key)
        flush_or_duplicate(self.session)

    def current(self, provider_id: str) -> SigningKey | None:
        return self.session.scalar(
            owned_by(SigningKey, provider_id)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        )

    def all_for(self, provider_id: str) -> Sequence[SigningKey]:
        return self.session.scalars(
            owned_by(SigningKey, provider_id).order_by(SigningKey.created_at)
        ).all()

    def retire_all(self, provider_id: str, at: datetime) -> None:
        self.session.execute(
            update(SigningKey)
            .where(SigningKey.provider_id == provider_id, SigningKey.retired_at.is_(None))
            .values(retired_at=at)
        )

    def everything(self) -> Sequence[SigningKey]:
        """All keys of all providers: only for re-encrypting under a new master key."""
        return self.session.scalars(select(SigningKey)).all()


class Credentials:
    def __init__(self, session: Session) -> None:
        self.session = session

    _INSERT = insert(IssuedCredential.__table__)  # type: ignore[arg-type]

    def add(self, credential: IssuedCredential) -> None:
        """Insert without the ORM's unit of work: this is the hot path of issuance."""
        row = {c.key: getattr(credential, c.key) for c in IssuedCredential.__table__.columns}
        try:
            self.session.execute(self._INSERT, [row])
        except IntegrityError as exc:
            raise DuplicateError(str(exc.orig)) from exc

    def get(self, provider_id: str, credential_id: str) -> IssuedCredential | None:
        return self.session.scalar(
            owned_by(IssuedCredential, provider_id).where(
                IssuedCredential.credential_id == credential_id
            )
        )

    def by_row_id(self, provider_id: str, row_id: str) -> IssuedCredential | None:
        return self.session.scalar(
            owned_by(IssuedCredential, provider_id).where(IssuedCredential.id == row_id)
        )

    def count(self, provider_id: str) -> int:
        from sqlalchemy import func

        value: Any = self.session.scalar(
            select(func.count()).select_from(owned_by(IssuedCredential, provider_id).subquery())
        )
        return int(value or 0)


class IdempotencyKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, provider_id: str, key: str) -> IdempotencyKey | None:
        return self.session.scalar(
            owned_by(IdempotencyKey, provider_id).where(IdempotencyKey.key == key)
        )

    def add(self, record: IdempotencyKey) -> None:
        self.session.add(record)
        flush_or_duplicate(self.session)
