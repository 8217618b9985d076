"""Shared by the command modules: exit codes, JSON in and out, settings, the database."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK = 0


EXIT_NOT_VERIFIED = 1


EXIT_USAGE = 2


EXIT_CANNOT_CHECK = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _fail(message: str) -> NoReturn:
    print(f"skillcred: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _read_json(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        _fail(f"{source} is not UTF-8 text")
    try:
        return json.loads(text)
    except ValueError as exc:
        _fail(f"{source} is not JSON: {exc}")
    except RecursionError:
        _fail(f"{source} is nested too deeply to be a credential or presentation")


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _settings() -> Any:
    from skillcred.errors import ConfigurationError
    from skillcred.settings import load_settings

    try:
        return load_settings()
    except ConfigurationError as exc:
        _fail(exc.detail)


@contextmanager
def _migrated_database(settings: Any) -> Iterator[Any]:
    """The configured database, brought to the newest schema; disposed afterwards."""
    from skillcred.storage.db import open_database
    from skillcred.storage.migrate import upgrade

    database = open_database(settings.effective_database_url)
    try:
        upgrade(database.write_engine)
        yield database
    finally:
        database.dispose()


def _context() -> Any:
    """The service's composition (database, keys, status lists) for commands that issue."""
    from skillcred.services.runtime import AppContext
    from skillcred.storage.migrate import upgrade

    settings = _settings()
    context = AppContext.build(settings)
    upgrade(context.database.write_engine)
    return context


def _provider(context: Any, slug: str) -> Any:
    with context.provider_work(write=False) as service:
        provider = service.providers.by_slug(slug)
    if provider is None:
        _fail(f"there is no provider {slug!r} (skillcred providers list)")
    return provider
