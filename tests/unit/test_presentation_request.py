"""The request and answer shapes of core.presentation_request, without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from skillcred.core.presentation_request import (
    ANY_SKILL,
    ResponseMismatch,
    SkillQuery,
    check_answer,
    dcql_query,
    match_presentation,
    parse_query,
    parse_vp_token,
    select_claim,
    vpr_query,
)
from skillcred.errors import RequestError

ESCO = "http://data.europa.eu/esco/skill/a5e5e6a4-9c3b-4e2d-8f3c-8b6a0f1f2d3e"


def credential(
    achievement_id: str = "https://skills.example/skills/mig",
    achievement_type: str = "Certification",
    alignment: str | None = ESCO,
) -> dict[str, Any]:
    achievement: dict[str, Any] = {"id": achievement_id, "achievementType": achievement_type}
    if alignment is not None:
        achievement["alignment"] = [{"type": ["Alignment"], "targetUrl": alignment}]
    return {
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {"id": "did:key:z6Mkholder", "achievement": achievement},
    }


def test_no_query_asks_for_any_skill_credential() -> None:
    assert parse_query(None) == ANY_SKILL
    assert parse_query({}) == ANY_SKILL
    assert ANY_SKILL[0].matches(credential())
    assert not ANY_SKILL[0].matches({"type": ["VerifiableCredential"], "credentialSubject": {}})


def test_queries_match_on_what_they_name() -> None:
    by_alignment = SkillQuery("a", alignment=ESCO)
    by_type = SkillQuery("b", achievement_type="License")
    by_id = SkillQuery("c", achievement="https://skills.example/skills/mig")
    assert by_alignment.matches(credential())
    assert not by_alignment.matches(credential(alignment="http://data.europa.eu/esco/skill/x"))
    assert not by_type.matches(credential())
    assert by_type.matches(credential(achievement_type="License"))
    assert by_id.matches(credential())
    assert not by_id.matches(credential(achievement_id="https://skills.example/skills/tig"))


def test_dcql_without_credential_sets_when_all_are_required() -> None:
    dcql = dcql_query(parse_query({"skills": [{"id": "w", "achievement": "urn:x:1"}]}))
    assert "credential_sets" not in dcql
    assert dcql["credentials"][0]["claims"] == [
        {"path": ["credentialSubject", "achievement", "id"], "values": ["urn:x:1"]}
    ]


def test_vpr_query_is_one_query_by_example_per_skill() -> None:
    query = vpr_query(parse_query({"skills": [{"id": "a"}, {"id": "b"}]}), purpose=None)
    assert [q["type"] for q in query] == ["DIDAuthentication", "QueryByExample", "QueryByExample"]
    assert all(isinstance(q.get("credentialQuery", {}), dict) for q in query)


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"skills": "x"},
        {"skills": [{"id": ""}]},
        {"skills": [{"achievementType": "Diploma"}]},
        {"skills": [{"required": "yes"}]},
        {"skills": [{}] * 21},
    ],
)
def test_bad_queries_are_refused(raw: Any) -> None:
    with pytest.raises(RequestError):
        parse_query(raw)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "keyed by the DCQL credential query ids"),
        ('{"skills": []}', "non-empty array"),
        ('{"skills": ["eyJhbGciOi..."]}', "ldp_vc presentations are JSON objects"),
        ('{"skills": [1]}', "non-object"),
        ('{"other": [{}]}', "was not asked for"),
    ],
)
def test_bad_vp_tokens_are_mismatches(token: str, message: str) -> None:
    with pytest.raises(ResponseMismatch, match=message):
        parse_vp_token(token, ANY_SKILL)


def test_an_answer_must_cover_the_required_queries() -> None:
    queries = parse_query(
        {"skills": [{"id": "w", "alignment": ESCO}, {"id": "l", "achievementType": "License"}]}
    )
    vp = {"verifiableCredential": [credential()]}
    with pytest.raises(ResponseMismatch, match="required query 'l'"):
        check_answer(parse_vp_token(json.dumps({"w": [vp]}), queries), queries)
    with pytest.raises(ResponseMismatch, match="not a skill credential that query asks for"):
        check_answer(parse_vp_token(json.dumps({"l": [vp]}), queries), queries)
    with pytest.raises(ResponseMismatch, match="holds no credential"):
        check_answer(parse_vp_token(json.dumps({"w": [{}]}), queries), queries)
    with pytest.raises(ResponseMismatch, match="required query 'l'"):
        match_presentation(vp, queries)
    licensed = {"verifiableCredential": [credential(), credential(achievement_type="License")]}
    assert match_presentation(licensed, queries).presentations[0][1] == ("l", "w")


# --- dc+sd-jwt --------------------------------------------------------------------------------

VCTS = {
    "Competency": "https://x.test/vct/skills/competency",
    "Certification": "https://x.test/vct/skills/certification",
    "License": "https://x.test/vct/skills/license",
}
TWIN_CLAIMS = {
    "skill": {
        "id": "https://x.test/skills/mig",
        "name": "MIG",
        "type": "Certification",
        "alignment": [{"targetUrl": "http://data.europa.eu/esco/skill/a"}],
    },
    "level": {"id": "https://x.test/levels/b", "name": "Basic"},
    "assessment": {"method": "practical"},
    "evidence": [{"name": "one"}, {"name": "two"}],
}


def test_a_dc_sd_jwt_query_names_its_vct_and_only_the_claims_asked_for() -> None:
    (query,) = parse_query(
        {
            "format": "dc+sd-jwt",
            "skills": [
                {
                    "id": "w",
                    "achievementType": "Certification",
                    "alignment": "http://data.europa.eu/esco/skill/a",
                    "claims": ["level", ["assessment", "method"], ["evidence", None, "name"]],
                }
            ],
        }
    )
    assert query.format == "dc+sd-jwt"
    assert dcql_query([query], vcts=VCTS)["credentials"] == [
        {
            "id": "w",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [VCTS["Certification"]]},
            "claims": [
                {"path": ["level"]},
                {"path": ["assessment", "method"]},
                {"path": ["evidence", None, "name"]},
                {
                    "path": ["skill", "alignment", None, "targetUrl"],
                    "values": ["http://data.europa.eu/esco/skill/a"],
                },
            ],
        }
    ]
    # It survives being stored (to_json) and read back.
    assert parse_query({"skills": [query.to_json()]}) == (query,)
    assert query.matches_claims(TWIN_CLAIMS)
    assert query.missing_claims(TWIN_CLAIMS) == []
    assert query.missing_claims({"skill": TWIN_CLAIMS["skill"]}) == [
        ("level",),
        ("assessment", "method"),
        ("evidence", None, "name"),
    ]
    other = parse_query({"format": "dc+sd-jwt", "skills": [{"achievement": "https://x.test/o"}]})
    assert not other[0].matches_claims(TWIN_CLAIMS)


def test_claim_paths_select_as_openid4vp_section_7_says() -> None:
    assert select_claim(TWIN_CLAIMS, ("evidence", None, "name")) == ["one", "two"]
    assert select_claim(TWIN_CLAIMS, ("evidence", 1)) == [{"name": "two"}]
    assert select_claim(TWIN_CLAIMS, ("evidence", 2)) == []
    assert select_claim(TWIN_CLAIMS, ("assessment", "date")) == []
    assert select_claim(TWIN_CLAIMS, ("skill", None)) == []  # null selects array elements only


def test_a_dc_sd_jwt_request_without_vcts_is_refused() -> None:
    queries = parse_query({"format": "dc+sd-jwt"})
    assert queries[0].claims == (("skill",), ("level",))
    with pytest.raises(RequestError):
        dcql_query(queries)


def test_a_dc_sd_jwt_vp_token_holds_strings() -> None:
    queries = parse_query({"format": "dc+sd-jwt", "skills": [{"id": "w"}]})
    answer = parse_vp_token(json.dumps({"w": ["a.b.c~d~e.f.g"]}), queries)
    assert answer.sd_jwts == (("w", "a.b.c~d~e.f.g"),) and answer.presentations == ()
    check_answer(answer, queries)
    with pytest.raises(ResponseMismatch, match="SD-JWT\\+KB strings"):
        parse_vp_token(json.dumps({"w": [{"type": "VerifiablePresentation"}]}), queries)
