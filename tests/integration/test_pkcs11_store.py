"""Signing keys in a PKCS#11 token (SoftHSM2): a provider whose key lives in the token
issues credentials that verify here and in Digital Bazaar's reference implementation,
rotates to another token key, and the database holds no private key material for it."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from skillcred.core.keys import ED25519_SECRET_HEADER, Ed25519KeyPair
from skillcred.storage.models import SigningKey
from tests.integration.test_issued_credentials_interop import published, reference_status
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service, running_service
from tests.support.softhsm import SoftHsm

pytestmark = pytest.mark.interop


@pytest.fixture
def hsm_service(backend: str, tmp_path: Path, softhsm: SoftHsm) -> Iterator[Service]:
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "data", **softhsm.settings()) as service,
    ):
        yield service


@pytest.mark.parametrize("did_method", ["web", "key"])
def test_token_key_issues_credentials_that_verify_in_the_reference(
    hsm_service: Service, reference: ReferenceImplementation, softhsm: SoftHsm, did_method: str
) -> None:
    service = hsm_service
    slug = f"hsm-{did_method}"
    created = service.client.post(
        "/admin/providers",
        json={"slug": slug, "name": "HSM school", "didMethod": did_method, "keyStore": "pkcs11"},
        headers=service.admin(),
    )
    assert created.status_code == 201, created.text
    provider = created.json()
    issued = [service.issue(provider["apiKey"], CREDENTIAL) for _ in range(3)]
    assert all(r.status_code == 201 for r in issued), issued[0].text
    credentials = [r.json()["verifiableCredential"] for r in issued]
    for credential in credentials:
        answer = service.client.post(
            "/credentials/verify", json={"verifiableCredential": credential}
        ).json()
        assert answer["verdict"] == "valid", answer
        verified = reference.verify(
            credential, documents=published(service, credential, provider["did"]), checkStatus=True
        )
        assert verified["verified"] is True, verified
        assert reference_status(verified) == {"revocation": False}

    # Rotation makes the next key in the token too; earlier credentials keep verifying.
    rotated = service.client.post(f"/admin/providers/{slug}/rotate-key", headers=service.admin())
    assert rotated.status_code == 200, rotated.text
    later = service.issue(provider["apiKey"], CREDENTIAL).json()["verifiableCredential"]
    did = rotated.json()["did"]
    for credential, issuer in ((credentials[0], provider["did"]), (later, did)):
        verified = reference.verify(
            credential, documents=published(service, credential, issuer), checkStatus=True
        )
        assert verified["verified"] is True, verified

    # The database: no sealed secret, no master key, only the token's label.
    with service.database.reading() as session:
        rows = session.scalars(select(SigningKey)).all()
    assert len(rows) == 2 and all(r.store == "pkcs11" for r in rows)
    assert all(r.encrypted_secret is None and r.master_key_id is None for r in rows)
    assert all(r.store_ref and r.store_ref.startswith("skillcred-") for r in rows)

    # The token holds the keys as sensitive and not extractable: it refuses their value.
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    token = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token_label)
    with token.open(rw=True) as session:
        for row in rows:
            private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=row.store_ref)
            assert private[Attribute.SENSITIVE] is True
            assert private[Attribute.EXTRACTABLE] is False
            with pytest.raises(pkcs11.PKCS11Error):
                private[Attribute.VALUE]

    # A raw-bytes search of the SQLite file for any Ed25519 secret of these public keys,
    # in binary, hex, base64 and multibase form.
    if service.settings.is_sqlite:
        publics = {r.public_key_multibase for r in rows}
        database_file = Path(service.settings.effective_database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in database_file.parent.glob(database_file.name + "*"))
        assert raw
        found = secrets_for(raw, publics)
        assert found == [], found
        # The search finds a secret when there is one (the check can fail).
        planted = Ed25519KeyPair.generate()
        seeded = raw[:1000] + planted.seed() + raw[1000:]
        assert secrets_for(seeded, {planted.public.multibase}) == ["binary"]


def _public_of(seed: bytes) -> str:
    return Ed25519KeyPair.from_seed(seed, controller="", verification_method="").public.multibase


def secrets_for(raw: bytes, publics: set[str]) -> list[str]:
    """Forms in which a 32-byte seed whose public key is in ``publics`` appears in ``raw``.

    Every 32-byte window is tried, except windows that no random seed looks like (16 or
    more zero bytes, or all printable ASCII: chances below 1e-14), which spares the
    long zero runs of the status lists and the JSON text; text is searched for hex,
    base64 and base58btc encodings of a seed instead."""
    found: list[str] = []
    printable = set(range(0x20, 0x7F))
    for offset in range(len(raw) - 31):
        window = raw[offset : offset + 32]
        if window.count(0) >= 16 or all(b in printable for b in window):
            continue
        if _public_of(window) in publics:
            found.append("binary")
    text = raw.decode("latin-1")
    for run in re.findall(r"[0-9a-fA-F]{64,}", text):
        for start in range(len(run) - 63):
            if _public_of(bytes.fromhex(run[start : start + 64])) in publics:
                found.append("hex")
    for run in re.findall(r"[A-Za-z0-9+/_-]{43,}", text):
        for start in range(len(run) - 42):
            chunk = run[start : start + 43].replace("-", "+").replace("_", "/") + "="
            try:
                seed = base64.b64decode(chunk, validate=True)
            except ValueError:
                continue
            if len(seed) == 32 and _public_of(seed) in publics:
                found.append("base64")
    for run in re.findall(r"z[1-9A-HJ-NP-Za-km-z]{40,}", text):
        from skillcred.core.keys import multibase_base58btc_decode

        try:
            decoded = multibase_base58btc_decode(run, what="key")
        except Exception:
            continue
        if decoded.startswith(ED25519_SECRET_HEADER):
            seed = decoded[len(ED25519_SECRET_HEADER) : len(ED25519_SECRET_HEADER) + 32]
            if _public_of(seed) in publics:
                found.append("multibase")
    return found


def test_token_provider_signs_sd_jwt_vcs_with_a_p256_key_in_the_token(
    hsm_service: Service,
) -> None:
    """The provider's ES256 key is made in the token beside its Ed25519 one (no secret in
    the database); its SD-JWT VC twin and status list token verify."""
    from skillcred.storage.models import Es256Key
    from tests.integration.test_sd_jwt_vc import skill_credential, twin, verify
    from tests.integration.test_skills_api import DEFINITION, auth

    service = hsm_service
    created = service.client.post(
        "/admin/providers",
        json={"slug": "hsm-sd", "name": "HSM school", "keyStore": "pkcs11"},
        headers=service.admin(),
    )
    assert created.status_code == 201, created.text
    provider = created.json()
    assert (
        service.client.post("/skills", json=DEFINITION, headers=auth(provider)).status_code == 201
    )
    credential = skill_credential(service, provider)
    token = twin(service, provider, credential["id"])
    answer = verify(service, token).json()
    assert answer["verdict"] == "valid", answer
    with service.database.reading() as session:
        rows = session.scalars(select(Es256Key).where(Es256Key.provider_id.is_not(None))).all()
    assert len(rows) == 1 and rows[0].store == "pkcs11"
    assert rows[0].encrypted_secret is None and rows[0].master_key_id is None
