"""Data Integrity proofs (VC Data Integrity 1.0 §4), suite-agnostic.

``add_proof`` creates a proof with a signing cryptosuite (a new proof, a proof set, or a
chain via ``previous_proof``); ``verify_proofs`` verifies every proof on a document
(§4.3–4.5, including proof sets and chains) and returns one result per proof. It never
raises on bad input: each problem is reported with the error code the specification
names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from skillcred.core.cryptosuites import ProofConfigurationMismatch, signing_suite, suite_for_proof
from skillcred.core.datetimes import DateTimeFormatError, format_date_time, parse_date_time, utc_now
from skillcred.core.dids.resolver import DidResolver, dereference_verification_method
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.keys import (
    ED25519_SIGNATURE_LENGTH,
    Signer,
    multibase_base58btc_decode,
    multibase_base58btc_encode,
)
from skillcred.core.values import as_list
from skillcred.errors import (
    DidResolutionError,
    InvalidInputError,
    JsonLdError,
    KeyFormatError,
    ProofGenerationError,
    SkillcredError,
    problem_type,
)

PURPOSES = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation")
_OPTIONAL_PROOF_OPTIONS = ("challenge", "domain", "expires", "nonce")


@dataclass(frozen=True, slots=True)
class Problem:
    """An RFC 9457 problem detail, as VC 2.0 §7.1 reports verification problems."""

    code: str
    title: str
    detail: str

    @property
    def type(self) -> str:
        return problem_type(self.code)

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "code": self.code, "title": self.title, "detail": self.detail}


@dataclass(slots=True)
class ProofResult:
    """The outcome of verifying one proof."""

    index: int
    verified: bool
    proof_type: object = None
    cryptosuite: object = None
    verification_method: object = None
    proof_purpose: object = None
    created: object = None
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "index": self.index,
            "verified": self.verified,
            "type": self.proof_type,
            "cryptosuite": self.cryptosuite,
            "verificationMethod": self.verification_method,
            "proofPurpose": self.proof_purpose,
            "created": self.created,
        }
        if self.problems:
            data["problems"] = [p.to_json() for p in self.problems]
        return {k: v for k, v in data.items() if v is not None}


def add_proof(
    document: Mapping[str, Any],
    *,
    signer: Signer,
    cryptosuite: str = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
    created: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    expires: datetime | str | None = None,
    nonce: str | None = None,
    proof_id: str | None = None,
    previous_proof: str | Sequence[str] | None = None,
    proof_as_array: bool = False,
    loader: DocumentLoader,
) -> dict[str, Any]:
    """A copy of ``document`` with a new Data Integrity proof (§4.1 Add Proof).

    A document that already has proofs gets a proof set; ``previous_proof`` names the
    proofs (by ``id``) this one chains to. ``proof_as_array`` writes even a single proof
    as an array (Open Badges 3.0's schema requires it). Raises ProofGenerationError on
    bad options.
    """
    if not isinstance(document, Mapping):
        raise InvalidInputError("only a JSON object can be secured")
    try:
        suite = signing_suite(cryptosuite)
    except KeyError:
        raise ProofGenerationError(
            f"unknown cryptosuite {cryptosuite!r}; use eddsa-rdfc-2022 or eddsa-jcs-2022"
        ) from None
    if proof_purpose not in PURPOSES:
        raise ProofGenerationError(f"unknown proof purpose {proof_purpose!r}")

    options: dict[str, Any] = {"type": suite.proof_type}
    if proof_id is not None:
        options["id"] = proof_id
    options["cryptosuite"] = cryptosuite
    options["created"] = _date_time_option("created", created if created is not None else utc_now())
    options["verificationMethod"] = signer.verification_method
    options["proofPurpose"] = proof_purpose
    if expires is not None:
        options["expires"] = _date_time_option("expires", expires)
    for name, value in (("challenge", challenge), ("domain", domain), ("nonce", nonce)):
        if value is not None:
            if not isinstance(value, str) or not value:
                raise ProofGenerationError(f"{name} must be a non-empty string")
            options[name] = value

    existing = as_list(document.get("proof"))
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if previous_proof is not None:
        wanted = [previous_proof] if isinstance(previous_proof, str) else list(previous_proof)
        options["previousProof"] = previous_proof if isinstance(previous_proof, str) else wanted
        by_id = _proofs_by_id(existing)
        missing = [pid for pid in wanted if pid not in by_id]
        if missing:
            raise ProofGenerationError(
                f"previousProof {missing[0]!r} is not a proof of the document"
            )
        unsecured["proof"] = [by_id[pid] for pid in wanted]

    proof_config = suite.proof_configuration(unsecured, options)
    # A JsonLdError (an unknown context, data safe mode would drop) is the caller's input
    # problem and keeps its own name.
    hash_data = suite.hash_data(unsecured, proof_config, loader=loader)
    proof = suite.published_proof(proof_config)
    proof["proofValue"] = multibase_base58btc_encode(signer.sign(hash_data))

    secured = dict(document)
    secured["proof"] = [*existing, proof] if existing or proof_as_array else proof
    return secured


def _date_time_option(name: str, value: datetime | str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ProofGenerationError(f"{name} must carry a time zone")
        return format_date_time(value)
    try:
        parse_date_time(value, require_zone=True)
    except DateTimeFormatError as exc:
        raise ProofGenerationError(f"{name}: {exc}") from exc
    return value


def verify_proofs(
    document: Mapping[str, Any],
    *,
    resolver: DidResolver,
    loader: DocumentLoader,
    expected_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    now: datetime | None = None,
) -> list[ProofResult]:
    """Verify every proof on ``document``; an empty list means there is no proof."""
    proofs = as_list(document.get("proof"))
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    moment = now or utc_now()
    by_id = _proofs_by_id(proofs)
    results: list[ProofResult] = []
    for index, proof in enumerate(proofs):
        result = ProofResult(index=index, verified=False)
        results.append(result)
        try:
            _verify_one(
                proof,
                result,
                unsecured=unsecured,
                proofs_by_id=by_id,
                resolver=resolver,
                loader=loader,
                expected_purpose=expected_purpose,
                challenge=challenge,
                domain=domain,
                now=moment,
            )
        except _Failed as failure:
            result.problems.append(failure.problem)
        except SkillcredError as exc:  # anything else the layers below refuse
            result.problems.append(Problem(exc.code, exc.title, exc.detail))
        else:
            result.verified = not result.problems
    return results


def _proofs_by_id(proofs: list[Any]) -> dict[str, Mapping[str, Any]]:
    """The document's proofs by ``id`` (what ``previousProof`` names); the first wins."""
    by_id: dict[str, Mapping[str, Any]] = {}
    for proof in proofs:
        if isinstance(proof, Mapping) and isinstance(proof.get("id"), str):
            by_id.setdefault(proof["id"], proof)
    return by_id


class _Failed(Exception):
    def __init__(self, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = Problem(code, title, detail)


def _malformed(detail: str) -> _Failed:
    return _Failed("MALFORMED_PROOF_ERROR", "Malformed proof", detail)


def _verify_one(
    proof: Any,
    result: ProofResult,
    *,
    unsecured: dict[str, Any],
    proofs_by_id: Mapping[str, Mapping[str, Any]],
    resolver: DidResolver,
    loader: DocumentLoader,
    expected_purpose: str,
    challenge: str | None,
    domain: str | None,
    now: datetime,
) -> None:
    if not isinstance(proof, Mapping):
        raise _malformed("a proof must be a JSON object")
    result.proof_type = proof.get("type")
    result.cryptosuite = proof.get("cryptosuite")
    result.verification_method = proof.get("verificationMethod")
    result.proof_purpose = proof.get("proofPurpose")
    result.created = proof.get("created")

    # §4.3 step 2-3: the proof must be well formed before anything else.
    for name in ("type", "verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            raise _malformed(f"proof.{name} is missing or not a string")
    suite = suite_for_proof(proof["type"], proof.get("cryptosuite"))
    if suite is None:
        if proof["type"] == "DataIntegrityProof":
            raise _Failed(
                "PROOF_VERIFICATION_ERROR",
                "Unknown cryptosuite",
                f"the cryptosuite {proof.get('cryptosuite')!r} is not supported "
                "(supported: eddsa-rdfc-2022, eddsa-jcs-2022)",
            )
        raise _Failed(
            "PROOF_VERIFICATION_ERROR",
            "Unknown proof type",
            f"the proof type {proof['type']!r} is not supported",
        )
    for name in ("created", "expires"):
        if name in proof:
            try:
                moment = parse_date_time(proof[name], require_zone=True)
            except DateTimeFormatError as exc:
                raise _malformed(f"proof.{name}: {exc}") from exc
            if name == "expires" and moment < now:
                raise _Failed(
                    "PROOF_VERIFICATION_ERROR",
                    "Proof expired",
                    f"the proof expired at {proof[name]}",
                )
    try:
        signature = multibase_base58btc_decode(proof["proofValue"], what="proofValue")
    except KeyFormatError as exc:
        raise _malformed(exc.detail) from exc
    if len(signature) != ED25519_SIGNATURE_LENGTH:
        raise _malformed(
            f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has 64"
        )

    if proof["proofPurpose"] != expected_purpose:
        raise _Failed(
            "MISMATCHED_PROOF_PURPOSE_ERROR",
            "Mismatched proof purpose",
            f"the proof purpose is {proof['proofPurpose']!r}, expected {expected_purpose!r}",
        )
    if challenge is not None and proof.get("challenge") != challenge:
        detail = (
            "the proof has no challenge"
            if "challenge" not in proof
            else "the proof's challenge does not match the expected challenge"
        )
        raise _Failed("INVALID_CHALLENGE_ERROR", "Invalid challenge", detail)
    if domain is not None and domain not in as_list(proof.get("domain")):
        detail = (
            "the proof has no domain"
            if "domain" not in proof
            else "the proof's domain does not match the expected domain"
        )
        raise _Failed("INVALID_DOMAIN_ERROR", "Invalid domain", detail)

    # §4.5: a chained proof was made over the document with the proofs it names.
    document: Mapping[str, Any] = unsecured
    if "previousProof" in proof:
        wanted = as_list(proof["previousProof"])
        if not wanted or not all(isinstance(pid, str) for pid in wanted):
            raise _malformed("proof.previousProof must be a string or an array of strings")
        matching = []
        for pid in wanted:
            if pid not in proofs_by_id:
                raise _Failed(
                    "PROOF_VERIFICATION_ERROR",
                    "Missing previous proof",
                    f"previousProof {pid!r} is not among the document's proofs",
                )
            matching.append(proofs_by_id[pid])
        document = {**unsecured, "proof": matching}

    try:
        public_key, _method = dereference_verification_method(
            proof["verificationMethod"], resolver=resolver, relationship=proof["proofPurpose"]
        )
    except DidResolutionError as exc:
        raise _Failed(
            "PROOF_VERIFICATION_ERROR", "Verification method not usable", exc.detail
        ) from exc

    proof_options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        document, proof_config = suite.unsecured_for_verification(document, proof_options)
    except ProofConfigurationMismatch as exc:
        raise _Failed(
            "PROOF_VERIFICATION_ERROR", "Proof does not fit the document", str(exc)
        ) from exc
    try:
        hash_data = suite.hash_data(document, proof_config, loader=loader)
    except JsonLdError as exc:
        raise _Failed(
            "PROOF_TRANSFORMATION_ERROR", "The document cannot be canonicalized", exc.detail
        ) from exc
    except InvalidInputError as exc:
        raise _Failed(
            "PROOF_TRANSFORMATION_ERROR", "The document cannot be transformed", exc.detail
        ) from exc
    if not public_key.verify(signature, hash_data):
        raise _Failed(
            "PROOF_VERIFICATION_ERROR",
            "Invalid signature",
            "the signature does not match the document and proof options "
            "(the credential or its proof was altered, or signed by another key)",
        )
