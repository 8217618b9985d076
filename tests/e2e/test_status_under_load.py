"""Status lists under concurrency and crashes, on SQLite and PostgreSQL.

Several worker processes, hundreds of concurrent issuances and status changes: no index
is ever shared, every acknowledged credential is stored, every acknowledged change is in
the served lists. Then the server is killed (SIGKILL) in the middle of a burst and
restarted: everything acknowledged is still there and the lists agree with the database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.databases import fresh_database_url
from tests.support.load import (
    Traffic,
    burst,
    check_consistency,
    create_provider,
    entries_of,
    served_lists,
    server,
    server_environment,
)
from tests.support.processes import SKILLCRED, children, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with fresh_database_url(request.param, tmp_path) as url:
        yield url


async def _providers(base: str, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=base) as client:
        return [await create_provider(client, f"load-{n}") for n in range(count)]


def test_concurrent_issuance_and_status_changes(tmp_path: Path, database_url: str) -> None:
    with server(tmp_path, database_url, workers=3) as (base, process):
        assert len(children(process.pid)) >= 3  # the workers (and a resource tracker)
        keys = asyncio.run(_providers(base, 2))
        traffic = Traffic()
        asyncio.run(burst(base, traffic, keys, issuances=300, concurrency=48))
        assert traffic.errors == []
        assert len(traffic.issued) == 300
        assert sum(traffic.statuses.values()) > 50
        check_consistency(base, traffic)

    # The database agrees: each linked index belongs to one credential, each credential
    # to the entries it shows.
    engine = create_engine(database_url)
    with engine.connect() as connection:
        linked = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT credential_row_id) FROM status_entries "
                "WHERE credential_row_id IS NOT NULL"
            )
        ).one()
        stored = connection.execute(text("SELECT count(*) FROM credentials")).scalar_one()
    engine.dispose()
    assert stored == 300
    assert linked[0] == 300 + 150  # revocation for all, suspension for the 150 safety ones
    assert linked[1] == 300


def test_kill_9_in_the_middle_of_a_burst(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    traffic = Traffic()
    with server(tmp_path, database_url, workers=2, port=port) as (base, process):
        keys = asyncio.run(_providers(base, 2))

        def kill_soon() -> None:
            # Wait until the burst is well under way, then kill parent and workers at once.
            deadline = time.monotonic() + 30
            while len(traffic.issued) < 60 and time.monotonic() < deadline:
                time.sleep(0.01)
            os.killpg(process.pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_soon)
        killer.start()
        asyncio.run(burst(base, traffic, keys, issuances=2000, concurrency=32, seed=11))
        killer.join()
        process.wait(timeout=10)
    acknowledged = len(traffic.issued)
    assert 60 <= acknowledged < 2000, "the kill did not land in the middle of the burst"

    # Restart on the same database and port: nothing acknowledged was lost.
    with server(tmp_path, database_url, workers=2, port=port) as (base, _process):
        check_consistency(base, traffic)
        # The served lists are exactly the database's bits (the set entries' values).
        lists = served_lists(base, list(traffic.issued.values()))
        engine = create_engine(database_url)
        with engine.connect() as connection:
            set_entries: dict[str, set[int]] = {}
            for list_id, index in connection.execute(
                text("SELECT list_id, idx FROM status_values WHERE status <> 0")
            ):
                set_entries.setdefault(list_id, set()).add(index)
        engine.dispose()
        for url, bits in lists.items():
            served = {i for i in range(bits.entries) if bits.get(i)}
            assert served == set_entries.get(url.rsplit("/", 1)[1], set()), url

        # New credentials after the restart never reuse an index handed out before it.
        more = Traffic()
        asyncio.run(burst(base, more, keys, issuances=100, concurrency=16, seed=12))
        assert more.errors == []
        assert not _slots(traffic) & _slots(more)

    done = subprocess.run(
        [SKILLCRED, "audit", "verify"],
        env=server_environment(database_url, tmp_path / "data", port),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _slots(traffic: Traffic) -> set[tuple[str, str]]:
    return {
        (entry["statusListCredential"], entry["statusListIndex"])
        for credential in traffic.issued.values()
        for entry in entries_of(credential).values()
    }
