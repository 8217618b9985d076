"""eddsa-jcs-2022 (Data Integrity EdDSA Cryptosuites v1.0 §3.3): RFC 8785 JCS, SHA-256, Ed25519."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson
import rfc8785

from skillcred.core.cryptosuites.base import (
    ProofConfigurationMismatch,
    ProofValueSignature,
    with_document_context,
)
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.values import as_list
from skillcred.errors import InvalidInputError


def jcs_reference(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes by the rfc8785 library (the straightforward path)."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"the document cannot be canonicalized with JCS: {exc}") from exc


_MAX_SAFE_INTEGER = 2**53 - 1
_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")


def _only_safe_numbers(value: Any) -> bool:
    """True when every number in ``value`` is an integer within ±(2**53 - 1).

    Explicit loops: this runs on every JCS signature and generators cost twice as much.
    """
    kind = type(value)
    if kind is dict:
        for item in value.values():  # a loop: faster than all() on this hot path
            if type(item) is not str and not _only_safe_numbers(item):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110
            if type(item) is not str and not _only_safe_numbers(item):
                return False
        return True
    if kind is int:
        return bool(-_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER)
    return kind is not float


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes.

    For documents of strings, integers below 2**53, booleans and nulls, RFC 8785 output is
    exactly orjson's compact output with sorted keys: the same string escapes (short forms
    for \\b \\t \\n \\f \\r, lowercase \\u00xx for other controls, nothing else), and
    code-point key order equals RFC 8785's UTF-16 order when no character lies beyond
    U+FFFF. Anything else (floats, large integers, such characters, lone surrogates) goes
    through rfc8785. Equivalence is checked by the tests over random documents.
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return jcs_reference(value)
    if not _only_safe_numbers(value) or (not encoded.isascii() and _FOUR_BYTE_UTF8.search(encoded)):
        return jcs_reference(value)
    return encoded


class EddsaJcs2022(ProofValueSignature):
    proof_type = "DataIntegrityProof"
    name = "eddsa-jcs-2022"

    def proof_configuration(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        return with_document_context(unsecured, options)

    def unsecured_for_verification(
        self, unsecured: Mapping[str, Any], proof_options: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], dict[str, Any]]:
        # §3.3.2 steps 4-5: the secured document's @context must start with the proof's
        # @context, in order; the document is then hashed with the proof's @context.
        config = dict(proof_options)
        if "@context" not in proof_options:
            return unsecured, config
        proof_context = as_list(proof_options["@context"])
        document_context = as_list(unsecured.get("@context"))
        if document_context[: len(proof_context)] != proof_context:
            raise ProofConfigurationMismatch(
                "the document's @context does not start with the proof's @context"
            )
        document = dict(unsecured)
        document["@context"] = proof_options["@context"]
        return document, config

    def hash_data(
        self,
        unsecured: Mapping[str, Any],
        proof_config: Mapping[str, Any],
        *,
        loader: DocumentLoader,
    ) -> bytes:
        config_hash = hashlib.sha256(jcs(proof_config)).digest()
        document_hash = hashlib.sha256(jcs(unsecured)).digest()
        return config_hash + document_hash

    def published_proof(self, proof_config: Mapping[str, Any]) -> dict[str, Any]:
        return dict(proof_config)
