"""Multikey encoding, key files and did:key resolution."""

from __future__ import annotations

import pytest

from skillcred.core.dids.key import did_document_json, resolve_did_key
from skillcred.core.dids.resolver import (
    dereference_verification_method,
    did_key_only,
)
from skillcred.core.keys import Ed25519KeyPair, Ed25519PublicMultikey, load_key_file
from skillcred.errors import DidResolutionError, KeyFormatError, VerificationMethodError
from tests.conftest import load_vector, read_vector

VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_vector_key_file_gives_its_public_key_and_did_key() -> None:
    key = load_key_file(read_vector("eddsa", "keyPair.json"))
    assert key.public.multibase == VECTOR_PUBLIC
    assert key.controller == f"did:key:{VECTOR_PUBLIC}"
    assert key.verification_method == f"did:key:{VECTOR_PUBLIC}#{VECTOR_PUBLIC}"
    # The vectors' privateKeyMultibase is the secret Multikey (0x8026 header).
    assert key.secret_multibase() == load_vector("eddsa", "keyPair.json")["privateKeyMultibase"]


def test_every_proof_set_key_pair_round_trips() -> None:
    for pair in load_vector("eddsa", "proof-set-chain", "multiKeyPairs.json").values():
        key = Ed25519KeyPair.from_secret_multibase(pair["privateKeyMultibase"])
        assert key.public.multibase == pair["publicKeyMultibase"]


def test_generated_key_file_round_trips() -> None:
    key = Ed25519KeyPair.generate()
    again = Ed25519KeyPair.from_key_file(key.to_key_file())
    assert again.public.multibase == key.public.multibase
    assert again.verification_method == key.verification_method
    assert key.public.multibase.startswith("z6Mk")
    assert "secret" not in repr(key).lower() and key.secret_multibase() not in repr(key)


def test_public_key_file_without_secret_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="no secretKeyMultibase"):
        Ed25519KeyPair.from_key_file({"publicKeyMultibase": VECTOR_PUBLIC})


def test_mismatched_public_key_in_key_file_is_refused() -> None:
    data = load_vector("eddsa", "keyPair.json")
    data["publicKeyMultibase"] = load_vector("eddsa", "proof-set-chain", "multiKeyPairs.json")[
        "keyPair1"
    ]["publicKeyMultibase"]
    with pytest.raises(KeyFormatError, match="does not belong"):
        Ed25519KeyPair.from_key_file(data)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("u6MkrJVnaZ", "starting with 'z'"),
        ("z0OIl", "not valid base58btc"),
        ("zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76", "not an Ed25519 Multikey"),
        ("z" + "1" * 10, "not an Ed25519 Multikey"),
    ],
)
def test_malformed_public_multikeys_are_refused(value: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        Ed25519PublicMultikey.from_multibase(value)


def test_secret_key_with_public_header_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="0x8026"):
        Ed25519KeyPair.from_secret_multibase(VECTOR_PUBLIC)


def test_did_key_document_has_a_multikey_for_every_relationship() -> None:
    did = f"did:key:{VECTOR_PUBLIC}"
    document = did_document_json(resolve_did_key(did))
    vm_id = f"{did}#{VECTOR_PUBLIC}"
    assert document["id"] == did
    assert document["verificationMethod"] == [
        {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": VECTOR_PUBLIC}
    ]
    for relationship in ("authentication", "assertionMethod", "capabilityDelegation"):
        assert document[relationship] == [vm_id]
    key, method = dereference_verification_method(
        vm_id, resolver=did_key_only(), relationship="assertionMethod"
    )
    assert key.multibase == VECTOR_PUBLIC and method["type"] == "Multikey"


@pytest.mark.parametrize(
    "did",
    [
        "did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76",  # P-256: unsupported
        "did:key:z6MkNOTBASE58!",
        "did:key:",
    ],
)
def test_unusable_did_keys_fail_resolution(did: str) -> None:
    with pytest.raises(DidResolutionError):
        resolve_did_key(did)


def test_verification_method_with_another_fragment_is_not_found() -> None:
    with pytest.raises(VerificationMethodError, match="not in the DID document"):
        dereference_verification_method(
            f"did:key:{VECTOR_PUBLIC}#other",
            resolver=did_key_only(),
            relationship="assertionMethod",
        )


def test_unsupported_did_method_is_refused() -> None:
    with pytest.raises(DidResolutionError, match="did:example"):
        dereference_verification_method(
            "did:example:123#key-1", resolver=did_key_only(), relationship="assertionMethod"
        )
