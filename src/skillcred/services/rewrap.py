"""Master key rotation: re-seal every database signing key under the newest master key.

``SKILLCRED_MASTER_KEY`` lists master keys, newest first; the newest seals new keys and
the older ones still open what they sealed. ``rewrap`` opens each key sealed under an
older master key and seals it again under the newest, a batch of keys per transaction:
a row holds either its old ciphertext and master key id or its new ones, never a mix, so
a run stopped at any point (even killed) loses nothing, and running it again finishes
the work. Once ``check`` opens every key with only the newest master key configured, the
older ones can be removed from the settings (docs/keys.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from skillcred.services import audit
from skillcred.services.es256_keys import check_key, reseal
from skillcred.services.keystore import KeyStore, SigningKeyStores
from skillcred.storage.db import Database
from skillcred.storage.es256 import Es256Keys
from skillcred.storage.repositories import SigningKeys


@dataclass(frozen=True, slots=True)
class RewrapProgress:
    master_key_id: str
    rewrapped: int
    #: keys this run rewrapped in the batch just committed
    batch: int


def rewrap(
    database: Database,
    keystore: KeyStore,
    *,
    batch_size: int = 100,
    pause_seconds: float = 0.0,
    actor: str = "operator:cli",
    progress: Callable[[RewrapProgress], None] | None = None,
) -> int:
    """Re-seal every database key not sealed under the newest master key; the count."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    target = keystore.current_key_id

    def reseal_signing_key(row: Any) -> None:
        pair = keystore.open_row(row)  # raises: the batch is rolled back
        row.encrypted_secret, row.master_key_id = keystore.seal(row.id, pair.seed())

    def batches(
        fetch: Callable[[Session, str], Sequence[Any]],
        reseal_row: Callable[[Any], None],
        listed_as: str,
        done: int,
    ) -> int:
        after = ""
        while True:
            with database.writing() as session:
                rows = fetch(session, after)
                if not rows:
                    return done
                moved: dict[str, int] = {}
                for row in rows:
                    moved[str(row.master_key_id)] = moved.get(str(row.master_key_id), 0) + 1
                    reseal_row(row)  # raises: the batch is rolled back
                session.flush()
                audit.record(
                    session,
                    actor=actor,
                    action="keys.rewrapped",
                    data={"masterKeyId": target, "from": moved, listed_as: [r.id for r in rows]},
                )
                after = rows[-1].id
            done += len(rows)
            if progress is not None:
                progress(RewrapProgress(target, done, len(rows)))
            if pause_seconds > 0:
                time.sleep(pause_seconds)

    done = batches(
        lambda session, after: SigningKeys(session).sealed_under_other_than(
            target, after=after, limit=batch_size
        ),
        reseal_signing_key,
        "signingKeys",
        0,
    )
    # The ES256 keys (SD-JWT VC, and the issuing CA) the same way.
    return batches(
        lambda session, after: Es256Keys(session).sealed_under_other_than(
            target, after=after, limit=batch_size
        ),
        lambda row: reseal(keystore, row),
        "es256Keys",
        done,
    )


@dataclass
class CheckReport:
    keys: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    by_store: dict[str, int] = field(default_factory=dict)
    sealed_under: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "keys": self.keys,
            "opened": self.keys - len(self.failed),
            "byStore": self.by_store,
            "sealedUnder": self.sealed_under,
            "failed": self.failed,
        }


def check(database: Database, stores: SigningKeyStores) -> CheckReport:
    """Open every signing key of every provider and sign with it (its signature must
    verify under its public key); report the ones that fail and why."""
    report = CheckReport()
    with database.reading() as session:
        keys = SigningKeys(session).every_key()
        for key in keys:
            report.keys += 1
            report.by_store[key.store] = report.by_store.get(key.store, 0) + 1
            if key.master_key_id is not None:
                report.sealed_under[key.master_key_id] = (
                    report.sealed_under.get(key.master_key_id, 0) + 1
                )
            try:
                stores.check(key)
            except Exception as exc:
                detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
                report.failed.append(
                    {
                        "id": key.id,
                        "verificationMethod": key.verification_method,
                        "store": key.store,
                        "masterKeyId": key.master_key_id,
                        "problem": detail,
                    }
                )
        for es_key in Es256Keys(session).every_key():
            report.keys += 1
            report.by_store[es_key.store] = report.by_store.get(es_key.store, 0) + 1
            if es_key.master_key_id is not None:
                report.sealed_under[es_key.master_key_id] = (
                    report.sealed_under.get(es_key.master_key_id, 0) + 1
                )
            try:
                check_key(stores, es_key)
            except Exception as exc:
                detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
                report.failed.append(
                    {
                        "id": es_key.id,
                        "es256Kid": es_key.kid,
                        "store": es_key.store,
                        "masterKeyId": es_key.master_key_id,
                        "problem": detail,
                    }
                )
    return report
