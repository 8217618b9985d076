"""create_app(settings): the FastAPI application, built from validated settings."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from skillcred import __version__
from skillcred.api import problems
from skillcred.api.middleware import BodySizeLimit, Observe, RateLimit
from skillcred.api.routers import (
    admin,
    audit,
    claim,
    credentials,
    ops,
    presentation_requests,
    public,
    sd_jwt_vc,
    skills,
    verify,
    wallet,
    web,
)
from skillcred.logs import configure as configure_logging
from skillcred.services.runtime import AppContext
from skillcred.settings import Settings, load_settings
from skillcred.storage.db import Database

DESCRIPTION = (
    "An open-standard skills passport: W3C Verifiable Credentials 2.0 with Data Integrity "
    "EdDSA proofs (eddsa-rdfc-2022, eddsa-jcs-2022), issued per training provider over the "
    "W3C CCG VC-API. Errors are RFC 9457 problem details (`application/problem+json`)."
)


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    context = AppContext.build(settings, database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Batch jobs run in a thread of every serving process (see services.batch_jobs).
        worker = context.batch_worker()
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            # Writes queued by the last requests (a re-signed status list kept for the next
            # reader, an API key's last use) are committed before the app goes, not left to
            # a daemon thread that would reconnect to a database being closed.
            await asyncio.to_thread(context.writer.close)

    app = FastAPI(
        lifespan=lifespan,
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
            {
                "name": "presentation requests",
                "description": "Ask the worker's wallet (OpenID4VP 1.0, VC-API exchanges).",
            },
            {
                "name": "wallets",
                "description": "Offers into workers' wallets: OpenID4VCI 1.0 and VC-API exchanges.",
            },
        ],
    )
    app.state.context = context
    problems.install(app)
    # Verification first: POST /credentials/verify must not fall to GET /credentials/{id}.
    app.include_router(verify.router)
    app.include_router(credentials.router)
    app.include_router(skills.router)
    app.include_router(wallet.router)
    app.include_router(claim.router)
    app.include_router(public.router)
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(web.router)
    app.include_router(ops.router)
    app.include_router(presentation_requests.router)
    app.include_router(sd_jwt_vc.router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match"],
        expose_headers=["ETag", "Idempotent-Replayed", "Skillcred-Verdict"],
        max_age=86400,
    )
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        exceptions={
            ("POST", "/skill-credentials/batch"): max(
                settings.max_body_bytes, settings.max_batch_body_bytes
            )
        },
    )
    verify_rate = (settings.rate_limit_verify_per_minute, settings.rate_limit_verify_burst)
    public_rate = (settings.rate_limit_public_per_minute, settings.rate_limit_public_burst)
    app.add_middleware(
        RateLimit,
        rules=[
            ("POST", "/credentials/verify", *verify_rate),
            ("POST", "/presentations/verify", *verify_rate),
            # Anyone may ask a wallet, answer a request or poll a result: each makes a
            # database write or a verification, so they share the verification limits.
            ("POST", "/presentation-requests", *verify_rate),
            ("GET", "/presentation-results/", *public_rate),
            ("GET", "/presentation-requests/", *public_rate),
            *(("GET", prefix, *public_rate) for prefix in PUBLIC_DOCUMENTS),
            # What wallets and workers call without an API key: each writes to the database
            # (a nonce, a refused try), so each client gets a bucket.
            *(("POST", prefix, *verify_rate) for prefix in WALLET_ENDPOINTS),
        ],
    )
    # Outermost (added last): every answer, a 429 or a 413 too, has its id, log line, count.
    app.add_middleware(Observe)
    return app


#: the public documents anyone may fetch (rate limited per client address)
PUBLIC_DOCUMENTS = (
    "/status-lists/",
    "/contexts/",
    "/schemas/",
    "/providers/",
    "/verify",
    "/claim/",
    "/openid4vci/",
)
#: the wallet-facing endpoints that take POSTs without an API key
WALLET_ENDPOINTS = ("/openid4vci/", "/claim/", "/workflows/skill-credential/exchanges/")


def app_factory() -> FastAPI:
    """For ``uvicorn --factory``: each worker builds its app from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # A thread signing or verifying a large document holds the GIL; the event loop gets it
    # back at the switch interval. 1 ms instead of 5 keeps the loop answering under that
    # load (bench/bench_healthz.py) for a few percent of throughput.
    sys.setswitchinterval(0.001)
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
