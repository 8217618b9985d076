"""The ``skillcred`` command line: a thin shell over the library and the services.

Exit codes: 0 success (or: verified), 1 not verified, 2 unusable input or usage error,
3 cannot check (``verify``: something needed — a context, a cryptosuite, a DID document, a
status list — could not be had, so the document is neither confirmed nor refuted).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from skillcred.core.datamodel import check_credential, check_presentation
from skillcred.core.issuing import is_presentation
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.keys import Ed25519KeyPair, load_key_file
from skillcred.core.proofs import add_proof
from skillcred.errors import SkillcredError

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


def cmd_keygen(args: argparse.Namespace) -> int:
    key = Ed25519KeyPair.generate()
    text = json.dumps(key.to_key_file(), indent=2) + "\n"
    if args.out:
        path = Path(args.out)
        if path.exists():
            _fail(f"{path} exists; refusing to overwrite a key file")
        # Created readable by the owner only: it holds the secret key.
        with open(
            path, "x", encoding="utf-8", opener=lambda p, f: __import__("os").open(p, f, 0o600)
        ) as handle:
            handle.write(text)
        _print_json(
            {
                "id": key.verification_method,
                "controller": key.controller,
                "publicKeyMultibase": key.public.multibase,
                "file": str(path),
            }
        )
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_sign(args: argparse.Namespace) -> int:
    try:
        key = load_key_file(Path(args.key).read_bytes())
    except OSError as exc:
        _fail(f"cannot read the key file {args.key}: {exc.strerror or exc}")
    except SkillcredError as exc:
        _fail(f"{args.key}: {exc.detail}")
    document = _read_json(args.file)
    if not isinstance(document, dict):
        _fail("the document to sign must be a JSON object")
    try:
        if is_presentation(document):
            check_presentation(document)
        else:
            check_credential(document)
        if args.purpose != "authentication" and (args.challenge or args.domain):
            _fail("--challenge and --domain belong to --purpose authentication")
        signed = add_proof(
            document,
            signer=key,
            cryptosuite=args.cryptosuite,
            proof_purpose=args.purpose,
            created=args.created,
            challenge=args.challenge,
            domain=args.domain,
            loader=default_loader(),
        )
    except SkillcredError as exc:
        _fail(exc.detail)
    _print_json(signed)
    return EXIT_OK


def _local_service(settings: Any) -> Any:
    """The service's composition when this machine holds its database, else None."""
    from skillcred.api.context import AppContext

    if settings.is_sqlite and not settings.database_url:
        if not (settings.data_dir / "skillcred.db").exists():
            return None
    elif not settings.database_url:
        return None
    try:
        return AppContext.build(settings, verify_only=True)
    except SkillcredError:
        return None


def _unwrapped(document: Any) -> Any:
    """The credential or presentation itself, out of a VC-API envelope such as the
    ``{"verifiableCredential": …}`` that ``POST /credentials/issue`` answers."""
    if isinstance(document, dict) and "@context" not in document:
        for key in ("verifiableCredential", "verifiablePresentation"):
            if isinstance(document.get(key), dict):
                return document[key]
    return document


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify without a server: DIDs, status lists and allowed schemas are fetched with
    the same guards as the service (``--offline``: nothing is fetched, and what could not
    be checked — a status, a did:web document — makes the verdict *cannot check*)."""
    from skillcred.api.context import remote_fetcher, schema_checker
    from skillcred.core.passport import report
    from skillcred.core.verifying import parse_checks
    from skillcred.services.trust import TrustDirectory, load_trust_list
    from skillcred.services.verification import BudgetedVerifier, build_verifier

    document = _unwrapped(_read_json(args.file))
    if not isinstance(document, dict):
        _fail("the document to verify must be a JSON object")
    try:
        checks = parse_checks(args.check)
    except SkillcredError as exc:
        _fail(exc.detail)
    settings = _settings()
    trust_file = Path(args.trust_list) if args.trust_list else settings.trust_list_file
    try:
        trust_list = load_trust_list(trust_file) if trust_file is not None else None
    except SkillcredError as exc:
        _fail(exc.detail)
    fetcher = None if args.offline else remote_fetcher(settings)
    # On the issuing service's own machine its lists, DIDs and providers are read from its
    # database (no network needed); anywhere else everything comes over HTTPS.
    local = _local_service(settings)
    verifier = build_verifier(
        loader=local.loader if local is not None else default_loader(),
        status=local.status if local is not None else None,
        fetcher=fetcher,
        local_did=local.local_did_document if local is not None else None,
        trust=TrustDirectory(local.database if local is not None else None, trust_list),
        schemas=schema_checker(settings, fetcher),
        status_ttl_seconds=settings.status_list_ttl_seconds,
    )
    budgeted = BudgetedVerifier(
        verifier, settings.remote_deadline_seconds, settings.remote_max_fetches
    )
    if is_presentation(document):
        result = budgeted.verify_presentation(
            document,
            challenge=args.challenge,
            domain=args.domain,
            unsigned_allowed=args.allow_unsigned_presentation,
            checks=checks,
        )
    else:
        result = budgeted.verify_credential(document, checks=checks)
    output = report(document, result)
    output["offline"] = bool(args.offline)
    _print_json(output)
    data_model = result.check("dataModel")
    unusable = ("PARSING_ERROR", "LIMIT_EXCEEDED")
    if data_model is not None and any(p.code in unusable for p in data_model.problems):
        return EXIT_USAGE
    if result.verdict == "cannot-check":
        return EXIT_CANNOT_CHECK
    return EXIT_OK if result.verified else EXIT_NOT_VERIFIED


def _settings() -> Any:
    from skillcred.settings import ConfigurationError, load_settings

    try:
        return load_settings()
    except ConfigurationError as exc:
        _fail(exc.detail)


def cmd_serve(args: argparse.Namespace) -> int:
    import os
    import shutil

    import uvicorn

    from skillcred.logs import configure as configure_logging
    from skillcred.logs import logging_config
    from skillcred.services.bootstrap import prepare
    from skillcred.storage.db import open_database

    if (args.tls_cert is None) != (args.tls_key is None):
        _fail("--tls-cert and --tls-key go together")
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker counts into this folder; /metrics adds them up (emptied at start:
        # counters begin at zero with the service).
        metrics_dir = settings.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    database = open_database(settings.effective_database_url)
    try:
        prepare(settings, database)
    except SkillcredError as exc:
        _fail(exc.detail)
    finally:
        database.dispose()
    uvicorn.run(
        "skillcred.api.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_level=settings.log_level.lower(),
        log_config=logging_config(
            settings.log_level, settings.log_format, uvicorn_access=args.access_log
        ),
        # One line per request comes from the service itself, with its request id.
        access_log=args.access_log,
        server_header=False,
    )
    return EXIT_OK


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


def _provider_command(args: argparse.Namespace) -> int:
    from skillcred.services.keystore import key_stores
    from skillcred.services.providers import ProviderService, provider_json

    settings = _settings()
    try:
        with _migrated_database(settings) as database, database.writing() as session:
            service = ProviderService(
                session, keystore=key_stores(settings), base_url=settings.base_url
            )
            if args.providers_command == "create":
                registered = service.create(
                    slug=args.slug, name=args.name, did_method=args.did_method
                )
                _print_json(provider_json(registered, service))
            elif args.providers_command == "list":
                _print_json([service.summary(p) for p in service.providers.all()])
            elif args.providers_command == "rotate-key":
                provider = service.by_slug(args.slug)
                service.rotate_key(provider, actor="operator:cli", reason=args.reason)
                _print_json(service.summary(provider))
    except SkillcredError as exc:
        _fail(exc.detail)
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Recompute the audit chain; exit 0 when intact, 1 when any record was altered."""
    from skillcred.services.audit import verify_stored_chain

    with _migrated_database(_settings()) as database, database.reading() as session:
        report = verify_stored_chain(session)
    _print_json(
        {
            "intact": report.ok,
            "events": report.events,
            "firstBrokenSeq": report.first_bad_seq,
            "problem": report.problem,
        }
    )
    return EXIT_OK if report.ok else EXIT_NOT_VERIFIED


def _context() -> Any:
    """The service's composition (database, keys, status lists) for commands that issue."""
    from skillcred.api.context import AppContext
    from skillcred.storage.migrate import upgrade

    settings = _settings()
    context = AppContext.build(settings)
    upgrade(context.database.write_engine)
    return context


def _provider(context: Any, slug: str) -> Any:
    from skillcred.storage.repositories import Providers

    with context.database.reading() as session:
        provider = Providers(session).by_slug(slug)
    if provider is None:
        _fail(f"there is no provider {slug!r} (skillcred providers list)")
    return provider


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
            with context.database.writing() as session:
                _print_json(context.skills.register(session, provider, definition))
        else:
            with context.database.reading() as session:
                _print_json(context.skills.definitions(session, provider))
    except SkillcredError as exc:
        _fail(exc.detail)
    finally:
        context.database.dispose()
    return EXIT_OK


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="skillcred", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    keygen = commands.add_parser("keygen", help="make a new Ed25519 key file (did:key)")
    keygen.add_argument("--out", help="write the key file here (mode 0600) instead of stdout")
    keygen.set_defaults(handler=cmd_keygen)

    sign = commands.add_parser("sign", help="sign a credential or presentation (no server needed)")
    sign.add_argument(
        "--key", required=True, help="key file (keygen's, or the W3C vectors' keyPair.json)"
    )
    sign.add_argument(
        "--cryptosuite", choices=("eddsa-rdfc-2022", "eddsa-jcs-2022"), default="eddsa-rdfc-2022"
    )
    sign.add_argument("--created", help="the proof's created dateTimeStamp (default: now)")
    sign.add_argument(
        "--purpose", choices=("assertionMethod", "authentication"), default="assertionMethod"
    )
    sign.add_argument("--challenge")
    sign.add_argument("--domain")
    sign.add_argument("file", help="the JSON document, or - for stdin")
    sign.set_defaults(handler=cmd_sign)

    verify = commands.add_parser(
        "verify",
        help="verify a credential or presentation",
        description="Verify a credential or presentation; print the result as JSON. Exit 0 "
        "verified, 1 not verified, 2 unusable input, 3 cannot check (something needed "
        "could not be had: the answer's notChecked says what).",
    )
    verify.add_argument("--challenge")
    verify.add_argument("--domain")
    verify.add_argument(
        "--offline",
        action="store_true",
        help="no network lookups; status checks are then reported as not performed",
    )
    verify.add_argument(
        "--trust-list",
        help="JSON file of trusted issuer DIDs and names (SKILLCRED_TRUST_LIST_FILE)",
    )
    verify.add_argument(
        "--check",
        action="append",
        metavar="NAME",
        help="check only this (repeatable): proof, validityPeriod, status, credentialSchema; "
        "a check left out keeps the verdict from valid",
    )
    verify.add_argument(
        "--allow-unsigned-presentation",
        action="store_true",
        help="accept a presentation without a holder proof (reported as unbound)",
    )
    verify.add_argument("file", help="the JSON document, or - for stdin")
    verify.set_defaults(handler=cmd_verify)

    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", help="the certificate's private key (PEM)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(handler=cmd_serve)

    audit = commands.add_parser("audit", help="the audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    audit_verify = audit_commands.add_parser("verify", help="check the hash chain of the trail")
    audit_verify.set_defaults(handler=cmd_audit_verify)

    migrate = commands.add_parser("migrate", help="bring the database to the newest schema")
    migrate.set_defaults(handler=cmd_migrate)

    skills = commands.add_parser("skills", help="a provider's skill definitions")
    skill_commands = skills.add_subparsers(
        dest="skills_command", required=True, parser_class=_Parser
    )
    skills_add = skill_commands.add_parser("add", help="register a skill definition (JSON file)")
    skills_add.add_argument("--provider", required=True, help="the provider's slug")
    skills_add.add_argument("file", help="the definition, or - for stdin")
    skills_list = skill_commands.add_parser("list", help="list a provider's skills")
    skills_list.add_argument("--provider", required=True)
    skills.set_defaults(handler=cmd_skills)

    issue_batch = commands.add_parser(
        "issue-batch", help="issue one skill credential per row of a results CSV"
    )
    issue_batch.add_argument("--provider", required=True, help="the provider's slug")
    issue_batch.add_argument(
        "--out", help="write each credential to this folder (one JSON file each)"
    )
    issue_batch.add_argument("--quiet", action="store_true", help="no progress bar")
    issue_batch.add_argument("file", help="the results CSV")
    issue_batch.set_defaults(handler=cmd_issue_batch)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document (YAML)")
    openapi.set_defaults(handler=cmd_openapi)

    providers = commands.add_parser("providers", help="register and manage training providers")
    provider_commands = providers.add_subparsers(
        dest="providers_command", required=True, parser_class=_Parser
    )
    create = provider_commands.add_parser(
        "create", help="register a provider; prints its API key once"
    )
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--did-method", choices=("key", "web"), default="key")
    provider_commands.add_parser("list", help="list providers")
    rotate = provider_commands.add_parser("rotate-key", help="give a provider a new signing key")
    rotate.add_argument("--slug", required=True)
    rotate.add_argument("--reason", help="why (kept in the audit trail)")
    providers.set_defaults(handler=_provider_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
