"""Preparing a database for serving: migrate, and a demo provider in development."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from skillcred.services.keystore import key_stores
from skillcred.services.providers import ProviderService, provider_json
from skillcred.settings import Settings
from skillcred.storage.db import Database
from skillcred.storage.migrate import upgrade
from skillcred.storage.repositories import Providers

log = logging.getLogger("skillcred.bootstrap")
DEMO_SLUG = "demo"


def prepare_database(settings: Settings, database: Database) -> Path | None:
    """Migrate; in development, create a demo provider on first start.

    Returns the path of the demo provider's file (its API key, owner-readable only) when
    one was made. The API key is never stored in the database in the clear.
    """
    # The master keys are read (and refused if unusable) before the database is touched.
    keystore = key_stores(settings)
    upgrade(database.write_engine)
    if settings.env != "development" or not settings.demo_provider:
        return None
    with database.writing() as session:
        if Providers(session).all():
            return None
        service = ProviderService(session, keystore=keystore, base_url=settings.base_url)
        registered = service.create(slug=DEMO_SLUG, name="Demo Training Provider", did_method="key")
        info = provider_json(registered, service)
    path = settings.data_dir / "demo-provider.json"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2)
        handle.write("\n")
    log.warning(
        "DEVELOPMENT MODE: created the demo provider %r (%s); its API key is in %s",
        DEMO_SLUG,
        info["did"],
        path,
    )
    return path
