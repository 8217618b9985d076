"""The one small protocol every cryptosuite implements.

A Data Integrity proof is created and verified by one generic implementation
(``skillcred.core.proofs``); a cryptosuite only says how a document and its proof
configuration become the bytes that are signed (transformation + hashing, Data Integrity
EdDSA Cryptosuites v1.0 §3.2.4–3.2.6 and §3.3.4–3.3.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.keys import ED25519_SIGNATURE_LENGTH, multibase_base58btc_decode
from skillcred.errors import KeyFormatError


class ProofConfigurationMismatch(Exception):
    """The proof's options do not fit the secured document (e.g. a JCS @context mismatch)."""


class MalformedSignature(Exception):
    """The proof's signature value is missing or not of the suite's form."""


class Cryptosuite(Protocol):
    @property
    def proof_type(self) -> str:
        """The proof ``type`` this suite produces or reads."""
        ...

    @property
    def name(self) -> str | None:
        """The ``cryptosuite`` value (None for legacy suites that have no such property)."""
        ...

    @property
    def signature_fields(self) -> frozenset[str]:
        """The proof properties that hold the signature (left out of what is hashed)."""
        ...

    def signature(self, proof: Mapping[str, Any]) -> bytes:
        """The signature bytes a received proof carries; raises MalformedSignature."""
        ...

    def signing_input(self, hash_data: bytes, proof: Mapping[str, Any]) -> bytes:
        """The bytes the signature is over, given the hash data (§3.2.7 / a detached JWS)."""
        ...

    def proof_configuration(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The proof configuration object that is hashed (and, minus nothing, published)."""
        ...

    def unsecured_for_verification(
        self, unsecured: Mapping[str, Any], proof_options: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], dict[str, Any]]:
        """The document and proof configuration to hash when verifying a received proof.

        Raises ProofConfigurationMismatch when the proof cannot belong to the document.
        """
        ...

    def hash_data(
        self,
        unsecured: Mapping[str, Any],
        proof_config: Mapping[str, Any],
        *,
        loader: DocumentLoader,
    ) -> bytes:
        """SHA-256(transformed proof configuration) || SHA-256(transformed document)."""
        ...

    def published_proof(self, proof_config: Mapping[str, Any]) -> dict[str, Any]:
        """The proof object placed in the secured document, before ``proofValue`` is added."""
        ...


def with_document_context(
    unsecured: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """The proof configuration: the proof options with the document's @context
    (EdDSA Cryptosuites §3.2.5 / §3.3.5 step 4)."""
    config = {k: v for k, v in options.items() if k != "@context"}
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return config


class ProofValueSignature:
    """A signature in ``proofValue``: multibase base58btc of the 64 Ed25519 bytes, over the
    hash data itself (EdDSA Cryptosuites §3.2.7; also Ed25519Signature2020)."""

    signature_fields = frozenset({"proofValue"})

    def signature(self, proof: Mapping[str, Any]) -> bytes:
        value = proof.get("proofValue")
        if not isinstance(value, str) or not value:
            raise MalformedSignature("proof.proofValue is missing or not a string")
        try:
            signature = multibase_base58btc_decode(value, what="proofValue")
        except KeyFormatError as exc:
            raise MalformedSignature(exc.detail) from exc
        if len(signature) != ED25519_SIGNATURE_LENGTH:
            raise MalformedSignature(
                f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has 64"
            )
        return signature

    def signing_input(self, hash_data: bytes, proof: Mapping[str, Any]) -> bytes:
        return hash_data
