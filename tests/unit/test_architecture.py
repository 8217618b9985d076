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
    for folder in ("api", "cli", "core", "services"):
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


def test_the_shells_open_no_transactions() -> None:
    """docs/architecture.md, "The transaction rule": the services open transactions; the
    HTTP routers and the CLI call them and never hold a database session themselves."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)}: {pattern}"
        for folder in ("api", "cli")
        for path in sorted((SRC / folder).rglob("*.py"))
        for pattern in (".writing()", ".reading()", "Session", "write_sessions", "read_sessions")
        if pattern in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


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
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sorted((SRC / "cli").rglob("*.py"))
        for name in _imports(path)
        if (name == "skillcred.api" or name.startswith("skillcred.api."))
        and name != "skillcred.api.app"
    ]
    assert offenders == []


# -- no import cycles, no oversized modules --------------------------------------------------------

#: A module longer than this does more than one job (issue 10); split it.
MAX_MODULE_LINES = 1000

#: Cycles that other work must still break (issue 10), each as the set of modules in it. The
#: test fails when one is broken as well as when a new one appears, so this list only shrinks.
KNOWN_CYCLES: list[frozenset[str]] = []


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of src/skillcred by dotted name, and whether it is a package."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_package)
    return modules


def _imported_modules(name: str, modules: dict[str, tuple[Path, bool]]) -> set[str]:
    """The skillcred modules ``name`` imports, anywhere in it: an import moved into a function
    hides a cycle from the interpreter but does not break it. Imports under
    ``if TYPE_CHECKING:`` are left out (they never run)."""
    path, is_package = modules[name]
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(frozenset(component))
    return components


def test_cycle_search_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _imported_modules(name, modules) for name in modules}
    assert "skillcred.core.keys" in graph["skillcred.core.dids.key"]  # the search sees imports
    cycles = _cycles(graph)
    new = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    broken = [sorted(c) for c in KNOWN_CYCLES if c not in cycles]
    assert new == [], "import cycles: break them (moving an import into a function hides one)"
    assert broken == [], "a known cycle is gone: remove it from KNOWN_CYCLES"


def test_no_module_over_a_thousand_lines() -> None:
    long = {
        str(path.relative_to(REPO_ROOT)): count
        for path in sorted(SRC.rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these modules (at most {MAX_MODULE_LINES} lines each)"


def test_pyld_is_only_the_tests_oracle() -> None:
    """pyld (and the c14n package its wheel ships) is a development dependency: the JSON-LD
    comparison oracle in tests/support, never imported by the service."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sorted(SRC.rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in ("pyld", "c14n")
    ]
    assert offenders == []
