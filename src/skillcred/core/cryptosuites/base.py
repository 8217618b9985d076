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


class ProofConfigurationMismatch(Exception):
    """The proof's options do not fit the secured document (e.g. a JCS @context mismatch)."""


class Cryptosuite(Protocol):
    @property
    def proof_type(self) -> str:
        """The proof ``type`` this suite produces or reads."""
        ...

    @property
    def name(self) -> str | None:
        """The ``cryptosuite`` value (None for legacy suites that have no such property)."""
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
