"""Commands for a provider's daily work: skills, offers, batch issuance; migrate, openapi."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from skillcred.cli.common import (
    EXIT_NOT_VERIFIED,
    EXIT_OK,
    _context,
    _fail,
    _migrated_database,
    _print_json,
    _provider,
    _read_json,
    _settings,
)
from skillcred.errors import SkillcredError


def cmd_skills(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from skillcred.services.batch import describe
    from skillcred.services.skills import SkillDefinitionIn

    context = _context()
    try:
        provider = _provider(context, args.provider)
        if args.skills_command == "add":
            try:
                definition = SkillDefinitionIn.model_validate(_read_json(args.file))
            except ValidationError as exc:
                _fail(f"{args.file}: {describe(exc)}")
            _print_json(context.skills.register(provider, definition))
        else:
            _print_json(context.skills.definitions(provider))
    except SkillcredError as exc:
        _fail(exc.detail)
    finally:
        context.database.dispose()
    return EXIT_OK


def cmd_offers(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from skillcred.services.batch import describe
    from skillcred.services.skills import SkillCredentialRequest

    context = _context()
    try:
        provider = _provider(context, args.provider)
        actor = f"operator:cli:{provider.slug}"
        if args.offers_command == "create":
            try:
                request = SkillCredentialRequest.model_validate(_read_json(args.file))
            except ValidationError as exc:
                _fail(f"{args.file}: {describe(exc)}")
            created = context.offers.create(
                provider, request, actor=actor, expires_in=args.expires_in
            )
            _print_json(created.to_json())
        elif args.offers_command == "list":
            _print_json(context.offers.listing(provider))
        else:
            _print_json(context.offers.withdraw(provider, args.id, actor=actor))
    except SkillcredError as exc:
        _fail(exc.detail)
    finally:
        context.database.dispose()
    return EXIT_OK


def _offer_batch(args: argparse.Namespace, rows: list[Any]) -> int:
    """issue-batch --offers: one offer per row, then offers.csv and sheet.html."""
    from skillcred.services import offer_batch

    if not args.out:
        _fail("--offers needs --out FOLDER (for offers.csv and sheet.html)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    context = _context()
    provider = _provider(context, args.provider)
    progress = _Progress(len(rows), enabled=sys.stderr.isatty() and not args.quiet)

    def on_result(result: offer_batch.OfferRow) -> None:
        if result.error is not None:
            progress.note(f"{args.file}:{result.line}: {result.error}")
        progress.advance()

    try:
        results = offer_batch.create_offers(
            context.offers,
            provider,
            rows,
            actor=f"operator:cli:{provider.slug}",
            expires_in=args.expires_in,
            on_result=on_result,
        )
    finally:
        context.writer.close()
        context.database.dispose()
    progress.done()
    csv_path, sheet_path = out / "offers.csv", out / "sheet.html"
    # The codes are secrets until handed out: files readable by their owner only.
    for path, content in (
        (csv_path, offer_batch.offers_csv(results)),
        (sheet_path, offer_batch.offers_sheet(provider.name, results)),
    ):
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    failed = [r for r in results if r.error is not None]
    _print_json(
        {
            "rows": len(results),
            "offered": len(results) - len(failed),
            "failed": len(failed),
            "failures": [{"line": r.line, "error": r.error} for r in failed],
            "csv": str(csv_path),
            "sheet": str(sheet_path),
        }
    )
    return EXIT_OK if not failed else EXIT_NOT_VERIFIED


def cmd_issue_batch(args: argparse.Namespace) -> int:
    """Issue one skill credential per CSV row; a bad row is reported by its line number."""
    import time

    from skillcred.services import batch

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {args.file}: {exc}")
    try:
        rows = list(batch.csv_rows(text))
    except SkillcredError as exc:
        _fail(f"{args.file}: {exc.detail}")
    if args.offers:
        return _offer_batch(args, rows)
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    context = _context()
    provider = _provider(context, args.provider)
    progress = _Progress(len(rows), enabled=sys.stderr.isatty() and not args.quiet)
    issuer = context.skill_issuer(provider, actor=f"operator:cli:{provider.slug}")

    def on_result(result: batch.RowResult) -> None:
        if out is not None and result.document is not None:
            safe_id = (result.credential_id or "credential").rsplit(":", 1)[-1]
            (out / f"line-{result.line:06d}-{safe_id}.json").write_bytes(result.document)
        if result.outcome == "failed":
            progress.note(f"{args.file}:{result.line}: {result.error}")
        progress.advance()

    started = time.perf_counter()
    try:
        summary = issuer.run_batch(rows, on_result)
    finally:
        context.writer.close()
        context.database.dispose()
    elapsed = time.perf_counter() - started
    progress.done()
    report = {
        **summary.to_json(),
        "seconds": round(elapsed, 2),
        "rowsPerSecond": round(summary.rows / elapsed, 1) if elapsed > 0 else None,
        "failures": [{"line": f.line, "error": f.error} for f in summary.failures],
    }
    if out is not None:
        report["folder"] = str(out)
    _print_json(report)
    return EXIT_OK if summary.failed == 0 else EXIT_NOT_VERIFIED


class _Progress:
    """A one-line progress bar on a terminal (stderr); silent otherwise."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        import time

        self.total = max(total, 1)
        self.count = 0
        self.enabled = enabled
        self.started = time.perf_counter()
        self._last = 0.0

    def advance(self) -> None:
        import time

        self.count += 1
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or self.count == self.total):
            self._last = now
            width = 30
            filled = int(width * self.count / self.total)
            rate = self.count / max(now - self.started, 1e-9)
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total} rows"
                f"  {rate:,.0f}/s"
            )
            sys.stderr.flush()

    def note(self, message: str) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
        sys.stderr.write(message + "\n")

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    with _migrated_database(settings):
        pass
    print(f"skillcred: {settings.effective_database_url.split('@')[-1]} is at the newest schema")
    return EXIT_OK


def cmd_openapi(args: argparse.Namespace) -> int:
    """Print the OpenAPI document the app serves, as YAML (openapi.yaml is this output)."""
    import yaml

    from skillcred.api.app import openapi_for_docs

    sys.stdout.write(yaml.safe_dump(openapi_for_docs(), sort_keys=False, allow_unicode=True))
    return EXIT_OK
