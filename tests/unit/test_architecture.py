"""The walls of docs/architecture.md ("The rooms"): the core knows nothing of HTTP or the
database, only storage runs queries, nothing below the API imports it, and openapi.yaml is
exactly what the app serves."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from skillcred.api.app import openapi_for_docs
from tests.conftest import REPO_ROOT

SRC = REPO_ROOT / "src" / "skillcred"
FORBIDDEN_IN_CORE = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "httpx",
    "requests",
    "urllib.request",
    "socket",
    "skillcred.api",
    "skillcred.storage",
    "skillcred.services",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_framework_database_or_network() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sorted((SRC / "core").rglob("*.py"))
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_CORE)
    ]
    assert offenders == []


def test_only_storage_builds_queries() -> None:
    offenders = []
    for folder in ("api", "core", "services"):
        for path in sorted((SRC / folder).rglob("*.py")):
            for name in _imports(path):
                if name == "sqlalchemy" and any(
                    word in path.read_text(encoding="utf-8")
                    for word in ("select(", "update(", "delete(", "insert(")
                ):
                    offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []


def test_openapi_yaml_is_what_the_app_serves() -> None:
    committed = yaml.safe_load((REPO_ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert committed == openapi_for_docs(), (
        "openapi.yaml is stale: regenerate it with `skillcred openapi > openapi.yaml`"
    )


def test_nothing_below_the_api_imports_it() -> None:
    """The composition root (services/runtime.py) is below the HTTP layer: the CLI and the
    services build on it, never on skillcred.api. The CLI names the app only where the
    HTTP API is the subject: to serve it and to print its OpenAPI document."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for folder in ("core", "services", "storage")
        for path in sorted((SRC / folder).rglob("*.py"))
        for name in _imports(path)
        if name == "skillcred.api" or name.startswith("skillcred.api.")
    ]
    offenders += [
        f"cli.py imports {name}"
        for name in _imports(SRC / "cli.py")
        if (name == "skillcred.api" or name.startswith("skillcred.api."))
        and name != "skillcred.api.app"
    ]
    assert offenders == []
