"""The fast JCS and base58btc paths give exactly the straightforward libraries' output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcred.core.cryptosuites.eddsa_jcs_2022 import jcs, jcs_reference
from skillcred.core.keys import base58btc_encode
from skillcred.errors import InvalidInputError
from tests.conftest import VECTORS

# JSON as parsed from the wire: str keys, any unicode (incl. beyond the BMP and
# the ranges whose UTF-16 order differs from code-point order), floats, big ints.
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12
) | st.sampled_from(["", "\ue000", "\uffff", "\U0001f600", "\x00\x1f\x7f", "\u2028", '"\\/'])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_text, children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None)
@given(_json)
def test_fast_jcs_equals_rfc8785(value: Any) -> None:
    assert jcs(value) == jcs_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**53},
        {"nan": float("nan")},
        {"lone surrogate": "\ud800"},
        {1: "non-string key"},
    ],
)
def test_values_json_cannot_carry_are_refused_like_rfc8785(value: Any) -> None:
    with pytest.raises(InvalidInputError):
        jcs_reference(value)
    with pytest.raises(InvalidInputError):
        jcs(value)


def test_every_vector_document_canonicalizes_identically() -> None:
    documents = list(Path(VECTORS).rglob("*.json"))
    assert len(documents) > 20
    for path in documents:
        value = json.loads(path.read_text(encoding="utf-8"))
        assert jcs(value) == jcs_reference(value), path


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_base58btc_encode_equals_the_base58_package(data: bytes) -> None:
    assert base58btc_encode(data) == base58.b58encode(data).decode()


def test_base58btc_leading_zero_bytes() -> None:
    for zeros in range(4):
        data = b"\0" * zeros + os.urandom(64)
        assert base58btc_encode(data) == base58.b58encode(data).decode()
    assert base58btc_encode(b"") == ""
    assert base58btc_encode(b"\0\0") == "11"
