"""Build and sign credentials and presentations. Raises on caller mistakes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from skillcred.core.datamodel import check_credential, check_presentation, issuer_id, version_of
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.core.keys import Signer
from skillcred.core.proofs import add_proof
from skillcred.core.values import as_list
from skillcred.errors import DataModelError


def complete_credential(
    credential: Mapping[str, Any],
    *,
    issuer: str | Mapping[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Fill what an issuer sets when the request leaves it out (a copy).

    ``issuer`` (refusing a different one), ``id`` (a ``urn:uuid:``) and the start of the
    validity period (``validFrom`` for VC 2.0, ``issuanceDate`` for VC 1.1).
    """
    if not isinstance(credential, Mapping):
        raise DataModelError("the credential must be a JSON object")
    completed = dict(credential)
    expected = issuer if isinstance(issuer, str) else str(issuer["id"])
    if "issuer" in completed:
        given = issuer_id(completed)
        if given != expected:
            raise DataModelError(
                f"issuer {given!r} is not the issuer this key belongs to ({expected!r})"
            )
    else:
        completed["issuer"] = issuer if isinstance(issuer, str) else dict(issuer)
    if "id" not in completed:
        completed["id"] = f"urn:uuid:{uuid.uuid4()}"
    moment = format_date_time(now or utc_now())
    version = version_of(completed)
    if version == "2.0" and "validFrom" not in completed:
        completed["validFrom"] = moment
    if version == "1.1" and "issuanceDate" not in completed:
        completed["issuanceDate"] = moment
    return completed


def sign_credential(
    credential: Mapping[str, Any],
    *,
    key: Signer,
    cryptosuite: str = "eddsa-rdfc-2022",
    created: datetime | str | None = None,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """A signed copy of a credential (assertionMethod proof). Checks the data model first."""
    check_credential(credential)
    return add_proof(
        credential,
        signer=key,
        cryptosuite=cryptosuite,
        proof_purpose="assertionMethod",
        created=created,
        loader=loader or default_loader(),
    )


def sign_presentation(
    presentation: Mapping[str, Any],
    *,
    key: Signer,
    cryptosuite: str = "eddsa-rdfc-2022",
    created: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """A signed copy of a presentation (authentication proof with challenge and domain)."""
    check_presentation(presentation)
    return add_proof(
        presentation,
        signer=key,
        cryptosuite=cryptosuite,
        proof_purpose="authentication",
        created=created,
        challenge=challenge,
        domain=domain,
        loader=loader or default_loader(),
    )


def is_presentation(document: Mapping[str, Any]) -> bool:
    return "VerifiablePresentation" in as_list(document.get("type"))
