"""Issue 14, must show 2: fuzzing. schemathesis generates requests for every operation
in openapi.yaml (which equals what the app serves, tests/unit/test_architecture.py) and
checks each answer: never a 5xx, and status code, content type, headers and body as the
document says. Hypothesis then drives the verify endpoints and the library with
credential-shaped documents: real ones, broken one field at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillcred import Ed25519KeyPair, Verifier, sign_credential
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.verifying import VERDICT_SEVERITY
from tests.conftest import REPO_ROOT
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.databases import fresh_database_url
from tests.support.service import ADMIN_TOKEN, Service, running_service

OPENAPI = REPO_ROOT / "openapi.yaml"
EXAMPLES = REPO_ROOT / "examples"
ISSUER = Ed25519KeyPair.generate()
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with (
        fresh_database_url("sqlite", folder) as url,
        running_service(url, folder / "data") as service,
    ):
        provider = service.create_provider("fuzz", name="Fuzz Provider")
        key = {"Authorization": f"Bearer {provider['apiKey']}"}
        definition = json.loads((EXAMPLES / "skill-definition.json").read_text())
        service.client.post("/skills", json=definition, headers=key)
        yield service, key


def operations(app: Any = None) -> dict[str, Any]:
    schema = schemathesis.openapi.from_path(OPENAPI)
    schema.app = app
    return {result.ok().label: result.ok() for result in schema.get_all_operations()}


@pytest.fixture(scope="module")
def served_operations(fuzzed: tuple[Service, dict[str, str]]) -> dict[str, Any]:
    return operations(fuzzed[0].client.app)


@pytest.mark.parametrize("label", sorted(operations()))
def test_every_operation_answers_as_documented(
    label: str, fuzzed: tuple[Service, dict[str, str]], served_operations: dict[str, Any]
) -> None:
    _service, key = fuzzed
    operation = served_operations[label]
    headers = (
        {"Authorization": f"Bearer {ADMIN_TOKEN}"} if operation.path.startswith("/admin") else key
    )

    @given(case=operation.as_strategy())
    @FUZZ
    def answers_as_documented(case: Any) -> None:
        # Every check but "a schema-valid request is accepted": a schema cannot say what
        # makes a credential valid, and a well-formed request for an invalid one is
        # answered 4xx by design (a verification result, a data-model problem).
        case.call_and_validate(
            headers=headers, excluded_checks=[schemathesis.checks.positive_data_acceptance]
        )

    answers_as_documented()


# --- credential-shaped documents -------------------------------------------------------

SIGNED = sign_credential({**CREDENTIAL, "issuer": ISSUER.controller}, key=ISSUER)
SKILL = json.loads((EXAMPLES / "skill-credential.json").read_text())
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def broken_credentials(draw: st.DrawFn) -> Any:
    """A real credential (signed here, or the profile's example) with one field replaced,
    removed or added — at the top, or one level down."""
    document = json.loads(json.dumps(draw(st.sampled_from([SIGNED, SKILL]))))
    target = document
    if draw(st.booleans()):
        nested = [k for k, v in document.items() if isinstance(v, dict)]
        if nested:
            target = document[draw(st.sampled_from(nested))]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    keys = list(target)
    if action == "add" or not keys:
        target[draw(st.text(min_size=1, max_size=12))] = draw(JSON_VALUES)
    elif action == "remove":
        del target[draw(st.sampled_from(keys))]
    else:
        target[draw(st.sampled_from(keys))] = draw(JSON_VALUES)
    return document


def same_statements(document: dict[str, Any], original: dict[str, Any]) -> bool:
    """The same RDF statements in the document and in its proof's options, and the same
    signature: what was signed is unchanged."""

    def statements(value: dict[str, Any]) -> tuple[str, str, Any]:
        unsecured = {k: v for k, v in value.items() if k != "proof"}
        proof = value.get("proof")
        if not isinstance(proof, dict):
            return canonicalize(unsecured, loader=default_loader()), "", proof
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        options["@context"] = value.get("@context")
        return (
            canonicalize(unsecured, loader=default_loader()),
            canonicalize(options, loader=default_loader()),
            proof.get("proofValue"),
        )

    return statements(document) == statements(original)


@given(document=broken_credentials())
@FUZZ
def test_the_verify_endpoint_on_broken_credentials(
    fuzzed: tuple[Service, dict[str, str]], document: Any
) -> None:
    service, _key = fuzzed
    response = service.client.post("/credentials/verify", json={"verifiableCredential": document})
    assert response.status_code in (200, 400, 413, 422), response.text
    body = response.json()
    if response.headers["content-type"].startswith("application/json"):
        assert body["verdict"] in VERDICT_SEVERITY
        assert body["verified"] is (response.status_code == 200)
        # A changed credential is never valid (unless what it states is unchanged).
        if body["verified"]:
            assert same_statements(document, SIGNED), document


@given(document=broken_credentials() | JSON_VALUES)
@FUZZ
def test_the_library_never_raises_and_never_says_valid_for_a_changed_credential(
    document: Any,
) -> None:
    verifier = Verifier()
    result = verifier.verify_credential(document)
    assert result.verdict in VERDICT_SEVERITY
    json.dumps(result.to_json())
    if result.verified:
        # Only a change that leaves the signed statements as they were (in JSON-LD, a
        # property whose value is null says nothing and is dropped) may still verify.
        assert same_statements(document, SIGNED), document
    presentation = verifier.verify_presentation(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [document],
        },
        unsigned_allowed=True,
    )
    assert presentation.verdict in VERDICT_SEVERITY


def test_fuzz_documents_are_what_they_claim() -> None:
    """The seeds verify as they should, so that 'changed' means changed."""
    assert Verifier().verify_credential(SIGNED).verified
    assert Path(OPENAPI).exists()
