"""The legacy Ed25519Signature2020 suite, verification only.

Many learning credentials in the wild still carry it. It hashes like eddsa-rdfc-2022
(URDNA2015 = RDFC-1.0 for these inputs); only the proof ``type`` differs and it has no
``cryptosuite`` property. It is never used to create new proofs.
"""

from __future__ import annotations

from skillcred.core.cryptosuites.base import ProofValueSignature
from skillcred.core.cryptosuites.eddsa_rdfc_2022 import RdfcCanonicalizingSuite


class Ed25519Signature2020(ProofValueSignature, RdfcCanonicalizingSuite):
    proof_type = "Ed25519Signature2020"
    name = None
