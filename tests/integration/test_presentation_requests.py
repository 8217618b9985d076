"""Presentation requests over HTTP (SQLite and PostgreSQL): what is asked, and every way
an answer is refused or judged. The wallet here is this project's own signer; the
third-party wallet libraries answer in tests/e2e/test_presentation_wallet.py.

Each negative case sits beside the positive one: a presentation for another request's
nonce, for another verifier (domain), a replayed response, one signed by a key that is not
the credentials' subject, another worker's credential inside a valid presentation, a
revoked credential inside, an answer after the request expired, an answer with no
matching credential, a wallet that declines.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest

from skillcred import Ed25519KeyPair, sign_presentation
from skillcred.core.datetimes import utc_now
from skillcred.services import presentation_requests as presentation_module
from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service
from tests.support.skills import SKILLS, WELDING_ESCO, skill_request

PIETER = Ed25519KeyPair.generate()
ANNA = Ed25519KeyPair.generate()
MALLORY = Ed25519KeyPair.generate()


@dataclass
class World:
    service: Service
    api_key: str
    welding: dict[str, Any]  # Pieter's
    height: dict[str, Any]  # Pieter's
    anna_welding: dict[str, Any]

    def ask(self, **body: Any) -> dict[str, Any]:
        response = self.service.client.post("/presentation-requests", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def issue(self, holder: Ed25519KeyPair, skill: str) -> dict[str, Any]:
        response = self.service.client.post(
            "/skill-credentials",
            json=skill_request(skill, "basic", holder),
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        assert response.status_code == 201, response.text
        credential: dict[str, Any] = response.json()["verifiableCredential"]
        return credential

    def result(self, created: dict[str, Any]) -> Any:
        return self.service.client.get(urlsplit(created["resultUrl"]).path)


def _world(service: Service) -> World:
    provider = service.create_provider("lasschool-twente", name="Lasschool Twente")
    headers = {"Authorization": f"Bearer {provider['apiKey']}"}
    for skill in SKILLS:
        response = service.client.post("/skills", json=skill, headers=headers)
        assert response.status_code == 201, response.text
    world = World(service, provider["apiKey"], {}, {}, {})
    world.welding = world.issue(PIETER, "mig-fillet")
    world.height = world.issue(PIETER, "working-at-height")
    world.anna_welding = world.issue(ANNA, "mig-fillet")
    return world


@pytest.fixture
def world(service: Service) -> World:
    return _world(service)


def authorization_request(created: dict[str, Any]) -> dict[str, Any]:
    """The parameters of an openid4vp:// request passed by value."""
    query = parse_qs(urlsplit(created["openid4vpRequest"]).query, strict_parsing=True)
    params = {k: v[0] for k, v in query.items()}
    for name in ("dcql_query", "client_metadata"):
        params[name] = json.loads(params[name])
    return params


def presentation(
    credentials: list[dict[str, Any]],
    key: Ed25519KeyPair,
    *,
    challenge: str,
    domain: str,
    holder: str | None = None,
) -> dict[str, Any]:
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder or key.controller,
        "verifiableCredential": credentials,
    }
    return sign_presentation(unsigned, key=key, challenge=challenge, domain=domain)


def respond(world: World, created: dict[str, Any], form: dict[str, str]) -> Any:
    params = authorization_request(created)
    return world.service.client.post(
        urlsplit(params["response_uri"]).path,
        content="&".join(f"{k}={v}" for k, v in _form_encoded(form).items()),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _form_encoded(form: dict[str, str]) -> dict[str, str]:
    from urllib.parse import quote

    return {k: quote(v, safe="") for k, v in form.items()}


def answer(
    world: World,
    created: dict[str, Any],
    credentials: list[dict[str, Any]],
    key: Ed25519KeyPair = PIETER,
    **overrides: Any,
) -> Any:
    params = authorization_request(created)
    vp = presentation(
        credentials,
        key,
        challenge=overrides.pop("challenge", params["nonce"]),
        domain=overrides.pop("domain", params["client_id"]),
        **overrides,
    )
    query_id = params["dcql_query"]["credentials"][0]["id"]
    return respond(
        world, created, {"vp_token": json.dumps({query_id: [vp]}), "state": params["state"]}
    )


# ------------------------------------------------------------------ the request


def test_the_request_is_an_openid4vp_1_0_request_with_a_dcql_query(world: World) -> None:
    created = world.ask(purpose="Welding job at the Hengelo yard")
    assert set(created) >= {"id", "openid4vpRequest", "vcapiRequest", "resultUrl", "expires"}
    assert created["openid4vpRequest"].startswith("openid4vp://?")
    params = authorization_request(created)
    # OpenID4VP 1.0 §5.9.3: redirect_uri prefix, client_id = "redirect_uri:" + response_uri
    assert params["client_id"] == "redirect_uri:" + params["response_uri"]
    assert params["response_uri"] == (
        f"https://skills.test/presentation-requests/{created['id']}/response"
    )
    assert params["response_type"] == "vp_token"
    assert params["response_mode"] == "direct_post"
    assert len(params["nonce"]) >= 32
    # The DCQL query has the shape of the spec's ldp_vc example (§6, Appendix B.1.3).
    assert params["dcql_query"] == {
        "credentials": [
            {
                "id": "skills",
                "format": "ldp_vc",
                "multiple": True,
                "meta": {
                    "type_values": [
                        [
                            "https://www.w3.org/2018/credentials#VerifiableCredential",
                            "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential",
                        ]
                    ]
                },
            }
        ]
    }
    assert params["client_metadata"]["client_name"] == "skillcred verifier"
    assert params["client_metadata"]["vp_formats_supported"]["ldp_vc"]["cryptosuite_values"] == [
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
    ]
    # Two requests never share an id, a nonce or a result URL.
    other = authorization_request(world.ask())
    assert other["nonce"] != params["nonce"]


def test_named_skills_become_dcql_claims_and_credential_sets(world: World) -> None:
    created = world.ask(
        query={
            "skills": [
                {"id": "welding", "alignment": WELDING_ESCO},
                {"id": "safety", "achievementType": "Certification", "required": False},
            ]
        }
    )
    dcql = authorization_request(created)["dcql_query"]
    welding, safety = dcql["credentials"]
    assert welding["claims"] == [
        {
            "path": ["credentialSubject", "achievement", "alignment", None, "targetUrl"],
            "values": [WELDING_ESCO],
        }
    ]
    assert safety["claims"] == [
        {
            "path": ["credentialSubject", "achievement", "achievementType"],
            "values": ["Certification"],
        }
    ]
    assert dcql["credential_sets"] == [
        {"options": [["welding"]], "required": True},
        {"options": [["safety"]], "required": False},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": {"skills": []}}, "query.skills must be a non-empty array"),
        ({"query": {"skills": [{"id": "a b"}]}}, "query.skills[0].id"),
        ({"query": {"skills": [{"alignment": "not a uri"}]}}, "alignment must be a URI"),
        ({"query": {"skills": [{"required": False}]}}, "at least one skill as required"),
        ({"query": {"skills": [{"id": "x"}, {"id": "x"}]}}, "the id 'x' twice"),
        ({"query": {"kinds": []}}, "query.kinds is not a field"),
        ({"purpose": ""}, "purpose must be a text"),
        ({"extra": 1}, "extra: is not a field of this request"),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_made(
    world: World, body: dict[str, Any], message: str
) -> None:
    response = world.service.client.post("/presentation-requests", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]
    with world.service.database.reading() as session:
        from sqlalchemy import func, select

        from skillcred.storage.models import PresentationRequest

        assert session.scalar(select(func.count()).select_from(PresentationRequest)) == 0


def test_the_qr_codes_decode_to_the_requests(world: World) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    import segno

    created = world.ask(purpose="QR")
    for name, expected in (
        ("openid4vp", created["openid4vpRequest"]),
        ("vcapi", created["vcapiRequest"]),
    ):
        uri = created["qrCodes"][name]
        assert uri.startswith("data:image/svg+xml")
        # Redraw the code as pixels from the same data (SVG is not an image zxing reads)
        # and check both that segno's SVG holds a QR and that it decodes to the request.
        code = segno.make(expected, error="m", micro=False)
        matrix = [list(row) for row in code.matrix]
        size, scale, border = len(matrix), 4, 4
        width = (size + 2 * border) * scale
        pixels = bytearray(b"\xff" * width * width)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    for dy in range(scale):
                        start = ((y + border) * scale + dy) * width + (x + border) * scale
                        pixels[start : start + scale] = b"\x00" * scale
        image = memoryview(bytes(pixels)).cast("B", (width, width))
        decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert [d.text for d in decoded] == [expected]
        # The served SVG is that very code.
        svg = (
            unquote(uri.split(",", 1)[1])
            if ";base64" not in uri
            else base64.b64decode(uri.split(",", 1)[1]).decode()
        )
        assert svg.count("<path") >= 1
        served = segno.make(expected, error="m", micro=False).svg_data_uri(scale=4, border=4)
        assert served == uri


def test_the_lcw_deep_link_names_the_exchange(world: World) -> None:
    created = world.ask()
    link = urlsplit(created["vcapiRequest"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == "https://lcw.app/request.html"
    request = json.loads(parse_qs(link.query)["request"][0])
    assert request == {
        "credentialRequestOrigin": "https://skills.test",
        "protocols": {
            "vcapi": f"https://skills.test/presentation-requests/{created['id']}/exchange"
        },
    }


# ------------------------------------------------------------------ answers


def test_a_holder_presenting_their_own_skills_is_proven(world: World) -> None:
    created = world.ask()
    waiting = world.result(created)
    assert waiting.status_code == 202
    assert waiting.json()["status"] == "waiting"
    response = answer(world, created, [world.welding, world.height])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    result = world.result(created)
    assert result.status_code == 200
    body = result.json()
    assert body["verdict"] == "valid"
    assert body["verified"] is True
    assert result.headers["Skillcred-Verdict"] == "valid"
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["holderBinding"]["outcome"] == "passed"
    assert checks["holderBinding"]["forThisRequest"] is True
    assert checks["presentedByHolder"]["outcome"] == "passed"
    assert body["presentationRequest"]["presentedByHolder"] is True
    assert [s["subjectIsHolder"] for s in body["skills"]] == [True, True]
    # Read once: then gone.
    assert world.result(created).status_code == 404


def test_a_presentation_for_another_requests_nonce_is_not_genuine(world: World) -> None:
    first, second = world.ask(), world.ask()
    stolen_nonce = authorization_request(first)["nonce"]
    response = answer(world, second, [world.welding], challenge=stolen_nonce)
    assert response.status_code == 200
    body = world.result(second).json()
    assert body["verdict"] == "not-genuine"
    assert body["verified"] is False
    assert any(e["code"] == "INVALID_CHALLENGE_ERROR" for e in body["errors"])
    assert body["presentationRequest"]["presentedByHolder"] is False


def test_a_presentation_for_another_verifier_is_not_genuine(world: World) -> None:
    created = world.ask()
    response = answer(
        world, created, [world.welding], domain="redirect_uri:https://other.example/response"
    )
    assert response.status_code == 200
    body = world.result(created).json()
    assert body["verdict"] == "not-genuine"
    assert any(e["code"] == "INVALID_DOMAIN_ERROR" for e in body["errors"])


def test_a_replayed_response_is_refused(world: World) -> None:
    created = world.ask()
    params = authorization_request(created)
    vp = presentation(
        [world.welding], PIETER, challenge=params["nonce"], domain=params["client_id"]
    )
    form = {"vp_token": json.dumps({"skills": [vp]}), "state": params["state"]}
    assert respond(world, created, form).status_code == 200
    replayed = respond(world, created, form)
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_request"
    assert "answered already" in replayed.json()["error_description"]
    assert world.result(created).json()["verdict"] == "valid"  # the first answer stands


def test_a_presentation_signed_by_someone_else_is_not_the_holders(world: World) -> None:
    # Mallory holds copies of Pieter's credentials and signs for this very request with
    # her own key: the presentation is genuine, but the credentials are not about her.
    created = world.ask()
    response = answer(world, created, [world.welding, world.height], key=MALLORY)
    assert response.status_code == 200
    body = world.result(created).json()
    assert body["verdict"] == "invalid"
    assert body["verified"] is False
    checks = {c["check"]: c for c in body["checks"]}
    assert checks["presentedByHolder"]["outcome"] == "failed"
    assert "SUBJECT_NOT_HOLDER" in {p["code"] for p in checks["presentedByHolder"]["problems"]}
    assert [s["verdict"] for s in body["skills"]] == ["invalid", "invalid"]


def test_a_presentation_naming_the_worker_but_signed_by_another_key_is_not_genuine(
    world: World,
) -> None:
    created = world.ask()
    response = answer(world, created, [world.welding], key=MALLORY, holder=PIETER.controller)
    assert response.status_code == 200
    body = world.result(created).json()
    assert body["verdict"] == "not-genuine"
    assert body["presentationRequest"]["presentedByHolder"] is False


def test_another_workers_credential_inside_a_valid_presentation(world: World) -> None:
    created = world.ask()
    response = answer(world, created, [world.welding, world.anna_welding])
    assert response.status_code == 200
    body = world.result(created).json()
    assert body["verdict"] == "invalid"
    assert body["verified"] is False
    verdicts = [s["verdict"] for s in body["skills"]]
    assert verdicts == ["valid", "invalid"]
    assert "not the holder" in body["verdictReason"]


def test_a_revoked_credential_inside(world: World) -> None:
    revoked = world.issue(PIETER, "forklift")
    status = world.service.client.post(
        "/credentials/status",
        json={
            "credentialId": revoked["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
            "status": True,
        },
        headers={"Authorization": f"Bearer {world.api_key}"},
    )
    assert status.status_code == 200, status.text
    created = world.ask()
    assert answer(world, created, [world.welding, revoked]).status_code == 200
    body = world.result(created).json()
    assert body["verdict"] == "revoked"
    assert [s["verdict"] for s in body["skills"]] == ["valid", "revoked"]
    assert body["presentationRequest"]["presentedByHolder"] is True


def test_an_expired_request_takes_no_answer(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    created = world.ask()
    params = authorization_request(created)
    vp = presentation(
        [world.welding], PIETER, challenge=params["nonce"], domain=params["client_id"]
    )
    later = utc_now() + timedelta(
        seconds=world.service.settings.presentation_request_ttl_seconds + 1
    )
    monkeypatch.setattr(presentation_module, "utc_now", lambda: later)
    response = respond(
        world, created, {"vp_token": json.dumps({"skills": [vp]}), "state": params["state"]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "expired" in response.json()["detail"]
    gone = world.result(created)
    assert gone.status_code == 410
    assert gone.json()["code"] == "PRESENTATION_REQUEST_GONE"


def test_a_response_with_no_matching_credential(world: World) -> None:
    created = world.ask(query={"skills": [{"id": "welding", "alignment": WELDING_ESCO}]})
    params = authorization_request(created)
    vp = presentation([world.height], PIETER, challenge=params["nonce"], domain=params["client_id"])
    response = respond(
        world, created, {"vp_token": json.dumps({"welding": [vp]}), "state": params["state"]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "not a skill credential that query asks for" in response.json()["detail"]
    body = world.result(created).json()
    assert body["verdict"] == "invalid"
    assert body["verified"] is False
    assert body["errors"][0]["code"] == "PRESENTATION_DOES_NOT_MATCH_REQUEST"


def test_an_answer_under_a_query_id_not_asked_for(world: World) -> None:
    created = world.ask()
    params = authorization_request(created)
    vp = presentation(
        [world.welding], PIETER, challenge=params["nonce"], domain=params["client_id"]
    )
    response = respond(world, created, {"vp_token": json.dumps({"other": [vp]})})
    assert response.status_code == 400
    assert "'other', which was not asked for" in response.json()["detail"]


def test_a_wallet_that_declines(world: World) -> None:
    created = world.ask()
    params = authorization_request(created)
    response = respond(world, created, {"error": "access_denied", "state": params["state"]})
    assert response.status_code == 200
    body = world.result(created).json()
    assert body["verdict"] == "cannot-check"
    assert body["verified"] is False
    assert "access_denied" in body["verdictReason"]


def test_an_answer_that_is_not_form_encoded_is_refused(world: World) -> None:
    created = world.ask()
    response = world.service.client.post(
        f"/presentation-requests/{created['id']}/response", json={"vp_token": {}}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    # ... and the request is still open for the real answer.
    assert answer(world, created, [world.welding]).status_code == 200


def test_an_unknown_request_and_result(world: World) -> None:
    assert world.service.client.get("/presentation-results/nope").status_code == 404
    response = world.service.client.post(
        "/presentation-requests/nope/response",
        content="vp_token=%7B%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400


def test_nothing_is_kept_but_an_audit_line(world: World) -> None:
    created = world.ask()
    assert answer(world, created, [world.welding]).status_code == 200
    assert world.result(created).status_code == 200
    from sqlalchemy import select

    from skillcred.storage.models import AuditEvent, PresentationRequest

    with world.service.database.reading() as session:
        assert session.get(PresentationRequest, created["id"]) is None
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "presentation.answered")
        ).all()
    assert [e.subject for e in events] == [f"urn:skillcred:presentation-request:{created['id']}"]
    data = json.loads(events[0].data)
    assert data == {"credentials": 1, "protocol": "openid4vp", "verdict": "valid", "verified": True}
    assert PIETER.controller not in events[0].data


# ------------------------------------------------------------------ VC-API


def test_vcapi_exchange_asks_and_verifies(world: World) -> None:
    created = world.ask(purpose="Welding job")
    exchange = f"/presentation-requests/{created['id']}/exchange"
    started = world.service.client.post(exchange, json={})
    assert started.status_code == 200, started.text
    vpr = started.json()["verifiablePresentationRequest"]
    assert [q["type"] for q in vpr["query"]] == ["DIDAuthentication", "QueryByExample"]
    assert vpr["query"][1]["credentialQuery"] == {
        "required": True,
        "reason": "Welding job",
        "example": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
    }
    assert vpr["domain"] == "https://skills.test"
    assert vpr["interact"]["service"][0]["serviceEndpoint"] == "https://skills.test" + exchange
    vp = presentation([world.welding], PIETER, challenge=vpr["challenge"], domain=vpr["domain"])
    answered = world.service.client.post(exchange, json={"verifiablePresentation": vp})
    assert answered.status_code == 200, answered.text
    again = world.service.client.post(exchange, json={"verifiablePresentation": vp})
    assert again.status_code == 400
    assert "answered already" in again.json()["detail"]
    assert world.service.client.post(exchange, json={}).status_code == 410
    body = world.result(created).json()
    assert body["verdict"] == "valid"
    assert body["presentationRequest"] == {
        "id": created["id"],
        "protocol": "vcapi",
        "presentedByHolder": True,
        "answered": body["presentationRequest"]["answered"],
    }


def test_vcapi_answer_signed_for_the_openid4vp_domain_is_not_genuine(world: World) -> None:
    created = world.ask()
    exchange = f"/presentation-requests/{created['id']}/exchange"
    vpr = world.service.client.post(exchange, json={}).json()["verifiablePresentationRequest"]
    vp = presentation(
        [world.welding], PIETER, challenge=vpr["challenge"], domain="https://evil.example"
    )
    assert (
        world.service.client.post(exchange, json={"verifiablePresentation": vp}).status_code == 200
    )
    assert world.result(created).json()["verdict"] == "not-genuine"


# ------------------------------------------------------------------ signed requests


@pytest.fixture
def signed_service(tmp_path: Path) -> Iterator[Service]:
    key_path = tmp_path / "verifier-key.json"
    key_path.write_text(json.dumps(Ed25519KeyPair.generate().to_key_file()))
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            verifier_key_file=key_path,
            verifier_name="Bouwbedrijf Hengelo",
            verifier_logo_uri="https://bouw.example/logo.png",
        ) as svc,
    ):
        yield svc


def test_a_signed_request_object_by_reference(signed_service: Service) -> None:
    created = signed_service.client.post("/presentation-requests", json={}).json()
    query = {k: v[0] for k, v in parse_qs(urlsplit(created["openid4vpRequest"]).query).items()}
    assert set(query) == {"client_id", "request_uri"}
    assert query["client_id"].startswith("decentralized_identifier:did:key:z6Mk")
    response = signed_service.client.get(urlsplit(query["request_uri"]).path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/oauth-authz-req+jwt"
    header = jwt.get_unverified_header(response.text)
    assert header["typ"] == "oauth-authz-req+jwt"
    assert header["alg"] == "EdDSA"
    did = query["client_id"].removeprefix("decentralized_identifier:")
    assert header["kid"].startswith(did + "#")

    from skillcred.core.keys import Ed25519PublicMultikey

    public = Ed25519PublicMultikey.from_multibase(did.removeprefix("did:key:"))
    claims = jwt.decode(
        response.text,
        public.public_key,
        algorithms=["EdDSA"],
        audience="https://self-issued.me/v2",
    )
    assert claims["client_id"] == query["client_id"]
    assert claims["response_mode"] == "direct_post"
    assert claims["client_metadata"]["client_name"] == "Bouwbedrijf Hengelo"
    assert claims["client_metadata"]["logo_uri"] == "https://bouw.example/logo.png"
    assert claims["dcql_query"]["credentials"][0]["format"] == "ldp_vc"
    # A tampered token does not verify.
    head, body, signature = response.text.split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged["response_uri"] = "https://evil.example/collect"
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            f"{head}.{forged_body}.{signature}",
            public.public_key,
            algorithms=["EdDSA"],
            audience="https://self-issued.me/v2",
        )


def test_unsigned_deployments_have_no_request_object(world: World) -> None:
    created = world.ask()
    response = world.service.client.get(f"/presentation-requests/{created['id']}/request-object")
    assert response.status_code == 404


def test_a_default_request_from_the_settings(tmp_path: Path) -> None:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            presentation_default_query={
                "skills": [{"id": "safety", "achievementType": "Certification"}]
            },
            presentation_default_purpose="All safety certificates",
        ) as svc,
    ):
        created = svc.client.post("/presentation-requests", json={}).json()
        assert created["purpose"] == "All safety certificates"
        assert created["query"] == [
            {"id": "safety", "required": True, "achievementType": "Certification"}
        ]


def test_a_bad_default_request_stops_the_service_at_start(tmp_path: Path) -> None:
    from skillcred.errors import ConfigurationError

    with (
        fresh_database_url("sqlite", tmp_path) as url,
        pytest.raises(ConfigurationError, match=r"query.skills\[0\].achievementType"),
        running_service(
            url,
            tmp_path / "data",
            presentation_default_query={"skills": [{"achievementType": "Diploma"}]},
        ),
    ):
        pass


def test_making_requests_is_rate_limited(tmp_path: Path) -> None:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            rate_limit_verify_per_minute=1,
            rate_limit_verify_burst=2,
        ) as svc,
    ):
        answers = [svc.client.post("/presentation-requests", json={}) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert answers[2].headers["content-type"] == "application/problem+json"
        assert int(answers[2].headers["retry-after"]) >= 1
