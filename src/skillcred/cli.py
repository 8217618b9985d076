"""The ``skillcred`` command line: a thin shell over the library and the services.

Exit codes: 0 success (or: verified), 1 not verified, 2 unusable input or usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from skillcred.core.datamodel import check_credential, check_presentation
from skillcred.core.issuing import is_presentation
from skillcred.core.jsonld.loader import default_loader
from skillcred.core.keys import Ed25519KeyPair, load_key_file
from skillcred.core.proofs import add_proof
from skillcred.core.verifying import Verifier
from skillcred.errors import SkillcredError

EXIT_OK = 0
EXIT_NOT_VERIFIED = 1
EXIT_USAGE = 2


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


def cmd_verify(args: argparse.Namespace) -> int:
    document = _read_json(args.file)
    if not isinstance(document, dict):
        _fail("the document to verify must be a JSON object")
    verifier = Verifier()
    if is_presentation(document):
        result = verifier.verify_presentation(
            document,
            challenge=args.challenge,
            domain=args.domain,
            unsigned_allowed=args.allow_unsigned_presentation,
        )
    else:
        result = verifier.verify_credential(document)
    _print_json(result.to_json())
    return EXIT_OK if result.verified else EXIT_NOT_VERIFIED


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

    verify = commands.add_parser("verify", help="verify a credential or presentation")
    verify.add_argument("--challenge")
    verify.add_argument("--domain")
    verify.add_argument(
        "--offline",
        action="store_true",
        help="no network lookups; status checks are then reported as not performed",
    )
    verify.add_argument(
        "--allow-unsigned-presentation",
        action="store_true",
        help="accept a presentation without a holder proof (reported as unbound)",
    )
    verify.add_argument("file", help="the JSON document, or - for stdin")
    verify.set_defaults(handler=cmd_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
