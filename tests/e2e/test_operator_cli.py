"""The command line a provider's staff and the operator use daily, tried as a new user
would: `providers create --out` keeps the once-shown key and never overwrites a file;
`api-keys`, `providers suspend|reinstate`, `keys compromise`, and `credentials
revoke|suspend|reinstate` against the local database."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.processes import SKILLCRED, clean_environment
from tests.support.service import MASTER_KEY, running_service


class Cli:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.url = f"sqlite:///{workdir / 'skillcred.db'}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SKILLCRED, *args],
            cwd=self.workdir,
            env=clean_environment(
                SKILLCRED_DATABASE_URL=self.url,
                SKILLCRED_MASTER_KEY=MASTER_KEY,
                SKILLCRED_BASE_URL="https://skills.test",
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def test_providers_create_out_keeps_the_key_and_never_overwrites(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    printed = cli.json(
        "providers", "create", "--slug", "lasschool", "--name", "Lasschool", "--out", "las.json"
    )
    saved = json.loads((tmp_path / "las.json").read_text())
    assert saved["apiKey"].startswith("skc_") and saved["slug"] == "lasschool"
    assert "apiKey" not in printed and printed["apiKeyFile"] == "las.json"
    assert (tmp_path / "las.json").stat().st_mode & 0o777 == 0o600

    # Run again (another provider, or the same one by mistake): refused, file intact,
    # nothing created.
    for slug in ("other", "lasschool"):
        again = cli.run("providers", "create", "--slug", slug, "--name", "X", "--out", "las.json")
        assert again.returncode == 2
        assert "las.json exists already" in again.stderr
        assert json.loads((tmp_path / "las.json").read_text()) == saved
    assert [p["slug"] for p in cli.json("providers", "list")] == ["lasschool"]
    # A provider that cannot be created leaves no file behind.
    clash = cli.run("providers", "create", "--slug", "lasschool", "--name", "X", "--out", "n.json")
    assert clash.returncode == 2 and "exists already" in clash.stderr
    assert not (tmp_path / "n.json").exists()

    # API keys from the command line.
    keys = cli.json("api-keys", "list", "--provider", "lasschool")
    assert [k["name"] for k in keys] == ["initial"]
    office = cli.json(
        "api-keys", "create", "--provider", "lasschool", "--name", "office", "--out", "office.json"
    )
    assert "apiKey" not in office
    assert json.loads((tmp_path / "office.json").read_text())["name"] == "office"
    rotated = cli.json(
        "api-keys", "rotate", "--provider", "lasschool", keys[0]["id"], "--grace", "60"
    )
    assert rotated["replaces"]["state"] == "grace" and rotated["apiKey"].startswith("skc_")
    revoked = cli.json(
        "api-keys", "revoke", "--provider", "lasschool", office["id"], "--reason", "left"
    )
    assert revoked["state"] == "revoked"
    bad = cli.run("api-keys", "create", "--provider", "lasschool", "--expires", "tomorrow")
    assert bad.returncode == 2 and "--expires" in bad.stderr
    listed = cli.json("api-keys", "list", "--provider", "lasschool")
    assert sorted((k["name"], k["state"]) for k in listed) == [
        ("initial", "active"),  # the rotated one keeps the old one's name
        ("initial", "grace"),
        ("office", "revoked"),
    ]

    # Suspension from the command line.
    assert cli.json("providers", "suspend", "--slug", "lasschool", "--reason", "audit")["suspended"]
    assert not cli.json("providers", "reinstate", "--slug", "lasschool")["suspended"]


def test_credentials_revoke_suspend_reinstate_and_compromise_locally(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    # Issue with the service on the same database, then act with the command line.
    with running_service(cli.url, tmp_path / "data", base_url="https://skills.test") as service:
        provider = service.create_provider("school", did_method="web")
        safety = {**CREDENTIAL, "validUntil": "2099-01-01T00:00:00Z"}
        issued = [
            service.issue(provider["apiKey"], safety).json()["verifiableCredential"]
            for _ in range(3)
        ]
    first, second, third = (c["id"] for c in issued)

    suspended = cli.json("credentials", "suspend", first, "--reason", "re-assessment due")
    assert (suspended["statusPurpose"], suspended["status"], suspended["changed"]) == (
        "suspension",
        True,
        True,
    )
    lifted = cli.json("credentials", "reinstate", first)
    assert (lifted["status"], lifted["changed"]) == (False, True)
    revoked = cli.json("credentials", "revoke", second, "--reason", "issued in error")
    assert (revoked["statusPurpose"], revoked["changed"]) == ("revocation", True)
    final = cli.run("credentials", "reinstate", second)
    assert final.returncode == 2 and "revocation is final" in final.stderr
    unknown = cli.run("credentials", "revoke", "urn:uuid:not-issued-here")
    assert unknown.returncode == 2 and "no provider here has issued" in unknown.stderr
    remote = cli.run("credentials", "revoke", third, "--server", "http://127.0.0.1:9")
    assert remote.returncode == 2 and "API key" in remote.stderr

    proof = issued[0]["proof"]
    method = (proof[0] if isinstance(proof, list) else proof)["verificationMethod"]
    report = cli.json("keys", "compromise", "--provider", "school", method.partition("#")[2])
    assert report["revoked"] == 2  # the third and the first; the second was revoked already
    assert {c["credentialId"] for c in report["credentials"]} == {first, second, third}
    assert report["newVerificationMethod"] != method
    future = cli.run(
        "keys", "compromise", "--provider", "school", "z6Mk", "--since", "2999-01-01T00:00:00Z"
    )
    assert future.returncode == 2
