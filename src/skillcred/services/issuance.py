"""Issuing credentials for a provider: check, complete, sign, store — once per request."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from skillcred.core.cryptosuites import SIGNING_SUITES
from skillcred.core.cryptosuites.eddsa_jcs_2022 import jcs
from skillcred.core.datamodel import as_list, check_credential, issuer_id
from skillcred.core.datetimes import utc_now
from skillcred.core.issuing import complete_credential
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import CREDENTIALS_V1, DATA_INTEGRITY_V2, DocumentLoader
from skillcred.core.proofs import add_proof
from skillcred.errors import (
    ConflictError,
    DataModelError,
    IdempotencyKeyReusedError,
    IssuerMismatchError,
    RequestError,
)
from skillcred.services.keystore import KeyStoreError
from skillcred.services.providers import SignerCache
from skillcred.storage.models import IdempotencyKey, IssuedCredential, Provider
from skillcred.storage.repositories import Credentials, DuplicateError, IdempotencyKeys, SigningKeys

ISSUE_OPTIONS = ("cryptosuite", "created")


@dataclass(frozen=True, slots=True)
class IssueOptions:
    cryptosuite: str = "eddsa-rdfc-2022"
    created: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any, *, allowed_extra: tuple[str, ...] = ()) -> IssueOptions:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise RequestError("options must be a JSON object")
        unknown = sorted(set(raw) - set(ISSUE_OPTIONS) - set(allowed_extra))
        if unknown:
            raise RequestError(
                f"unknown option {unknown[0]!r}; this issuer understands "
                + ", ".join(repr(o) for o in (*ISSUE_OPTIONS, *allowed_extra))
            )
        suite = raw.get("cryptosuite", "eddsa-rdfc-2022")
        if suite not in SIGNING_SUITES:
            raise RequestError(
                f"unknown cryptosuite {suite!r}; use 'eddsa-rdfc-2022' or 'eddsa-jcs-2022'"
            )
        created = raw.get("created")
        if created is not None and not isinstance(created, str):
            raise RequestError("options.created must be a dateTimeStamp string")
        extra = {k: raw[k] for k in allowed_extra if k in raw}
        return cls(cryptosuite=suite, created=created, extra=extra)


@dataclass(frozen=True, slots=True)
class Issued:
    document: bytes
    credential_id: str
    replayed: bool = False


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """What an idempotent retry must repeat: the canonical request body."""
    return hashlib.sha256(jcs(body)).hexdigest()


def with_data_integrity_context(credential: Mapping[str, Any]) -> dict[str, Any]:
    """VC 1.1 credentials need the Data Integrity context to carry a DataIntegrityProof."""
    contexts = as_list(credential.get("@context"))
    if CREDENTIALS_V1 not in contexts or DATA_INTEGRITY_V2 in contexts:
        return dict(credential)
    return {**credential, "@context": [*contexts, DATA_INTEGRITY_V2]}


#: adds status entries to a credential before it is signed (Bitstring Status List)
StatusAllocator = Callable[[Session, Provider, dict[str, Any], IssueOptions], dict[str, Any]]


class IssuanceService:
    def __init__(
        self,
        session: Session,
        *,
        signers: SignerCache,
        loader: DocumentLoader,
        status_allocator: StatusAllocator | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.session = session
        self.signers = signers
        self.loader = loader
        self.status_allocator = status_allocator
        self.clock = clock
        self.credentials = Credentials(session)

    def issue(
        self,
        provider: Provider,
        credential: Any,
        options: IssueOptions,
        *,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
    ) -> Issued:
        keys = IdempotencyKeys(self.session)
        if idempotency_key is not None:
            previous = keys.get(provider.id, idempotency_key)
            if previous is not None:
                if previous.request_hash != fingerprint:
                    raise IdempotencyKeyReusedError(
                        "this Idempotency-Key was used for a different request; "
                        "use a new key for a new credential"
                    )
                row = self.credentials.by_row_id(provider.id, previous.credential_row_id)
                assert row is not None  # a foreign key guarantees it
                return Issued(row.document.encode(), row.credential_id, replayed=True)

        if not isinstance(credential, Mapping):
            raise DataModelError("credential must be a JSON object")
        given = issuer_id(credential) if "issuer" in credential else provider.did
        if given != provider.did:
            raise IssuerMismatchError(
                f"the credential's issuer {given!r} is not this provider's DID {provider.did!r}"
            )
        now = self.clock()
        document = complete_credential(
            with_data_integrity_context(credential), issuer=provider.did, now=now
        )
        _version, period = check_credential(document)
        if "proof" in document:
            raise DataModelError("the credential to issue must not carry a proof already")
        if self.status_allocator is not None:
            document = self.status_allocator(self.session, provider, document, options)
            check_credential(document)
        if options.cryptosuite != "eddsa-rdfc-2022":
            # eddsa-rdfc-2022 canonicalizes in safe mode while signing; JCS does not
            # read JSON-LD, so check that the credential means what it says here.
            canonicalize(document, loader=self.loader, safe=True)

        key = SigningKeys(self.session).current(provider.id)
        if key is None:
            raise KeyStoreError(f"provider {provider.slug!r} has no signing key")
        signed = add_proof(
            document,
            signer=self.signers.signer_for(key),
            cryptosuite=options.cryptosuite,
            created=options.created if options.created is not None else now,
            loader=self.loader,
        )
        body = orjson.dumps(signed)
        credential_id = str(signed["id"])
        row = IssuedCredential(
            id=str(uuid.uuid4()),
            provider_id=provider.id,
            credential_id=credential_id,
            document=body.decode(),
            cryptosuite=options.cryptosuite,
            verification_method=key.verification_method,
            issued_at=now,
            valid_until=period.valid_until,
        )
        try:
            self.credentials.add(row)
            if idempotency_key is not None:
                keys.add(
                    IdempotencyKey(
                        provider_id=provider.id,
                        key=idempotency_key,
                        request_hash=fingerprint or "",
                        credential_row_id=row.id,
                        created_at=now,
                    )
                )
        except DuplicateError as exc:
            if idempotency_key is not None:
                raise ConflictError(
                    "a request with this Idempotency-Key was being processed at the same "
                    "time; retry it to get its result"
                ) from exc
            raise ConflictError(
                f"a credential with the id {credential_id!r} was issued already"
            ) from exc
        return Issued(body, credential_id)

    def get(self, provider: Provider, credential_id: str) -> bytes | None:
        row = self.credentials.get(provider.id, credential_id)
        return None if row is None else row.document.encode()
