"""Public endpoints: health, the JSON-LD contexts and JSON Schemas, did:web documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from skillcred.api.deps import Context
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.problems import problem
from skillcred.api.schemas import PROBLEM, Health
from skillcred.core.jsonld.loader import shipped_documents, shipped_index
from skillcred.errors import NotFoundError
from skillcred.resources import data_dir
from skillcred.services.health import database_state
from skillcred.services.skills import SKILLS_CONTEXT_PATH

router = APIRouter(tags=["public"], route_class=JsonRoute)
LONG_CACHE = "public, max-age=86400, stale-while-revalidate=604800"


@dataclass(frozen=True, slots=True)
class StaticDocument:
    body: bytes
    media_type: str
    etag: str
    source_url: str | None = None


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _document(body: bytes, media_type: str, source_url: str | None = None) -> StaticDocument:
    return StaticDocument(body, media_type, _etag(body), source_url)


@cache
def context_documents() -> dict[str, StaticDocument]:
    """Local path -> document: each shipped context under /contexts/<file>, plus skills/v1."""
    folder = data_dir("contexts")
    bodies = shipped_documents()
    documents = {
        f"/contexts/{name}": _document(bodies[url], "application/ld+json", url)
        for url, name in shipped_index().items()
    }
    skills = folder / "skills-v1.jsonld"
    if skills.exists():
        documents[SKILLS_CONTEXT_PATH] = _document(skills.read_bytes(), "application/ld+json")
    return documents


@cache
def schema_documents() -> dict[str, StaticDocument]:
    folder = data_dir("schemas")
    documents = {}
    for path in sorted(Path(folder).rglob("*.json")):
        relative = path.relative_to(folder).as_posix()
        documents[f"/schemas/{relative}"] = _document(path.read_bytes(), "application/schema+json")
    return documents


def _serve(request: Request, document: StaticDocument) -> Response:
    headers = {"ETag": document.etag, "Cache-Control": LONG_CACHE}
    if document.source_url:
        headers["Link"] = f'<{document.source_url}>; rel="canonical"'
    if request.headers.get("if-none-match") in (document.etag, "*"):
        return Response(status_code=304, headers=headers)
    return Response(document.body, media_type=document.media_type, headers=headers)


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: PROBLEM},
    summary="Liveness and database",
)
def healthz(context: Context) -> Response:
    state = database_state(context.database)
    if not state.reachable:
        return problem(503, detail=f"the database cannot be reached: {state.failure}")
    return json_response({"status": "ok", "database": "ok"})


@router.get("/contexts", summary="The JSON-LD contexts this service serves")
def list_contexts(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return json_response(
        {
            path: {"url": base + path, "canonicalUrl": doc.source_url or base + path}
            for path, doc in context_documents().items()
        },
        headers={"Cache-Control": LONG_CACHE},
    )


@router.get(
    "/contexts/{name:path}",
    responses={
        200: {"content": {"application/ld+json": {}}},
        404: PROBLEM,
        429: PROBLEM,
    },
    summary="A JSON-LD context (exact bytes)",
)
def get_context(name: str, request: Request) -> Response:
    document = context_documents().get(f"/contexts/{name}")
    if document is None:
        raise NotFoundError(f"there is no context /contexts/{name}; GET /contexts lists them")
    return _serve(request, document)


@router.get("/schemas", summary="The JSON Schemas this service serves")
def list_schemas(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return json_response(
        [base + path for path in schema_documents()], headers={"Cache-Control": LONG_CACHE}
    )


@router.get(
    "/schemas/{name:path}",
    responses={
        200: {"content": {"application/schema+json": {}}},
        404: PROBLEM,
        429: PROBLEM,
    },
    summary="A JSON Schema",
)
def get_schema(name: str, request: Request) -> Response:
    document = schema_documents().get(f"/schemas/{name}")
    if document is None:
        raise NotFoundError(f"there is no schema /schemas/{name}; GET /schemas lists them")
    return _serve(request, document)


@router.get(
    "/providers/{slug}/did.json",
    responses={
        200: {"content": {"application/did+json": {}}},
        404: PROBLEM,
        429: PROBLEM,
    },
    summary="A did:web provider's DID document",
)
def did_document(slug: str, context: Context) -> Response:
    with context.provider_work(write=False) as service:
        document = service.did_document(slug)
    return json_response(
        document,
        media_type="application/did+json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/status-lists/{list_id}",
    responses={
        200: {"content": {"application/json": {}, "application/vc+ld+json": {}}},
        404: PROBLEM,
        429: PROBLEM,
    },
    summary="A signed BitstringStatusListCredential",
    description="Re-signed whenever a bit changed since its last signature.",
)
def status_list(list_id: str, request: Request, context: Context) -> Response:
    body = context.status.list_document(list_id)
    ttl = context.settings.status_list_ttl_seconds
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={ttl}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    accept = request.headers.get("accept", "")
    wants_vc = "application/vc+ld+json" in accept
    media_type = "application/vc+ld+json" if wants_vc else "application/json"
    return Response(body, media_type=media_type, headers=headers)
