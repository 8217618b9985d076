"""skillcred offers create|list|withdraw and issue-batch --offers: a class offered from a
CSV, with offers.csv (links and codes), the A4 sheet with one QR code per worker that
decodes to that worker's offer, and a row with a holder DID refused by its line."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.e2e.test_issue_batch import EXAMPLES, prepared, skillcred
from tests.support.wallets import OFFER_REQUEST


def test_offers_create_list_withdraw(tmp_path: Path) -> None:
    prepared(tmp_path)
    request = tmp_path / "offer.json"
    request.write_text(json.dumps(OFFER_REQUEST))
    created = skillcred(tmp_path, "offers", "create", "--provider", "lasschool", str(request))
    assert created.returncode == 0, created.stderr
    offer = json.loads(created.stdout)
    assert offer["credentialOffer"].startswith("openid-credential-offer://")
    assert re.fullmatch(r"\d{6}", offer["txCode"])
    listed = json.loads(skillcred(tmp_path, "offers", "list", "--provider", "lasschool").stdout)
    assert [(o["id"], o["state"]) for o in listed] == [(offer["id"], "offered")]
    withdrawn = skillcred(tmp_path, "offers", "withdraw", "--provider", "lasschool", offer["id"])
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert json.loads(withdrawn.stdout)["state"] == "withdrawn"
    missing = skillcred(tmp_path, "offers", "withdraw", "--provider", "lasschool", "nope")
    assert missing.returncode != 0 and "no offer" in missing.stderr


def test_issue_batch_offers_writes_the_csv_and_the_sheet(tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    prepared(tmp_path)
    done = skillcred(
        tmp_path,
        "issue-batch",
        "--provider",
        "lasschool",
        "--offers",
        "--out",
        str(tmp_path / "class"),
        str(EXAMPLES / "results.csv"),
    )
    report = json.loads(done.stdout)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "class" / "offers.csv").read_text())))
    # The example's first row names a holder DID: an offer binds to the wallet's key instead.
    assert report["failures"][0]["line"] == 2 and "holder.id" in report["failures"][0]["error"]
    assert report["offered"] == report["rows"] - report["failed"] > 0
    offered = [r for r in rows if r["offer_id"]]
    assert len(offered) == report["offered"]
    assert all(re.fullmatch(r"\d{6}", r["tx_code"]) for r in offered)
    assert (tmp_path / "class" / "offers.csv").stat().st_mode & 0o077 == 0
    sheet = (tmp_path / "class" / "sheet.html").read_text()
    assert sheet.count("<svg") == len(offered)
    # The sheet's first QR code, rendered, decodes to that worker's offer URI.
    segno = pytest.importorskip("segno")
    qr = segno.make_qr(offered[0]["credential_offer"], error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4)
    image = pytest.importorskip("PIL.Image").open(io.BytesIO(buffer.getvalue()))
    assert [
        r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ] == [offered[0]["credential_offer"]]
    assert (
        qr.svg_inline(scale=3, border=2, title=f"QR code for {offered[0]['holder_name']}")[:200]
        in sheet
    )
    # The codes are on a page of their own, not beside the QR codes.
    slips, _, codes = sheet.partition('<section class="codes">')
    assert offered[0]["tx_code"] not in slips and offered[0]["tx_code"] in codes
