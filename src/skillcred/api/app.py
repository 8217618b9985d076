"""create_app(settings): the FastAPI application, built from validated settings."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from skillcred import __version__
from skillcred.api import problems
from skillcred.api.context import AppContext
from skillcred.api.middleware import BodySizeLimit
from skillcred.api.routers import admin, audit, credentials, public, skills, verify, web
from skillcred.settings import Settings, load_settings
from skillcred.storage.db import Database

DESCRIPTION = (
    "An open-standard skills passport: W3C Verifiable Credentials 2.0 with Data Integrity "
    "EdDSA proofs (eddsa-rdfc-2022, eddsa-jcs-2022), issued per training provider over the "
    "W3C CCG VC-API. Errors are RFC 9457 problem details (`application/problem+json`)."
)


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    context = AppContext.build(settings, database)
    app = FastAPI(
        title="skillcred",
        version=__version__,
        description=DESCRIPTION,
        # /docs is served by the web router from vendored Swagger UI files (FastAPI's own
        # pages load Swagger UI and ReDoc from a CDN, and are blank offline).
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "issuing", "description": "VC-API issuing, for providers (API key)."},
            {"name": "verifying", "description": "VC-API verification, public."},
            {"name": "skills", "description": "The skills passport profile (Open Badges 3.0)."},
            {"name": "public", "description": "Public documents: contexts, schemas, DIDs, health."},
            {"name": "operator", "description": "Provider registration (admin token)."},
            {"name": "audit", "description": "The audit trail (auditor token or API key)."},
        ],
    )
    app.state.context = context
    problems.install(app)
    # Verification first: POST /credentials/verify must not fall to GET /credentials/{id}.
    app.include_router(verify.router)
    app.include_router(credentials.router)
    app.include_router(skills.router)
    app.include_router(public.router)
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(web.router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match"],
        expose_headers=["ETag", "Idempotent-Replayed", "Skillcred-Verdict"],
        max_age=86400,
    )
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    return app


def app_factory() -> FastAPI:
    """For ``uvicorn --factory``: each worker builds its app from the environment."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    return create_app(settings)


def openapi_for_docs() -> dict[str, Any]:
    """The OpenAPI document, from an app built on throw-away settings (no files touched)."""
    import base64
    import secrets

    settings = load_settings(
        database_url="sqlite://",
        master_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        demo_provider=False,
    )
    app = create_app(settings)
    document = app.openapi()
    app.state.context.database.dispose()
    return document
