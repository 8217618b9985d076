"""For operators and orchestrators: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.responses import Response

from skillcred.api.deps import Context, bearer_token
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.problems import problem
from skillcred.api.schemas import PROBLEM
from skillcred.errors import PermissionDeniedError
from skillcred.services import metrics
from skillcred.services.health import HEAD_REVISION, database_state

router = APIRouter(tags=["public"], route_class=JsonRoute)


@router.get("/livez", summary="Liveness: the process answers (no dependency asked)")
async def livez() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    responses={503: PROBLEM},
    summary="Readiness: the database answers and is at this code's schema",
    description="A load balancer sends traffic only to an instance that is ready; during "
    "an upgrade an instance whose database is not yet migrated says so here.",
)
def readyz(context: Context) -> Response:
    state = database_state(context.database, with_revision=True)
    if not state.reachable:
        return problem(503, detail=f"the database cannot be reached: {state.failure}")
    revision = state.revision
    if revision != HEAD_REVISION:
        return problem(
            503,
            detail=f"the database is at schema {revision!r}, this code needs {HEAD_REVISION!r} "
            "(run `skillcred migrate`)",
        )
    return json_response({"status": "ok", "database": "ok", "schema": revision})


@router.get(
    "/metrics",
    responses={200: {"content": {metrics.CONTENT_TYPE: {}}}, 403: PROBLEM},
    summary="Prometheus metrics",
    description="Requests per route, latency, credentials issued, verifications by verdict, "
    "status changes, remote lookups by outcome, batch rows. With SKILLCRED_METRICS_TOKEN "
    "set it needs that bearer token; otherwise keep it behind the proxy.",
)
def prometheus_metrics(request: Request, context: Context) -> Response:
    configured = context.settings.metrics_token
    if configured is not None and not hmac.compare_digest(
        bearer_token(request), configured.get_secret_value()
    ):
        raise PermissionDeniedError("this is not the metrics token")
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
