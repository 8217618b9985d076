from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_database_url
from tests.support.https_server import DocumentServer, document_server
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


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[DocumentServer]:
    with document_server(tmp_path) as server:
        yield server


@pytest.fixture
def open_service(tmp_path: Path, remote: DocumentServer) -> Iterator[Service]:
    """A service allowed to reach loopback (the test server) and trusting its certificate."""
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            unsafe_allow_private_addresses=True,
            remote_ca_file=remote.cert_path,
        ) as service,
    ):
        yield service


@pytest.fixture
def guarded_service(tmp_path: Path, remote: DocumentServer) -> Iterator[Service]:
    """A service as it runs in production: private and loopback addresses refused."""
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data", remote_ca_file=remote.cert_path) as service,
    ):
        yield service
