"""How an offer reaches the worker besides the QR code: an e-mail through the SMTP server
in settings (a local aiosmtpd server here) that never carries the transaction code; a
whole class offered by CSV over HTTP (JSON, CSV and the A4 sheet); and the file download
for a worker without a wallet, behind the same transaction-code tries."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO_ROOT
from tests.integration.test_offers_api import make_offer, offer_row
from tests.integration.test_skills_api import auth, provider_with_skill, stored
from tests.support.databases import fresh_database_url
from tests.support.processes import free_port
from tests.support.service import Service, running_service
from tests.support.wallets import OFFER_REQUEST


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    controller_module = pytest.importorskip("aiosmtpd.controller")
    inbox = Inbox()
    port = free_port()
    controller = controller_module.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


@pytest.fixture
def mailing_service(tmp_path: Path, smtp: tuple[str, Inbox]) -> Iterator[Service]:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(
            url, tmp_path / "data", smtp_url=smtp[0], smtp_from="Lasschool <noreply@lasschool.test>"
        ) as service,
    ):
        yield service


def test_an_offer_is_e_mailed_without_its_transaction_code(
    mailing_service: Service, smtp: tuple[str, Inbox]
) -> None:
    provider = provider_with_skill(mailing_service)
    offer = make_offer(mailing_service, provider, email="true")
    assert offer["emailed"] is True
    _url, inbox = smtp
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == OFFER_REQUEST["holder"]["email"]
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert offer["claimUrl"] in body
    assert "MIG/MAG fillet welding" in body and "Je wallet vraagt" in body
    assert offer["txCode"] not in body


def test_an_offer_whose_e_mail_fails_is_withdrawn(tmp_path: Path) -> None:
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data", smtp_url=f"smtp://127.0.0.1:{free_port()}") as svc,
    ):
        provider = provider_with_skill(svc)
        response = svc.client.post(
            "/offers", json=OFFER_REQUEST, headers=auth(provider), params={"email": "true"}
        )
        assert response.status_code == 502, response.text
        assert response.json()["code"] == "MAIL_NOT_SENT"
        listing = svc.client.get("/offers", headers=auth(provider)).json()["offers"]
        assert [o["state"] for o in listing] == ["withdrawn"]


def test_e_mail_needs_a_server_and_an_address(service: Service) -> None:
    provider = provider_with_skill(service)
    response = service.client.post(
        "/offers", json=OFFER_REQUEST, headers=auth(provider), params={"email": "true"}
    )
    assert response.status_code == 400 and "SKILLCRED_SMTP_URL" in response.json()["detail"]
    assert service.client.get("/offers", headers=auth(provider)).json()["offers"] == []


def test_a_class_is_offered_by_csv(service: Service) -> None:
    provider = provider_with_skill(service)
    results = (REPO_ROOT / "examples" / "results.csv").read_bytes()
    headers = {**auth(provider), "Content-Type": "text/csv"}
    answer = service.client.post("/offers/batch", content=results, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = body["summary"]["rows"]
    with_did = [
        line
        for line, r in enumerate(csv.DictReader(io.StringIO(results.decode())), 2)
        if r["holder_id"]
    ]
    # A row naming a holder DID is not for an offer (the wallet's key is the subject).
    assert [r["line"] for r in body["results"] if r["outcome"] == "failed"] == with_did
    offered = rows - len(with_did)
    assert body["summary"]["offered"] == offered > 0
    as_csv = service.client.post(
        "/offers/batch", content=results, headers={**headers, "Accept": "text/csv"}
    )
    records = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(records) == rows and sum(1 for r in records if r["tx_code"]) == offered
    sheet = service.client.post(
        "/offers/batch", content=results, headers={**headers, "Accept": "text/html"}
    )
    assert sheet.headers["content-type"].startswith("text/html")
    assert sheet.text.count("<svg") == offered
    assert stored(service) == 0  # nothing is issued before a wallet collects it


def test_the_download_fallback_takes_the_transaction_code(service: Service) -> None:
    provider = provider_with_skill(service)
    offer = make_offer(service, provider)
    path = urlsplit(offer["claimUrl"]).path
    wrong = f"{(int(offer['txCode']) + 1) % 1_000_000:06d}"
    refused = service.client.post(f"{path}/download", data={"tx_code": wrong, "lang": "nl"})
    assert refused.status_code == 400 and "Dat lukte niet" in refused.text
    assert offer_row(service, offer["id"]).tx_attempts == 1
    got = service.client.post(f"{path}/download", data={"tx_code": offer["txCode"]})
    assert got.status_code == 200, got.text
    assert got.headers["content-disposition"].startswith("attachment")
    credential = got.json()
    assert "id" not in credential["credentialSubject"]  # bound to no key: the e-mail hash
    assert credential["credentialSubject"]["identifier"][0]["identityType"] == "emailAddress"
    again = service.client.post(f"{path}/download", data={"tx_code": offer["txCode"]})
    assert again.status_code == 400
    row = offer_row(service, offer["id"])
    assert (row.state, row.delivered_via, row.request) == ("delivered", "download", None)
    assert stored(service) == 1
