"""The composition root: what one running service holds (settings, database, key store,
loader, caches, the services built from them). The HTTP app and the CLI both build theirs
here; nothing in it knows HTTP."""

from __future__ import annotations

import json
import secrets
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from anyio import CapacityLimiter
from sqlalchemy.orm import Session

from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.core.schemas import JsonSchemaChecker
from skillcred.core.verifying import Verifier
from skillcred.errors import NotFoundError
from skillcred.resources import data_dir
from skillcred.services.batch_jobs import BatchJobService, BatchJobWorker
from skillcred.services.compromise import KeyReports
from skillcred.services.es256_keys import Es256KeyService
from skillcred.services.issuance import IssuanceService
from skillcred.services.keystore import KeyStore, SigningKeyStores, key_stores
from skillcred.services.offers import OfferService
from skillcred.services.presentation_requests import PresentationRequestService, load_identity
from skillcred.services.providers import (
    ProviderDirectory,
    ProviderService,
    SignerCache,
    did_web_for,
    provider_work,
)
from skillcred.services.remote import GuardedFetcher
from skillcred.services.sdjwt_vc import SdJwtVcService
from skillcred.services.sdjwt_verify import SdJwtVerifier
from skillcred.services.skill_issuer import SkillIssuer
from skillcred.services.skills import SKILLS_CONTEXT_PATH, SkillService
from skillcred.services.status import StatusService
from skillcred.services.trust import TrustDirectory, load_trust_list
from skillcred.services.verification import BudgetedVerifier, build_verifier
from skillcred.settings import MasterKey, Settings
from skillcred.storage.db import Database, open_database
from skillcred.storage.models import Provider
from skillcred.storage.repositories import ApiKeys
from skillcred.storage.writer import BatchWriter


def skills_context_url(base_url: str) -> str:
    return base_url + SKILLS_CONTEXT_PATH


def remote_fetcher(settings: Settings) -> GuardedFetcher:
    verify: ssl.SSLContext | bool = True
    if settings.remote_ca_file is not None:
        verify = ssl.create_default_context(cafile=str(settings.remote_ca_file))
    return GuardedFetcher(
        timeout_seconds=settings.remote_timeout_seconds,
        max_bytes=settings.remote_max_bytes,
        allow_private_addresses=settings.unsafe_allow_private_addresses,
        verify=verify,
        min_bytes_per_second=settings.remote_min_bytes_per_second,
        max_per_host=settings.remote_max_per_host,
        max_in_flight=settings.remote_max_in_flight,
    )


def schema_fetch(fetcher: GuardedFetcher, hosts: list[str]) -> Callable[[str], bytes] | None:
    """Schemas are fetched only from the hosts the operator allows."""
    if not hosts:
        return None
    allowed = {h.lower() for h in hosts}

    def fetch(url: str) -> bytes:
        host = (urlsplit(url).hostname or "").lower()
        if host not in allowed:
            raise LookupError(
                f"the schema {url} is not known here, and {host or 'its host'} is not one of "
                "the hosts schemas are fetched from (SKILLCRED_SCHEMA_HOSTS)"
            )
        return fetcher.fetch(url, accept="application/schema+json, application/json")

    return fetch


def schema_checker(settings: Settings, fetcher: GuardedFetcher | None) -> JsonSchemaChecker:
    """The shipped schemas, this service's own under its URL, and (with a fetcher) schemas
    from the hosts the operator allows."""
    return JsonSchemaChecker(
        extra=local_schemas(settings.base_url),
        fetch=None if fetcher is None else schema_fetch(fetcher, settings.schema_hosts),
    )


def local_schemas(base_url: str) -> dict[str, Any]:
    """The project's own schemas under this service's URL (/schemas/...)."""
    folder = data_dir("schemas")
    schemas: dict[str, Any] = {}
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder).as_posix()
        schemas[f"{base_url}/schemas/{relative}"] = json.loads(path.read_bytes())
    return schemas


def service_loader(settings: Settings) -> DocumentLoader:
    """The shipped contexts, plus the skills context under this service's base URL."""
    skills = data_dir("contexts") / "skills-v1.jsonld"
    extra = {skills_context_url(settings.base_url): skills.read_bytes()} if skills.exists() else {}
    return default_loader().with_documents(extra)


@dataclass(slots=True)
class AppContext:
    settings: Settings
    database: Database
    keystore: SigningKeyStores
    loader: DocumentLoader
    signers: SignerCache = field(init=False)
    directory: ProviderDirectory = field(init=False)
    writer: BatchWriter = field(init=False)
    status: StatusService = field(init=False)
    fetcher: GuardedFetcher = field(init=False)
    verifier: Verifier = field(init=False)
    #: the verifier as requests use it: remote lookups within a budget, on threads of
    #: their own (``verify_limiter``) so that nothing verification waits for slows the rest
    verification: BudgetedVerifier = field(init=False)
    verify_limiter: CapacityLimiter = field(init=False)
    #: threads large documents are signed on, off the event loop
    signing_limiter: CapacityLimiter = field(init=False)
    schemas: JsonSchemaChecker = field(init=False)
    skills: SkillService = field(init=False)
    issuance: IssuanceService = field(init=False)
    batch_jobs: BatchJobService = field(init=False)
    did_web_prefix: str = field(init=False)
    presentation_requests: PresentationRequestService = field(init=False)
    offers: OfferService = field(init=False)
    es256_keys: Es256KeyService = field(init=False)
    sd_jwt_vc: SdJwtVcService = field(init=False)
    sd_jwt_verifier: SdJwtVerifier = field(init=False)

    def __post_init__(self) -> None:
        self.signers = SignerCache(self.keystore)
        self.writer = BatchWriter(self.database)
        writer = self.writer

        def touch(api_key_id: str, at: datetime) -> None:
            # Off the request path: the group commit writes it with other work.
            writer.submit(lambda session: ApiKeys(session).touch(api_key_id, at))

        self.directory = ProviderDirectory(self.database, touch=touch)
        self.status = StatusService(
            self.database,
            writer=self.writer,
            signers=self.signers,
            loader=self.loader,
            base_url=self.settings.base_url,
            ttl_seconds=self.settings.status_list_ttl_seconds,
        )
        self.fetcher = remote_fetcher(self.settings)
        trust_list = (
            load_trust_list(self.settings.trust_list_file)
            if self.settings.trust_list_file is not None
            else None
        )
        self.schemas = schema_checker(self.settings, self.fetcher)
        trust = TrustDirectory(self.database, trust_list)
        self.es256_keys = Es256KeyService(
            self.database, self.keystore, base_url=self.settings.base_url
        )
        self.sd_jwt_vc = SdJwtVcService(
            self.database,
            self.es256_keys,
            base_url=self.settings.base_url,
            ttl_seconds=self.settings.status_list_ttl_seconds,
        )
        self.sd_jwt_verifier = SdJwtVerifier(
            self.sd_jwt_vc,
            fetcher=self.fetcher,
            trusted_roots=lambda: [*self.es256_keys.own_roots(), *trust.x509_roots],
            budget_seconds=self.settings.remote_deadline_seconds,
            budget_fetches=self.settings.remote_max_fetches,
        )
        self.directory.on_forget(self.sd_jwt_verifier.forget)
        self.skills = SkillService(
            self.database, base_url=self.settings.base_url, schemas=self.schemas
        )
        self.verifier = build_verifier(
            loader=self.loader,
            status=self.status,
            fetcher=self.fetcher,
            local_did=self.local_did_document,
            trust=trust,
            schemas=self.schemas,
            status_ttl_seconds=self.settings.status_list_ttl_seconds,
            limits=self.settings.verification_limits,
            keys=KeyReports(self.database),
        )
        self.verification = BudgetedVerifier(
            self.verifier,
            self.settings.remote_deadline_seconds,
            self.settings.remote_max_fetches,
        )
        self.verify_limiter = CapacityLimiter(self.settings.verify_concurrency)
        self.signing_limiter = CapacityLimiter(2)
        self.issuance = IssuanceService(
            self.database,
            signers=self.signers,
            directory=self.directory,
            writer=self.writer,
            status=self.status,
            loader=self.loader,
        )
        self.batch_jobs = BatchJobService(
            self.database,
            issuer_for=lambda provider, actor: self.skill_issuer(provider, actor=actor),
            lease_seconds=self.settings.batch_job_lease_seconds,
            chunk_rows=self.settings.batch_job_chunk_rows,
        )
        self.did_web_prefix = did_web_for(self.settings.base_url, "")
        self.presentation_requests = PresentationRequestService(
            database=self.database,
            verification=self.verification,
            base_url=self.settings.base_url,
            identity=load_identity(
                self.settings.verifier_name,
                self.settings.verifier_logo_uri,
                self.settings.verifier_key_file,
            ),
            request_ttl=timedelta(seconds=self.settings.presentation_request_ttl_seconds),
            result_ttl=timedelta(seconds=self.settings.presentation_result_ttl_seconds),
            default_query=self.settings.presentation_default_query,
            default_purpose=self.settings.presentation_default_purpose,
            sd_jwt_verifier=self.sd_jwt_verifier,
        )
        self.offers = OfferService(
            self.database,
            skills=self.skills,
            issuer_for=lambda provider, actor: self.skill_issuer(provider, actor=actor),
            base_url=self.settings.base_url,
            ttl_seconds=self.settings.offer_ttl_seconds,
            token_ttl_seconds=self.settings.offer_token_ttl_seconds,
            twin_for=self.sd_jwt_vc.issue_twin,
        )

    def batch_worker(self) -> BatchJobWorker | None:
        """This process's batch job worker (not started), unless the settings turn it off."""
        if not self.settings.batch_worker:
            return None
        return BatchJobWorker(self.batch_jobs, poll_seconds=self.settings.batch_job_poll_seconds)

    def local_did_document(self, did: str) -> dict[str, Any] | None:
        """This service's own did:web documents, read from the database (no HTTP)."""
        prefix = self.did_web_prefix
        if not did.startswith(prefix) or ":" in did[len(prefix) :]:
            return None
        with self.provider_work(write=False) as service:
            try:
                return service.did_document(did[len(prefix) :], with_compromised=True)
            except NotFoundError:
                return None

    def providers(self, session: Session) -> ProviderService:
        return ProviderService(session, keystore=self.keystore, base_url=self.settings.base_url)

    @contextmanager
    def provider_work(self, *, write: bool = True) -> Iterator[ProviderService]:
        """One unit of work on providers, their keys and API keys: the service's changes in
        the block commit together when it ends (rolled back if it raises). The service layer
        opens the transaction; callers never see a session."""
        with provider_work(
            self.database, keystore=self.keystore, base_url=self.settings.base_url, write=write
        ) as service:
            yield service

    def authenticate(self, api_key: str) -> Provider:
        return self.directory.authenticate(api_key)

    def skill_issuer(self, provider: Provider, *, actor: str) -> SkillIssuer:
        return SkillIssuer(
            skills=self.skills,
            issuance=self.issuance,
            database=self.database,
            provider=provider,
            actor=actor,
        )

    @classmethod
    def build(
        cls, settings: Settings, database: Database | None = None, *, verify_only: bool = False
    ) -> AppContext:
        """``verify_only``: no master key is read or made (nothing will be signed; any
        attempt to open a signing key fails)."""
        keystore = (
            SigningKeyStores(KeyStore([MasterKey("unavailable", secrets.token_bytes(32))]))
            if verify_only
            else key_stores(settings)
        )
        return cls(
            settings=settings,
            database=database or open_database(settings.effective_database_url),
            keystore=keystore,
            loader=service_loader(settings),
        )
