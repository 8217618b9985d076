"""FastAPI dependencies: the request's transaction, the caller's identity."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from skillcred.api.context import AppContext
from skillcred.errors import AuthenticationError, PermissionDeniedError
from skillcred.services.providers import ProviderService
from skillcred.storage.models import Provider


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(app_context)]


def _write_session(context: Context) -> Iterator[Session]:
    # scope="function" (below): committed before the response is sent, so an answer
    # that says "issued" is only ever given for what is stored.
    with context.database.writing() as session:
        yield session


def _read_session(context: Context) -> Iterator[Session]:
    with context.database.reading() as session:
        yield session


WriteSession = Annotated[Session, Depends(_write_session, scope="function")]
ReadSession = Annotated[Session, Depends(_read_session, scope="function")]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise AuthenticationError("this endpoint needs 'Authorization: Bearer <API key>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <API key>'")
    return token.strip()


def provider_service(context: AppContext, session: Session) -> ProviderService:
    return ProviderService(session, keystore=context.keystore, base_url=context.settings.base_url)


def _provider_for_write(request: Request, context: Context, session: WriteSession) -> Provider:
    return provider_service(context, session).authenticate(bearer_token(request))


def _provider_for_read(request: Request, context: Context, session: ReadSession) -> Provider:
    return provider_service(context, session).authenticate(bearer_token(request))


CurrentProvider = Annotated[Provider, Depends(_provider_for_write)]
CurrentProviderReadOnly = Annotated[Provider, Depends(_provider_for_read)]


def require_admin(request: Request, context: Context) -> None:
    configured = context.settings.admin_token
    token = bearer_token(request)
    if configured is None:
        raise PermissionDeniedError(
            "no admin token is configured (set SKILLCRED_ADMIN_TOKEN); "
            "use 'skillcred providers create' on the server instead"
        )
    if not hmac.compare_digest(token.encode(), configured.get_secret_value().encode()):
        raise AuthenticationError("the admin token is not valid")


AdminOnly = Annotated[None, Depends(require_admin)]
