"""Cryptosuites: eddsa-rdfc-2022 (default), eddsa-jcs-2022; the legacy Ed25519Signature2020
and Ed25519Signature2018 for verification only."""

from __future__ import annotations

from skillcred.core.cryptosuites.base import (
    Cryptosuite,
    MalformedSignature,
    ProofConfigurationMismatch,
)
from skillcred.core.cryptosuites.ed25519_signature_2018 import Ed25519Signature2018
from skillcred.core.cryptosuites.ed25519_signature_2020 import Ed25519Signature2020
from skillcred.core.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from skillcred.core.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022

EDDSA_RDFC_2022 = EddsaRdfc2022()
EDDSA_JCS_2022 = EddsaJcs2022()
ED25519_SIGNATURE_2020 = Ed25519Signature2020()
ED25519_SIGNATURE_2018 = Ed25519Signature2018()

#: suites that can sign, by ``cryptosuite`` name
SIGNING_SUITES: dict[str, Cryptosuite] = {
    EDDSA_RDFC_2022.name: EDDSA_RDFC_2022,
    EDDSA_JCS_2022.name: EDDSA_JCS_2022,
}

#: verification-only suites, by proof ``type``
_LEGACY_SUITES: dict[str, Cryptosuite] = {
    ED25519_SIGNATURE_2020.proof_type: ED25519_SIGNATURE_2020,
    ED25519_SIGNATURE_2018.proof_type: ED25519_SIGNATURE_2018,
}
#: every proof type and cryptosuite verified here, for messages
SUPPORTED = "DataIntegrityProof (eddsa-rdfc-2022, eddsa-jcs-2022), " + ", ".join(_LEGACY_SUITES)


def suite_for_proof(proof_type: object, cryptosuite: object) -> Cryptosuite | None:
    """The suite that verifies a proof of this ``type``/``cryptosuite``, or None."""
    if proof_type == "DataIntegrityProof" and isinstance(cryptosuite, str):
        return SIGNING_SUITES.get(cryptosuite)
    return _LEGACY_SUITES.get(proof_type) if isinstance(proof_type, str) else None


def signing_suite(name: str) -> Cryptosuite:
    """The suite named ``name``; raises KeyError for an unknown one."""
    return SIGNING_SUITES[name]


__all__ = [
    "ED25519_SIGNATURE_2018",
    "ED25519_SIGNATURE_2020",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "SIGNING_SUITES",
    "SUPPORTED",
    "Cryptosuite",
    "MalformedSignature",
    "ProofConfigurationMismatch",
    "signing_suite",
    "suite_for_proof",
]
