"""Drive Digital Bazaar's reference implementation (interop/vc.mjs) from the tests.

One node process serves many requests (one JSON object per line each way). Where node or
interop/node_modules is missing the interop tests are skipped locally; under CI
(SKILLCRED_CI=1) they fail instead, so they can never silently not run there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEROP = REPO_ROOT / "interop"


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI."""
    if condition:
        return
    if os.environ.get("SKILLCRED_CI") == "1":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


class ReferenceImplementation:
    """``vc.mjs`` (Digital Bazaar's libraries) by default; ``dcc.mjs`` for DCC's
    verifier-core (what VerifierPlus and the Learner Credential Wallet run)."""

    def __init__(self, script: str = "vc.mjs") -> None:
        node = shutil.which("node")
        require(node is not None, "node is not installed")
        require(
            (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir()
            and (INTEROP / "node_modules" / "@digitalcredentials" / "verifier-core").is_dir(),
            "interop/node_modules is missing (npm ci --prefix interop)",
        )
        assert node is not None
        self._process = subprocess.Popen(
            [node, str(INTEROP / script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()
        assert self.request({"op": "ping"})["ok"] is True

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps(payload) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the reference implementation exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def sign(self, document: dict[str, Any], key: dict[str, Any], **options: Any) -> dict[str, Any]:
        answer = self.request({"op": "sign", "document": document, "key": key, **options})
        assert answer["ok"], answer
        signed: dict[str, Any] = answer["signed"]
        return signed

    def verify(self, document: dict[str, Any], **options: Any) -> dict[str, Any]:
        answer = self.request({"op": "verify", "document": document, **options})
        assert answer["ok"], answer
        return answer

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
