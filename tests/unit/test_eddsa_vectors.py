"""Known answers: every intermediate value of the W3C EdDSA cryptosuite test vectors.

Data Integrity EdDSA Cryptosuites v1.0, TestVectors: canonical document, its hash, the
canonical proof configuration, its hash, the combined hash data, the signature in hex
and base58btc, and the signed credential — byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from skillcred import Verifier, load_key_file, sign_credential
from skillcred.core.cryptosuites import ED25519_SIGNATURE_2020, EDDSA_JCS_2022, EDDSA_RDFC_2022
from skillcred.core.cryptosuites.eddsa_jcs_2022 import jcs
from skillcred.core.dids.resolver import did_key_only
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.keys import multibase_base58btc_encode
from skillcred.core.proofs import ProofPurpose, ProofResult, verify_proofs
from tests.conftest import load_vector, read_vector

CREATED = "2023-02-24T23:36:38Z"

SUITES = {
    # folder, file suffix, suite, transformation
    "eddsa-rdfc-2022": ("eddsa-rdfc-2022", "DataInt", EDDSA_RDFC_2022),
    "eddsa-jcs-2022": ("eddsa-jcs-2022", "JCS", EDDSA_JCS_2022),
    "Ed25519Signature2020": ("Ed25519Signature2020", "EdSig", ED25519_SIGNATURE_2020),
}


def _transform(name: str, document: dict[str, Any]) -> str:
    if name == "eddsa-jcs-2022":
        return jcs(document).decode()
    return canonicalize(document, loader=default_loader())


def _unsigned(name: str) -> dict[str, Any]:
    document: dict[str, Any] = load_vector("eddsa", "unsigned.json")
    if name == "Ed25519Signature2020":
        # The legacy vector's document adds the ed25519-2020 context.
        document = {
            k: v for k, v in load_vector("eddsa", name, "signedEdSig.json").items() if k != "proof"
        }
    return document


def _hex(folder: str, stem: str, suffix: str) -> str:
    return read_vector("eddsa", folder, f"{stem}{suffix}.txt").strip()


@pytest.mark.parametrize("name", SUITES)
def test_canonical_document_and_hash(name: str) -> None:
    folder, suffix, _suite = SUITES[name]
    canonical = _transform(name, _unsigned(name))
    assert canonical == read_vector("eddsa", folder, f"canonDoc{suffix}.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _hex(folder, "docHash", suffix)


@pytest.mark.parametrize("name", SUITES)
def test_canonical_proof_configuration_and_hash(name: str) -> None:
    folder, suffix, suite = SUITES[name]
    expected_config = load_vector("eddsa", folder, f"proofConfig{suffix}.json")
    options = {k: v for k, v in expected_config.items() if k != "@context"}
    config = suite.proof_configuration(_unsigned(name), options)
    assert config == expected_config
    canonical = _transform(name, config)
    assert canonical == read_vector("eddsa", folder, f"proofCanon{suffix}.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _hex(folder, "proofHash", suffix)


@pytest.mark.parametrize("name", SUITES)
def test_combined_hash_and_signature(name: str) -> None:
    folder, suffix, suite = SUITES[name]
    document = _unsigned(name)
    config = load_vector("eddsa", folder, f"proofConfig{suffix}.json")
    hash_data = suite.hash_data(document, config, loader=default_loader())
    assert hash_data.hex() == _hex(folder, "combinedHash", suffix)
    key = load_key_file(read_vector("eddsa", "keyPair.json"))
    signature = key.sign(hash_data)  # Ed25519 is deterministic (RFC 8032)
    assert signature.hex() == _hex(folder, "sigHex", suffix)
    assert multibase_base58btc_encode(signature) == _hex(folder, "sigBTC58", suffix)


@pytest.mark.parametrize(
    ("name", "signed"),
    [("eddsa-rdfc-2022", "signedDataInt.json"), ("eddsa-jcs-2022", "signedJCS.json")],
)
def test_signing_the_unsigned_vector_gives_the_signed_vector(name: str, signed: str) -> None:
    key = load_key_file(read_vector("eddsa", "keyPair.json"))
    result = sign_credential(
        load_vector("eddsa", "unsigned.json"), key=key, cryptosuite=name, created=CREATED
    )
    assert result == load_vector("eddsa", name, signed)


def test_employment_vector_from_its_canonical_document() -> None:
    # Its citizenship v4rc1 context is not shipped, so start from the given canonical form.
    folder = "eddsa-rdfc-2022/employ"
    canonical = read_vector("eddsa", "eddsa-rdfc-2022", "employ", "canonDocDataInt.txt")
    proof_canonical = read_vector("eddsa", "eddsa-rdfc-2022", "employ", "proofCanonDataInt.txt")
    document_hash = hashlib.sha256(canonical.encode()).digest()
    proof_hash = hashlib.sha256(proof_canonical.encode()).digest()
    assert document_hash.hex() == _hex(folder, "docHash", "DataInt")
    assert (proof_hash + document_hash).hex() == _hex(folder, "combinedHash", "DataInt")
    key = load_key_file(read_vector("eddsa", "keyPair.json"))
    assert key.sign(proof_hash + document_hash).hex() == _hex(folder, "sigHex", "DataInt")
    signed = load_vector("eddsa", "eddsa-rdfc-2022", "employ", "signedDataInt.json")
    assert signed["proof"]["proofValue"] == _hex(folder, "sigBTC58", "DataInt")


SIGNED_VECTORS = [
    ("eddsa-rdfc-2022", "signedDataInt.json"),
    ("eddsa-jcs-2022", "signedJCS.json"),
    ("Ed25519Signature2020", "signedEdSig.json"),
    ("proof-set-chain", "signedProofSet1.json"),
    ("proof-set-chain", "signedProofSet2.json"),
    ("proof-set-chain", "signedProofChain1.json"),
    ("proof-set-chain", "signedProofChain2.json"),
]
#: the vectors' proofs, checked as signatures alone: their issuer is
#: https://vc.example/issuers/5678, which controls none of the keys (the reference too
#: verifies them only with its issuer check turned off)
ANY_SIGNER = ProofPurpose(relationships=("assertionMethod",), controller=None, role="issuer")


def proofs_of(document: dict[str, Any]) -> list[ProofResult]:
    return verify_proofs(
        document, purpose=ANY_SIGNER, resolver=did_key_only(), loader=default_loader()
    )


@pytest.mark.parametrize("path", SIGNED_VECTORS)
def test_every_signed_vector_proof_holds(path: tuple[str, str]) -> None:
    document = load_vector("eddsa", *path)
    results = proofs_of(document)
    expected_proofs = len(document["proof"]) if isinstance(document["proof"], list) else 1
    assert len(results) == expected_proofs
    assert all(proof.verified for proof in results), [p.to_json() for p in results]


@pytest.mark.parametrize("path", SIGNED_VECTORS)
def test_a_signed_vector_is_not_genuine_from_its_issuer(path: tuple[str, str]) -> None:
    """The signature holds, but the issuer named does not control the key that made it:
    nothing shows the issuer vouches for the credential."""
    result = Verifier().verify_credential(load_vector("eddsa", *path))
    assert not result.verified
    assert result.verdict == "not-genuine"
    assert {p.code for p in result.errors} == {"ISSUER_MISMATCH"}


def test_the_vector_verifies_when_its_issuer_signs_it() -> None:
    key = load_key_file(read_vector("eddsa", "keyPair.json"))
    document = {**load_vector("eddsa", "unsigned.json"), "issuer": key.controller}
    result = Verifier().verify_credential(sign_credential(document, key=key, created=CREATED))
    assert result.verified, result.to_json()
    assert result.verdict == "valid"


def test_proof_chain_needs_the_proofs_it_names() -> None:
    document = load_vector("eddsa", "proof-set-chain", "signedProofChain2.json")
    # Drop the proof the last one chains to: the chain no longer verifies.
    document["proof"] = [
        p
        for p in document["proof"]
        if p.get("id") != ("urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23")
    ]
    results = proofs_of(document)
    assert not all(p.verified for p in results)
    assert any(
        "is not among the document's proofs" in problem.detail
        for p in results
        for problem in p.problems
    )


def test_a_chained_proof_finds_the_proof_it_names_past_a_malformed_one() -> None:
    """previousProof is looked up by id: a non-object entry earlier in the proof array
    must not shift which proof the chain is checked against."""
    document = load_vector("eddsa", "proof-set-chain", "signedProofChain2.json")
    document["proof"] = ["not a proof", *document["proof"]]
    results = proofs_of(document)
    assert not results[0].verified  # the malformed entry itself fails
    assert all(proof.verified for proof in results[1:])


def test_proof_set_construction_matches_the_vector() -> None:
    keys = load_vector("eddsa", "proof-set-chain", "multiKeyPairs.json")
    expected = load_vector("eddsa", "proof-set-chain", "signedProofSet2.json")
    from skillcred import add_proof

    document = load_vector("eddsa", "proof-set-chain", "unsigned.json")
    for proof, pair in zip(expected["proof"], ("keyPair1", "keyPair2"), strict=True):
        key = load_key_file(__import__("json").dumps(keys[pair]))
        document = add_proof(
            document,
            signer=key,
            created=proof["created"],
            proof_id=proof.get("id"),
            loader=default_loader(),
        )
    assert document == expected


def test_proof_chain_construction_matches_the_vector() -> None:
    import json

    from skillcred import add_proof

    keys = load_vector("eddsa", "proof-set-chain", "multiKeyPairs.json")
    expected = load_vector("eddsa", "proof-set-chain", "signedProofChain2.json")
    document = load_vector("eddsa", "proof-set-chain", "unsigned.json")
    for proof, pair in zip(expected["proof"], keys, strict=True):
        document = add_proof(
            document,
            signer=load_key_file(json.dumps(keys[pair])),
            created=proof["created"],
            proof_id=proof.get("id"),
            previous_proof=proof.get("previousProof"),
            loader=default_loader(),
        )
    assert document == expected
