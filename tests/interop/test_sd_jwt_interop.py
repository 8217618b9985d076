"""SD-JWT VC interop both ways with the OpenWallet Foundation's TypeScript libraries
(``@sd-jwt/sd-jwt-vc``, ``@sd-jwt/jwt-status-list`` 0.19.0, driven through
interop/sdjwt.mjs), over HTTP against the real app (issue 16, must-show 1).

(a) They verify ours: a skill credential's twin from ``POST /sd-jwt-vc`` with the issuer
key taken from our ``x5c`` chain (our CA root, ``GET /issuing-ca.pem``, as their trusted
certificate) and from our JWT VC Issuer Metadata; our Token Status List after real
``POST /credentials/status`` changes; and their holder's selectively disclosed KB
presentation of our credential, accepted by their verifier and by ``/credentials/verify``
with the same disclosed claims.

(b) We verify theirs: tokens their issuer signed with an ``x5c`` chain to a root on our
trust list, their status list tokens served over HTTPS (tests/support/https_server.py),
their holder's KB presentations; and the same from an untrusted root, with wrong
nonce/aud, tampered disclosures, expired, revoked and suspended indexes — each with the
verdict word DESIGN.md gives it and the precise problem code.

Their verifier alone is not strict (interop/README.md): the harness adds the RFC 9901
§7.1 disclosure checks, the ``aud`` comparison and the x5c chain walk; ``checks`` says
which part ran, and these tests read it.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.test_skills_api import REQUEST, auth, issue, provider_with_skill
from tests.support.databases import fresh_database_url
from tests.support.https_server import DocumentServer, document_server
from tests.support.sdjwt_reference import Jwk, SdJwtReference
from tests.support.service import BASE_URL, Service, running_service

AUD = "https://employer.example"
NONCE = "n-7Qx2_kZb"
#: the claims an SD-JWT carries for itself, not for the credential (our summary leaves
#: them out; their payload keeps them)
REGISTERED = {"_sd_alg", "cnf", "status"}


# --- keys and certificates -------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class P256:
    """A P-256 key with its JWKs (private with ``d``, public without)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.private_numbers()
        self.public: Jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.public_numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.public_numbers.y.to_bytes(32, "big")),
        }
        self.private: Jwk = {**self.public, "d": b64url(numbers.private_value.to_bytes(32, "big"))}


def certificate(
    subject: str,
    key: P256,
    *,
    signer: tuple[x509.Certificate, P256] | None = None,
    ca: bool,
    san_uri: str | None = None,
    not_after: dt.datetime | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(signer[0].subject if signer else name)
        .public_key(key.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after or now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san_uri is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san_uri)]),
            critical=False,
        )
    return builder.sign((signer[1] if signer else key).key, hashes.SHA256())


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


class ForeignIssuer:
    """Another issuer (their library signs): a root CA, an intermediate, and a leaf for
    its ES256 key whose SAN URI is its ``iss``."""

    def __init__(self, iss: str, *, name: str) -> None:
        self.iss = iss
        self.root_key, self.intermediate_key, self.key = P256(), P256(), P256()
        self.root = certificate(f"{name} root", self.root_key, ca=True)
        self.intermediate = certificate(
            f"{name} issuing CA",
            self.intermediate_key,
            signer=(self.root, self.root_key),
            ca=True,
        )
        self.leaf = certificate(
            name, self.key, signer=(self.intermediate, self.intermediate_key), ca=False, san_uri=iss
        )

    @property
    def x5c(self) -> list[str]:
        return [der_b64(self.leaf), der_b64(self.intermediate)]


# --- the service and what it answers ---------------------------------------------------


def verify(service: Service, credential: Any, **options: Any) -> Any:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options:
        body["options"] = options
    return service.client.post("/credentials/verify", json=body)


def check(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in body["checks"] if c["check"] == name)
    return found


def codes(body: dict[str, Any]) -> set[str]:
    """Every problem code in a verification result (checks and proofs)."""
    found = {p["code"] for c in body["checks"] for p in c.get("problems", [])}
    found |= {p["code"] for p in body["proofs"] for p in p.get("problems", [])}
    return found


def expect(answer: Any, verdict: str, code: str | None = None) -> dict[str, Any]:
    """The verdict word (and a problem code) of an answer; *valid* and *untrusted-issuer*
    are 200, every other verdict 422 (the VC-API: the same body, an error status)."""
    body: dict[str, Any] = answer.json()
    assert body["verdict"] == verdict, body
    assert answer.headers["Skillcred-Verdict"] == verdict
    assert answer.status_code == (200 if verdict in ("valid", "untrusted-issuer") else 422)
    assert body["verified"] is (verdict in ("valid", "untrusted-issuer"))
    if code is not None:
        assert code in codes(body), body
    return body


@pytest.fixture(scope="module")
def issuer() -> ForeignIssuer:
    return ForeignIssuer("https://issuer.test/vocational-college", name="Vocational College")


@pytest.fixture(scope="module")
def stranger() -> ForeignIssuer:
    """An issuer whose root is on no trust list."""
    return ForeignIssuer("https://stranger.test/issuer", name="Stranger")


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[DocumentServer]:
    with document_server(tmp_path) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, remote: DocumentServer, issuer: ForeignIssuer) -> Iterator[Service]:
    """A service that trusts ``issuer``'s root (a trust list with an X.509 root), may reach
    the loopback HTTPS server their status lists are served from, and trusts its TLS
    certificate."""
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "name": "Test trust list",
                "issuers": [],
                "x509Roots": [{"certificate": pem(issuer.root), "name": "Vocational College"}],
            }
        )
    )
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            trust_list_file=trust,
            unsafe_allow_private_addresses=True,
            remote_ca_file=remote.cert_path,
        ) as svc,
    ):
        yield svc


# --- (a) they verify ours --------------------------------------------------------------


def our_twin(service: Service, holder: P256) -> tuple[dict[str, Any], dict[str, Any], str]:
    provider = provider_with_skill(service)
    body = copy.deepcopy(REQUEST)
    body["holder"]["name"] = "Anna Jansen"
    response = issue(service, provider, body)
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    twin = service.client.post(
        "/sd-jwt-vc",
        json={"credentialId": credential["id"], "holderJwk": holder.public},
        headers=auth(provider),
    )
    assert twin.status_code == 201, twin.text
    token: str = twin.json()["credential"]
    return provider, credential, token


def status_reference(token: str) -> dict[str, Any]:
    reference: dict[str, Any] = b64url_json(token.split("~")[0].split(".")[1])["status"][
        "status_list"
    ]
    return reference


def status_list_token(service: Service, token: str) -> dict[str, str]:
    """``{uri: token}`` as their verifier takes it, fetched from us now."""
    uri = status_reference(token)["uri"]
    response = service.client.get(urlsplit(uri).path)
    assert response.status_code == 200, response.text
    return {uri: response.text}


def our_root(service: Service) -> str:
    response = service.client.get("/issuing-ca.pem")
    assert response.status_code == 200
    root: str = response.text
    return root


def change_status(
    service: Service, provider: dict[str, Any], credential_id: str, purpose: str, on: bool
) -> None:
    response = service.client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": on,
        },
        headers=auth(provider),
    )
    assert response.status_code == 200, response.text


def test_they_verify_our_twin_by_x5c_and_by_issuer_metadata(
    service: Service, sdjwt_reference: SdJwtReference, stranger: ForeignIssuer
) -> None:
    holder = P256()
    _provider, _credential, token = our_twin(service, holder)
    statuses = status_list_token(service, token)
    vct = b64url_json(token.split(".")[1])["vct"]
    type_metadata = service.client.get(urlsplit(vct).path).json()

    # the issuer's key from the x5c header, chained to our CA root
    by_x5c = sdjwt_reference.verify(
        token,
        trusted_certificates=[our_root(service)],
        status_list_tokens=statuses,
        vct_metadata={vct: type_metadata},
    )
    assert by_x5c["verified"] is True, by_x5c
    assert by_x5c["checks"] == {
        "issuerKey": "x5c",
        "library": "verified",
        "disclosures": "all referenced once (harness)",
        "status": "checked",
    }
    assert by_x5c["header"]["typ"] == "dc+sd-jwt"
    assert by_x5c["status"]["value"] == 0
    # their library read our Type Metadata (its schema for the document held)
    assert by_x5c["typeMetadata"]["mergedTypeMetadata"]["vct"] == vct
    assert by_x5c["typeMetadata"]["vctValues"] == [vct]

    # the same claims as our own verifier reports
    ours = expect(verify(service, token), "valid")
    theirs = {k: v for k, v in by_x5c["payload"].items() if k not in REGISTERED}
    assert theirs == ours["summary"]["claims"]
    assert theirs["name"] == "Anna Jansen"
    assert theirs["skill"]["name"] == "MIG/MAG fillet welding"

    # the issuer's key from our JWT VC Issuer Metadata (the JWKS at the well-known URL)
    iss = by_x5c["payload"]["iss"]
    assert iss == f"{BASE_URL}/providers/lasschool"
    metadata = service.client.get("/.well-known/jwt-vc-issuer" + urlsplit(iss).path).json()
    assert metadata["issuer"] == iss
    kid = by_x5c["header"]["kid"]
    jwk = next(k for k in metadata["jwks"]["keys"] if k["kid"] == kid)
    public = {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    by_jwks = sdjwt_reference.verify(
        token, issuer_jwk=public, status_list_tokens=statuses, status_issuer_jwk=public
    )
    assert by_jwks["verified"] is True, by_jwks
    assert by_jwks["checks"]["issuerKey"] == "jwk"
    assert by_jwks["payload"] == by_x5c["payload"]

    # and they refuse it when they trust another root, or hold another key
    elsewhere = sdjwt_reference.verify(
        token, trusted_certificates=[pem(stranger.root)], status_list_tokens=statuses
    )
    assert elsewhere["verified"] is False
    assert "issuerKey" not in elsewhere["checks"]
    wrong_key = sdjwt_reference.verify(token, issuer_jwk=P256().public, status_list_tokens=statuses)
    assert wrong_key["verified"] is False
    assert "library" not in wrong_key["checks"]


def test_they_read_our_status_list_token_as_the_status_changes(
    service: Service, sdjwt_reference: SdJwtReference
) -> None:
    holder = P256()
    provider, credential, token = our_twin(service, holder)
    reference = status_reference(token)
    root = our_root(service)

    def theirs() -> tuple[int, dict[str, Any]]:
        lists = status_list_token(service, token)
        listing = sdjwt_reference.verify_status_list(
            lists[reference["uri"]], trusted_certificates=[root], indices=[reference["idx"]]
        )
        assert listing["verified"] is True, listing
        assert listing["header"]["typ"] == "statuslist+jwt"
        assert listing["payload"]["sub"] == reference["uri"]
        assert listing["bits"] == 2
        answer = sdjwt_reference.verify(
            token, trusted_certificates=[root], status_list_tokens=lists
        )
        assert answer["status"]["idx"] == reference["idx"]
        assert answer["status"]["value"] == listing["statuses"][0]
        return listing["statuses"][0], answer

    value, answer = theirs()
    assert value == 0 and answer["verified"] is True

    change_status(service, provider, credential["id"], "suspension", True)
    value, answer = theirs()
    assert value == 2 and answer["verified"] is False
    assert "status 2" in answer["error"]
    expect(verify(service, token), "suspended", "CREDENTIAL_SUSPENDED")

    change_status(service, provider, credential["id"], "suspension", False)
    value, answer = theirs()
    assert value == 0 and answer["verified"] is True
    expect(verify(service, token), "valid")

    change_status(service, provider, credential["id"], "revocation", True)
    value, answer = theirs()
    assert value == 1 and answer["verified"] is False
    expect(verify(service, token), "revoked", "CREDENTIAL_REVOKED")


def test_their_holder_presents_our_credential_and_both_verifiers_agree(
    service: Service, sdjwt_reference: SdJwtReference
) -> None:
    holder = P256()
    _provider, _credential, token = our_twin(service, holder)
    root = our_root(service)
    statuses = status_list_token(service, token)
    presentation = sdjwt_reference.present(
        token,
        presentation_frame={"name": True, "assessment": {"method": True}},
        holder_jwk=holder.private,
        nonce=NONCE,
        aud=AUD,
    )
    # their holder put in the two chosen disclosures and no others
    assert len(presentation.split("~")) == 4
    assert presentation.split("~")[-1].count(".") == 2  # the KB-JWT

    theirs = sdjwt_reference.verify(
        presentation,
        trusted_certificates=[root],
        status_list_tokens=statuses,
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    )
    assert theirs["verified"] is True, theirs
    assert theirs["checks"]["keyBinding"] == "nonce+sd_hash by library, aud by harness"
    assert theirs["kb"]["payload"]["nonce"] == NONCE
    ours = expect(verify(service, presentation, challenge=NONCE, domain=AUD), "valid")
    assert ours["summary"]["keyBinding"] is True
    assert sorted(ours["summary"]["disclosed"]) == ["/assessment/method", "/name"]
    their_claims = {k: v for k, v in theirs["payload"].items() if k not in REGISTERED}
    assert their_claims == ours["summary"]["claims"]
    assert their_claims["assessment"] == {"method": "practical"}
    assert "holder_id" not in their_claims

    # the same presentation with another nonce or audience: both refuse it
    for nonce, aud in (("another-nonce", AUD), (NONCE, "https://other.example")):
        refused = sdjwt_reference.verify(
            presentation,
            trusted_certificates=[root],
            status_list_tokens=statuses,
            require_key_binding=True,
            nonce=nonce,
            aud=aud,
        )
        assert refused["verified"] is False
        expect(
            verify(service, presentation, challenge=nonce, domain=aud),
            "not-genuine",
            "INVALID_KEY_BINDING",
        )


# --- (b) we verify theirs --------------------------------------------------------------

CLAIMS: dict[str, Any] = {
    "skill": {"id": "urn:example:skill:soldering", "name": "Soldering (IPC J-STD-001)"},
    "level": {"id": "urn:example:level:3", "name": "Independent"},
    "eqf_level": 3,
    "safety_certificate": False,
    "name": "Pieter Bakker",
    "assessment": {"date": "2026-05-12", "method": "practical"},
}
FRAME: dict[str, Any] = {"_sd": ["name"], "assessment": {"_sd": ["date", "method"]}, "_sd_decoy": 2}
VCT = "https://issuer.test/vct/skill"
#: the foreign status list: index 5 revoked, 6 suspended, 7 the application-specific
#: value 3 (Token Status List draft, "Status Types"), the rest valid
STATUSES = [0, 0, 0, 0, 0, 1, 2, 3]


def publish_status_list(
    remote: DocumentServer,
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
    path: str = "/status/1",
    signer: ForeignIssuer | None = None,
) -> str:
    """Their status list token, signed by ``signer`` (the issuer), served over HTTPS."""
    uri = remote.url(path)
    by = signer or issuer
    token = sdjwt_reference.create_status_list(
        statuses=STATUSES, bits=2, uri=uri, issuer_jwk=by.key.private, x5c=by.x5c, ttl=300
    )
    remote.put(path, token.encode("ascii"), "application/statuslist+jwt")
    return uri


def their_token(
    sdjwt_reference: SdJwtReference,
    issuer: ForeignIssuer,
    holder: P256,
    *,
    status: dict[str, Any] | None = None,
    exp: int | None = None,
) -> str:
    return sdjwt_reference.issue(
        issuer_jwk=issuer.key.private,
        iss=issuer.iss,
        vct=VCT,
        claims=CLAIMS,
        disclosure_frame=FRAME,
        holder_jwk=holder.public,
        x5c=issuer.x5c,
        status=status,
        exp=exp,
    )


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
    assert body["summary"]["issuer"] == issuer.iss
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


@pytest.mark.parametrize(
    ("frame", "disclosed"),
    [
        ({}, []),
        ({"evidence": {"0": True}}, ["/evidence/0"]),
        ({"holder_id": True, "assessment": {"date": True, "body": True}}, None),
    ],
)
def test_their_holder_chooses_other_parts_of_our_twin(
    service: Service,
    sdjwt_reference: SdJwtReference,
    frame: dict[str, Any],
    disclosed: list[str] | None,
) -> None:
    """Nothing disclosed, one evidence item (an array-element disclosure), holder id and
    two assessment members: their verifier and ours read the same claims."""
    holder = P256()
    _provider, _credential, token = our_twin(service, holder)
    presentation = sdjwt_reference.present(
        token, presentation_frame=frame, holder_jwk=holder.private, nonce=NONCE, aud=AUD
    )
    theirs = sdjwt_reference.verify(
        presentation,
        trusted_certificates=[our_root(service)],
        status_list_tokens=status_list_token(service, token),
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    )
    assert theirs["verified"] is True, theirs
    ours = expect(verify(service, presentation, challenge=NONCE, domain=AUD), "valid")
    assert ours["summary"]["claims"] == {
        k: v for k, v in theirs["payload"].items() if k not in REGISTERED
    }
    if disclosed is not None:
        assert ours["summary"]["disclosed"] == disclosed
    else:
        assert sorted(ours["summary"]["disclosed"]) == [
            "/assessment/body",
            "/assessment/date",
            "/holder_id",
        ]
    assert "name" not in ours["summary"]["claims"]
