"""All configuration, from the environment (``SKILLCRED_*``) or a ``.env`` file, validated.

Outside development the service refuses unsafe defaults: it will not start in production
without a master key and an admin token.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from skillcred.core.verifying import Limits
from skillcred.errors import ConfigurationError

log = logging.getLogger("skillcred.settings")


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A 256-bit AES key that encrypts signing keys at rest, with a short id."""

    key_id: str
    secret: bytes

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        """``[id:]base64`` — the id defaults to a digest of the key."""
        text = text.strip()
        key_id, _, encoded = text.rpartition(":") if ":" in text else ("", "", text)
        try:
            secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise ConfigurationError("a master key must be base64 (32 bytes)") from exc
        if len(secret) != 32:
            raise ConfigurationError(f"a master key must be 32 bytes, not {len(secret)}")
        return cls(key_id or hashlib.sha256(secret).hexdigest()[:12], secret)

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"


def _blank(secret: SecretStr | None) -> bool:
    return secret is None or not secret.get_secret_value().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SKILLCRED_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "production"] = "development"
    #: where the embedded database and the development master key live
    data_dir: Path = Path("data")
    #: SQLAlchemy URL; default: a SQLite file in the data folder
    database_url: str | None = None
    #: the public URL of this service (DIDs, status lists, contexts are named under it)
    base_url: str = "http://127.0.0.1:8000"
    admin_token: SecretStr | None = None
    auditor_token: SecretStr | None = None
    #: one or more ``[id:]base64`` keys, comma separated; the first encrypts new keys
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    #: a PKCS#11 token for signing keys that never leave it (providers created with
    #: keyStore "pkcs11"): the module (.so), the token's label and the user PIN
    pkcs11_module: str | None = None
    pkcs11_token_label: str | None = None
    pkcs11_pin: SecretStr | None = None
    #: create a demo provider on first start (development only)
    demo_provider: bool = True
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: how much one request may ask for (past these: a 413/422 problem)
    max_json_depth: int = Field(default=64, ge=8, le=200)
    max_proofs: int = Field(default=8, ge=1)
    max_status_entries: int = Field(default=8, ge=1)
    max_credentials_per_presentation: int = Field(default=100, ge=1)
    #: rows one batch request issues while the client waits; a larger batch (or one sent
    #: with ``Prefer: respond-async``) becomes a background job
    max_batch_rows: int = Field(default=10_000, ge=1)
    #: rows one batch job may hold (past it: 413), and the body size a batch request may
    #: have (the batch endpoint's own; every other request keeps max_body_bytes)
    max_batch_job_rows: int = Field(default=500_000, ge=1)
    max_batch_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    #: run batch jobs in this process (a worker thread per process; instances sharing a
    #: database share the jobs). Off: this process only accepts and reports jobs
    batch_worker: bool = True
    #: how long a worker's claim on a job lasts without progress; past it, another worker
    #: (or this one after a restart) takes the job over where it stopped
    batch_job_lease_seconds: float = Field(default=30.0, ge=0.5)
    #: rows issued between two progress records (and lease renewals)
    batch_job_chunk_rows: int = Field(default=256, ge=1, le=10_000)
    #: how often an idle worker looks for a job
    batch_job_poll_seconds: float = Field(default=1.0, gt=0)
    #: requests a minute per client address (0: no limit) and the burst allowed, on the
    #: endpoints anyone may call: verification, and the public documents
    rate_limit_verify_per_minute: int = Field(default=300, ge=0)
    rate_limit_verify_burst: int = Field(default=60, ge=1)
    rate_limit_public_per_minute: int = Field(default=1200, ge=0)
    rate_limit_public_burst: int = Field(default=200, ge=1)
    #: a JSON file of trusted issuer DIDs and names (issuers outside this service)
    trust_list_file: Path | None = None
    #: let did:web and status list lookups reach loopback and private addresses (tests)
    unsafe_allow_private_addresses: bool = False
    #: hosts JSON Schemas may be fetched from (the shipped ones need none)
    schema_hosts: list[str] = Field(default_factory=list)
    #: CA bundle for remote HTTPS lookups (default: the system's)
    remote_ca_file: Path | None = None
    remote_timeout_seconds: float = Field(default=5.0, gt=0)
    remote_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    #: all remote lookups one verification request makes (DID documents, status lists,
    #: schemas) share this much time and this many fetches; what does not fit is
    #: "cannot check"
    remote_deadline_seconds: float = Field(default=5.0, gt=0)
    remote_max_fetches: int = Field(default=16, ge=1)
    #: remote lookups in flight to one host, and in all (past either: refused at once)
    remote_max_per_host: int = Field(default=4, ge=1)
    remote_max_in_flight: int = Field(default=16, ge=1)
    #: a remote transfer slower than this (after its first second) is given up
    remote_min_bytes_per_second: int = Field(default=4096, ge=0)
    #: verifications run at once per worker (threads of their own: the rest of the
    #: service stays responsive whatever verification waits for)
    verify_concurrency: int = Field(default=32, ge=1)

    @property
    def verification_limits(self) -> Limits:
        return Limits(
            max_depth=self.max_json_depth,
            max_proofs=self.max_proofs,
            max_status_entries=self.max_status_entries,
            max_credentials=self.max_credentials_per_presentation,
        )

    #: presentation requests (OpenID4VP / VC-API): how long a wallet may take to answer,
    #: and how long the answer's verification result is kept for the page that asked
    presentation_request_ttl_seconds: int = Field(default=300, ge=10, le=3600)
    presentation_result_ttl_seconds: int = Field(default=600, ge=10, le=86400)
    #: the request a verifier deployment makes by default (``{"skills": [...]}``; none:
    #: any skill credential) and the purpose shown in the wallet
    presentation_default_query: dict[str, Any] | None = None
    presentation_default_purpose: str | None = None
    #: the verifier's name and logo, shown in the wallet (OpenID4VP client_metadata)
    verifier_name: str = Field(default="skillcred verifier", min_length=1, max_length=200)
    verifier_logo_uri: str | None = None
    #: a key file (``skillcred keygen``): the verifier then identifies itself by that
    #: key's did:key (client identifier prefix ``decentralized_identifier``) and signs its
    #: requests; without it, ``redirect_uri`` (unsigned requests)
    verifier_key_file: Path | None = None
    #: how long a status list may be cached (its ttl and Cache-Control)
    status_list_ttl_seconds: int = Field(default=10, ge=0)
    log_level: str = "INFO"
    #: json: one JSON object a line (for log collectors); text: for a terminal
    log_format: Literal["json", "text"] = "json"
    #: if set, GET /metrics needs it as a bearer token (else restrict it at the proxy)
    metrics_token: SecretStr | None = None
    #: how long a credential offer may be collected before it expires (default 14 days)
    offer_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    #: lifetime of OpenID4VCI access tokens and nonces
    offer_token_ttl_seconds: int = Field(default=300, ge=10)
    #: an SMTP server for e-mailing offers: smtp://[user:password@]host[:port], or
    #: smtps:// (TLS), or smtp+starttls://; unset: offers are not e-mailed
    smtp_url: SecretStr | None = None
    #: the From address of offer e-mails
    smtp_from: str = "skillcred <no-reply@localhost>"

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                "SKILLCRED_BASE_URL must be an http(s) URL such as https://skills.example"
            )
        if parts.query or parts.fragment:
            raise ValueError("SKILLCRED_BASE_URL must not have a query or fragment")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env == "production":
            missing = []
            if _blank(self.master_key) and self.master_key_file is None:
                missing.append("SKILLCRED_MASTER_KEY (or SKILLCRED_MASTER_KEY_FILE)")
            if _blank(self.admin_token):
                missing.append("SKILLCRED_ADMIN_TOKEN")
            if missing:
                raise ValueError(
                    "production mode refuses to start without " + " and ".join(missing)
                )
            for name, token in (
                ("SKILLCRED_ADMIN_TOKEN", self.admin_token),
                ("SKILLCRED_AUDITOR_TOKEN", self.auditor_token),
            ):
                if token is not None and len(token.get_secret_value().strip()) < 24:
                    raise ValueError(f"{name} must be at least 24 characters")
        return self

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'skillcred.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def master_keys(self) -> list[MasterKey]:
        """The master keys, current first; in development one is made on first use."""
        if self.master_key is not None:
            text = self.master_key.get_secret_value()
        elif self.master_key_file is not None:
            try:
                text = self.master_key_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(f"cannot read the master key file: {exc}") from exc
        elif self.env == "development":
            text = self._development_master_key()
        else:  # pragma: no cover - refused by the validator
            raise ConfigurationError("no master key configured")
        keys = [
            MasterKey.parse(part) for part in text.replace("\n", ",").split(",") if part.strip()
        ]
        if not keys:
            raise ConfigurationError("the master key setting is empty")
        if len({k.key_id for k in keys}) != len(keys):
            raise ConfigurationError("two master keys have the same id")
        return keys

    def _development_master_key(self) -> str:
        path = self.data_dir / "master.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another worker made it first
                return path.read_text(encoding="utf-8")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"dev:{key}\n")
            log.warning(
                "DEVELOPMENT MODE: generated a master key in %s. Private keys are encrypted "
                "with it; set SKILLCRED_MASTER_KEY (and SKILLCRED_ENV=production) for real use.",
                path,
            )
        return path.read_text(encoding="utf-8")


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment, a ``.env`` file and — with
    ``SKILLCRED_SECRETS_DIR`` (e.g. /run/secrets) — one file per secret setting named
    like its variable in lower case (``skillcred_admin_token``), as Docker and Kubernetes
    mount secrets; the environment wins over files."""
    secrets_dir = os.environ.get("SKILLCRED_SECRETS_DIR")
    try:
        if secrets_dir:
            return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[arg-type,call-arg]
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
