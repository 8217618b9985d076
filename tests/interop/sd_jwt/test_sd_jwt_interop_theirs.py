"""SD-JWT VC interop, (b): we verify the OWF libraries' tokens (issue 16, must-show 1 and 3).

Tokens their issuer signed with an ``x5c`` chain (leaf, intermediate) to a root on our
trust list, or with the key of their JWT VC Issuer Metadata; their status list tokens of
every width, served over HTTPS (tests/support/https_server.py); their holder's KB
presentations. And the same from an untrusted root, with a wrong nonce, audience or
``sd_hash``, tampered or foreign disclosures, expired tokens, revoked, suspended and
application-specific indexes, stale or misplaced status lists — each with the verdict word
DESIGN.md gives it and the precise problem code. (a), their verifier on ours, is in
test_sd_jwt_interop.py.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.https_server import DocumentServer
from tests.support.sd_jwt_parties import (
    AUD,
    CLAIMS,
    FRAME,
    NONCE,
    P256,
    REGISTERED,
    STATUSES,
    VCT,
    ForeignIssuer,
    b64url,
    b64url_json,
    check,
    der_b64,
    expect,
    pem,
    publish_status_list,
    their_token,
    verify,
)
from tests.support.sdjwt_reference import SdJwtReference
from tests.support.service import Service


def test_we_verify_theirs_from_a_trusted_root_with_their_status_list(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    uri = publish_status_list(remote, sdjwt_reference, issuer)
    holder = P256()
    token = their_token(sdjwt_reference, issuer, holder, status={"idx": 2, "uri": uri})
    # their own verifier agrees that it is sound
    assert sdjwt_reference.verify(
        token,
        trusted_certificates=[pem(issuer.root)],
        status_list_tokens={uri: remote.documents["/status/1"][0].decode()},
    )["verified"]

    body = expect(verify(service, token), "valid")
    trust = check(body, "issuerTrust")
    assert trust["trusted"] is True
    assert trust["basis"] == "trust-list"
    assert trust["issuerName"] == "Vocational College"
    status = check(body, "status")
    assert status["outcome"] == "passed"
    assert (status["statusListUri"], status["statusListIndex"], status["status"]) == (uri, 2, 0)
    assert "/status/1" in remote.requests  # read from their server, over HTTPS
    assert body["summary"]["issuer"]["id"] == issuer.iss
    assert body["summary"]["claims"] == {
        **CLAIMS,
        "iss": issuer.iss,
        "vct": VCT,
        "iat": body["summary"]["claims"]["iat"],
    }
    assert sorted(body["summary"]["disclosed"]) == [
        "/assessment/date",
        "/assessment/method",
        "/name",
    ]

    # as an EnvelopedVerifiableCredential (VC 2.0) too
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": "data:application/dc+sd-jwt," + token,
    }
    expect(verify(service, enveloped), "valid")


def test_their_revoked_and_suspended_indexes(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    uri = publish_status_list(remote, sdjwt_reference, issuer)
    holder = P256()
    revoked = their_token(sdjwt_reference, issuer, holder, status={"idx": 5, "uri": uri})
    body = expect(verify(service, revoked), "revoked", "CREDENTIAL_REVOKED")
    assert check(body, "status")["status"] == 1
    suspended = their_token(sdjwt_reference, issuer, holder, status={"idx": 6, "uri": uri})
    body = expect(verify(service, suspended), "suspended", "CREDENTIAL_SUSPENDED")
    assert check(body, "status")["status"] == 2


def test_a_status_we_cannot_read_is_cannot_check_not_suspended(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    """Regression: an application-specific status value, or a status reference that is
    not ``{idx: integer, uri}``, made the verdict *suspended* (any failed status check
    that was not a revocation read as one). What it means cannot be known here: *cannot
    check*, as for a malformed Bitstring Status List entry."""
    uri = publish_status_list(remote, sdjwt_reference, issuer)
    holder = P256()
    flagged = their_token(sdjwt_reference, issuer, holder, status={"idx": 7, "uri": uri})
    lists = {uri: remote.documents["/status/1"][0].decode()}
    theirs = sdjwt_reference.verify(
        flagged, trusted_certificates=[pem(issuer.root)], status_list_tokens=lists
    )
    assert theirs["verified"] is False and theirs["status"]["value"] == 3
    body = expect(verify(service, flagged), "cannot-check", "CREDENTIAL_STATUS_FLAGGED")
    assert check(body, "status")["status"] == 3
    malformed = their_token(sdjwt_reference, issuer, holder, status={"idx": "5", "uri": uri})
    expect(verify(service, malformed), "cannot-check", "STATUS_VERIFICATION_ERROR")


def test_their_status_list_must_be_there_and_signed_by_the_issuer(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
    stranger: ForeignIssuer,
) -> None:
    holder = P256()
    # a list nobody serves: the status cannot be checked, so neither valid nor revoked
    missing = their_token(
        sdjwt_reference, issuer, holder, status={"idx": 5, "uri": remote.url("/status/none")}
    )
    expect(verify(service, missing), "cannot-check", "STATUS_LIST_UNAVAILABLE")
    # a list at the right place signed by somebody else: not the issuer's word
    uri = publish_status_list(remote, sdjwt_reference, issuer, "/status/2", signer=stranger)
    forged = their_token(sdjwt_reference, issuer, holder, status={"idx": 0, "uri": uri})
    expect(verify(service, forged), "cannot-check", "STATUS_LIST_UNVERIFIED")


def test_theirs_from_an_untrusted_root_is_neither_valid_nor_trusted(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    stranger: ForeignIssuer,
) -> None:
    uri = publish_status_list(remote, sdjwt_reference, stranger)
    token = their_token(sdjwt_reference, stranger, P256(), status={"idx": 0, "uri": uri})
    # their verifier, trusting that root, accepts it: the token itself is sound
    assert sdjwt_reference.verify(
        token,
        trusted_certificates=[pem(stranger.root)],
        status_list_tokens={uri: remote.documents["/status/1"][0].decode()},
    )["verified"]
    body = expect(verify(service, token), "cannot-check", "UNTRUSTED_CHAIN")
    assert check(body, "issuerTrust")["trusted"] is False
    assert check(body, "proof")["outcome"] == "not-performed"


def test_their_kb_presentations_verify_with_the_right_nonce_and_audience_only(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    uri = publish_status_list(remote, sdjwt_reference, issuer)
    holder = P256()
    token = their_token(sdjwt_reference, issuer, holder, status={"idx": 0, "uri": uri})
    presentation = sdjwt_reference.present(
        token,
        presentation_frame={"assessment": {"method": True}},
        holder_jwk=holder.private,
        nonce=NONCE,
        aud=AUD,
    )
    body = expect(verify(service, presentation, challenge=NONCE, domain=AUD), "valid")
    assert body["summary"]["disclosed"] == ["/assessment/method"]
    assert body["summary"]["keyBinding"] is True
    claims = body["summary"]["claims"]
    assert claims["assessment"] == {"method": "practical"}
    assert "name" not in claims
    kb = next(p for p in body["proofs"] if p["type"] == "kb+jwt")
    assert kb["outcome"] == "passed"

    expect(
        verify(service, presentation, challenge="n-other", domain=AUD),
        "not-genuine",
        "INVALID_KEY_BINDING",
    )
    expect(
        verify(service, presentation, challenge=NONCE, domain="https://other.example"),
        "not-genuine",
        "INVALID_KEY_BINDING",
    )
    # their KB-JWT over another selection of disclosures: sd_hash no longer matches
    other = sdjwt_reference.present(
        token,
        presentation_frame={"name": True},
        holder_jwk=holder.private,
        nonce=NONCE,
        aud=AUD,
    )
    spliced = presentation.rsplit("~", 1)[0] + "~" + other.rsplit("~", 1)[1]
    body = expect(
        verify(service, spliced, challenge=NONCE, domain=AUD),
        "not-genuine",
        "INVALID_KEY_BINDING",
    )
    assert "sd_hash" in json.dumps(body)
    # a KB-JWT signed by another key than the one in cnf
    stolen = sdjwt_reference.present(
        token,
        presentation_frame={"assessment": {"method": True}},
        holder_jwk=P256().private,
        nonce=NONCE,
        aud=AUD,
    )
    expect(
        verify(service, stolen, challenge=NONCE, domain=AUD), "not-genuine", "INVALID_KEY_BINDING"
    )


def test_their_tampered_or_foreign_disclosures_and_expired_tokens(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    uri = publish_status_list(remote, sdjwt_reference, issuer)
    holder = P256()
    token = their_token(sdjwt_reference, issuer, holder, status={"idx": 0, "uri": uri})
    jwt, *disclosures = token.rstrip("~").split("~")
    name = next(d for d in disclosures if b64url_json(d)[1] == "name")
    salt = b64url_json(name)[0]

    # the same salt and claim name, another value: its digest is in no _sd
    tampered = b64url(json.dumps([salt, "name", "Mallory"]).encode())
    expect(verify(service, f"{jwt}~{tampered}~"), "not-genuine", "INVALID_DISCLOSURE")
    # a disclosure from another credential of theirs
    other = their_token(sdjwt_reference, issuer, holder, status={"idx": 0, "uri": uri})
    foreign = next(d for d in other.rstrip("~").split("~")[1:] if b64url_json(d)[1] == "name")
    expect(verify(service, f"{jwt}~{foreign}~"), "not-genuine", "INVALID_DISCLOSURE")
    # their verifier refuses both as well (the harness's RFC 9901 §7.1 check)
    for bad in (tampered, foreign):
        theirs = sdjwt_reference.verify(
            f"{jwt}~{bad}~",
            trusted_certificates=[pem(issuer.root)],
            status_list_tokens={uri: remote.documents["/status/1"][0].decode()},
        )
        assert theirs["verified"] is False
        assert theirs["error"].startswith("harness (RFC 9901 7.1)")

    # expired: genuine and trusted, not to be relied on now
    expired = their_token(
        sdjwt_reference, issuer, holder, status={"idx": 0, "uri": uri}, exp=int(time.time()) - 60
    )
    body = expect(verify(service, expired), "expired", "CREDENTIAL_EXPIRED")
    assert check(body, "proof")["outcome"] == "passed"
    assert check(body, "issuerTrust")["trusted"] is True


def test_an_x5c_leaf_that_is_not_p256_is_refused_not_a_fault(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    """Regression: an ``x5c`` leaf with a key that is not P-256 (here P-384, certified by
    the trusted issuer's CA) raised out of the verifier (a 500) instead of a result."""
    other = ec.generate_private_key(ec.SECP384R1())
    now = dt.datetime.now(dt.UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "P-384 leaf")]))
        .issuer_name(issuer.intermediate.subject)
        .public_key(other.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(issuer.iss)]),
            critical=False,
        )
        .sign(issuer.intermediate_key.key, hashes.SHA256())
    )
    token = sdjwt_reference.issue(
        issuer_jwk=issuer.key.private,
        iss=issuer.iss,
        vct=VCT,
        claims=CLAIMS,
        x5c=[der_b64(leaf), der_b64(issuer.intermediate)],
    )
    assert not sdjwt_reference.verify(token, trusted_certificates=[pem(issuer.root)])["verified"]
    expect(verify(service, token), "not-genuine", "INVALID_X5C")


def test_their_array_element_and_recursive_disclosures(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    """Their issuer hides array elements (``{"...": digest}``) and an object whose own
    members are hidden again (a disclosure holding ``_sd``); their holder presents one
    element and one nested member; we put back exactly what they did."""
    uri = publish_status_list(remote, sdjwt_reference, issuer)
    holder = P256()
    claims = {
        **CLAIMS,
        "evidence": [
            {"name": "Weld test piece 1", "genre": "practical"},
            {"name": "Theory exam", "genre": "exam"},
        ],
    }
    frame = {
        "_sd": ["name", "assessment"],
        "assessment": {"_sd": ["date", "method"]},
        "evidence": {"_sd": [0, 1]},
    }
    token = sdjwt_reference.issue(
        issuer_jwk=issuer.key.private,
        iss=issuer.iss,
        vct=VCT,
        claims=claims,
        disclosure_frame=frame,
        holder_jwk=holder.public,
        x5c=issuer.x5c,
        status={"idx": 0, "uri": uri},
    )
    full = expect(verify(service, token), "valid")
    assert full["summary"]["claims"]["evidence"] == claims["evidence"]
    assert full["summary"]["claims"]["assessment"] == CLAIMS["assessment"]
    assert sorted(full["summary"]["disclosed"]) == [
        "/assessment",
        "/assessment/date",
        "/assessment/method",
        "/evidence/0",
        "/evidence/1",
        "/name",
    ]
    presentation = sdjwt_reference.present(
        token,
        presentation_frame={"assessment": {"method": True}, "evidence": {"1": True}},
        holder_jwk=holder.private,
        nonce=NONCE,
        aud=AUD,
    )
    theirs = sdjwt_reference.verify(
        presentation,
        trusted_certificates=[pem(issuer.root)],
        status_list_tokens={uri: remote.documents["/status/1"][0].decode()},
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    )
    assert theirs["verified"] is True, theirs
    body = expect(verify(service, presentation, challenge=NONCE, domain=AUD), "valid")
    ours = body["summary"]["claims"]
    assert ours == {k: v for k, v in theirs["payload"].items() if k not in REGISTERED}
    assert ours["assessment"] == {"method": "practical"}
    assert ours["evidence"] == [{"name": "Theory exam", "genre": "exam"}]
    assert "name" not in ours


def test_theirs_without_x5c_by_their_issuer_metadata(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    stranger: ForeignIssuer,
) -> None:
    """An issuer on no trust list, without ``x5c``: its key from its JWT VC Issuer Metadata
    (served over HTTPS at ``/.well-known/jwt-vc-issuer/<path of iss>``). Genuine — the key
    is the one the issuer publishes — but not trusted: *untrusted-issuer*. A token signed by
    a key the metadata does not list is *not genuine*."""
    iss = remote.url("/issuer")
    key = P256()
    remote.put(
        "/.well-known/jwt-vc-issuer/issuer",
        {"issuer": iss, "jwks": {"keys": [{**key.public, "kid": "k1"}]}},
    )
    status_uri = remote.url("/status/meta")
    remote.put(
        "/status/meta",
        sdjwt_reference.create_status_list(
            statuses=STATUSES, bits=2, uri=status_uri, issuer_jwk=key.private, ttl=300
        ).encode("ascii"),
        "application/statuslist+jwt",
    )
    holder = P256()

    def issued(signer: P256, idx: int) -> str:
        return sdjwt_reference.issue(
            issuer_jwk=signer.private,
            iss=iss,
            vct=VCT,
            claims=CLAIMS,
            disclosure_frame=FRAME,
            holder_jwk=holder.public,
            status={"idx": idx, "uri": status_uri},
        )

    body = expect(verify(service, issued(key, 0)), "untrusted-issuer", "UNTRUSTED_ISSUER")
    assert check(body, "proof")["outcome"] == "passed"
    assert check(body, "status")["outcome"] == "passed"
    trust = check(body, "issuerTrust")
    assert trust["trusted"] is False
    assert "/.well-known/jwt-vc-issuer/issuer" in remote.requests
    # the status list signed by the metadata key is read: a revoked index is revoked
    expect(verify(service, issued(key, 5)), "revoked", "CREDENTIAL_REVOKED")
    # their own verifier, given the metadata key, agrees with the first
    assert sdjwt_reference.verify(
        issued(key, 0),
        issuer_jwk=key.public,
        status_list_tokens={status_uri: remote.documents["/status/meta"][0].decode()},
    )["verified"]
    # a key the issuer does not publish
    expect(verify(service, issued(stranger.key, 0)), "not-genuine", "KEY_NOT_ISSUERS")


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_their_status_lists_of_every_width(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
    bits: int,
) -> None:
    """Token Status Lists of 1, 2, 4 and 8 bits per entry, as their library packs them:
    the value at the index is read (0 valid, 1 revoked; 2 suspended where it fits)."""
    path = f"/status/bits-{bits}"
    uri = remote.url(path)
    statuses = [0, 1, 0, 1 if bits == 1 else 2, 0, 0, 0, 0, 0, 1]
    token = sdjwt_reference.create_status_list(
        statuses=statuses,
        bits=bits,
        uri=uri,
        issuer_jwk=issuer.key.private,
        x5c=issuer.x5c,
        ttl=300,
    )
    remote.put(path, token.encode("ascii"), "application/statuslist+jwt")
    holder = P256()
    expected = {0: "valid", 1: "revoked", 2: "suspended"}
    for idx in (0, 1, 3, 9):
        answer = verify(
            service, their_token(sdjwt_reference, issuer, holder, status={"idx": idx, "uri": uri})
        )
        body = expect(answer, expected[statuses[idx]])
        assert check(body, "status")["status"] == statuses[idx]


def test_their_status_list_token_expired_or_for_another_uri_cannot_be_relied_on(
    service: Service,
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
) -> None:
    """A status list token past its ``exp``, or whose ``sub`` is another list's URI (their
    verifier checks neither ``sub`` nor, without being asked, anything but the dates):
    the status is not known, so neither *valid* nor *revoked*."""
    holder = P256()
    stale_uri = remote.url("/status/stale")
    an_hour_ago = int(time.time()) - 3600
    remote.put(
        "/status/stale",
        sdjwt_reference.create_status_list(
            statuses=STATUSES,
            bits=2,
            uri=stale_uri,
            issuer_jwk=issuer.key.private,
            x5c=issuer.x5c,
            iat=an_hour_ago - 600,
            exp=an_hour_ago,
        ).encode("ascii"),
        "application/statuslist+jwt",
    )
    stale = their_token(sdjwt_reference, issuer, holder, status={"idx": 5, "uri": stale_uri})
    expect(verify(service, stale), "cannot-check", "STATUS_LIST_UNAVAILABLE")

    moved_uri = remote.url("/status/moved")
    remote.put(
        "/status/moved",
        sdjwt_reference.create_status_list(
            statuses=STATUSES,
            bits=2,
            uri=remote.url("/status/elsewhere"),
            issuer_jwk=issuer.key.private,
            x5c=issuer.x5c,
            ttl=300,
        ).encode("ascii"),
        "application/statuslist+jwt",
    )
    moved = their_token(sdjwt_reference, issuer, holder, status={"idx": 0, "uri": moved_uri})
    theirs = sdjwt_reference.verify(
        moved,
        trusted_certificates=[pem(issuer.root)],
        status_list_tokens={moved_uri: remote.documents["/status/moved"][0].decode()},
    )
    assert theirs["verified"] is True  # their library does not compare sub (README)
    expect(verify(service, moved), "cannot-check", "STATUS_LIST_UNAVAILABLE")
