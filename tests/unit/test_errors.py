"""One source for errors: every error class in errors.py, its URI derived from its code.

An error must carry the same problem ``type`` in an HTTP problem and inside a verification
result, and every code must be listed in docs/errors.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from skillcred import errors
from skillcred.api.problems import from_error
from skillcred.core.issuing import sign_credential
from skillcred.core.keys import load_key_file
from skillcred.core.proofs import Problem
from skillcred.core.verifying import Verifier
from tests.conftest import REPO_ROOT, load_vector, read_vector


def _classes(root: type[errors.SkillcredError]) -> Iterator[type[errors.SkillcredError]]:
    yield root
    for sub in root.__subclasses__():
        yield from _classes(sub)


ERROR_CLASSES = sorted(set(_classes(errors.SkillcredError)), key=lambda c: c.__name__)


def test_every_error_class_lives_in_errors_py() -> None:
    import skillcred.api.app
    import skillcred.cli  # noqa: F401

    outside = [
        f"{c.__module__}.{c.__qualname__}"
        for c in set(_classes(errors.SkillcredError))
        if c.__module__ != "skillcred.errors" and not c.__module__.startswith("tests.")
    ]
    assert outside == []


@pytest.mark.parametrize("kind", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_problem_type_in_http_equals_the_one_in_results(kind: type[errors.SkillcredError]) -> None:
    error = kind.__new__(kind)
    errors.SkillcredError.__init__(error, "detail")
    assert kind is errors.SkillcredError or "type_uri" not in vars(kind), (
        f"{kind.__name__} sets type_uri by hand; it is derived from the code"
    )
    body = orjson.loads(from_error(error).body)
    if isinstance(error, errors.OAuthError):
        # OpenID4VCI endpoints answer the OAuth 2.0 error object (RFC 6749 §5.2) instead
        assert body["error"] == error.code
        return
    http_type = body["type"]
    result_type = Problem(error.code, error.title, "detail").to_json()["type"]
    assert http_type == result_type == errors.problem_type(error.code)
    assert http_type.startswith(("https://", "urn:skillcred:problem:"))


def test_an_error_raised_with_another_code_takes_that_codes_uri() -> None:
    error = errors.StatusListError("index beyond the list", code="RANGE_ERROR")
    assert error.type_uri == errors.VC_ERRORS + "RANGE_ERROR"  # a VC code, not a status-list one
    assert (
        errors.StatusListError("x").type_uri == errors.STATUS_ERRORS + "STATUS_VERIFICATION_ERROR"
    )
    assert (
        errors.DataModelError("x", code="PARSING_ERROR").type_uri
        == errors.VC_ERRORS + "PARSING_ERROR"
    )


def test_the_issuer_mismatch_has_one_uri_when_refused_and_when_reported() -> None:
    """Issuing refuses a credential naming another issuer (IssuerMismatchError, an HTTP
    problem); verifying a credential whose proof is not the named issuer's reports the
    same code, with the same URI."""
    key = load_key_file(read_vector("eddsa", "keyPair.json"))
    unsigned = load_vector("eddsa", "unsigned.json")
    unsigned["issuer"] = key.controller
    signed = sign_credential(unsigned, key=key, cryptosuite="eddsa-rdfc-2022")
    signed["issuer"] = "did:web:issuer.example"
    result = Verifier().verify_credential(signed).to_json()
    reported = [p for p in _problems(result) if p.get("code") == "ISSUER_MISMATCH"]
    assert reported, result
    refused = errors.IssuerMismatchError("the credential names another issuer")
    http = orjson.loads(from_error(refused).body)
    assert http["code"] == "ISSUER_MISMATCH"
    assert {p["type"] for p in reported} == {http["type"]}


def _problems(node: Any) -> Iterator[dict[str, Any]]:
    """Every problem entry anywhere in a verification result."""
    if isinstance(node, dict):
        if "code" in node and "type" in node:
            yield node
        for value in node.values():
            yield from _problems(value)
    elif isinstance(node, list):
        for item in node:
            yield from _problems(item)


def test_docs_list_every_code_with_its_uri() -> None:
    text = (REPO_ROOT / "docs" / "errors.md").read_text()
    for kind in ERROR_CLASSES:
        row = f"| `{kind.code}` | `{kind.__name__}` |"
        assert row in text, f"docs/errors.md has no row for {kind.__name__}"
        line = next(line for line in text.splitlines() if line.startswith(row))
        assert f"`{errors.problem_type(kind.code)}`" in line
    for code, earlier in errors.EARLIER_TYPE_URIS.items():
        assert earlier != errors.problem_type(code)
        assert f"`{earlier}`" in text
