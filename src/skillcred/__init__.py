"""skillcred: an open-standard skills passport.

The library API signs and verifies W3C Verifiable Credentials and Presentations with
Ed25519 Data Integrity proofs (eddsa-rdfc-2022, eddsa-jcs-2022), offline::

    from skillcred import Ed25519KeyPair, Verifier, sign_credential

    key = Ed25519KeyPair.generate()
    signed = sign_credential(credential, key=key)
    result = Verifier().verify_credential(signed)
    assert result.verified
"""

from skillcred.core.issuing import complete_credential, sign_credential, sign_presentation
from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.core.keys import Ed25519KeyPair, Ed25519PublicMultikey, load_key_file
from skillcred.core.proofs import Problem, ProofResult, add_proof, verify_proofs
from skillcred.core.verifying import CheckResult, VerificationResult, Verifier
from skillcred.errors import SkillcredError

__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "DocumentLoader",
    "Ed25519KeyPair",
    "Ed25519PublicMultikey",
    "Problem",
    "ProofResult",
    "SkillcredError",
    "VerificationResult",
    "Verifier",
    "add_proof",
    "complete_credential",
    "default_loader",
    "load_key_file",
    "sign_credential",
    "sign_presentation",
    "verify_proofs",
]
