"""SD-JWT VC twins over HTTP (draft-ietf-oauth-sd-jwt-vc, RFC 9901, Token Status List),
on SQLite and PostgreSQL: issuance from a stored skill credential, the metadata, the
status list token driven by the Bitstring Status List changes, and verification with the
negative cases of issue 16's must-show 3."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from cryptography import x509
from sqlalchemy import select

from skillcred.core import sdjwt
from skillcred.core.jose import ES256, P256KeyPair, b64url, public_jwk
from skillcred.core.token_status_list import StatusListBits, list_token
from skillcred.core.x509ca import make_leaf, make_root, x5c_value
from skillcred.services.status import LOCAL_READ_SECONDS
from skillcred.storage.models import Es256Key
from tests.integration.test_skills_api import REQUEST, auth, issue, provider_with_skill
from tests.support.https_server import DocumentServer
from tests.support.service import BASE_URL, Service

HOLDER = P256KeyPair.generate()


def skill_credential(service: Service, provider: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(REQUEST)
    body["holder"]["name"] = "Anna Jansen"
    response = issue(service, provider, body)
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    return credential


def twin(service: Service, provider: dict[str, Any], credential_id: str) -> str:
    response = service.client.post(
        "/sd-jwt-vc",
        json={"credentialId": credential_id, "holderJwk": public_jwk(HOLDER.public_key)},
        headers=auth(provider),
    )
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "dc+sd-jwt"
    token: str = response.json()["credential"]
    return token


def verify(service: Service, credential: Any, **options: Any) -> Any:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options:
        body["options"] = options
    return service.client.post("/credentials/verify", json=body)


def present(token: str, names: set[str], *, nonce: str, aud: str) -> str:
    """A holder's presentation of only the disclosures named, with a KB-JWT."""
    parsed = sdjwt.SdJwt.parse(token)
    chosen = [
        d
        for d in parsed.disclosures
        if (item := orjson.loads(base64.urlsafe_b64decode(d + "==")))
        and len(item) == 3
        and item[1] in names
    ]
    part = "~".join([parsed.issuer_jwt, *chosen]) + "~"
    return sdjwt.make_kb_jwt(part, HOLDER, nonce=nonce, audience=aud, iat=int(time.time()))


@pytest.fixture
def issued(service: Service) -> tuple[dict[str, Any], dict[str, Any], str]:
    provider = provider_with_skill(service)
    credential = skill_credential(service, provider)
    return provider, credential, twin(service, provider, credential["id"])


def test_twin_says_what_the_data_integrity_credential_says(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, credential, token = issued
    parsed = sdjwt.SdJwt.parse(token)
    header, payload = parsed.jws.header, parsed.jws.payload
    assert header["typ"] == "dc+sd-jwt"
    assert header["alg"] == "ES256"
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"{BASE_URL}/providers/lasschool"
    ]
    assert len(header["x5c"]) == 1  # the leaf, not the root (HAIP)
    assert payload["iss"] == f"{BASE_URL}/providers/lasschool"
    assert payload["vct"] == f"{BASE_URL}/vct/skills/certification"
    assert payload["cnf"]["jwk"] == public_jwk(HOLDER.public_key)
    # always visible
    assert payload["skill"]["name"] == "MIG/MAG fillet welding"
    assert payload["level"]["name"] == "Independent"
    assert payload["eqf_level"] == 3
    assert payload["safety_certificate"] is True
    assert payload["exp"] > payload["nbf"]
    # selectively disclosable, never in the clear
    assert "name" not in payload
    assert "Anna Jansen" not in orjson.dumps(payload).decode()
    assert len(payload["_sd"]) >= 3  # the holder's claims and decoys
    revealed = sdjwt.disclose(payload, parsed.disclosures).claims
    assert revealed["name"] == "Anna Jansen"
    assert revealed["assessment"]["method"] == "practical"
    # the status entry is the credential's revocation entry, in the token list of that id
    revocation = next(
        e for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation"
    )
    reference = payload["status"]["status_list"]
    assert reference["idx"] == int(revocation["statusListIndex"])
    list_id = revocation["statusListCredential"].rsplit("/", 1)[1]
    assert reference["uri"] == f"{BASE_URL}/token-status-lists/{list_id}"


def test_metadata_is_served(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, _credential, token = issued
    payload = sdjwt.SdJwt.parse(token).jws.payload
    metadata = service.client.get("/.well-known/jwt-vc-issuer/providers/lasschool").json()
    assert metadata["issuer"] == payload["iss"]
    kid = sdjwt.SdJwt.parse(token).jws.header["kid"]
    assert [k["kid"] for k in metadata["jwks"]["keys"]] == [kid]
    vct = service.client.get(urlsplit(payload["vct"]).path).json()
    assert vct["vct"] == payload["vct"]
    assert {d["lang"] for d in vct["display"]} == {"en", "nl"}
    assert vct["schema"]["properties"]["vct"]["const"] == payload["vct"]
    root = service.client.get("/issuing-ca.pem")
    assert root.status_code == 200
    ca = x509.load_pem_x509_certificate(root.content)
    leaf = x509.load_der_x509_certificate(
        base64.b64decode(sdjwt.SdJwt.parse(token).jws.header["x5c"][0])
    )
    leaf.verify_directly_issued_by(ca)
    assert service.client.get("/vct/skills/nothing").status_code == 404


def _token_status(service: Service, token: str) -> tuple[int, Any]:
    reference = sdjwt.SdJwt.parse(token).jws.payload["status"]["status_list"]
    response = service.client.get(urlsplit(reference["uri"]).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/statuslist+jwt")
    assert "max-age" in response.headers["cache-control"]
    jws = sdjwt.CompactJws.parse(response.text, what="status list token")
    assert jws.header["typ"] == "statuslist+jwt"
    assert jws.payload["sub"] == reference["uri"]
    assert jws.payload["exp"] == jws.payload["iat"] + jws.payload["ttl"]
    bits = StatusListBits.decode(jws.payload["status_list"])
    assert bits.bits == 2
    return bits.get(reference["idx"]), response


def _change(service: Service, provider: dict[str, Any], cid: str, purpose: str, on: bool) -> None:
    response = service.client.post(
        "/credentials/status",
        json={
            "credentialId": cid,
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
            "status": on,
        },
        headers=auth(provider),
    )
    assert response.status_code == 200, response.text


def test_status_follows_the_bitstring_status_changes(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    provider, credential, token = issued
    value, first = _token_status(service, token)
    assert value == 0
    etag = first.headers["etag"]
    again = service.client.get(
        urlsplit(sdjwt.SdJwt.parse(token).jws.payload["status"]["status_list"]["uri"]).path,
        headers={"If-None-Match": etag},
    )
    assert again.status_code == 304
    assert verify(service, token).json()["verdict"] == "valid"

    _change(service, provider, credential["id"], "suspension", True)
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a verifier here re-reads its lists after this
    value, changed = _token_status(service, token)
    assert value == 2
    assert changed.headers["etag"] != etag
    assert verify(service, token).json()["verdict"] == "suspended"

    _change(service, provider, credential["id"], "suspension", False)
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a verifier here re-reads its lists after this
    assert _token_status(service, token)[0] == 0
    assert verify(service, token).json()["verdict"] == "valid"

    _change(service, provider, credential["id"], "revocation", True)
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a verifier here re-reads its lists after this
    assert _token_status(service, token)[0] == 1
    answer = verify(service, token)
    assert answer.status_code == 422
    assert answer.json()["verdict"] == "revoked"
    assert answer.headers["Skillcred-Verdict"] == "revoked"


def test_verify_reports_the_disclosed_claims(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, _credential, token = issued
    full = verify(service, token)
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["verdict"] == "valid"
    assert body["summary"]["format"] == "dc+sd-jwt"
    assert body["summary"]["claims"]["name"] == "Anna Jansen"
    assert "/name" in body["summary"]["disclosed"]
    trust = next(c for c in body["checks"] if c["check"] == "issuerTrust")
    assert trust["trusted"] is True

    # without any disclosure: still genuine, the personal data absent
    bare = sdjwt.SdJwt.parse(token).issuer_jwt + "~"
    answer = verify(service, bare).json()
    assert answer["verdict"] == "valid"
    assert "name" not in answer["summary"]["claims"]
    assert answer["summary"]["claims"]["skill"]["name"] == "MIG/MAG fillet welding"
    assert answer["summary"]["disclosed"] == []

    # a presentation of the name alone, with key binding, as an enveloped credential
    presentation = present(token, {"name"}, nonce="n-1", aud="https://employer.example")
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": "data:application/dc+sd-jwt," + presentation,
    }
    for credential in (presentation, enveloped):
        answer = verify(
            service, credential, challenge="n-1", domain="https://employer.example"
        ).json()
        assert answer["verdict"] == "valid", answer
        assert answer["summary"]["disclosed"] == ["/name"]
        assert answer["summary"]["keyBinding"] is True
        assert (
            "assessment" not in answer["summary"]["claims"]
            or not answer["summary"]["claims"]["assessment"]
        )


def _not_genuine(answer: Any, words: str) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["verdict"] == "not-genuine", body
    assert words in orjson.dumps(body).decode()


def test_negative_cases(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, _credential, token = issued
    parsed = sdjwt.SdJwt.parse(token)

    # a disclosure that is in no digest
    stray = sdjwt.make_disclosure("name", "Mallory")
    _not_genuine(verify(service, parsed.issuer_jwt + "~" + stray + "~"), "not referenced")

    # a tampered disclosure: same salt and name, another value
    original = next(
        d
        for d in parsed.disclosures
        if orjson.loads(base64.urlsafe_b64decode(d + "=="))[1:2] == ["name"]
    )
    salt = orjson.loads(base64.urlsafe_b64decode(original + "=="))[0]
    tampered = sdjwt.make_disclosure("name", "Mallory", salt=salt)
    _not_genuine(verify(service, parsed.issuer_jwt + "~" + tampered + "~"), "not referenced")

    # KB-JWT: wrong nonce, wrong audience, wrong sd_hash
    good = present(token, {"name"}, nonce="right", aud="https://employer.example")
    _not_genuine(
        verify(service, good, challenge="wrong", domain="https://employer.example"), "nonce"
    )
    _not_genuine(verify(service, good, challenge="right", domain="https://other.example"), "aud")
    kb = good.rsplit("~", 1)[1]
    swapped = parsed.issuer_jwt + "~" + kb  # the KB-JWT over a presentation with a disclosure
    _not_genuine(
        verify(service, swapped, challenge="right", domain="https://employer.example"), "sd_hash"
    )
    # a challenge was asked for, and the presentation has no key binding
    _not_genuine(
        verify(service, token, challenge="right", domain="https://employer.example"), "no KB-JWT"
    )

    # a signature over other claims
    header, _payload, signature = parsed.issuer_jwt.split(".")
    claims = dict(parsed.jws.payload, eqf_level=8)
    forged = f"{header}.{b64url(orjson.dumps(claims))}.{signature}~"
    _not_genuine(verify(service, forged), "signature")


def _foreign(*, iss: str, ca: P256KeyPair, root: x509.Certificate, exp: int | None = None) -> str:
    now = dt.datetime.now(dt.UTC)
    key = P256KeyPair.generate()
    leaf = make_leaf(ca, root, key.public_key, issuer_url=iss, common_name="x", now=now)
    claims: dict[str, Any] = {
        "iss": iss,
        "vct": f"{BASE_URL}/vct/skills/competency",
        "iat": int(time.time()),
        "cnf": {"jwk": public_jwk(HOLDER.public_key)},
        "skill": {"id": "urn:x", "name": "x"},
    }
    if exp is not None:
        claims["exp"] = exp
    return sdjwt.issue({"alg": ES256, "typ": "dc+sd-jwt", "x5c": x5c_value([leaf])}, claims, key)


def test_x5c_and_issuer_binding(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    now = dt.datetime.now(dt.UTC)
    ca = P256KeyPair.generate()
    root = make_root(ca, common_name="somebody's CA", now=now)
    # a key that chains to no trusted root, for an issuer elsewhere: cannot be bound to it
    answer = verify(service, _foreign(iss="https://elsewhere.example/issuer", ca=ca, root=root))
    body = answer.json()
    assert body["verdict"] == "cannot-check", body
    assert "no trusted root" in orjson.dumps(body).decode()
    # the same key claiming to be a provider of this service: not its key, not genuine
    _not_genuine(
        verify(service, _foreign(iss=f"{BASE_URL}/providers/lasschool", ca=ca, root=root)),
        "not a key of",
    )
    # expired
    expired = _foreign(
        iss=f"{BASE_URL}/providers/lasschool", ca=ca, root=root, exp=int(time.time()) - 10
    )
    assert verify(service, expired).json()["verdict"] == "not-genuine"  # genuineness first


def test_expired_twin_is_expired(service: Service) -> None:
    provider = provider_with_skill(service)
    body = copy.deepcopy(REQUEST)
    body["validFrom"] = "2020-01-01T00:00:00Z"
    body["validUntil"] = "2021-01-01T00:00:00Z"
    response = issue(service, provider, body)
    assert response.status_code == 201, response.text
    token = twin(service, provider, response.json()["verifiableCredential"]["id"])
    answer = verify(service, token)
    assert answer.status_code == 422
    assert answer.json()["verdict"] == "expired"


def test_twin_requests_are_checked(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    provider, credential, _token = issued
    other = service.create_provider("other")
    refused = service.client.post(
        "/sd-jwt-vc",
        json={"credentialId": credential["id"], "holderJwk": public_jwk(HOLDER.public_key)},
        headers=auth(other),
    )
    assert refused.status_code == 404  # another provider's credential
    private = {**public_jwk(HOLDER.public_key), "d": b64url(HOLDER.secret())}
    bad = service.client.post(
        "/sd-jwt-vc",
        json={"credentialId": credential["id"], "holderJwk": private},
        headers=auth(provider),
    )
    assert bad.status_code == 400
    assert "private" in bad.json()["detail"]
    unauthenticated = service.client.post(
        "/sd-jwt-vc",
        json={"credentialId": credential["id"], "holderJwk": public_jwk(HOLDER.public_key)},
    )
    assert unauthenticated.status_code == 401


def test_a_compromised_es256_key_revokes_its_twins(
    service: Service, issued: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    provider, credential, token = issued
    kid = sdjwt.SdJwt.parse(token).jws.header["kid"]
    assert verify(service, token).json()["verdict"] == "valid"
    reported = service.client.post(
        f"/admin/providers/lasschool/keys/{kid}/compromise", json={}, headers=service.admin()
    )
    assert reported.status_code == 200, reported.text
    new_kid = reported.json()["newVerificationMethod"]
    assert new_kid and new_kid != kid
    answer = verify(service, token).json()
    assert answer["verdict"] == "revoked", answer
    assert "compromised" in answer["verdictReason"]
    metadata = service.client.get("/.well-known/jwt-vc-issuer/providers/lasschool").json()
    assert [k["kid"] for k in metadata["jwks"]["keys"]] == [new_kid]
    # a new twin is signed by the new key, and is valid; the Data Integrity one is untouched
    fresh = twin(service, provider, credential["id"])
    assert sdjwt.SdJwt.parse(fresh).jws.header["kid"] == new_kid
    assert verify(service, fresh).json()["verdict"] == "valid"
    assert verify(service, credential).json()["verdict"] == "valid"


def test_another_issuer_bound_by_its_issuer_metadata(
    open_service: Service, remote: DocumentServer
) -> None:
    """An issuer elsewhere without a trusted x5c: its JWT VC Issuer Metadata names its key
    (genuine, untrusted); a key it does not list is not genuine; its remote Token Status
    List is fetched and read."""
    service = open_service
    issuer = remote.url("/issuers/acme")
    key = P256KeyPair.generate()
    remote.put(
        "/.well-known/jwt-vc-issuer/issuers/acme",
        {"issuer": issuer, "jwks": {"keys": [{**public_jwk(key.public_key), "kid": "k1"}]}},
    )
    status_uri = remote.url("/status/1")

    def publish(statuses: dict[int, int]) -> None:
        token = list_token(
            uri=status_uri,
            statuses=statuses,
            size=64,
            iat=int(time.time()),
            ttl=300,
            signer=key,
            header={"kid": "k1"},
        )
        remote.put("/status/1", token.encode(), "application/statuslist+jwt")

    claims = {
        "iss": issuer,
        "vct": "https://acme.example/vct/welding",
        "iat": int(time.time()),
        "cnf": {"jwk": public_jwk(HOLDER.public_key)},
        "status": {"status_list": {"idx": 7, "uri": status_uri}},
        "skill": "welding",
        "name": sdjwt.Disclosable("Anna"),
    }
    token = sdjwt.issue({"alg": ES256, "typ": "dc+sd-jwt", "kid": "k1"}, claims, key)
    publish({})
    answer = verify(service, token).json()
    assert answer["verdict"] == "untrusted-issuer", answer
    assert answer["summary"]["claims"]["name"] == "Anna"
    publish({7: 1})
    assert verify(service, token).json()["verdict"] == "revoked"

    # signed by a key the metadata does not list, even with a self-made x5c for the issuer
    stranger = P256KeyPair.generate()
    now = dt.datetime.now(dt.UTC)
    root = make_root(stranger, common_name="self", now=now)
    leaf = make_leaf(
        stranger, root, stranger.public_key, issuer_url=issuer, common_name="x", now=now
    )
    forged = sdjwt.issue(
        {"alg": ES256, "typ": "dc+sd-jwt", "x5c": x5c_value([leaf])}, claims, stranger
    )
    _not_genuine(verify(service, forged), "issuer metadata")

    # the metadata gone: cannot be checked, never valid
    remote.documents.pop("/.well-known/jwt-vc-issuer/issuers/acme")
    other = sdjwt.issue({"alg": ES256, "typ": "dc+sd-jwt"}, {**claims, "iss": issuer + "x"}, key)
    assert verify(service, other).json()["verdict"] == "cannot-check"


def test_a_provider_from_before_gets_its_es256_key_lazily(backend: str, tmp_path: Path) -> None:
    """Migration 0011 down and up: a provider registered without an ES256 key (as before
    SD-JWT VC) gets one, with its certificate, on first use; nothing else changes."""
    from tests.integration.test_migration_key_lifecycle import _run
    from tests.support.databases import fresh_database_url
    from tests.support.service import running_service

    with fresh_database_url(backend, tmp_path) as url:
        with running_service(url, tmp_path / "data") as service:
            provider = provider_with_skill(service)
            credential = skill_credential(service, provider)
        _run(url, "downgrade", "0010")
        _run(url, "upgrade", "head")
        with running_service(url, tmp_path / "data2") as service:
            with service.database.reading() as session:
                assert session.scalars(select(Es256Key)).all() == []
            token = twin(service, provider, credential["id"])
            assert verify(service, token).json()["verdict"] == "valid"
            assert verify(service, credential).json()["verdict"] == "valid"
            with service.database.reading() as session:
                rows = session.scalars(select(Es256Key)).all()
            assert sorted(r.purpose for r in rows) == ["ca", "sd-jwt"]


def test_an_x5c_chain_to_a_root_on_the_trust_list(backend: str, tmp_path: Path) -> None:
    """A trust list may hold X.509 roots: an issuer elsewhere whose x5c leaf (SAN URI =
    its iss) chains to one is genuine and trusted; a leaf for another URI is not genuine."""
    from skillcred.core.x509ca import pem
    from tests.support.databases import fresh_database_url
    from tests.support.service import running_service

    now = dt.datetime.now(dt.UTC)
    ca = P256KeyPair.generate()
    root = make_root(ca, common_name="Sector CA", now=now)
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(
        orjson.dumps(
            {"issuers": [], "x509Roots": [{"certificate": pem(root), "name": "Sector CA"}]}
        ).decode()
    )
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "data", trust_list_file=trust_file) as service,
    ):
        issuer = "https://sector.example/issuer"
        answer = verify(service, _foreign(iss=issuer, ca=ca, root=root)).json()
        assert answer["verdict"] == "valid", answer
        trust = next(c for c in answer["checks"] if c["check"] == "issuerTrust")
        assert trust["trusted"] is True and trust["issuerName"] == "Sector CA"
        assert trust["basis"] == "trust-list"
        # the leaf certifies another issuer
        key = P256KeyPair.generate()
        leaf = make_leaf(
            ca, root, key.public_key, issuer_url="https://other.example", common_name="o", now=now
        )
        forged = sdjwt.issue(
            {"alg": ES256, "typ": "dc+sd-jwt", "x5c": x5c_value([leaf])},
            {"iss": issuer, "vct": "https://v.example/x", "skill": "x"},
            key,
        )
        _not_genuine(verify(service, forged), "https://other.example")
        # an expired token from the trusted issuer
        expired = _foreign(iss=issuer, ca=ca, root=root, exp=int(time.time()) - 60)
        assert verify(service, expired).json()["verdict"] == "expired"
