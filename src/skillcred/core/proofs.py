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
from typing import Any, Literal

from skillcred.core.cryptosuites import (
    SUPPORTED,
    Cryptosuite,
    MalformedSignature,
    ProofConfigurationMismatch,
    signing_suite,
    suite_for_proof,
)
from skillcred.core.datetimes import DateTimeFormatError, format_date_time, parse_date_time, utc_now
from skillcred.core.dids.resolver import DidResolver, dereference_verification_method
from skillcred.core.jsonld.loader import DocumentLoader
from skillcred.core.keys import Ed25519PublicMultikey, Signer, multibase_base58btc_encode
from skillcred.core.values import as_list
from skillcred.errors import (
    DidNotResolvedError,
    DidResolutionError,
    DocumentLoaderError,
    InvalidInputError,
    JsonLdError,
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


ProofOutcome = Literal["passed", "failed", "not-performed"]


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class ProofResult:
    """The outcome of verifying one proof: ``passed``, ``failed`` (shown not to hold) or
    ``not-performed`` (it could not be checked here: a context, a cryptosuite or a DID
    document we lack)."""

    index: int
    outcome: ProofOutcome
    proof_type: str | None = None
    cryptosuite: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    created: str | None = None
    challenge: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.outcome == "passed"

    @property
    def signer(self) -> str | None:
        """The DID whose key made the proof (per its verification method)."""
        return did_of(self.verification_method) if self.verification_method else None

    def read(self, proof: Mapping[str, Any]) -> None:
        """Copy what the proof says of itself (strings only) for the report."""
        self.proof_type = _string(proof.get("type"))
        self.cryptosuite = _string(proof.get("cryptosuite"))
        self.verification_method = _string(proof.get("verificationMethod"))
        self.proof_purpose = _string(proof.get("proofPurpose"))
        self.created = _string(proof.get("created"))
        self.challenge = _string(proof.get("challenge"))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "index": self.index,
            "verified": self.verified,
            "outcome": self.outcome,
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
    try:
        hash_data = suite.hash_data(unsecured, proof_config, loader=loader)
    except UnicodeError as exc:
        raise InvalidInputError(
            "the document holds text that is not valid Unicode (a lone surrogate)"
        ) from exc
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


# -- proof purposes (as jsonld-signatures' lib/purposes/) ------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ControllerProofPurpose:
    """What a proof must have been made for, and by whom (jsonld-signatures'
    ControllerProofPurpose; the issuer binding is vc's CredentialIssuancePurpose).

    A proof counts only when its ``proofPurpose`` is one of ``relationships`` and its key is a
    verification method of ``controller`` (the credential's issuer, the presentation's holder)
    — that the controller's DID document lists the key under that purpose is checked when the
    key is dereferenced. Subclasses add what a verifier's request asks for (challenge, domain).
    Everything here is checked in :meth:`validate`, in this order: purpose, request, controller.
    """

    relationships: tuple[str, ...]
    #: the DID that must control the key; None: whoever signed (a holderless presentation)
    controller: str | None
    #: who the controller is, in messages and the error code ("issuer", "holder")
    role: str

    def validate(self, proof: Mapping[str, Any], *, vouched: bool) -> None:
        """Raises _Failed when the proof was not made for this purpose by the controller.
        ``vouched``: a proof of the controller chains over this one (Data Integrity §4.5)."""
        if proof["proofPurpose"] not in self.relationships:
            raise _Failed(
                "MISMATCHED_PROOF_PURPOSE_ERROR",
                "Mismatched proof purpose",
                f"the proof purpose is {proof['proofPurpose']!r}, expected "
                + " or ".join(repr(r) for r in self.relationships),
            )
        self.validate_request(proof)
        self.validate_controller(proof, vouched=vouched)

    def validate_request(self, proof: Mapping[str, Any]) -> None:
        """What the verifier's request asks of the proof: nothing, unless a subclass says."""

    def validate_controller(self, proof: Mapping[str, Any], *, vouched: bool) -> None:
        """A proof made with a key of anyone but the controller does not count, whatever the
        signature says (VC 2.0 §4.7, §4.13; as the reference's CredentialIssuancePurpose)."""
        signer = did_of(proof["verificationMethod"])
        if self.controller is not None and signer != self.controller and not vouched:
            raise _Failed(
                f"{self.role.upper()}_MISMATCH",
                f"Not signed by the {self.role}",
                f"the proof was made with a key of {signer}, not of the {self.role} "
                f"{self.controller}: only a key the {self.role} controls can vouch for it",
            )


#: what verify_proofs takes: a controller's purpose (the name the tests and callers use)
ProofPurpose = ControllerProofPurpose


@dataclass(frozen=True, slots=True, kw_only=True)
class AssertionProofPurpose(ControllerProofPurpose):
    """A credential's proof: ``assertionMethod``, by a key its issuer (``controller``)
    controls."""

    relationships: tuple[str, ...] = ("assertionMethod",)
    role: str = "issuer"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticationProofPurpose(ControllerProofPurpose):
    """A presentation's proof: by a key its holder (``controller``) controls, for
    ``authentication`` — or for ``assertionMethod``, as DCC's wallet tools sign presentations
    (such a proof shows who signed, but binds nothing to a verifier's request: see
    :meth:`binds_request`) — with the ``challenge`` and ``domain`` the verifier asked for."""

    relationships: tuple[str, ...] = ("authentication", "assertionMethod")
    role: str = "holder"
    challenge: str | None = None
    domain: str | None = None

    def validate_request(self, proof: Mapping[str, Any]) -> None:
        """Data Integrity §4.4 (Verify Proof) steps on ``challenge`` and ``domain``."""
        if self.challenge is not None and proof.get("challenge") != self.challenge:
            detail = (
                "the proof has no challenge"
                if "challenge" not in proof
                else "the proof's challenge does not match the expected challenge"
            )
            raise _Failed("INVALID_CHALLENGE_ERROR", "Invalid challenge", detail)
        if self.domain is not None and self.domain not in as_list(proof.get("domain")):
            detail = (
                "the proof has no domain"
                if "domain" not in proof
                else "the proof's domain does not match the expected domain"
            )
            raise _Failed("INVALID_DOMAIN_ERROR", "Invalid domain", detail)

    def binds_request(self, proofs: Sequence[ProofResult]) -> bool:
        """Whether the proofs show the presentation was signed for this request: only an
        ``authentication`` proof over the verifier's own fresh challenge does — any other could
        be a copy replayed by someone else."""
        return self.challenge is not None and all(
            p.proof_purpose == "authentication" and p.challenge == self.challenge for p in proofs
        )


def did_of(url: str) -> str:
    """The controller a verification method URL names: for a DID URL the DID (before its
    path, query or fragment), for any other URL the document before the fragment."""
    if not url.startswith("did:"):
        return url.split("#", 1)[0]
    for separator in "/?#":
        url = url.split(separator, 1)[0]
    return url


def verify_proofs(
    document: Mapping[str, Any],
    *,
    purpose: ProofPurpose,
    resolver: DidResolver,
    loader: DocumentLoader,
    now: datetime | None = None,
) -> list[ProofResult]:
    """Verify every proof on ``document``; an empty list means there is no proof.

    Each proof must be made with a key of ``purpose.controller`` (the issuer, the holder),
    with one exception a proof chain allows (Data Integrity §4.5): a proof by another key
    counts when a proof of the controller chains over it — the controller then signed the
    document *with* that proof, vouching for it (a witness's proof, then the issuer's).
    """
    proofs = as_list(document.get("proof"))
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    moment = now or utc_now()
    by_id = _proofs_by_id(proofs)
    covered_by = _covered_by_controller(proofs, purpose.controller)
    results: list[ProofResult] = []
    for index, proof in enumerate(proofs):
        result = ProofResult(index=index, outcome="failed")
        results.append(result)
        try:
            _verify_one(
                proof,
                result,
                unsecured=unsecured,
                proofs_by_id=by_id,
                purpose=purpose,
                vouched=bool(covered_by.get(index)),
                resolver=resolver,
                loader=loader,
                now=moment,
            )
        except _CannotCheck as failure:
            result.outcome = "not-performed"
            result.problems.append(failure.problem)
        except _Failed as failure:
            result.problems.append(failure.problem)
        except SkillcredError as exc:  # anything else the layers below refuse
            result.problems.append(Problem(exc.code, exc.title, exc.detail))
        else:
            result.outcome = "passed"
    # A proof by another key stands only if a controller's proof over it verified.
    for index, covering in covered_by.items():
        result = results[index]
        if result.outcome == "passed" and not any(results[j].verified for j in covering):
            result.outcome = results[min(covering)].outcome
            result.problems.append(
                Problem(
                    f"{purpose.role.upper()}_MISMATCH",
                    f"Not signed by the {purpose.role}",
                    f"the proof was made with a key of {result.signer}, and the {purpose.role}'s "
                    "proof that chains over it did not verify",
                )
            )
    return results


def _covered_by_controller(proofs: list[Any], controller: str | None) -> dict[int, set[int]]:
    """For each proof by a key *not* of ``controller``: the indexes of the controller's
    proofs that chain over it (directly or through other proofs, by ``previousProof``)."""
    if controller is None or len(proofs) < 2:  # a chain needs two proofs
        return {}
    first_index: dict[str, int] = {}
    for index, proof in enumerate(proofs):
        if isinstance(proof, Mapping) and isinstance(proof.get("id"), str):
            first_index.setdefault(proof["id"], index)

    def signer(proof: Any) -> str | None:
        method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        return did_of(method) if isinstance(method, str) else None

    covered: dict[int, set[int]] = {}
    for index, proof in enumerate(proofs):
        if signer(proof) != controller:
            continue
        seen: set[int] = set()
        pending = [proof]
        while pending:
            for pid in as_list(pending.pop().get("previousProof")):
                earlier = first_index.get(pid) if isinstance(pid, str) else None
                if earlier is not None and earlier not in seen:
                    seen.add(earlier)
                    pending.append(proofs[earlier])
        for earlier in seen:
            if signer(proofs[earlier]) != controller:
                covered.setdefault(earlier, set()).add(index)
    return covered


def _proofs_by_id(proofs: list[Any]) -> dict[str, Mapping[str, Any]]:
    """The document's proofs by ``id`` (what ``previousProof`` names); the first wins."""
    by_id: dict[str, Mapping[str, Any]] = {}
    for proof in proofs:
        if isinstance(proof, Mapping) and isinstance(proof.get("id"), str):
            by_id.setdefault(proof["id"], proof)
    return by_id


class _Failed(Exception):
    """The proof is shown not to hold (the document is not genuine)."""

    def __init__(self, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = Problem(code, title, detail)


class _CannotCheck(_Failed):
    """The proof could not be checked here (a context, a suite or a DID document we lack):
    it is neither shown to hold nor shown false."""


def _malformed(detail: str) -> _Failed:
    return _Failed("MALFORMED_PROOF_ERROR", "Malformed proof", detail)


def _verify_one(
    proof: Any,
    result: ProofResult,
    *,
    unsecured: dict[str, Any],
    proofs_by_id: Mapping[str, Mapping[str, Any]],
    purpose: ProofPurpose,
    vouched: bool,
    resolver: DidResolver,
    loader: DocumentLoader,
    now: datetime,
) -> None:
    """Data Integrity §4.3 Verify Proof for one proof; raises _Failed / _CannotCheck.
    ``vouched``: a proof of the controller chains over this one. One step per line, in the
    order whose first failure is reported."""
    if not isinstance(proof, Mapping):
        raise _malformed("a proof must be a JSON object")
    result.read(proof)
    # Steps 1-3: type, verificationMethod, proofPurpose given; a cryptosuite we know.
    suite = _suite(proof)
    # The proof bytes, decoded as the suite writes them (proofValue, or a JWS).
    try:
        signature = suite.signature(proof)
    except MalformedSignature as exc:
        raise _malformed(str(exc)) from exc
    # The proof's own dates (created well-formed, expires not passed).
    _check_dates(proof, now)
    # Expected purpose, challenge, domain and controller: in one place, the purpose object.
    purpose.validate(proof, vouched=vouched)
    # §4.5: a chained proof was made over the document with the proofs it names.
    document = _chained_document(proof, unsecured, proofs_by_id)
    # The key, which the controller's DID document lists under the proof's purpose.
    public_key = _verification_key(proof, resolver)
    # The cryptosuite's transformation and hashing, then the signature over them.
    hash_data = _hash_data(suite, proof, document, loader)
    if not public_key.verify(signature, suite.signing_input(hash_data, proof)):
        raise _Failed(
            "PROOF_VERIFICATION_ERROR",
            "Invalid signature",
            "the signature does not match the document and proof options "
            "(the credential or its proof was altered, or signed by another key)",
        )


def _suite(proof: Mapping[str, Any]) -> Cryptosuite:
    """§4.3 steps 2-3: a well-formed proof of a suite this verifier knows."""
    for name in ("type", "verificationMethod", "proofPurpose"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            raise _malformed(f"proof.{name} is missing or not a string")
    suite = suite_for_proof(proof["type"], proof.get("cryptosuite"))
    if suite is not None:
        return suite
    what = (
        f"the cryptosuite {proof.get('cryptosuite')!r}"
        if proof["type"] == "DataIntegrityProof"
        else f"the proof type {proof['type']!r}"
    )
    raise _CannotCheck(
        "UNSUPPORTED_CRYPTOSUITE",
        "Cryptosuite not supported",
        f"{what} is not one this verifier can check (it checks {SUPPORTED}); "
        "the proof is neither confirmed nor refuted",
    )


def _check_dates(proof: Mapping[str, Any], now: datetime) -> None:
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


def _chained_document(
    proof: Mapping[str, Any],
    unsecured: dict[str, Any],
    proofs_by_id: Mapping[str, Mapping[str, Any]],
) -> Mapping[str, Any]:
    """§4.5: a chained proof was made over the document with the proofs it names."""
    if "previousProof" not in proof:
        return unsecured
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
    return {**unsecured, "proof": matching}


def _verification_key(proof: Mapping[str, Any], resolver: DidResolver) -> Ed25519PublicMultikey:
    """The key of the proof's verification method, which its controller's DID document
    must list under the proof's purpose (§4.3 step 7; Controlled Identifiers §3.3)."""
    try:
        public_key, _method = dereference_verification_method(
            proof["verificationMethod"], resolver=resolver, relationship=proof["proofPurpose"]
        )
    except DidNotResolvedError as exc:
        raise _CannotCheck(exc.code, exc.title, exc.detail) from exc
    except DidResolutionError as exc:
        raise _Failed(
            "PROOF_VERIFICATION_ERROR", "Verification method not usable", exc.detail
        ) from exc
    return public_key


def _hash_data(
    suite: Cryptosuite,
    proof: Mapping[str, Any],
    document: Mapping[str, Any],
    loader: DocumentLoader,
) -> bytes:
    """The suite's transformation and hashing of the document and proof options."""
    proof_options = {k: v for k, v in proof.items() if k not in suite.signature_fields}
    try:
        document, proof_config = suite.unsecured_for_verification(document, proof_options)
    except ProofConfigurationMismatch as exc:
        raise _Failed(
            "PROOF_VERIFICATION_ERROR", "Proof does not fit the document", str(exc)
        ) from exc
    try:
        return suite.hash_data(document, proof_config, loader=loader)
    except DocumentLoaderError as exc:
        # A context we do not have: we cannot tell what was signed — not that it is forged.
        raise _CannotCheck(
            "UNKNOWN_CONTEXT",
            "Context not available",
            f"{exc.detail}. Without it the signed data cannot be reconstructed, so the "
            "proof is neither confirmed nor refuted",
        ) from exc
    except JsonLdError as exc:
        raise _Failed(
            "PROOF_TRANSFORMATION_ERROR", "The document cannot be canonicalized", exc.detail
        ) from exc
    except InvalidInputError as exc:
        raise _Failed(
            "PROOF_TRANSFORMATION_ERROR", "The document cannot be transformed", exc.detail
        ) from exc
