"""Wallet delivery: credential offers collected over OpenID4VCI 1.0 or a VC-API exchange.

An offer holds a skill-shaped request until a wallet collects it. The wallet proves it
holds a key (an OpenID4VCI key proof, or a DIDAuthentication presentation), and the
credential is then issued through the ordinary skill issuance, bound to that key
(``credentialSubject.id``). Over OpenID4VCI the wallet chooses the format: ``ldp_vc`` (the
Data Integrity credential) or ``dc+sd-jwt`` (its SD-JWT VC twin, bound to the key proof's
P-256 key in ``cnf.jwk``; the Data Integrity credential is issued and stored beside it, so
both carry the same status). Each offer is delivered at most once: every step moves the
offer from one state to the next with a conditional update inside a write transaction,
so of two concurrent requests exactly one goes on.

Secrets: one random *handle* (256 bits) is shown to the worker (in the offer URI and the
claim page URL); the pre-authorized code and the exchange id are derived from it (HMAC),
so the claim page can show them again, yet the database holds only SHA-256 hashes. The
transaction code is hashed together with the code it belongs to, so a stolen database
does not give it away; it allows ``MAX_TX_TRIES`` wrong tries, then the offer is locked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from anyio import to_thread
from sqlalchemy.orm import Session

from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.jsonld.loader import CREDENTIALS_V2
from skillcred.core.openid4vci import KeyProof, verify_key_proof
from skillcred.core.verifying import VerificationResult
from skillcred.errors import (
    ConflictError,
    InvalidCredentialRequestError,
    InvalidGrantError,
    InvalidNonceError,
    InvalidProofError,
    InvalidTokenError,
    NotFoundError,
    OAuthError,
    RequestError,
    SkillcredError,
    UnknownCredentialConfigurationError,
    UnsupportedGrantTypeError,
)
from skillcred.services import audit
from skillcred.services.sdjwt_vc import SD_JWT_VC_TYPE, SKILL_KINDS
from skillcred.services.skill_issuer import SkillIssuer
from skillcred.services.skills import SkillCredentialRequest, SkillService, draft_skill_credential
from skillcred.storage.db import Database
from skillcred.storage.models import Offer, OfferExchange, OfferNonce, Provider
from skillcred.storage.repositories import OPEN_OFFER_STATES, Offers, Providers

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#: the Data Integrity credential configuration (every offer has it)
CONFIGURATION_ID = "SkillCredential_ldp_vc"
#: the SD-JWT VC configurations, one per kind of skill (each names its own ``vct``); an
#: offer has the one of its skill's kind
SD_JWT_CONFIGURATIONS = {
    kind: f"SkillCredential_{kind}_{SD_JWT_VC_TYPE}" for kind in SKILL_KINDS.values()
}
#: draft-era format names wallets send for an SD-JWT VC (draft 13 and older: vc+sd-jwt)
SD_JWT_FORMATS = (SD_JWT_VC_TYPE, "vc+sd-jwt")
#: the one VC-API workflow: a skill credential for a DIDAuthentication
WORKFLOW = "skill-credential"
#: the Learner Credential Wallet's universal link for VC-API requests
LCW_REQUEST = "https://lcw.app/request.html"
MAX_TX_TRIES = 5
TX_CODE_LENGTH = 6


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _derive(handle: str, purpose: str) -> str:
    mac = hmac.new(handle.encode(), purpose.encode(), hashlib.sha256).digest()
    return secrets_b64(mac)


def secrets_b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def pre_authorized_code(handle: str) -> str:
    return _derive(handle, "pre-authorized_code")


def exchange_id_for(handle: str) -> str:
    return _derive(handle, "vcapi-exchange")


def tx_code_digest(code: str, tx_code: str) -> str:
    return digest(f"{code}:{tx_code}")


@dataclass(frozen=True, slots=True)
class OfferLinks:
    """What a worker needs to collect an offer (none of it is stored in clear)."""

    handle: str
    credential_offer: str
    credential_offer_uri: str
    claim_url: str
    exchange_url: str
    vcapi_request: str


@dataclass(frozen=True, slots=True)
class CreatedOffer:
    offer: Offer
    links: OfferLinks
    tx_code: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.offer.id,
            "credentialOffer": self.links.credential_offer,
            "txCode": self.tx_code,
            "claimUrl": self.links.claim_url,
            "vcapiRequest": self.links.vcapi_request,
            "expires": format_date_time(self.offer.expires_at),
        }


def offer_json(offer: Offer) -> dict[str, Any]:
    """An offer as its provider sees it later (no secrets, no personal data)."""
    return {
        "id": offer.id,
        "state": offer.state,
        "created": format_date_time(aware_utc(offer.created_at)),
        "expires": format_date_time(aware_utc(offer.expires_at)),
        "deliveredVia": offer.delivered_via,
        "credentialId": offer.credential_id,
        "transactionCodeTries": offer.tx_attempts,
    }


def aware_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


IssuerFor = Callable[[Provider, str], SkillIssuer]
#: (provider, credential id, holder's public JWK) -> the SD-JWT VC twin
TwinIssuer = Callable[[Provider, str, Mapping[str, Any]], str]
PresentationCheck = Callable[[Any, str, str], Awaitable[VerificationResult]]


class OfferService:
    def __init__(
        self,
        database: Database,
        *,
        skills: SkillService,
        issuer_for: IssuerFor,
        base_url: str,
        ttl_seconds: int,
        token_ttl_seconds: int,
        twin_for: TwinIssuer | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.skills = skills
        self.issuer_for = issuer_for
        self.twin_for = twin_for
        self.base_url = base_url
        self.ttl_seconds = ttl_seconds
        self.token_ttl_seconds = token_ttl_seconds
        self.clock = clock

    # --- endpoints and links -----------------------------------------------------------

    @property
    def credential_issuer(self) -> str:
        # Byte for byte the credential_issuer of the metadata and of every offer.
        return self.base_url

    @property
    def exchange_domain(self) -> str:
        return self.base_url

    def links(self, handle: str) -> OfferLinks:
        offer_uri = f"{self.base_url}/openid4vci/credential-offer/{handle}"
        exchange_url = f"{self.base_url}/workflows/{WORKFLOW}/exchanges/{exchange_id_for(handle)}"
        return OfferLinks(
            handle=handle,
            credential_offer="openid-credential-offer://?"
            + urlencode({"credential_offer_uri": offer_uri}, quote_via=quote),
            credential_offer_uri=offer_uri,
            claim_url=f"{self.base_url}/claim/{handle}",
            exchange_url=exchange_url,
            vcapi_request=self.vcapi_request(exchange_url),
        )

    def vcapi_request(self, exchange_url: str) -> str:
        request = {"credentialRequestOrigin": self.base_url, "protocols": {"vcapi": exchange_url}}
        return (
            LCW_REQUEST
            + "?"
            + urlencode({"request": json.dumps(request, separators=(",", ":"))}, quote_via=quote)
        )

    # --- the provider's side -------------------------------------------------------------

    def create(
        self,
        provider: Provider,
        request: SkillCredentialRequest,
        *,
        actor: str,
        expires_in: int | None = None,
        with_tx_code: bool = True,
    ) -> CreatedOffer:
        if request.holder.id is not None:
            raise RequestError(
                "holder.id: an offer binds the credential to the key of the wallet that "
                "collects it; leave holder.id out (issue with POST /skill-credentials instead)"
            )
        # Fail now, not when the worker scans the code: the skill, level and dates must do.
        stand_in = request.model_copy(
            update={"holder": request.holder.model_copy(update={"id": "urn:uuid:" + "0" * 32})}
        )
        draft_skill_credential(self.skills, provider, stand_in)
        now = self.clock()
        ttl = self.ttl_seconds if expires_in is None else expires_in
        if not 60 <= ttl <= 90 * 24 * 3600:
            raise RequestError("expiresIn: an offer lives between 60 seconds and 90 days")
        handle = secrets.token_urlsafe(32)
        code = pre_authorized_code(handle)
        tx_code = (
            f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}" if with_tx_code else None
        )
        offer = Offer(
            id=str(uuid.uuid4()),
            provider_id=provider.id,
            state="offered",
            request=request.model_dump_json(exclude_none=True),
            handle_hash=digest(handle),
            code_hash=digest(code),
            tx_code_hash=None if tx_code is None else tx_code_digest(code, tx_code),
            tx_attempts=0,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
        with self.database.writing() as session:
            repository = Offers(session)
            self._expire(session, now)
            repository.add(offer)
            repository.add_exchange(
                OfferExchange(
                    id_hash=digest(exchange_id_for(handle)), offer_id=offer.id, created_at=now
                )
            )
            audit.record(
                session,
                actor=actor,
                action="offer.created",
                provider_id=provider.id,
                subject=f"urn:uuid:{offer.id}",
                data={"expires": format_date_time(offer.expires_at), "txCode": tx_code is not None},
                at=now,
            )
        return CreatedOffer(offer, self.links(handle), tx_code)

    def withdraw(self, provider: Provider, offer_id: str, *, actor: str) -> dict[str, Any]:
        now = self.clock()
        with self.database.writing() as session:
            repository = Offers(session)
            offer = repository.owned(provider.id, offer_id)
            if offer is None:
                raise NotFoundError(f"offer: this provider has no offer {offer_id!r}")
            if offer.state in ("delivered", "issuing"):
                raise ConflictError(
                    f"offer {offer_id} was delivered already; revoke its credential "
                    f"{offer.credential_id or ''} instead".replace("  ", " ")
                )
            if offer.state in ("withdrawn", "expired"):
                return offer_json(offer)
            repository.transition(
                offer.id,
                ("offered", "token-issued", "locked"),
                state="withdrawn",
                request=None,
                token_hash=None,
                closed_at=now,
            )
            audit.record(
                session,
                actor=actor,
                action="offer.withdrawn",
                provider_id=provider.id,
                subject=f"urn:uuid:{offer.id}",
                at=now,
            )
            offer = repository.owned(provider.id, offer_id)
            assert offer is not None
            session.refresh(offer)
            return offer_json(offer)

    def listing(self, provider: Provider) -> list[dict[str, Any]]:
        now = self.clock()
        with self.database.writing() as session:
            self._expire(session, now)
        with self.database.reading() as session:
            return [offer_json(o) for o in Offers(session).listing(provider.id)]

    def expire(self) -> int:
        """Close the offers whose time is up and forget their personal data."""
        with self.database.writing() as session:
            return self._expire(session, self.clock())

    def _expire(self, session: Session, now: datetime) -> int:
        expired = Offers(session).expire(now)
        for offer_id, provider_id in expired:
            audit.record(
                session,
                actor="system",
                action="offer.expired",
                provider_id=provider_id,
                subject=f"urn:uuid:{offer_id}",
                at=now,
            )
        return len(expired)

    # --- refusals are recorded in a transaction of their own ------------------------------

    def _refuse(self, offer: Offer | None, error: SkillcredError, *, step: str) -> SkillcredError:
        if offer is not None:
            with self.database.writing() as session:
                audit.record(
                    session,
                    actor="wallet",
                    action="offer.refused",
                    provider_id=offer.provider_id,
                    subject=f"urn:uuid:{offer.id}",
                    reason=error.detail,
                    data={"step": step, "error": error.code},
                    at=self.clock(),
                )
        return error

    # --- OpenID4VCI ------------------------------------------------------------------------

    def credential_offer(self, handle: str) -> dict[str, Any]:
        """The credential offer object (OpenID4VCI 1.0 §4.1.1) behind credential_offer_uri."""
        with self.database.reading() as session:
            offer = Offers(session).by_handle(digest(handle))
        if offer is None or offer.state != "offered" or aware_utc(offer.expires_at) <= self.clock():
            raise NotFoundError("there is no open credential offer here")
        grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code(handle)}
        if offer.tx_code_hash is not None:
            grant["tx_code"] = {
                "input_mode": "numeric",
                "length": TX_CODE_LENGTH,
                "description": "The code your training provider gave you with this offer.",
            }
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": self.configurations(offer),
            "grants": {PRE_AUTHORIZED_GRANT: grant},
        }

    def configurations(self, offer: Offer) -> list[str]:
        """The credential configurations an offer can be collected as: ``ldp_vc``, and the
        ``dc+sd-jwt`` one of its skill's kind (while the offer still holds its request)."""
        offered = [CONFIGURATION_ID]
        if self.twin_for is None or offer.request is None:
            return offered
        with self.database.reading() as session:
            provider = Providers(session).by_id(offer.provider_id)
        assert provider is not None
        request = SkillCredentialRequest.model_validate_json(offer.request)
        stand_in = request.model_copy(
            update={"holder": request.holder.model_copy(update={"id": "urn:uuid:x"})}
        )
        try:
            credential, _ = draft_skill_credential(self.skills, provider, stand_in)
        except SkillcredError:
            return offered
        achievement = credential["credentialSubject"]["achievement"]
        kind = SKILL_KINDS.get(str(achievement.get("achievementType")), "competency")
        return [*offered, SD_JWT_CONFIGURATIONS[kind]]

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """The token endpoint for the pre-authorized code grant (OpenID4VCI 1.0 §6).
        Parameters it does not know (``user_pin``, ``resource``, ...) are ignored."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("grant_type is required")
        if grant_type != PRE_AUTHORIZED_GRANT:
            raise UnsupportedGrantTypeError(
                f"grant_type {grant_type!r} is not supported; use {PRE_AUTHORIZED_GRANT}"
            )
        code = form.get("pre-authorized_code")
        if not code:
            raise OAuthError("pre-authorized_code is required")
        token = secrets.token_urlsafe(32)
        now = self.clock()
        offer, nonce = self._redeem(
            code,
            form.get("tx_code"),
            step="token",
            to_state="token-issued",
            token_hash=digest(token),
            token_expires_at=now + timedelta(seconds=self.token_ttl_seconds),
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl_seconds,
            # OpenID4VCI drafts up to 13 take the first nonce from here.
            "c_nonce": nonce,
            "c_nonce_expires_in": self.token_ttl_seconds,
            "authorization_details": [
                {
                    "type": "openid_credential",
                    "credential_configuration_id": configuration,
                    "credential_identifiers": [configuration],
                }
                for configuration in self.configurations(offer)
            ],
        }

    def _redeem(
        self, code: str, tx_code: str | None, *, step: str, to_state: str, **values: Any
    ) -> tuple[Offer, str]:
        """Check a pre-authorized code and its transaction code, and move the offer from
        'offered' to ``to_state`` (one caller wins). A wrong transaction code counts; at
        ``MAX_TX_TRIES`` the offer is locked. Returns the offer and a fresh nonce."""
        now = self.clock()
        failure: SkillcredError | None = None
        offer: Offer | None = None
        with self.database.writing() as session:
            repository = Offers(session)
            offer = repository.by_code(digest(code))
            if offer is None:
                raise InvalidGrantError("the pre-authorized code is not valid")
            if offer.state == "offered" and aware_utc(offer.expires_at) <= now:
                self._expire(session, now)
                failure = InvalidGrantError("the offer has expired")
            elif offer.state != "offered":
                failure = InvalidGrantError(_closed(offer.state))
            elif offer.tx_code_hash is not None and not tx_code:
                failure = OAuthError("this offer needs its transaction code (tx_code)")
            elif offer.tx_code_hash is None and tx_code:
                failure = OAuthError("this offer has no transaction code; leave tx_code out")
            elif offer.tx_code_hash is not None and not hmac.compare_digest(
                offer.tx_code_hash, tx_code_digest(code, str(tx_code))
            ):
                tries = repository.count_try(offer.id, limit=MAX_TX_TRIES, at=now)
                left = MAX_TX_TRIES - tries
                failure = InvalidGrantError(
                    "the transaction code is wrong; "
                    + (f"{left} tries left" if left > 0 else "the offer is now locked")
                )
                audit.record(
                    session,
                    actor="wallet",
                    action="offer.locked" if left <= 0 else "offer.refused",
                    provider_id=offer.provider_id,
                    subject=f"urn:uuid:{offer.id}",
                    reason=failure.detail,
                    data={"step": step, "error": failure.code},
                    at=now,
                )
                offer = None  # recorded here already
            elif not repository.transition(offer.id, ("offered",), state=to_state, **values):
                failure = InvalidGrantError(_closed(to_state))
            else:
                nonce = self._new_nonce(session, now)
                audit.record(
                    session,
                    actor="wallet",
                    action=f"offer.{to_state}",
                    provider_id=offer.provider_id,
                    subject=f"urn:uuid:{offer.id}",
                    at=now,
                )
                return offer, nonce
        assert failure is not None
        raise self._refuse(offer, failure, step=step)

    async def download(self, handle: str, tx_code: str | None) -> bytes:
        """The fallback for a worker without a wallet: the credential as a file, for the
        transaction code (the same tries and lock as the token endpoint). It names the
        holder as the offer does (the hashed e-mail address), bound to no key."""
        offer, _nonce = self._redeem(
            pre_authorized_code(handle), tx_code, step="download", to_state="issuing"
        )
        document, _twin = await self._deliver(offer, None, via="download")
        return document

    def _new_nonce(self, session: Session, now: datetime) -> str:
        nonce = secrets.token_urlsafe(24)
        Offers(session).add_nonce(
            OfferNonce(
                nonce_hash=digest(nonce),
                expires_at=now + timedelta(seconds=self.token_ttl_seconds),
            )
        )
        return nonce

    def nonce(self) -> dict[str, Any]:
        """A fresh c_nonce (OpenID4VCI 1.0 §7): single use, short-lived, stored hashed."""
        with self.database.writing() as session:
            nonce = self._new_nonce(session, self.clock())
        return {"c_nonce": nonce, "c_nonce_expires_in": self.token_ttl_seconds}

    async def credential(self, access_token: str | None, body: Any) -> dict[str, Any]:
        """The credential endpoint (OpenID4VCI 1.0 §8; draft 13/14 requests by format too)."""
        if not access_token:
            raise InvalidTokenError("the credential endpoint needs 'Authorization: Bearer <token>'")
        now = self.clock()
        with self.database.reading() as session:
            offer = Offers(session).by_token(digest(access_token))
        if (
            offer is None
            or offer.state != "token-issued"
            or offer.token_expires_at is None
            or aware_utc(offer.token_expires_at) <= now
        ):
            raise self._refuse(
                offer,
                InvalidTokenError("the access token is not valid, has expired or was used"),
                step="credential",
            )
        try:
            proof_jwt, version, configuration = _parse_credential_request(
                body, self.configurations(offer)
            )
            proof = verify_key_proof(
                proof_jwt, audience=self.credential_issuer, now=now.timestamp()
            )
            sd_jwt = configuration != CONFIGURATION_ID
            if sd_jwt and proof.algorithm != "ES256":
                # HAIP: the SD-JWT VC's cnf.jwk is a P-256 key, proven with ES256.
                raise InvalidProofError(
                    f"a {SD_JWT_VC_TYPE} credential is bound to a P-256 key: sign the key "
                    f"proof with ES256, not {proof.algorithm}"
                )
        except (OAuthError, InvalidProofError) as exc:
            raise self._refuse(offer, exc, step="credential") from None
        holder = proof.holder
        with self.database.writing() as session:
            repository = Offers(session)
            nonce_ok = repository.use_nonce(digest(proof.nonce), now)
            won = nonce_ok and repository.transition(offer.id, ("token-issued",), state="issuing")
        if not nonce_ok:
            raise self._refuse(
                offer,
                InvalidNonceError(
                    "the key proof's nonce is unknown, expired or used; get a new c_nonce"
                ),
                step="credential",
            )
        if not won:
            raise self._refuse(
                offer, InvalidTokenError("the access token was used already"), step="credential"
            )
        document, twin = await self._deliver(
            offer,
            holder,
            via="openid4vci",
            proof=proof,
            revert_to="token-issued",
            twin_jwk=proof.jwk if sd_jwt else None,
        )
        credential: Any = twin if twin is not None else orjson.loads(document)
        if version == "1.0":
            return {"credentials": [{"credential": credential}]}
        return {"credential": credential}

    async def _deliver(
        self,
        offer: Offer,
        holder: str | None,
        *,
        via: str,
        proof: KeyProof | None = None,
        revert_to: str = "offered",
        twin_jwk: Mapping[str, Any] | None = None,
    ) -> tuple[bytes, str | None]:
        """Issue the offer's credential (the offer is 'issuing', held by this request),
        and with ``twin_jwk`` its SD-JWT VC twin bound to that key."""
        assert offer.request is not None
        request = SkillCredentialRequest.model_validate_json(offer.request)
        if holder is not None:
            request = request.model_copy(
                update={"holder": request.holder.model_copy(update={"id": holder})}
            )
        with self.database.reading() as session:
            provider = Providers(session).by_id(offer.provider_id)
        assert provider is not None
        issuer = self.issuer_for(provider, f"wallet:{via}")
        twin: str | None = None
        try:
            issued = await issuer.issue_async(request, idempotency_key=None, fingerprint=None)
            if twin_jwk is not None:
                assert self.twin_for is not None
                twin_for = self.twin_for
                twin = await to_thread.run_sync(
                    lambda: twin_for(provider, issued.credential_id, twin_jwk)
                )
        except Exception:
            # (Should the twin fail, its Data Integrity credential stays stored, undelivered:
            # the provider sees it in the audit trail and may revoke it.)
            with self.database.writing() as session:
                Offers(session).transition(offer.id, ("issuing",), state=revert_to)
            raise
        now = self.clock()
        with self.database.writing() as session:
            Offers(session).transition(
                offer.id,
                ("issuing",),
                state="delivered",
                request=None,
                token_hash=None,
                credential_id=issued.credential_id,
                delivered_via=via,
                closed_at=now,
            )
            audit.record(
                session,
                actor="wallet",
                action="offer.delivered",
                provider_id=offer.provider_id,
                subject=f"urn:uuid:{offer.id}",
                data={
                    "credentialId": issued.credential_id,
                    "via": via,
                    "holder": holder,
                    "format": "ldp_vc" if twin is None else SD_JWT_VC_TYPE,
                    **({"proofAlg": proof.algorithm} if proof is not None else {}),
                },
                at=now,
            )
        return issued.document, twin

    # --- VC-API exchanges ------------------------------------------------------------------

    def create_exchange(
        self, provider: Provider, workflow: str, offer_id: str, *, actor: str
    ) -> dict[str, Any]:
        _workflow(workflow)
        now = self.clock()
        exchange_id = secrets.token_urlsafe(32)
        with self.database.writing() as session:
            repository = Offers(session)
            offer = repository.owned(provider.id, offer_id)
            if offer is None:
                raise NotFoundError(f"offer: this provider has no offer {offer_id!r}")
            if offer.state not in OPEN_OFFER_STATES or aware_utc(offer.expires_at) <= now:
                raise ConflictError(f"offer {offer_id} is {offer.state}: it cannot be collected")
            repository.add_exchange(
                OfferExchange(id_hash=digest(exchange_id), offer_id=offer.id, created_at=now)
            )
            audit.record(
                session,
                actor=actor,
                action="offer.exchange-created",
                provider_id=provider.id,
                subject=f"urn:uuid:{offer.id}",
                at=now,
            )
        url = f"{self.base_url}/workflows/{WORKFLOW}/exchanges/{exchange_id}"
        return {
            "id": exchange_id,
            "offerId": offer.id,
            "url": url,
            "vcapiRequest": self.vcapi_request(url),
            "expires": format_date_time(aware_utc(offer.expires_at)),
        }

    async def exchange(
        self, workflow: str, exchange_id: str, body: Any, check: PresentationCheck
    ) -> dict[str, Any]:
        """One step of a VC-API exchange, as the Learner Credential Wallet takes it: an
        empty POST gets a DIDAuthentication request; the signed presentation that answers
        it gets the credential, in a presentation."""
        _workflow(workflow)
        if not isinstance(body, Mapping):
            raise RequestError("the exchange takes a JSON object")
        now = self.clock()
        presentation = body.get("verifiablePresentation")
        with self.database.writing() as session:
            repository = Offers(session)
            found = repository.exchange(digest(exchange_id))
            if found is None:
                raise NotFoundError("there is no such exchange")
            exchange, offer = found
            if offer.state == "offered" and aware_utc(offer.expires_at) <= now:
                self._expire(session, now)
                offer_state = "expired"
            else:
                offer_state = offer.state
            if presentation is None and offer_state == "offered":
                fresh = secrets.token_urlsafe(24)
                repository.set_challenge(exchange.id_hash, fresh)
                return {"verifiablePresentationRequest": self._did_auth_request(fresh)}
            challenge = exchange.challenge
        if offer_state != "offered":
            raise self._refuse(
                offer,
                ConflictError(f"this offer cannot be collected: {_closed(offer_state)}"),
                step="exchange",
            )
        if challenge is None:
            raise self._refuse(
                offer,
                RequestError("POST an empty body first to get the presentation request"),
                step="exchange",
            )
        result = await check(presentation, challenge, self.exchange_domain)
        try:
            holder = _authenticated_holder(presentation, result)
        except RequestError as exc:
            raise self._refuse(offer, exc, step="exchange") from None
        with self.database.writing() as session:
            repository = Offers(session)
            # The challenge is single use, and so is the offer: one of two racing
            # presentations moves it on.
            won = repository.transition(offer.id, ("offered",), state="issuing")
            if won:
                repository.set_challenge(exchange.id_hash, None)
        if not won:
            raise self._refuse(
                offer, ConflictError("this offer was collected already"), step="exchange"
            )
        document, _twin = await self._deliver(offer, holder, via="vcapi")
        return {
            "verifiablePresentation": {
                "@context": [CREDENTIALS_V2],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": [orjson.loads(document)],
            }
        }

    def _did_auth_request(self, challenge: str) -> dict[str, Any]:
        return {
            "query": [
                {
                    "type": "DIDAuthentication",
                    "acceptedMethods": [{"method": "key"}, {"method": "web"}],
                    "acceptedCryptosuites": [
                        {"cryptosuite": "eddsa-rdfc-2022"},
                        {"cryptosuite": "Ed25519Signature2020"},
                    ],
                }
            ],
            "challenge": challenge,
            "domain": self.exchange_domain,
        }

    # --- the claim page ---------------------------------------------------------------------

    def claim(self, handle: str) -> tuple[Offer, OfferLinks, dict[str, Any] | None]:
        """The offer behind a claim page, its links, and what it offers (while open)."""
        with self.database.reading() as session:
            offer = Offers(session).by_handle(digest(handle))
            if offer is None:
                raise NotFoundError("there is no credential offer here")
            provider = Providers(session).by_id(offer.provider_id)
        assert provider is not None
        about = None
        if offer.request is not None and offer.state in OPEN_OFFER_STATES:
            request = SkillCredentialRequest.model_validate_json(offer.request)
            stand_in = request.model_copy(
                update={"holder": request.holder.model_copy(update={"id": "urn:uuid:x"})}
            )
            try:
                credential, _ = draft_skill_credential(self.skills, provider, stand_in)
                skill = str(credential["credentialSubject"]["achievement"]["name"])
            except SkillcredError:
                skill = ""
            about = {"provider": provider.name, "skill": skill, "holder": request.holder.name}
        if offer.state == "offered" and aware_utc(offer.expires_at) <= self.clock():
            self.expire()
            offer.state = "expired"
        return offer, self.links(handle), about


def _workflow(workflow: str) -> None:
    if workflow != WORKFLOW:
        raise NotFoundError(f"there is no workflow {workflow!r}; this service has {WORKFLOW!r}")


def _closed(state: str) -> str:
    return {
        "token-issued": "the offer was collected already (its code is single use)",
        "issuing": "the offer was collected already (its code is single use)",
        "delivered": "the offer was collected already (its code is single use)",
        "withdrawn": "the provider has withdrawn this offer",
        "locked": f"the offer is locked after {MAX_TX_TRIES} wrong transaction codes",
        "expired": "the offer has expired",
    }.get(state, f"the offer is {state}")


def _parse_credential_request(body: Any, offered: list[str]) -> tuple[str, str, str]:
    """The one JWT key proof of a credential request, the protocol version it speaks
    ("1.0": ``credential_configuration_id`` + ``proofs``; "draft": ``format`` + ``proof``)
    and the configuration asked for (one of ``offered``)."""
    if not isinstance(body, Mapping):
        raise InvalidCredentialRequestError("the credential request must be a JSON object")
    if "credential_configuration_id" in body or "credential_identifier" in body:
        version = "1.0"
        configuration = body.get("credential_configuration_id") or body.get("credential_identifier")
        if configuration not in offered:
            raise UnknownCredentialConfigurationError(
                f"this offer is collected as {' or '.join(map(repr, offered))}, "
                f"not {configuration!r}"
            )
    elif "format" in body:
        version = "draft"
        wanted = body.get("format")
        by_format = {"ldp_vc": CONFIGURATION_ID}
        by_format.update({f: c for c in offered[1:] for f in SD_JWT_FORMATS})
        if wanted not in by_format:
            raise UnknownCredentialConfigurationError(
                f"format {wanted!r} is not offered; this offer is issued as "
                + " or ".join(["ldp_vc", *([SD_JWT_VC_TYPE] if len(offered) > 1 else [])])
            )
        configuration = by_format[wanted]
    else:
        raise InvalidCredentialRequestError(
            "name the credential: credential_configuration_id (or format, for older drafts)"
        )
    proofs = body.get("proofs")
    single = body.get("proof")
    if proofs is not None and single is not None:
        raise InvalidCredentialRequestError("send proofs or proof, not both")
    if proofs is not None:
        if not isinstance(proofs, Mapping) or set(proofs) != {"jwt"}:
            raise InvalidProofError('proofs must be {"jwt": [<one key proof>]}')
        jwts = proofs["jwt"]
        if not isinstance(jwts, list) or len(jwts) != 1:
            raise InvalidProofError("send exactly one jwt key proof (no batch issuance here)")
        return str(jwts[0]) if isinstance(jwts[0], str) else "", version, str(configuration)
    if isinstance(single, Mapping):
        if single.get("proof_type") != "jwt":
            raise InvalidProofError("proof.proof_type must be 'jwt'")
        return str(single.get("jwt") or ""), version, str(configuration)
    raise InvalidProofError("the credential request carries no key proof")


def _authenticated_holder(presentation: Any, result: VerificationResult) -> str:
    """The DID that signed the DIDAuthentication presentation (its holder)."""
    holder_proof = result.find_check("holderProof")
    holder = None
    if isinstance(presentation, Mapping):
        raw = presentation.get("holder")
        holder = raw.get("id") if isinstance(raw, Mapping) else raw
    if holder_proof is None or holder_proof.outcome != "passed" or not isinstance(holder, str):
        reasons = "; ".join(p.detail for p in result.errors) or "the holder's proof does not hold"
        raise RequestError(f"the DIDAuthentication presentation is not accepted: {reasons}")
    return holder


__all__ = [
    "CONFIGURATION_ID",
    "PRE_AUTHORIZED_GRANT",
    "SD_JWT_CONFIGURATIONS",
    "WORKFLOW",
    "CreatedOffer",
    "OfferService",
]
