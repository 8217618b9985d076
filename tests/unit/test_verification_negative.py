"""Every way a credential or presentation can be wrong gives a named failure.

Each case starts from a document that verifies and changes one thing.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, Verifier, sign_credential, sign_presentation
from skillcred.core.verifying import VerificationResult
from tests.conftest import load_vector

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = Ed25519KeyPair.generate()
HOLDER = Ed25519KeyPair.generate()
OTHER = Ed25519KeyPair.generate()
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")


def verifier() -> Verifier:
    return Verifier(clock=lambda: NOW)


def credential(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = load_vector("eddsa", "unsigned.json")
    document["issuer"] = ISSUER.controller
    document["credentialSubject"]["id"] = HOLDER.controller
    document.update(changes)
    return document


def signed(suite: str, **changes: Any) -> dict[str, Any]:
    return sign_credential(credential(**changes), key=ISSUER, cryptosuite=suite)


def codes(result: VerificationResult) -> set[str]:
    return {problem.code for problem in result.errors}


def failed_checks(result: VerificationResult) -> set[str]:
    return {
        c.check
        for c in result.checks
        if c.outcome in ("failed", "not-performed") and c.check != "issuerTrust"
    }


@pytest.mark.parametrize("suite", SUITES)
def test_baseline_verifies(suite: str) -> None:
    result = verifier().verify_credential(signed(suite))
    assert result.verified, result.to_json()
    assert result.find_check("proof").outcome == "passed"  # type: ignore[union-attr]


def _alter_claim(d: dict[str, Any]) -> None:
    d["credentialSubject"]["alumniOf"] = "Another School"


def _alter_created(d: dict[str, Any]) -> None:
    d["proof"]["created"] = "2020-01-01T00:00:00Z"


def _alter_issuer(d: dict[str, Any]) -> None:
    d["name"] = d["name"] + " "


TAMPERING: dict[str, Callable[[dict[str, Any]], None]] = {
    "altered claim": _alter_claim,
    "altered proof option": _alter_created,
    "altered name": _alter_issuer,
}


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("change", TAMPERING)
def test_tampering_breaks_the_signature(suite: str, change: str) -> None:
    document = signed(suite)
    TAMPERING[change](document)
    result = verifier().verify_credential(document)
    assert not result.verified
    assert failed_checks(result) == {"proof"}
    assert codes(result) == {"PROOF_VERIFICATION_ERROR"}
    assert "signature does not match" in result.errors[0].detail


@pytest.mark.parametrize("suite", SUITES)
def test_wrong_key(suite: str) -> None:
    document = signed(suite)
    # Claim another key signed it: that key is not the issuer's.
    document["proof"]["verificationMethod"] = OTHER.verification_method
    result = verifier().verify_credential(document)
    assert not result.verified
    assert codes(result) == {"ISSUER_MISMATCH"}
    assert result.verdict == "not-genuine"


@pytest.mark.parametrize("suite", SUITES)
def test_wrong_key_of_the_issuer(suite: str) -> None:
    document = signed(suite)
    # The issuer's own key, but the signature was made by another: it does not match.
    forged = sign_credential(credential(), key=OTHER, cryptosuite=suite)
    document["proof"]["proofValue"] = forged["proof"]["proofValue"]
    result = verifier().verify_credential(document)
    assert not result.verified
    assert codes(result) == {"PROOF_VERIFICATION_ERROR"}
    assert result.verdict == "not-genuine"


@pytest.mark.parametrize("suite", SUITES)
def test_wrong_purpose(suite: str) -> None:
    from skillcred import add_proof
    from skillcred.core.jsonld.loader import default_loader

    document = add_proof(
        credential(),
        signer=ISSUER,
        cryptosuite=suite,
        proof_purpose="authentication",
        loader=default_loader(),
    )
    result = verifier().verify_credential(document)
    assert not result.verified
    assert codes(result) == {"MISMATCHED_PROOF_PURPOSE_ERROR"}


@pytest.mark.parametrize("suite", SUITES)
def test_unknown_cryptosuite(suite: str) -> None:
    document = signed(suite)
    document["proof"]["cryptosuite"] = "eddsa-2099"
    result = verifier().verify_credential(document)
    assert not result.verified
    assert result.errors[0].code == "UNSUPPORTED_CRYPTOSUITE"
    assert "eddsa-2099" in result.errors[0].detail
    # We cannot tell: never "not genuine", never "valid".
    assert result.verdict == "cannot-check"


@pytest.mark.parametrize(
    ("proof_value", "message"),
    [
        ("uAAAA", "starting with 'z'"),
        ("z0OIl", "not valid base58btc"),
        ("z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk", "an Ed25519 signature has 64"),
        (12345, "proof.proofValue is missing or not a string"),
    ],
)
def test_malformed_proof_value(proof_value: Any, message: str) -> None:
    document = signed("eddsa-rdfc-2022")
    document["proof"]["proofValue"] = proof_value
    result = verifier().verify_credential(document)
    assert not result.verified
    assert codes(result) == {"MALFORMED_PROOF_ERROR"}
    assert message in result.errors[0].detail


@pytest.mark.parametrize(
    ("created", "message"),
    [
        ("2023-02-24 23:36:38Z", "space, not 'T'"),
        ("2023-02-24T23:36:38", "no time zone"),
        ("2023-02-30T23:36:38Z", "not a valid date"),
        ("yesterday", "not an XML Schema dateTimeStamp"),
    ],
)
def test_bad_created(created: str, message: str) -> None:
    document = signed("eddsa-rdfc-2022")
    document["proof"]["created"] = created
    result = verifier().verify_credential(document)
    assert not result.verified
    assert codes(result) == {"MALFORMED_PROOF_ERROR"}
    assert message in result.errors[0].detail


def test_bad_created_is_refused_when_signing() -> None:
    from skillcred.errors import ProofGenerationError

    with pytest.raises(ProofGenerationError, match="space, not 'T'"):
        sign_credential(credential(), key=ISSUER, created="2023-02-24 23:36:38Z")


def test_missing_proof() -> None:
    result = verifier().verify_credential(credential())
    assert not result.verified
    assert result.errors[0].title == "No proof"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_unknown_remote_context_fails_without_network(no_network: list[object]) -> None:
    document = signed("eddsa-rdfc-2022")
    document["@context"].append("https://evil.example/context.jsonld")
    result = verifier().verify_credential(document)
    assert not result.verified
    assert codes(result) == {"UNKNOWN_CONTEXT"}
    assert "https://evil.example/context.jsonld" in result.errors[0].detail
    # A context we lack is no evidence of forgery.
    assert result.verdict == "cannot-check"
    assert result.to_json()["notChecked"][0]["check"] == "proof"
    assert no_network == []


def test_unknown_remote_context_is_refused_when_signing(no_network: list[object]) -> None:
    from skillcred.errors import DocumentLoaderError

    document = credential()
    document["@context"] = [*document["@context"], "https://evil.example/context.jsonld"]
    with pytest.raises(DocumentLoaderError, match="not one of the contexts"):
        sign_credential(document, key=ISSUER)
    assert no_network == []


@pytest.mark.parametrize("suite", SUITES)
def test_expired(suite: str) -> None:
    document = signed(suite, validUntil="2026-01-01T00:00:00Z")
    result = verifier().verify_credential(document)
    assert not result.verified
    assert failed_checks(result) == {"validityPeriod"}
    assert result.errors[0].title == "Expired"
    assert result.find_check("proof").outcome == "passed"  # type: ignore[union-attr]


@pytest.mark.parametrize("suite", SUITES)
def test_not_yet_valid(suite: str) -> None:
    document = signed(suite, validFrom="2027-01-01T00:00:00Z")
    result = verifier().verify_credential(document)
    assert not result.verified
    assert failed_checks(result) == {"validityPeriod"}
    assert result.errors[0].title == "Not yet valid"


def test_status_entry_fails_closed_when_no_status_list_is_consulted() -> None:
    document = signed(
        "eddsa-rdfc-2022",
        credentialStatus={
            "id": "https://example.com/status/3#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://example.com/status/3",
        },
    )
    result = verifier().verify_credential(document)
    assert not result.verified
    assert result.find_check("status").outcome == "not-performed"  # type: ignore[union-attr]
    assert result.find_check("proof").outcome == "passed"  # type: ignore[union-attr]


# --- presentations -------------------------------------------------------------------


def presentation(
    suite: str, *, challenge: str | None = "c-123", domain: str | None = "example.org"
):
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [signed(suite)],
    }
    return sign_presentation(vp, key=HOLDER, cryptosuite=suite, challenge=challenge, domain=domain)


@pytest.mark.parametrize("suite", SUITES)
def test_presentation_verifies_with_its_challenge_and_domain(suite: str) -> None:
    result = verifier().verify_presentation(
        presentation(suite), challenge="c-123", domain="example.org"
    )
    assert result.verified, result.to_json()
    assert result.credentials[0].verified
    assert result.credentials[0].summary["subjectIsHolder"] is True


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("signed_with", "expected", "code", "message"),
    [
        (
            {"challenge": "c-123"},
            {"challenge": "c-999"},
            "INVALID_CHALLENGE_ERROR",
            "does not match",
        ),
        (
            {"challenge": None},
            {"challenge": "c-123"},
            "INVALID_CHALLENGE_ERROR",
            "has no challenge",
        ),
        (
            {"domain": "example.org"},
            {"domain": "evil.example"},
            "INVALID_DOMAIN_ERROR",
            "does not match",
        ),
        ({"domain": None}, {"domain": "example.org"}, "INVALID_DOMAIN_ERROR", "has no domain"),
    ],
)
def test_presentation_challenge_and_domain(
    suite: str, signed_with: dict[str, Any], expected: dict[str, Any], code: str, message: str
) -> None:
    options = {"challenge": "c-123", "domain": "example.org"}
    vp = presentation(suite, **{**options, **signed_with})
    result = verifier().verify_presentation(vp, **{**options, **expected})
    assert not result.verified
    assert code in codes(result)
    assert any(message in p.detail for p in result.errors)


def test_presentation_signed_by_someone_else_than_the_holder() -> None:
    vp = presentation("eddsa-rdfc-2022")
    unsigned = {k: v for k, v in vp.items() if k != "proof"}
    forged = sign_presentation(unsigned, key=OTHER, challenge="c-123", domain="example.org")
    result = verifier().verify_presentation(forged, challenge="c-123", domain="example.org")
    assert not result.verified
    assert {p.code for p in result.errors} == {"HOLDER_MISMATCH"}
    assert result.verdict == "not-genuine"


def test_presentation_with_a_tampered_credential() -> None:
    vp = presentation("eddsa-rdfc-2022")
    tampered = copy.deepcopy(vp)
    # The holder signed the tampered credential, but the issuer's proof no longer matches.
    inner = tampered["verifiableCredential"][0]
    inner["credentialSubject"]["alumniOf"] = "Forged School"
    unsigned = {k: v for k, v in tampered.items() if k != "proof"}
    resigned = sign_presentation(unsigned, key=HOLDER, challenge="c-123", domain="example.org")
    result = verifier().verify_presentation(resigned, challenge="c-123", domain="example.org")
    assert not result.verified
    assert not result.credentials[0].verified
    assert result.find_check("holderProof").outcome == "passed"  # type: ignore[union-attr]
    assert result.find_check("credentials").outcome == "failed"  # type: ignore[union-attr]


def test_unsigned_presentation_only_when_allowed() -> None:
    vp = {k: v for k, v in presentation("eddsa-rdfc-2022").items() if k != "proof"}
    refused = verifier().verify_presentation(vp)
    assert not refused.verified
    assert refused.errors[0].title == "No holder proof"
    allowed = verifier().verify_presentation(vp, unsigned_allowed=True)
    assert allowed.verified
    assert allowed.find_check("holderBinding").details["bound"] is False  # type: ignore[union-attr]
