"""The employer asks the worker's wallet: presentation requests over OpenID4VP 1.0
(``direct_post``, DCQL, ``ldp_vc`` or ``dc+sd-jwt`` with only the claims needed) and VC-API
exchanges (the DCC Learner Credential
Wallet), answered once, verified with this service's verifier, holder binding required.

Nothing is kept past a result's lifetime but the audit line written when it was answered.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import orjson
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.keys import Ed25519KeyPair, load_key_file
from skillcred.core.passport import report
from skillcred.core.presentation_request import (
    SD_JWT_VC,
    Answer,
    ResponseMismatch,
    SkillQuery,
    check_answer,
    dcql_query,
    match_presentation,
    parse_purpose,
    parse_query,
    parse_vp_token,
    vpr_query,
)
from skillcred.core.proofs import Problem
from skillcred.core.verifying import PRESENTED_BY_HOLDER
from skillcred.errors import (
    ConfigurationError,
    NotFoundError,
    PresentationRequestGoneError,
    PresentationResponseError,
    RequestError,
)
from skillcred.services import audit
from skillcred.services.sdjwt_presentation import vcts_by_type, verify_answer
from skillcred.services.sdjwt_verify import SdJwtVerifier
from skillcred.services.verification import BudgetedVerifier
from skillcred.storage.db import Database
from skillcred.storage.models import PresentationRequest
from skillcred.storage.repositories import PresentationRequests

#: RFC 9101 §4 / OpenID4VP 1.0 §5: the media type and ``typ`` of a signed request object
REQUEST_OBJECT_TYPE = "oauth-authz-req+jwt"
#: OpenID4VP 1.0 §5.8: the audience of a request object for a wallet without metadata
STATIC_AUDIENCE = "https://self-issued.me/v2"
#: the Learner Credential Wallet's deep link (it reads ``request``: origin and protocols)
LCW_DEEP_LINK = "https://lcw.app/request.html"
#: the Data Integrity cryptosuites this verifier checks (client_metadata)
CRYPTOSUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
#: a request unanswered past its end is kept this long before it is purged, so that a
#: late answer is told "expired" rather than "unknown"
LATE_GRACE = timedelta(minutes=10)


def _token(nbytes: int) -> str:
    return secrets.token_urlsafe(nbytes)


def qr_svg(data: str) -> str:
    """A QR code (error correction M, as wallet scanners expect) as an SVG data URI."""
    code = segno.make(data, error="m", micro=False)
    svg: str = code.svg_data_uri(scale=4, border=4)
    return svg


@dataclass(frozen=True, slots=True)
class VerifierIdentity:
    """How the verifier names itself to wallets (OpenID4VP 1.0 §5.9)."""

    name: str
    logo_uri: str | None
    #: signs request objects; None: the ``redirect_uri`` prefix, unsigned requests
    key: Ed25519KeyPair | None

    def client_id(self, response_uri: str) -> str:
        if self.key is None:
            # §5.9.3: the Client Identifier is the exact response_uri (direct_post).
            return "redirect_uri:" + response_uri
        return "decentralized_identifier:" + self.key.controller

    def client_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "client_name": self.name,
            "vp_formats_supported": {
                "ldp_vc": {
                    "proof_type_values": ["DataIntegrityProof"],
                    "cryptosuite_values": CRYPTOSUITES,
                },
                # Appendix B.3.4: the algorithms of the issuer's JWT and of the KB-JWT
                SD_JWT_VC: {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]},
            },
        }
        if self.logo_uri is not None:
            metadata["logo_uri"] = self.logo_uri
        return metadata

    def sign(self, payload: Mapping[str, Any]) -> str:
        """A compact JWS (EdDSA, Ed25519) with ``kid`` the verification method DID URL."""
        assert self.key is not None
        private = Ed25519PrivateKey.from_private_bytes(self.key.seed())
        token: str = jwt.encode(
            dict(payload),
            private,
            algorithm="EdDSA",
            headers={"typ": REQUEST_OBJECT_TYPE, "kid": self.key.verification_method},
        )
        return token


@dataclass
class PresentationRequestService:
    database: Database
    verification: BudgetedVerifier
    base_url: str
    identity: VerifierIdentity
    request_ttl: timedelta
    result_ttl: timedelta
    default_query: Any = None
    default_purpose: str | None = None
    #: verifies dc+sd-jwt answers; without it, requests ask for ldp_vc only
    sd_jwt_verifier: SdJwtVerifier | None = None

    def __post_init__(self) -> None:
        # A deployment's default request is checked when the service starts, not on the
        # first employer who asks.
        try:
            parse_query(self.default_query)
            parse_purpose(self.default_purpose)
        except RequestError as exc:
            raise ConfigurationError(
                f"SKILLCRED_PRESENTATION_DEFAULT_QUERY / _PURPOSE: {exc.detail}"
            ) from exc

    # ------------------------------------------------------------------ URLs

    def response_uri(self, request_id: str) -> str:
        return f"{self.base_url}/presentation-requests/{request_id}/response"

    def request_uri(self, request_id: str) -> str:
        return f"{self.base_url}/presentation-requests/{request_id}/request-object"

    def exchange_url(self, request_id: str) -> str:
        return f"{self.base_url}/presentation-requests/{request_id}/exchange"

    def result_url(self, result_id: str) -> str:
        return f"{self.base_url}/presentation-results/{result_id}"

    @property
    def vcapi_domain(self) -> str:
        """The ``domain`` a VC-API holder signs for: this verifier's origin."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    # ---------------------------------------------------------------- create

    def create(self, *, query: Any, purpose: Any, now: datetime | None = None) -> dict[str, Any]:
        """A new request; bad input raises RequestError and changes nothing."""
        queries = parse_query(query if query is not None else self.default_query)
        if self.sd_jwt_verifier is None and any(q.format == SD_JWT_VC for q in queries):
            raise RequestError("query.format: this verifier does not ask for dc+sd-jwt")
        text = parse_purpose(purpose) if purpose is not None else self.default_purpose
        moment = now or utc_now()
        request_id, result_id = _token(24), _token(32)
        row = PresentationRequest(
            id=request_id,
            result_id=result_id,
            nonce=_token(32),
            client_id=self.identity.client_id(self.response_uri(request_id)),
            query=orjson.dumps([q.to_json() for q in queries]).decode(),
            purpose=text,
            created_at=moment,
            expires_at=moment + self.request_ttl,
        )
        with self.database.writing() as session:
            repository = PresentationRequests(session)
            repository.purge(moment, unanswered_before=moment - LATE_GRACE)
            repository.add(row)
        openid4vp = self.openid4vp_uri(row, queries)
        vcapi = self.vcapi_deep_link(row)
        return {
            "id": request_id,
            "openid4vpRequest": openid4vp,
            "vcapiRequest": vcapi,
            "resultUrl": self.result_url(result_id),
            "expires": format_date_time(row.expires_at),
            "clientId": row.client_id,
            "query": [q.to_json() for q in queries],
            "purpose": text,
            "qrCodes": {"openid4vp": qr_svg(openid4vp), "vcapi": qr_svg(vcapi)},
        }

    def authorization_request(
        self, row: PresentationRequest, queries: tuple[SkillQuery, ...]
    ) -> dict[str, Any]:
        """The Authorization Request parameters (OpenID4VP 1.0 §5.1)."""
        params: dict[str, Any] = {
            "response_type": "vp_token",
            "client_id": row.client_id,
            "response_uri": self.response_uri(row.id),
            "response_mode": "direct_post",
            "nonce": row.nonce,
            "state": row.id,
            "dcql_query": dcql_query(
                queries,
                vcts=vcts_by_type(self.sd_jwt_verifier) if self.sd_jwt_verifier else None,
            ),
            "client_metadata": self.identity.client_metadata(),
        }
        return params

    def openid4vp_uri(self, row: PresentationRequest, queries: tuple[SkillQuery, ...]) -> str:
        if self.identity.key is not None:
            # By reference (RFC 9101 §5.2): the wallet fetches the signed request object.
            return "openid4vp://?" + urlencode(
                {"client_id": row.client_id, "request_uri": self.request_uri(row.id)}
            )
        # redirect_uri: the request MUST NOT be signed (§5.9.3), and a request_uri must
        # give a signed request object (RFC 9101): so the parameters go by value.
        params = self.authorization_request(row, queries)
        return "openid4vp://?" + urlencode(
            {
                k: (json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v)
                for k, v in params.items()
            }
        )

    def vcapi_deep_link(self, row: PresentationRequest) -> str:
        request = {
            "credentialRequestOrigin": self.vcapi_domain,
            "protocols": {"vcapi": self.exchange_url(row.id)},
        }
        return f"{LCW_DEEP_LINK}?request=" + quote(
            json.dumps(request, separators=(",", ":")), safe=""
        )

    # ------------------------------------------------------- wallet reading

    def _open(self, request_id: str, now: datetime) -> PresentationRequest:
        with self.database.reading() as session:
            row = PresentationRequests(session).get(request_id)
            if row is None:
                raise NotFoundError(f"there is no presentation request {request_id!r}")
            row = _detach(session, row)
        if row.answered_at is not None:
            raise PresentationRequestGoneError(
                "this presentation request has been answered already; each is answered once"
            )
        if row.expires_at <= now:
            raise PresentationRequestGoneError(
                f"this presentation request expired at {format_date_time(row.expires_at)}"
            )
        return row

    def request_object(self, request_id: str, now: datetime | None = None) -> str:
        """The signed request object (decentralized_identifier) a wallet fetches."""
        moment = now or utc_now()
        row = self._open(request_id, moment)
        if self.identity.key is None:
            raise NotFoundError(
                "this verifier sends unsigned requests by value (client identifier prefix "
                "redirect_uri); there is no request object to fetch"
            )
        payload = {
            **self.authorization_request(row, _queries(row)),
            "aud": STATIC_AUDIENCE,
            "iss": self.identity.key.controller,
            "iat": int(moment.timestamp()),
            "exp": int(row.expires_at.timestamp()),
        }
        return self.identity.sign(payload)

    def verifiable_presentation_request(self, request_id: str) -> dict[str, Any]:
        """VC-API exchange step one: what the wallet is asked for."""
        row = self._open(request_id, utc_now())
        if any(q.format == SD_JWT_VC for q in _queries(row)):
            raise RequestError(
                "this request asks for dc+sd-jwt credentials: answer it over OpenID4VP"
            )
        return {
            "query": vpr_query(_queries(row), purpose=row.purpose),
            "challenge": row.nonce,
            "domain": self.vcapi_domain,
            "interact": {
                "service": [
                    {
                        "type": "UnmediatedPresentationService2021",
                        "serviceEndpoint": self.exchange_url(row.id),
                    }
                ]
            },
        }

    # ------------------------------------------------------------- answers

    def answer_openid4vp(self, request_id: str, form: Mapping[str, str]) -> dict[str, Any]:
        """A ``direct_post`` Authorization Response (OpenID4VP 1.0 §8.2)."""
        row = self._claim(request_id)
        if "state" in form and form["state"] != row.id:
            return self._refuse(row, "openid4vp", "state does not match this request")
        if "error" in form:
            # The wallet declined (§8.5: e.g. access_denied): nothing to verify.
            detail = f"the wallet answered {form['error']}" + (
                f": {form['error_description']}" if form.get("error_description") else ""
            )
            self._store(row, "openid4vp", _refusal("WALLET_DECLINED", detail, "cannot-check"))
            return {}
        if "vp_token" not in form:
            return self._refuse(row, "openid4vp", "the response has no vp_token")
        queries = _queries(row)
        try:
            answer = parse_vp_token(form["vp_token"], queries)
            check_answer(answer, queries)
        except ResponseMismatch as exc:
            return self._refuse(row, "openid4vp", str(exc))
        if answer.sd_jwts:
            return self._verify_sd_jwt(row, answer, queries)
        return self._verify(row, "openid4vp", answer, domain=row.client_id)

    def _verify_sd_jwt(
        self, row: PresentationRequest, answer: Answer, queries: tuple[SkillQuery, ...]
    ) -> dict[str, Any]:
        """dc+sd-jwt: the KB-JWT's nonce is this request's, its aud the client_id
        (OpenID4VP 1.0 Appendix B.3.6)."""
        assert self.sd_jwt_verifier is not None
        try:
            body = verify_answer(
                self.sd_jwt_verifier, answer, queries, nonce=row.nonce, audience=row.client_id
            )
        except ResponseMismatch as exc:
            return self._refuse(row, "openid4vp", str(exc))
        body["presentationRequest"] = {
            "id": row.id,
            "protocol": "openid4vp",
            "presentedByHolder": body["checks"][0]["outcome"] == "passed",
            "answered": format_date_time(utc_now()),
        }
        self._store(row, "openid4vp", body)
        return {}

    def answer_vcapi(self, request_id: str, presentation: Any) -> dict[str, Any]:
        """VC-API exchange step two: the holder's presentation (DIDAuthentication)."""
        row = self._claim(request_id)
        try:
            answer = match_presentation(presentation, _queries(row))
        except ResponseMismatch as exc:
            return self._refuse(row, "vcapi", str(exc))
        return self._verify(row, "vcapi", answer, domain=self.vcapi_domain)

    def _claim(self, request_id: str) -> PresentationRequest:
        """The request, now marked answered: the one answer it takes."""
        moment = utc_now()
        with self.database.writing() as session:
            repository = PresentationRequests(session)
            found = repository.get(request_id)
            if found is None:
                raise PresentationResponseError(f"there is no presentation request {request_id!r}")
            row = _detach(session, found)
            if row.answered_at is not None:
                raise PresentationResponseError(
                    "this presentation request has been answered already (a replayed "
                    "response); each request takes one answer"
                )
            if row.expires_at <= moment:
                raise PresentationResponseError(
                    f"this presentation request expired at {format_date_time(row.expires_at)}"
                )
            if not repository.claim(request_id, moment):
                raise PresentationResponseError(
                    "this presentation request has been answered already; each request "
                    "takes one answer"
                )
        return row

    def _verify(
        self, row: PresentationRequest, protocol: str, answer: Answer, *, domain: str
    ) -> dict[str, Any]:
        distinct: list[Mapping[str, Any]] = []
        for presentation, _ids in answer.presentations:
            if presentation not in distinct:
                distinct.append(presentation)
        if len(distinct) != 1:
            return self._refuse(
                row,
                protocol,
                f"the response holds {len(distinct)} different presentations; send the "
                "skill credentials in one presentation (the same one under each query id)",
            )
        presentation = distinct[0]
        result = self.verification.verify_presentation(
            presentation,
            challenge=row.nonce,
            domain=domain,
            holder_binding_required=True,
        )
        body = report(presentation, result)
        presented = result.find_check(PRESENTED_BY_HOLDER)
        body["presentationRequest"] = {
            "id": row.id,
            "protocol": protocol,
            "presentedByHolder": presented is not None and presented.outcome == "passed",
            "answered": format_date_time(utc_now()),
        }
        self._store(row, protocol, body)
        return {}

    def _refuse(self, row: PresentationRequest, protocol: str, detail: str) -> dict[str, Any]:
        """A response that does not answer the request: the request is used up (nothing
        else is accepted for it), the page is told why, the wallet gets invalid_request."""
        self._store(row, protocol, _refusal("PRESENTATION_DOES_NOT_MATCH_REQUEST", detail))
        raise PresentationResponseError(detail)

    def _store(self, row: PresentationRequest, protocol: str, body: dict[str, Any]) -> None:
        moment = utc_now()
        body.setdefault(
            "presentationRequest",
            {"id": row.id, "protocol": protocol, "presentedByHolder": False},
        )
        with self.database.writing() as session:
            repository = PresentationRequests(session)
            repository.set_result(row.id, orjson.dumps(body).decode(), moment + self.result_ttl)
            # Results nobody came to read, and requests nobody answered, go now too.
            repository.purge(moment, unanswered_before=moment - LATE_GRACE)
            # The one thing kept past the result's lifetime: who asked what was answered
            # how, without the credentials or who presented them.
            audit.record(
                session,
                actor="wallet",
                action="presentation.answered",
                subject=f"urn:skillcred:presentation-request:{row.id}",
                data={
                    "protocol": protocol,
                    "verdict": body.get("verdict"),
                    "verified": bool(body.get("verified")),
                    "credentials": len(body.get("credentialResults") or []),
                },
                at=moment,
            )

    # --------------------------------------------------------------- result

    def result(self, result_id: str) -> tuple[int, dict[str, Any]]:
        """(202, waiting) until answered and verified, then (200, the result) — once."""
        moment = utc_now()
        with self.database.reading() as session:
            row = PresentationRequests(session).by_result_id(result_id)
            if row is None:
                raise NotFoundError(
                    "there is no such presentation result (never made, already read, or "
                    "past its lifetime)"
                )
            row = _detach(session, row)
        if row.result is None:
            if row.answered_at is None and row.expires_at <= moment:
                raise PresentationRequestGoneError(
                    f"the request expired at {format_date_time(row.expires_at)} unanswered",
                    oauth_error="expired",
                )
            return 202, {
                "status": "verifying" if row.answered_at is not None else "waiting",
                "expires": format_date_time(row.expires_at),
            }
        if row.result_expires_at is not None and row.result_expires_at <= moment:
            raise NotFoundError("the presentation result is past its lifetime")
        with self.database.writing() as session:
            if not PresentationRequests(session).take_result(result_id):
                raise NotFoundError("the presentation result has been read already")
        body: dict[str, Any] = orjson.loads(row.result)
        return 200, body


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored in UTC).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _detach(session: Any, row: PresentationRequest) -> PresentationRequest:
    session.expunge(row)
    row.created_at = _aware(row.created_at)
    row.expires_at = _aware(row.expires_at)
    if row.answered_at is not None:
        row.answered_at = _aware(row.answered_at)
    if row.result_expires_at is not None:
        row.result_expires_at = _aware(row.result_expires_at)
    return row


def _queries(row: PresentationRequest) -> tuple[SkillQuery, ...]:
    stored = orjson.loads(row.query)
    return parse_query({"skills": stored})


def _refusal(code: str, detail: str, verdict: str = "invalid") -> dict[str, Any]:
    """A result body (the /presentations/verify shape) for an answer that was not verified."""
    problem = Problem(code, "Not verified", detail).to_json()
    return {
        "verified": False,
        "verdict": verdict,
        "verdictReason": detail,
        "kind": "presentation",
        "checks": [{"check": "presentationRequest", "outcome": "failed", "problems": [problem]}],
        "proofs": [],
        "warnings": [],
        "errors": [problem],
        "credentialResults": [],
        "skills": [],
    }


def load_identity(name: str, logo_uri: str | None, key_file: Path | None) -> VerifierIdentity:
    key = load_key_file(Path(key_file).read_bytes()) if key_file is not None else None
    return VerifierIdentity(name=name, logo_uri=logo_uri, key=key)


__all__ = [
    "PresentationRequestService",
    "VerifierIdentity",
    "load_identity",
    "qr_svg",
]
