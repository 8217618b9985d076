"""The skills passport profile over HTTP: skill definitions and skill-shaped issuance."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from skillcred.api.deps import Context, CurrentProvider
from skillcred.api.json import JsonRoute, issued_response, json_response
from skillcred.api.schemas import (
    PROBLEM,
    BatchJobResults,
    BatchJobStatus,
    BatchResponse,
    IssueResponse,
)
from skillcred.errors import LimitExceededError, ParsingError, RequestError, SkillcredError
from skillcred.services import batch
from skillcred.services.batch_jobs import MAX_RESULTS_PAGE, job_json, job_path, request_hash
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
    return json_response(context.skills.register(provider, body), 201)


@router.get("/skills", responses={401: PROBLEM}, summary="This provider's skill definitions")
def list_skills(provider: CurrentProvider, context: Context) -> Response:
    return json_response(context.skills.definitions(provider))


@router.get("/skills/{key}", responses={401: PROBLEM, 404: PROBLEM}, summary="A skill definition")
def get_skill(key: str, provider: CurrentProvider, context: Context) -> Response:
    return json_response(context.skills.definition(provider, key))


@router.get(
    "/providers/{slug}/skills/{key}",
    responses={404: PROBLEM},
    summary="A skill as an Open Badges Achievement (public: the achievement id resolves here)",
)
def public_skill(slug: str, key: str, context: Context) -> Response:
    definition = context.skills.public_definition(slug, key)
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


BATCH_JOB_HEADERS = {
    "Location": {
        "description": "The job: GET it for its progress.",
        "schema": {"type": "string"},
    },
    "Preference-Applied": {
        "description": "`respond-async` when the client asked for it (RFC 7240).",
        "schema": {"type": "string"},
    },
}


@router.post(
    "/skill-credentials/batch",
    response_model=BatchResponse,
    responses={
        202: {
            "model": BatchJobStatus,
            "description": "Accepted as a batch job (too many rows to issue while the client "
            "waits, or `Prefer: respond-async`): `Location` names the job to poll.",
            "headers": BATCH_JOB_HEADERS,
        },
        400: PROBLEM,
        401: PROBLEM,
        409: PROBLEM,
        413: PROBLEM,
        422: PROBLEM,
    },
    summary="Issue a whole class: a JSON array of requests, or a results CSV",
    description=(
        "Each row is issued on its own: a row with an error is reported with its line number "
        "and the others go on. Each row has a stable idempotency key, so sending the same "
        "rows again issues nothing twice. `Content-Type: text/csv` takes the same columns as "
        "`skillcred issue-batch`.\n\n"
        "Up to `SKILLCRED_MAX_BATCH_ROWS` rows (default 10,000) are issued while the client "
        "waits (200). A larger batch, or any batch sent with `Prefer: respond-async` (RFC "
        "7240), is stored as a **batch job** and answered 202 with its progress and "
        "`Location: /skill-credentials/batch-jobs/{id}`; the job runs in the background, "
        "survives restarts, and issues each of its rows exactly once (its rows' idempotency "
        "keys are the job's own). A job holds at most `SKILLCRED_MAX_BATCH_JOB_ROWS` rows "
        "(default 500,000; past it 413, and nothing is stored); the body may have up to "
        "`SKILLCRED_MAX_BATCH_BODY_BYTES` (default 64 MiB). With an `Idempotency-Key` a "
        "retried submission answers with the job it made the first time."
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
    prefer: Annotated[
        str | None,
        Header(description="`respond-async`: run the batch as a job whatever its size."),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="For a batch job: a retried submission answers with the same job.",
        ),
    ] = None,
) -> Response:
    raw = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    rows = await asyncio.to_thread(_rows, raw, media_type)
    settings = context.settings
    if len(rows) > settings.max_batch_job_rows:
        raise LimitExceededError(
            f"the batch has {len(rows)} rows; a batch job holds at most "
            f"{settings.max_batch_job_rows} (SKILLCRED_MAX_BATCH_JOB_ROWS): send it in parts"
        )
    asked = respond_async(request.headers.getlist("prefer"))
    actor = f"provider:{provider.slug}"
    if asked or len(rows) > settings.max_batch_rows:
        job, _created = await asyncio.to_thread(
            context.batch_jobs.submit,
            provider,
            rows,
            actor=actor,
            idempotency_key=idempotency_key,
            fingerprint=request_hash(media_type, raw) if idempotency_key else None,
        )
        headers = {"Location": job_path(job.id)}
        if asked:
            headers["Preference-Applied"] = "respond-async"
        return json_response(job_json(job), 202, headers=headers)
    results: list[batch.RowResult] = []
    issuer = context.skill_issuer(provider, actor=actor)
    summary = await asyncio.to_thread(issuer.run_batch, rows, results.append)
    return json_response(
        {
            "summary": summary.to_json(),
            "results": [
                r.to_json(with_credential=True) for r in sorted(results, key=lambda r: r.line)
            ],
        }
    )


def _rows(raw: bytes, media_type: str) -> list[batch.Row]:
    """The rows of a batch body (a results CSV, or a JSON array of requests)."""
    if media_type == "text/csv":
        try:
            return list(batch.csv_rows(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise ParsingError("the CSV is not UTF-8 text") from exc
        except SkillcredError as exc:
            raise RequestError(exc.detail) from exc
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ParsingError(f"the body is not JSON: {exc}") from exc
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RequestError("the body must be a JSON array of skill credential requests")
    return [batch.Row(index + 1, item) for index, item in enumerate(items)]


def respond_async(values: list[str]) -> bool:
    """Whether ``Prefer`` headers ask for ``respond-async`` (RFC 7240 §4.1): preferences
    are separated by commas, their parameters by semicolons, names are case-insensitive."""
    for value in values:
        for preference in value.split(","):
            name = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
            if name == "respond-async":
                return True
    return False


@router.get(
    "/skill-credentials/batch-jobs/{job_id}",
    response_model=BatchJobStatus,
    responses={400: PROBLEM, 401: PROBLEM, 404: PROBLEM},
    summary="A batch job's progress",
    description=(
        "`state` is `queued`, `running`, `completed` or `failed`; `done` of `total` rows "
        "are processed (`issued`, `failed`). Once the job has finished, `results` names its "
        "rows' results. Only the provider that submitted the job sees it (404 for others)."
    ),
)
async def batch_job(job_id: str, provider: CurrentProvider, context: Context) -> Response:
    job = await asyncio.to_thread(context.batch_jobs.get, provider, job_id)
    return json_response(job_json(job), headers={"Cache-Control": "no-store"})


@router.get(
    "/skill-credentials/batch-jobs/{job_id}/results",
    response_model=BatchJobResults,
    responses={400: PROBLEM, 401: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    summary="A finished batch job's results, a page at a time",
    description=(
        "Each row as the synchronous batch reports it (line, outcome, the credential issued "
        "or the error), in order. `after`: the `next` of the previous page (0 for the "
        "first); `outcome=failed` lists only the rows that were not issued. 409 while the "
        "job is still running."
    ),
)
async def batch_job_results(
    job_id: str,
    provider: CurrentProvider,
    context: Context,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS_PAGE)] = 100,
    outcome: Annotated[Literal["issued", "failed"] | None, Query()] = None,
) -> Response:
    page = await asyncio.to_thread(
        context.batch_jobs.results, provider, job_id, after=after, limit=limit, outcome=outcome
    )
    return json_response(page, headers={"Cache-Control": "no-store"})
