"""The employer page in a real browser (Debian's Chromium, driven by Playwright): a valid
passport pasted shows every skill valid; a revoked credential dropped on the page shows
revoked; a tampered one shows not genuine; the page works in Dutch and by keyboard.
Screenshots land in test-artifacts/."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillcred import Ed25519KeyPair, sign_credential, sign_presentation
from tests.conftest import REPO_ROOT
from tests.support.load import server
from tests.support.reference import require
from tests.support.service import ADMIN_TOKEN

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
HOLDER = Ed25519KeyPair.generate()
SKILLS = ("MIG/MAG welding", "Working at height", "Reading technical drawings")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A running service with one provider, and the documents the tests need."""
    workdir = tmp_path_factory.mktemp("page")
    url = f"sqlite:///{workdir / 'page.db'}"
    with server(workdir, url, workers=1) as (base, _process):
        created = httpx.post(
            f"{base}/admin/providers",
            json={"slug": "lasschool", "name": "lasschool"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        created.raise_for_status()
        api_key = created.json()["apiKey"]
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            issued = []
            for skill in SKILLS:
                credential = {
                    "@context": [
                        "https://www.w3.org/ns/credentials/v2",
                        "https://www.w3.org/ns/credentials/examples/v2",
                    ],
                    "type": ["VerifiableCredential"],
                    "name": skill,
                    "credentialSubject": {"id": HOLDER.controller, "skill": skill},
                }
                response = client.post("/credentials/issue", json={"credential": credential})
                response.raise_for_status()
                issued.append(response.json()["verifiableCredential"])
            revoked = issued[2]
            client.post(
                "/credentials/status",
                json={
                    "credentialId": revoked["id"],
                    "credentialStatus": {
                        "type": "BitstringStatusList",
                        "statusPurpose": "revocation",
                    },
                    "status": True,
                },
            ).raise_for_status()
        passport = sign_presentation(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": HOLDER.controller,
                "verifiableCredential": issued[:2],
            },
            key=HOLDER,
        )
        tampered = copy.deepcopy(issued[0])
        tampered["credentialSubject"]["skill"] = "Crane operation"
        # The forgery of issue 9: the provider's name and DID, another key's signature.
        impostor_key = Ed25519KeyPair.generate()
        impostor = {k: v for k, v in issued[0].items() if k not in ("proof", "credentialStatus")}
        impostor = sign_credential(impostor, key=impostor_key)
        unknown_context = copy.deepcopy(issued[0])
        unknown_context["@context"].append("https://contexts.example/welding/v1")
        yield {
            "base": base,
            "passport": passport,
            "revoked": revoked,
            "tampered": tampered,
            "impostor": impostor,
            "unknown_context": unknown_context,
            "dir": workdir,
        }


def open_page(browser: Any, base: str, locale: str = "en-GB") -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1100, "height": 1200})
    page = context.new_page()
    page.goto(f"{base}/verify")
    return page


def test_pasting_a_valid_passport_shows_every_skill_valid(
    browser: Any, site: dict[str, Any]
) -> None:
    page = open_page(browser, site["base"])
    page.fill("#document", json.dumps(site["passport"], indent=2))
    page.click("#verify-button")
    page.wait_for_selector("#result:not([hidden]) .skill")
    skills = page.locator(".skill")
    assert skills.count() == 2
    assert page.locator(".skill .verdict").all_inner_texts() == ["VALID", "VALID"]
    assert page.locator(".skill h3").all_inner_texts() == list(SKILLS[:2])
    assert "signed by its holder" in page.inner_text("#holder")
    assert "lasschool" in page.inner_text(".skill dl")
    page.click(".skill details summary")
    assert "Signature: passed" in page.inner_text(".skill details")
    page.screenshot(path=str(ARTIFACTS / "page-valid-passport.png"), full_page=True)


def test_dropping_a_revoked_credential_shows_revoked(browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site["base"])
    content = json.dumps(site["revoked"])
    # A real drop: a DataTransfer holding a file, dispatched on the drop zone.
    page.evaluate(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "revoked.json", {type: "application/json"}));
            const zone = document.getElementById("drop-zone");
            const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        content,
    )
    page.wait_for_selector(".skill[data-verdict]")
    assert page.locator(".skill").get_attribute("data-verdict") == "revoked"
    assert page.inner_text(".skill .verdict") == "REVOKED"
    assert page.inner_text(".skill h3") == SKILLS[2]
    assert "revoked" in page.inner_text(".skill dl")
    page.screenshot(path=str(ARTIFACTS / "page-revoked-credential.png"), full_page=True)


def test_a_tampered_credential_shows_not_genuine_in_dutch_by_keyboard(
    browser: Any, site: dict[str, Any]
) -> None:
    page = open_page(browser, site["base"], locale="nl-NL")
    assert page.inner_text("h1") == "Een vaardighedenpaspoort controleren"
    path = site["dir"] / "tampered.json"
    path.write_text(json.dumps(site["tampered"]))
    # Keyboard only: focus the text area, paste, tab to the button, press Enter.
    page.focus("#document")
    page.keyboard.insert_text(path.read_text())
    page.focus("#verify-button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".skill[data-verdict]")
    assert page.locator(".skill").get_attribute("data-verdict") == "not-genuine"
    assert page.inner_text(".skill .verdict") == "NIET ECHT"
    assert page.evaluate("document.activeElement.id") == "result-heading"
    page.screenshot(path=str(ARTIFACTS / "page-tampered-credential.png"), full_page=True)
    page.click("[data-lang=en]")
    assert page.inner_text(".skill .verdict") == "NOT GENUINE"


def test_the_file_picker_and_bad_input(browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site["base"])
    path = site["dir"] / "revoked.json"
    path.write_text(json.dumps(site["revoked"]))
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".skill[data-verdict=revoked]")
    page.fill("#document", "{not json")
    page.click("#verify-button")
    assert "This is not JSON" in page.inner_text("#message")


@pytest.mark.parametrize(
    ("document", "verdict", "word"),
    [
        ("impostor", "not-genuine", "NOT GENUINE"),
        ("unknown_context", "cannot-check", "CANNOT BE CHECKED"),
    ],
)
def test_a_forgery_is_not_genuine_and_what_cannot_be_checked_says_so(
    browser: Any, site: dict[str, Any], document: str, verdict: str, word: str
) -> None:
    page = open_page(browser, site["base"])
    page.fill("#document", json.dumps(site[document]))
    page.click("#verify-button")
    page.wait_for_selector(".skill[data-verdict]")
    assert page.locator(".skill").get_attribute("data-verdict") == verdict
    assert page.inner_text(".skill .verdict") == word
    if verdict == "not-genuine":
        assert "not made with the issuer's own key" in page.inner_text(".skill .explain")
        assert "not of the issuer" in page.inner_text(".skill .reason")
    else:
        assert "neither confirmed nor shown false" in page.inner_text(".skill .explain")
        assert "contexts.example/welding/v1" in page.inner_text(".skill .reason")
    page.screenshot(path=str(ARTIFACTS / f"page-{verdict}.png"), full_page=True)
