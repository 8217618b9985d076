"""`skillcred audit verify` checks the hash chain; altering or removing a stored record
makes it fail and name the first broken record."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.processes import SKILLCRED, clean_environment
from tests.support.service import MASTER_KEY, running_service


def audit_verify(url: str, data_dir: Path) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        [SKILLCRED, "audit", "verify"],
        env=clean_environment(
            SKILLCRED_DATABASE_URL=url,
            SKILLCRED_DATA_DIR=str(data_dir),
            SKILLCRED_MASTER_KEY=MASTER_KEY,
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_audit_chain_verifies_and_detects_tampering(tmp_path: Path) -> None:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data") as service,
    ):
        provider = service.create_provider("chain")
        for _ in range(3):
            credential = service.issue(provider["apiKey"], CREDENTIAL).json()[
                "verifiableCredential"
            ]
        service.client.post(
            "/credentials/status",
            json={
                "credentialId": credential["id"],
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
                "status": True,
                "reason": "withdrawn",
            },
            headers={"Authorization": f"Bearer {provider['apiKey']}"},
        )

    code, report = audit_verify(url, tmp_path / "data")
    assert code == 0, report
    # the provider, the deployment's issuing CA (made with the provider's ES256 key), three
    # credentials, the revocation
    assert report == {"intact": True, "events": 6, "firstBrokenSeq": None, "problem": None}

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'changed my mind' WHERE seq = 6"))
    code, report = audit_verify(url, tmp_path / "data")
    assert code == 1
    assert report["firstBrokenSeq"] == 6
    assert "does not match its hash" in str(report["problem"])

    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'withdrawn' WHERE seq = 6"))
    assert audit_verify(url, tmp_path / "data")[0] == 0
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 6"))
    code, report = audit_verify(url, tmp_path / "data")
    assert code == 1
    assert "removed" in str(report["problem"])

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    code, report = audit_verify(url, tmp_path / "data")
    assert code == 1
    assert report["firstBrokenSeq"] == 3
    engine.dispose()
