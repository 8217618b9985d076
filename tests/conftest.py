"""Shared fixtures: the W3C test vectors, key files, and a clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.reference import ReferenceImplementation
from tests.support.sdjwt_reference import SdJwtReference

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The W3C test vectors, 1EdTech schemas and context files, as published (tests/vectors;
#: a copy of the project's ../shared/vectors, kept identical by test_vectors_are_current).
VECTORS = REPO_ROOT / "tests" / "vectors"
SHARED_VECTORS = REPO_ROOT.parent / "shared" / "vectors"


def vector_path(*parts: str) -> Path:
    path = VECTORS.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"the test vector {path} is missing: the W3C vectors are expected in {VECTORS}")
    return path


def load_vector(*parts: str) -> Any:
    return json.loads(vector_path(*parts).read_text(encoding="utf-8"))


def read_vector(*parts: str) -> str:
    return vector_path(*parts).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vector_key_file() -> Path:
    return vector_path("eddsa", "keyPair.json")


@pytest.fixture(scope="session")
def reference() -> Iterator[ReferenceImplementation]:
    """Digital Bazaar's reference implementation (interop/vc.mjs), one process per session."""
    implementation = ReferenceImplementation()
    yield implementation
    implementation.close()


@pytest.fixture(scope="session")
def dcc_verifier() -> Iterator[ReferenceImplementation]:
    """DCC's @digitalcredentials/verifier-core (interop/dcc.mjs), one process per session;
    nothing it asks for leaves the process (network refused)."""
    implementation = ReferenceImplementation("dcc.mjs")
    yield implementation
    implementation.close()


@pytest.fixture(scope="session")
def sdjwt_reference() -> Iterator[SdJwtReference]:
    """The OpenWallet Foundation's SD-JWT libraries (interop/sdjwt.mjs), one process per
    session; nothing it is given is fetched (keys, roots and status lists come in requests)."""
    implementation = SdJwtReference()
    yield implementation
    implementation.close()


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A SoftHSM2 token for this session (tests.support.softhsm)."""
    from tests.support.softhsm import softhsm_token

    return softhsm_token(tmp_path_factory.mktemp("softhsm"))
