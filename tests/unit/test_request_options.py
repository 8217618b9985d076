"""VC-API options are parsed once, at the edge, into typed models; every mistake names the
option and is a RequestError (a 400 problem), never a silently ignored option."""

from __future__ import annotations

from typing import Any

import pytest

from skillcred.api.options import (
    IssueRequestOptions,
    VerifyCredentialRequestOptions,
    VerifyPresentationRequestOptions,
)
from skillcred.core.verifying import Check
from skillcred.errors import RequestError


def test_typed_values() -> None:
    issue = IssueRequestOptions.parse(
        {"cryptosuite": "eddsa-jcs-2022", "created": "2026-01-01T00:00:00Z"}
    )
    assert (issue.cryptosuite, issue.created, issue.statusPurposes) == (
        "eddsa-jcs-2022",
        "2026-01-01T00:00:00Z",
        None,
    )
    assert IssueRequestOptions.parse(None).cryptosuite == "eddsa-rdfc-2022"
    vp = VerifyPresentationRequestOptions.parse(
        {
            "challenge": "c",
            "domain": "d",
            "allowUnsignedPresentation": True,
            "checks": ["expiration"],
        }
    )
    assert (vp.challenge, vp.domain, vp.allowUnsignedPresentation) == ("c", "d", True)
    assert vp.selected_checks == frozenset({Check("validityPeriod")})
    assert VerifyCredentialRequestOptions.parse({}).selected_checks is None


@pytest.mark.parametrize(
    ("model", "raw", "detail"),
    [
        (IssueRequestOptions, ["cryptosuite"], "options must be a JSON object"),
        (IssueRequestOptions, {"mandatoryPointers": []}, "unknown option 'mandatoryPointers'"),
        (
            IssueRequestOptions,
            {"cryptosuite": "ecdsa-rdfc-2019"},
            "unknown cryptosuite 'ecdsa-rdfc-2019'",
        ),
        (IssueRequestOptions, {"created": 2026}, "options.created must be a string"),
        (VerifyCredentialRequestOptions, {"challenge": "c"}, "unknown option 'challenge'"),
        (VerifyCredentialRequestOptions, {"checks": "proof"}, "options.checks must be an array"),
        (VerifyCredentialRequestOptions, {"checks": ["prof"]}, "unknown check 'prof'"),
        (VerifyCredentialRequestOptions, {"checks": [1]}, "options.checks.0 must be a string"),
        (VerifyPresentationRequestOptions, {"domain": ["d"]}, "options.domain must be a string"),
        (
            VerifyPresentationRequestOptions,
            {"allowUnsignedPresentation": "true"},
            "options.allowUnsignedPresentation must be true or false",
        ),
    ],
)
def test_mistakes_are_refused_by_name(model: Any, raw: Any, detail: str) -> None:
    with pytest.raises(RequestError) as refused:
        model.parse(raw)
    assert detail in refused.value.detail
