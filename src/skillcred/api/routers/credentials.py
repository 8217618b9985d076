"""VC-API issuing endpoints for providers (API key as bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.responses import Response

from skillcred.api.deps import Context, CurrentProvider
from skillcred.api.json import JsonRoute, issued_response, json_response, wrapped
from skillcred.api.options import IssueRequestOptions
from skillcred.api.schemas import (
    PROBLEM,
    CredentialResponse,
    IssueRequest,
    IssueResponse,
    UpdateStatusRequest,
    UpdateStatusResponse,
)
from skillcred.errors import NotFoundError, RequestError
from skillcred.services.issuance import IssueOptions, request_fingerprint

router = APIRouter(tags=["issuing"], route_class=JsonRoute)


@router.post(
    "/credentials/issue",
    status_code=201,
    response_model=IssueResponse,
    responses={400: PROBLEM, 401: PROBLEM, 409: PROBLEM, 413: PROBLEM, 422: PROBLEM},
    summary="Issue a credential (VC-API)",
    description=(
        "Signs the credential as the provider the API key belongs to. `issuer` is set when "
        "absent (a different one is refused), `id` (a `urn:uuid:`) and `validFrom` likewise. "
        "With an `Idempotency-Key` header a retried request returns the first result."
    ),
)
async def issue_credential(
    body: IssueRequest,
    provider: CurrentProvider,
    context: Context,
    request: Request,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
) -> Response:
    asked = IssueRequestOptions.parse(body.options)
    options = IssueOptions(
        cryptosuite=asked.cryptosuite, created=asked.created, status_purposes=asked.statusPurposes
    )
    if idempotency_key is not None and not idempotency_key.strip():
        raise RequestError("the Idempotency-Key header must not be empty")
    fingerprint = (
        request_fingerprint(body.model_dump(exclude_unset=True)) if idempotency_key else None
    )
    issued = await context.issuance.issue_async(
        provider,
        body.credential,
        options,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        offload=context.signing_limiter if _large(request) else None,
    )
    return issued_response(issued.document, replayed=issued.replayed)


#: a body past this is signed off the event loop (canonicalizing 300 KB takes ~100 ms)
INLINE_SIGNING_BYTES = 32 * 1024


def _large(request: Request) -> bool:
    length = request.headers.get("content-length", "")
    return not length.isdigit() or int(length) > INLINE_SIGNING_BYTES


@router.post(
    "/credentials/status",
    response_model=UpdateStatusResponse,
    responses={400: PROBLEM, 401: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    summary="Revoke, suspend or reinstate a credential (VC-API)",
    description=(
        "Sets the credential's bit in its revocation or suspension list. Revocation is final; "
        "a suspension can be lifted with `status: false`. The change is in every status list "
        "served after this answer."
    ),
)
async def update_status(
    body: UpdateStatusRequest, provider: CurrentProvider, context: Context
) -> Response:
    result = await context.status.change_async(
        provider,
        body.credentialId,
        body.credentialStatus.statusPurpose,
        body.status,
        reason=body.reason,
        actor=f"provider:{provider.slug}",
    )
    return json_response(result.to_json())


@router.get(
    "/credentials/{credential_id:path}",
    response_model=CredentialResponse,
    responses={401: PROBLEM, 404: PROBLEM},
    summary="Fetch a credential this provider issued (VC-API)",
)
def get_credential(credential_id: str, provider: CurrentProvider, context: Context) -> Response:
    document = context.issuance.get(provider, credential_id)
    if document is None:
        raise NotFoundError(f"this provider has issued no credential with the id {credential_id!r}")
    return Response(wrapped("verifiableCredential", document), media_type="application/json")
