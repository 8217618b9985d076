"""SD-JWT VC (``dc+sd-jwt``): a skill credential's twin for the EU wallets, the metadata
wallets and verifiers resolve (JWT VC Issuer Metadata, Type Metadata, the issuing CA's
root) and the Token Status Lists (docs/sd-jwt-vc.md)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from skillcred.api.deps import Context, CurrentProvider
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.schemas import PROBLEM

router = APIRouter(tags=["sd-jwt-vc"], route_class=JsonRoute)
METADATA_CACHE = "public, max-age=3600"


class SdJwtVcRequest(BaseModel):
    """Which stored skill credential, and the holder's key to bind it to."""

    model_config = ConfigDict(extra="forbid")

    credentialId: str = Field(
        min_length=1, max_length=700, description="The `id` of a credential this provider issued."
    )
    holderJwk: dict[str, Any] = Field(
        description="The holder's public key (JWK, kty EC, crv P-256), put in `cnf.jwk`."
    )


class SdJwtVcResponse(BaseModel):
    format: str = Field(description="`dc+sd-jwt`.")
    credential: str = Field(
        description="The SD-JWT VC with all disclosures: `<issuer JWT>~<disclosure>~…~`."
    )


@router.post(
    "/sd-jwt-vc",
    status_code=201,
    response_model=SdJwtVcResponse,
    responses={400: PROBLEM, 401: PROBLEM, 404: PROBLEM, 422: PROBLEM},
    summary="The SD-JWT VC twin of a stored skill credential",
    description=(
        "Issues the skill credential `credentialId` (issued by this provider) again as an "
        "SD-JWT VC (`dc+sd-jwt`, ES256, `x5c`), bound to `holderJwk`: the same award and "
        "the same status (its Token Status List entry is the credential's revocation "
        "entry). Skill, level, EQF level, safety certificate, validity and issuer are always "
        "visible; the holder's name and identifiers, the assessment and the evidence are "
        "selectively disclosable."
    ),
)
async def issue_sd_jwt_vc(
    body: SdJwtVcRequest, provider: CurrentProvider, context: Context
) -> Response:
    credential = await to_thread.run_sync(
        context.sd_jwt_vc.issue_twin, provider, body.credentialId, body.holderJwk
    )
    return json_response({"format": "dc+sd-jwt", "credential": credential}, 201)


@router.get(
    "/.well-known/jwt-vc-issuer/providers/{slug}",
    responses={404: PROBLEM},
    summary="JWT VC Issuer Metadata of a provider",
    description="The provider's `iss` and its ES256 keys (JWKS) (SD-JWT VC, issuer metadata).",
)
def jwt_vc_issuer(slug: str, context: Context) -> Response:
    response = json_response(context.sd_jwt_vc.issuer_metadata(slug))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@router.get(
    "/vct/skills/{kind}",
    responses={404: PROBLEM},
    summary="SD-JWT VC Type Metadata of a kind of skill",
    description=(
        "`competency`, `certification` or `license`: display names (en, nl), claim "
        "metadata and the JSON Schema of the disclosed claims."
    ),
)
def type_metadata(kind: str, context: Context) -> Response:
    response = json_response(context.sd_jwt_vc.type_metadata(kind))
    response.headers["Cache-Control"] = METADATA_CACHE
    return response


@router.get(
    "/token-status-lists/{list_id}",
    responses={
        200: {"content": {"application/statuslist+jwt": {}}},
        404: PROBLEM,
    },
    summary="A signed Token Status List (statuslist+jwt)",
    description=(
        "2 bits per entry: 0 valid, 1 revoked, 2 suspended; the same statuses as the "
        "Bitstring Status List of the same id."
    ),
)
def token_status_list(list_id: str, request: Request, context: Context) -> Response:
    body, content = context.sd_jwt_vc.status_list_token(list_id)
    etag = f'"{content}"'
    ttl = context.settings.status_list_ttl_seconds
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={ttl}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/statuslist+jwt", headers=headers)


@router.get(
    "/issuing-ca.pem",
    responses={200: {"content": {"application/x-pem-file": {}}}},
    summary="The deployment's issuing CA (X.509 root, PEM)",
    description=(
        "The root that certifies every provider's ES256 key (SAN URI = the provider's "
        "`iss`); put it on a trust list to trust this deployment's SD-JWT VCs."
    ),
)
def issuing_ca(context: Context) -> Response:
    return Response(
        context.es256_keys.root_pem(),
        media_type="application/x-pem-file",
        headers={"Cache-Control": METADATA_CACHE},
    )
