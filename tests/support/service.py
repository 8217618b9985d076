"""Build a service in-process for HTTP tests (FastAPI TestClient over the real app)."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from skillcred.api.app import create_app
from skillcred.settings import Settings, load_settings
from skillcred.storage.db import Database, open_database
from skillcred.storage.migrate import upgrade

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
MASTER_KEY = "test:" + base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
BASE_URL = "https://skills.test"


@dataclass
class Service:
    client: TestClient
    settings: Settings
    database: Database

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def create_provider(
        self, slug: str, *, did_method: str = "key", name: str | None = None
    ) -> dict[str, Any]:
        response = self.client.post(
            "/admin/providers",
            json={"slug": slug, "name": name or f"Provider {slug}", "didMethod": did_method},
            headers=self.admin(),
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def issue(
        self,
        api_key: str,
        credential: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        body: dict[str, Any] = {"credential": credential}
        if options is not None:
            body["options"] = options
        return self.client.post(
            "/credentials/issue",
            json=body,
            headers={"Authorization": f"Bearer {api_key}", **(headers or {})},
        )


@contextmanager
def running_service(database_url: str, data_dir: Path, **overrides: Any) -> Iterator[Service]:
    settings = load_settings(
        database_url=database_url,
        data_dir=data_dir,
        base_url=overrides.pop("base_url", BASE_URL),
        admin_token=ADMIN_TOKEN,
        master_key=MASTER_KEY,
        demo_provider=False,
        **{"rate_limit_verify_per_minute": 0, "rate_limit_public_per_minute": 0, **overrides},
    )
    database = open_database(database_url)
    upgrade(database.write_engine)
    app = create_app(settings, database=database)
    with TestClient(app, base_url=BASE_URL) as client:
        yield Service(client, settings, database)
    database.dispose()
