"""The worker's wallet in tests: interop/presentation-wallet.mjs (the OpenWallet Foundation's
@openid4vc/openid4vp and dcql, Digital Bazaar's vc for the presentation), and a service
with skill credentials issued to holders' did:key DIDs."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from skillcred import Ed25519KeyPair
from tests.support.load import server_environment
from tests.support.processes import free_port, serving
from tests.support.reference import INTEROP, require
from tests.support.service import ADMIN_TOKEN
from tests.support.skills import SKILLS, skill_request

WALLET = INTEROP / "presentation-wallet.mjs"


@dataclass
class Site:
    base: str
    api_key: str
    workdir: Path
    #: holder key -> skill key -> issued credential
    issued: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)

    def issue(self, holder: Ed25519KeyPair, skill: str, level: str = "basic") -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/skill-credentials",
            json=skill_request(skill, level, holder),
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=60,
        )
        assert response.status_code == 201, response.text
        credential: dict[str, Any] = response.json()["verifiableCredential"]
        self.issued.setdefault(holder.controller, {})[skill] = credential
        return credential

    def offer(self, body: dict[str, Any]) -> dict[str, Any]:
        """An offer of a skill credential (``POST /offers``), as the provider's staff make
        it: the credential offer, its transaction code, its claim page."""
        offered = httpx.post(
            f"{self.base}/offers",
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=60,
        )
        assert offered.status_code == 201, offered.text
        return dict(offered.json())

    def revoke(self, credential: dict[str, Any]) -> None:
        response = httpx.post(
            f"{self.base}/credentials/status",
            json={
                "credentialId": credential["id"],
                "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
                "status": True,
            },
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text

    def ask(self, **body: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/presentation-requests", json=body, timeout=60)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def result(self, created: dict[str, Any]) -> httpx.Response:
        return httpx.get(created["resultUrl"], timeout=60)


@contextmanager
def site(workdir: Path, **settings: str) -> Iterator[Site]:
    """A running service (SQLite) with one provider and the skill definitions."""
    port = free_port()
    env = server_environment(f"sqlite:///{workdir / 'site.db'}", workdir / "data", port)
    env.update(settings)
    with serving(workdir, "--workers", "1", env=env, port=port) as (base, _process):
        created = httpx.post(
            f"{base}/admin/providers",
            json={"slug": "lasschool-twente", "name": "Lasschool Twente"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=60,
        )
        created.raise_for_status()
        api_key = created.json()["apiKey"]
        for skill in SKILLS:
            httpx.post(
                f"{base}/skills",
                json=skill,
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=60,
            ).raise_for_status()
        yield Site(base, api_key, workdir)


def key_file(key: Ed25519KeyPair) -> dict[str, str]:
    return key.to_key_file()


def run_wallet(job: dict[str, Any], *, timeout: float = 120) -> dict[str, Any]:
    """One job for interop/presentation-wallet.mjs; its JSON answer."""
    node = shutil.which("node")
    require(node is not None, "node is not installed")
    require(
        (INTEROP / "node_modules" / "@openid4vc" / "openid4vp").is_dir()
        and (INTEROP / "node_modules" / "dcql").is_dir(),
        "interop/node_modules is missing @openid4vc/openid4vp (npm ci --prefix interop)",
    )
    assert node is not None
    completed = subprocess.run(
        [node, str(WALLET)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.stdout, completed.stderr
    answer: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer
