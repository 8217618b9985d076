"""VC-API verification, public: a credential, or a passport (a presentation of many)."""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from starlette.responses import Response

from skillcred.api.deps import Context
from skillcred.api.json import JsonRoute, json_response
from skillcred.api.options import (
    SdJwtVerifyOptions,
    VerifyCredentialRequestOptions,
    VerifyPresentationRequestOptions,
)
from skillcred.api.schemas import (
    PROBLEM,
    VerificationResponse,
    VerifyCredentialRequest,
    VerifyPresentationRequest,
)
from skillcred.core.passport import report
from skillcred.core.verifying import VerificationResult
from skillcred.services.sdjwt_presentation import employer_summary
from skillcred.services.sdjwt_verify import sd_jwt_text

router = APIRouter(tags=["verifying"], route_class=JsonRoute)
RESULT: dict[str, Any] = {"model": VerificationResponse}


def _answer(result: VerificationResult, body: dict[str, Any]) -> Response:
    # A document that is not verified is answered 422 with the same result body; the
    # verdict (also in the body) is repeated in a header so that *cannot check* is told
    # apart from a definite "no" without reading the body.
    response = json_response(body, 200 if result.verified else 422)
    response.headers["Skillcred-Verdict"] = result.verdict
    return response


@router.post(
    "/credentials/verify",
    response_model=VerificationResponse,
    responses={422: RESULT, 400: PROBLEM, 413: PROBLEM, 429: PROBLEM},
    summary="Verify a credential (VC-API)",
    description=(
        "Checks the proof(s) — each made by a key the issuer controls — the data model, "
        "the validity period, the status (revocation, suspension) and the credentialSchema; "
        "issuer trust is reported beside `verified`. Answers 200 when verified, 422 with the "
        "same body when not. `verdict` (also in the `Skillcred-Verdict` header) says it in "
        "one word: valid, revoked, suspended, expired, not-yet-valid, not-genuine, "
        "cannot-check (something needed could not be had: `notChecked` says what), "
        "untrusted-issuer or invalid. `options.checks` selects among proof, validityPeriod "
        "(alias expiration), status (alias credentialStatus) and credentialSchema (alias "
        "schema); the proof is always checked, an unknown name is refused, and a check left "
        "out keeps the verdict from valid."
    ),
)
async def verify_credential(body: VerifyCredentialRequest, context: Context) -> Response:
    credential = body.verifiableCredential
    sd_jwt = sd_jwt_text(credential)
    if sd_jwt is not None:
        # An SD-JWT VC (dc+sd-jwt), or an SD-JWT+KB presentation: challenge and domain
        # are the KB-JWT's nonce and aud (docs/sd-jwt-vc.md).
        sd_options = SdJwtVerifyOptions.parse(body.options)
        result = await to_thread.run_sync(
            partial(
                context.sd_jwt_verifier.verify,
                sd_jwt,
                nonce=sd_options.challenge,
                audience=sd_options.domain,
            ),
            limiter=context.verify_limiter,
        )
        answer = result.to_json()
        # The employer's summary, in the fields a Data Integrity credential's has (the
        # page shows either the same way), with the claims disclosed.
        if result.summary:  # none when the SD-JWT could not even be read
            answer["summary"] = employer_summary(result)
        return _answer(result, answer)
    options = VerifyCredentialRequestOptions.parse(body.options)
    context.verifier.limits.enforce(credential, "credential")  # past a limit: a 422 problem
    result = await to_thread.run_sync(
        partial(context.verification.verify_credential, credential, checks=options.selected_checks),
        limiter=context.verify_limiter,
    )
    return _answer(result, report(credential, result))


@router.post(
    "/presentations/verify",
    response_model=VerificationResponse,
    responses={422: RESULT, 400: PROBLEM, 413: PROBLEM, 429: PROBLEM},
    summary="Verify a presentation: a skills passport (VC-API)",
    description=(
        "Checks the holder's proof (purpose authentication, with `options.challenge` and "
        "`options.domain` when given), then every credential inside as /credentials/verify "
        "does, whether each credential is about the holder, and returns one summary per "
        "skill. A presentation without a holder proof is accepted only with "
        "`options.allowUnsignedPresentation: true`, and reported as unbound."
    ),
)
async def verify_presentation(body: VerifyPresentationRequest, context: Context) -> Response:
    options = VerifyPresentationRequestOptions.parse(body.options)
    presentation = body.verifiablePresentation
    context.verifier.limits.enforce(presentation, "presentation")
    result = await to_thread.run_sync(
        partial(
            context.verification.verify_presentation,
            presentation,
            challenge=options.challenge,
            domain=options.domain,
            unsigned_allowed=options.allowUnsignedPresentation,
            checks=options.selected_checks,
        ),
        limiter=context.verify_limiter,
    )
    return _answer(result, report(presentation, result))
