"""X.509 for SD-JWT VC (HAIP): the deployment's issuing CA and its providers' leaf
certificates, and checking an ``x5c`` chain against trusted roots.

The CA is a self-signed P-256 root whose key lives in the key store; each provider's
ES256 key gets a leaf whose SubjectAltName URI is the provider's ``iss`` URL, so a wallet
or verifier that trusts the root binds the key to the issuer (SD-JWT VC §3.5, "X.509
certificates"). The ``x5c`` header carries the leaf (and any intermediates), never the
root: the verifier has the root from its trust list (HAIP).

The CA key is a software key (the database store, sealed under the master key):
``cryptography`` signs certificates only with a key object it holds. Providers' keys may
live in either store; a leaf needs only their public key.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from skillcred.core.jose import P256KeyPair

CA_LIFETIME = dt.timedelta(days=3650)
LEAF_LIFETIME = dt.timedelta(days=825)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "skillcred"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def make_root(pair: P256KeyPair, *, common_name: str, now: dt.datetime) -> x509.Certificate:
    """The deployment's self-signed issuing CA (basicConstraints CA, pathLen 0)."""
    public = pair.public_key
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(pair.private_key, hashes.SHA256())
    )


def make_leaf(
    ca_pair: P256KeyPair,
    root: x509.Certificate,
    subject_key: ec.EllipticCurvePublicKey,
    *,
    issuer_url: str,
    common_name: str,
    now: dt.datetime,
) -> x509.Certificate:
    """A leaf for a provider's ES256 key, its SAN URI the provider's ``iss``."""
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(root.subject)
        .public_key(subject_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + LEAF_LIFETIME, root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(issuer_url)]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_pair.public_key),
            critical=False,
        )
        .sign(ca_pair.private_key, hashes.SHA256())
    )


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_pem(text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(text.encode("ascii"))


def load_pem_many(text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(text.encode("ascii"))


def x5c_value(chain: Sequence[x509.Certificate]) -> list[str]:
    """The ``x5c`` header (RFC 7515 §4.1.6): standard base64 DER, leaf first."""
    return [
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain
    ]


@dataclass(frozen=True, slots=True)
class ChainAnswer:
    """What an ``x5c`` chain says: the leaf's key and SAN URIs, and the trusted root it
    chains to (None: to no trusted root)."""

    leaf_key: ec.EllipticCurvePublicKey
    san_uris: tuple[str, ...]
    root: x509.Certificate | None
    problem: str | None = None


def read_x5c(value: object) -> list[x509.Certificate]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError("x5c must be a non-empty array of base64 DER certificates")
    if len(value) > 5:
        raise ValueError("x5c holds more than 5 certificates")
    try:
        chain = [x509.load_der_x509_certificate(base64.b64decode(v, validate=True)) for v in value]
    except ValueError as exc:
        raise ValueError(f"x5c holds something that is not a DER certificate: {exc}") from exc
    key = chain[0].public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        # ES256 is P-256 alone (RFC 7518 §3.4): such a leaf made no ES256 signature.
        raise ValueError("the x5c leaf's key is not a P-256 key")
    return chain


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, Exception):
        return False
    return True


def check_chain(
    chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate], *, now: dt.datetime
) -> ChainAnswer:
    """Walk the chain leaf first: each certificate in its validity period and signed by the
    next, the last signed by (or equal to) a trusted root that is a CA."""
    leaf = chain[0]
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the x5c leaf's key is not a P-256 key")
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = tuple(san.get_values_for_type(x509.UniformResourceIdentifier))
    except x509.ExtensionNotFound:
        uris = ()
    for certificate in chain:
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            return ChainAnswer(
                key, uris, None, "a certificate in x5c is outside its validity period"
            )
    for child, parent in itertools.pairwise(chain):
        if not _is_ca(parent) or not _issued_by(child, parent):
            return ChainAnswer(key, uris, None, "the x5c chain is broken")
    top = chain[-1]
    for root in roots:
        if root == top or (_is_ca(root) and _issued_by(top, root)):
            if not root.not_valid_before_utc <= now <= root.not_valid_after_utc:
                continue
            return ChainAnswer(key, uris, root)
    return ChainAnswer(key, uris, None, "the x5c chain leads to no trusted root certificate")


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
