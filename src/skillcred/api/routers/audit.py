"""The audit trail, read-only: all of it for the auditor, its own part for a provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from skillcred.api.deps import AuditScope, Context
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.schemas import PROBLEM, AuditPage
from skillcred.services.audit import events_page

router = APIRouter(tags=["audit"], route_class=JsonRoute)


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
    scope: AuditScope,
    context: Context,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    return json_response(events_page(context.database, provider_id=scope, after=after, limit=limit))
