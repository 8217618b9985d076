"""The SD-JWT VC harness (interop/sdjwt.mjs) around the OpenWallet Foundation's TypeScript
libraries, checked on its own and against the OWF labs Python ``sd-jwt`` library.

These tests hold the harness to what the issue-16 interop tests need from it: their issuer,
holder and verifier agree with each other, their verifier refuses what it must (wrong nonce or
audience, a tampered or foreign disclosure, a wrong key, an expired token, a revoked or
suspended index, an x5c chain to an untrusted root), and a second, independent SD-JWT
implementation reads their tokens and writes tokens they read.
"""

from __future__ import annotations

import base64
import datetime
import json
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from tests.support.sdjwt_reference import Jwk, SdJwtReference

INTEROP = Path(__file__).resolve().parents[2] / "interop"
ISS = "https://issuer.example/providers/acme"
VCT = "https://issuer.example/vct/skill"
STATUS_URI = "https://issuer.example/status/acme/1"
AUD = "https://employer.example"
NONCE = "n-0S6_WzA2Mj"

CLAIMS = {
    "skill": "Welding (MIG/MAG)",
    "level": "proficient",
    "eqf_level": 4,
    "given_name": "Ann",
    "family_name": "de Vries",
    "birthdate": "1990-04-01",
}
# The library's disclosure frame: personal data selectively disclosable, decoys added.
FRAME: dict[str, Any] = {"_sd": ["given_name", "family_name", "birthdate"], "_sd_decoy": 3}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_pair(key: ec.EllipticCurvePrivateKey) -> tuple[Jwk, Jwk]:
    """(private, public) JWKs of a P-256 key."""
    numbers = key.private_numbers()
    public = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.public_numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.public_numbers.y.to_bytes(32, "big")),
    }
    return {**public, "d": b64url(numbers.private_value.to_bytes(32, "big"))}, public


def new_key() -> tuple[ec.EllipticCurvePrivateKey, Jwk, Jwk]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = jwk_pair(key)
    return key, private, public


def certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def jwt_part(token: str, index: int) -> dict[str, Any]:
    part: dict[str, Any] = json.loads(b64url_decode(token.split("~")[0].split(".")[index]))
    return part


@pytest.fixture(scope="module")
def issuer() -> tuple[Jwk, Jwk]:
    _, private, public = new_key()
    return private, public


@pytest.fixture(scope="module")
def holder() -> tuple[Jwk, Jwk]:
    _, private, public = new_key()
    return private, public


def test_versions_are_the_pinned_ones(sdjwt_reference: SdJwtReference) -> None:
    pinned = json.loads((INTEROP / "package.json").read_text())["dependencies"]
    running = sdjwt_reference.versions()
    for name in ("@sd-jwt/sd-jwt-vc", "@sd-jwt/jwt-status-list", "@sd-jwt/core"):
        assert running[name] == pinned[name]


def test_their_issuer_holder_and_verifier_agree_on_a_selective_kb_presentation(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0],
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        disclosure_frame=FRAME,
        holder_jwk=holder[1],
    )
    header, payload = jwt_part(token, 0), jwt_part(token, 1)
    assert header == {"typ": "dc+sd-jwt", "alg": "ES256"}
    assert payload["cnf"] == {"jwk": holder[1]}
    assert "given_name" not in payload and payload["skill"] == CLAIMS["skill"]
    # three disclosures, three decoys: six digests
    assert len(token.rstrip("~").split("~")) - 1 == 3
    assert len(payload["_sd"]) == 6

    presentation = sdjwt_reference.present(
        token,
        presentation_frame={"given_name": True},
        holder_jwk=holder[0],
        nonce=NONCE,
        aud=AUD,
    )
    decoded = sdjwt_reference.decode(presentation)
    assert decoded["keyBinding"] is True
    assert len(decoded["disclosures"]) == 1

    result = sdjwt_reference.verify(
        presentation, issuer_jwk=issuer[1], require_key_binding=True, nonce=NONCE, aud=AUD
    )
    assert result["verified"] is True, result
    assert result["payload"]["given_name"] == "Ann"
    assert "family_name" not in result["payload"] and "birthdate" not in result["payload"]
    assert result["kb"]["header"]["typ"] == "kb+jwt"
    assert result["kb"]["payload"]["aud"] == AUD


@pytest.mark.parametrize(
    ("nonce", "aud", "reason"),
    [("another-nonce", AUD, "Nonce"), (NONCE, "https://other.example", "audience")],
)
def test_their_verifier_refuses_a_wrong_nonce_or_audience(
    sdjwt_reference: SdJwtReference,
    issuer: tuple[Jwk, Jwk],
    holder: tuple[Jwk, Jwk],
    nonce: str,
    aud: str,
    reason: str,
) -> None:
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0], iss=ISS, vct=VCT, claims=CLAIMS, holder_jwk=holder[1]
    )
    presentation = sdjwt_reference.present(
        token, presentation_frame={}, holder_jwk=holder[0], nonce=NONCE, aud=AUD
    )
    result = sdjwt_reference.verify(
        presentation, issuer_jwk=issuer[1], require_key_binding=True, nonce=nonce, aud=aud
    )
    assert result["verified"] is False
    assert reason in result["error"]


def test_their_verifier_refuses_a_missing_key_binding_or_a_foreign_holder_key(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0], iss=ISS, vct=VCT, claims=CLAIMS, holder_jwk=holder[1]
    )
    without_kb = sdjwt_reference.verify(
        token, issuer_jwk=issuer[1], require_key_binding=True, nonce=NONCE, aud=AUD
    )
    assert without_kb["verified"] is False
    _, thief, _ = new_key()
    stolen = sdjwt_reference.present(
        token, presentation_frame={}, holder_jwk=thief, nonce=NONCE, aud=AUD
    )
    result = sdjwt_reference.verify(
        stolen, issuer_jwk=issuer[1], require_key_binding=True, nonce=NONCE, aud=AUD
    )
    assert result["verified"] is False
    assert "Signature" in result["error"]


def test_a_tampered_foreign_or_repeated_disclosure_is_refused(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    """@sd-jwt/core 0.19.0 drops a Disclosure it cannot place and accepts repeats (RFC 9901
    section 7.1 says reject); the harness adds that check, and these tests pin both halves:
    the library's own verdict (``checks.library``) and the harness's refusal."""
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0],
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        disclosure_frame=FRAME,
        holder_jwk=holder[1],
    )
    intact = sdjwt_reference.verify(token, issuer_jwk=issuer[1])
    assert intact["verified"] is True, intact
    assert intact["checks"]["disclosures"].startswith("all referenced once")
    jwt, *disclosures, _ = token.split("~")
    salt, name, _value = json.loads(b64url_decode(disclosures[0]))
    tampered = b64url(json.dumps([salt, name, "Mallory"]).encode())
    foreign = b64url(json.dumps([b64url(b"fresh-salt-16byt"), "license", "C"]).encode())
    for forged in (
        "~".join([jwt, tampered, *disclosures[1:], ""]),
        "~".join([jwt, *disclosures, foreign, ""]),
    ):
        result = sdjwt_reference.verify(forged, issuer_jwk=issuer[1])
        assert result["verified"] is False, result
        assert result["checks"]["library"] == "verified"
        assert "not referenced" in result["error"]
    repeated = sdjwt_reference.verify(
        "~".join([jwt, *disclosures, disclosures[0], ""]), issuer_jwk=issuer[1]
    )
    assert repeated["verified"] is False and "repeated" in repeated["error"]

    # Under key binding the library itself refuses: sd_hash covers the disclosures.
    presentation = sdjwt_reference.present(
        token,
        presentation_frame={"given_name": True, "family_name": True},
        holder_jwk=holder[0],
        nonce=NONCE,
        aud=AUD,
    )
    jwt, *shown, kb = presentation.split("~")
    swapped = [tampered if d == disclosures[0] else d for d in shown]
    assert swapped != shown
    result = sdjwt_reference.verify(
        "~".join([jwt, *swapped, kb]),
        issuer_jwk=issuer[1],
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    )
    assert result["verified"] is False and "sd_hash" in result["error"]


def test_their_verifier_refuses_another_issuer_key_and_an_expired_token(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    now = int(time.time())
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0],
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        holder_jwk=holder[1],
        iat=now - 7200,
        exp=now + 3600,
    )
    _, _, other = new_key()
    wrong_key = sdjwt_reference.verify(token, issuer_jwk=other)
    assert wrong_key["verified"] is False and "Signature" in wrong_key["error"]
    assert sdjwt_reference.verify(token, issuer_jwk=issuer[1])["verified"] is True
    later = sdjwt_reference.verify(token, issuer_jwk=issuer[1], current_date=now + 7200)
    assert later["verified"] is False and "expired" in later["error"]


def test_status_list_token_round_trip_and_a_revoked_index(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    # Token Status List: 0 VALID, 1 INVALID (revoked), 2 SUSPENDED.
    statuses = [0] * 64
    statuses[5], statuses[17] = 1, 2
    status_token = sdjwt_reference.create_status_list(
        statuses=statuses, bits=2, uri=STATUS_URI, issuer_jwk=issuer[0], ttl=300
    )
    read = sdjwt_reference.verify_status_list(status_token, issuer_jwk=issuer[1])
    assert read["verified"] is True, read
    assert read["header"]["typ"] == "statuslist+jwt"
    assert read["payload"]["sub"] == STATUS_URI and read["payload"]["ttl"] == 300
    assert read["bits"] == 2 and read["statuses"] == statuses
    picked = sdjwt_reference.verify_status_list(
        status_token, issuer_jwk=issuer[1], indices=[4, 5, 17]
    )
    assert picked["statuses"] == [0, 1, 2]
    _, _, other = new_key()
    assert sdjwt_reference.verify_status_list(status_token, issuer_jwk=other)["verified"] is False

    verdicts = {}
    for index in (4, 5, 17):
        token = sdjwt_reference.issue(
            issuer_jwk=issuer[0],
            iss=ISS,
            vct=VCT,
            claims=CLAIMS,
            holder_jwk=holder[1],
            status={"idx": index, "uri": STATUS_URI},
        )
        result = sdjwt_reference.verify(
            token, issuer_jwk=issuer[1], status_list_tokens={STATUS_URI: status_token}
        )
        verdicts[index] = (result["verified"], result["status"]["value"])
    assert verdicts == {4: (True, 0), 5: (False, 1), 17: (False, 2)}

    # no status list token supplied: not verified (nothing is fetched)
    unchecked = sdjwt_reference.verify(token, issuer_jwk=issuer[1])
    assert unchecked["verified"] is False
    assert "not supplied" in unchecked["error"]
    # a status list token signed by someone else: not verified
    forged_list = sdjwt_reference.create_status_list(
        statuses=[0] * 64, bits=2, uri=STATUS_URI, issuer_jwk=new_key()[1]
    )
    forged = sdjwt_reference.verify(
        token, issuer_jwk=issuer[1], status_list_tokens={STATUS_URI: forged_list}
    )
    assert forged["verified"] is False and "Status List JWT" in forged["error"]


def test_x5c_chain_verifies_to_the_trusted_root_only(
    sdjwt_reference: SdJwtReference, holder: tuple[Jwk, Jwk]
) -> None:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate("Test Root", root_key, ca=True)
    leaf_key, leaf_private, _ = new_key()
    leaf = certificate("Acme issuer", leaf_key, issuer=root, issuer_key=root_key, ca=False)
    other_root_key = ec.generate_private_key(ec.SECP256R1())
    other_root = certificate("Test Root", other_root_key, ca=True)

    for x5c in ([der_b64(leaf)], [der_b64(leaf), der_b64(root)]):
        token = sdjwt_reference.issue(
            issuer_jwk=leaf_private, iss=ISS, vct=VCT, claims=CLAIMS, holder_jwk=holder[1], x5c=x5c
        )
        assert jwt_part(token, 0)["x5c"] == x5c
        trusted = sdjwt_reference.verify(token, trusted_certificates=[pem(root)])
        assert trusted["verified"] is True, trusted
        assert trusted["checks"]["issuerKey"] == "x5c"
        untrusted = sdjwt_reference.verify(token, trusted_certificates=[pem(other_root)])
        assert untrusted["verified"] is False
        assert "trusted" in untrusted["error"]

    # a leaf whose key did not sign the token
    _, impostor_private, _ = new_key()
    impostor = sdjwt_reference.issue(
        issuer_jwk=impostor_private,
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        x5c=[der_b64(leaf)],
    )
    result = sdjwt_reference.verify(impostor, trusted_certificates=[der_b64(root)])
    assert result["verified"] is False and "Signature" in result["error"]


# ---------------------------------------------------------------- the Python sd-jwt library


def jwcrypto_key(jwk: Jwk) -> JWK:
    return JWK.from_json(json.dumps(jwk))


def test_a_token_from_the_python_library_verifies_in_theirs(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    user_claims = {
        "iss": ISS,
        "vct": VCT,
        "iat": int(time.time()),
        "skill": CLAIMS["skill"],
        SDObj("given_name"): "Ann",
        SDObj("family_name"): "de Vries",
    }
    python_issued = SDJWTIssuer(
        user_claims,
        jwcrypto_key(issuer[0]),
        holder_key=jwcrypto_key(holder[1]),
        sign_alg="ES256",
        add_decoy_claims=True,
        extra_header_parameters={"typ": "dc+sd-jwt"},
    )
    token = python_issued.sd_jwt_issuance
    full = sdjwt_reference.verify(token, issuer_jwk=issuer[1])
    assert full["verified"] is True, full
    assert full["payload"]["given_name"] == "Ann" and full["payload"]["family_name"] == "de Vries"

    python_holder = SDJWTHolder(token)
    python_holder.create_presentation(
        {"family_name": True}, NONCE, AUD, jwcrypto_key(holder[0]), "ES256"
    )
    result = sdjwt_reference.verify(
        python_holder.sd_jwt_presentation,
        issuer_jwk=issuer[1],
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    )
    assert result["verified"] is True, result
    assert result["payload"]["family_name"] == "de Vries" and "given_name" not in result["payload"]
    wrong = sdjwt_reference.verify(
        python_holder.sd_jwt_presentation,
        issuer_jwk=issuer[1],
        require_key_binding=True,
        nonce="other",
        aud=AUD,
    )
    assert wrong["verified"] is False


def test_a_presentation_from_their_holder_verifies_in_the_python_library(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0],
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        disclosure_frame=FRAME,
        holder_jwk=holder[1],
    )
    presentation = sdjwt_reference.present(
        token,
        presentation_frame={"given_name": True, "birthdate": True},
        holder_jwk=holder[0],
        nonce=NONCE,
        aud=AUD,
    )
    seen: list[tuple[str, dict[str, Any]]] = []

    def issuer_key(iss: str, header: dict[str, Any]) -> JWK:
        seen.append((iss, header))
        return jwcrypto_key(issuer[1])

    verifier = SDJWTVerifier(presentation, issuer_key, expected_aud=AUD, expected_nonce=NONCE)
    claims = verifier.get_verified_payload()
    assert seen == [(ISS, {"typ": "dc+sd-jwt", "alg": "ES256"})]
    assert claims["given_name"] == "Ann" and claims["birthdate"] == "1990-04-01"
    assert "family_name" not in claims
    ours = sdjwt_reference.verify(
        presentation, issuer_jwk=issuer[1], require_key_binding=True, nonce=NONCE, aud=AUD
    )
    assert {k: v for k, v in claims.items() if k != "_sd_alg"} == ours["payload"]
    # the Python library also refuses their presentation for another audience
    with pytest.raises(ValueError, match="audience"):
        SDJWTVerifier(
            presentation, issuer_key, expected_aud="https://x.example", expected_nonce=NONCE
        )
    # and a holder key binding over a disclosure set it did not sign
    jwt, *disclosures, kb = presentation.split("~")
    reordered = "~".join([jwt, disclosures[0], kb])
    with pytest.raises(ValueError, match="digest"):
        SDJWTVerifier(reordered, issuer_key, expected_aud=AUD, expected_nonce=NONCE)


def test_status_list_token_with_x5c_is_checked_against_the_trusted_roots(
    sdjwt_reference: SdJwtReference, holder: tuple[Jwk, Jwk]
) -> None:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate("Test Root", root_key, ca=True)
    leaf_key, leaf_private, _ = new_key()
    leaf = certificate("Acme issuer", leaf_key, issuer=root, issuer_key=root_key, ca=False)
    x5c = [der_b64(leaf)]
    status_token = sdjwt_reference.create_status_list(
        statuses=[0, 1, 0, 0], bits=1, uri=STATUS_URI, issuer_jwk=leaf_private, x5c=x5c
    )
    read = sdjwt_reference.verify_status_list(status_token, trusted_certificates=[pem(root)])
    assert read["verified"] is True and read["statuses"][:4] == [0, 1, 0, 0]
    other_root = certificate("Test Root", ec.generate_private_key(ec.SECP256R1()), ca=True)
    refused = sdjwt_reference.verify_status_list(
        status_token, trusted_certificates=[pem(other_root)]
    )
    assert refused["verified"] is False and "trusted" in refused["error"]

    token = sdjwt_reference.issue(
        issuer_jwk=leaf_private,
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        holder_jwk=holder[1],
        x5c=x5c,
        status={"idx": 1, "uri": STATUS_URI},
    )
    result = sdjwt_reference.verify(
        token, trusted_certificates=[pem(root)], status_list_tokens={STATUS_URI: status_token}
    )
    assert result["verified"] is False and result["status"]["value"] == 1
    assert "Status is not valid" in result["error"]


def test_type_metadata_comes_from_the_request_only(
    sdjwt_reference: SdJwtReference, issuer: tuple[Jwk, Jwk], holder: tuple[Jwk, Jwk]
) -> None:
    token = sdjwt_reference.issue(
        issuer_jwk=issuer[0], iss=ISS, vct=VCT, claims=CLAIMS, holder_jwk=holder[1]
    )
    metadata = {
        "vct": VCT,
        "name": "Skill",
        "display": [{"locale": "en", "name": "Skill"}, {"locale": "nl", "name": "Vaardigheid"}],
        "claims": [{"path": ["skill"], "display": [{"locale": "nl", "label": "Vaardigheid"}]}],
    }
    result = sdjwt_reference.verify(token, issuer_jwk=issuer[1], vct_metadata={VCT: metadata})
    assert result["verified"] is True, result
    assert result["typeMetadata"]["vctValues"] == [VCT]
    assert result["typeMetadata"]["mergedTypeMetadata"]["display"][1]["name"] == "Vaardigheid"
    missing = sdjwt_reference.verify(token, issuer_jwk=issuer[1], vct_metadata={})
    assert missing["verified"] is False and "not supplied" in missing["error"]
    malformed = sdjwt_reference.verify(
        token, issuer_jwk=issuer[1], vct_metadata={VCT: {**metadata, "display": "Skill"}}
    )
    assert malformed["verified"] is False and "Invalid VCT type metadata" in malformed["error"]
