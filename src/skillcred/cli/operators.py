"""Commands for operators and providers' staff: serve, providers, API keys, signing keys,
credential status changes, the audit check."""

from __future__ import annotations

import argparse
import json
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


def cmd_serve(args: argparse.Namespace) -> int:
    import os
    import shutil

    import uvicorn

    from skillcred.logs import configure as configure_logging
    from skillcred.logs import logging_config
    from skillcred.services.bootstrap import prepare_database
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
        prepare_database(settings, database)
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


def cmd_providers(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from skillcred.services.keystore import key_stores
    from skillcred.services.providers import provider_json, provider_work

    settings = _settings()
    out = _exclusive_file(args.out) if getattr(args, "out", None) else None
    written = False
    try:
        with (
            _migrated_database(settings) as database,
            provider_work(
                database, keystore=key_stores(settings), base_url=settings.base_url
            ) as service,
        ):
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
        with context.provider_work() as service:
            report = report_compromise(
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
    if slug is not None:
        return _provider(context, slug)
    with context.provider_work(write=False) as service:
        owners = service.providers.issuers_of(credential_id)
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

    with _migrated_database(_settings()) as database:
        report = verify_stored_chain(database)
    _print_json(
        {
            "intact": report.ok,
            "events": report.events,
            "firstBrokenSeq": report.first_bad_seq,
            "problem": report.problem,
        }
    )
    return EXIT_OK if report.ok else EXIT_NOT_VERIFIED
