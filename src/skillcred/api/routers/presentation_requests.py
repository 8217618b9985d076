"""Presentation requests: the employer asks the worker's wallet (OpenID4VP 1.0 with
``direct_post``, VC-API exchanges as the Learner Credential Wallet speaks them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from anyio import to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from skillcred.api.deps import Context
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.schemas import PROBLEM, CreatePresentationRequest, PresentationRequestCreated
from skillcred.errors import PresentationResponseError, RequestError

router = APIRouter(tags=["presentation requests"], route_class=JsonRoute)
NO_STORE = {"Cache-Control": "no-store"}
T = TypeVar("T")


async def _off_loop(context: Any, call: Callable[[], T]) -> T:
    # Database writes and verification: off the event loop, on the verification threads.
    return await to_thread.run_sync(call, limiter=context.verify_limiter)


@router.post(
    "/presentation-requests",
    status_code=201,
    response_model=PresentationRequestCreated,
    responses={400: PROBLEM, 413: PROBLEM, 429: PROBLEM},
    summary="Ask the worker's wallet for skill credentials",
    description=(
        "Makes a single-use presentation request with a fresh nonce: `openid4vpRequest` "
        "(OpenID4VP 1.0, `direct_post`, a DCQL query for `ldp_vc` Open Badges 3.0 skill "
        "credentials, or for `dc+sd-jwt` SD-JWT VCs with only the claims asked for), "
        "`vcapiRequest` (the Learner Credential Wallet's VC-API exchange, "
        "DIDAuthentication + QueryByExample) and a QR code of each. The answer is verified "
        "as /presentations/verify does, with the holder's proof required for this request's "
        "challenge and domain and every credential about that holder. `resultUrl` gives the "
        "result once. No key needed; rate limited."
    ),
)
async def create_presentation_request(
    body: CreatePresentationRequest, context: Context
) -> Response:
    service = context.presentation_requests
    created = await _off_loop(
        context, partial(service.create, query=body.query, purpose=body.purpose)
    )
    return json_response(created, 201, headers=NO_STORE)


@router.get(
    "/presentation-requests/{request_id}/request-object",
    responses={
        200: {"content": {"application/oauth-authz-req+jwt": {}}},
        404: PROBLEM,
        410: PROBLEM,
        429: PROBLEM,
    },
    summary="The signed request object (OpenID4VP request_uri)",
    description=(
        "With a verifier key configured (client identifier prefix "
        "`decentralized_identifier`): the Authorization Request as a JWT signed with EdDSA, "
        "`kid` the verifier's DID URL, served as `application/oauth-authz-req+jwt`."
    ),
)
async def request_object(request_id: str, context: Context) -> Response:
    token = await _off_loop(
        context, partial(context.presentation_requests.request_object, request_id)
    )
    return Response(token.encode(), media_type="application/oauth-authz-req+jwt", headers=NO_STORE)


@router.post(
    "/presentation-requests/{request_id}/response",
    responses={
        200: {"content": {"application/json": {}}},
        400: PROBLEM,
        413: PROBLEM,
        429: PROBLEM,
    },
    summary="The wallet's answer (OpenID4VP direct_post)",
    description=(
        "`application/x-www-form-urlencoded`: `vp_token` (a JSON object keyed by the DCQL "
        "credential query id, each value an array of presentations: JSON objects for "
        "`ldp_vc`, SD-JWT+KB strings for `dc+sd-jwt`, whose KB-JWT nonce and aud are the "
        "request's nonce and client_id) and `state`, or "
        "`error`. 200 `{}` once received and verified (the verdict goes to `resultUrl`); a "
        "replayed or late answer, or one that does not answer the request, is refused with "
        "400 and an OAuth `error` beside the problem details."
    ),
)
async def openid4vp_response(request_id: str, request: Request, context: Context) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise PresentationResponseError(
            "a direct_post response is sent as application/x-www-form-urlencoded"
        )
    try:
        text = (await request.body()).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PresentationResponseError("the response body is not form-encoded") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise PresentationResponseError(f"the response has {name} more than once")
        form[name] = value
    answer = await _off_loop(
        context, partial(context.presentation_requests.answer_openid4vp, request_id, form)
    )
    return json_response(answer, headers=NO_STORE)


@router.post(
    "/presentation-requests/{request_id}/exchange",
    responses={
        200: {"content": {"application/json": {}}},
        400: PROBLEM,
        404: PROBLEM,
        410: PROBLEM,
        413: PROBLEM,
        429: PROBLEM,
    },
    summary="The VC-API exchange (Learner Credential Wallet)",
    description=(
        "`{}` starts it: 200 `{verifiablePresentationRequest}` (DIDAuthentication and "
        "QueryByExample, `challenge`, `domain`, `interact`). `{verifiablePresentation}` "
        "answers it: verified as for OpenID4VP, 200 `{}`; the verdict goes to `resultUrl`."
    ),
)
async def vcapi_exchange(request_id: str, request: Request, context: Context) -> Response:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise RequestError("the request body is not JSON") from exc
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    service = context.presentation_requests
    if "verifiablePresentation" not in body:
        request_body = await _off_loop(
            context, partial(service.verifiable_presentation_request, request_id)
        )
        return json_response({"verifiablePresentationRequest": request_body}, headers=NO_STORE)
    presentation = body["verifiablePresentation"]
    context.verifier.limits.enforce(presentation, "presentation")
    answer = await _off_loop(context, partial(service.answer_vcapi, request_id, presentation))
    return json_response(answer, headers=NO_STORE)


@router.get(
    "/presentation-results/{result_id}",
    responses={
        202: {"content": {"application/json": {}}},
        404: PROBLEM,
        410: PROBLEM,
        429: PROBLEM,
    },
    summary="The verification result of a presentation request",
    description=(
        "202 `{status: waiting|verifying, expires}` until the wallet has answered and the "
        "answer is verified; then 200 with the result, in the shape /presentations/verify "
        "answers (`presentationRequest.presentedByHolder` beside it) — once: read, it is "
        "gone. 410 when the request expired unanswered."
    ),
)
async def presentation_result(result_id: str, context: Context) -> Response:
    status, body = await _off_loop(
        context, partial(context.presentation_requests.result, result_id)
    )
    response = json_response(body, status, headers=NO_STORE)
    if status == 200 and "verdict" in body:
        response.headers["Skillcred-Verdict"] = str(body["verdict"])
    return response
