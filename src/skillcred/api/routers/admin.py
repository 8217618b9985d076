"""Operator endpoints: register providers (admin bearer token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from skillcred.api.deps import AdminOnly, Context
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.schemas import PROBLEM, ProviderCreate, ProviderCreated, ProviderOut
from skillcred.services.providers import provider_json

router = APIRouter(prefix="/admin", tags=["operator"], route_class=JsonRoute)
ERRORS: dict[int | str, dict[str, Any]] = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM}


@router.post(
    "/providers",
    status_code=201,
    response_model=ProviderCreated,
    responses={**ERRORS, 409: PROBLEM},
    summary="Register a training provider",
)
def create_provider(body: ProviderCreate, _admin: AdminOnly, context: Context) -> Response:
    with context.database.writing() as session:
        service = context.providers(session)
        registered = service.create(
            slug=body.slug, name=body.name, did_method=body.didMethod, actor="operator:admin-api"
        )
        created = provider_json(registered, service)
    return json_response(created, 201)


@router.get(
    "/providers", response_model=list[ProviderOut], responses=ERRORS, summary="List providers"
)
def list_providers(_admin: AdminOnly, context: Context) -> Response:
    with context.database.reading() as session:
        service = context.providers(session)
        listing = [service.summary(p) for p in service.providers.all()]
    return json_response(listing)


@router.post(
    "/providers/{slug}/rotate-key",
    response_model=ProviderOut,
    responses={**ERRORS, 404: PROBLEM},
    summary="Give a provider a new signing key",
)
def rotate_key(slug: str, _admin: AdminOnly, context: Context) -> Response:
    with context.database.writing() as session:
        service = context.providers(session)
        provider = service.by_slug(slug)
        service.rotate_key(provider, actor="operator:admin-api")
        summary = service.summary(provider)
    # This worker signs with the new key at once; the others within the cache's TTL.
    context.directory.forget()
    return json_response(summary)
