"""SD-JWT VCs that must not verify as *valid*, through ``POST /credentials/verify``, each
with the verdict word DESIGN.md gives it and the precise problem code (issue 16,
must-show 3).

The cases on this service's own twins (a foreign or tampered disclosure, a KB-JWT with a
wrong nonce, audience or ``sd_hash``, an expired twin, a revoked index) are in
test_sd_jwt_vc.py and, with their codes, in tests/interop/sd_jwt/ on
tokens the OWF library made. These are the ones neither covers: another issuer's token
under a root on the trust list whose key is not that issuer's or did not sign it, a
broken or outdated chain, the wrong algorithm or type, dates ahead, a disclosure given
twice, a stale or mistyped KB-JWT. A control case beside them verifies as *valid*.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509

from skillcred.core import sdjwt
from skillcred.core.jose import ES256, P256KeyPair, b64url, public_jwk, sign_compact
from skillcred.core.x509ca import make_leaf, make_root, pem, x5c_value
from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service

ISS = "https://college.test/issuer"
HOLDER = P256KeyPair.generate()
NOW = dt.datetime.now(dt.UTC)


class Issuer:
    """A foreign issuer: a root CA (put on the service's trust list) and its ES256 key
    certified for ``ISS``."""

    def __init__(self, *, now: dt.datetime = NOW, san: str = ISS) -> None:
        self.ca = P256KeyPair.generate()
        self.root = make_root(self.ca, common_name="College root", now=now)
        self.key = P256KeyPair.generate()
        self.leaf = make_leaf(
            self.ca, self.root, self.key.public_key, issuer_url=san, common_name="College", now=now
        )

    def token(
        self,
        *,
        claims: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
        chain: list[x509.Certificate] | None = None,
        signer: P256KeyPair | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "iss": ISS,
            "vct": "https://college.test/vct/skill",
            "iat": int(time.time()),
            "cnf": {"jwk": public_jwk(HOLDER.public_key)},
            "skill": {"id": "urn:x:skill", "name": "Soldering"},
            "name": sdjwt.Disclosable("Pieter Bakker"),
        }
        body.update(claims or {})
        head: dict[str, Any] = {
            "alg": ES256,
            "typ": "dc+sd-jwt",
            "x5c": x5c_value(chain or [self.leaf]),
        }
        head.update(header or {})
        return sdjwt.issue(head, body, signer or self.key)


TRUSTED = Issuer()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service for the module (nothing here writes): TRUSTED's root on its trust list."""
    folder = tmp_path_factory.mktemp("sd-jwt-negatives")
    trust = folder / "trust.json"
    trust.write_text(
        json.dumps(
            {"issuers": [], "x509Roots": [{"certificate": pem(TRUSTED.root), "name": "College"}]}
        )
    )
    with (
        fresh_database_url("sqlite", folder) as url,
        running_service(url, folder / "data", trust_list_file=trust) as svc,
    ):
        yield svc


def codes(body: dict[str, Any]) -> set[str]:
    found = {p["code"] for c in body["checks"] for p in c.get("problems", [])}
    return found | {p["code"] for p in body["proofs"] for p in p.get("problems", [])}


def _resign_header(token: str, header: dict[str, Any], key: P256KeyPair) -> str:
    """The same payload and disclosures under another header (signed anew unless alg is
    not ES256, then with an ES256 signature all the same)."""
    jwt, rest = token.split("~", 1)
    payload = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))
    if header.get("alg") == ES256:
        return sign_compact(header, payload, key) + "~" + rest
    signed = sign_compact({**header, "alg": ES256}, payload, key)
    _h, p, s = signed.split(".")
    return f"{b64url(json.dumps(header).encode())}.{p}.{s}~{rest}"


def _repeat_disclosure(token: str) -> str:
    jwt, first, *rest = token.rstrip("~").split("~")
    return "~".join([jwt, first, first, *rest]) + "~"


def _kb(token: str, *, iat: int, typ: str = "kb+jwt", nonce: str = "n-1") -> str:
    payload = {
        "iat": iat,
        "aud": "https://employer.example",
        "nonce": nonce,
        "sd_hash": b64url(hashlib.sha256(token.encode("ascii")).digest()),
    }
    return token + sign_compact({"alg": ES256, "typ": typ}, payload, HOLDER)


def _other_issuer() -> str:
    """A leaf from TRUSTED's own CA, certified for another URI than the token's iss."""
    key = P256KeyPair.generate()
    leaf = make_leaf(
        TRUSTED.ca,
        TRUSTED.root,
        key.public_key,
        issuer_url="https://another.test/issuer",
        common_name="Another",
        now=NOW,
    )
    return TRUSTED.token(chain=[leaf], signer=key)


def _broken_chain() -> str:
    """The leaf is signed by an unlisted CA; the trusted root is appended to pretend."""
    rogue = Issuer()
    return rogue.token(chain=[rogue.leaf, TRUSTED.root])


def _outdated_leaf() -> str:
    """A leaf that expired (issued three years ago, 825 days' lifetime) under the trusted
    root."""
    then = NOW - dt.timedelta(days=3 * 365)
    key = P256KeyPair.generate()
    leaf = make_leaf(
        TRUSTED.ca, TRUSTED.root, key.public_key, issuer_url=ISS, common_name="Old", now=then
    )
    return TRUSTED.token(chain=[leaf], signer=key)


ISSUER_KEY_CODES = {
    "KEY_NOT_ISSUERS",
    "INVALID_SIGNATURE",
    "UNTRUSTED_CHAIN",
    "UNSUPPORTED_ALGORITHM",
}
Case = tuple[Callable[[], str], dict[str, Any], str, str | None]
CASES: dict[str, Case] = {
    # name: (token, options, verdict, problem code)
    "control: trusted root, all well": (lambda: TRUSTED.token(), {}, "valid", None),
    "x5c for another issuer under a trusted root": (
        _other_issuer,
        {},
        "not-genuine",
        "KEY_NOT_ISSUERS",
    ),
    "signed by a key other than the x5c leaf's": (
        lambda: TRUSTED.token(signer=P256KeyPair.generate()),
        {},
        "not-genuine",
        "INVALID_SIGNATURE",
    ),
    "x5c chain broken before the trusted root": (
        _broken_chain,
        {},
        "cannot-check",
        "UNTRUSTED_CHAIN",
    ),
    "x5c leaf outside its validity period": (
        _outdated_leaf,
        {},
        "cannot-check",
        "UNTRUSTED_CHAIN",
    ),
    "not yet valid (nbf ahead)": (
        lambda: TRUSTED.token(claims={"nbf": int(time.time()) + 86400}),
        {},
        "not-yet-valid",
        "CREDENTIAL_NOT_YET_VALID",
    ),
    "alg none": (
        lambda: _resign_header(TRUSTED.token(), {"alg": "none", "typ": "dc+sd-jwt"}, TRUSTED.key),
        {},
        "cannot-check",
        "UNSUPPORTED_ALGORITHM",
    ),
    "typ JWT, not dc+sd-jwt": (
        lambda: _resign_header(
            TRUSTED.token(),
            {"alg": ES256, "typ": "JWT", "x5c": x5c_value([TRUSTED.leaf])},
            TRUSTED.key,
        ),
        {},
        "invalid",
        "MALFORMED_SD_JWT",
    ),
    "a disclosure given twice": (
        lambda: _repeat_disclosure(TRUSTED.token()),
        {},
        "not-genuine",
        "INVALID_DISCLOSURE",
    ),
    "control: a KB-JWT an hour old, no challenge asked (kept in a file)": (
        lambda: _kb(TRUSTED.token(), iat=int(time.time()) - 3600),
        {},
        "valid",
        None,
    ),
    "KB-JWT with typ JWT": (
        lambda: _kb(TRUSTED.token(), iat=int(time.time()), typ="JWT"),
        {"challenge": "n-1", "domain": "https://employer.example"},
        "not-genuine",
        "INVALID_KEY_BINDING",
    ),
    "KB-JWT from the future": (
        lambda: _kb(TRUSTED.token(), iat=int(time.time()) + 3600),
        {"challenge": "n-1", "domain": "https://employer.example"},
        "not-genuine",
        "INVALID_KEY_BINDING",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_verdict_and_problem_code(service: Service, case: str) -> None:
    make, options, verdict, code = CASES[case]
    body: dict[str, Any] = {"verifiableCredential": make()}
    if options:
        body["options"] = options
    answer = service.client.post("/credentials/verify", json=body)
    result = answer.json()
    assert result["verdict"] == verdict, result
    assert answer.status_code == (200 if verdict == "valid" else 422)
    assert result["verified"] is (verdict == "valid")
    trust: dict[str, Any] = next((c for c in result["checks"] if c["check"] == "issuerTrust"), {})
    if code is None:
        assert codes(result) == set()
        assert trust["trusted"] is True
        return
    assert code in codes(result), result
    # never trusted for a key not shown to be the issuer's (a disclosure or KB-JWT that
    # fails leaves the issuer's own signature, and its trust, as they are)
    if code in ISSUER_KEY_CODES:
        assert trust["trusted"] is False, result
