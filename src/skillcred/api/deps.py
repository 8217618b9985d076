"""FastAPI dependencies: the app context and the caller's identity.

There are no session dependencies: FastAPI runs a sync dependency's exit in another
worker thread, and a transaction held across that hop deadlocks once every thread waits
for the database lock the transaction holds. Transactions are opened by the services
(docs/architecture.md, "The transaction rule") and committed before the answer is built.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr

from skillcred.errors import AuthenticationError, PermissionDeniedError
from skillcred.services.providers import ensure_active
from skillcred.services.runtime import AppContext
from skillcred.storage.models import Provider

# Dependencies are ``async def``: they do no blocking work (current_provider reads the
# database only when its short cache misses), and each sync dependency would cost a hop
# to the thread pool and back per request.


async def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(app_context)]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise AuthenticationError("this endpoint needs 'Authorization: Bearer <API key>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <API key>'")
    return token.strip()


async def current_provider(request: Request, context: Context) -> Provider:
    """The provider whose API key is the bearer token (a short read of its own). A
    suspended provider may read what it has, and change nothing."""
    provider = context.authenticate(bearer_token(request))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        ensure_active(provider)
    return provider


CurrentProvider = Annotated[Provider, Depends(current_provider)]


async def require_admin(request: Request, context: Context) -> None:
    configured = context.settings.admin_token
    token = bearer_token(request)
    if configured is None:
        raise PermissionDeniedError(
            "no admin token is configured (set SKILLCRED_ADMIN_TOKEN); "
            "use 'skillcred providers create' on the server instead"
        )
    if not _same_secret(token, configured):
        raise AuthenticationError("the admin token is not valid")


AdminOnly = Annotated[None, Depends(require_admin)]


async def audit_scope(request: Request, context: Context) -> str | None:
    """Whose audit events the caller may read: None (all of them) for the auditor token,
    else the id of the provider whose API key it is."""
    token = bearer_token(request)
    auditor = context.settings.auditor_token
    if auditor is not None and _same_secret(token, auditor):
        return None
    try:
        return context.authenticate(token).id
    except AuthenticationError:
        raise AuthenticationError(
            "the token is neither the auditor token nor a provider's API key"
        ) from None


AuditScope = Annotated[str | None, Depends(audit_scope)]


def _same_secret(token: str, secret: SecretStr) -> bool:
    return hmac.compare_digest(token.encode(), secret.get_secret_value().encode())
