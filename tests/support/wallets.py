"""Wallets for the tests: the OpenWallet Foundation's OpenID4VCI client driven from Node
(interop/wallet.mjs), and a Python wallet that makes key proofs as the specification says
(and, for the negative tests, as it says not to)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from skillcred.core.openid4vci import did_key_for_public_key
from tests.support.reference import INTEROP, require

OFFER_REQUEST: dict[str, Any] = {
    "holder": {"email": "pieter.jansen@example.nl", "name": "Pieter Jansen"},
    "skill": "mig-fillet",
    "level": "independent",
    "assessment": {
        "method": "practical",
        "date": "2026-02-27",
        "assessor": {"name": "J. de Vries", "qualification": "IWI-C welding inspector"},
    },
}


def run_node_wallet(request: dict[str, Any], *, timeout: float = 120) -> dict[str, Any]:
    node = shutil.which("node")
    require(node is not None, "node is not installed")
    require(
        (INTEROP / "node_modules" / "@openid4vc" / "openid4vci").is_dir(),
        "interop/node_modules is missing (npm ci --prefix interop)",
    )
    assert node is not None
    done = subprocess.run(
        [node, str(INTEROP / "wallet.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def offer_uri_of(credential_offer: str) -> str:
    """The credential_offer_uri inside an openid-credential-offer:// URI."""
    query = parse_qs(urlsplit(credential_offer).query)
    return query["credential_offer_uri"][0]


@dataclass
class PythonWallet:
    """Holds one key; makes ``openid4vci-proof+jwt`` key proofs with it."""

    alg: str = "EdDSA"
    key: Any = field(default=None)

    def __post_init__(self) -> None:
        if self.key is None:
            self.key = (
                ec.generate_private_key(ec.SECP256R1())
                if self.alg == "ES256"
                else ed25519.Ed25519PrivateKey.generate()
            )

    @property
    def did(self) -> str:
        return did_key_for_public_key(self.key.public_key())

    def kid(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.get_default_algorithms()[self.alg].to_jwk(
            self.key.public_key(), as_dict=True
        )
        return dict(public)

    def proof(
        self,
        *,
        audience: str,
        nonce: str | None,
        iat: float | None = None,
        use_jwk: bool = False,
        typ: str = "openid4vci-proof+jwt",
        signing_key: Any = None,
    ) -> str:
        header: dict[str, Any] = {"typ": typ}
        if use_jwk:
            header["jwk"] = self.jwk()
        else:
            header["kid"] = self.kid()
        payload: dict[str, Any] = {"aud": audience, "iat": int(iat or time.time())}
        if nonce is not None:
            payload["nonce"] = nonce
        return jwt.encode(payload, signing_key or self.key, algorithm=self.alg, headers=header)
