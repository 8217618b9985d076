"""SD-JWT (RFC 9901), the Token Status List codec (draft-ietf-oauth-status-list) and the
X.509 chain check: known answers from the specifications' examples, and a negative test
beside each positive one."""

from __future__ import annotations

import datetime as dt
import time

import orjson
import pytest

from skillcred.core import sdjwt
from skillcred.core.jose import ES256, CompactJws, P256KeyPair, b64url, public_jwk
from skillcred.core.token_status_list import StatusListBits, encode, list_token, read_token
from skillcred.core.x509ca import check_chain, make_leaf, make_root, read_x5c, x5c_value
from skillcred.errors import KeyBindingError, SdJwtError

NOW = dt.datetime.now(dt.UTC)


# --- known answers -----------------------------------------------------------------------


def test_disclosure_digests_of_rfc_9901() -> None:
    # RFC 9901 §4.2.3 (an object property) and §4.2.4.2 (an array element)
    assert (
        sdjwt.digest("WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0")
        == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
    )
    assert (
        sdjwt.digest("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0")
        == "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
    )


def test_rfc_9901_disclosure_is_put_back() -> None:
    disclosure = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    payload = {"_sd": ["X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"], "_sd_alg": "sha-256"}
    found = sdjwt.disclose(payload, [disclosure])
    assert found.claims == {"family_name": "Möbius"}
    assert found.disclosed == ["/family_name"]


def test_status_list_examples_of_the_draft() -> None:
    # draft-ietf-oauth-status-list §4.1 examples: 1 bit (0xB9 0xA3) and 2 bits (0xC9 0x44 0xF9)
    one = StatusListBits.decode({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})
    assert one.data == bytes([0xB9, 0xA3])
    assert [one.get(i) for i in range(16)] == [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    two = StatusListBits.decode({"bits": 2, "lst": "eNo76fITAAPfAgc"})
    expected = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    assert [two.get(i) for i in range(12)] == expected
    assert encode(dict(enumerate(expected)), size=12, bits=2) == "eNo76fITAAPfAgc"


def test_status_list_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        encode({12: 1}, size=12, bits=2)
    with pytest.raises(ValueError, match="does not fit"):
        encode({0: 4}, size=12, bits=2)
    with pytest.raises(ValueError, match="bits"):
        StatusListBits.decode({"bits": 3, "lst": "eNo76fITAAPfAgc"})
    with pytest.raises(ValueError, match="decompress"):
        StatusListBits.decode({"bits": 2, "lst": "AAAA"})
    with pytest.raises(IndexError):
        StatusListBits.decode({"bits": 2, "lst": "eNo76fITAAPfAgc"}).get(12)


def test_status_list_token_round_trip_and_checks() -> None:
    key = P256KeyPair.generate()
    token = list_token(
        uri="https://x/l/1",
        statuses={5: 1, 7: 2},
        size=64,
        iat=int(time.time()),
        ttl=300,
        signer=key,
        header={"kid": "k"},
    )
    jws, bits = read_token(token, uri="https://x/l/1", now=time.time())
    assert jws.header["typ"] == "statuslist+jwt"
    assert jws.verifies_with(key.public_key)
    assert (bits.get(5), bits.get(7), bits.get(6)) == (1, 2, 0)
    with pytest.raises(ValueError, match="sub"):
        read_token(token, uri="https://x/l/2", now=time.time())
    with pytest.raises(ValueError, match="expired"):
        read_token(token, uri="https://x/l/1", now=time.time() + 3600)


# --- issuing and disclosing ------------------------------------------------------------------


def _issued() -> tuple[P256KeyPair, P256KeyPair, str]:
    issuer, holder = P256KeyPair.generate(), P256KeyPair.generate()
    token = sdjwt.issue(
        {"alg": ES256, "typ": "dc+sd-jwt"},
        {
            "iss": "https://issuer.example",
            "cnf": {"jwk": public_jwk(holder.public_key)},
            "skill": "welding",
            "name": sdjwt.Disclosable("Anna"),
            "assessment": {"date": sdjwt.Disclosable("2026-02-27"), "kind": "practical"},
            "evidence": [sdjwt.Disclosable({"name": "report"}), "public"],
        },
        issuer,
        decoys=2,
    )
    return issuer, holder, token


def test_issue_hides_and_disclose_restores() -> None:
    issuer, _holder, token = _issued()
    parsed = sdjwt.SdJwt.parse(token)
    assert parsed.jws.verifies_with(issuer.public_key)
    payload = parsed.jws.payload
    assert "name" not in payload
    assert len(payload["_sd"]) == 3  # name and two decoys
    assert len(payload["assessment"]["_sd"]) == 3
    assert payload["evidence"][1] == "public"
    assert set(payload["evidence"][0]) == {"..."}
    found = sdjwt.disclose(payload, parsed.disclosures)
    assert found.claims["name"] == "Anna"
    assert found.claims["assessment"] == {"date": "2026-02-27", "kind": "practical"}
    assert found.claims["evidence"] == [{"name": "report"}, "public"]
    assert sorted(found.disclosed) == ["/assessment/date", "/evidence/0", "/name"]
    # no disclosures: the always-visible claims alone
    bare = sdjwt.disclose(payload, [])
    assert bare.claims["skill"] == "welding"
    assert "name" not in bare.claims
    assert bare.claims["evidence"] == ["public"]


def test_a_disclosure_in_no_digest_is_refused() -> None:
    _issuer, _holder, token = _issued()
    parsed = sdjwt.SdJwt.parse(token)
    with pytest.raises(SdJwtError, match="not referenced"):
        sdjwt.disclose(parsed.jws.payload, [sdjwt.make_disclosure("name", "Mallory")])


def test_a_tampered_disclosure_is_refused() -> None:
    _issuer, _holder, token = _issued()
    parsed = sdjwt.SdJwt.parse(token)
    for disclosure in parsed.disclosures:
        item = orjson.loads(sdjwt.b64url_decode(disclosure))
        if len(item) == 3 and item[1] == "name":
            forged = sdjwt.make_disclosure("name", "Mallory", salt=item[0])
            with pytest.raises(SdJwtError, match="not referenced"):
                sdjwt.disclose(parsed.jws.payload, [forged])
            return
    pytest.fail("the name disclosure is missing")


def test_repeated_disclosures_and_digests_are_refused() -> None:
    _issuer, _holder, token = _issued()
    parsed = sdjwt.SdJwt.parse(token)
    with pytest.raises(SdJwtError, match="twice"):
        sdjwt.disclose(parsed.jws.payload, [parsed.disclosures[0]] * 2)
    payload = dict(parsed.jws.payload)
    payload["_sd"] = [*payload["_sd"], payload["_sd"][0]]
    with pytest.raises(SdJwtError, match="more than once"):
        sdjwt.disclose(payload, [])
    clash = sdjwt.make_disclosure("skill", "forged")
    payload = dict(parsed.jws.payload)
    payload["_sd"] = [*payload["_sd"], sdjwt.digest(clash)]
    with pytest.raises(SdJwtError, match="already in the payload"):
        sdjwt.disclose(payload, [clash])


def test_malformed_sd_jwts_are_refused() -> None:
    with pytest.raises(SdJwtError, match="no '~'"):
        sdjwt.SdJwt.parse("a.b.c")
    with pytest.raises(SdJwtError, match="compact JWS"):
        sdjwt.SdJwt.parse("nonsense~")
    with pytest.raises(SdJwtError, match="empty disclosure"):
        sdjwt.SdJwt.parse("a.b.c~~x~")
    with pytest.raises(SdJwtError, match="cannot be selectively"):
        sdjwt.conceal({"_sd": sdjwt.Disclosable(1)})


# --- key binding ------------------------------------------------------------------------------


def _presented(token: str, holder: P256KeyPair, **overrides: object) -> sdjwt.SdJwt:
    parsed = sdjwt.SdJwt.parse(token)
    part = parsed.issuer_jwt + "~" + parsed.disclosures[0] + "~"
    options = {"nonce": "n", "audience": "https://verifier", "iat": int(time.time())}
    options.update(overrides)
    return sdjwt.SdJwt.parse(sdjwt.make_kb_jwt(part, holder, **options))  # type: ignore[arg-type]


def test_key_binding_holds() -> None:
    _issuer, holder, token = _issued()
    presented = _presented(token, holder)
    claims = sdjwt.check_key_binding(
        presented,
        presented.jws.payload["cnf"],
        nonce="n",
        audience="https://verifier",
        now=time.time(),
    )
    assert claims["nonce"] == "n"


@pytest.mark.parametrize(
    ("nonce", "audience", "match"),
    [("other", "https://verifier", "nonce"), ("n", "https://other", "aud")],
)
def test_key_binding_refuses_wrong_nonce_and_audience(
    nonce: str, audience: str, match: str
) -> None:
    _issuer, holder, token = _issued()
    presented = _presented(token, holder)
    with pytest.raises(KeyBindingError, match=match):
        sdjwt.check_key_binding(
            presented, presented.jws.payload["cnf"], nonce=nonce, audience=audience, now=time.time()
        )


def test_key_binding_refuses_a_wrong_sd_hash_and_key() -> None:
    _issuer, holder, token = _issued()
    presented = _presented(token, holder)
    # the same KB-JWT after another disclosure: sd_hash no longer matches
    moved = sdjwt.SdJwt(
        presented.jws,
        presented.issuer_jwt,
        (*presented.disclosures, sdjwt.SdJwt.parse(token).disclosures[1]),
        presented.kb_jwt,
    )
    with pytest.raises(KeyBindingError, match="sd_hash"):
        sdjwt.check_key_binding(
            moved, moved.jws.payload["cnf"], nonce="n", audience="https://verifier", now=time.time()
        )
    stranger = _presented(token, P256KeyPair.generate())
    with pytest.raises(KeyBindingError, match="signature"):
        sdjwt.check_key_binding(
            stranger,
            stranger.jws.payload["cnf"],
            nonce="n",
            audience="https://verifier",
            now=time.time(),
        )
    stale = _presented(token, holder, iat=int(time.time()) - 3600)
    with pytest.raises(KeyBindingError, match="older"):
        sdjwt.check_key_binding(
            stale, stale.jws.payload["cnf"], nonce=None, audience=None, now=time.time()
        )


# --- JWS and X.509 ------------------------------------------------------------------------------


def test_a_changed_payload_does_not_verify() -> None:
    issuer, _holder, token = _issued()
    jwt_part = token.split("~")[0]
    header, _payload, signature = jwt_part.split(".")
    forged = f"{header}.{b64url(b'{}')}.{signature}"
    assert not CompactJws.parse(forged, what="x").verifies_with(issuer.public_key)
    assert CompactJws.parse(jwt_part, what="x").verifies_with(issuer.public_key)


def test_x5c_chain_to_a_trusted_root() -> None:
    ca, other_ca, key = P256KeyPair.generate(), P256KeyPair.generate(), P256KeyPair.generate()
    root = make_root(ca, common_name="ca", now=NOW)
    other_root = make_root(other_ca, common_name="other", now=NOW)
    leaf = make_leaf(
        ca, root, key.public_key, issuer_url="https://i.example", common_name="i", now=NOW
    )
    chain = read_x5c(x5c_value([leaf]))
    answer = check_chain(chain, [other_root, root], now=NOW)
    assert answer.root == root
    assert answer.san_uris == ("https://i.example",)
    assert check_chain(chain, [other_root], now=NOW).root is None
    later = NOW + dt.timedelta(days=3000)
    assert "validity" in str(check_chain(chain, [root], now=later).problem)
    # a leaf is no CA: a certificate it "issued" chains to nothing
    fake = make_leaf(
        key,
        leaf,
        P256KeyPair.generate().public_key,
        issuer_url="https://i.example",
        common_name="f",
        now=NOW,
    )
    assert check_chain(read_x5c(x5c_value([fake, leaf])), [root], now=NOW).root is None
    with pytest.raises(ValueError, match="x5c"):
        read_x5c(["not base64 DER"])
