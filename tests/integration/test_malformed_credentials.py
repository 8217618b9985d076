"""The malformed credentials the W3C VC 2.0 conformance suite sends to an issuer are
refused with 400/422 and a problem detail naming the fault; nothing is stored."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.test_issuing_api import CREDENTIAL, stored_count
from tests.support.service import Service

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    credential = copy.deepcopy(CREDENTIAL)
    change(credential)
    return copy.deepcopy(credential)  # the cases' values stay untouched


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[part]
        target[last] = value

    return apply


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(name)


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "no @context": (_drop("@context"), "@context is missing"),
    "v2 context not first": (_set("@context", [EXAMPLES, V2]), "first @context"),
    "a number in @context": (_set("@context", [V2, 5]), "@context[1]"),
    "a space in a context URL": (_set("@context", [V2, "https ://example.org/ctx"]), "not a URL"),
    "no type": (_drop("type"), "type is missing"),
    "no VerifiableCredential type": (_set("type", ["ExampleSkillCredential"]), "must include"),
    "id with a space": (
        _set("id", "https ://example.org/1"),
        'id "https ://example.org/1" is not a URL',
    ),
    "null id": (_set("id", None), "is not a URL"),
    "array id": (_set("id", ["urn:uuid:1"]), "is not a URL"),
    "issuer not a URL": (_set("issuer", "fake-issuer"), "issuer"),
    "null issuer": (_set("issuer", None), "issuer"),
    "issuer object with a null id": (_set("issuer", {"id": None}), "issuer"),
    "no credentialSubject": (_drop("credentialSubject"), "credentialSubject is missing"),
    "empty credentialSubject": (_set("credentialSubject", {}), "at least one claim"),
    "array subject id": (_set("credentialSubject.id", ["did:example:1"]), "credentialSubject.id"),
    "status without type": (
        _set("credentialStatus", {"id": "https://example.org/status/1#3"}),
        "credentialStatus.type is missing",
    ),
    "status with a numeric type": (
        _set("credentialStatus", {"id": "https://example.org/status/1#3", "type": 2}),
        "credentialStatus.type must be a string",
    ),
    "status id with a space": (
        _set(
            "credentialStatus",
            {"id": "https ://example.org/s#1", "type": "BitstringStatusListEntry"},
        ),
        "credentialStatus.id",
    ),
    "schema without id": (
        _set("credentialSchema", {"type": "JsonSchema"}),
        "credentialSchema.id is missing",
    ),
    "schema id with a space": (
        _set("credentialSchema", {"id": "https ://example.org/schema", "type": "JsonSchema"}),
        "credentialSchema.id",
    ),
    "termsOfUse without type": (
        _set("termsOfUse", {"id": "https://example.org/tou"}),
        "termsOfUse.type",
    ),
    "evidence without type": (
        _set("evidence", [{"id": "https://example.org/e/1"}]),
        "evidence[0].type",
    ),
    "refreshService without type": (
        _set("refreshService", {"id": "https://example.org/refresh"}),
        "refreshService.type",
    ),
    "value object with an extra key": (
        _set("name", {"@value": "Skill", "@language": "en", "extra": 1}),
        "name is a value object with 'extra'",
    ),
    "date with a space instead of T": (_set("validFrom", "2024-01-01 00:00:00Z"), "space"),
    "an RFC 2822 date": (_set("validFrom", "Sun, 26 Feb 2023 01:22:14 +0000"), "dateTimeStamp"),
    "a date in words": (_set("validUntil", "Sat 25 Feb 2023 07:16:31 PM CST"), "dateTimeStamp"),
    "validUntil before validFrom": (
        lambda d: d.update(validFrom="2025-01-01T00:00:00Z", validUntil="2024-01-01T00:00:00Z"),
        "validUntil is before validFrom",
    ),
    "VC 1.1 date name in VC 2.0": (_set("issuanceDate", "2024-01-01T00:00:00Z"), "issuanceDate"),
    "protected term redefinition": (
        _set("@context", [V2, {"VerifiableCredential": "https://evil.example/vc"}]),
        "protected term",
    ),
    "undefined term (would be dropped)": (
        lambda d: d.update(
            {
                "@context": [V2],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:1", "notDefinedAnywhere": "x"},
            }
        ),
        "notDefinedAnywhere",
    ),
    "type left undefined by @vocab null": (
        _set("@context", [V2, EXAMPLES, {"@vocab": None}]),
        "ExampleSkillCredential",
    ),
    "issuer name as a value object with an extra key": (
        _set("issuer", {"id": "did:example:placeholder", "name": {"@value": "x", "url": "y"}}),
        "issuer.name is a value object with 'url'",
    ),
    "relatedResource as a string": (
        _set("relatedResource", ["https://www.w3.org/ns/credentials/v2"]),
        "relatedResource[0] must be an object",
    ),
    "relatedResource without id": (
        _set(
            "relatedResource", [{"digestMultibase": "uWZVc7WaX1h4D8rJVb-vlMIqxaEKEb1tYbX8fet7JJzQ"}]
        ),
        "relatedResource[0].id must be a URL",
    ),
    "relatedResource without digest": (
        _set("relatedResource", [{"id": "https://www.w3.org/ns/credentials/v2"}]),
        "needs a digestSRI or a digestMultibase",
    ),
    "relatedResource twice": (
        _set(
            "relatedResource",
            [
                {
                    "id": "https://www.w3.org/ns/credentials/v2",
                    "digestMultibase": "uWZVc7WaX1h4D8rJVb-vlMIqxaEKEb1tYbX8fet7JJzQ",
                },
                {
                    "id": "https://www.w3.org/ns/credentials/v2",
                    "digestMultibase": "uWZVc7WaX1h4D8rJVb-vlMIqxaEKEb1tYbX8fet7JJzQ",
                },
            ],
        ),
        "appears twice",
    ),
    "relatedResource with a wrong digest": (
        _set(
            "relatedResource",
            [
                {
                    "id": "https://www.w3.org/ns/credentials/v2",
                    "digestMultibase": "uM4RgWQc3RUDtjJCSgTJtTfvpZ7SPEg_LNO0ESlovQC0",
                }
            ],
        ),
        "does not match the resource",
    ),
    "relatedResource with a malformed SRI digest": (
        _set(
            "relatedResource",
            [{"id": "https://www.w3.org/ns/credentials/v2", "digestSRI": "sha384-_rCVIV7f"}],
        ),
        "digestSRI must be",
    ),
    "status entry whose index is not a decimal string": (
        _set(
            "credentialStatus",
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": True,
                "statusListCredential": "https://example.org/status/1",
            },
        ),
        "credentialStatus.statusListIndex must be a base-10 integer",
    ),
    "status entry with a zero-padded index": (
        _set(
            "credentialStatus",
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "007",
                "statusListCredential": "https://example.org/status/1",
            },
        ),
        "statusListIndex must be a base-10 integer",
    ),
    "status entry elsewhere in the credential": (
        _set(
            "credentialSubject.statusEntry",
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "x",
                "statusListCredential": "https://example.org/status/1",
            },
        ),
        "credentialSubject.statusEntry.statusListIndex",
    ),
    "unknown remote context": (
        _set("@context", [V2, "https://evil.example/context"]),
        "evil.example",
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_malformed_credential_is_refused(service: Service, case: str, cryptosuite: str) -> None:
    change, message = CASES[case]
    provider = service.create_provider("strict")
    credential = changed(change)
    if (
        isinstance(credential.get("issuer"), dict)
        and credential["issuer"]["id"] == "did:example:placeholder"
    ):
        credential["issuer"]["id"] = provider["did"]
    response = service.issue(provider["apiKey"], credential, {"cryptosuite": cryptosuite})
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert message in body["detail"], body
    assert stored_count(service) == 0


def test_related_resources_with_the_published_digests_are_accepted(service: Service) -> None:
    import base64
    import hashlib

    from tests.conftest import REPO_ROOT

    content = (REPO_ROOT / "contexts" / "credentials-v2.jsonld").read_bytes()
    related = {
        "id": V2,
        "mediaType": "application/ld+json",
        "digestSRI": "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode(),
        "digestMultibase": "u"
        + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).decode().rstrip("="),
    }
    elsewhere = {
        "id": "https://example.org/terms.pdf",
        "digestSRI": "sha256-" + base64.b64encode(b"x" * 32).decode(),
    }
    provider = service.create_provider("related")
    response = service.issue(
        provider["apiKey"], {**CREDENTIAL, "relatedResource": [related, elsewhere]}
    )
    assert response.status_code == 201, response.text
    verified = service.client.post(
        "/credentials/verify",
        json={"verifiableCredential": response.json()["verifiableCredential"]},
    )
    assert verified.status_code == 200, verified.text


def test_base_directions_are_signed_as_i18n_datatypes(service: Service) -> None:
    """The W3C VC 2.0 suite's language value objects with @direction are issued (rdfDirection
    i18n-datatype, as Digital Bazaar's eddsa-rdfc-2022 does) and verify."""
    provider = service.create_provider("directions")
    value = {"@value": "Example Credential", "@language": "en", "@direction": "ltr"}
    issuer = {"id": provider["did"], "name": value, "description": value}
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        credential = {**CREDENTIAL, "name": value, "description": value, "issuer": issuer}
        response = service.issue(provider["apiKey"], credential, {"cryptosuite": suite})
        assert response.status_code == 201, response.text
        verified = service.client.post(
            "/credentials/verify",
            json={"verifiableCredential": response.json()["verifiableCredential"]},
        )
        assert verified.status_code == 200, verified.text
