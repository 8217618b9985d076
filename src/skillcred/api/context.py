"""What one running app holds: settings, database, key store, loader, caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.resources import data_dir
from skillcred.services.issuance import IssuanceService
from skillcred.services.keystore import KeyStore
from skillcred.services.providers import ProviderDirectory, ProviderService, SignerCache
from skillcred.settings import Settings
from skillcred.storage.db import Database, open_database
from skillcred.storage.models import Provider
from skillcred.storage.writer import BatchWriter

SKILLS_CONTEXT_PATH = "/contexts/skills/v1"


def skills_context_url(base_url: str) -> str:
    return base_url + SKILLS_CONTEXT_PATH


def service_loader(settings: Settings) -> DocumentLoader:
    """The shipped contexts, plus the skills context under this service's base URL."""
    skills = data_dir("contexts") / "skills-v1.jsonld"
    extra = {skills_context_url(settings.base_url): skills.read_bytes()} if skills.exists() else {}
    return default_loader().with_documents(extra)


@dataclass(slots=True)
class AppContext:
    settings: Settings
    database: Database
    keystore: KeyStore
    loader: DocumentLoader
    signers: SignerCache = field(init=False)
    directory: ProviderDirectory = field(init=False)
    writer: BatchWriter = field(init=False)

    def __post_init__(self) -> None:
        self.signers = SignerCache(self.keystore)
        self.writer = BatchWriter(self.database)
        self.directory = ProviderDirectory(
            self.database, keystore=self.keystore, base_url=self.settings.base_url
        )

    def providers(self, session: Session) -> ProviderService:
        return ProviderService(session, keystore=self.keystore, base_url=self.settings.base_url)

    def authenticate(self, api_key: str) -> Provider:
        return self.directory.authenticate(api_key)

    def issuance(self) -> IssuanceService:
        return IssuanceService(
            self.database,
            signers=self.signers,
            directory=self.directory,
            writer=self.writer,
            loader=self.loader,
        )

    @classmethod
    def build(cls, settings: Settings, database: Database | None = None) -> AppContext:
        return cls(
            settings=settings,
            database=database or open_database(settings.effective_database_url),
            keystore=KeyStore(settings.master_keys()),
            loader=service_loader(settings),
        )
