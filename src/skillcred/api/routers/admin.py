"""Operator endpoints: register providers (admin bearer token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from skillcred.api.deps import AdminOnly, Context, ReadSession, WriteSession, provider_service
from skillcred.api.json import json_response
from skillcred.api.schemas import Problem, ProviderCreate, ProviderCreated, ProviderOut

router = APIRouter(prefix="/admin", tags=["operator"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "content": {"application/problem+json": {}}},
    401: {"model": Problem, "content": {"application/problem+json": {}}},
    403: {"model": Problem, "content": {"application/problem+json": {}}},
}


@router.post(
    "/providers",
    status_code=201,
    response_model=ProviderCreated,
    responses={**ERRORS, 409: {"model": Problem}},
    summary="Register a training provider",
)
def create_provider(
    body: ProviderCreate, _admin: AdminOnly, context: Context, session: WriteSession
) -> Response:
    service = provider_service(context, session)
    registered = service.create(slug=body.slug, name=body.name, did_method=body.didMethod)
    return json_response(
        {**service.summary(registered.provider), "apiKey": registered.api_key}, 201
    )


@router.get(
    "/providers", response_model=list[ProviderOut], responses=ERRORS, summary="List providers"
)
def list_providers(_admin: AdminOnly, context: Context, session: ReadSession) -> Response:
    service = provider_service(context, session)
    return json_response([service.summary(p) for p in service.providers.all()])


@router.post(
    "/providers/{slug}/rotate-key",
    response_model=ProviderOut,
    responses={**ERRORS, 404: {"model": Problem}},
    summary="Give a provider a new signing key",
)
def rotate_key(slug: str, _admin: AdminOnly, context: Context, session: WriteSession) -> Response:
    service = provider_service(context, session)
    provider = service.by_slug(slug)
    service.rotate_key(provider)
    return json_response(service.summary(provider))
