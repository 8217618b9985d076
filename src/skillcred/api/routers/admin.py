"""Operator endpoints (admin bearer token): providers, their API keys, suspension, and
signing keys reported compromised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from skillcred.api.deps import AdminOnly, Context
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.schemas import (
    PROBLEM,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyRotate,
    ApiKeyRotated,
    KeyCompromise,
    KeyCompromised,
    ProviderCreate,
    ProviderCreated,
    ProviderOut,
    ProviderSuspend,
)
from skillcred.core.datetimes import utc_now
from skillcred.services.compromise import report_compromise
from skillcred.services.providers import NewApiKey, api_key_json, provider_json
from skillcred.services.runtime import AppContext

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
    with context.provider_work() as service:
        registered = service.create(
            slug=body.slug,
            name=body.name,
            did_method=body.didMethod,
            key_store=body.keyStore,
            actor="operator:admin-api",
        )
        created = provider_json(registered, service)
    return json_response(created, 201)


@router.get(
    "/providers", response_model=list[ProviderOut], responses=ERRORS, summary="List providers"
)
def list_providers(_admin: AdminOnly, context: Context) -> Response:
    with context.provider_work(write=False) as service:
        listing = [service.summary(p) for p in service.providers.all()]
    return json_response(listing)


@router.post(
    "/providers/{slug}/rotate-key",
    response_model=ProviderOut,
    responses={**ERRORS, 404: PROBLEM},
    summary="Give a provider a new signing key",
)
def rotate_key(slug: str, _admin: AdminOnly, context: Context) -> Response:
    with context.provider_work() as service:
        provider = service.by_slug(slug)
        service.rotate_key(provider, actor="operator:admin-api")
        summary = service.summary(provider)
    # This worker signs with the new key at once; the others within the cache's TTL.
    context.directory.forget()
    return json_response(summary)


ACTOR = "operator:admin-api"
#: how soon every worker acts on a revocation, suspension or compromise (the directory's
#: cache TTL; see services.providers.CACHE_TTL_SECONDS)
BOUND = "Every instance refuses it within 2 seconds (the provider cache's lifetime)."


@router.post(
    "/providers/{slug}/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    responses={**ERRORS, 404: PROBLEM},
    summary="Give a provider another API key",
    description="The key is shown once in the answer and stored only as a hash.",
)
def create_api_key(
    slug: str, _admin: AdminOnly, context: Context, body: ApiKeyCreate | None = None
) -> Response:
    body = body or ApiKeyCreate()
    with context.provider_work() as service:
        provider = service.by_slug(slug)
        created = service.create_api_key(
            provider, name=body.name, expires=body.expires, actor=ACTOR
        )
        answer = _created(created)
    return json_response(answer, 201)


def _created(created: NewApiKey) -> dict[str, Any]:
    """A new API key as answered: the only time the key itself is shown."""
    return {
        "id": created.row.id,
        "name": created.row.name,
        "apiKey": created.api_key,
        "expires": api_key_json(created.row, utc_now())["expires"],
    }


@router.get(
    "/providers/{slug}/api-keys",
    response_model=list[ApiKeyOut],
    responses={**ERRORS, 404: PROBLEM},
    summary="List a provider's API keys (never the keys themselves)",
)
def list_api_keys(slug: str, _admin: AdminOnly, context: Context) -> Response:
    with context.provider_work(write=False) as service:
        listing = service.api_keys(service.by_slug(slug))
    return json_response(listing)


@router.delete(
    "/providers/{slug}/api-keys/{key_id}",
    response_model=ApiKeyOut,
    responses={**ERRORS, 404: PROBLEM},
    summary="Revoke an API key",
    description="Refused from now on. " + BOUND,
)
def revoke_api_key(slug: str, key_id: str, _admin: AdminOnly, context: Context) -> Response:
    with context.provider_work() as service:
        row = service.revoke_api_key(service.by_slug(slug), key_id, actor=ACTOR)
        answer = api_key_json(row, utc_now())
    context.directory.forget()
    return json_response(answer)


@router.post(
    "/providers/{slug}/api-keys/{key_id}/rotate",
    status_code=201,
    response_model=ApiKeyRotated,
    responses={**ERRORS, 404: PROBLEM, 409: PROBLEM},
    summary="Replace an API key, the old one valid for a grace period",
    description=(
        "A new key (shown once); the old key keeps working for `graceSeconds`, then is "
        "refused (to the second: cached answers expire with the key)."
    ),
)
def rotate_api_key(
    slug: str, key_id: str, body: ApiKeyRotate, _admin: AdminOnly, context: Context
) -> Response:
    with context.provider_work() as service:
        created, old = service.rotate_api_key(
            service.by_slug(slug),
            key_id,
            grace=timedelta(seconds=body.graceSeconds),
            name=body.name,
            expires=body.expires,
            actor=ACTOR,
        )
        now = utc_now()
        answer = {
            **_created(created),
            "replaces": api_key_json(old, now),
        }
    context.directory.forget()
    return json_response(answer, 201)


@router.post(
    "/providers/{slug}/suspend",
    response_model=ProviderOut,
    responses={**ERRORS, 404: PROBLEM},
    summary="Suspend a provider: no issuance, no status changes",
    description=(
        "Its API keys then only read; what it issued keeps verifying. "
        + BOUND.replace("refuses it", "acts on it")
    ),
)
def suspend_provider(
    slug: str, _admin: AdminOnly, context: Context, body: ProviderSuspend | None = None
) -> Response:
    return _set_suspension(context, slug, True, body)


@router.post(
    "/providers/{slug}/reinstate",
    response_model=ProviderOut,
    responses={**ERRORS, 404: PROBLEM},
    summary="Lift a provider's suspension",
)
def reinstate_provider(
    slug: str, _admin: AdminOnly, context: Context, body: ProviderSuspend | None = None
) -> Response:
    return _set_suspension(context, slug, False, body)


def _set_suspension(
    context: AppContext, slug: str, suspended: bool, body: ProviderSuspend | None
) -> Response:
    reason = body.reason if body else None
    with context.provider_work() as service:
        provider = service.by_slug(slug)
        change = service.suspend if suspended else service.reinstate
        change(provider, actor=ACTOR, reason=reason)
        summary = service.summary(provider)
    context.directory.forget()
    return json_response(summary)


@router.post(
    "/providers/{slug}/keys/{key_id}/compromise",
    response_model=KeyCompromised,
    responses={**ERRORS, 404: PROBLEM},
    summary="Report a signing key compromised: revoke what it signed",
    description=(
        "`keyId` is the fragment of the verification method (`z6Mk…`). In one operation: "
        "every credential the key signed from `since` on (all of them without `since`) "
        "is revoked in its status list; the key signs nothing more (the provider gets a "
        "new key when it was the current one) and leaves the verification relationships "
        "of the did:web document; the audit trail records it. The answer lists the "
        "credentials affected, to re-issue to their holders. `keyId` may also be the `kid` "
        "of an ES256 (SD-JWT VC) key: it leaves the JWT VC Issuer Metadata, a new one is "
        "made, and every SD-JWT VC it signed verifies as revoked (`credentials` is then "
        "empty: SD-JWT VCs are not recorded; `newVerificationMethod` is the new kid)."
    ),
)
def compromise_key(
    slug: str,
    key_id: str,
    _admin: AdminOnly,
    context: Context,
    body: KeyCompromise | None = None,
) -> Response:
    body = body or KeyCompromise()
    with context.provider_work() as service:
        report = report_compromise(
            service,
            context.status,
            service.by_slug(slug),
            key_id,
            since=body.since,
            actor=ACTOR,
            reason=body.reason,
        )
        answer = report.to_json()
    context.directory.forget()
    return json_response(answer)
