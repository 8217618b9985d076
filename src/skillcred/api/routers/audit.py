"""The audit trail, read-only: all of it for the auditor, its own part for a provider."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from skillcred.api.deps import Context, bearer_token
from skillcred.api.json import json_response
from skillcred.api.schemas import AuditPage, Problem
from skillcred.errors import AuthenticationError
from skillcred.services.audit import event_json
from skillcred.storage.repositories import AuditLog

router = APIRouter(tags=["audit"])
PROBLEM: dict[str, Any] = {"model": Problem, "content": {"application/problem+json": {}}}


@router.get(
    "/audit/events",
    response_model=AuditPage,
    responses={401: PROBLEM},
    summary="Read the audit trail",
    description=(
        "With the auditor token (SKILLCRED_AUDITOR_TOKEN): every event. With a provider's "
        "API key: that provider's events. Each event carries its hash and the previous "
        "event's hash; `skillcred audit verify` checks the whole chain."
    ),
)
def audit_events(
    request: Request,
    context: Context,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    token = bearer_token(request)
    auditor = context.settings.auditor_token
    provider_id: str | None
    if auditor is not None and hmac.compare_digest(
        token.encode(), auditor.get_secret_value().encode()
    ):
        provider_id = None
    else:
        try:
            provider_id = context.authenticate(token).id
        except AuthenticationError:
            raise AuthenticationError(
                "the token is neither the auditor token nor a provider's API key"
            ) from None
    with context.database.reading() as session:
        events = AuditLog(session).page(provider_id=provider_id, after=after, limit=limit)
        page = [event_json(e) for e in events]
    next_after = page[-1]["seq"] if len(page) == limit else None
    return json_response({"events": page, "next": next_after})
