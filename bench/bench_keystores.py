"""Issuance with a signing key in a PKCS#11 token (SoftHSM2) beside one sealed in the
database, in one run, in one process.

    .venv/bin/python bench/bench_keystores.py [--credentials 300] [--signatures 2000]

Prints, per key store: Ed25519 signatures a second (the signer alone, 32-byte messages),
and credentials issued a second over HTTP (the app in-process through its test client,
SQLite, one request at a time: eddsa-rdfc-2022 canonicalization included, which costs far
more than the signature). The two stores take turns in rounds so that machine load falls
on both alike. Needs SoftHSM2 (Debian package softhsm2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from tests.integration.test_issuing_api import CREDENTIAL  # noqa: E402
from tests.support.service import running_service  # noqa: E402
from tests.support.softhsm import softhsm_token  # noqa: E402

STORES = ("database", "pkcs11")
ROUNDS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credentials", type=int, default=300, help="per store, in all")
    parser.add_argument("--signatures", type=int, default=2000, help="per store, in all")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="skillcred-bench-keys-") as folder:
        work = Path(folder)
        hsm = softhsm_token(work / "softhsm")
        with running_service(
            f"sqlite:///{work / 'bench.db'}", work / "data", **hsm.settings()
        ) as service:
            api_keys = {}
            for store in STORES:
                created = service.client.post(
                    "/admin/providers",
                    json={"slug": f"bench-{store}", "name": store, "keyStore": store},
                    headers=service.admin(),
                )
                assert created.status_code == 201, created.text
                api_keys[store] = created.json()["apiKey"]
                # Warm up: the status list reserves, the signer is opened.
                assert service.issue(api_keys[store], CREDENTIAL).status_code == 201
            signers = _signers(service)

            sign_rates: dict[str, list[float]] = {s: [] for s in STORES}
            issue_rates: dict[str, list[float]] = {s: [] for s in STORES}
            for _ in range(ROUNDS):
                for store in STORES:
                    count = args.signatures // ROUNDS
                    started = time.perf_counter()
                    for number in range(count):
                        signers[store].sign(number.to_bytes(32, "big"))
                    sign_rates[store].append(count / (time.perf_counter() - started))
                for store in STORES:
                    count = args.credentials // ROUNDS
                    started = time.perf_counter()
                    for _ in range(count):
                        response = service.issue(api_keys[store], CREDENTIAL)
                        assert response.status_code == 201, response.text
                    issue_rates[store].append(count / (time.perf_counter() - started))

    print(f"{'key store':<10} {'signatures/s':>14} {'credentials/s':>14}  (median of {ROUNDS})")
    for store in STORES:
        print(
            f"{store:<10} {statistics.median(sign_rates[store]):>14.0f} "
            f"{statistics.median(issue_rates[store]):>14.1f}"
        )


def _signers(service: Any) -> dict[str, Any]:
    from skillcred.services.keystore import key_stores
    from skillcred.storage.models import Provider, SigningKey

    stores = key_stores(service.settings)
    signers = {}
    with service.database.reading() as session:
        for store in STORES:
            row = session.scalars(
                select(SigningKey)
                .join(Provider, Provider.id == SigningKey.provider_id)
                .where(Provider.slug == f"bench-{store}")
            ).one()
            signers[store] = stores.signer(row)
    return signers


if __name__ == "__main__":
    main()
