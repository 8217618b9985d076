from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_database_url
from tests.support.service import Service, running_service


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def service(backend: str, tmp_path: Path) -> Iterator[Service]:
    with (
        fresh_database_url(backend, tmp_path) as url,
        running_service(url, tmp_path / "data") as svc,
    ):
        yield svc
