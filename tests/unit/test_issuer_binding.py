"""Issue 9: a proof counts only when the issuer (for a presentation, the holder) controls
the key that made it; what we could not check is *cannot check*, never *not genuine* and
never *valid*; the library fails closed (unknown check names, deep nesting).

Regression cases are named after the forgery or fail-open case they cover.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, Verifier, add_proof, sign_credential, sign_presentation
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.verifying import MAX_DEPTH, TrustAnswer
from skillcred.errors import RequestError
from tests.conftest import load_vector

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = Ed25519KeyPair.generate()
HOLDER = Ed25519KeyPair.generate()
FORGER = Ed25519KeyPair.generate()
WITNESS = Ed25519KeyPair.generate()


class KnownIssuers:
    """A trust list naming ISSUER, as a registered provider would be."""

    def lookup(self, issuer: str) -> TrustAnswer:
        if issuer == ISSUER.controller:
            return TrustAnswer(True, "Lasschool Twente", "trust list")
        return TrustAnswer(False)


def verifier() -> Verifier:
    return Verifier(clock=lambda: NOW, trust=KnownIssuers())


def credential(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = load_vector("eddsa", "unsigned.json")
    document["issuer"] = {"id": ISSUER.controller, "name": "Lasschool Twente"}
    document["credentialSubject"]["id"] = HOLDER.controller
    document.update(changes)
    return document


def codes(problems: list[Any]) -> set[str]:
    return {p.code for p in problems}


# --- forgeries ---------------------------------------------------------------------------


def test_forgery_wrong_key_naming_a_trusted_issuer_is_not_genuine() -> None:
    """The hole: any key could sign a credential naming a known issuer, and it was
    'valid' and 'trusted'."""
    forged = sign_credential(credential(), key=FORGER)
    result = verifier().verify_credential(forged)
    assert not result.verified
    assert result.verdict == "not-genuine"
    assert codes(result.errors) == {"ISSUER_MISMATCH"}
    assert FORGER.controller in result.errors[0].detail
    # Never "trusted" for a proof the issuer did not make.
    trust = result.find_check("issuerTrust")
    assert trust is not None and trust.outcome == "skipped"
    assert "trusted" not in trust.details


def test_the_issuers_own_key_is_valid_and_trusted() -> None:
    result = verifier().verify_credential(sign_credential(credential(), key=ISSUER))
    assert result.verified and result.verdict == "valid"
    trust = result.find_check("issuerTrust")
    assert trust is not None and trust.details["trusted"] is True


def test_forgery_proof_set_with_an_unrelated_key() -> None:
    genuine = sign_credential(credential(), key=ISSUER)
    with_extra = add_proof(genuine, signer=FORGER, loader=default_loader())
    result = verifier().verify_credential(with_extra)
    assert [p.verified for p in result.proofs] == [True, False]
    assert codes(result.proofs[1].problems) == {"ISSUER_MISMATCH"}
    assert result.verdict == "not-genuine" and not result.verified


def test_forgery_proof_set_of_two_unrelated_keys() -> None:
    forged = add_proof(
        sign_credential(credential(), key=FORGER), signer=WITNESS, loader=default_loader()
    )
    result = verifier().verify_credential(forged)
    assert all(codes(p.problems) == {"ISSUER_MISMATCH"} for p in result.proofs)
    assert result.verdict == "not-genuine"


def test_a_chain_where_the_issuer_signs_over_a_witness_proof_is_valid() -> None:
    """Data Integrity §4.5: the issuer's proof chains over the witness's — the issuer
    signed the document with it, so it vouches for it (the W3C eddsa suite's case)."""
    witnessed = add_proof(
        credential(), signer=WITNESS, proof_id="urn:uuid:witness", loader=default_loader()
    )
    chained = add_proof(
        witnessed, signer=ISSUER, previous_proof="urn:uuid:witness", loader=default_loader()
    )
    result = verifier().verify_credential(chained)
    assert result.verified, result.to_json()
    assert result.verdict == "valid"


def test_forgery_a_witness_proof_over_the_issuers_is_not_vouched_for() -> None:
    signed = add_proof(
        credential(), signer=ISSUER, proof_id="urn:uuid:issuer", loader=default_loader()
    )
    endorsed = add_proof(
        signed, signer=WITNESS, previous_proof="urn:uuid:issuer", loader=default_loader()
    )
    result = verifier().verify_credential(endorsed)
    assert result.verdict == "not-genuine"
    assert codes(result.proofs[1].problems) == {"ISSUER_MISMATCH"}


def test_forgery_a_chain_whose_issuer_proof_fails_vouches_for_nothing() -> None:
    witnessed = add_proof(
        credential(), signer=WITNESS, proof_id="urn:uuid:witness", loader=default_loader()
    )
    chained = add_proof(
        witnessed, signer=ISSUER, previous_proof="urn:uuid:witness", loader=default_loader()
    )
    chained["credentialSubject"]["alumniOf"] = "Forged University"
    result = verifier().verify_credential(chained)
    assert result.verdict == "not-genuine"
    assert not any(p.verified for p in result.proofs)


def test_forgery_presentation_signed_by_someone_else_than_its_holder() -> None:
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [sign_credential(credential(), key=ISSUER)],
    }
    forged = sign_presentation(vp, key=FORGER, challenge="c-1", domain="employer.example")
    result = verifier().verify_presentation(forged, challenge="c-1", domain="employer.example")
    assert not result.verified
    assert result.verdict == "not-genuine"
    assert codes(result.errors) == {"HOLDER_MISMATCH"}


# --- cannot check ------------------------------------------------------------------------


def test_an_unknown_context_is_cannot_check_not_a_forgery() -> None:
    document = sign_credential(credential(), key=ISSUER)
    document["@context"] = [*document["@context"], "https://contexts.example/unknown/v1"]
    result = verifier().verify_credential(document)
    assert result.verdict == "cannot-check"
    assert not result.verified
    assert result.to_json()["notChecked"] == [{"check": "proof", "reason": result.errors[0].detail}]
    assert codes(result.errors) == {"UNKNOWN_CONTEXT"}


def test_an_unsupported_cryptosuite_is_cannot_check() -> None:
    document = sign_credential(credential(), key=ISSUER)
    document["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    result = verifier().verify_credential(document)
    assert result.verdict == "cannot-check"
    assert codes(result.errors) == {"UNSUPPORTED_CRYPTOSUITE"}
    assert "ecdsa-rdfc-2019" in result.errors[0].detail


def test_an_unresolvable_did_method_is_cannot_check() -> None:
    did = "did:example:issuer"
    key = Ed25519KeyPair.from_seed(
        ISSUER.seed(), controller=did, verification_method=f"{did}#key-1"
    )
    result = verifier().verify_credential(sign_credential(credential(issuer=did), key=key))
    assert result.verdict == "cannot-check"
    assert codes(result.errors) == {"DID_NOT_RESOLVED"}


def test_a_status_entry_offline_is_cannot_check_never_valid() -> None:
    status = {
        "id": "https://status.example/lists/1#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://status.example/lists/1",
    }
    result = verifier().verify_credential(
        sign_credential(credential(credentialStatus=status), key=ISSUER)
    )
    assert result.verdict == "cannot-check"
    assert result.to_json()["notChecked"][0]["check"] == "status"


def test_cannot_check_gives_way_to_a_definite_failure() -> None:
    """A tampered credential with an unknown cryptosuite on a second proof is not genuine."""
    genuine = sign_credential(credential(), key=ISSUER)
    other = add_proof(genuine, signer=ISSUER, loader=default_loader())
    other["proof"][1]["cryptosuite"] = "ecdsa-rdfc-2019"
    other["credentialSubject"]["alumniOf"] = "Forged University"
    assert verifier().verify_credential(other).verdict == "not-genuine"


# --- fail closed in the library ----------------------------------------------------------


def test_fail_open_unknown_check_name_is_refused() -> None:
    with pytest.raises(RequestError, match="unknown check 'expirationDate'"):
        verifier().verify_credential(
            sign_credential(credential(), key=ISSUER), checks={"expirationDate"}
        )


def test_fail_open_the_vc_api_alias_expiration_checks_expiry() -> None:
    """It was skipped and counted as a pass: an expired credential came back verified."""
    expired = sign_credential(credential(validUntil="2026-01-01T00:00:00Z"), key=ISSUER)
    result = verifier().verify_credential(expired, checks={"expiration"})
    assert not result.verified
    assert result.verdict == "expired"


def test_a_check_left_out_keeps_the_verdict_from_valid() -> None:
    expired = sign_credential(credential(validUntil="2026-01-01T00:00:00Z"), key=ISSUER)
    result = verifier().verify_credential(expired, checks={"proof"})
    # The caller asked for the proof only, and it holds (VC-API semantics) ...
    assert result.verified
    # ... but the verdict does not claim what was not checked.
    assert result.verdict == "cannot-check"
    assert result.to_json()["notChecked"] == [
        {"check": "validityPeriod", "reason": "not requested"}
    ]


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": [value]}
    return value


@pytest.mark.parametrize("depth", [MAX_DEPTH, 1_000, 100_000])
def test_fail_open_deep_nesting_is_unusable_input_not_an_exception(depth: int) -> None:
    document = credential()
    document["credentialSubject"]["nested"] = nested(depth)
    result = verifier().verify_credential(document)
    assert not result.verified
    assert result.verdict == "invalid"
    assert codes(result.errors) == {"LIMIT_EXCEEDED"}
    json.dumps(result.to_json())
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [document],
    }
    assert verifier().verify_presentation(presentation).verdict == "invalid"


# --- presentations: holder binding ------------------------------------------------------


def passport(**proof_options: Any) -> dict[str, Any]:
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [sign_credential(credential(), key=ISSUER)],
    }
    return add_proof(vp, signer=HOLDER, loader=default_loader(), **proof_options)


def test_a_presentation_signed_for_assertion_method_verifies_unbound_to_the_request() -> None:
    """As DCC's tools sign presentations: no challenge, purpose assertionMethod."""
    result = verifier().verify_presentation(passport(proof_purpose="assertionMethod"))
    assert result.verified, result.to_json()
    assert result.verdict == "valid"
    binding = result.find_check("holderBinding")
    assert binding is not None and binding.outcome == "not-performed"
    assert binding.details == {"bound": True, "holder": HOLDER.controller, "forThisRequest": False}
    assert codes(result.warnings) == {"HOLDER_BINDING_NOT_PROVEN"}
    assert "assertionMethod" in result.warnings[0].detail


def test_fail_open_an_authentication_proof_without_a_challenge_is_not_bound() -> None:
    """It reported holder binding 'passed' with no warning; the reference requires one."""
    result = verifier().verify_presentation(passport(proof_purpose="authentication"))
    assert result.verified
    binding = result.find_check("holderBinding")
    assert binding is not None and binding.outcome == "not-performed"
    assert codes(result.warnings) == {"HOLDER_BINDING_NOT_PROVEN"}


def test_a_presentation_answering_the_challenge_is_bound_for_this_request() -> None:
    signed = passport(proof_purpose="authentication", challenge="n-42", domain="employer.example")
    result = verifier().verify_presentation(signed, challenge="n-42", domain="employer.example")
    assert result.verified
    binding = result.find_check("holderBinding")
    assert binding is not None and binding.outcome == "passed"
    assert binding.details["forThisRequest"] is True
    assert result.warnings == []


def test_an_assertion_method_proof_fails_a_request_that_asks_a_challenge() -> None:
    result = verifier().verify_presentation(
        passport(proof_purpose="assertionMethod"), challenge="n-42"
    )
    assert not result.verified
    assert codes(result.errors) == {"INVALID_CHALLENGE_ERROR"}
    assert result.verdict == "not-genuine"


def test_a_passport_verdict_is_its_worst_credential() -> None:
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [
            sign_credential(credential(), key=ISSUER),
            sign_credential(credential(validUntil="2026-01-01T00:00:00Z"), key=ISSUER),
        ],
    }
    signed = sign_presentation(vp, key=HOLDER, challenge="c", domain="d")
    result = verifier().verify_presentation(signed, challenge="c", domain="d")
    assert [c.verdict for c in result.credentials] == ["valid", "expired"]
    assert result.verdict == "expired"
    assert result.to_json()["verdictReason"].startswith("verifiableCredential[1]")


# --- reading the credentials that exist --------------------------------------------------


def test_a_key_named_by_an_https_url_is_cannot_check() -> None:
    """1EdTech's examples name keys by https URLs whose controller documents we do not
    resolve: unknown, not forged."""
    issuer = "https://issuer.example/issuers/565049"
    key = Ed25519KeyPair.from_seed(
        ISSUER.seed(), controller=issuer, verification_method=f"{issuer}#key-1"
    )
    result = verifier().verify_credential(sign_credential(credential(issuer=issuer), key=key))
    assert result.verdict == "cannot-check"
    assert codes(result.errors) == {"DID_NOT_RESOLVED"}


def test_an_https_issuer_signed_with_another_key_is_not_genuine() -> None:
    forged = sign_credential(credential(issuer="https://issuer.example/issuers/1"), key=FORGER)
    assert codes(verifier().verify_credential(forged).errors) == {"ISSUER_MISMATCH"}


def test_a_document_jsonld_cannot_read_is_invalid_not_forged() -> None:
    document = sign_credential(credential(), key=ISSUER, cryptosuite="eddsa-jcs-2022")
    document["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    document["credentialSubject"]["undefinedTerm"] = "x"  # the examples context has @vocab
    document["@context"] = [document["@context"][0]]
    result = verifier().verify_credential(document)
    assert result.verdict == "invalid"
    assert codes(result.errors) == {"PROOF_TRANSFORMATION_ERROR"}


def test_a_malformed_status_entry_leaves_the_status_unknown() -> None:
    """BSL §2.1 wants statusListIndex as a string; 1EdTech's examples write a number. The
    status is then not known (cannot check), the credential itself still readable."""
    status = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": 23,
        "statusListCredential": "https://status.example/lists/1",
    }
    document = {**credential(), "credentialStatus": status}
    signed = add_proof(document, signer=ISSUER, loader=default_loader())
    result = verifier().verify_credential(signed)
    assert result.verdict == "cannot-check"
    assert result.find_check("dataModel").outcome == "passed"  # type: ignore[union-attr]


def test_vc_1_1_dates_in_a_vc_2_0_credential() -> None:
    """issuanceDate limits nothing and is passed over; expirationDate, which VC 2.0 does
    not read, is refused rather than ignored (the issuer meant it to expire)."""
    context = [*credential()["@context"]]
    with_issuance = add_proof(
        {**credential(), "@context": context, "issuanceDate": "2020-01-01T00:00:00Z"},
        signer=ISSUER,
        loader=default_loader(),
    )
    assert verifier().verify_credential(with_issuance).verdict == "valid"
    with_expiry = add_proof(
        {**credential(), "expirationDate": "2021-01-01T00:00:00Z"},
        signer=ISSUER,
        loader=default_loader(),
    )
    result = verifier().verify_credential(with_expiry)
    assert result.verdict == "invalid"
    assert "expirationDate" in result.errors[0].detail
