"""The offers migration goes up and down on SQLite and PostgreSQL, and the schema it makes
is the models' (a row written through the models reads back)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from skillcred.storage.migrate import alembic_config, head_revision, upgrade
from tests.support.databases import fresh_database_url

OFFER_TABLES = {"offers", "offer_exchanges", "offer_nonces"}


def test_offers_migration_up_and_down(backend: str, tmp_path: Path) -> None:
    with fresh_database_url(backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            upgrade(engine)
            assert set(inspect(engine).get_table_names()) >= OFFER_TABLES
            config = alembic_config(url)
            # To just before the offers migration, wherever it sits in the chain.
            scripts = ScriptDirectory.from_config(config)
            offers = next(
                s for s in scripts.walk_revisions() if (s.path or "").endswith("_offers.py")
            )
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.downgrade(config, str(offers.down_revision))
            tables = set(inspect(engine).get_table_names())
            assert not OFFER_TABLES & tables and "credentials" in tables
            upgrade(engine)
            assert set(inspect(engine).get_table_names()) >= OFFER_TABLES
            with engine.connect() as connection:
                from alembic.runtime.migration import MigrationContext

                assert MigrationContext.configure(connection).get_current_revision() == (
                    head_revision()
                )
        finally:
            engine.dispose()
