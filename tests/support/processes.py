"""Run `skillcred serve` as a real process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

SKILLCRED = str(Path(sys.executable).with_name("skillcred"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: tests drive the public endpoints faster than any client should: no rate limits unless a
#: test sets them (tests/integration/test_limits.py does)
NO_RATE_LIMITS = {
    "SKILLCRED_RATE_LIMIT_VERIFY_PER_MINUTE": "0",
    "SKILLCRED_RATE_LIMIT_PUBLIC_PER_MINUTE": "0",
}


def clean_environment(**settings: str) -> dict[str, str]:
    """The caller's environment without any SKILLCRED_* setting, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCRED_")}
    env.update(NO_RATE_LIMITS)
    env.update(settings)
    return env


@contextmanager
def serving(
    workdir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    scheme: str = "http",
    verify: ssl.SSLContext | bool = False,
    timeout: float = 60.0,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``skillcred serve`` in ``workdir``; yield (base URL, process) once /healthz answers."""
    port = port or free_port()
    log = (workdir / "serve.log").open("ab")
    process = subprocess.Popen(
        [SKILLCRED, "serve", "--port", str(port), *args],
        cwd=workdir,
        env=dict(env) if env is not None else clean_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"skillcred serve exited with {process.returncode}:\n"
                    + (workdir / "serve.log").read_text(errors="replace")
                )
            try:
                if httpx.get(f"{base}/healthz", verify=verify, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("skillcred serve did not answer /healthz in time")
            time.sleep(0.2)
        yield base, process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
