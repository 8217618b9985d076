"""Databases for tests: a fresh SQLite file or a fresh PostgreSQL database, migrated.

PostgreSQL tests run when SKILLCRED_TEST_POSTGRES_URL names a server (an admin URL such
as postgresql+psycopg://postgres@127.0.0.1:5432/postgres); each gets its own database,
dropped afterwards. Without the URL they are skipped locally and fail under CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.reference import require

POSTGRES_ENV = "SKILLCRED_TEST_POSTGRES_URL"


@contextmanager
def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'skillcred.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    require(admin_url is not None, f"{POSTGRES_ENV} is not set (no PostgreSQL for tests)")
    assert admin_url is not None
    name = f"skillcred_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
