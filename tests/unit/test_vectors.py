"""tests/vectors stays a faithful copy of the shared vectors."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_VECTORS, VECTORS


def test_vectors_are_current() -> None:
    if not SHARED_VECTORS.is_dir():
        pytest.skip("../shared/vectors is not beside this checkout; nothing to compare with")
    shared = {
        p.relative_to(SHARED_VECTORS): p.read_bytes()
        for p in SHARED_VECTORS.rglob("*")
        if p.is_file()
    }
    copied = {
        p.relative_to(VECTORS): p.read_bytes()
        for p in VECTORS.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md"
    }
    assert copied == shared
