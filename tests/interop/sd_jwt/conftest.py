"""Fixtures of the SD-JWT VC interop tests: two other issuers (one whose root is on the
trust list, one whose is not), an HTTPS server for their documents, and a service that
trusts the first's root and may reach that server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_database_url
from tests.support.https_server import DocumentServer, document_server
from tests.support.sd_jwt_parties import ForeignIssuer, pem
from tests.support.service import Service, running_service


@pytest.fixture(scope="module")
def issuer() -> ForeignIssuer:
    return ForeignIssuer("https://issuer.test/vocational-college", name="Vocational College")


@pytest.fixture(scope="module")
def stranger() -> ForeignIssuer:
    """An issuer whose root is on no trust list."""
    return ForeignIssuer("https://stranger.test/issuer", name="Stranger")


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[DocumentServer]:
    with document_server(tmp_path) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, remote: DocumentServer, issuer: ForeignIssuer) -> Iterator[Service]:
    """A service that trusts ``issuer``'s root (a trust list with an X.509 root), may reach
    the loopback HTTPS server their status lists are served from, and trusts its TLS
    certificate."""
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "name": "Test trust list",
                "issuers": [],
                "x509Roots": [{"certificate": pem(issuer.root), "name": "Vocational College"}],
            }
        )
    )
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url,
            tmp_path / "data",
            trust_list_file=trust,
            unsafe_allow_private_addresses=True,
            remote_ca_file=remote.cert_path,
        ) as svc,
    ):
        yield svc
