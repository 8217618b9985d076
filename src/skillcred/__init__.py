"""skillcred: an open-standard skills passport.

The public library API: sign and verify W3C Verifiable Credentials and Presentations
with Ed25519 Data Integrity proofs (eddsa-rdfc-2022, eddsa-jcs-2022), offline.
"""

__version__ = "0.1.0"
