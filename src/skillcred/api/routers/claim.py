"""The worker's claim page (``/claim/{handle}``): the offer's QR code, buttons that open
it in a wallet on this phone, which wallets work, what the transaction code is, and a
file to download for a worker without a wallet. English and Dutch; phone first."""

from __future__ import annotations

import io
from functools import cache
from html import escape
from typing import Annotated, Any
from urllib.parse import parse_qsl

import segno
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from skillcred.api.deps import Context
from skillcred.api.json import JsonRoute
from skillcred.api.routers.web import HTML, WEB, security_headers
from skillcred.core.datetimes import format_date_time
from skillcred.errors import NotFoundError, OAuthError
from skillcred.services.offers import MAX_TX_TRIES, TX_CODE_LENGTH, OfferLinks, aware_utc

router = APIRouter(tags=["wallets"], include_in_schema=False, route_class=JsonRoute)
PRIVATE = {**security_headers(0), "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your skill credential",
        "hello": "Hello {name},",
        "offer": "{provider} offers you a digital proof of your skill: <strong>{skill}</strong>.",
        "offer_nameless": "{provider} offers you a digital proof of your skill.",
        "keep": "It goes into a wallet app on your phone, bound to a key only your phone "
        "holds. You can show it to any employer, who can check it.",
        "scan": "Scan with your wallet app",
        "qr_alt": "QR code of your credential offer",
        "on_phone": "On this phone",
        "open_wallet": "Open in wallet app",
        "open_lcw": "Open in Learner Credential Wallet",
        "code_title": "The transaction code",
        "code": "Your wallet asks for a {length}-digit code. Your training provider gives it "
        "to you separately (on paper or by text message), never in this link. After "
        "{tries} wrong codes the offer is locked; then ask your provider for a new one.",
        "wallets_title": "Which wallets work",
        "wallets": "The same skill comes in two formats; your wallet takes the one it knows.",
        # one wallet per line
        "wallet_list": "\n".join(
            [
                "The EU digital identity wallets (the Dutch NL Wallet among them) and Yivi: "
                "as an SD-JWT VC (dc+sd-jwt), in which you choose what you show. Scan the QR "
                "code or use the first button.",
                "Wallets built on the OpenWallet Foundation's libraries (Credo, Paradym): "
                "either format, SD-JWT VC (dc+sd-jwt) or Open Badges (ldp_vc), over OpenID4VCI "
                "1.0. Scan the QR code or use the first button.",
                "The DCC Learner Credential Wallet: as an Open Badges credential (ldp_vc), over "
                "VC-API. Use the second button.",
            ]
        ),
        "until": "Collect it before {date} (UTC). It can be collected once.",
        "no_wallet": "No wallet?",
        "download": "Download the file instead",
        "download_help": "You get the credential as a file (JSON) to keep and send to "
        "employers. It is not bound to a key of yours; a wallet is better.",
        "code_label": "Transaction code",
        "closed_title": "This offer is closed",
        "delivered": "This credential was collected already.",
        "withdrawn": "Your training provider has withdrawn this offer.",
        "locked": "This offer is locked after too many wrong transaction codes. Ask your "
        "training provider for a new one.",
        "expired": "This offer has expired. Ask your training provider for a new one.",
        "wrong_code": "That did not work: {reason}",
        "language": "Language",
    },
    "nl": {
        "title": "Je vaardigheidsbewijs",
        "hello": "Hallo {name},",
        "offer": "{provider} biedt je een digitaal bewijs van je vaardigheid aan: "
        "<strong>{skill}</strong>.",
        "offer_nameless": "{provider} biedt je een digitaal bewijs van je vaardigheid aan.",
        "keep": "Het komt in een wallet-app op je telefoon, gekoppeld aan een sleutel die "
        "alleen je telefoon heeft. Je kunt het aan elke werkgever laten zien, en die kan "
        "het controleren.",
        "scan": "Scan met je wallet-app",
        "qr_alt": "QR-code van je aanbod",
        "on_phone": "Op deze telefoon",
        "open_wallet": "Openen in wallet-app",
        "open_lcw": "Openen in Learner Credential Wallet",
        "code_title": "De transactiecode",
        "code": "Je wallet vraagt om een code van {length} cijfers. Die krijg je apart van je "
        "opleider (op papier of per sms), nooit in deze link. Na {tries} foute codes wordt "
        "het aanbod geblokkeerd; vraag dan je opleider om een nieuw aanbod.",
        "wallets_title": "Welke wallets werken",
        "wallets": "Dezelfde vaardigheid komt in twee formaten; je wallet neemt het formaat "
        "dat hij kent.",
        # one wallet per line
        "wallet_list": "\n".join(
            [
                "De Europese digitale identiteitswallets (waaronder de NL Wallet) en Yivi: als "
                "SD-JWT VC (dc+sd-jwt), waarin je zelf kiest wat je laat zien. Scan de QR-code "
                "of gebruik de eerste knop.",
                "Wallets op de bibliotheken van de OpenWallet Foundation (Credo, Paradym): beide "
                "formaten, SD-JWT VC (dc+sd-jwt) of Open Badges (ldp_vc), via OpenID4VCI 1.0. "
                "Scan de QR-code of gebruik de eerste knop.",
                "De DCC Learner Credential Wallet: als Open Badges-bewijs (ldp_vc), via VC-API. "
                "Gebruik de tweede knop.",
            ]
        ),
        "until": "Haal het op vóór {date} (UTC). Het kan één keer worden opgehaald.",
        "no_wallet": "Geen wallet?",
        "download": "Download dan het bestand",
        "download_help": "Je krijgt het bewijs als bestand (JSON) om te bewaren en naar "
        "werkgevers te sturen. Het is niet aan een sleutel van jou gekoppeld; een wallet is "
        "beter.",
        "code_label": "Transactiecode",
        "closed_title": "Dit aanbod is gesloten",
        "delivered": "Dit bewijs is al opgehaald.",
        "withdrawn": "Je opleider heeft dit aanbod ingetrokken.",
        "locked": "Dit aanbod is geblokkeerd na te veel foute transactiecodes. Vraag je "
        "opleider om een nieuw aanbod.",
        "expired": "Dit aanbod is verlopen. Vraag je opleider om een nieuw aanbod.",
        "wrong_code": "Dat lukte niet: {reason}",
        "language": "Taal",
    },
}


def language(request: Request, lang: str | None) -> str:
    if lang in TEXT:
        return str(lang)
    preferred = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "nl" if preferred.startswith("nl") else "en"


def qr_code(links: OfferLinks) -> segno.QRCode:
    # Error correction M: still reads with a scuffed print-out, small enough for a phone.
    return segno.make_qr(links.credential_offer, error="m")


def qr_svg(links: OfferLinks) -> bytes:
    buffer = io.BytesIO()
    qr_code(links).save(
        buffer,
        kind="svg",
        scale=6,
        border=4,
        xmldecl=False,
        svgns=True,
        title="QR code",
        dark="#000000",
        light="#ffffff",
    )
    return buffer.getvalue()


def qr_png(links: OfferLinks, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    qr_code(links).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


@cache
def _css() -> bytes:
    return (WEB / "claim.css").read_bytes()


@router.get("/claim/claim.css")
def claim_css() -> Response:
    return Response(_css(), media_type="text/css; charset=utf-8", headers=security_headers(300))


@router.get("/claim/{handle}/qr.svg")
def claim_qr_svg(handle: str, context: Context) -> Response:
    _offer, links, _about = context.offers.claim(handle)
    return Response(qr_svg(links), media_type="image/svg+xml", headers=PRIVATE)


@router.get("/claim/{handle}/qr.png")
def claim_qr_png(handle: str, context: Context) -> Response:
    _offer, links, _about = context.offers.claim(handle)
    return Response(qr_png(links), media_type="image/png", headers=PRIVATE)


@router.get("/claim/{handle}")
def claim_page(
    handle: str,
    request: Request,
    context: Context,
    lang: Annotated[str | None, Query(pattern="^(en|nl)$")] = None,
) -> Response:
    chosen = language(request, lang)
    try:
        offer, links, about = context.offers.claim(handle)
    except NotFoundError:
        return Response(page(chosen, "", not_found(chosen)), 404, media_type=HTML, headers=PRIVATE)
    body = render(chosen, offer.state, links, about, format_date_time(aware_utc(offer.expires_at)))
    return Response(page(chosen, handle, body), media_type=HTML, headers=PRIVATE)


@router.post("/claim/{handle}/download")
async def claim_download(handle: str, request: Request, context: Context) -> Response:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    chosen = form.get("lang") if form.get("lang") in TEXT else language(request, None)
    assert chosen is not None
    try:
        document = await context.offers.download(handle, form.get("tx_code") or None)
    except (OAuthError, NotFoundError) as exc:
        offer, links, about = context.offers.claim(handle)
        t = TEXT[chosen]
        reason = escape(t["wrong_code"].format(reason=exc.detail))
        notice = f'<p class="notice" role="alert">{reason}</p>'
        body = notice + render(
            chosen, offer.state, links, about, format_date_time(aware_utc(offer.expires_at))
        )
        return Response(page(chosen, handle, body), 400, media_type=HTML, headers=PRIVATE)
    return Response(
        document,
        media_type="application/json",
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="skill-credential.json"'},
    )


def not_found(lang: str) -> str:
    return f"<h1>{escape(TEXT[lang]['closed_title'])}</h1>"


def page(lang: str, handle: str, body: str) -> bytes:
    t = TEXT[lang]
    other = "nl" if lang == "en" else "en"
    other_name = "Nederlands" if other == "nl" else "English"
    switch = (
        f'<nav class="languages" aria-label="{escape(t["language"])}">'
        f'<a href="?lang={other}" lang="{other}" hreflang="{other}">{other_name}</a></nav>'
        if handle
        else ""
    )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(t['title'])}</title>"
        '<link rel="stylesheet" href="/claim/claim.css"></head>'
        f"<body><main>{switch}{body}</main></body></html>"
    ).encode()


def render(
    lang: str, state: str, links: OfferLinks, about: dict[str, Any] | None, expires: str
) -> str:
    t = TEXT[lang]
    if state not in ("offered",) or about is None:
        reason = t.get(state if state in ("withdrawn", "locked", "expired") else "delivered")
        return f"<h1>{escape(t['closed_title'])}</h1><p>{escape(reason or '')}</p>"
    parts = [f"<h1>{escape(t['title'])}</h1>"]
    if about.get("holder"):
        parts.append(f"<p>{escape(t['hello'].format(name=about['holder']))}</p>")
    provider = escape(str(about["provider"]))
    if about.get("skill"):
        parts.append(
            "<p>" + t["offer"].format(provider=provider, skill=escape(str(about["skill"]))) + "</p>"
        )
    else:
        parts.append(f"<p>{t['offer_nameless'].format(provider=provider)}</p>")
    parts.append(f"<p>{escape(t['keep'])}</p>")
    handle = escape(links.handle)
    shown = expires.replace("T", " ").rstrip("Z")
    parts.append(
        '<section class="wallet" aria-labelledby="on-phone">'
        f'<h2 id="on-phone">{escape(t["on_phone"])}</h2>'
        f'<a class="button primary" href="{escape(links.credential_offer)}">'
        f"{escape(t['open_wallet'])}</a>"
        f'<a class="button" href="{escape(links.vcapi_request)}">{escape(t["open_lcw"])}</a>'
        "</section>"
        '<section class="qr" aria-labelledby="scan">'
        f'<h2 id="scan">{escape(t["scan"])}</h2>'
        f'<img src="/claim/{handle}/qr.svg" alt="{escape(t["qr_alt"])}" width="280" height="280">'
        "</section>"
        '<section aria-labelledby="code-title">'
        f'<h2 id="code-title">{escape(t["code_title"])}</h2>'
        f"<p>{escape(t['code'].format(length=TX_CODE_LENGTH, tries=MAX_TX_TRIES))}</p>"
        "</section>"
        '<section aria-labelledby="wallets-title">'
        f'<h2 id="wallets-title">{escape(t["wallets_title"])}</h2>'
        f"<p>{escape(t['wallets'])}</p>"
        '<ul class="wallets">'
        + "".join(f"<li>{escape(item)}</li>" for item in t["wallet_list"].split("\n"))
        + "</ul>"
        f'<p class="until">{escape(t["until"].format(date=shown))}</p>'
        "</section>"
        '<section class="fallback" aria-labelledby="no-wallet">'
        f'<h2 id="no-wallet">{escape(t["no_wallet"])}</h2>'
        f"<p>{escape(t['download_help'])}</p>"
        f'<form method="post" action="/claim/{handle}/download">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<label for="tx_code">{escape(t["code_label"])}</label>'
        f'<input id="tx_code" name="tx_code" inputmode="numeric" autocomplete="one-time-code" '
        f'pattern="[0-9]{{{TX_CODE_LENGTH}}}" maxlength="{TX_CODE_LENGTH}" required>'
        f'<button type="submit">{escape(t["download"])}</button>'
        "</form></section>"
    )
    return "".join(parts)


__all__ = ["qr_png", "qr_svg"]
