"""Verifying an SD-JWT VC, or an SD-JWT+KB presentation, with the verdict rules of every
other credential (DESIGN.md, "Verdicts").

- proof: the issuer-signed JWT's ES256 signature, by a key the issuer controls — for a
  provider of this service one of its ES256 keys; for another issuer the ``x5c`` leaf
  whose chain ends at a trusted root and whose SAN URI is the ``iss``; every disclosure
  in the digests (RFC 9901 §7.1); the KB-JWT when present or asked for (§7.3: the
  ``cnf`` key, nonce = challenge, aud = domain, ``sd_hash``). A failure is *not genuine*;
  what could not be checked (a key that chains to no trusted root) is *cannot check*.
- validityPeriod: ``nbf`` / ``exp``.
- status: ``status.status_list`` (Token Status List): this service's own lists read
  locally, others fetched within the request's remote budget; 1 revoked, 2 suspended.
- issuerTrust: registered here, or an ``x5c`` chain to a root on the trust list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from skillcred.core.jose import ES256, public_key_from_jwk, same_key
from skillcred.core.proofs import Problem, ProofResult
from skillcred.core.sdjwt import SdJwt, check_key_binding, disclose
from skillcred.core.token_status_list import INVALID, SUSPENDED, VALID, read_token
from skillcred.core.verifying import CheckResult, Outcome, VerificationResult
from skillcred.core.x509ca import check_chain, read_x5c
from skillcred.errors import KeyBindingError, NotFoundError, SdJwtError, SkillcredError
from skillcred.services.es256_keys import PROVIDERS_PATH
from skillcred.services.providers import CACHE_TTL_SECONDS
from skillcred.services.remote import GuardedFetcher, TtlCache, fetch_budget
from skillcred.services.sdjwt_vc import SD_JWT_VC_TYPE, SdJwtVcService
from skillcred.storage.repositories import Providers

ENVELOPED_TYPE = "EnvelopedVerifiableCredential"
DATA_URL_PREFIX = "data:application/dc+sd-jwt,"
#: the typ of SD-JWT VCs before the draft renamed it (still sent by some wallets)
LEGACY_TYPE = "vc+sd-jwt"
#: claims that are the SD-JWT's own, not the credential's
_REGISTERED = ("_sd_alg", "cnf", "status")
METADATA_CACHE_SECONDS = 300.0


def metadata_url(issuer: str) -> str | None:
    """Where an issuer's JWT VC Issuer Metadata is: ``/.well-known/jwt-vc-issuer`` put
    between the host and the path of ``iss`` (SD-JWT VC §5.1)."""
    parts = urlsplit(issuer)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        return None
    return f"https://{parts.netloc}/.well-known/jwt-vc-issuer{parts.path.rstrip('/')}"


def sd_jwt_text(credential: Any) -> str | None:
    """The SD-JWT of a credential given as a compact string, or as a VC 2.0
    ``EnvelopedVerifiableCredential`` (``id: data:application/dc+sd-jwt,<token>``);
    None when the credential is neither."""
    if isinstance(credential, str):
        return credential.strip()
    if isinstance(credential, Mapping):
        types = credential.get("type")
        types = types if isinstance(types, list) else [types]
        identifier = credential.get("id")
        if (
            ENVELOPED_TYPE in types
            and isinstance(identifier, str)
            and identifier.startswith(DATA_URL_PREFIX)
        ):
            return identifier[len(DATA_URL_PREFIX) :]
    return None


#: a provider of this service: its name, and each ES256 key with whether it was reported
#: compromised
_ProviderKeys = tuple[str, list[tuple[ec.EllipticCurvePublicKey, bool]]]


def _problem(code: str, title: str, detail: str) -> Problem:
    return Problem(code=code, title=title, detail=detail)


class SdJwtVerifier:
    def __init__(
        self,
        service: SdJwtVcService,
        *,
        fetcher: GuardedFetcher | None,
        trusted_roots: Callable[[], list[tuple[x509.Certificate, str]]],
        budget_seconds: float,
        budget_fetches: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.service = service
        self.fetcher = fetcher
        self.trusted_roots = trusted_roots
        self.budget_seconds = budget_seconds
        self.budget_fetches = budget_fetches
        self.clock = clock
        self._providers = TtlCache()
        self._metadata = TtlCache(max_entries=256)

    def verify(
        self,
        text: str,
        *,
        nonce: str | None = None,
        audience: str | None = None,
    ) -> VerificationResult:
        """Never raises on bad input; an internal fault is reported, never *valid*."""
        with fetch_budget(self.budget_seconds, self.budget_fetches):
            try:
                return self._verify(text, nonce=nonce, audience=audience)
            except SkillcredError as exc:
                return _unusable(_problem(exc.code, "Cannot verify", exc.detail), "not-performed")

    def _verify(self, text: str, *, nonce: str | None, audience: str | None) -> VerificationResult:
        now = self.clock()
        try:
            sd_jwt = SdJwt.parse(text)
        except SdJwtError as exc:
            return _unusable(_problem("MALFORMED_SD_JWT", "Malformed SD-JWT", exc.detail), "failed")
        header, payload = sd_jwt.jws.header, sd_jwt.jws.payload
        model = CheckResult("dataModel", "passed")
        if header.get("typ") not in (SD_JWT_VC_TYPE, LEGACY_TYPE):
            model = _failed("dataModel", "MALFORMED_SD_JWT", f"typ must be {SD_JWT_VC_TYPE!r}")
        elif not isinstance(payload.get("iss"), str) or not isinstance(payload.get("vct"), str):
            model = _failed("dataModel", "MALFORMED_SD_JWT", "an SD-JWT VC needs iss and vct")
        if model.outcome == "failed":
            return VerificationResult(False, "credential", [model])
        issuer = str(payload["iss"])
        issuer_proof = ProofResult(0, "passed", proof_type=SD_JWT_VC_TYPE, cryptosuite=ES256)
        issuer_proof.verification_method = (
            header.get("kid") if isinstance(header.get("kid"), str) else None
        )
        trust = CheckResult("issuerTrust", "passed", details={"issuer": None, "trusted": False})
        key_status = CheckResult("keyStatus", "passed")
        self._issuer_signature(sd_jwt, issuer, now, issuer_proof, trust, key_status)
        proofs = [issuer_proof]
        disclosed_claims: dict[str, Any] = {}
        disclosed: list[str] = []
        if issuer_proof.outcome == "passed":
            try:
                found = disclose(payload, sd_jwt.disclosures)
                disclosed_claims, disclosed = found.claims, found.disclosed
            except SdJwtError as exc:
                issuer_proof.outcome = "failed"
                issuer_proof.problems.append(_problem(exc.code, exc.title, exc.detail))
        if sd_jwt.kb_jwt is not None or nonce is not None or audience is not None:
            kb_proof = ProofResult(1, "passed", proof_type="kb+jwt", proof_purpose="authentication")
            try:
                check_key_binding(
                    sd_jwt,
                    payload.get("cnf"),
                    nonce=nonce,
                    audience=audience,
                    now=now.timestamp(),
                    # Without a challenge, no freshness is asked for: a presentation kept
                    # in a file stays as genuine as when it was made.
                    max_age=None,
                )
            except KeyBindingError as exc:
                kb_proof.outcome = "failed"
                kb_proof.problems.append(_problem(exc.code, exc.title, exc.detail))
            proofs.append(kb_proof)
        outcome: Outcome = (
            "failed"
            if any(p.outcome == "failed" for p in proofs)
            else "not-performed"
            if any(p.outcome == "not-performed" for p in proofs)
            else "passed"
        )
        checks = [model, CheckResult("proof", outcome, [q for p in proofs for q in p.problems])]
        checks.append(_validity(payload, now))
        checks.append(self._status(payload, now))
        checks.append(key_status)
        trust.details["issuer"] = issuer
        warnings = []
        if not trust.details["trusted"]:
            warning = _problem(
                "UNTRUSTED_ISSUER",
                "Untrusted issuer",
                f"the issuer {issuer} is neither a provider registered here nor certified by "
                "a root on the trust list",
            )
            trust.outcome = "failed"
            trust.problems.append(warning)
            warnings.append(warning)
        checks.append(trust)
        result = VerificationResult(False, "credential", checks, proofs=proofs, warnings=warnings)
        result.verified = result.verdict in ("valid", "untrusted-issuer")
        result.summary = {
            "format": SD_JWT_VC_TYPE,
            "issuer": issuer,
            "vct": payload.get("vct"),
            "claims": {k: v for k, v in disclosed_claims.items() if k not in _REGISTERED},
            "disclosed": disclosed,
            "keyBinding": sd_jwt.kb_jwt is not None,
        }
        return result

    # --- the issuer's key -----------------------------------------------------------------

    def _issuer_signature(
        self,
        sd_jwt: SdJwt,
        issuer: str,
        now: datetime,
        proof: ProofResult,
        trust: CheckResult,
        key_status: CheckResult,
        *,
        fresh: bool = False,
    ) -> None:
        """``fresh``: read the provider's keys from the database, not the brief cache (a
        key made or rotated on another instance since: asked again before *not genuine*)."""
        header = sd_jwt.jws.header
        if header.get("alg") != ES256:
            proof.outcome = "not-performed"
            proof.problems.append(
                _problem(
                    "UNSUPPORTED_ALGORITHM",
                    "Algorithm not supported",
                    f"alg {header.get('alg')!r} is not checked here; ES256 is",
                )
            )
            return
        chain = None
        if "x5c" in header:
            try:
                chain = read_x5c(header["x5c"])
            except ValueError as exc:
                proof.outcome = "failed"
                proof.problems.append(_problem("INVALID_X5C", "Malformed x5c", str(exc)))
                return
        local = self._local_provider(issuer, fresh=fresh)
        if local is not None:
            provider_name, keys = local
            candidates: list[ec.EllipticCurvePublicKey] = [k for k, _c in keys]
            if chain is not None:
                leaf_key = chain[0].public_key()
                if not isinstance(leaf_key, ec.EllipticCurvePublicKey) or not any(
                    same_key(leaf_key, k) for k in candidates
                ):
                    if not fresh:
                        self._issuer_signature(
                            sd_jwt, issuer, now, proof, trust, key_status, fresh=True
                        )
                        return
                    proof.outcome = "failed"
                    proof.problems.append(
                        _problem(
                            "KEY_NOT_ISSUERS",
                            "Key not the issuer's",
                            f"the x5c key is not a key of {issuer} (its provider here has others)",
                        )
                    )
                    return
                candidates = [leaf_key]
            if not any(sd_jwt.jws.verifies_with(k) for k in candidates):
                if not fresh and chain is None:
                    self._issuer_signature(
                        sd_jwt, issuer, now, proof, trust, key_status, fresh=True
                    )
                    return
                proof.outcome = "failed"
                proof.problems.append(
                    _problem(
                        "INVALID_SIGNATURE",
                        "Signature does not verify",
                        f"the SD-JWT's signature is not made by a key of {issuer}",
                    )
                )
                return
            if any(compromised and sd_jwt.jws.verifies_with(k) for k, compromised in keys):
                # Genuine, but not to be relied on: revoked through the key (DESIGN.md).
                key_status.outcome = "failed"
                key_status.problems.append(
                    _problem(
                        "KEY_COMPROMISED",
                        "Key reported compromised",
                        "the SD-JWT is signed with a key its issuer reported compromised",
                    )
                )
            trust.details.update(
                {
                    "trusted": True,
                    "issuerName": provider_name,
                    "source": "provider registered here",
                    "basis": "registered",
                }
            )
            return
        answer = None
        if chain is not None:
            roots = self.trusted_roots()
            answer = check_chain(chain, [c for c, _n in roots], now=now)
            if not sd_jwt.jws.verifies_with(answer.leaf_key):
                proof.outcome = "failed"
                proof.problems.append(
                    _problem(
                        "INVALID_SIGNATURE",
                        "Signature does not verify",
                        "the SD-JWT's signature does not verify with the x5c key",
                    )
                )
                return
            if answer.root is not None:
                if issuer not in answer.san_uris:
                    proof.outcome = "failed"
                    proof.problems.append(
                        _problem(
                            "KEY_NOT_ISSUERS",
                            "Key not the issuer's",
                            f"the x5c certificate names {', '.join(answer.san_uris) or 'no URI'}"
                            f", not {issuer}",
                        )
                    )
                    return
                name = next((n for c, n in roots if c == answer.root), None)
                trust.details.update(
                    {
                        "trusted": True,
                        "issuerName": name,
                        "source": "trust list (X.509 root)",
                        "basis": "trust-list",
                    }
                )
                return
        # No x5c, or one that chains to no trusted root: the issuer's own JWT VC Issuer
        # Metadata (SD-JWT VC §5) says which keys are its.
        listed, why = self._metadata_keys(issuer)
        if listed is None:
            proof.outcome = "not-performed"
            untrusted = answer is not None
            proof.problems.append(
                _problem(
                    "UNTRUSTED_CHAIN" if untrusted else "ISSUER_KEY_UNKNOWN",
                    "Key chains to no trusted root" if untrusted else "Issuer key not known",
                    (f"{answer.problem}, and " if answer is not None else "")
                    + f"{issuer}'s issuer metadata could not be had ({why}): that the key "
                    "belongs to the issuer cannot be established",
                )
            )
            return
        candidates = listed
        if answer is not None:
            candidates = [k for k in listed if same_key(k, answer.leaf_key)]
        if not any(sd_jwt.jws.verifies_with(k) for k in candidates):
            proof.outcome = "failed"
            proof.problems.append(
                _problem(
                    "KEY_NOT_ISSUERS",
                    "Key not the issuer's",
                    f"the SD-JWT is not signed by a key {issuer} lists in its issuer metadata",
                )
            )
            return
        trust.details["source"] = "issuer metadata (no trusted root)"

    def _metadata_keys(self, issuer: str) -> tuple[list[ec.EllipticCurvePublicKey] | None, str]:
        """The P-256 keys of an issuer's JWT VC Issuer Metadata (None: not had, and why)."""
        url = metadata_url(issuer)
        if url is None:
            return None, "the issuer is not an https URL"
        cached = self._metadata.get(url)
        if cached is not None:
            return list(cached), ""
        if self.fetcher is None:
            return None, "remote lookups are off"
        try:
            document = json.loads(self.fetcher.fetch(url))
        except SkillcredError as exc:
            return None, exc.detail
        except ValueError:
            return None, f"{url} is not JSON"
        if not isinstance(document, Mapping) or document.get("issuer") != issuer:
            return None, f"{url} is not the metadata of {issuer}"
        jwks = document.get("jwks")
        entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(entries, list):
            return None, f"{url} has no jwks (jwks_uri is not followed)"
        keys = []
        for entry in entries:
            try:
                keys.append(public_key_from_jwk(entry))
            except SkillcredError:
                continue  # a key of another type: not one that signs ES256
        self._metadata.put(url, tuple(keys), METADATA_CACHE_SECONDS)
        return keys, ""

    def _local_provider(self, issuer: str, *, fresh: bool = False) -> _ProviderKeys | None:
        prefix = self.service.base_url + PROVIDERS_PATH
        if not issuer.startswith(prefix) or "/" in issuer[len(prefix) :]:
            return None
        cached: _ProviderKeys | None = None if fresh else self._providers.get(issuer)
        if cached is not None:
            return cached
        with self.service.database.reading() as session:
            provider = Providers(session).by_slug(issuer[len(prefix) :])
        if provider is None:
            return None
        found: _ProviderKeys = (provider.name, self.service.provider_public_keys(provider.id))
        # Kept as briefly as the provider directory keeps a signing key: a compromise
        # reported on another instance takes effect here within the same bound.
        self._providers.put(issuer, found, CACHE_TTL_SECONDS)
        return found

    def forget(self) -> None:
        """Forget the providers' keys read (a key rotated or reported compromised here)."""
        self._providers.clear()

    # --- status ----------------------------------------------------------------------------

    def _status(self, payload: Mapping[str, Any], now: datetime) -> CheckResult:
        status = payload.get("status")
        if status is None:
            return CheckResult("status", "skipped")
        reference = status.get("status_list") if isinstance(status, Mapping) else None
        idx = reference.get("idx") if isinstance(reference, Mapping) else None
        uri = reference.get("uri") if isinstance(reference, Mapping) else None
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0 or not isinstance(uri, str):
            return _not_performed(
                "status",
                "STATUS_VERIFICATION_ERROR",
                "status.status_list must be {idx: a non-negative integer, uri}",
            )
        details: dict[str, Any] = {"statusListUri": uri, "statusListIndex": idx}
        try:
            list_id = self.service.local_token_list_id(uri)
            if list_id is not None:
                # Our own list: read from the rows its token is made of, as the Data
                # Integrity path reads its own Bitstring Status Lists.
                value = self.service.local_status(list_id, idx, issuer=str(payload["iss"]))
                details["source"] = "local"
            else:
                token = self._remote_token(uri)
                jws, bits = read_token(token, uri=uri, now=now.timestamp())
                if not self._list_signed_by_issuer(jws, payload):
                    return _not_performed(
                        "status",
                        "STATUS_LIST_UNVERIFIED",
                        "the status list token is not signed by the credential's issuer",
                        details,
                    )
                value = bits.get(idx)
                details["source"] = "remote"
        except (SkillcredError, ValueError, IndexError) as exc:
            detail = exc.detail if isinstance(exc, SkillcredError) else str(exc)
            return _not_performed(
                "status",
                "STATUS_LIST_UNAVAILABLE",
                f"the status list {uri} could not be read: {detail}",
                details,
            )
        details["status"] = value
        if value == VALID:
            return CheckResult("status", "passed", details=details)
        if value == INVALID:
            return _failed("status", "CREDENTIAL_REVOKED", "the credential is revoked", details)
        if value == SUSPENDED:
            return _failed("status", "CREDENTIAL_SUSPENDED", "the credential is suspended", details)
        # Neither revoked nor suspended, and what else it means is the issuer's (0x03 and
        # 0x0C-0x0F are application-specific): not a verdict word, so it is not checked.
        return _not_performed(
            "status",
            "CREDENTIAL_STATUS_FLAGGED",
            f"the status list gives the credential the status {value}",
            details,
        )

    def _remote_token(self, uri: str) -> str:
        if self.fetcher is None:
            raise NotFoundError("remote status lists are not fetched here")
        return self.fetcher.fetch(uri, accept="application/statuslist+jwt").decode("ascii").strip()

    def _list_signed_by_issuer(self, jws: Any, payload: Mapping[str, Any]) -> bool:
        """The list is signed by a key of the credential's issuer: a provider's key here;
        elsewhere an x5c key certified for the issuer by a trusted root, or a key of the
        issuer's metadata."""
        local = self._local_provider(str(payload.get("iss")))
        if local is not None:
            return any(jws.verifies_with(k) for k, _c in local[1])
        issuer = str(payload.get("iss"))
        if "x5c" in jws.header:
            try:
                chain = read_x5c(jws.header.get("x5c"))
            except ValueError:
                return False
            key = chain[0].public_key()
            answer = check_chain(chain, [c for c, _n in self.trusted_roots()], now=self.clock())
            if (
                isinstance(key, ec.EllipticCurvePublicKey)
                and answer.root is not None
                and issuer in answer.san_uris
                and jws.verifies_with(key)
            ):
                return True
        listed, _why = self._metadata_keys(issuer)
        return listed is not None and any(jws.verifies_with(k) for k in listed)


def _failed(
    check: str, code: str, detail: str, details: dict[str, Any] | None = None
) -> CheckResult:
    return CheckResult(
        check,
        "failed",
        [_problem(code, code.replace("_", " ").capitalize(), detail)],
        details or {},
    )


def _not_performed(
    check: str, code: str, detail: str, details: dict[str, Any] | None = None
) -> CheckResult:
    return CheckResult(
        check,
        "not-performed",
        [_problem(code, code.replace("_", " ").capitalize(), detail)],
        details or {},
    )


def _unusable(problem: Problem, outcome: Any) -> VerificationResult:
    check = CheckResult("dataModel", outcome, [problem])
    return VerificationResult(False, "credential", [check])


def _validity(payload: Mapping[str, Any], now: datetime) -> CheckResult:
    moment = now.timestamp()
    nbf, exp = payload.get("nbf"), payload.get("exp")
    details: dict[str, Any] = {}
    for name, value in (("nbf", nbf), ("exp", exp)):
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            return _failed("validityPeriod", "MALFORMED_SD_JWT", f"{name} must be a NumericDate")
    if isinstance(exp, int | float) and moment >= exp:
        check = _failed(
            "validityPeriod",
            "CREDENTIAL_EXPIRED",
            f"the credential expired at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(exp))}",
        )
        check.details["reason"] = "expired"
        return check
    if isinstance(nbf, int | float) and moment < nbf:
        check = _failed(
            "validityPeriod",
            "CREDENTIAL_NOT_YET_VALID",
            f"the credential is valid from {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(nbf))}",
        )
        check.details["reason"] = "not-yet-valid"
        return check
    return CheckResult("validityPeriod", "passed", details=details)
