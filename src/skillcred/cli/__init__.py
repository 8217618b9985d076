"""The ``skillcred`` command line: a thin shell over the library and the services.

Exit codes: 0 success (or: verified), 1 not verified, 2 unusable input or usage error,
3 cannot check (``verify``: something needed — a context, a cryptosuite, a DID document, a
status list — could not be had, so the document is neither confirmed nor refuted).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from skillcred.cli.common import _Parser
from skillcred.cli.documents import (
    cmd_keygen,
    cmd_sign,
    cmd_verify,
)
from skillcred.cli.operators import (
    cmd_audit_verify,
    cmd_credentials,
    cmd_keys,
    cmd_providers,
    cmd_serve,
)
from skillcred.cli.provider_work import (
    cmd_issue_batch,
    cmd_migrate,
    cmd_offers,
    cmd_openapi,
    cmd_skills,
)


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
    issue_batch.add_argument(
        "--offers",
        action="store_true",
        help="offer each row into the worker's wallet instead of issuing now: writes "
        "offers.csv (links and transaction codes) and sheet.html (A4, one QR per worker) "
        "to --out",
    )
    issue_batch.add_argument(
        "--expires-in", type=int, help="offers: seconds until they expire (default 14 days)"
    )
    issue_batch.add_argument("file", help="the results CSV")
    issue_batch.set_defaults(handler=cmd_issue_batch)

    offers = commands.add_parser("offers", help="offers of skill credentials into wallets")
    offer_commands = offers.add_subparsers(
        dest="offers_command", required=True, parser_class=_Parser
    )
    offer_create = offer_commands.add_parser(
        "create", help="offer one skill (a skill-shaped request without holder.id)"
    )
    offer_create.add_argument("--provider", required=True, help="the provider's slug")
    offer_create.add_argument("--expires-in", type=int, help="seconds (default 14 days)")
    offer_create.add_argument("file", help="the request (JSON), or - for stdin")
    offer_list = offer_commands.add_parser("list", help="a provider's offers and their states")
    offer_list.add_argument("--provider", required=True)
    offer_withdraw = offer_commands.add_parser(
        "withdraw", help="withdraw an offer (its personal data is deleted)"
    )
    offer_withdraw.add_argument("--provider", required=True)
    offer_withdraw.add_argument("id", help="the offer's id")
    offers.set_defaults(handler=cmd_offers)

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
    providers.set_defaults(handler=cmd_providers)

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
    api_keys.set_defaults(handler=cmd_providers, providers_command="api-keys")

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
