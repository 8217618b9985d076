"""Issue 14, operable: structured JSON logs with a request id (returned as a header),
Prometheus metrics over all workers, liveness apart from readiness, the metrics token."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.load import server_environment
from tests.support.processes import clean_environment, free_port, serving
from tests.support.service import ADMIN_TOKEN


def metric(exposition: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in exposition.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_request_ids_json_logs_and_metrics_over_two_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    port = free_port()
    env = {**server_environment(url, tmp_path / "data", port), "SKILLCRED_LOG_LEVEL": "INFO"}
    with (
        serving(tmp_path, "--workers", "2", env=env, port=port) as (base, _process),
        httpx.Client(timeout=30) as client,
    ):
        created = client.post(
            f"{base}/admin/providers",
            json={"slug": "ops", "name": "Ops"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()
        key = {"Authorization": f"Bearer {created['apiKey']}"}
        issued = []
        for n in range(6):
            response = client.post(
                f"{base}/credentials/issue",
                json={"credential": CREDENTIAL},
                headers={**key, "X-Request-Id": f"issue-{n}"},
            )
            assert response.status_code == 201
            assert response.headers["x-request-id"] == f"issue-{n}"
            issued.append(response.json()["verifiableCredential"])
        # An id that is not a short token is replaced, never echoed.
        odd = client.get(f"{base}/livez", headers={"X-Request-Id": "<script>" * 20})
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
        tampered = {**issued[0], "name": "changed"}
        for credential in (*issued, tampered):
            client.post(f"{base}/credentials/verify", json={"verifiableCredential": credential})

        exposition = client.get(f"{base}/metrics").text
        # Both workers' counts, whichever answered the scrape.
        assert metric(exposition, "skillcred_credentials_issued_total") == 6
        assert metric(exposition, "skillcred_verifications_total", verdict="not-genuine") == 1
        assert metric(exposition, "skillcred_verifications_total", kind="credential") == 7
        assert (
            metric(
                exposition,
                "skillcred_http_requests_total",
                route="/credentials/issue",
                status="201",
            )
            == 6
        )
        assert client.get(f"{base}/livez").json() == {"status": "ok"}
        ready = client.get(f"{base}/readyz").json()
        assert ready["status"] == "ok" and ready["database"] == "ok"

    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()]
    access = [entry for entry in lines if entry.get("logger") == "skillcred.access"]
    issue_lines = [entry for entry in access if entry.get("route") == "/credentials/issue"]
    assert {entry["requestId"] for entry in issue_lines} == {f"issue-{n}" for n in range(6)}
    assert all(entry["status"] == 201 and entry["durationMs"] > 0 for entry in issue_lines)
    assert created["apiKey"] not in (tmp_path / "serve.log").read_text()


def test_metrics_token_and_readiness_behind_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "ops.db"
    env = clean_environment(
        SKILLCRED_DATABASE_URL=f"sqlite:///{database}",
        SKILLCRED_METRICS_TOKEN="m" * 32,
        SKILLCRED_LOG_FORMAT="text",
    )
    with serving(tmp_path, env=env) as (base, _process):
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert (
            httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer x"}).status_code == 403
        )
        ok = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer " + "m" * 32})
        assert ok.status_code == 200 and "skillcred_http_requests_total" in ok.text
        # As during an upgrade whose migration has not run: alive, not ready.
        engine = create_engine(f"sqlite:///{database}")
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
        engine.dispose()
        assert httpx.get(f"{base}/livez").status_code == 200
        not_ready = httpx.get(f"{base}/readyz")
        assert not_ready.status_code == 503
        assert "skillcred migrate" in not_ready.json()["detail"]
