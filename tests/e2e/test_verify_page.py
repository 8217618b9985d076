"""The employer page in a real browser (Debian's Chromium, driven by Playwright), as an HR
officer or site supervisor uses it, on a desktop (1280 px) and a phone (390 px):

- each case — valid, revoked, suspended with the provider's reason, expired, a tampered
  claim, an impostor's key under a registered provider's name, an unknown issuer calling
  itself by that name, cannot check (a context not shipped, a did:web issuer that does not
  answer), a passport with mixed verdicts, a hashed e-mail holder, Dutch — shows the texts
  a decision needs; a document that is not genuine shows none of its claims outside the
  struck-through "what the document claims (not trustworthy)" block;
- no case scrolls sideways at 390 px, and axe-core (from npm, injected into the page)
  finds no serious or critical accessibility violation on any of them;
- the printed report, the landing page and /docs work with nothing fetched from
  anywhere but this service.

Screenshots of every case land in test-artifacts/ (not committed).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from skillcred import Ed25519KeyPair, sign_credential, sign_presentation
from tests.conftest import REPO_ROOT
from tests.support.load import server
from tests.support.reference import require
from tests.support.service import ADMIN_TOKEN
from tests.support.skills import SKILLS as CATALOGUE

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
AXE = REPO_ROOT / "interop" / "node_modules" / "axe-core" / "axe.min.js"
#: Pieter Jansen's wallet key: he holds his skills under its DID and signs his passport
PIETER = Ed25519KeyPair.generate()
PROVIDER = "Lasschool Twente"
WIDTHS = {"desktop": 1280, "phone": 390}

#: the three skills the cases use, from the shared catalogue
SKILLS = [
    s for s in CATALOGUE if s["key"] in ("mig-fillet", "working-at-height", "technical-drawings")
]


def _request(
    skill: str,
    level: str,
    *,
    holder: dict[str, Any] | None = None,
    assessed: str = "2026-02-27",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "holder": holder or {"id": PIETER.controller, "name": "Pieter Jansen"},
        "skill": skill,
        "level": level,
        "assessment": {
            "method": "practical",
            "date": assessed,
            "assessor": {"name": "J. de Vries", "qualification": "IWI-C welding inspector"},
            "body": {"name": "Lasinstituut Oost"},
            "narrative": "Three test pieces in positions PA, PB and PF; visual and macro "
            "inspection passed.",
        },
        "evidence": [
            {
                "name": "Test report 2026-0227-118",
                "url": "https://lasschool-twente.example/reports/2026-0227-118",
            }
        ],
        **extra,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _without_disclosure(sd_jwt: str, claim: str) -> str:
    """The SD-JWT with the disclosure of ``claim`` left out, as a holder leaves it out."""
    jwt, *disclosures = sd_jwt.split("~")

    def named(disclosure: str) -> bool:
        decoded = json.loads(base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4)))
        return len(decoded) == 3 and decoded[1] == claim

    kept = [d for d in disclosures if d and not named(d)]
    assert len(kept) == len([d for d in disclosures if d]) - 1, f"no disclosure of {claim}"
    return "~".join([jwt, *kept, ""])


def _resigned(credential: dict[str, Any], key: Ed25519KeyPair, **changes: Any) -> dict[str, Any]:
    unsigned = {k: v for k, v in credential.items() if k not in ("proof", "credentialStatus")}
    return sign_credential({**unsigned, **changes}, key=key)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    require(AXE.exists(), f"{AXE} is missing (npm ci --prefix interop)")
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
    """A running service with one provider, Lasschool Twente, and the documents of every
    case, issued through the service as the provider would."""
    workdir = tmp_path_factory.mktemp("page")
    url = f"sqlite:///{workdir / 'page.db'}"
    with server(workdir, url, workers=1) as (base, _process):
        created = httpx.post(
            f"{base}/admin/providers",
            json={"slug": "lasschool-twente", "name": PROVIDER},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        created.raise_for_status()
        headers = {"Authorization": f"Bearer {created.json()['apiKey']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:

            def issue(body: dict[str, Any]) -> dict[str, Any]:
                response = client.post("/skill-credentials", json=body)
                assert response.status_code == 201, response.text
                issued: dict[str, Any] = response.json()["verifiableCredential"]
                return issued

            def status(credential: dict[str, Any], purpose: str, reason: str) -> None:
                client.post(
                    "/credentials/status",
                    json={
                        "credentialId": credential["id"],
                        "credentialStatus": {
                            "type": "BitstringStatusList",
                            "statusPurpose": purpose,
                        },
                        "status": True,
                        "reason": reason,
                    },
                ).raise_for_status()

            for skill in SKILLS:
                client.post("/skills", json=skill).raise_for_status()
            welding = issue(_request("mig-fillet", "independent"))
            height = issue(_request("working-at-height", "basic"))
            drawings = issue(_request("technical-drawings", "independent"))
            revoked = issue(_request("technical-drawings", "basic"))
            expired = issue(
                _request(
                    "mig-fillet",
                    "basic",
                    assessed="2022-02-18",
                    validFrom="2022-03-01T00:00:00Z",
                    validUntil="2024-03-01T00:00:00Z",
                )
            )
            anna = issue(
                _request("working-at-height", "basic", holder={"email": "anna.deboer@example.nl"})
            )
            status(height, "suspension", "pending re-assessment")
            status(revoked, "revocation", "issued in error")

            # The SD-JWT VC twins (POST /sd-jwt-vc) of two of them, bound to a wallet key;
            # the valid one shown without the holder's name, as a wallet would.
            holder = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
            holder_jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": _b64url(holder.x.to_bytes(32, "big")),
                "y": _b64url(holder.y.to_bytes(32, "big")),
            }

            def twin(credential: dict[str, Any]) -> str:
                response = client.post(
                    "/sd-jwt-vc", json={"credentialId": credential["id"], "holderJwk": holder_jwk}
                )
                assert response.status_code == 201, response.text
                return str(response.json()["credential"])

            sd_jwt_valid = _without_disclosure(twin(welding), "name")
            sd_jwt_revoked = twin(revoked)

        # A claim changed after signing: the level raised to Expert.
        tampered = copy.deepcopy(welding)
        result = tampered["credentialSubject"]["result"][0]
        result["achievedLevel"] = result["achievedLevel"].replace("independent", "expert")
        # The forgery of issue 9: the provider's name and DID, another key's signature.
        impostor_key = Ed25519KeyPair.generate()
        impostor = _resigned(tampered, impostor_key)
        # The provider's name under the impostor's own DID: intact, but nobody known vouches.
        unknown_issuer = _resigned(
            tampered,
            impostor_key,
            issuer={"id": impostor_key.controller, "type": ["Profile"], "name": PROVIDER},
        )
        unknown_context = copy.deepcopy(welding)
        unknown_context["@context"].append("https://contexts.lasschool-twente.example/v1")
        # A did:web issuer whose website does not answer (nothing listens on port 1).
        did = "did:web:localhost%3A1"
        web_key = Ed25519KeyPair.from_seed(
            Ed25519KeyPair.generate().seed(), controller=did, verification_method=f"{did}#key-1"
        )
        unreachable = _resigned(
            welding,
            web_key,
            issuer={"id": did, "type": ["Profile"], "name": "Metaal Opleidingen Oost"},
        )
        passport = sign_presentation(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": PIETER.controller,
                "verifiableCredential": [welding, drawings, height, tampered],
            },
            key=PIETER,
        )
        yield {
            "base": base,
            "dir": workdir,
            "valid": welding,
            "revoked": revoked,
            "suspended": height,
            "expired": expired,
            "tampered": tampered,
            "impostor": impostor,
            "unknown-issuer": unknown_issuer,
            "cannot-check-context": unknown_context,
            "cannot-check-did-web": unreachable,
            "passport": passport,
            "hashed-email": anna,
            "sd-jwt-valid": sd_jwt_valid,
            "sd-jwt-revoked": sd_jwt_revoked,
        }


def open_page(
    browser: Any,
    base: str,
    *,
    width: int = 1280,
    locale: str = "en-GB",
    bypass_csp: bool = True,
    path: str = "/verify",
) -> Any:
    """A fresh browser context. The CSP is bypassed only so that axe-core can be injected
    (test_the_page_keeps_its_content_security_policy runs the page under its CSP)."""
    phone = width < 600
    context = browser.new_context(
        locale=locale,
        viewport={"width": width, "height": 844 if phone else 1000},
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=bypass_csp,
        timezone_id="Europe/Amsterdam",
    )
    page = context.new_page()
    page.goto(f"{base}{path}")
    return page


def check(page: Any, document: dict[str, Any]) -> None:
    page.fill("#document", json.dumps(document, indent=2))
    page.click("#verify-button")
    page.wait_for_selector("#result:not([hidden]) .skill")


def visible_text(page: Any, selector: str = "#result") -> str:
    return str(page.inner_text(selector))


def text_outside_claims(page: Any) -> str:
    """Everything the result holds — hidden text too, such as the technical details —
    except the claims block of documents that are not vouched for."""
    return str(
        page.evaluate(
            """() => {
                const clone = document.getElementById("result").cloneNode(true);
                for (const block of clone.querySelectorAll("details.claims")) block.remove();
                return clone.textContent;
            }"""
        )
    )


def assert_claims_only_struck_through(
    page: Any, claims: list[str], *, card: str = ".skill", alone: bool = True
) -> None:
    """``alone``: the only document on the page (then nothing on it may vouch for it)."""
    outside = text_outside_claims(page)
    for claim in [*claims, *(NEVER_SAID_OF_A_FORGERY if alone else [])]:
        assert claim not in outside, f"{claim!r} is shown outside the struck-through claims"
    block = page.locator(f"{card} details.claims.untrusted")
    assert block.locator("summary").inner_text() == "What the document claims (not trustworthy)"
    block.locator("summary").click()
    inside = block.inner_text()
    for claim in claims:
        assert claim in inside
    struck = block.locator(".struck dd").evaluate_all(
        "nodes => nodes.map(n => getComputedStyle(n).textDecorationLine)"
    )
    assert struck and all("line-through" in s for s in struck)


def assert_fits_and_accessible(page: Any, name: str) -> None:
    """No sideways scrolling; no serious or critical axe-core violation."""
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"{name}: {overflow[0]} px wide in a {overflow[1]} px window"
    page.add_script_tag(path=str(AXE))
    # WCAG 2.0-2.2 A and AA (2.2 adds target sizes) and axe's best practices.
    results = page.evaluate(
        """() => axe.run(document, {
            resultTypes: ["violations"],
            runOnly: {type: "tag", values: [
                "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"
            ]},
        })"""
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"


# --- the cases -------------------------------------------------------------------------


def valid(page: Any) -> None:
    card = page.locator(".skill")
    assert card.get_attribute("data-verdict") == "valid"
    assert page.inner_text(".skill .verdict") == "✓ VALID"
    assert page.inner_text(".skill h3") == "MIG/MAG fillet welding"
    assert page.inner_text(".skill .sentence") == (
        "You can rely on this: issued by Lasschool Twente, unchanged, valid today, and not "
        "withdrawn or suspended."
    )
    facts = visible_text(page, ".skill .fact-groups")
    for expected in (
        "Name\nPieter Jansen",
        "Level\nIndependent — EQF level 3",
        "Safety\nSafety certificate",
        "ESCO: weld metal parts",
        "Assessed on\n27 February 2026",
        "Method\npractical test",
        "Assessor\nJ. de Vries (IWI-C welding inspector)",
        "Assessing body\nLasinstituut Oost",
        "Test report 2026-0227-118",
        "Training provider\nLasschool Twente",
        "Known to this service\nRegistered with this service.",
        "Withdrawn or suspended\nNeither (checked just now).",
    ):
        assert expected in facts.replace("\t", "\n"), (expected, facts)
    # The evidence is a link; the issue date is not passed off as the assessment date.
    assert (
        page.get_attribute(".skill a:has-text('Test report')", "href")
        == "https://lasschool-twente.example/reports/2026-0227-118"
    )
    assert "Valid until" in facts and "Issued on" in facts
    assert "Checked on" in page.inner_text("#checked-at")
    assert "did:key" not in visible_text(page)  # identifiers only under technical details


def revoked(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "revoked"
    assert page.inner_text(".skill .verdict") == "✗ REVOKED"
    assert page.inner_text(".skill h3") == "Reading technical drawings"
    assert page.inner_text(".skill .sentence") == (
        "Do not rely on this: Lasschool Twente has withdrawn it for good."
    )
    assert "Withdrawn or suspended\nWithdrawn for good." in visible_text(page)


def suspended(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "suspended"
    assert page.inner_text(".skill .verdict") == "! SUSPENDED"
    assert page.inner_text(".skill h3") == "Working safely at height"
    assert page.inner_text(".skill .sentence") == (
        "Do not rely on this for now: Lasschool Twente has suspended it — pending re-assessment."
    )
    assert "Suspended — reason given: pending re-assessment." in visible_text(page)
    # The sentence says it all: no list of reasons repeats it.
    assert page.locator(".skill .reasons").count() == 0


def expired(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "expired"
    assert page.inner_text(".skill .verdict") == "✗ EXPIRED"
    assert page.inner_text(".skill .sentence") == (
        "Do not rely on this: it was valid until 1 March 2024."
    )
    assert "Valid until\n1 March 2024" in visible_text(page)
    assert "Assessed on\n18 February 2022" in visible_text(page)


FORGED_CLAIMS = [
    "MIG/MAG fillet welding",
    "Expert",
    PROVIDER,
    "Pieter Jansen",
    "Lasinstituut Oost",
    "J. de Vries",
]
#: what the page must not say of a forgery anywhere: that its status was checked (it may
#: name a real list), or that its issuer is known
NEVER_SAID_OF_A_FORGERY = ["checked just now", "Registered with this service", "You can rely"]


def tampered(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "not-genuine"
    assert page.inner_text(".skill .verdict") == "✗ NOT GENUINE"
    assert page.inner_text(".skill h3") == "Document 1"
    assert "the document was changed after it was signed" in page.inner_text(".skill .sentence")
    assert "The signature does not match the document" in page.inner_text(".skill .reasons")
    assert "original file" in page.inner_text(".skill .advice")
    assert_claims_only_struck_through(page, FORGED_CLAIMS)


def impostor(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "not-genuine"
    assert page.inner_text(".skill .verdict") == "✗ NOT GENUINE"
    assert "signed with a key that does not belong to the issuer it names" in page.inner_text(
        ".skill .reasons"
    )
    assert_claims_only_struck_through(page, FORGED_CLAIMS)


def unknown_issuer(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "untrusted-issuer"
    assert page.inner_text(".skill .verdict") == "! UNKNOWN ISSUER"
    text = visible_text(page)
    assert "Do not rely on this unless you know the issuer yourself" in text
    assert "rely on this:" not in text and "valid today" not in text
    assert (
        "It calls itself “Lasschool Twente”, but that name is not verified: it is not a "
        "provider known to this service." in text
    )
    # Never the provider's name as a fact: only as what the unknown issuer calls itself.
    assert "Training provider" not in text
    assert text.count(PROVIDER) == 1
    # What it states is shown as the unknown issuer's word, with no links into it.
    assert page.inner_text(".skill .unvouched-title") == (
        "What the unknown issuer states (not vouched for by anyone this service knows)"
    )
    assert "Expert — EQF level 4" in page.inner_text(".skill .unvouched")
    assert page.locator(".skill .unvouched a").count() == 0


def cannot_check_context(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "cannot-check"
    assert page.inner_text(".skill .verdict") == "? CANNOT BE CHECKED"
    assert "Not confirmed, not disproved" in page.inner_text(".skill .sentence")
    assert "vocabulary this service does not have" in page.inner_text(".skill .reasons")
    assert "standard skills passport format" in page.inner_text(".skill .advice")
    # Its claims are not confirmed either: they stay in their own block.
    assert "What the document says (not confirmed)" in page.inner_text(".skill details.claims")
    assert "Pieter Jansen" not in text_outside_claims(page)


def cannot_check_did_web(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "cannot-check"
    assert "public key could not be fetched" in page.inner_text(".skill .reasons")
    assert "their public key must be on their website" in page.inner_text(".skill .advice")
    assert "Metaal Opleidingen Oost" not in text_outside_claims(page)


def passport(page: Any) -> None:
    assert page.locator(".skill").count() == 4
    assert page.inner_text("#result-heading") == "Passport of Pieter Jansen: 4 skills"
    assert page.inner_text("#bottom-line") == (
        "4 skills: 2 valid, 1 suspended, 1 not genuine — do not rely on: "
        "Working safely at height, document 4."
    )
    assert page.locator("#counts li").all_inner_texts() == [
        "✓ 2 valid",
        "! 1 suspended",
        "✗ 1 not genuine",
    ]
    assert "Signed by the worker's wallet, but not for this check" in page.inner_text(
        "#passport-holder"
    )
    assert [page.locator(".skill").nth(i).get_attribute("data-verdict") for i in range(4)] == [
        "valid",
        "valid",
        "suspended",
        "not-genuine",
    ]
    assert page.locator(".skill h3").all_inner_texts() == [
        "MIG/MAG fillet welding",
        "Reading technical drawings",
        "Working safely at height",
        "Document 4",
    ]
    # The forgery's raised level is nowhere but in its struck-through block.
    assert_claims_only_struck_through(
        page, ["Expert"], card=".skill[data-verdict=not-genuine]", alone=False
    )


def hashed_email(page: Any) -> None:
    assert page.locator(".skill").get_attribute("data-verdict") == "valid"
    assert "Ask the worker for their e-mail address and check it here" in visible_text(page)
    page.fill(".email-check input", "anna.boer@example.nl")
    page.click(".email-check button")
    page.wait_for_selector(".email-answer.no-match")
    assert page.inner_text(".email-answer").startswith("✗ Not this address.")
    # As the worker may type it: other capitals, spaces around it.
    page.fill(".email-check input", "  Anna.deBoer@Example.nl ")
    page.press(".email-check input", "Enter")
    page.wait_for_selector(".email-answer.match")
    assert page.inner_text(".email-answer") == "✓ This is the address it was issued to."


def dutch(page: Any) -> None:
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.inner_text("h1") == "Een vaardighedenpaspoort controleren"
    assert page.inner_text("#result-heading") == "Paspoort van Pieter Jansen: 4 vaardigheden"
    # The skills' names are the provider's words (English here); the rest is Dutch.
    assert page.inner_text("#bottom-line") == (
        "4 vaardigheden: 2 geldig, 1 geschorst, 1 niet echt — niet op vertrouwen: "
        "Working safely at height, document 4."
    )
    assert page.locator("#counts li").all_inner_texts() == [
        "✓ 2 geldig",
        "! 1 geschorst",
        "✗ 1 niet echt",
    ]
    cards = page.locator(".skill")
    assert cards.nth(0).locator(".verdict").inner_text() == "✓ GELDIG"
    facts = cards.nth(0).locator(".fact-groups").inner_text()
    for expected in (
        "Beoordeeld op\n27 februari 2026",
        "Methode\npraktijktoets",
        "Niveau\nIndependent — EQF-niveau 3",
        "Veiligheid\nVeiligheidscertificaat",
        "Bekend bij deze dienst\nGeregistreerd bij deze dienst.",
        "Ingetrokken of geschorst\nGeen van beide (zojuist gecontroleerd).",
    ):
        assert expected in facts, (expected, facts)
    assert cards.nth(2).locator(".sentence").inner_text() == (
        "Vertrouw hier voorlopig niet op: Lasschool Twente heeft het geschorst — "
        "pending re-assessment."
    )
    # The server's reason, translated by its code (PROOF_VERIFICATION_ERROR), not left English.
    assert cards.nth(3).locator(".reasons li").all_inner_texts() == [
        "De handtekening past niet bij het document: het is na het ondertekenen gewijzigd, "
        "of met een andere sleutel ondertekend."
    ]
    assert cards.nth(3).locator("details.claims summary").inner_text() == (
        "Wat het document beweert (niet betrouwbaar)"
    )
    text = visible_text(page)
    for english_or_jargon in (
        "credential",
        "Datamodel",
        "Schema",
        "signature",
        "Valid",
        "Checked on",
    ):
        assert english_or_jargon not in text, english_or_jargon


CASES: dict[str, tuple[str, Callable[[Any], None], str]] = {
    # case: (document, assertions, locale)
    "valid": ("valid", valid, "en-GB"),
    "revoked": ("revoked", revoked, "en-GB"),
    "suspended": ("suspended", suspended, "en-GB"),
    "expired": ("expired", expired, "en-GB"),
    "tampered": ("tampered", tampered, "en-GB"),
    "impostor": ("impostor", impostor, "en-GB"),
    "unknown-issuer": ("unknown-issuer", unknown_issuer, "en-GB"),
    "cannot-check-context": ("cannot-check-context", cannot_check_context, "en-GB"),
    "cannot-check-did-web": ("cannot-check-did-web", cannot_check_did_web, "en-GB"),
    "passport": ("passport", passport, "en-GB"),
    "hashed-email": ("hashed-email", hashed_email, "en-GB"),
    "dutch": ("passport", dutch, "nl-NL"),
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("case", list(CASES))
def test_each_case_reads_right_fits_and_is_accessible(
    browser: Any, site: dict[str, Any], case: str, width: str
) -> None:
    document, assertions, locale = CASES[case]
    page = open_page(browser, site["base"], width=WIDTHS[width], locale=locale)
    check(page, site[document])
    assertions(page)
    # The result comes first, above the input.
    result_top = page.locator("#result").bounding_box()["y"]
    assert result_top < page.locator("#input").bounding_box()["y"]
    page.screenshot(path=str(ARTIFACTS / f"page-{case}-{width}.png"), full_page=True)
    assert_fits_and_accessible(page, f"{case} at {WIDTHS[width]} px")
    page.context.close()


def test_a_dutch_forgery_by_keyboard_shows_no_english_reason(
    browser: Any, site: dict[str, Any]
) -> None:
    page = open_page(browser, site["base"], locale="nl-NL")
    # Keyboard only: focus the text area, paste, tab to the button, press Enter.
    page.focus("#document")
    page.keyboard.insert_text(json.dumps(site["impostor"]))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "verify-button"
    page.keyboard.press("Enter")
    page.wait_for_selector(".skill[data-verdict]")
    assert page.evaluate("document.activeElement.id") == "result-heading"
    assert page.inner_text(".skill .verdict") == "✗ NIET ECHT"
    assert page.locator(".skill .reasons li").all_inner_texts() == [
        "Het is ondertekend met een sleutel die niet van de genoemde uitgever is: "
        "iemand anders heeft het op naam van die uitgever gemaakt."
    ]
    # The server's English detail is only under the technical details, marked as English.
    assert "not of the issuer" not in visible_text(page)
    page.click(".skill details.technical summary")
    assert (
        page.locator(".skill details.technical [lang=en]")
        .first.inner_text()
        .startswith("the proof was made with a key of")
    )
    assert_fits_and_accessible(page, "Dutch forgery")
    page.screenshot(path=str(ARTIFACTS / "page-dutch-forgery-desktop.png"), full_page=True)
    page.click("[data-lang=en]")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.inner_text(".skill .verdict") == "✗ NOT GENUINE"
    assert page.inner_text("h1") == "Check a skills passport"


def test_dropping_a_file_collapses_the_text_and_shows_the_result_first(
    browser: Any, site: dict[str, Any]
) -> None:
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
    page.wait_for_selector(".skill[data-verdict=revoked]")
    assert page.evaluate("document.getElementById('paste').open") is False
    assert page.input_value("#document") == content
    assert page.locator("#result").bounding_box()["y"] < page.locator("#input").bounding_box()["y"]


def test_the_file_picker_on_a_phone_and_bad_input(browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site["base"], width=WIDTHS["phone"])
    # "Drop a file" means nothing on a phone: only the button is offered.
    assert page.is_visible("label[for=file]") and not page.is_visible(".drop-hint")
    path = site["dir"] / "passport.json"
    path.write_text(json.dumps(site["passport"]))
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".skill[data-verdict=suspended]")
    assert page.evaluate("document.getElementById('paste').open") is False
    page.click("#paste summary")
    page.fill("#document", "{not json")
    page.click("#verify-button")
    assert "it is not JSON" in page.inner_text("#message")
    # A passport that is not made as one: said so, in plain words, with nothing to list.
    broken = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": ["not a credential"],
    }
    page.fill("#document", json.dumps(broken))
    page.click("#verify-button")
    page.wait_for_selector("#passport-holder .warning")
    assert page.inner_text("#passport-holder") == (
        "This passport is not made the way a passport must be, so it cannot be checked. "
        "A required part of the document is missing or wrongly filled in."
    )
    assert page.inner_text("#bottom-line") == "The passport holds no skills."
    assert page.inner_text("#message") == ""


def test_a_pasted_sd_jwt_vc_reads_as_its_twin_does(browser: Any, site: dict[str, Any]) -> None:
    """An SD-JWT VC from an EU wallet, pasted: the same skill, level and verdict words as
    its Data Integrity twin, the name it does not show said to be not shared."""
    page = open_page(browser, site["base"], width=WIDTHS["desktop"])
    page.fill("#document", site["sd-jwt-valid"])
    page.click("#verify-button")
    page.wait_for_selector("#result:not([hidden]) .skill[data-verdict=valid]")
    text = visible_text(page)
    assert "MIG/MAG fillet welding" in text and "Independent" in text
    assert "not shared" in text  # the name, left out by the holder
    assert "chose to show" in text and "/assessment" in text
    assert "Pieter Jansen" not in text
    page.fill("#document", site["sd-jwt-revoked"])
    page.click("#verify-button")
    page.wait_for_selector("#result:not([hidden]) .skill[data-verdict=revoked]")
    assert page.inner_text("#message") == ""


def test_the_printed_report_for_the_hr_file(browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site["base"])
    check(page, site["passport"])
    page.emulate_media(media="print")
    assert page.inner_text("h1") == "Skills verification report"
    assert not page.is_visible("#input") and not page.is_visible("#print-button")
    checked = page.inner_text("#checked-at")
    assert checked.startswith("Checked on ") and site["base"] in checked
    assert page.is_visible("#bottom-line")
    page.screenshot(path=str(ARTIFACTS / "page-print-report.png"), full_page=True)
    page.pdf(path=str(ARTIFACTS / "page-print-report.pdf"), format="A4", print_background=True)


def test_the_page_keeps_its_content_security_policy(browser: Any, site: dict[str, Any]) -> None:
    page = open_page(browser, site["base"], bypass_csp=False)
    problems: list[str] = []
    # (A passport that does not verify is answered 422, which the console reports.)
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    check(page, site["hashed-email"])
    page.fill(".email-check input", "anna.deboer@example.nl")
    page.click(".email-check button")
    page.wait_for_selector(".email-answer.match")
    check(page, site["passport"])
    assert problems == []


def _local_only(page: Any, base: str) -> list[str]:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    return requests


def test_the_landing_page_links_the_employer_page_and_the_documentation(
    browser: Any, site: dict[str, Any]
) -> None:
    context = browser.new_context(
        locale="en-GB", viewport={"width": 390, "height": 844}, bypass_csp=True
    )
    page = context.new_page()
    requests = _local_only(page, site["base"])
    page.goto(f"{site['base']}/")
    assert page.inner_text("h1") == "skillcred"
    links = {
        a: page.get_attribute(f"a:has-text('{a}')", "href")
        for a in (
            "Check a skills passport",
            "API documentation",
            "The skills passport profile",
        )
    }
    assert links == {
        "Check a skills passport": "/verify",
        "API documentation": "/docs",
        "The skills passport profile": "/docs/skills-profile",
    }
    page.click("a:has-text('The skills passport profile')")
    assert "# The skills passport profile" in page.inner_text("body")
    page.go_back()
    assert_fits_and_accessible(page, "landing page")
    page.screenshot(path=str(ARTIFACTS / "landing-phone.png"), full_page=True)
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}


def test_the_api_docs_render_offline(browser: Any, site: dict[str, Any]) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    requests = _local_only(page, site["base"])
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{site['base']}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert page.inner_text(".swagger-ui .info .title").startswith("skillcred")
    page.locator(".opblock-summary-path", has_text="/credentials/verify").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "docs.png"))
    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, requests
    assert problems == []
