"""Queries for SD-JWT VC: ES256 keys (providers' and the issuing CA's), and the statuses a
Token Status List is folded from (the same rows as the Bitstring Status Lists)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from skillcred.storage.models import Es256Key, StatusEntryRecord, StatusList, StatusValue
from skillcred.storage.repositories import flush_or_duplicate

CA = "ca"
SD_JWT = "sd-jwt"


class Es256Keys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: Es256Key) -> None:
        """Raises DuplicateError when another current key of that provider and purpose
        was stored first (two workers making it lazily): the caller reads that one."""
        self.session.add(key)
        flush_or_duplicate(self.session)

    def current(self, provider_id: str | None, purpose: str) -> Es256Key | None:
        query = select(Es256Key).where(Es256Key.purpose == purpose, Es256Key.retired_at.is_(None))
        query = query.where(
            Es256Key.provider_id.is_(None)
            if provider_id is None
            else Es256Key.provider_id == provider_id
        )
        return self.session.scalar(query.order_by(Es256Key.created_at.desc()).limit(1))

    def all_for(self, provider_id: str) -> Sequence[Es256Key]:
        return self.session.scalars(
            select(Es256Key)
            .where(Es256Key.provider_id == provider_id)
            .order_by(Es256Key.created_at)
        ).all()

    def by_kid(self, kid: str) -> Es256Key | None:
        return self.session.scalar(select(Es256Key).where(Es256Key.kid == kid))

    def every_key(self) -> Sequence[Es256Key]:
        return self.session.scalars(select(Es256Key).order_by(Es256Key.id)).all()

    def sealed_under_other_than(
        self, master_key_id: str, *, after: str, limit: int
    ) -> Sequence[Es256Key]:
        return self.session.scalars(
            select(Es256Key)
            .where(
                Es256Key.store == "database",
                Es256Key.master_key_id != master_key_id,
                Es256Key.id > after,
            )
            .order_by(Es256Key.id)
            .limit(limit)
            .with_for_update()
        ).all()

    def retire_all(self, provider_id: str, at: datetime) -> None:
        self.session.execute(
            update(Es256Key)
            .where(Es256Key.provider_id == provider_id, Es256Key.retired_at.is_(None))
            .values(retired_at=at)
        )


class TokenStatuses:
    """What a Token Status List says, from the Bitstring Status List rows: the token list
    of a revocation list uses the credential's revocation index; its value is 1 where the
    revocation bit is set, else 2 where the same credential's suspension bit is."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list_row(self, list_id: str) -> StatusList | None:
        return self.session.get(StatusList, list_id)

    def values(self, status_list: StatusList) -> dict[int, int]:
        """Non-zero 2-bit statuses by index of a revocation (or profile v1 message) list."""
        own = {
            int(index): int(value)
            for index, value in self.session.execute(
                select(StatusValue.index, StatusValue.status).where(
                    StatusValue.list_id == status_list.id, StatusValue.status != 0
                )
            )
        }
        if status_list.purpose != "revocation":
            return own  # a message list holds 0/1/2 itself
        revocation = aliased(StatusEntryRecord)
        suspension = aliased(StatusEntryRecord)
        suspended = self.session.scalars(
            select(revocation.index)
            .join(suspension, suspension.credential_row_id == revocation.credential_row_id)
            .join(StatusList, StatusList.id == suspension.list_id)
            .join(
                StatusValue,
                (StatusValue.list_id == suspension.list_id)
                & (StatusValue.index == suspension.index),
            )
            .where(
                revocation.list_id == status_list.id,
                revocation.credential_row_id.is_not(None),
                StatusList.purpose == "suspension",
                StatusValue.status != 0,
            )
        )
        values = {int(index): 2 for index in suspended}
        values.update({index: 1 for index, value in own.items() if value})  # revoked wins
        return values
