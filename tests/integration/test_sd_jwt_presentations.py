"""OpenID4VP requests for ``dc+sd-jwt`` through the HTTP API, on SQLite and PostgreSQL:
the DCQL query names the vct and only the claims the employer needs; the answer's
SD-JWT+KB is verified with the request's nonce and client_id as the KB-JWT's nonce and
aud; the result lists what the worker disclosed. Claims not asked for are not required;
a presentation that leaves out a claim asked for is refused."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from skillcred.services.status import LOCAL_READ_SECONDS
from tests.integration.test_presentation_requests import authorization_request
from tests.integration.test_sd_jwt_vc import present, skill_credential, twin
from tests.integration.test_skills_api import auth, provider_with_skill
from tests.support.service import BASE_URL, Service

CERTIFICATION_VCT = f"{BASE_URL}/vct/skills/certification"
QUERY = {
    "format": "dc+sd-jwt",
    "skills": [
        {"id": "welding", "achievementType": "Certification", "claims": ["skill", "level"]},
    ],
}


@pytest.fixture
def held(service: Service) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A provider, a skill credential of Anna's, and its SD-JWT VC twin in her wallet."""
    provider = provider_with_skill(service)
    credential = skill_credential(service, provider)
    return provider, credential, twin(service, provider, credential["id"])


def ask(service: Service, query: Any = QUERY) -> tuple[dict[str, Any], dict[str, Any]]:
    response = service.client.post("/presentation-requests", json={"query": query})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created, authorization_request(created)


def respond(service: Service, params: dict[str, Any], vp_token: Any) -> Any:
    form = {"vp_token": json.dumps(vp_token), "state": params["state"]}
    return service.client.post(
        urlsplit(params["response_uri"]).path,
        content="&".join(f"{k}={quote(v, safe='')}" for k, v in form.items()),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def result(service: Service, created: dict[str, Any]) -> dict[str, Any]:
    response = service.client.get(urlsplit(created["resultUrl"]).path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answer(
    service: Service,
    token: str,
    names: set[str],
    *,
    query: Any = QUERY,
    nonce: str | None = None,
    aud: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    created, params = ask(service, query)
    presentation = present(
        token, names, nonce=nonce or params["nonce"], aud=aud or params["client_id"]
    )
    query_id = params["dcql_query"]["credentials"][0]["id"]
    return respond(service, params, {query_id: [presentation]}), created


def test_the_request_asks_for_the_vct_and_only_the_claims_needed(service: Service) -> None:
    _created, params = ask(
        service,
        {
            "format": "dc+sd-jwt",
            "skills": [
                {
                    "id": "welding",
                    "achievementType": "Certification",
                    "achievement": f"{BASE_URL}/providers/lasschool/skills/mig-fillet",
                    "claims": ["skill", ["assessment", "method"]],
                }
            ],
        },
    )
    (credential_query,) = params["dcql_query"]["credentials"]
    assert credential_query == {
        "id": "welding",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [CERTIFICATION_VCT]},
        "claims": [
            {"path": ["skill"]},
            {"path": ["assessment", "method"]},
            {
                "path": ["skill", "id"],
                "values": [f"{BASE_URL}/providers/lasschool/skills/mig-fillet"],
            },
        ],
    }
    formats = params["client_metadata"]["vp_formats_supported"]
    assert formats["dc+sd-jwt"] == {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
    # Any skill, by default the skill and the level; any of the three kinds.
    _created, params = ask(service, {"format": "dc+sd-jwt"})
    (credential_query,) = params["dcql_query"]["credentials"]
    assert credential_query["claims"] == [{"path": ["skill"]}, {"path": ["level"]}]
    assert len(credential_query["meta"]["vct_values"]) == 3


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"skills": [{"claims": ["skill"]}]}, "only a dc+sd-jwt credential"),
        ({"format": "mso_mdoc"}, "query.format must be one of"),
        (
            {"skills": [{"id": "a"}, {"id": "b", "format": "dc+sd-jwt"}]},
            "one format per request",
        ),
        ({"format": "dc+sd-jwt", "skills": [{"claims": ["cnf"]}]}, "part of every SD-JWT VC"),
        ({"format": "dc+sd-jwt", "skills": [{"claims": [[1, "x"]]}]}, "starting with a name"),
        ({"format": "dc+sd-jwt", "skills": [{"claims": []}]}, "1-20 claim paths"),
    ],
)
def test_a_bad_dc_sd_jwt_query_is_refused(service: Service, query: Any, words: str) -> None:
    response = service.client.post("/presentation-requests", json={"query": query})
    assert response.status_code == 400, response.text
    assert words in response.json()["detail"]


def test_the_claims_asked_for_are_disclosed_and_nothing_else(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, credential, token = held
    query = {
        "format": "dc+sd-jwt",
        "skills": [
            {"id": "welding", "claims": [["skill", "name"], ["assessment", "method"]]},
        ],
    }
    response, created = answer(service, token, {"method"}, query=query)
    assert response.status_code == 200, response.text
    assert response.json() == {}
    body = result(service, created)
    assert body["verdict"] == "valid", body.get("verdictReason")
    assert body["verified"] is True
    assert body["format"] == "dc+sd-jwt"
    assert body["presentationRequest"]["presentedByHolder"] is True
    (skill,) = body["skills"]
    assert skill["verdict"] == "valid"
    assert skill["queryId"] == "welding"
    assert skill["disclosed"] == ["/assessment/method"]
    assert skill["requestedClaims"] == ["/skill/name", "/assessment/method"]
    assert skill["disclosedClaims"] == [
        {"path": "/skill/name", "value": ["MIG/MAG fillet welding"]},
        {"path": "/assessment/method", "value": ["practical"]},
    ]
    assert skill["credentialId"] == credential["id"]
    assert "name" not in skill["claims"] and skill["holder"]["name"] is None
    assert skill["skill"] == "MIG/MAG fillet welding"


def test_a_claim_not_asked_for_is_not_required(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, _credential, token = held
    # Skill and level are always visible: no disclosure at all answers the request.
    response, created = answer(service, token, set())
    assert response.status_code == 200, response.text
    body = result(service, created)
    assert body["verdict"] == "valid", body.get("verdictReason")
    assert body["skills"][0]["disclosed"] == []
    assert body["skills"][0]["level"] == "Independent"


def test_a_presentation_missing_a_claim_asked_for_is_refused(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, _credential, token = held
    query = {"format": "dc+sd-jwt", "skills": [{"id": "welding", "claims": ["skill", "name"]}]}
    response, created = answer(service, token, {"method"}, query=query)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert "does not disclose /name" in response.json()["error_description"]
    body = result(service, created)
    assert body["verdict"] == "invalid"
    assert body["errors"][0]["code"] == "PRESENTATION_DOES_NOT_MATCH_REQUEST"


@pytest.mark.parametrize("wrong", ["nonce", "aud"])
def test_a_key_binding_for_another_nonce_or_audience_is_not_genuine(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str], wrong: str
) -> None:
    _provider, _credential, token = held
    other = {"nonce": "another-requests-nonce"} if wrong == "nonce" else {"aud": "x509_san_dns:x"}
    response, created = answer(service, token, set(), **other)
    assert response.status_code == 200, response.text
    body = result(service, created)
    assert body["verdict"] == "not-genuine", body
    assert body["verified"] is False
    assert body["presentationRequest"]["presentedByHolder"] is False
    kb = [p for p in body["credentialResults"][0]["proofs"] if p.get("type") == "kb+jwt"]
    assert kb and kb[0]["outcome"] == "failed", body["credentialResults"][0]["proofs"]


def test_a_presentation_without_key_binding_is_not_genuine(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, _credential, token = held
    created, params = ask(service)
    response = respond(service, params, {"welding": [token]})  # the issued SD-JWT, no KB-JWT
    assert response.status_code == 200, response.text
    body = result(service, created)
    assert body["verdict"] == "not-genuine"
    assert "KB-JWT" in body["verdictReason"]


def test_other_answers_are_refused(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    _provider, credential, _token = held
    created, params = ask(service)
    response = respond(service, params, {"welding": [{"verifiableCredential": [credential]}]})
    assert response.status_code == 400
    assert "SD-JWT+KB strings" in response.json()["error_description"]
    # A dc+sd-jwt request is not answered over VC-API.
    created, _params = ask(service)
    exchange = service.client.post(f"/presentation-requests/{created['id']}/exchange", json={})
    assert exchange.status_code == 400
    assert "OpenID4VP" in exchange.json()["detail"]


def test_a_revoked_credential_is_revoked_in_the_presentation(
    service: Service, held: tuple[dict[str, Any], dict[str, Any], str]
) -> None:
    provider, credential, token = held
    revoked = service.client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=auth(provider),
    )
    assert revoked.status_code == 200, revoked.text
    time.sleep(LOCAL_READ_SECONDS + 0.1)  # the service re-reads its own lists after this
    response, created = answer(service, token, set())
    assert response.status_code == 200, response.text
    body = result(service, created)
    assert body["verdict"] == "revoked"
    assert body["skills"][0]["status"]["revoked"] is True
