"""Issue 14, must show 1: a slow or hostile host slows only the requests that need it.

A real `skillcred serve` is asked, all at once, to verify credentials whose status lists
live on a host that never answers, one that drips a byte every half second, and one that
sends without end — while unrelated verifications go on. Each affected answer is *cannot
check*, within the request's lookup deadline; the unrelated ones keep their idle latency
(p99 within 10× the idle p99, or a quarter of the lookup deadline)."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from skillcred import Ed25519KeyPair, sign_credential
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.hostile import hostile_hosts
from tests.support.processes import clean_environment, serving

ISSUER = Ed25519KeyPair.generate()
DEADLINE = 2.0  # SKILLCRED_REMOTE_DEADLINE_SECONDS for this test


def pointing_at(url: str) -> dict[str, Any]:
    status = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": url,
    }
    return sign_credential(
        {**CREDENTIAL, "issuer": ISSUER.controller, "credentialStatus": status}, key=ISSUER
    )


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def test_hostile_hosts_slow_only_the_requests_that_need_them(tmp_path: Path) -> None:
    unrelated = sign_credential({**CREDENTIAL, "issuer": ISSUER.controller}, key=ISSUER)
    with hostile_hosts(tmp_path) as hosts:
        env = clean_environment(
            SKILLCRED_UNSAFE_ALLOW_PRIVATE_ADDRESSES="true",
            SKILLCRED_REMOTE_CA_FILE=str(hosts.cert_path),
            SKILLCRED_REMOTE_DEADLINE_SECONDS=str(DEADLINE),
        )
        with serving(tmp_path, env=env) as (base, _process), httpx.Client(timeout=30) as client:

            def verify(credential: dict[str, Any]) -> tuple[float, dict[str, Any]]:
                started = time.monotonic()
                response = client.post(
                    f"{base}/credentials/verify", json={"verifiableCredential": credential}
                )
                return time.monotonic() - started, response.json()

            for _ in range(5):  # warm up
                verify(unrelated)
            idle = [verify(unrelated)[0] for _ in range(40)]

            hostile = [
                pointing_at(f"{url}/lists/{n}")
                for url in (hosts.silent, hosts.dripping, hosts.huge)
                for n in range(8)
            ]
            under_attack: list[float] = []
            done = threading.Event()

            def keep_verifying() -> None:
                while not done.is_set():
                    seconds, body = verify(unrelated)
                    assert body["verdict"] == "untrusted-issuer"
                    under_attack.append(seconds)

            with ThreadPoolExecutor(max_workers=len(hostile) + 1) as pool:
                watcher = pool.submit(keep_verifying)
                answers = list(pool.map(verify, hostile))
                done.set()
                watcher.result()

    for seconds, body in answers:
        assert body["verdict"] == "cannot-check", body
        assert body["notChecked"][0]["check"] == "status"
        # Within the lookup deadline (and a little for the rest of the request).
        assert seconds < DEADLINE + 1.5, (seconds, body["notChecked"])
    assert len(under_attack) >= 10
    idle_p99, attacked_p99 = p99(idle), p99(under_attack)
    print(f"unrelated p99: idle {idle_p99 * 1000:.1f} ms, attacked {attacked_p99 * 1000:.1f} ms")
    # Bound: 10x the idle p99, and never under a quarter of the lookup deadline. On 2
    # cores shared with the hostile servers (and, in CI, with other work) an idle p99 of a
    # few ms makes 10x a scheduling lottery, while a request that waited behind a hostile
    # lookup would take the whole deadline or more: the floor still tells the two apart
    # (before this budget existed the figure was 28 s).
    assert attacked_p99 < max(10 * idle_p99, DEADLINE / 4), (idle_p99, attacked_p99)
