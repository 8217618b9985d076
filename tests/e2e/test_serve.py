"""`skillcred serve` on a fresh machine: no setup, SQLite created and migrated on start,
a demo provider that can issue at once; several workers; HTTPS."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
import pytest

from skillcred import Verifier
from tests.support.https_server import self_signed_certificate
from tests.support.processes import children, serving

CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:worker", "skill": "soldering"},
}


def test_serve_with_no_setup_answers_and_issues(tmp_path: Path) -> None:
    with serving(tmp_path) as (base, _process):
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "database": "ok"}
        assert (tmp_path / "data" / "skillcred.db").exists()
        demo = json.loads((tmp_path / "data" / "demo-provider.json").read_text())
        assert oct((tmp_path / "data" / "demo-provider.json").stat().st_mode & 0o777) == "0o600"
        response = httpx.post(
            f"{base}/credentials/issue",
            json={"credential": CREDENTIAL},
            headers={"Authorization": f"Bearer {demo['apiKey']}"},
        )
        assert response.status_code == 201, response.text
        credential = response.json()["verifiableCredential"]
        assert credential["credentialStatus"]["statusPurpose"] == "revocation"
        # Offline, the proof verifies but the revocation list is not consulted: fail closed.
        offline = Verifier().verify_credential(credential)
        assert offline.find_check("proof").outcome == "passed"  # type: ignore[union-attr]
        assert offline.find_check("status").outcome == "not-performed"  # type: ignore[union-attr]
        assert not offline.verified
        log = (tmp_path / "serve.log").read_text()
        assert "DEVELOPMENT MODE" in log
        assert demo["apiKey"] not in log

    # A second start reuses the database and the key: no new demo provider.
    with serving(tmp_path) as (base, _process):
        again = httpx.post(
            f"{base}/credentials/issue",
            json={"credential": CREDENTIAL},
            headers={"Authorization": f"Bearer {demo['apiKey']}"},
        )
        assert again.status_code == 201
        assert again.json()["verifiableCredential"]["issuer"] == demo["did"]


def test_serve_with_two_workers(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2") as (base, process):
        assert len(children(process.pid)) >= 2
        for _ in range(10):
            assert httpx.get(f"{base}/healthz").status_code == 200


def test_production_mode_refuses_to_start_without_a_master_key(tmp_path: Path) -> None:
    import subprocess

    from tests.support.processes import SKILLCRED, clean_environment

    done = subprocess.run(
        [SKILLCRED, "serve"],
        cwd=tmp_path,
        env=clean_environment(SKILLCRED_ENV="production", SKILLCRED_ADMIN_TOKEN="x" * 32),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SKILLCRED_MASTER_KEY" in done.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # An empty master key was taken for one: the migrations ran, then it failed.
        ({"SKILLCRED_MASTER_KEY": "", "SKILLCRED_ADMIN_TOKEN": "x" * 32}, "SKILLCRED_MASTER_KEY"),
        ({"SKILLCRED_MASTER_KEY": "not base64!", "SKILLCRED_ADMIN_TOKEN": "x" * 32}, "base64"),
        # An auditor token of any length was accepted.
        (
            {
                "SKILLCRED_MASTER_KEY": "k:" + "A" * 43,
                "SKILLCRED_ADMIN_TOKEN": "x" * 32,
                "SKILLCRED_AUDITOR_TOKEN": "short",
            },
            "SKILLCRED_AUDITOR_TOKEN must be at least 24",
        ),
    ],
)
def test_regression_production_refuses_before_touching_the_database(
    tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    import subprocess

    from tests.support.processes import SKILLCRED, clean_environment

    database = tmp_path / "prod.db"
    done = subprocess.run(
        [SKILLCRED, "serve"],
        cwd=tmp_path,
        env=clean_environment(
            SKILLCRED_ENV="production",
            SKILLCRED_DATABASE_URL=f"sqlite:///{database}",
            **settings,
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert not database.exists() or database.stat().st_size == 0


def test_serve_https(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    with serving(
        tmp_path, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https", verify=trust
    ) as (base, _process):
        response = httpx.get(f"{base}/healthz", verify=trust)
        assert response.status_code == 200
        assert response.url.scheme == "https"
