"""Master key rotation with the command line: keys sealed under master key A are rewrapped
to B in batches; the run is killed (SIGKILL) midway and started again; then A is removed
from the settings and every key still opens and signs. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillcred.services.keystore import KeyStore, SigningKeyStores
from skillcred.services.providers import ProviderService
from skillcred.settings import MasterKey
from skillcred.storage.db import Database, open_database
from skillcred.storage.es256 import Es256Keys
from skillcred.storage.migrate import upgrade
from skillcred.storage.repositories import AuditLog, SigningKeys
from tests.support.databases import fresh_database_url
from tests.support.processes import SKILLCRED, clean_environment

A = "a:" + base64.urlsafe_b64encode(bytes([1] * 32)).decode().rstrip("=")
B = "b:" + base64.urlsafe_b64encode(bytes([2] * 32)).decode().rstrip("=")
PROVIDERS = 4
ROTATIONS = 14
KEYS = PROVIDERS * (ROTATIONS + 1)
#: each provider's ES256 (SD-JWT VC) keys, one per rotation too, and the issuing CA's
ES256_KEYS = PROVIDERS * (ROTATIONS + 1) + 1
ALL_KEYS = KEYS + ES256_KEYS


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(str(request.param), tmp_path) as url:
        yield url


def seal_keys_under_a(url: str) -> Database:
    database = open_database(url)
    upgrade(database.write_engine)
    stores = SigningKeyStores(KeyStore([MasterKey.parse(A)]))
    with database.writing() as session:
        service = ProviderService(session, keystore=stores, base_url="https://skills.test")
        for number in range(PROVIDERS):
            registered = service.create(
                slug=f"school-{number}", name=f"School {number}", did_method="web"
            )
            for _ in range(ROTATIONS):
                service.rotate_key(registered.provider)
    return database


def sealed_under(database: Database) -> dict[str, int]:
    with database.reading() as session:
        counts: dict[str, int] = {}
        for key in [*SigningKeys(session).every_key(), *Es256Keys(session).every_key()]:
            counts[str(key.master_key_id)] = counts.get(str(key.master_key_id), 0) + 1
    return counts


def cli(tmp_path: Path, url: str, master_keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SKILLCRED, "keys", *args],
        cwd=tmp_path,
        env=environment(url, master_keys),
        capture_output=True,
        text=True,
        timeout=300,
    )


def environment(url: str, master_keys: str) -> dict[str, str]:
    return clean_environment(SKILLCRED_DATABASE_URL=url, SKILLCRED_MASTER_KEY=master_keys)


def test_rewrap_survives_a_kill_and_the_old_master_key_can_go(
    database_url: str, tmp_path: Path
) -> None:
    database = seal_keys_under_a(database_url)
    try:
        assert sealed_under(database) == {"a": ALL_KEYS}

        # Before any rewrap, B alone opens nothing: check says which keys fail.
        early = cli(tmp_path, database_url, B, "check")
        assert early.returncode == 1, early.stderr
        report = json.loads(early.stdout)
        assert report["ok"] is False and len(report["failed"]) == ALL_KEYS
        assert "not configured" in report["failed"][0]["problem"]

        # Rewrap to B (B first: it seals; A still opens), killed after a few batches.
        process = subprocess.Popen(
            [SKILLCRED, "keys", "rewrap", "--batch-size", "3", "--pause", "0.3"],
            cwd=tmp_path,
            env=environment(database_url, f"{B},{A}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        progressed = 0
        for line in process.stdout:
            progressed = json.loads(line)["rewrapped"]
            if progressed >= 9:
                break
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        midway = sealed_under(database)
        assert sum(midway.values()) == ALL_KEYS
        assert progressed <= midway.get("b", 0) < ALL_KEYS, midway
        assert midway["a"] > 0

        # Every key still opens with A and B configured, whichever it is sealed under.
        both = SigningKeyStores(KeyStore([MasterKey.parse(B), MasterKey.parse(A)]))
        opened = signs_with_every_key(database, both)
        assert opened == KEYS

        # Resumed: the rest is rewrapped, nothing twice.
        resumed = cli(tmp_path, database_url, f"{B},{A}", "rewrap", "--batch-size", "7")
        assert resumed.returncode == 0, resumed.stderr
        final = json.loads(resumed.stdout[resumed.stdout.index("{\n") :])
        assert final == {"masterKeyId": "b", "rewrapped": midway["a"], "done": True}
        assert sealed_under(database) == {"b": ALL_KEYS}
        again = cli(tmp_path, database_url, f"{B},{A}", "rewrap")
        assert json.loads(again.stdout[again.stdout.index("{\n") :])["rewrapped"] == 0

        # A removed from the settings: every key opens and signs.
        checked = cli(tmp_path, database_url, B, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        report = json.loads(checked.stdout)
        assert report["ok"] is True and report["opened"] == ALL_KEYS
        assert report["sealedUnder"] == {"b": ALL_KEYS}
        only_b = SigningKeyStores(KeyStore([MasterKey.parse(B)]))
        assert signs_with_every_key(database, only_b) == KEYS

        # And A alone opens nothing any more.
        assert cli(tmp_path, database_url, A, "check").returncode == 1
        with database.reading() as session:
            batches = [
                e
                for e in list(AuditLog(session).stream(up_to=AuditLog(session).stored_head()[0]))
                if e.action == "keys.rewrapped"
            ]
        rewrapped = [
            k
            for e in batches
            for k in json.loads(e.data).get("signingKeys", json.loads(e.data).get("es256Keys"))
        ]
        assert sorted(rewrapped) == sorted(set(rewrapped)) and len(rewrapped) == ALL_KEYS
    finally:
        database.dispose()


def signs_with_every_key(database: Database, stores: SigningKeyStores) -> int:
    from skillcred.core.keys import Ed25519PublicMultikey

    count = 0
    with database.reading() as session:
        for key in SigningKeys(session).every_key():
            signature = stores.signer(key).sign(b"rewrap test")
            public = Ed25519PublicMultikey.from_multibase(key.public_key_multibase)
            assert public.verify(signature, b"rewrap test"), key.id
            count += 1
    return count
