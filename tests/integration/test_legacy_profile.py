"""Credentials issued under the skills profile v1 (their own JSON-LD context under the
deployment's URL, one two-bit `message` status entry on safety certificates) keep their
meaning after profile v2: they verify, their status changes as before, and the skill
definitions stored then issue v2 credentials. The database is the one an instance of
commit 7c4f773 left (tests/data/legacy-profile-v1, made by its make.py)."""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skillcred.core.jsonld.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from tests.conftest import REPO_ROOT
from tests.support.service import Service, running_service

LEGACY = REPO_ROOT / "tests" / "data" / "legacy-profile-v1"
CREDENTIALS: dict[str, dict[str, Any]] = json.loads((LEGACY / "credentials.json").read_text())
API_KEYS: dict[str, str] = json.loads((LEGACY / "api-keys.json").read_text())
REQUEST = json.loads((REPO_ROOT / "examples" / "skill-credential-request.json").read_text())


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[Service]:
    database = tmp_path / "legacy.db"
    with gzip.open(LEGACY / "legacy.sql.gz", "rt", encoding="utf-8") as dump:
        script = dump.read()
    with sqlite3.connect(database) as connection:
        connection.executescript(script)
    # Started as an upgrade is: the migrations run first (0004 rewrites the definitions).
    with running_service(f"sqlite:///{database}", tmp_path / "data") as service:
        yield service


def verdict(service: Service, credential: dict[str, Any]) -> str:
    body = service.client.post("/credentials/verify", json={"verifiableCredential": credential})
    answer: dict[str, Any] = body.json()
    return str(answer["verdict"])


def change(service: Service, name: str, purpose: str, status: bool) -> Any:
    return service.client.post(
        "/credentials/status",
        json={
            "credentialId": CREDENTIALS[name]["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": status,
        },
        headers={"Authorization": f"Bearer {API_KEYS[name.split('-')[0]]}"},
    )


def test_profile_v1_credentials_keep_verifying(legacy: Service) -> None:
    for name, credential in CREDENTIALS.items():
        assert credential["@context"][-1] == "https://skills.test/contexts/skills/v1", name
        assert verdict(legacy, credential) == "valid", name


@pytest.mark.parametrize("provider", ["lasschool", "websmid"])
def test_a_v1_two_bit_entry_keeps_its_meaning(legacy: Service, provider: str) -> None:
    name = f"{provider}-safety"
    assert CREDENTIALS[name]["credentialStatus"]["statusSize"] == 2
    assert change(legacy, name, "suspension", True).json()["changed"] is True
    time.sleep(1.1)  # a worker reuses its own list's bits for a second
    assert verdict(legacy, CREDENTIALS[name]) == "suspended"
    assert change(legacy, name, "suspension", False).json()["changed"] is True
    time.sleep(1.1)
    assert verdict(legacy, CREDENTIALS[name]) == "valid"
    assert change(legacy, name, "revocation", True).json()["changed"] is True
    time.sleep(1.1)
    assert verdict(legacy, CREDENTIALS[name]) == "revoked"
    refused = change(legacy, name, "suspension", True)
    assert refused.status_code == 409 and "revocation is final" in refused.json()["detail"]


def test_a_v1_revocation_entry_keeps_its_meaning(legacy: Service) -> None:
    assert change(legacy, "lasschool-competency", "revocation", True).json()["changed"] is True
    time.sleep(1.1)
    assert verdict(legacy, CREDENTIALS["lasschool-competency"]) == "revoked"


def test_a_definition_stored_under_v1_issues_v2_credentials(legacy: Service) -> None:
    headers = {"Authorization": f"Bearer {API_KEYS['lasschool']}"}
    definition = legacy.client.get("/skills/mig-fillet", headers=headers).json()
    assert definition["achievement"]["tag"] == ["safety-critical"]
    assert "safetyCritical" not in definition["achievement"]
    response = legacy.client.post("/skill-credentials", json=REQUEST, headers=headers)
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    assert credential["@context"] == [CREDENTIALS_V2, OPEN_BADGES_V3]
    assert [e["statusPurpose"] for e in credential["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert verdict(legacy, credential) == "valid"
