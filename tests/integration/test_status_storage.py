"""Status list storage that stays flat as data grows (issue 14, items 9 and 11), on SQLite
and PostgreSQL: a status change finds the credential's entry by an index lookup whatever
the table statistics, neither a reservation nor a change writes a whole list, and the
migration moves the lists' bits (and allocation bitmaps) of an existing database into
their entries, and back on downgrade."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text

from skillcred.storage.migrate import alembic_config
from skillcred.storage.repositories import StatusLists
from tests.integration.test_issuing_api import CREDENTIAL
from tests.integration.test_status_api import change, entries, issue, served_bit
from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service

SAFETY = {**CREDENTIAL, "validUntil": "2099-01-01T00:00:00Z"}


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its parameters) sent on ``engine`` while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _largest_value(params: Any) -> int:
    """The size of the largest bytes or text value among a statement's parameters."""
    if isinstance(params, dict):
        return max((_largest_value(v) for v in params.values()), default=0)
    if isinstance(params, list | tuple):
        return max((_largest_value(v) for v in params), default=0)
    if isinstance(params, bytes | bytearray | memoryview | str):
        return len(params)
    return 0


def test_reservations_and_changes_write_small_rows(service: Service) -> None:
    """The 16 KB allocation bitmap and the list's bits were written back on every
    32-index reservation and every change; now each writes a few rows of a few bytes."""
    provider = service.create_provider("flat")
    with statements(service.database.write_engine) as seen:
        issued = [issue(service, provider, SAFETY) for _ in range(40)]  # > one block of 32
        revoked = issued[0]
        assert change(service, provider, revoked["id"], "revocation", True).status_code == 200
        assert change(service, provider, issued[1]["id"], "suspension", True).status_code == 200
        assert change(service, provider, issued[1]["id"], "suspension", False).status_code == 200
    writes = [
        (sql, params)
        for sql, params in seen
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))
        and any(table in sql for table in ("status_lists", "status_entries", "status_values"))
    ]
    reservations = [sql for sql, _ in writes if sql.startswith("INSERT INTO status_entries")]
    assert len(reservations) >= 2  # more than one block of indexes
    # A change writes a row of the small status_values table, never the entries.
    assert any(sql.startswith("INSERT INTO status_values") for sql, _ in writes)
    # A reinstatement removes the suspension's row: the table holds set entries only.
    assert any(sql.startswith("DELETE FROM status_values") for sql, _ in seen)
    # The entries are only ever updated to link a credential (at issuance).
    entry_updates = [sql for sql, _ in writes if sql.startswith("UPDATE status_entries")]
    assert entry_updates
    assert all(
        sql.startswith("UPDATE status_entries SET credential_row_id=") for sql in entry_updates
    )
    largest = max(_largest_value(params) for _, params in writes)
    assert largest < 200, f"a status write carried {largest} bytes"

    # And what was acknowledged is what the served lists say.
    assert served_bit(service, entries(revoked)["revocation"]) == 1
    assert served_bit(service, entries(issued[1])["suspension"]) == 0
    assert served_bit(service, entries(issued[2])["revocation"]) == 0


def test_a_revoked_credential_stays_revoked_and_indexes_stay_unique(service: Service) -> None:
    provider = service.create_provider("final")
    issued = [issue(service, provider) for _ in range(70)]
    slots = [
        (e["statusListCredential"], e["statusListIndex"])
        for c in issued
        for e in entries(c).values()
    ]
    assert len(set(slots)) == len(slots) == 70
    assert change(service, provider, issued[5]["id"], "revocation", True).json()["changed"]
    refused = change(service, provider, issued[5]["id"], "revocation", False)
    assert refused.status_code == 409
    assert served_bit(service, entries(issued[5])["revocation"]) == 1


# --- the entry lookup by credential: an index, whatever the statistics ----------------------


def _fill(connection: Connection, *, lists: int, per_list: int) -> str:
    """Lists of a provider filled with linked entries by bulk SQL (no ANALYZE after); the
    row id of one credential in the middle."""
    provider = str(uuid.uuid4())
    connection.execute(
        text(
            "INSERT INTO providers (id, slug, name, did_method, did, created_at) "
            "VALUES (:id, 'bulk', 'Bulk', 'key', 'did:key:bulk', CURRENT_TIMESTAMP)"
        ),
        {"id": provider},
    )
    total = lists * per_list
    connection.execute(
        text(
            "INSERT INTO credentials (id, provider_id, credential_id, document, cryptosuite, "
            "verification_method, issued_at) "
            "SELECT 'c' || n, :p, 'urn:bulk:' || n, '{}', 'eddsa-rdfc-2022', 'did:key:bulk#k', "
            "CURRENT_TIMESTAMP FROM generate_series(0, :last) AS n"
        ),
        {"p": provider, "last": total - 1},
    )
    for number in range(lists):
        for purpose in ("revocation", "suspension"):
            list_id = f"{purpose}-{number}"
            connection.execute(
                text(
                    "INSERT INTO status_lists (id, provider_id, purpose, issuer, entries, "
                    "status_size, allocated, closed, version, signed_version, created_at) "
                    "VALUES (:id, :p, :purpose, 'did:key:bulk', 131072, 1, :n, :closed, 0, -1, "
                    "CURRENT_TIMESTAMP)"
                ),
                {
                    "id": list_id,
                    "p": provider,
                    "purpose": purpose,
                    "n": per_list,
                    "closed": number < lists - 1,
                },
            )
            connection.execute(
                text(
                    "INSERT INTO status_entries (list_id, idx, provider_id, credential_row_id, "
                    "allocated_at) SELECT :list, n - :first, :p, 'c' || n, "
                    "CURRENT_TIMESTAMP FROM generate_series(:first, :last) AS n"
                ),
                {
                    "list": list_id,
                    "p": provider,
                    "first": number * per_list,
                    "last": (number + 1) * per_list - 1,
                },
            )
    return provider


def _node_scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _node_scans(child)


def test_entry_lookup_is_an_index_lookup_without_statistics(tmp_path: Path) -> None:
    """PostgreSQL without statistics (autovacuum off, no ANALYZE) planned the old joined
    lookup as a walk of each list's entries by the primary key: 76 ms at 300k. The lookup
    must use the index on credential_row_id, and read the lists by their primary key."""
    with fresh_database_url("postgresql", tmp_path) as url:
        from skillcred.storage.db import open_database
        from skillcred.storage.migrate import upgrade

        database = open_database(url)
        try:
            upgrade(database.write_engine)
            engine = database.write_engine
            with engine.begin() as connection:
                for table in ("status_entries", "status_lists", "credentials"):
                    connection.execute(
                        text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
                    )
                provider = _fill(connection, lists=4, per_list=50_000)
                never_analyzed = connection.execute(
                    text("SELECT reltuples FROM pg_class WHERE relname = 'status_entries'")
                ).scalar_one()
            assert never_analyzed < 0, "the table has statistics: the premise does not hold"

            with database.reading() as session, statements(engine) as seen:
                found = StatusLists(session).entry_for(
                    provider, "c123456", ("suspension", "message")
                )
            assert found is not None and found.purpose == "suspension"
            assert (found.list_id, found.index) == ("suspension-2", 123456 - 100_000)

            plans = []
            with engine.connect() as connection:
                for sql, params in seen:
                    raw = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params)
                    plans.append(raw.scalar_one()[0]["Plan"])
            scans = [node for plan in plans for node in _node_scans(plan)]
            indexes = {str(n["Index Name"]) for n in scans if "Index Name" in n}
            detail = json.dumps(plans, indent=1)
            # By credential, never along a list's entries (the primary key) nor all of them.
            assert "ix_status_entries_credential_row_id" in indexes, detail
            assert not {i for i in indexes if i.startswith("pk_status_entries")}, detail
            assert not [
                n
                for n in scans
                if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "status_entries"
            ], detail
            # (The lists table has a row per 131,072 entries: a scan of it stays small.)
        finally:
            database.dispose()


def test_entry_lookup_uses_the_index_on_sqlite(tmp_path: Path) -> None:
    with running_service(f"sqlite:///{tmp_path / 'plan.db'}", tmp_path / "data") as service:
        _check_sqlite_plan(service)


def _check_sqlite_plan(service: Service) -> None:
    provider = service.create_provider("plan")
    credential = issue(service, provider, SAFETY)
    engine = service.database.read_engine
    with service.database.reading() as session:
        row_id = session.execute(
            text("SELECT id FROM credentials WHERE credential_id = :c"), {"c": credential["id"]}
        ).scalar_one()
        provider_id = session.execute(
            text("SELECT provider_id FROM credentials WHERE id = :r"), {"r": row_id}
        ).scalar_one()
        with statements(engine) as seen:
            found = StatusLists(session).entry_for(provider_id, row_id, ("revocation",))
    assert found is not None and found.purpose == "revocation"
    with engine.connect() as connection:
        for sql, params in seen:
            plan = " | ".join(
                str(row[3])
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
            if "status_entries" in sql:
                assert "ix_status_entries_credential_row_id" in plan, plan
            assert "SCAN " not in plan, plan


# --- the migration of existing lists --------------------------------------------------------


def _storage_revision() -> tuple[str, str]:
    """(this migration's revision, the one before it), found by file name: the order of
    the migrations may change when branches are merged."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    for script in scripts.walk_revisions():
        if script.path.endswith("_status_storage.py"):
            assert isinstance(script.down_revision, str)
            return script.revision, script.down_revision
    raise AssertionError("no status storage migration")


def _bitmap(entries: int, indexes: dict[int, int], status_size: int = 1) -> bytes:
    raw = bytearray(entries * status_size // 8)
    for index, value in indexes.items():
        for offset in range(status_size):
            if value & (1 << (status_size - 1 - offset)):
                position = index * status_size + offset
                raw[position >> 3] |= 0x80 >> (position & 7)
    return bytes(raw)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_moves_bits_into_entries_and_back(backend: str, tmp_path: Path) -> None:
    revision, before = _storage_revision()
    with fresh_database_url(backend, tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, before)
        engine = create_engine(url)
        # Two lists as the old storage left them: a one-bit revocation list (index 7 set,
        # index 9 handed out without an entry row) and a two-bit message list.
        revocation = {3: 0, 7: 1, 11: 0, 9: 0}
        message = {4: 2, 5: 1, 6: 0}
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO providers (id, slug, name, did_method, did, created_at) "
                    "VALUES ('p1', 'old', 'Old', 'key', 'did:key:old', CURRENT_TIMESTAMP)"
                )
            )
            for list_id, purpose, size, values in (
                ("l-rev", "revocation", 1, revocation),
                ("l-msg", "message", 2, message),
            ):
                connection.execute(
                    text(
                        "INSERT INTO status_lists (id, provider_id, purpose, issuer, entries, "
                        "status_size, allocation, allocated, closed, bits, version, "
                        "signed_version, created_at) VALUES (:id, 'p1', :purpose, "
                        "'did:key:old', 1024, :size, :allocation, :allocated, false, :bits, "
                        "3, 3, CURRENT_TIMESTAMP)"
                    ),
                    {
                        "id": list_id,
                        "purpose": purpose,
                        "size": size,
                        "allocation": _bitmap(1024, dict.fromkeys(values, 1)),
                        "allocated": len(values),
                        "bits": _bitmap(1024, values, size),
                    },
                )
                for index in values:
                    if (list_id, index) != ("l-rev", 9):  # lost its row: still never reused
                        connection.execute(
                            text(
                                "INSERT INTO status_entries (list_id, idx, provider_id, "
                                "allocated_at) VALUES (:l, :i, 'p1', CURRENT_TIMESTAMP)"
                            ),
                            {"l": list_id, "i": index},
                        )

        command.upgrade(config, revision)
        with engine.connect() as connection:
            stored = {
                (row[0], row[1]): row[2]
                for row in connection.execute(
                    text("SELECT list_id, idx, status FROM status_values")
                )
            }
            handed_out = {
                (row[0], row[1])
                for row in connection.execute(text("SELECT list_id, idx FROM status_entries"))
            }
            allocated = dict(
                connection.execute(text("SELECT id, allocated FROM status_lists")).all()
            )
            columns = {
                row[1]
                for row in connection.exec_driver_sql(
                    "SELECT 0, column_name FROM information_schema.columns "
                    "WHERE table_name = 'status_lists'"
                    if backend == "postgresql"
                    else "PRAGMA table_info(status_lists)"
                )
            }
        assert stored == {("l-rev", 7): 1, ("l-msg", 4): 2, ("l-msg", 5): 1}
        assert handed_out == {("l-rev", i) for i in revocation} | {("l-msg", i) for i in message}
        assert allocated == {"l-rev": 4, "l-msg": 3}
        assert "bits" not in columns and "allocation" not in columns

        command.downgrade(config, before)
        with engine.connect() as connection:
            lists = {
                row[0]: (bytes(row[1]), bytes(row[2]))
                for row in connection.execute(text("SELECT id, allocation, bits FROM status_lists"))
            }
        engine.dispose()
        assert lists["l-rev"] == (
            _bitmap(1024, dict.fromkeys(revocation, 1)),
            _bitmap(1024, revocation),
        )
        assert lists["l-msg"] == (
            _bitmap(1024, dict.fromkeys(message, 1)),
            _bitmap(1024, message, 2),
        )
