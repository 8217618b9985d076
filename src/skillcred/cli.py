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
    from datetime import timedelta

    from skillcred.services.keystore import key_stores
    from skillcred.services.providers import ProviderService, provider_json

    settings = _settings()
    out = _exclusive_file(args.out) if getattr(args, "out", None) else None
    written = False
    try:
        with _migrated_database(settings) as database, database.writing() as session:
            service = ProviderService(
                session, keystore=key_stores(settings), base_url=settings.base_url
            )
            command = args.providers_command
            if command == "create":
                registered = service.create(
                    slug=args.slug,
                    name=args.name,
                    did_method=args.did_method,
                    key_store=args.key_store,
                    actor="operator:cli",
                )
                answer: Any = provider_json(registered, service)
            elif command == "list":
                answer = [service.summary(p) for p in service.providers.all()]
            elif command == "rotate-key":
                provider = service.by_slug(args.slug)
                service.rotate_key(provider, actor="operator:cli", reason=args.reason)
                answer = service.summary(provider)
            elif command == "suspend":
                provider = service.by_slug(args.slug)
                service.suspend(provider, actor="operator:cli", reason=args.reason)
                answer = service.summary(provider)
            elif command == "reinstate":
                provider = service.by_slug(args.slug)
                service.reinstate(provider, actor="operator:cli", reason=args.reason)
                answer = service.summary(provider)
            else:  # api-keys
                answer = _api_keys(service, args, timedelta)
            if out is not None:
                # Written before the transaction commits: a key that could not be kept is
                # never made.
                _write_secret(out, answer)
                written = True
                answer = _without_secret(answer, out)
            _print_json(answer)
    except SkillcredError as exc:
        _fail(exc.detail)
    finally:
        if out is not None and not written:
            import os

            os.close(out[1])
            out[0].unlink(missing_ok=True)
    return EXIT_OK


def _api_keys(service: Any, args: argparse.Namespace, timedelta: Any) -> Any:
    from skillcred.core.datetimes import utc_now
    from skillcred.services.providers import api_key_json

    provider = service.by_slug(args.provider)
    command = args.api_keys_command
    if command == "list":
        return service.api_keys(provider)
    if command == "revoke":
        return api_key_json(
            service.revoke_api_key(provider, args.id, actor="operator:cli", reason=args.reason),
            utc_now(),
        )
    expires = _date_time(args.expires, "--expires") if args.expires else None
    if command == "create":
        created = service.create_api_key(
            provider, name=args.name, expires=expires, actor="operator:cli"
        )
        return {
            "id": created.row.id,
            "name": created.row.name,
            "apiKey": created.api_key,
            "expires": api_key_json(created.row, utc_now())["expires"],
        }
    created, old = service.rotate_api_key(
        provider,
        args.id,
        grace=timedelta(seconds=args.grace),
        name=args.name,
        expires=expires,
        actor="operator:cli",
    )
    now = utc_now()
    return {
        "id": created.row.id,
        "name": created.row.name,
        "apiKey": created.api_key,
        "expires": api_key_json(created.row, now)["expires"],
        "replaces": api_key_json(old, now),
    }


def _date_time(text: str, option: str) -> Any:
    from skillcred.core.datetimes import parse_date_time

    try:
        return parse_date_time(text, require_zone=True)
    except (ValueError, SkillcredError) as exc:
        _fail(
            f"{option} must be a date-time with a time zone, such as 2027-01-31T00:00:00Z ({exc})"
        )


def _exclusive_file(path: str) -> tuple[Path, int]:
    """A new file, readable by its owner alone; refused if anything is there already (a
    once-shown API key must never overwrite, or be overwritten by, another)."""
    import os

    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _fail(f"{path} exists already; choose a new file (nothing was created)")
    except OSError as exc:
        _fail(f"cannot create {path}: {exc.strerror or exc}")
    return target, fd


def _write_secret(out: tuple[Path, int], answer: Any) -> None:
    import os

    with os.fdopen(out[1], "w", encoding="utf-8") as handle:
        handle.write(json.dumps(answer, indent=2, ensure_ascii=False) + "\n")


def _without_secret(answer: Any, out: tuple[Path, int]) -> Any:
    """What is printed when the key went to a file: everything but the key."""
    if isinstance(answer, dict) and "apiKey" in answer:
        return {**{k: v for k, v in answer.items() if k != "apiKey"}, "apiKeyFile": str(out[0])}
    return answer


def cmd_keys(args: argparse.Namespace) -> int:
    """Signing keys: rewrap under the newest master key, check every key, report one
    compromised."""
    from skillcred.services.keystore import key_stores

    settings = _settings()
    try:
        stores = key_stores(settings)
        with _migrated_database(settings) as database:
            if args.keys_command == "rewrap":
                from skillcred.services.rewrap import RewrapProgress, rewrap

                def progress(step: RewrapProgress) -> None:
                    sys.stdout.write(
                        json.dumps({"masterKeyId": step.master_key_id, "rewrapped": step.rewrapped})
                        + "\n"
                    )
                    sys.stdout.flush()

                count = rewrap(
                    database,
                    stores.database,
                    batch_size=args.batch_size,
                    pause_seconds=args.pause,
                    progress=progress,
                )
                _print_json(
                    {
                        "masterKeyId": stores.database.current_key_id,
                        "rewrapped": count,
                        "done": True,
                    }
                )
                return EXIT_OK
            if args.keys_command == "check":
                from skillcred.services.rewrap import check

                report = check(database, stores)
                _print_json(report.to_json())
                return EXIT_OK if report.ok else EXIT_NOT_VERIFIED
            return _compromise(settings, args)
    except SkillcredError as exc:
        _fail(exc.detail)


def _compromise(settings: Any, args: argparse.Namespace) -> int:
    from skillcred.services.compromise import report_compromise

    since = _date_time(args.since, "--since") if args.since else None
    context = _context()
    try:
        with context.database.writing() as session:
            service = context.providers(session)
            report = report_compromise(
                session,
                service,
                context.status,
                service.by_slug(args.provider),
                args.key_id,
                since=since,
                actor="operator:cli",
                reason=args.reason,
            )
            answer = report.to_json()
    finally:
        context.writer.close()
        context.database.dispose()
    _print_json(answer)
    return EXIT_OK


def cmd_credentials(args: argparse.Namespace) -> int:
    """Revoke, suspend or reinstate a credential: in the local database, or through a
    running service with the provider's API key."""
    purpose, status = {
        "revoke": ("revocation", True),
        "suspend": ("suspension", True),
        "reinstate": ("suspension", False),
    }[args.credentials_command]
    if args.server:
        return _credential_status_remote(args, purpose, status)
    import asyncio

    context = _context()
    try:
        provider = _owner(context, args.id, args.provider)
        result = asyncio.run(
            context.status.change_async(
                provider,
                args.id,
                purpose,
                status,
                reason=args.reason,
                actor=f"operator:cli:{provider.slug}",
            )
        )
    except SkillcredError as exc:
        _fail(exc.detail)
    finally:
        context.writer.close()
        context.database.dispose()
    _print_json(result.to_json())
    return EXIT_OK


def _owner(context: Any, credential_id: str, slug: str | None) -> Any:
    """The provider that issued the credential (``--provider`` when several could have)."""
    from sqlalchemy import select

    from skillcred.storage.models import IssuedCredential, Provider

    if slug is not None:
        return _provider(context, slug)
    with context.database.reading() as session:
        owners = session.scalars(
            select(Provider)
            .join(IssuedCredential, IssuedCredential.provider_id == Provider.id)
            .where(IssuedCredential.credential_id == credential_id)
        ).all()
    if not owners:
        _fail(f"no provider here has issued a credential with the id {credential_id!r}")
    if len(owners) > 1:
        _fail(f"several providers issued {credential_id!r}; name one with --provider")
    return owners[0]


def _credential_status_remote(args: argparse.Namespace, purpose: str, status: bool) -> int:
    import os

    import httpx

    api_key = os.environ.get("SKILLCRED_API_KEY")
    if args.api_key_file:
        data = _read_json(args.api_key_file)
        api_key = data.get("apiKey") if isinstance(data, dict) else None
        if not isinstance(api_key, str):
            _fail(f"{args.api_key_file} has no apiKey (the file 'providers create --out' wrote)")
    if not api_key:
        _fail("--server needs the provider's API key: --api-key-file FILE or SKILLCRED_API_KEY")
    body: dict[str, Any] = {
        "credentialId": args.id,
        "credentialStatus": {"type": "BitstringStatusList", "statusPurpose": purpose},
        "status": status,
    }
    if args.reason:
        body["reason"] = args.reason
    try:
        response = httpx.post(
            args.server.rstrip("/") + "/credentials/status",
            json=body,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        _fail(f"cannot reach {args.server}: {exc}")
    try:
        answer = response.json()
    except ValueError:
        _fail(f"{args.server} answered {response.status_code} without JSON")
    if response.status_code != 200:
        _fail(f"{args.server} refused ({response.status_code}): {answer.get('detail', answer)}")
    _print_json(answer)
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
    create.add_argument(
        "--key-store",
        choices=("database", "pkcs11"),
        default="database",
        help="where its signing keys live (pkcs11: the token SKILLCRED_PKCS11_* names)",
    )
    create.add_argument(
        "--out",
        metavar="FILE",
        help="write the answer, with the once-shown API key, to this new file (owner-only; "
        "an existing file is never overwritten)",
    )
    provider_commands.add_parser("list", help="list providers")
    rotate = provider_commands.add_parser("rotate-key", help="give a provider a new signing key")
    rotate.add_argument("--slug", required=True)
    rotate.add_argument("--reason", help="why (kept in the audit trail)")
    for name, text in (
        ("suspend", "no issuance, no status changes (its credentials keep verifying)"),
        ("reinstate", "lift a provider's suspension"),
    ):
        sub = provider_commands.add_parser(name, help=text)
        sub.add_argument("--slug", required=True)
        sub.add_argument("--reason", help="why (kept in the audit trail)")
    providers.set_defaults(handler=_provider_command)

    api_keys = commands.add_parser("api-keys", help="a provider's API keys")
    api_key_commands = api_keys.add_subparsers(
        dest="api_keys_command", required=True, parser_class=_Parser
    )
    key_create = api_key_commands.add_parser("create", help="another API key (shown once)")
    key_list = api_key_commands.add_parser("list", help="list the keys (never the keys' values)")
    key_revoke = api_key_commands.add_parser("revoke", help="refuse a key from now on")
    key_rotate = api_key_commands.add_parser(
        "rotate", help="a new key; the old one works for --grace seconds more"
    )
    for sub in (key_create, key_list, key_revoke, key_rotate):
        sub.add_argument("--provider", required=True, help="the provider's slug")
    for sub in (key_revoke, key_rotate):
        sub.add_argument("id", help="the key's id (api-keys list)")
    for sub in (key_create, key_rotate):
        sub.add_argument("--name")
        sub.add_argument("--expires", help="when it stops working (e.g. 2027-01-31T00:00:00Z)")
        sub.add_argument("--out", metavar="FILE", help="write the new key to this new file")
    key_revoke.add_argument("--reason", help="why (kept in the audit trail)")
    key_rotate.add_argument("--grace", type=int, required=True, metavar="SECONDS")
    api_keys.set_defaults(handler=_provider_command, providers_command="api-keys")

    keys = commands.add_parser("keys", help="signing keys: master key rotation, compromise")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    rewrap = key_commands.add_parser(
        "rewrap",
        help="re-seal every signing key under the newest master key (resumable)",
    )
    rewrap.add_argument("--batch-size", type=int, default=100, help="keys per transaction")
    rewrap.add_argument(
        "--pause", type=float, default=0.0, metavar="SECONDS", help="wait between batches"
    )
    key_commands.add_parser("check", help="open every signing key and sign with it")
    compromise = key_commands.add_parser(
        "compromise", help="report a signing key compromised: revoke what it signed"
    )
    compromise.add_argument("--provider", required=True, help="the provider's slug")
    compromise.add_argument("key_id", help="the verification method's fragment (z6Mk…)")
    compromise.add_argument("--since", help="revoke what it signed from then on (default: all)")
    compromise.add_argument("--reason", help="why (kept in the audit trail)")
    keys.set_defaults(handler=cmd_keys)

    credentials = commands.add_parser(
        "credentials", help="revoke, suspend or reinstate a credential"
    )
    credential_commands = credentials.add_subparsers(
        dest="credentials_command", required=True, parser_class=_Parser
    )
    for name, text in (
        ("revoke", "revoke a credential (final)"),
        ("suspend", "suspend a credential"),
        ("reinstate", "lift a credential's suspension"),
    ):
        sub = credential_commands.add_parser(name, help=text)
        sub.add_argument("id", help="the credential's id (urn:uuid:…)")
        sub.add_argument("--reason", help="why (a suspension's reason is shown to verifiers)")
        sub.add_argument(
            "--provider", help="the issuing provider's slug (local database; default: found)"
        )
        sub.add_argument(
            "--server", metavar="URL", help="change it through this running service instead"
        )
        sub.add_argument(
            "--api-key-file",
            metavar="FILE",
            help="with --server: the provider's file (providers create --out); "
            "or set SKILLCRED_API_KEY",
        )
    credentials.set_defaults(handler=cmd_credentials)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
