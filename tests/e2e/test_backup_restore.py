"""Issue 14, operable: the backup procedure of docs/deployment.md works. A PostgreSQL
database in use is dumped with pg_dump, restored with pg_restore into a fresh database,
and a service started on the copy (same master key, same base URL) serves every
credential as it was, verifies each with its status as it was, and issues on."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy.engine import make_url

from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.load import server_environment
from tests.support.processes import free_port, serving
from tests.support.reference import require
from tests.support.service import ADMIN_TOKEN


def libpq(url: str) -> str:
    """The psycopg SQLAlchemy URL as the PostgreSQL tools take it."""
    parsed = make_url(url)
    user = quote(parsed.username or "postgres")
    return f"postgresql://{user}@{parsed.host}:{parsed.port or 5432}/{parsed.database}"


def test_pg_dump_and_restore_keep_every_credential(tmp_path: Path) -> None:
    require(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    port = free_port()
    with fresh_database_url("postgresql", tmp_path) as original:
        env = server_environment(original, tmp_path / "data", port)
        with (
            serving(tmp_path, env=env, port=port) as (base, _process),
            httpx.Client(timeout=30) as client,
        ):
            created = client.post(
                f"{base}/admin/providers",
                json={"slug": "backup", "name": "Backup", "didMethod": "web"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            ).json()
            key = {"Authorization": f"Bearer {created['apiKey']}"}
            issued: list[dict[str, Any]] = []
            for _ in range(12):
                response = client.post(
                    f"{base}/credentials/issue",
                    json={
                        "credential": CREDENTIAL,
                        "options": {"statusPurposes": ["revocation", "suspension"]},
                    },
                    headers=key,
                )
                assert response.status_code == 201, response.text
                issued.append(response.json()["verifiableCredential"])
            for credential, purpose in ((issued[0], "revocation"), (issued[1], "suspension")):
                client.post(
                    f"{base}/credentials/status",
                    json={
                        "credentialId": credential["id"],
                        "credentialStatus": {
                            "type": "BitstringStatusList",
                            "statusPurpose": purpose,
                        },
                        "status": True,
                    },
                    headers=key,
                ).raise_for_status()
        dump = tmp_path / "skillcred.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={dump}", libpq(original)], check=True
        )

    with fresh_database_url("postgresql", tmp_path) as copy:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={libpq(copy)}", str(dump)], check=True
        )
        env = {**server_environment(copy, tmp_path / "data", port)}
        with (
            serving(tmp_path, env=env, port=port) as (base, _process),
            httpx.Client(timeout=30) as client,
        ):
            verdicts = []
            for credential in issued:
                fetched = client.get(f"{base}/credentials/{quote(credential['id'])}", headers=key)
                assert fetched.status_code == 200, fetched.text
                assert fetched.json()["verifiableCredential"] == credential
                answer = client.post(
                    f"{base}/credentials/verify", json={"verifiableCredential": credential}
                ).json()
                verdicts.append(answer["verdict"])
            assert verdicts == ["revoked", "suspended", *["valid"] * 10]
            # The signing key opens (same master key) and new indexes are not reused.
            again = client.post(
                f"{base}/credentials/issue", json={"credential": CREDENTIAL}, headers=key
            )
            assert again.status_code == 201, again.text
            entries = [c["credentialStatus"] for c in issued]
            used = {
                (e["statusListCredential"], e["statusListIndex"])
                for group in entries
                for e in group
            }
            new = again.json()["verifiableCredential"]["credentialStatus"]
            assert (new["statusListCredential"], new["statusListIndex"]) not in used
            assert json.loads(json.dumps(new))["statusPurpose"] == "revocation"
