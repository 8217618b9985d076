"""The worker's claim page in a real browser (Debian's Chromium, driven by Playwright), in
English and Dutch, on a phone (390 px) and a desktop: the texts a worker needs, the QR
code that decodes (zxing-cpp) to the offer URI, open-in-wallet links, no sideways
scrolling, no serious axe-core violation, and the page under its own CSP. Screenshots in
test-artifacts/ (not committed)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.test_verify_page import ARTIFACTS, assert_fits_and_accessible, browser, open_page
from tests.support.load import server
from tests.support.service import ADMIN_TOKEN
from tests.support.wallets import OFFER_REQUEST

__all__ = ["browser"]  # the Chromium fixture, shared with the employer page's tests
DEFINITION = json.loads((REPO_ROOT / "examples" / "skill-definition.json").read_text())
TEXTS = {
    "en": [
        "Your skill credential",
        "Hello Pieter Jansen,",
        "MIG/MAG fillet welding",
        "The transaction code",
        "Which wallets work",
        "the Dutch NL Wallet among them) and Yivi: as an SD-JWT VC (dc+sd-jwt)",
        "Learner Credential Wallet: as an Open Badges credential (ldp_vc)",
        "Open in wallet app",
        "Download the file instead",
    ],
    "nl": [
        "Je vaardigheidsbewijs",
        "Hallo Pieter Jansen,",
        "MIG/MAG fillet welding",
        "De transactiecode",
        "Welke wallets werken",
        "(waaronder de NL Wallet) en Yivi: als SD-JWT VC (dc+sd-jwt)",
        "Learner Credential Wallet: als Open Badges-bewijs (ldp_vc)",
        "Openen in wallet-app",
        "Download dan het bestand",
    ],
}


def decode_qr(png: bytes) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
        )
    ]


@pytest.fixture(scope="module")
def offered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("claim")
    with server(workdir, f"sqlite:///{workdir}/claim.db", workers=1) as (base, _process):
        with httpx.Client(base_url=base) as client:
            created = client.post(
                "/admin/providers",
                json={"slug": "lasschool", "name": "Lasschool Twente"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            ).json()
            key = {"Authorization": f"Bearer {created['apiKey']}"}
            assert client.post("/skills", json=DEFINITION, headers=key).status_code == 201
            offer = client.post("/offers", json=OFFER_REQUEST, headers=key).json()
            closed = client.post("/offers", json=OFFER_REQUEST, headers=key).json()
            assert client.delete(f"/offers/{closed['id']}", headers=key).status_code == 200
        yield {"base": base, "offer": offer, "closed": closed}


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_claim_page_in_both_languages(
    browser: Any, offered: dict[str, Any], lang: str, width: int
) -> None:
    offer = offered["offer"]
    path = urlsplit(offer["claimUrl"]).path
    page = open_page(
        browser,
        offered["base"],
        width=width,
        locale="nl-NL" if lang == "nl" else "en-GB",
        path=path,  # the language follows the browser's Accept-Language
    )
    text = page.inner_text("main")
    for expected in TEXTS[lang]:
        assert expected in text, (lang, expected)
    assert page.get_attribute("html", "lang") == lang
    assert offer["txCode"] not in page.content()  # the code travels apart from the link
    wallet_link = page.locator("a.button.primary").get_attribute("href")
    assert wallet_link == offer["credentialOffer"]
    assert page.locator("a.button:not(.primary)").get_attribute("href") == offer["vcapiRequest"]
    qr = page.locator(".qr img")
    qr.scroll_into_view_if_needed()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"claim-{lang}-{width}.png"), full_page=True)
    # The QR code as the browser shows it decodes to the offer URI.
    assert decode_qr(qr.screenshot()) == [offer["credentialOffer"]]
    assert_fits_and_accessible(page, f"claim {lang} {width}")
    page.context.close()


def test_the_qr_images_decode_to_the_offer_uri(offered: dict[str, Any]) -> None:
    offer = offered["offer"]
    path = urlsplit(offer["claimUrl"]).path
    png = httpx.get(f"{offered['base']}{path}/qr.png")
    assert png.headers["content-type"] == "image/png"
    assert decode_qr(png.content) == [offer["credentialOffer"]]
    svg = httpx.get(f"{offered['base']}{path}/qr.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.lstrip().startswith("<svg")


def test_the_page_works_under_its_csp_and_a_closed_offer_says_so(
    browser: Any, offered: dict[str, Any]
) -> None:
    errors: list[str] = []
    page = open_page(
        browser,
        offered["base"],
        width=390,
        bypass_csp=False,
        path=urlsplit(offered["offer"]["claimUrl"]).path + "?lang=nl",
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.reload()
    assert page.evaluate("() => getComputedStyle(document.querySelector('.button')).display") == (
        "block"
    )
    assert errors == []
    page.goto(offered["base"] + urlsplit(offered["closed"]["claimUrl"]).path)
    assert "withdrawn" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "claim-withdrawn-390.png"), full_page=True)
    page.context.close()
