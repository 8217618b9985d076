"""A whole class offered at once: one offer per results row (the CSV columns of
``issue-batch``), a CSV of the links and codes, and a printable A4 sheet with one QR code
per worker for the provider to hand out at the end of a course. The transaction codes are
on a page of their own, to be handed to each worker apart from their QR code."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

import segno
from pydantic import ValidationError

from skillcred.errors import SkillcredError
from skillcred.services import batch
from skillcred.services.offers import CreatedOffer, OfferService
from skillcred.services.skills import SkillCredentialRequest
from skillcred.storage.models import Provider

CSV_OUT_COLUMNS = (
    "line",
    "holder_name",
    "holder_email",
    "skill",
    "offer_id",
    "tx_code",
    "claim_url",
    "credential_offer",
    "vcapi_request",
    "expires",
    "error",
)


@dataclass(slots=True)
class OfferRow:
    line: int
    request: SkillCredentialRequest | None
    created: CreatedOffer | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "line": self.line,
            "outcome": "offered" if self.created else "failed",
        }
        if self.created is not None:
            out["offer"] = self.created.to_json()
        if self.error is not None:
            out["error"] = self.error
        return out

    def csv_record(self) -> dict[str, str]:
        holder = self.request.holder if self.request is not None else None
        offer = self.created.to_json() if self.created is not None else {}
        skill = self.request.skill if self.request is not None else ""
        return {
            "line": str(self.line),
            "holder_name": (holder.name or "") if holder else "",
            "holder_email": (holder.email or "") if holder else "",
            "skill": skill if isinstance(skill, str) else skill.key,
            "offer_id": offer.get("id", ""),
            "tx_code": offer.get("txCode") or "",
            "claim_url": offer.get("claimUrl", ""),
            "credential_offer": offer.get("credentialOffer", ""),
            "vcapi_request": offer.get("vcapiRequest", ""),
            "expires": offer.get("expires", ""),
            "error": self.error or "",
        }


def create_offers(
    offers: OfferService,
    provider: Provider,
    rows: Iterable[batch.Row],
    *,
    actor: str,
    expires_in: int | None = None,
    on_result: Callable[[OfferRow], None] = lambda _: None,
) -> list[OfferRow]:
    """One offer per row; a row with an error is reported by its line, the others go on."""
    results = []
    for row in rows:
        body = dict(row.data) if "holder" in row.data else batch.request_from_csv(row.data)
        try:
            request = SkillCredentialRequest.model_validate(body)
        except ValidationError as exc:
            result = OfferRow(row.line, None, error=batch.describe(exc))
        else:
            try:
                created = offers.create(provider, request, actor=actor, expires_in=expires_in)
            except SkillcredError as exc:
                result = OfferRow(row.line, request, error=exc.detail)
            else:
                result = OfferRow(row.line, request, created)
        results.append(result)
        on_result(result)
    return results


def offers_csv(results: Iterable[OfferRow]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_OUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerow(result.csv_record())
    return buffer.getvalue()


SHEET_CSS = """
@page { size: A4; margin: 12mm; }
body { font: 11pt/1.35 system-ui, sans-serif; color: #000; margin: 0; }
h1 { font-size: 14pt; margin: 0 0 4mm; }
.slips { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
.slip { border: 1px dashed #555; padding: 4mm; break-inside: avoid; display: flex; gap: 4mm; }
.slip svg { width: 42mm; height: 42mm; flex: none; }
.slip p { margin: 0 0 2mm; }
.name { font-weight: 700; font-size: 12pt; }
.codes { break-before: page; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #555; padding: 2mm; text-align: left; }
.code { font: 700 14pt/1 ui-monospace, monospace; letter-spacing: 0.15em; }
"""


def offers_sheet(provider_name: str, results: Iterable[OfferRow]) -> str:
    """The printable A4 sheet: a slip per worker (name, skill, QR code, claim link), then
    the transaction codes on a page of their own."""
    offered = [r for r in results if r.created is not None and r.request is not None]
    slips, codes = [], []
    for result in offered:
        assert result.created is not None and result.request is not None
        links = result.created.links
        name = result.request.holder.name or result.request.holder.email or f"#{result.line}"
        skill = (
            result.request.skill
            if isinstance(result.request.skill, str)
            else (result.request.skill.name)
        )
        qr = segno.make_qr(links.credential_offer, error="m").svg_inline(
            scale=3, border=2, title=f"QR code for {name}"
        )
        slips.append(
            '<div class="slip">'
            f'{qr}<div><p class="name">{escape(name)}</p>'
            f"<p>{escape(skill)}</p>"
            "<p>Scan with your wallet app / Scan met je wallet-app.</p>"
            f"<p><small>{escape(links.claim_url)}</small></p></div></div>"
        )
        codes.append(
            f'<tr><td>{escape(name)}</td><td class="code">{escape(result.created.tx_code or "")}'
            "</td></tr>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Skill credential offers — {escape(provider_name)}</title>"
        f"<style>{SHEET_CSS}</style></head><body>"
        f"<h1>{escape(provider_name)}: skill credentials to collect</h1>"
        f'<div class="slips">{"".join(slips)}</div>'
        '<section class="codes"><h1>Transaction codes — hand each worker their own code, '
        "apart from the QR code / Transactiecodes — apart uitreiken</h1>"
        f"<table><tr><th>Worker</th><th>Code</th></tr>{''.join(codes)}</table></section>"
        "</body></html>"
    )
