"""The database schema, as SQLAlchemy 2 models. Alembic migrations create it; nothing else.

Tenant-owned rows carry ``provider_id``; they are only ever read through the repository
helpers that filter by it (see ``repositories.owned_by``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Provider(Base):
    """A training provider (tenant) that issues credentials under its own DID."""

    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    did_method: Mapped[str] = mapped_column(String(8))
    #: the DID credentials are issued under now (did:key changes on key rotation)
    did: Mapped[str] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: set while the provider is suspended: no issuance, no status changes (what it
    #: issued keeps verifying)
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str | None] = mapped_column(Text)


class ProviderDid(Base):
    """Every DID a provider has issued under, current and earlier (did:key rotation)."""

    __tablename__ = "provider_dids"

    did: Mapped[str] = mapped_column(String(512), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SigningKey(Base):
    """An Ed25519 signing key. In the ``database`` store the secret is AES-256-GCM
    encrypted under a master key; in the ``pkcs11`` store it never leaves the token and
    ``store_ref`` names it there (``encrypted_secret`` is then empty)."""

    __tablename__ = "signing_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    verification_method: Mapped[str] = mapped_column(String(700), unique=True)
    controller: Mapped[str] = mapped_column(String(512))
    public_key_multibase: Mapped[str] = mapped_column(String(64))
    encrypted_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    master_key_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: set when a newer key replaces it; the key then only verifies, never signs
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: where the private key lives: "database" (sealed here) or "pkcs11" (in a token)
    store: Mapped[str] = mapped_column(String(16), server_default=text("'database'"))
    store_ref: Mapped[str | None] = mapped_column(String(200))
    #: when the operator reported the key compromised (it then signs nothing more and
    #: leaves the did:web document's verification relationships)
    compromised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: from when on it is to be distrusted; None with ``compromised_at`` set: entirely
    compromised_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Es256Key(Base):
    """A P-256 key for SD-JWT VC (ES256): a provider's signing key (purpose ``sd-jwt``,
    with its leaf certificate) or the deployment's issuing CA (purpose ``ca``, no
    provider, a self-signed root). Stored like ``SigningKey``: sealed in the database or
    held by a PKCS#11 token."""

    __tablename__ = "es256_keys"
    __table_args__ = (
        Index(
            "uq_es256_keys_current",
            text("coalesce(provider_id, '')"),
            "purpose",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    #: the RFC 7638 thumbprint of the public key, the JWS ``kid``
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    store: Mapped[str] = mapped_column(String(16))
    encrypted_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    master_key_id: Mapped[str | None] = mapped_column(String(64))
    store_ref: Mapped[str | None] = mapped_column(String(200))
    #: PEM: the provider key's leaf certificate, or the CA's self-signed root
    certificate: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    compromised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    compromised_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A provider's API key, stored only as its SHA-256 (keys have 256 random bits)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters, to tell keys apart in listings
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: from when on the key is refused; a future time while a rotated key's grace runs
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the operator's label for the key ("ci", "issuing office")
    name: Mapped[str | None] = mapped_column(String(100))
    #: precise to about a minute (the write is skipped when the last is more recent)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IssuedCredential(Base):
    """A signed credential exactly as it was returned to the issuer."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("provider_id", "credential_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    #: the credential's own ``id`` (a ``urn:uuid:`` unless the issuer chose one)
    credential_id: Mapped[str] = mapped_column(String(700))
    document: Mapped[str] = mapped_column(Text)
    cryptosuite: Mapped[str] = mapped_column(String(32))
    verification_method: Mapped[str] = mapped_column(String(700))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    """The first answer to a request sent with an ``Idempotency-Key`` header."""

    __tablename__ = "idempotency_keys"

    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: SHA-256 of the request (method, path, canonical body): a reuse must match it
    request_hash: Mapped[str] = mapped_column(String(64))
    credential_row_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatusList(Base):
    """One Bitstring Status List of a provider for one purpose (revocation, suspension)."""

    __tablename__ = "status_lists"
    __table_args__ = (
        # At most one list per provider and purpose takes new entries at a time.
        Index(
            "uq_status_lists_open",
            "provider_id",
            "purpose",
            "issuer",
            unique=True,
            sqlite_where=text("NOT closed"),
            postgresql_where=text("NOT closed"),
        ),
    )

    #: the public id, part of the list's URL (/status-lists/{id})
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    #: the DID the list is issued (and its entries' credentials were issued) under
    issuer: Mapped[str] = mapped_column(String(512))
    entries: Mapped[int] = mapped_column(Integer)
    #: bits per entry: 1 for revocation/suspension, 2 for the skills profile's
    #: "message" lists (0 valid, 1 revoked, 2 suspended)
    status_size: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    #: how many indexes were handed out (each has its row in status_entries, never reused)
    allocated: Mapped[int] = mapped_column(Integer)
    #: full, or retired with its DID: no new entries go into it
    closed: Mapped[bool] = mapped_column(Boolean)
    #: +1 at every status change; the list is re-signed when it is ahead of signed_version
    version: Mapped[int] = mapped_column(Integer)
    signed_version: Mapped[int] = mapped_column(Integer)
    signed_document: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatusEntryRecord(Base):
    """An index handed out in a list: linked to its credential once that is stored."""

    __tablename__ = "status_entries"

    list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    index: Mapped[int] = mapped_column("idx", Integer, primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    credential_row_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    allocated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatusValue(Base):
    """The value of an entry whose status is not 0 (revoked, suspended; a "message"
    list's value): a row per set entry, removed when it is set back to 0. A list's
    bitstring is folded from its rows when it is signed, so neither a reservation nor a
    change rewrites a whole list, and a change writes this small table, not the entries
    (whose rows and indexes grow with every credential issued)."""

    __tablename__ = "status_values"

    list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    index: Mapped[int] = mapped_column("idx", Integer, primary_key=True)
    status: Mapped[int] = mapped_column(Integer)


class AuditEvent(Base):
    """An append-only record of who did what, when and why, chained by hashes."""

    __tablename__ = "audit_events"
    # A credential's own events (what the verifier reads for a suspension's reason).
    __table_args__ = (Index("ix_audit_events_provider_subject", "provider_id", "subject"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(700))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The end of the audit chain; every write transaction locks it first (one order)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class SkillDefinition(Base):
    """A provider's definition of a skill, issued by reference (same achievement id)."""

    __tablename__ = "skill_definitions"
    __table_args__ = (UniqueConstraint("provider_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    #: the provider's own reference, e.g. "mig-fillet"
    key: Mapped[str] = mapped_column(String(100))
    #: the Open Badges Achievement, as JSON (its id is stable: the skill's URL here)
    achievement: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BatchJob(Base):
    """A batch too large to answer in one request (or sent with ``Prefer: respond-async``):
    its rows are stored and issued in the background by whichever instance holds its lease."""

    __tablename__ = "batch_jobs"
    # The workers' claim: the oldest job that is waiting, or whose lease ran out.
    __table_args__ = (
        Index("ix_batch_jobs_state_created", "state", "created_at"),
        # A submission retried with the same Idempotency-Key finds its job.
        UniqueConstraint("provider_id", "idempotency_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    #: who asked for it (the audit trail's actor of every credential it issues)
    actor: Mapped[str] = mapped_column(String(200))
    #: queued, running, completed, failed
    state: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer)
    #: rows processed so far, and how they went
    done: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer)
    already_issued: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    #: the worker holding the job, and until when (past it, another worker takes over)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: times a worker took the job (more than one: a takeover after a crash or a restart)
    attempts: Mapped[int] = mapped_column(Integer)
    #: the submission's Idempotency-Key and the SHA-256 of its body (a retry must match)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    #: why the job as a whole failed (rows that fail are reported per row)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BatchJobRow(Base):
    """One row of a batch job, as it was sent, and its outcome once processed."""

    __tablename__ = "batch_job_rows"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("batch_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    #: 1, 2, ... in the order sent; with the job id, the row's idempotency key
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: the line it was reported by: the CSV line, or the position in the JSON array
    line: Mapped[int] = mapped_column(Integer)
    #: the row as JSON (a skill-shaped request, or the CSV record)
    body: Mapped[str] = mapped_column(Text)
    #: None until processed; then issued, already issued or failed
    outcome: Mapped[str | None] = mapped_column(String(16))
    credential_id: Mapped[str | None] = mapped_column(String(700))
    error: Mapped[str | None] = mapped_column(Text)


class Offer(Base):
    """A skill credential offered to a worker until a wallet collects it.

    Secrets are stored as SHA-256 hashes only: the offer handle (in the offer URI and the
    claim page URL), the pre-authorized code, the transaction code (hashed with the code)
    and the access token. ``request`` holds the personal data and is emptied once the
    offer is closed (delivered, withdrawn, locked or expired).
    """

    __tablename__ = "offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    #: offered, token-issued, issuing, delivered, withdrawn, locked, expired
    state: Mapped[str] = mapped_column(String(16))
    #: the skill-shaped request, as JSON (None once the offer is closed)
    request: Mapped[str | None] = mapped_column(Text)
    handle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64))
    tx_attempts: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    credential_id: Mapped[str | None] = mapped_column(String(700))
    #: openid4vci or vcapi
    delivered_via: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OfferExchange(Base):
    """A VC-API exchange through which a wallet collects an offer (its id stored hashed)."""

    __tablename__ = "offer_exchanges"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), index=True)
    #: the DIDAuthentication challenge, once the wallet has asked for the request
    challenge: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfferNonce(Base):
    """An OpenID4VCI ``c_nonce`` handed out and not used yet (stored hashed)."""

    __tablename__ = "offer_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuditHead",
    "Base",
    "BatchJob",
    "BatchJobRow",
    "IdempotencyKey",
    "Index",
    "Integer",
    "IssuedCredential",
    "Offer",
    "OfferExchange",
    "OfferNonce",
    "Provider",
    "ProviderDid",
    "SigningKey",
    "SkillDefinition",
    "StatusEntryRecord",
    "StatusList",
    "StatusValue",
]


class PresentationRequest(Base):
    """A verifier's request to a wallet (OpenID4VP / VC-API), answered once.

    Kept only until its result has been read or has expired; what remains after that is
    the audit line written when it was answered."""

    __tablename__ = "presentation_requests"

    #: the id in the URLs a wallet is given (request object, response endpoint, exchange)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the unguessable id of the result, known only to the page that made the request
    result_id: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(128))
    client_id: Mapped[str] = mapped_column(String(700))
    #: the skill queries, as JSON
    query: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: set when a response arrives (the one response a request takes)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the verification result (JSON), once verified
    result: Mapped[str | None] = mapped_column(Text)
    result_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
