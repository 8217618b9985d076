"""Credentials and presentations signed here verify in Digital Bazaar's reference
implementation, and theirs verify here — both cryptosuites, credentials and presentations,
the W3C example credential and an Open Badges 3.0 skill credential."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, Verifier, sign_credential, sign_presentation
from tests.conftest import load_vector
from tests.support.reference import ReferenceImplementation

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
DATA = Path(__file__).resolve().parents[1] / "data"
ISSUER = Ed25519KeyPair.generate()
HOLDER = Ed25519KeyPair.generate()
PROOF_AND_DATES = {"validityPeriod"}  # status entries name lists that are not served here


def example_credential() -> dict[str, Any]:
    document: dict[str, Any] = load_vector("eddsa", "unsigned.json")
    document["issuer"] = ISSUER.controller
    document["credentialSubject"]["id"] = HOLDER.controller
    return document


def skill_credential() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / "skill-credential.json").read_text())
    document["issuer"]["id"] = ISSUER.controller
    document["credentialSubject"]["id"] = HOLDER.controller
    return document


CREDENTIALS = {"example": example_credential, "skill": skill_credential}


def key_file(key: Ed25519KeyPair) -> dict[str, str]:
    return key.to_key_file()


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("which", CREDENTIALS)
def test_signed_here_verifies_there(
    reference: ReferenceImplementation, suite: str, which: str
) -> None:
    signed = sign_credential(CREDENTIALS[which](), key=ISSUER, cryptosuite=suite)
    answer = reference.verify(signed, checkStatus="skip")
    assert answer["verified"] is True, answer

    tampered = copy.deepcopy(signed)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    assert reference.verify(tampered, checkStatus="skip")["verified"] is False


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("which", CREDENTIALS)
def test_signed_there_verifies_here(
    reference: ReferenceImplementation, suite: str, which: str
) -> None:
    signed = reference.sign(CREDENTIALS[which](), key_file(ISSUER), cryptosuite=suite)
    assert signed["proof"]["cryptosuite"] == suite
    result = Verifier().verify_credential(signed, checks=PROOF_AND_DATES)
    assert result.verified, result.to_json()

    signed["name"] = "Something else"
    assert not Verifier().verify_credential(signed, checks=PROOF_AND_DATES).verified


@pytest.mark.parametrize("suite", SUITES)
def test_presentations_both_ways(reference: ReferenceImplementation, suite: str) -> None:
    credential = sign_credential(example_credential(), key=ISSUER, cryptosuite=suite)
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [credential],
    }
    options = {"challenge": "a2f1c9", "domain": "employer.example"}

    ours = sign_presentation(presentation, key=HOLDER, cryptosuite=suite, **options)
    there = reference.verify(ours, **options)
    assert there["verified"] is True, there
    wrong = reference.verify(ours, challenge="other", domain="employer.example")
    assert wrong["verified"] is False

    theirs = reference.sign(
        presentation, key_file(HOLDER), cryptosuite=suite, purpose="authentication", **options
    )
    here = Verifier().verify_presentation(theirs, **options)
    assert here.verified, here.to_json()
    assert not Verifier().verify_presentation(theirs, challenge="other").verified


def test_w3c_vectors_verify_there(reference: ReferenceImplementation) -> None:
    # The reference implementation checks that the issuer is the key's controller; the
    # vectors' issuer is an https URL, so that one check is switched off.
    for path in (
        ("eddsa-rdfc-2022", "signedDataInt.json"),
        ("eddsa-jcs-2022", "signedJCS.json"),
        ("proof-set-chain", "signedProofSet2.json"),
    ):
        answer = reference.verify(load_vector("eddsa", *path), issuerMatch=False)
        assert answer["verified"] is True, (path, answer)
