"""The SQLite file never holds a private key or an API key in the clear (raw bytes)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import select

from skillcred.core.keys import ED25519_SECRET_HEADER, multibase_base58btc_encode
from skillcred.services.keystore import KeyStore
from skillcred.settings import MasterKey
from skillcred.storage.models import SigningKey
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.service import MASTER_KEY, running_service


def test_database_file_has_no_secret_in_the_clear(tmp_path: Path) -> None:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data") as service,
    ):
        api_keys = []
        for slug, method in (("k1", "key"), ("w1", "web")):
            provider = service.create_provider(slug, did_method=method)
            api_keys.append(provider["apiKey"])
            assert service.issue(provider["apiKey"], CREDENTIAL).status_code == 201
            rotated = service.client.post(
                f"/admin/providers/{slug}/rotate-key", headers=service.admin()
            )
            assert rotated.status_code == 200
        keystore = KeyStore([MasterKey.parse(MASTER_KEY)])
        with service.database.reading() as session:
            rows = session.scalars(select(SigningKey)).all()
            seeds = [
                keystore.open(
                    r.id,
                    r.encrypted_secret,
                    r.master_key_id,
                    controller=r.controller,
                    verification_method=r.verification_method,
                ).seed()
                for r in rows
            ]
    assert len(seeds) == 4
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("skillcred.db*"))
    assert raw, "the database file is missing"
    for seed in seeds:
        for form in (
            seed,
            seed.hex().encode(),
            base64.b64encode(seed),
            base64.urlsafe_b64encode(seed).rstrip(b"="),
            multibase_base58btc_encode(ED25519_SECRET_HEADER + seed).encode(),
        ):
            assert form not in raw
    for api_key in api_keys:
        assert api_key.encode() not in raw
        assert api_key[len("skc_") :].encode() not in raw


def test_wrong_master_key_cannot_open_signing_keys(tmp_path: Path) -> None:
    from skillcred.errors import KeyStoreError

    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data") as service,
    ):
        service.create_provider("locked")
        with service.database.reading() as session:
            row = session.scalars(select(SigningKey)).one()
    other = KeyStore([MasterKey.parse("other:" + base64.urlsafe_b64encode(b"\x01" * 32).decode())])
    with pytest.raises(KeyStoreError, match="not configured"):
        other.open(
            row.id, row.encrypted_secret, row.master_key_id, controller="", verification_method=""
        )
    renamed = KeyStore(
        [MasterKey.parse(row.master_key_id + ":" + base64.urlsafe_b64encode(b"\x01" * 32).decode())]
    )
    with pytest.raises(KeyStoreError, match="cannot be decrypted"):
        renamed.open(
            row.id, row.encrypted_secret, row.master_key_id, controller="", verification_method=""
        )
