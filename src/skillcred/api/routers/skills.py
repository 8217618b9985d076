"""The skills passport profile over HTTP: skill definitions and skill-shaped issuance."""

from __future__ import annotations

import asyncio
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request
from starlette.responses import Response

from skillcred.api.deps import Context, CurrentProvider
from skillcred.api.json import JsonRoute, issued_response, json_response
from skillcred.api.schemas import PROBLEM, IssueResponse
from skillcred.errors import LimitExceededError, ParsingError, RequestError, SkillcredError
from skillcred.services import batch
from skillcred.services.issuance import request_fingerprint
from skillcred.services.skills import SkillCredentialRequest, SkillDefinitionIn

router = APIRouter(tags=["skills"], route_class=JsonRoute)
EXAMPLE_REQUEST = {
    "holder": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
    "skill": "mig-fillet",
    "level": "independent",
    "assessment": {
        "method": "practical",
        "date": "2026-02-27",
        "assessor": {"name": "J. de Vries", "qualification": "IWI-C welding inspector"},
    },
}


@router.post(
    "/skills",
    status_code=201,
    responses={400: PROBLEM, 401: PROBLEM, 409: PROBLEM},
    summary="Register a skill definition",
    description=(
        "A skill the provider assesses, with its framework alignment and ordered levels. "
        "Credentials then name it by `key`; its achievement id is stable."
    ),
)
def register_skill(
    body: SkillDefinitionIn, provider: CurrentProvider, context: Context
) -> Response:
    with context.database.writing() as session:
        definition = context.skills.register(session, provider, body)
    return json_response(definition, 201)


@router.get("/skills", responses={401: PROBLEM}, summary="This provider's skill definitions")
def list_skills(provider: CurrentProvider, context: Context) -> Response:
    with context.database.reading() as session:
        listing = context.skills.definitions(session, provider)
    return json_response(listing)


@router.get("/skills/{key}", responses={401: PROBLEM, 404: PROBLEM}, summary="A skill definition")
def get_skill(key: str, provider: CurrentProvider, context: Context) -> Response:
    with context.database.reading() as session:
        definition = context.skills.definition(session, provider, key)
    return json_response(definition)


@router.get(
    "/providers/{slug}/skills/{key}",
    responses={404: PROBLEM},
    summary="A skill as an Open Badges Achievement (public: the achievement id resolves here)",
)
def public_skill(slug: str, key: str, context: Context) -> Response:
    with context.database.reading() as session:
        provider = context.providers(session).by_slug(slug)
        definition = context.skills.definition(session, provider, key)
    return json_response(
        definition["achievement"], headers={"Cache-Control": "public, max-age=300"}
    )


@router.post(
    "/skill-credentials",
    status_code=201,
    response_model=IssueResponse,
    responses={400: PROBLEM, 401: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    summary="Issue a skill credential from a skill-shaped request",
    description=(
        "The holder, the skill (a registered key, or a definition in place), the level "
        "reached and the assessment become a signed Open Badges 3.0 credential that passes "
        "1EdTech's AchievementCredential schema and this profile's schema. With an "
        "`Idempotency-Key` header a retried request returns the first result."
    ),
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"examples": {"by key": {"value": EXAMPLE_REQUEST}}}}
        }
    },
)
async def issue_skill_credential(
    body: SkillCredentialRequest,
    provider: CurrentProvider,
    context: Context,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
) -> Response:
    fingerprint = (
        request_fingerprint(body.model_dump(mode="json", exclude_unset=True))
        if idempotency_key
        else None
    )
    issuer = context.skill_issuer(provider, actor=f"provider:{provider.slug}")
    issued = await issuer.issue_async(
        body, idempotency_key=idempotency_key, fingerprint=fingerprint
    )
    return issued_response(issued.document, replayed=issued.replayed)


@router.post(
    "/skill-credentials/batch",
    responses={400: PROBLEM, 401: PROBLEM, 413: PROBLEM},
    summary="Issue a whole class: a JSON array of requests, or a results CSV",
    description=(
        "Each row is issued on its own: a row with an error is reported with its line number "
        "and the others go on. Each row has a stable idempotency key, so sending the same "
        "rows again issues nothing twice. `Content-Type: text/csv` takes the same columns as "
        "`skillcred issue-batch`."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
async def issue_batch(
    request: Request,
    provider: CurrentProvider,
    context: Context,
) -> Response:
    raw = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "text/csv":
        try:
            rows = list(batch.csv_rows(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise ParsingError("the CSV is not UTF-8 text") from exc
        except SkillcredError as exc:
            raise RequestError(exc.detail) from exc
    else:
        try:
            items = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParsingError(f"the body is not JSON: {exc}") from exc
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RequestError("the body must be a JSON array of skill credential requests")
        rows = [batch.Row(index + 1, item) for index, item in enumerate(items)]
    if len(rows) > context.settings.max_batch_rows:
        raise LimitExceededError(
            f"the batch has {len(rows)} rows; one request issues at most "
            f"{context.settings.max_batch_rows} (SKILLCRED_MAX_BATCH_ROWS): send it in parts, "
            "or use `skillcred issue-batch` on the server"
        )
    results: list[batch.RowResult] = []
    issuer = context.skill_issuer(provider, actor=f"provider:{provider.slug}")
    summary = await asyncio.to_thread(issuer.run_batch, rows, results.append)
    return json_response(
        {
            "summary": summary.to_json(),
            "results": [
                r.to_json(with_credential=True) for r in sorted(results, key=lambda r: r.line)
            ],
        }
    )
