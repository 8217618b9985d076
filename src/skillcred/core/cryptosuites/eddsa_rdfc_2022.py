"""eddsa-rdfc-2022 (Data Integrity EdDSA Cryptosuites v1.0 §3.2): RDFC-1.0 + SHA-256 + Ed25519."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from skillcred.core.cryptosuites.base import ProofValueSignature, with_document_context
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import DocumentLoader


class RdfcCanonicalizingSuite:
    """Shared by eddsa-rdfc-2022 and the legacy Ed25519 suites (all hash RDFC-1.0)."""

    proof_type: str
    name: str | None

    def proof_configuration(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        return with_document_context(unsecured, options)

    def unsecured_for_verification(
        self, unsecured: Mapping[str, Any], proof_options: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], dict[str, Any]]:
        return unsecured, self.proof_configuration(unsecured, proof_options)

    def hash_data(
        self,
        unsecured: Mapping[str, Any],
        proof_config: Mapping[str, Any],
        *,
        loader: DocumentLoader,
    ) -> bytes:
        # §3.2.6: hash of the canonical proof configuration first, then of the document.
        config_hash = hashlib.sha256(canonicalize(proof_config, loader=loader).encode()).digest()
        document_hash = hashlib.sha256(canonicalize(unsecured, loader=loader).encode()).digest()
        return config_hash + document_hash

    def published_proof(self, proof_config: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in proof_config.items() if k != "@context"}


class EddsaRdfc2022(ProofValueSignature, RdfcCanonicalizingSuite):
    proof_type = "DataIntegrityProof"
    name = "eddsa-rdfc-2022"
