"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout. Write transactions take the write lock at
BEGIN (``BEGIN IMMEDIATE``), so two workers never deadlock upgrading a read lock; reads
use plain deferred transactions and never wait for writers.

SQLite's own wait for its write lock sleeps in steps of up to 100 ms, which under load
turns a sub-millisecond insert into a long queue. So writers first queue on a lock that
wakes them at once: a thread lock within the process and an ``flock`` on a file beside
the database across worker processes. BEGIN IMMEDIATE then never has to wait.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from skillcred.storage.repositories import AuditLog
from skillcred.storage.unit_of_work import flush_deferred

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_engine(url: str, *, begin: str) -> Engine:
    parsed = make_url(url)
    in_memory = not parsed.database or parsed.database == ":memory:"
    if not in_memory:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = {} if in_memory else {"pool_size": 8, "max_overflow": 16}
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so BEGIN can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a committed transaction survives a crash of the process (the
        # kill -9 case); surviving power loss is what PostgreSQL is for.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


class SqliteWriterQueue:
    """One writer at a time across threads and processes, woken without polling."""

    def __init__(self, lock_path: Path) -> None:
        self._path = lock_path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = -1

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._fd is None or self._pid != os.getpid():  # reopen after a fork
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


@dataclass(frozen=True, slots=True)
class Database:
    """The engines of one database: one for reads, one for writes (the same on PostgreSQL)."""

    url: str
    read_engine: Engine
    write_engine: Engine
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    writer_queue: SqliteWriterQueue | None = field(default=None)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on error."""
        queue: AbstractContextManager[None] = (
            self.writer_queue.held() if self.writer_queue is not None else nullcontext()
        )
        with queue, self.write_sessions() as session, session.begin():
            if not self.is_sqlite:
                # Every write transaction locks the audit chain's head first, so writers
                # that also lock status lists always lock in one order (no deadlocks).
                # The head read stays with the transaction for audit.record to use.
                AuditLog(session).head()
            yield session
            flush_deferred(session)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def open_database(url: str) -> Database:
    writer_queue = None
    if url.startswith("sqlite"):
        read_engine = _sqlite_engine(url, begin="BEGIN")
        write_engine = _sqlite_engine(url, begin="BEGIN IMMEDIATE")
        database = make_url(url).database
        if database and database != ":memory:":
            writer_queue = SqliteWriterQueue(Path(str(database) + ".writer-lock"))
    else:
        read_engine = write_engine = create_engine(
            url, pool_size=10, max_overflow=20, pool_pre_ping=True
        )
    options: dict[str, Any] = {"expire_on_commit": False, "autoflush": False}
    return Database(
        url=url,
        read_engine=read_engine,
        write_engine=write_engine,
        read_sessions=sessionmaker(read_engine, **options),
        write_sessions=sessionmaker(write_engine, **options),
        writer_queue=writer_queue,
    )
