"""A skill credential issued by one deployment verifies in another with a different base
URL, and with `skillcred verify` in an empty folder — online, and offline (proof passed,
status cannot check): no deployment's context or schema is needed to check it."""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO_ROOT
from tests.support.https_server import self_signed_certificate
from tests.support.processes import SKILLCRED, clean_environment, free_port, serving

ADMIN = "two-deployments-admin-token-0123456789"
EXAMPLES = REPO_ROOT / "examples"


def register(base: str, slug: str, method: str, verify: Any) -> dict[str, Any]:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    created = httpx.post(
        f"{base}/admin/providers",
        json={"slug": slug, "name": f"Lasschool {slug}", "didMethod": method},
        headers=admin,
        verify=verify,
    )
    assert created.status_code == 201, created.text
    provider: dict[str, Any] = created.json()
    definition = json.loads((EXAMPLES / "skill-definition.json").read_text())
    skill = httpx.post(f"{base}/skills", json=definition, headers=key_of(provider), verify=verify)
    assert skill.status_code == 201, skill.text
    return provider


def key_of(provider: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider['apiKey']}"}


def cli_verify(document: Any, folder: Path, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [SKILLCRED, "verify", *args, "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(**env),
        cwd=folder,
        check=False,
    )
    output: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, output


def check(result: dict[str, Any], name: str) -> str:
    return str(next(c for c in result["checks"] if c["check"] == name)["outcome"])


def test_a_skill_credential_verifies_in_another_deployment_and_anywhere(tmp_path: Path) -> None:
    cert, tls_key = self_signed_certificate(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    port_a = free_port()
    issuer_dir, verifier_dir, empty = tmp_path / "a", tmp_path / "b", tmp_path / "empty"
    for folder in (issuer_dir, verifier_dir, empty):
        folder.mkdir()
    env_a = clean_environment(
        SKILLCRED_BASE_URL=f"https://127.0.0.1:{port_a}", SKILLCRED_ADMIN_TOKEN=ADMIN
    )
    with serving(
        issuer_dir,
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(tls_key),
        env=env_a,
        scheme="https",
        verify=trust,
        port=port_a,
    ) as (base_a, _a):
        request = json.loads((EXAMPLES / "skill-credential-request.json").read_text())
        issued: dict[str, dict[str, Any]] = {}
        providers: dict[str, dict[str, Any]] = {}
        for method in ("web", "key"):
            providers[method] = register(base_a, f"ls-{method}", method, trust)
            response = httpx.post(
                f"{base_a}/skill-credentials",
                json=request,
                headers=key_of(providers[method]),
                verify=trust,
            )
            assert response.status_code == 201, response.text
            issued[method] = response.json()["verifiableCredential"]
        # Nothing of deployment A is needed to read it: the standard contexts, the profile's
        # schema by its permanent URL.
        for credential in issued.values():
            assert not any(base_a in str(c) for c in credential["@context"])
            assert not any(base_a in s["id"] for s in credential["credentialSchema"])

        trusted = tmp_path / "trust.json"
        trusted.write_text(
            json.dumps({"issuers": [{"did": providers["web"]["did"], "name": "Lasschool A"}]})
        )
        port_b = free_port()
        env_b = clean_environment(
            SKILLCRED_BASE_URL=f"http://127.0.0.1:{port_b}",
            SKILLCRED_UNSAFE_ALLOW_PRIVATE_ADDRESSES="true",
            SKILLCRED_REMOTE_CA_FILE=str(cert),
            SKILLCRED_TRUST_LIST_FILE=str(trusted),
            SKILLCRED_STATUS_LIST_TTL_SECONDS="1",
        )
        with serving(verifier_dir, env=env_b, port=port_b) as (base_b, _b):

            def at_b(credential: dict[str, Any]) -> dict[str, Any]:
                answer: dict[str, Any] = httpx.post(
                    f"{base_b}/credentials/verify", json={"verifiableCredential": credential}
                ).json()
                return answer

            # did:web resolved from A over HTTPS, status lists read from A, schema shipped.
            result = at_b(issued["web"])
            assert result["verdict"] == "valid", result["errors"]
            assert [check(result, c) for c in ("proof", "status", "credentialSchema")] == [
                "passed"
            ] * 3
            assert result["summary"]["provider"] == "Lasschool A"
            assert at_b(issued["key"])["verdict"] == "untrusted-issuer"

            # A suspends it: B sees it within the status lists' lifetime.
            change = httpx.post(
                f"{base_a}/credentials/status",
                json={
                    "credentialId": issued["web"]["id"],
                    "status": True,
                    "credentialStatus": {
                        "type": "BitstringStatusList",
                        "statusPurpose": "suspension",
                    },
                },
                headers=key_of(providers["web"]),
                verify=trust,
            )
            assert change.status_code == 200, change.text
            deadline = time.monotonic() + 15
            while at_b(issued["web"])["verdict"] != "suspended":
                assert time.monotonic() < deadline, "the suspension never reached deployment B"
                time.sleep(0.5)

        # `skillcred verify` in an empty folder, no database: online ...
        code, online = cli_verify(
            issued["key"],
            empty,
            SKILLCRED_UNSAFE_ALLOW_PRIVATE_ADDRESSES="true",
            SKILLCRED_REMOTE_CA_FILE=str(cert),
        )
        assert (code, online["verdict"]) == (0, "untrusted-issuer")
        assert check(online, "status") == "passed"
        # ... and offline: the proof holds, the status cannot be checked.
        code, offline = cli_verify(issued["key"], empty, "--offline")
        assert code == 3
        assert offline["verdict"] == "cannot-check"
        assert [check(offline, c) for c in ("proof", "status", "credentialSchema")] == [
            "passed",
            "not-performed",
            "passed",
        ]
        assert list(empty.iterdir()) == []
