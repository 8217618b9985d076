"""RFC 7240 Prefer: only the respond-async preference turns a batch into a job."""

from __future__ import annotations

import pytest

from skillcred.api.routers.skills import respond_async


@pytest.mark.parametrize(
    "values",
    [
        ["respond-async"],
        ["Respond-Async"],
        ["wait=10, respond-async"],
        ["return=minimal", " respond-async ; foo=bar"],
        ["respond-async=", "wait=5"],
    ],
)
def test_respond_async_is_recognised(values: list[str]) -> None:
    assert respond_async(values)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [""],
        ["wait=10"],
        ["return=representation"],
        ["respond-asynchronously"],
        ["x=respond-async"],
    ],
)
def test_other_preferences_are_not(values: list[str]) -> None:
    assert not respond_async(values)
