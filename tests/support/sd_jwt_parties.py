"""The parties of the SD-JWT VC interop tests (tests/interop/sd_jwt/): P-256 keys as JWKs,
X.509 chains for other issuers, this service's twins and status list tokens, the tokens the
OWF library issues, and how a verification answer is read (verdict word, problem codes)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.test_skills_api import REQUEST, auth, issue, provider_with_skill
from tests.support.https_server import DocumentServer
from tests.support.sdjwt_reference import Jwk, SdJwtReference
from tests.support.service import Service

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


# --- this service's side --------------------------------------------------------------


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


# --- theirs ---------------------------------------------------------------------------

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
