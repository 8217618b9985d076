"""The employer page asks the worker's wallet (Chromium, driven by Playwright): the
employer clicks "Ask the worker's wallet", the page shows the two QR codes, the worker's
wallet (the OpenWallet Foundation's @openid4vc/openid4vp, interop/presentation-wallet.mjs)
answers the request the code holds, and the page — polling — shows the verdict cards, marked
"presented by its holder just now", under its Content-Security-Policy, fitting a phone,
with no serious accessibility violation."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair
from tests.e2e.test_verify_page import AXE, CHROMIUM, assert_fits_and_accessible, open_page
from tests.support.reference import require
from tests.support.wallet import Site, key_file, run_wallet, site

pytestmark = pytest.mark.interop

PIETER = Ed25519KeyPair.generate()
MALLORY = Ed25519KeyPair.generate()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    require(AXE.exists(), f"{AXE} is missing (npm ci --prefix interop)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(tmp_path_factory.mktemp("page-ask")) as started:
        started.issue(PIETER, "mig-fillet", "independent")
        started.issue(PIETER, "working-at-height")
        yield started


RASTERIZE = """async (id) => {
    // The QR code as the page shows it, drawn large (SVG scales without loss) and read
    // back as grey pixels, for a decoder outside the browser.
    const source = document.getElementById(id);
    const image = new Image();
    image.src = source.src;
    await image.decode();
    const size = 1200;
    const canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, size, size);
    context.drawImage(image, 0, 0, size, size);
    const rgba = context.getImageData(0, 0, size, size).data;
    let grey = "";
    for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode(rgba[i]);
    return {size, pixels: btoa(grey)};
}"""


def decode_shown_qr(page: Any, image_id: str) -> str:
    zxingcpp = pytest.importorskip("zxingcpp")
    drawn = page.evaluate(RASTERIZE, image_id)
    size = drawn["size"]
    pixels = base64.b64decode(drawn["pixels"])
    found = zxingcpp.read_barcodes(
        memoryview(pixels).cast("B", (size, size)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert len(found) == 1, f"{image_id}: {len(found)} codes found"
    return str(found[0].text)


def ask_on_the_page(page: Any, purpose: str) -> str:
    page.fill("#ask-purpose", purpose)
    page.click("#ask-button")
    page.wait_for_selector("#ask-codes:not([hidden]) #qr-openid4vp[src^='data:image/svg+xml']")
    assert page.locator("#qr-vcapi").get_attribute("src").startswith("data:image/svg+xml")
    assert "Learner Credential Wallet" in page.inner_text("#ask-codes")
    assert "Waiting for the worker's wallet" in page.inner_text("#ask-status")
    request = page.locator("#qr-openid4vp").get_attribute("data-request")
    assert request.startswith("openid4vp://")
    assert page.locator("#link-openid4vp").get_attribute("href") == request
    # What a phone reads off the screen is the request (and the LCW deep link).
    assert decode_shown_qr(page, "qr-openid4vp") == request
    vcapi = decode_shown_qr(page, "qr-vcapi")
    assert vcapi == page.locator("#link-vcapi").get_attribute("href")
    assert vcapi.startswith("https://lcw.app/request.html?request=")
    return str(request)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_wallet_answers_and_the_page_shows_it_presented_now(
    browser: Any, running: Site, width: int
) -> None:
    page = open_page(browser, running.base, width=width, bypass_csp=False)
    request = ask_on_the_page(page, "Welding job at the Hengelo yard")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": request,
            "key": key_file(PIETER),
            "credentials": list(running.issued[PIETER.controller].values()),
        }
    )
    assert out["ok"] and out["status"] == 200, out
    page.wait_for_selector("#result:not([hidden]) .skill", timeout=30_000)
    holder = page.inner_text("#passport-holder")
    assert "Presented by its holder just now" in holder
    assert "Signed by the worker's wallet for this check." in holder
    cards = page.locator(".skill")
    assert cards.count() == 2
    for index in range(2):
        item = cards.nth(index)
        assert item.get_attribute("data-verdict") == "valid"
        assert "Presented by its holder just now" in item.inner_text()
    assert "MIG/MAG fillet welding" in page.inner_text("#result")
    assert page.locator("#ask-codes").is_hidden()
    shot = Path("test-artifacts")
    shot.mkdir(exist_ok=True)
    page.screenshot(path=str(shot / f"presentation-request-{width}.png"), full_page=True)
    page.context.close()


def test_someone_elses_answer_is_not_marked_presented(browser: Any, running: Site) -> None:
    page = open_page(browser, running.base, bypass_csp=False)
    request = ask_on_the_page(page, "Check")
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": request,
            "key": key_file(MALLORY),  # Mallory holds copies of Pieter's credentials
            "credentials": list(running.issued[PIETER.controller].values()),
        }
    )
    assert out["ok"] and out["status"] == 200, out
    page.wait_for_selector("#result:not([hidden]) .skill", timeout=30_000)
    text = page.inner_text("#result")
    assert "Presented by its holder just now" not in text
    assert "Not shown by its holder for this request" in page.inner_text("#passport-holder")
    verdicts = page.locator(".skill").evaluate_all("nodes => nodes.map(n => n.dataset.verdict)")
    assert verdicts == ["invalid", "invalid"]
    page.context.close()


def test_the_asking_page_is_accessible(browser: Any, running: Site) -> None:
    for width in (1280, 390):
        page = open_page(browser, running.base, width=width)  # CSP bypassed for axe only
        page.fill("#ask-purpose", "Accessibility")
        page.click("#ask-button")
        page.wait_for_selector("#ask-codes:not([hidden])")
        assert_fits_and_accessible(page, f"asking at {width} px")
        page.context.close()


def test_json_of_the_result_is_there_too(running: Site) -> None:
    created = running.ask()
    out = run_wallet(
        {
            "op": "openid4vp",
            "request": created["openid4vpRequest"],
            "key": key_file(PIETER),
            "credentials": list(running.issued[PIETER.controller].values()),
        }
    )
    assert out["status"] == 200
    response = running.result(created)
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.text)["verdict"] == "valid"
