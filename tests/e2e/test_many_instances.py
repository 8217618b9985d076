"""Several `skillcred serve` instances on one PostgreSQL database, as behind a load balancer
(docs/deployment.md, *Several instances*): issuance, revocation, key rotation and batch
jobs spread over them. No status index is handed out twice, every acknowledged credential and change
is there on every instance, a revocation shows on every instance within the status TTL,
a rotated key is used by every instance within the provider cache's TTL, and batch jobs
submitted to different instances are each issued once, row by row, by whichever instance
holds their lease."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from skillcred.core.status_list import Bitstring
from skillcred.services.providers import CACHE_TTL_SECONDS
from tests.integration.test_batch_jobs import rows as batch_rows
from tests.integration.test_skills_api import DEFINITION
from tests.support.databases import fresh_database_url
from tests.support.load import CREDENTIAL, entries_of
from tests.support.processes import SKILLCRED, clean_environment, serving
from tests.support.service import ADMIN_TOKEN, MASTER_KEY

pytestmark = pytest.mark.slow

INSTANCES = 3
STATUS_TTL_SECONDS = 5
JOBS, JOB_ROWS = 2, 40
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def environment(url: str, data_dir: Path, public_url: str) -> dict[str, str]:
    """What every instance shares: the database, the master key, the admin token and the
    public URL (the proxy's); each has its own data folder."""
    return clean_environment(
        SKILLCRED_DATABASE_URL=url,
        SKILLCRED_DATA_DIR=str(data_dir),
        SKILLCRED_MASTER_KEY=MASTER_KEY,
        SKILLCRED_ADMIN_TOKEN=ADMIN_TOKEN,
        SKILLCRED_BASE_URL=public_url,
        SKILLCRED_STATUS_LIST_TTL_SECONDS=str(STATUS_TTL_SECONDS),
        SKILLCRED_DEMO_PROVIDER="false",
        SKILLCRED_LOG_LEVEL="WARNING",
    )


@contextmanager
def instances(tmp_path: Path, url: str, count: int) -> Iterator[list[str]]:
    public_url = "https://skills.example.test"
    with ExitStack() as stack:
        bases = []
        for number in range(count):
            folder = tmp_path / f"instance-{number}"
            folder.mkdir()
            base, _process = stack.enter_context(
                serving(folder, env=environment(url, folder / "data", public_url))
            )
            bases.append(base)
        yield bases


def local_path(url: str) -> str:
    return urlsplit(url).path


def served_value(base: str, entry: dict[str, Any]) -> int:
    listed = httpx.get(base + local_path(entry["statusListCredential"]), timeout=30)
    listed.raise_for_status()
    bits = Bitstring.decode(listed.json()["credentialSubject"]["encodedList"])
    return bits.get(int(entry["statusListIndex"]))


def verdict(base: str, credential: dict[str, Any]) -> str:
    answer = httpx.post(
        f"{base}/credentials/verify", json={"verifiableCredential": credential}, timeout=30
    )
    return str(answer.json()["verdict"])


async def issue_spread(
    bases: list[str], keys: list[str], count: int, concurrency: int
) -> tuple[dict[str, dict[str, Any]], dict[str, str], list[str]]:
    """``count`` credentials issued round-robin over the instances and providers."""
    issued: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    errors: list[str] = []
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:

        async def one(number: int) -> None:
            key = keys[number % len(keys)]
            credential = dict(CREDENTIAL)
            if number % 2:
                credential["validUntil"] = "2099-01-01T00:00:00Z"  # two entries
            async with semaphore:
                response = await client.post(
                    f"{bases[number % len(bases)]}/credentials/issue",
                    json={"credential": credential},
                    headers={"Authorization": f"Bearer {key}"},
                )
            if response.status_code != 201:
                errors.append(f"{response.status_code} {response.text}")
                return
            document = response.json()["verifiableCredential"]
            issued[document["id"]] = document
            owner[document["id"]] = key

        await asyncio.gather(*(one(n) for n in range(count)))
    return issued, owner, errors


def change(base: str, key: str, credential_id: str, purpose: str, status: bool) -> None:
    response = httpx.post(
        f"{base}/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": status,
        },
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["changed"] is True


def test_instances_share_one_database(tmp_path: Path) -> None:
    with fresh_database_url("postgresql", tmp_path) as url:
        job_entries = run_spread_over_instances(tmp_path, url)
        # The database agrees: one credential per linked index, none lost.
        engine = create_engine(url)
        with engine.connect() as connection:
            linked = connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT credential_row_id) FROM status_entries "
                    "WHERE credential_row_id IS NOT NULL"
                )
            ).one()
            stored = connection.execute(text("SELECT count(*) FROM credentials")).scalar_one()
        engine.dispose()
    assert stored == 150 + 12 + JOBS * JOB_ROWS
    assert linked[0] == 150 + 75 + 12 + 6 + job_entries
    assert linked[1] == stored


def run_jobs_spread(bases: list[str], key: str) -> list[dict[str, Any]]:
    """JOBS batch jobs submitted to different instances, polled on others until done;
    the credentials they issued."""
    registered = httpx.post(
        f"{bases[0]}/skills", json=DEFINITION, headers={"Authorization": f"Bearer {key}"}
    )
    assert registered.status_code == 201, registered.text
    locations = []
    for number in range(JOBS):
        holders = [
            {**row, "holder": {"email": f"job{number}-{row['holder']['email']}"}}
            for row in batch_rows(JOB_ROWS)
        ]
        submitted = httpx.post(
            f"{bases[number % len(bases)]}/skill-credentials/batch",
            json=holders,
            headers={"Authorization": f"Bearer {key}", "Prefer": "respond-async"},
            timeout=60,
        )
        assert submitted.status_code == 202, submitted.text
        locations.append(submitted.headers["location"])
    documents: list[dict[str, Any]] = []
    deadline = time.monotonic() + 180
    for number, location in enumerate(locations):
        base = bases[(number + 1) % len(bases)]  # polled on another instance
        while True:
            job = httpx.get(
                base + location, headers={"Authorization": f"Bearer {key}"}, timeout=30
            ).json()
            if job["state"] in ("completed", "failed"):
                break
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert (job["state"], job["issued"], job["failed"]) == ("completed", JOB_ROWS, 0), job
        results = httpx.get(
            f"{base}{location}/results",
            params={"limit": JOB_ROWS},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert results.status_code == 200, results.text
        page = results.json()["results"]
        assert [r["outcome"] for r in page] == ["issued"] * JOB_ROWS
        documents += [r["verifiableCredential"] for r in page]
    return documents


def run_spread_over_instances(tmp_path: Path, url: str) -> int:
    with instances(tmp_path, url, INSTANCES) as bases:
        providers = []
        for number, base in enumerate(bases[:2]):
            created = httpx.post(
                f"{base}/admin/providers",
                json={"slug": f"school-{number}", "name": f"School {number}"},
                headers=ADMIN,
                timeout=30,
            )
            assert created.status_code == 201, created.text
            providers.append(created.json())
        keys = [p["apiKey"] for p in providers]

        # Issuance spread over every instance at once.
        issued, owner, errors = asyncio.run(issue_spread(bases, keys, 150, concurrency=24))
        assert errors == []
        assert len(issued) == 150
        slots = [
            (e["statusListCredential"], e["statusListIndex"])
            for c in issued.values()
            for e in entries_of(c).values()
        ]
        assert len(slots) == len(set(slots)) == 150 + 75, "a status index was handed out twice"

        # Every acknowledged credential is there, the same, on every instance.
        for credential_id, document in issued.items():
            for base in bases:
                fetched = httpx.get(
                    f"{base}/credentials/{credential_id}",
                    headers={"Authorization": f"Bearer {owner[credential_id]}"},
                    timeout=30,
                )
                assert fetched.status_code == 200, (base, credential_id)
                assert fetched.json()["verifiableCredential"] == document

        # Changes made on one instance, seen on all: in the next list each one serves, and
        # in its verdicts within the status TTL.
        ids = list(issued)
        for number, credential_id in enumerate(ids[:12]):
            changed_on = bases[number % len(bases)]
            change(changed_on, owner[credential_id], credential_id, "revocation", True)
            entry = entries_of(issued[credential_id])["revocation"]
            assert [served_value(base, entry) for base in bases] == [1] * len(bases)
        started = time.monotonic()
        pending = {(b, i) for b in bases for i in ids[:12]}
        while pending and time.monotonic() - started < STATUS_TTL_SECONDS:
            pending = {(b, i) for b, i in pending if verdict(b, issued[i]) != "revoked"}
            time.sleep(0.2)
        assert not pending, f"revocations not seen within the TTL: {sorted(pending)[:3]}"
        safety = [i for i in ids[12:] if isinstance(issued[i]["credentialStatus"], list)][:4]
        for number, credential_id in enumerate(safety):
            change(bases[-1 - number % 2], owner[credential_id], credential_id, "suspension", True)
            entry = entries_of(issued[credential_id])["suspension"]
            assert [served_value(base, entry) for base in bases] == [1] * len(bases)
        # Nothing set that nobody asked for.
        for credential_id in ids[12:]:
            for purpose, entry in entries_of(issued[credential_id]).items():
                expected = int(purpose == "suspension" and credential_id in safety)
                assert served_value(bases[0], entry) == expected, (credential_id, purpose)

        # Key rotation, once by the admin API on one instance and once by the CLI beside
        # them: within the provider cache's TTL every instance issues under the new DID,
        # and what was issued before still verifies everywhere.
        untouched = [i for i in ids[12:] if i not in safety]
        before = {i: issued[i] for i in untouched[20:26]}
        rotated = httpx.post(
            f"{bases[1]}/admin/providers/school-0/rotate-key", headers=ADMIN, timeout=30
        )
        assert rotated.status_code == 200, rotated.text
        first_did = rotated.json()["did"]
        assert first_did != providers[0]["did"]
        cli = subprocess.run(
            [SKILLCRED, "providers", "rotate-key", "--slug", "school-1"],
            env=environment(url, tmp_path / "cli-data", "https://skills.example.test"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr
        second_did = json.loads(cli.stdout)["did"]
        assert second_did not in (providers[1]["did"], first_did)
        time.sleep(CACHE_TTL_SECONDS + 0.5)
        after, after_owner, errors = asyncio.run(issue_spread(bases, keys, 12, concurrency=6))
        assert errors == []
        new_dids = {after_owner[i]: c["issuer"] for i, c in after.items()}
        assert new_dids[keys[0]] == first_did
        assert new_dids[keys[1]] == second_did
        assert {c["issuer"] for c in after.values()} == set(new_dids.values())
        for document, base in zip(
            itertools.chain(after.values(), before.values()), itertools.cycle(bases), strict=False
        ):
            assert verdict(base, document) == "valid", (base, document["id"])
        # Revoking a credential of the retired DID still works, from any instance.
        old_id = untouched[21]
        change(bases[2], owner[old_id], old_id, "revocation", True)
        entry = entries_of(issued[old_id])["revocation"]
        assert [served_value(base, entry) for base in bases] == [1] * len(bases)

        # Batch jobs submitted to two instances: every row issued once, no index twice
        # (with everything issued above), whichever instance's worker took each job.
        documents = run_jobs_spread(bases, keys[1])
        assert len({d["id"] for d in documents}) == JOBS * JOB_ROWS
        job_slots = [
            (e["statusListCredential"], e["statusListIndex"])
            for d in documents
            for e in entries_of(d).values()
        ]
        all_slots = slots + [
            (e["statusListCredential"], e["statusListIndex"])
            for c in after.values()
            for e in entries_of(c).values()
        ]
        assert len(set(job_slots)) == len(job_slots)
        assert not set(job_slots) & set(all_slots), "a status index was handed out twice"
        return len(job_slots)
