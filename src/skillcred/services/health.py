"""Whether this instance can serve: its database answers, at the schema this code needs."""

from __future__ import annotations

from dataclasses import dataclass

from skillcred.storage.db import Database
from skillcred.storage.migrate import head_revision
from skillcred.storage.repositories import ping, schema_revision

#: the schema revision this code was written for (the newest migration shipped)
HEAD_REVISION = head_revision()


@dataclass(frozen=True, slots=True)
class DatabaseState:
    #: None when the database answered; else the kind of failure
    failure: str | None
    revision: str | None = None

    @property
    def reachable(self) -> bool:
        return self.failure is None


def database_state(database: Database, *, with_revision: bool = False) -> DatabaseState:
    """One read transaction: a ping, and the schema revision when asked for. Any failure
    (a refused connection, a timeout, a missing table) means not reachable."""
    try:
        with database.reading() as session:
            ping(session)
            revision = schema_revision(session) if with_revision else None
    except Exception as exc:  # any database failure means unhealthy
        return DatabaseState(type(exc).__name__)
    return DatabaseState(None, revision)
