"""The key lifecycle migration goes down and up again on SQLite and PostgreSQL, keeping
the rows it finds; a token-held key stops the downgrade (the older schema cannot hold it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from skillcred.storage.db import open_database
from skillcred.storage.migrate import alembic_config, head_revision, upgrade
from tests.support.databases import fresh_database_url
from tests.support.service import running_service

#: the revision before the key lifecycle migration (0010_key_lifecycle.py)
BEFORE = "0009"


def _run(url: str, action: str, revision: str) -> None:
    database = open_database(url)
    try:
        config = alembic_config(url)
        with database.write_engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        database.dispose()


def test_key_lifecycle_migration_down_and_up(backend: str, tmp_path: Path) -> None:
    with fresh_database_url(backend, tmp_path) as url:
        with running_service(url, tmp_path / "data") as service:
            provider = service.create_provider("migrated")
            service.client.post("/admin/providers/migrated/suspend", headers=service.admin())
        _run(url, "downgrade", BEFORE)
        database = open_database(url)
        with database.reading() as session:
            columns = session.execute(text("SELECT * FROM api_keys")).keys()
            assert "expires_at" not in columns and "name" not in columns
            assert session.execute(text("SELECT count(*) FROM signing_keys")).scalar() == 1
        database.dispose()
        upgrade(open_database(url).write_engine)
        with running_service(url, tmp_path / "data2") as service:
            # The provider's key still signs; the API key still works (not suspended now:
            # the older schema had no suspension to keep).
            assert service.issue(provider["apiKey"], _credential()).status_code == 201
            with service.database.reading() as session:
                revision = session.execute(text("SELECT version_num FROM alembic_version"))
                assert revision.scalar() == head_revision()


def test_downgrade_refuses_token_keys(backend: str, tmp_path: Path) -> None:
    with fresh_database_url(backend, tmp_path) as url:
        with running_service(url, tmp_path / "data") as service:
            service.create_provider("plain")
            with service.database.writing() as session:
                session.execute(text("UPDATE signing_keys SET store = 'pkcs11'"))
        with pytest.raises(RuntimeError, match="PKCS#11"):
            _run(url, "downgrade", BEFORE)


def _credential() -> dict[str, object]:
    from tests.integration.test_issuing_api import CREDENTIAL

    return dict(CREDENTIAL)
