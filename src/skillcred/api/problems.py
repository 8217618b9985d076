"""RFC 9457 problem details: the one place error classes become HTTP status codes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from skillcred import errors

log = logging.getLogger("skillcred.api")

PROBLEM_JSON = "application/problem+json"

#: domain error class -> HTTP status; the most specific class listed wins
STATUS_BY_ERROR: tuple[tuple[type[errors.SkillcredError], int], ...] = (
    (errors.InvalidTokenError, 401),
    (errors.OAuthError, 400),
    (errors.IssuerMismatchError, 400),
    (errors.LimitExceededError, 413),
    (errors.RequestError, 400),
    (errors.ParsingError, 400),
    (errors.KeyFormatError, 400),
    (errors.DataModelError, 422),
    (errors.JsonLdError, 422),
    (errors.ProofGenerationError, 422),
    (errors.IdempotencyKeyReusedError, 422),
    (errors.InvalidInputError, 422),
    (errors.AuthenticationError, 401),
    (errors.PermissionDeniedError, 403),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.DidResolutionError, 422),
    (errors.PresentationResponseError, 400),
    (errors.PresentationRequestGoneError, 410),
    (errors.MailError, 502),
)


def status_for(error: errors.SkillcredError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def problem(
    status: int,
    *,
    title: str | None = None,
    detail: str,
    type_uri: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": type_uri or "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extensions)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def oauth_error(error: errors.OAuthError) -> Response:
    """The error object of OAuth 2.0 (RFC 6749 §5.2) and OpenID4VCI; never cached."""
    status = 401 if isinstance(error, errors.InvalidTokenError) else 400
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        detail = error.detail.replace('"', "'")
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{detail}"'
    return Response(
        orjson.dumps({"error": error.code, "error_description": error.detail}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def from_error(error: errors.SkillcredError, instance: str | None = None) -> Response:
    if isinstance(error, errors.OAuthError):
        return oauth_error(error)
    status = status_for(error)
    headers = {"WWW-Authenticate": 'Bearer realm="skillcred"'} if status == 401 else None
    extensions: dict[str, Any] = {"code": error.code}
    # OAuth endpoints (a wallet's response) carry ``error`` / ``error_description`` too.
    extensions.update(getattr(error, "extensions", None) or {})
    if instance:
        extensions["instance"] = instance
    return problem(
        status,
        title=error.title,
        detail=error.detail,
        type_uri=error.type_uri,
        headers=headers,
        **extensions,
    )


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "the request body"


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.SkillcredError)
    async def _domain(request: Request, exc: errors.SkillcredError) -> Response:
        if status_for(exc) >= 500:
            log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.detail)
        return from_error(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for item in exc.errors():
            where = _location(tuple(item.get("loc", ())))
            message = str(item.get("msg", "is invalid"))
            if item.get("type") == "json_invalid":
                ctx = item.get("ctx") or {}
                message = f"the body is not valid JSON ({ctx.get('error', 'parse error')})"
                where = "the request body"
            elif item.get("type") == "missing":
                message = "is required"
            elif item.get("type") == "extra_forbidden":
                message = "is not a field of this request"
            problems.append(f"{where}: {message}")
        detail = "; ".join(problems) or "the request is not valid"
        is_json_error = any(e.get("type") == "json_invalid" for e in exc.errors())
        return problem(
            400,
            title="Parsing error" if is_json_error else "Invalid request",
            detail=detail,
            type_uri=errors.problem_type("PARSING_ERROR")
            if is_json_error
            else errors.problem_type(errors.RequestError.code),
            code="PARSING_ERROR" if is_json_error else "INVALID_REQUEST",
            instance=request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is nothing at {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Starlette names the methods of the first route that matched the path only;
            # RFC 9110 §15.5.6 wants every method the resource has.
            allowed = _allowed_methods(app, request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = (
                f"{request.method} is not allowed on {request.url.path}; it takes "
                + ", ".join(allowed)
            )
        return problem(exc.status_code, detail=detail, instance=request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            500,
            detail="the service failed to handle this request; nothing was changed",
            instance=request.url.path,
        )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route takes at the request's path."""
    methods: set[str] = set()
    for route in _routes(app.router.routes):
        for method in getattr(route, "methods", None) or ():
            match, _ = route.matches({**request.scope, "method": method})
            if match == Match.FULL:
                methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes, with those of included routers (FastAPI wraps them) in their place."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        else:
            yield route
