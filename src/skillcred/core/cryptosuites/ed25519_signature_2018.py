"""The legacy Ed25519Signature2018 suite, verification only.

Older Open Badges and learning credentials carry it. The hash data is made as for
Ed25519Signature2020 (RDFC-1.0 of the proof options, with the document's @context, and of
the document; SHA-256 of each, concatenated), but the signature is a detached JWS with an
unencoded payload (RFC 7515 Appendix F, RFC 7797): ``proof.jws`` is
``base64url(header)..base64url(signature)``, the header ``{"alg": "EdDSA", "b64": false,
"crit": ["b64"]}``, and the signing input is ``base64url(header) + "." + hash data``.
It is never used to create new proofs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from skillcred.core.cryptosuites.base import MalformedSignature
from skillcred.core.cryptosuites.eddsa_rdfc_2022 import RdfcCanonicalizingSuite
from skillcred.core.keys import ED25519_SIGNATURE_LENGTH

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def _base64url_decode(value: str, what: str) -> bytes:
    if not _BASE64URL.fullmatch(value):
        raise MalformedSignature(f"proof.jws: the {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedSignature(f"proof.jws: the {what} is not base64url") from exc


class Ed25519Signature2018(RdfcCanonicalizingSuite):
    proof_type = "Ed25519Signature2018"
    name = None
    signature_fields = frozenset({"jws", "proofValue", "signatureValue"})

    def signature(self, proof: Mapping[str, Any]) -> bytes:
        jws = proof.get("jws")
        if not isinstance(jws, str) or not jws:
            raise MalformedSignature("proof.jws is missing or not a string")
        parts = jws.split(".")
        if len(parts) != 3 or parts[1] != "":
            raise MalformedSignature("proof.jws must be a detached JWS (header..signature)")
        try:
            header: Any = json.loads(_base64url_decode(parts[0], "header"))
        except ValueError as exc:
            raise MalformedSignature("proof.jws: the header is not JSON") from exc
        if not isinstance(header, dict) or header.get("alg") != "EdDSA":
            raise MalformedSignature('proof.jws: the header\'s "alg" must be "EdDSA"')
        # RFC 7797 §3/§6: an unencoded payload, and "b64" must be declared critical.
        if header.get("b64") is not False or header.get("crit") != ["b64"]:
            raise MalformedSignature(
                'proof.jws: the header must have "b64": false and "crit": ["b64"]'
            )
        signature = _base64url_decode(parts[2], "signature")
        if len(signature) != ED25519_SIGNATURE_LENGTH:
            raise MalformedSignature(
                f"proof.jws carries {len(signature)} signature bytes; Ed25519 has 64"
            )
        return signature

    def signing_input(self, hash_data: bytes, proof: Mapping[str, Any]) -> bytes:
        encoded_header = str(proof["jws"]).split(".", 1)[0]
        return encoded_header.encode("ascii") + b"." + hash_data
