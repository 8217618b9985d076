"""E-mailing an offer's claim link to the worker, through the SMTP server in settings
(``SKILLCRED_SMTP_URL``). The transaction code is never in the e-mail: it travels apart
from the link (on paper, by text message), so a mailbox read by someone else does not
give the credential away."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from skillcred.errors import MailError
from skillcred.services.offers import MAX_TX_TRIES, CreatedOffer

SUBJECT = "Your skill credential / Je vaardigheidsbewijs"


def offer_message(
    created: CreatedOffer, *, to: str, sender: str, provider: str, skill: str
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = sender
    message["To"] = to
    link = created.links.claim_url
    expires = created.to_json()["expires"].replace("T", " ").rstrip("Z")
    message.set_content(
        f"{provider} offers you a digital proof of your skill: {skill}.\n\n"
        f"Open this page on your phone to put it into your wallet app:\n{link}\n\n"
        "Your wallet will ask for a transaction code. Your training provider gives it to "
        f"you separately; it is not in this e-mail. After {MAX_TX_TRIES} wrong codes the "
        f"offer is locked. Collect it before {expires} (UTC).\n\n"
        "---\n\n"
        f"{provider} biedt je een digitaal bewijs van je vaardigheid aan: {skill}.\n\n"
        f"Open deze pagina op je telefoon om het in je wallet-app te zetten:\n{link}\n\n"
        "Je wallet vraagt om een transactiecode. Die krijg je apart van je opleider; hij "
        f"staat niet in deze e-mail. Na {MAX_TX_TRIES} foute codes wordt het aanbod "
        f"geblokkeerd. Haal het op vóór {expires} (UTC).\n"
    )
    return message


def send(smtp_url: str, message: EmailMessage, *, timeout: float = 10.0) -> None:
    """smtp://[user:password@]host[:port] (plain), smtp+starttls://… or smtps://… (TLS)."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise MailError("SKILLCRED_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host")
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                parts.hostname,
                parts.port or 465,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the offer e-mail could not be sent: {exc}") from exc
