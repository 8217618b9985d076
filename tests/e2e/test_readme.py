"""The README's walkthroughs are copy-paste commands: run them, in order, as a user would
(against a real `skillcred serve`), and check what they produce."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.support.processes import clean_environment, free_port, serving

WALKTHROUGH = re.compile(r"<!-- walkthrough: ([\w-]+) -->\s*```(sh|python)\n(.*?)```", re.S)


def blocks() -> dict[str, str]:
    """Every walkthrough block of the README as shell text (a Python block runs in the
    project's interpreter, as a reader pasting it would)."""
    found = {}
    for name, language, body in WALKTHROUGH.findall(
        (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    ):
        found[name] = body if language == "sh" else f".venv/bin/python - <<'PY'\n{body}PY\n"
    return found


def test_readme_walkthroughs_run(tmp_path: Path) -> None:
    found = blocks()
    assert list(found) == [
        "provider",
        "provider-http",
        "provider-batch",
        "provider-status",
        "employer",
        "signing",
        "library",
    ]
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    (tmp_path / "examples").symlink_to(REPO_ROOT / "examples")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_environment(SKILLCRED_BASE_URL=base)
    # One shell, as one terminal: variables set in a block stay set for the next one.
    script = "\n".join(
        f"echo; echo '::{name}::'\n{body.replace('http://127.0.0.1:8000', base)}"
        for name, body in found.items()
    )
    with serving(tmp_path, env=env, port=port):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    outputs = dict(re.findall(r"::([\w-]+)::\n(.*?)(?=\n::[\w-]+::|\Z)", done.stdout, re.S))
    assert len(list((tmp_path / "issued").glob("*.json"))) == 3
    assert '"changed":true' in outputs["provider-status"].replace(" ", "")
    assert outputs["provider-batch"].strip() == (
        "{'rows': 3, 'issued': 3, 'alreadyIssued': 0, 'failed': 0}"
    )
    reinstated = json.loads((tmp_path / "reinstated.json").read_text())
    assert (reinstated["statusPurpose"], reinstated["status"], reinstated["changed"]) == (
        "suspension",
        False,
        True,
    )
    revoked = json.loads((tmp_path / "revoked.json").read_text())
    assert (revoked["statusPurpose"], revoked["status"], revoked["changed"]) == (
        "revocation",
        True,
        True,
    )
    assert (tmp_path / "lasschool.json").stat().st_mode & 0o077 == 0
    assert outputs["employer"].startswith(
        "valid - MIG/MAG fillet welding - Independent - Lasschool Twente"
    )
    credential = json.loads((tmp_path / "credential.json").read_text())["verifiableCredential"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert json.loads((tmp_path / "answer.json").read_text())["verified"] is True
    signed = json.loads((tmp_path / "signed-verdict.json").read_text())
    assert (signed["verified"], signed["verdict"]) == (True, "untrusted-issuer")
    assert outputs["library"].strip() == "valid True []"
