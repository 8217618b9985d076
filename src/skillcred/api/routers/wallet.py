"""Into the worker's wallet: offers (provider API key), the OpenID4VCI 1.0 issuer and the
VC-API exchanges the DCC Learner Credential Wallet speaks (public, for wallets)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from anyio import to_thread
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from skillcred.api.deps import Context, CurrentProvider
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.schemas import PROBLEM
from skillcred.core.jsonld.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from skillcred.core.openid4vci import PROOF_ALGORITHMS
from skillcred.core.verifying import VerificationResult
from skillcred.errors import (
    LimitExceededError,
    MailError,
    OAuthError,
    ParsingError,
    RequestError,
    SkillcredError,
)
from skillcred.services import batch, offer_batch, offer_mail
from skillcred.services.offers import (
    CONFIGURATION_ID,
    PRE_AUTHORIZED_GRANT,
    SD_JWT_CONFIGURATIONS,
)
from skillcred.services.sdjwt_vc import KIND_NAMES, SD_JWT_VC_TYPE
from skillcred.services.skills import SkillCredentialRequest

router = APIRouter(tags=["wallets"], route_class=JsonRoute)
NO_STORE = {"Cache-Control": "no-store"}
OAUTH_ERROR = {
    "description": "An OAuth 2.0 / OpenID4VCI error object",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                },
            }
        }
    },
}
DISPLAY = [
    {"name": "skillcred skills passport", "locale": "en"},
    {"name": "skillcred vaardighedenpaspoort", "locale": "nl"},
]
CREDENTIAL_DISPLAY = [
    {
        "name": "Skill credential",
        "locale": "en",
        "description": "A skill you showed, assessed by your training provider (Open Badges 3.0).",
        "background_color": "#12355b",
        "text_color": "#ffffff",
    },
    {
        "name": "Vaardigheidsbewijs",
        "locale": "nl",
        "description": "Een vaardigheid die je liet zien, beoordeeld door je opleider "
        "(Open Badges 3.0).",
        "background_color": "#12355b",
        "text_color": "#ffffff",
    },
]


class OfferCreated(BaseModel):
    id: str
    credentialOffer: str = Field(description="The openid-credential-offer:// URI.")
    txCode: str | None = Field(description="The transaction code: give it to the worker apart.")
    claimUrl: str
    vcapiRequest: str = Field(description="The Learner Credential Wallet deep link.")
    expires: str


class ExchangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offerId: str = Field(description="The offer the exchange delivers.")


# --- offers (provider API key) -------------------------------------------------------------


@router.post(
    "/offers",
    status_code=201,
    response_model=OfferCreated,
    responses={400: PROBLEM, 401: PROBLEM, 422: PROBLEM, 502: PROBLEM},
    summary="Offer a skill credential to a worker's wallet",
    description=(
        "Takes the same skill-shaped body as `POST /skill-credentials`, without `holder.id`: "
        "the credential is issued when a wallet collects the offer, bound to the wallet's "
        "key. Answers the OpenID4VCI credential offer URI, the transaction code (shown "
        "once: give it to the worker apart from the link), the claim page and the Learner "
        "Credential Wallet deep link."
    ),
)
def create_offer(
    body: SkillCredentialRequest,
    provider: CurrentProvider,
    context: Context,
    expiresIn: Annotated[
        int | None, Query(ge=60, le=90 * 24 * 3600, description="Seconds (default 14 days).")
    ] = None,
    email: Annotated[
        bool,
        Query(
            description="E-mail the claim link to holder.email (SKILLCRED_SMTP_URL); the "
            "transaction code is never in the e-mail."
        ),
    ] = False,
) -> Response:
    smtp_url = context.settings.smtp_url
    if email and smtp_url is None:
        raise RequestError("email: no SMTP server is configured here (SKILLCRED_SMTP_URL)")
    if email and body.holder.email is None:
        raise RequestError("email: the holder has no email address to send the offer to")
    actor = f"provider:{provider.slug}"
    created = context.offers.create(provider, body, actor=actor, expires_in=expiresIn)
    answer = created.to_json()
    if email:
        assert smtp_url is not None and body.holder.email is not None
        _offer, _links, about = context.offers.claim(created.links.handle)
        message = offer_mail.offer_message(
            created,
            to=body.holder.email,
            sender=context.settings.smtp_from,
            provider=provider.name,
            skill=str((about or {}).get("skill") or ""),
        )
        try:
            offer_mail.send(smtp_url.get_secret_value(), message)
        except MailError:
            # Nothing is left behind: an offer nobody was told of is withdrawn at once.
            context.offers.withdraw(provider, created.offer.id, actor=actor)
            raise
        answer["emailed"] = True
    return json_response(answer, 201, headers=NO_STORE)


@router.post(
    "/offers/batch",
    responses={400: PROBLEM, 401: PROBLEM, 413: PROBLEM},
    summary="Offer to a whole class: a JSON array of requests, or a results CSV",
    description=(
        "One offer per row (the columns of `skillcred issue-batch`, `holder_id` left "
        "out); a row with an error is reported by its line and the others go on. "
        "`Accept: text/csv` answers a CSV of the links and transaction codes; "
        "`Accept: text/html` the printable A4 sheet (one QR code per worker, the codes on "
        "a page of their own)."
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
async def create_offers(request: Request, provider: CurrentProvider, context: Context) -> Response:
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
            f"the batch has {len(rows)} rows; one request offers at most "
            f"{context.settings.max_batch_rows} (SKILLCRED_MAX_BATCH_ROWS)"
        )
    results = await to_thread.run_sync(
        lambda: offer_batch.create_offers(
            context.offers, provider, rows, actor=f"provider:{provider.slug}"
        )
    )
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        sheet = offer_batch.offers_sheet(provider.name, results)
        return Response(sheet, media_type="text/html; charset=utf-8", headers=NO_STORE)
    if "text/csv" in accept:
        return Response(
            offer_batch.offers_csv(results), media_type="text/csv; charset=utf-8", headers=NO_STORE
        )
    offered = sum(1 for r in results if r.created is not None)
    return json_response(
        {
            "summary": {"rows": len(results), "offered": offered, "failed": len(results) - offered},
            "results": [r.to_json() for r in results],
        },
        headers=NO_STORE,
    )


@router.get("/offers", responses={401: PROBLEM}, summary="This provider's offers")
def list_offers(provider: CurrentProvider, context: Context) -> Response:
    return json_response({"offers": context.offers.listing(provider)})


@router.delete(
    "/offers/{offer_id}",
    responses={401: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    summary="Withdraw an offer (its personal data is deleted)",
)
def withdraw_offer(offer_id: str, provider: CurrentProvider, context: Context) -> Response:
    return json_response(
        context.offers.withdraw(provider, offer_id, actor=f"provider:{provider.slug}")
    )


# --- OpenID4VCI 1.0 ------------------------------------------------------------------------


@router.get(
    "/.well-known/openid-credential-issuer",
    summary="OpenID4VCI credential issuer metadata",
)
def credential_issuer_metadata(context: Context) -> Response:
    base = context.settings.base_url
    issuer = context.offers.credential_issuer
    configuration = {
        "format": "ldp_vc",
        "scope": "SkillCredential",
        "cryptographic_binding_methods_supported": ["did:key", "jwk"],
        "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
        "proof_types_supported": {
            "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}
        },
        "credential_definition": {
            "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
        },
        # 1.0 puts display here; clients read a configuration as 1.0 only when it is there.
        "credential_metadata": {"display": CREDENTIAL_DISPLAY},
        # Drafts 13-15 read display from the configuration itself.
        "display": CREDENTIAL_DISPLAY,
    }
    return json_response(
        {
            "credential_issuer": issuer,
            "authorization_servers": [issuer],
            "credential_endpoint": f"{base}/openid4vci/credential",
            "nonce_endpoint": f"{base}/openid4vci/nonce",
            "display": DISPLAY,
            "credential_configurations_supported": {
                CONFIGURATION_ID: configuration,
                **{
                    configuration_id: _sd_jwt_configuration(context.sd_jwt_vc.vct(kind), kind)
                    for kind, configuration_id in SD_JWT_CONFIGURATIONS.items()
                },
            },
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


def _sd_jwt_configuration(vct: str, kind: str) -> dict[str, Any]:
    """A ``dc+sd-jwt`` configuration (OpenID4VCI 1.0 Appendix A.3, HAIP): the SD-JWT VC
    twin of the skill credential, bound to a P-256 key from an ES256 ``jwt`` key proof."""
    names = KIND_NAMES[kind]
    display = [
        {
            "name": f"{names['en']} (SD-JWT VC)",
            "locale": "en",
            "description": "A skill you showed, assessed by your training provider; you choose "
            "what you show of it.",
            "background_color": "#12355b",
            "text_color": "#ffffff",
        },
        {
            "name": f"{names['nl']} (SD-JWT VC)",
            "locale": "nl",
            "description": "Een vaardigheid die je liet zien, beoordeeld door je opleider; je "
            "kiest zelf wat je ervan laat zien.",
            "background_color": "#12355b",
            "text_color": "#ffffff",
        },
    ]
    return {
        "format": SD_JWT_VC_TYPE,
        "scope": f"SkillCredential_{kind}_sd_jwt",
        "vct": vct,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": ["ES256"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
        "credential_metadata": {"display": display},
        "display": display,
    }


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth 2.0 authorization server metadata (RFC 8414) of the token endpoint",
)
def authorization_server_metadata(context: Context) -> Response:
    base = context.settings.base_url
    return json_response(
        {
            "issuer": context.offers.credential_issuer,
            "token_endpoint": f"{base}/openid4vci/token",
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["none"],
            "pre-authorized_grant_anonymous_access_supported": True,
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/openid4vci/credential-offer/{handle}",
    responses={404: PROBLEM},
    summary="A credential offer, by reference (credential_offer_uri)",
)
def credential_offer(handle: str, context: Context) -> Response:
    return json_response(context.offers.credential_offer(handle), headers=NO_STORE)


@router.post(
    "/openid4vci/token",
    responses={400: OAUTH_ERROR},
    summary="Token endpoint: the pre-authorized code grant, with the transaction code",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "pre-authorized_code"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": [PRE_AUTHORIZED_GRANT]},
                            "pre-authorized_code": {"type": "string"},
                            "tx_code": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def token(request: Request, context: Context) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise OAuthError("the token request must be application/x-www-form-urlencoded")
    raw = await request.body()
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError("the token request body is not a valid form") from exc
    answer = await to_thread.run_sync(context.offers.token, form)
    return json_response(answer, headers={**NO_STORE, "Pragma": "no-cache"})


@router.post("/openid4vci/nonce", summary="A fresh c_nonce for key proofs")
async def nonce(context: Context) -> Response:
    answer = await to_thread.run_sync(context.offers.nonce)
    return json_response(answer, headers=NO_STORE)


@router.post(
    "/openid4vci/credential",
    responses={400: OAUTH_ERROR, 401: OAUTH_ERROR},
    summary="Credential endpoint: the skill credential (ldp_vc, or its dc+sd-jwt twin), bound "
    "to the key proof's key",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def credential(request: Request, context: Context) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, token_value = header.partition(" ")
    # Tokens are issued as Bearer tokens (no DPoP binding): only that scheme is read.
    access_token = token_value.strip() if scheme.lower() == "bearer" else None
    try:
        body: Any = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        body = None
    answer = await context.offers.credential(access_token, body)
    return json_response(answer, headers=NO_STORE)


# --- VC-API exchanges ------------------------------------------------------------------------


@router.post(
    "/workflows/{workflow}/exchanges",
    status_code=201,
    responses={400: PROBLEM, 401: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    summary="Start a VC-API exchange that delivers an offer",
)
def create_exchange(
    workflow: str, body: ExchangeCreate, provider: CurrentProvider, context: Context
) -> Response:
    created = context.offers.create_exchange(
        provider, workflow, body.offerId, actor=f"provider:{provider.slug}"
    )
    return json_response(created, 201, headers={**NO_STORE, "Location": created["url"]})


@router.post(
    "/workflows/{workflow}/exchanges/{exchange_id}",
    responses={400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 413: PROBLEM},
    summary="Take part in an exchange (wallet): DIDAuthentication, then the credential",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}
    },
)
async def exchange(workflow: str, exchange_id: str, request: Request, context: Context) -> Response:
    raw = await request.body()
    try:
        body: Any = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise ParsingError(f"the body is not JSON: {exc}") from exc

    async def check(presentation: Any, challenge: str, domain: str) -> VerificationResult:
        context.verifier.limits.enforce(presentation, "presentation")
        result: VerificationResult = await to_thread.run_sync(
            lambda: context.verification.verify_presentation(
                presentation, challenge=challenge, domain=domain
            ),
            limiter=context.verify_limiter,
        )
        return result

    answer = await context.offers.exchange(workflow, exchange_id, body, check)
    return json_response(answer, headers=NO_STORE)
