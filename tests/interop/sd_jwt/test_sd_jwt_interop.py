"""SD-JWT VC interop both ways with the OpenWallet Foundation's TypeScript libraries
(``@sd-jwt/sd-jwt-vc``, ``@sd-jwt/jwt-status-list`` 0.19.0, driven through
interop/sdjwt.mjs), over HTTP against the real app (issue 16, must-show 1).

(a) They verify ours: a skill credential's twin from ``POST /sd-jwt-vc`` with the issuer
key taken from our ``x5c`` chain (our CA root, ``GET /issuing-ca.pem``, as their trusted
certificate) and from our JWT VC Issuer Metadata; our Token Status List after real
``POST /credentials/status`` changes; and their holder's selectively disclosed KB
presentation of our credential, accepted by their verifier and by ``/credentials/verify``
with the same disclosed claims.

(b) We verify theirs: test_sd_jwt_interop_theirs.py. The parties (keys, chains, the
tokens each side makes, how an answer is read) are in tests/support/sd_jwt_parties.py,
the fixtures in conftest.py here.

Their verifier alone is not strict (interop/README.md): the harness adds the RFC 9901
§7.1 disclosure checks, the ``aud`` comparison and the x5c chain walk; ``checks`` says
which part ran, and these tests read it.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from skillcred.services.status import LOCAL_READ_SECONDS
from tests.support.sd_jwt_parties import (
    AUD,
    NONCE,
    P256,
    REGISTERED,
    ForeignIssuer,
    b64url_json,
    change_status,
    expect,
    our_root,
    our_twin,
    pem,
    status_list_token,
    status_reference,
    verify,
)
from tests.support.sdjwt_reference import SdJwtReference
from tests.support.service import BASE_URL, Service


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
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a verifier here re-reads its lists after this
    value, answer = theirs()
    assert value == 2 and answer["verified"] is False
    assert "status 2" in answer["error"]
    expect(verify(service, token), "suspended", "CREDENTIAL_SUSPENDED")

    change_status(service, provider, credential["id"], "suspension", False)
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a verifier here re-reads its lists after this
    value, answer = theirs()
    assert value == 0 and answer["verified"] is True
    expect(verify(service, token), "valid")

    change_status(service, provider, credential["id"], "revocation", True)
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # a verifier here re-reads its lists after this
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
