"""Issuing skill credentials for one provider: one request, or a whole class."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from skillcred.services import batch
from skillcred.services.issuance import IssuanceService, Issued, IssueOptions, Pending
from skillcred.services.skills import SkillCredentialRequest, SkillService, draft_skill_credential
from skillcred.storage.db import Database
from skillcred.storage.models import Provider
from skillcred.storage.repositories import IdempotencyKeys


class SkillIssuer:
    def __init__(
        self,
        *,
        skills: SkillService,
        issuance: IssuanceService,
        database: Database,
        provider: Provider,
        actor: str,
    ) -> None:
        self.skills = skills
        self.issuance = issuance
        self.database = database
        self.provider = provider
        self.actor = actor

    def _arguments(self, request: SkillCredentialRequest) -> tuple[dict[str, Any], IssueOptions]:
        credential, purposes = draft_skill_credential(self.skills, self.provider, request)
        return credential, IssueOptions(cryptosuite=request.cryptosuite, status_purposes=purposes)

    async def issue_async(
        self,
        request: SkillCredentialRequest,
        *,
        idempotency_key: str | None,
        fingerprint: str | None,
    ) -> Issued:
        credential, options = self._arguments(request)
        return await self.issuance.issue_async(
            self.provider,
            credential,
            options,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=self.actor,
            check=self.skills.validate_schemas,
        )

    def start(self, request: SkillCredentialRequest, key: str, new: bool) -> Pending:
        """One batch row: signed now, committed with the others (see batch.run)."""
        credential, options = self._arguments(request)
        return self.issuance.start(
            self.provider,
            credential,
            options,
            idempotency_key=key,
            fingerprint=batch.row_fingerprint(key),
            actor=self.actor,
            check=self.skills.validate_schemas,
            known_new=new,
        )

    def existing(self, keys: list[str]) -> set[str]:
        with self.database.reading() as session:
            return IdempotencyKeys(session).existing(self.provider.id, keys)

    def run_batch(
        self,
        rows: Iterable[batch.Row],
        on_result: Callable[[batch.RowResult], None],
        *,
        keys: Callable[[batch.Row, Mapping[str, Any]], str] | None = None,
    ) -> batch.Summary:
        return batch.run(
            rows,
            start=self.start,
            provider_slug=self.provider.slug,
            existing=self.existing,
            on_result=on_result,
            keys=keys,
        )
