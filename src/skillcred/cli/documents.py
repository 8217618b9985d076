"""Commands on documents, no server or database needed: keygen, sign, verify."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from skillcred.cli.common import (
    EXIT_CANNOT_CHECK,
    EXIT_NOT_VERIFIED,
    EXIT_OK,
    EXIT_USAGE,
    _fail,
    _print_json,
    _read_json,
    _settings,
)
from skillcred.core.datamodel import check_credential, check_presentation
from skillcred.core.issuing import is_presentation
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.keys import Ed25519KeyPair, load_key_file
from skillcred.core.proofs import add_proof
from skillcred.errors import SkillcredError


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
    from skillcred.services.runtime import AppContext

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
    from skillcred.core.passport import report
    from skillcred.core.verifying import parse_checks
    from skillcred.services.runtime import remote_fetcher, schema_checker
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
    data_model = result.find_check("dataModel")
    unusable = ("PARSING_ERROR", "LIMIT_EXCEEDED")
    if data_model is not None and any(p.code in unusable for p in data_model.problems):
        return EXIT_USAGE
    if result.verdict == "cannot-check":
        return EXIT_CANNOT_CHECK
    return EXIT_OK if result.verified else EXIT_NOT_VERIFIED
