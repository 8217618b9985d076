"""Request and response bodies as the VC-API and this service name them (for OpenAPI too)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

EXAMPLE_CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "ExampleSkillCredential"],
    "credentialSubject": {"id": "did:example:worker-1", "skill": "MIG welding"},
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:skillcred:problem:issuer-mismatch"])
    title: str
    status: int
    detail: str = Field(
        examples=["the credential's issuer 'did:example:x' is not this provider's DID"]
    )
    code: str | None = None
    instance: str | None = None


# The `responses` entry for an error answered as problem details (OpenAPI).
PROBLEM: dict[str, Any] = {"model": Problem, "content": {"application/problem+json": {}}}


class IssueRequest(BaseModel):
    """VC-API IssueCredentialRequest."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"credential": EXAMPLE_CREDENTIAL, "options": {"cryptosuite": "eddsa-rdfc-2022"}}
            ]
        },
    )

    credential: dict[str, Any] = Field(
        description="The credential to issue (VC 2.0 or 1.1), unsigned."
    )
    options: dict[str, Any] | None = Field(
        default=None,
        description=(
            "`cryptosuite`: `eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`; `created`: the "
            "proof's dateTimeStamp. Any other option is refused."
        ),
    )


class IssueResponse(BaseModel):
    """VC-API IssueCredentialResponse."""

    verifiableCredential: dict[str, Any]


class CredentialResponse(BaseModel):
    verifiableCredential: dict[str, Any]


class ProviderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"slug": "metaal-oost", "name": "Metaal Opleidingen Oost", "didMethod": "web"}
            ]
        },
    )

    slug: str = Field(
        description="Lowercase letters, digits and '-' (1-64); part of URLs and did:web.",
        json_schema_extra={"pattern": "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"},
    )
    name: str = Field(min_length=1, max_length=200)
    didMethod: Literal["key", "web"] = "key"
    keyStore: Literal["database", "pkcs11"] = Field(
        default="database",
        description="Where its signing keys live: sealed in the database, or in the "
        "PKCS#11 token the operator configured (the key never leaves it).",
    )


class ProviderOut(BaseModel):
    slug: str
    name: str
    didMethod: Literal["key", "web"]
    did: str
    earlierDids: list[str]
    createdAt: str | None
    suspended: bool = False
    suspendedAt: str | None = None
    suspensionReason: str | None = None


class ProviderCreated(ProviderOut):
    apiKey: str = Field(description="Shown once; stored only as a hash.")


#: date-times an operator may give (expiry, compromise time): later than this is no real
#: date, and converting one to UTC could leave the calendar
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def _in_range(value: datetime | None) -> datetime | None:
    if value is not None and not _EARLIEST <= value <= _LATEST:
        raise ValueError("must lie between 1970-01-01 and 9000-01-01")
    return value


OperatorDateTime = Annotated[AwareDatetime, AfterValidator(_in_range)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "issuing office", "expires": None}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=100)
    expires: OperatorDateTime | None = Field(
        default=None, description="When the key stops working (none: until revoked)."
    )


class ApiKeyRotate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"graceSeconds": 86400}]}
    )

    graceSeconds: int = Field(
        ge=0,
        le=90 * 86400,
        description="How long the old key keeps working beside the new one.",
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="Default: the old key's."
    )
    expires: OperatorDateTime | None = None


class ApiKeyOut(BaseModel):
    id: str
    name: str | None
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    createdAt: str | None
    lastUsedAt: str | None = Field(description="Precise to about a minute.")
    expires: str | None
    revokedAt: str | None = Field(
        description="When the key is (or, while a rotated key's grace runs, will be) refused."
    )
    state: Literal["active", "grace", "expired", "revoked"]


class ApiKeyCreated(BaseModel):
    id: str
    name: str | None
    apiKey: str = Field(description="Shown once; stored only as a hash.")
    expires: str | None


class ApiKeyRotated(ApiKeyCreated):
    replaces: ApiKeyOut = Field(description="The old key, valid until its revokedAt.")


class ProviderSuspend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class KeyCompromise(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"since": "2026-11-30T00:00:00Z"}, {}]},
    )

    since: OperatorDateTime | None = Field(
        default=None,
        description="Distrust what the key signed from this time on; absent: everything.",
    )
    reason: str | None = Field(default=None, max_length=1000)


class AffectedCredential(BaseModel):
    credentialId: str
    issuedAt: str
    revoked: bool = Field(description="false: it has no revocation entry to set.")
    changed: bool = Field(description="false: it was revoked already.")


class KeyCompromised(BaseModel):
    verificationMethod: str
    since: str | None
    revoked: int = Field(description="Credentials this operation revoked.")
    credentials: list[AffectedCredential]
    newVerificationMethod: str | None = Field(
        description="The key the provider signs with from now on (when the compromised "
        "one was its current key)."
    )


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class CredentialStatusRef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["BitstringStatusList", "BitstringStatusListEntry"]
    statusPurpose: Literal["revocation", "suspension"]


class UpdateStatusRequest(BaseModel):
    """VC-API UpdateCredentialStatus."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "credentialId": "urn:uuid:0b82afba-d906-4580-bc53-ffcbd92ecec8",
                    "credentialStatus": {
                        "type": "BitstringStatusList",
                        "statusPurpose": "revocation",
                    },
                    "status": True,
                    "reason": "assessment found to be fraudulent",
                }
            ]
        },
    )

    credentialId: str = Field(min_length=1, max_length=700)
    credentialStatus: CredentialStatusRef
    status: bool = Field(description="true: revoked / suspended; false: lift a suspension.")
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description=(
            "Kept in the audit trail. The reason for a suspension is also shown to whoever "
            "verifies the credential with this service, until the suspension is lifted "
            "(e.g. 'pending re-assessment'): write it for an employer, nothing personal."
        ),
    )


class UpdateStatusResponse(BaseModel):
    credentialId: str
    statusPurpose: str
    status: bool
    changed: bool
    statusListCredential: str


class AuditEventOut(BaseModel):
    """One audit record: every field but ``hash`` is covered by ``hash`` (SHA-256 of the
    RFC 8785 JSON of those fields), so anyone can recompute it from this JSON."""

    seq: int
    providerId: str | None = Field(description="The provider's internal id (null: no provider).")
    occurredAt: str
    actor: str
    action: str
    subject: str | None
    reason: str | None
    data: dict[str, Any]
    prevHash: str
    hash: str


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    next: int | None = Field(description="Pass as `after` for the next page; null at the end.")


class VerifyCredentialRequest(BaseModel):
    """VC-API VerifyCredentialRequest."""

    model_config = ConfigDict(extra="forbid")

    verifiableCredential: Any = Field(description="The credential to verify.")
    options: dict[str, Any] | None = Field(
        default=None, description="`checks`: which checks to run besides the proof."
    )


class VerifyPresentationRequest(BaseModel):
    """VC-API VerifyPresentationRequest."""

    model_config = ConfigDict(extra="forbid")

    verifiablePresentation: Any = Field(description="The presentation (skills passport).")
    options: dict[str, Any] | None = Field(
        default=None,
        description=(
            "`challenge`, `domain`: what the holder's proof must carry; `checks`; "
            "`allowUnsignedPresentation`: accept a presentation without a holder proof."
        ),
    )


class ProblemOut(BaseModel):
    type: str
    code: str
    title: str
    detail: str


class CheckOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    check: str
    outcome: Literal["passed", "failed", "not-performed", "skipped"]
    problems: list[ProblemOut] | None = None


class VerificationResponse(BaseModel):
    """The structured result: one entry per check, problems as RFC 9457 details."""

    model_config = ConfigDict(extra="allow")

    verified: bool
    kind: Literal["credential", "presentation"]
    checks: list[CheckOut]
    proofs: list[dict[str, Any]]
    warnings: list[ProblemOut]
    errors: list[ProblemOut]


class BatchSummary(BaseModel):
    """How the rows of a batch went (a job's: the rows processed so far)."""

    rows: int
    issued: int
    alreadyIssued: int
    failed: int


class BatchRowResult(BaseModel):
    """One row of a batch: its line (CSV line, or position in the JSON array), its outcome,
    and the credential issued or the error that kept it from being issued."""

    line: int
    outcome: Literal["issued", "already issued", "failed", "not processed"]
    credentialId: str | None = None
    error: str | None = None
    verifiableCredential: dict[str, Any] | None = None


class BatchResponse(BaseModel):
    summary: BatchSummary
    results: list[BatchRowResult]


class BatchJobStatus(BaseModel):
    """A batch job and its progress: ``done`` of ``total`` rows processed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f5c2a9e-6d0b-4a43-9a61-3f1f3f1c2b7d",
                    "state": "running",
                    "total": 200000,
                    "done": 51200,
                    "issued": 51187,
                    "alreadyIssued": 0,
                    "failed": 13,
                    "created": "2026-03-02T09:00:00.120000Z",
                    "started": "2026-03-02T09:00:00.410000Z",
                    "finished": None,
                }
            ]
        }
    )

    id: str
    state: Literal["queued", "running", "completed", "failed"]
    total: int
    done: int
    issued: int
    alreadyIssued: int
    failed: int
    created: str
    started: str | None
    finished: str | None
    error: str | None = Field(
        default=None, description="Why the job as a whole stopped (state failed)."
    )
    results: str | None = Field(
        default=None, description="Where its results are, once it has finished."
    )


class BatchJobResults(BaseModel):
    """A page of a finished job's rows, each as a synchronous batch reports it."""

    job: BatchJobStatus
    summary: BatchSummary
    results: list[BatchRowResult]
    next: int | None = Field(
        description="The `after` value of the next page (null: this is the last)."
    )


class CreatePresentationRequest(BaseModel):
    """What the employer asks the worker's wallet for."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "query": {
                        "skills": [
                            {
                                "id": "welding",
                                "alignment": "http://data.europa.eu/esco/skill/a5e5e6a4-9c3b-4e2d-8f3c-8b6a0f1f2d3e",
                                "required": True,
                            },
                            {"id": "safety", "achievementType": "Certification", "required": False},
                        ]
                    },
                    "purpose": "Welding job at the Hengelo yard: welding and safety certificates",
                }
            ]
        },
    )

    query: dict[str, Any] | None = Field(
        default=None,
        description=(
            "`{format?, skills: [{id?, achievement?, alignment?, achievementType?, required?, "
            "claims?}]}`: which skill credentials (a skill definition's id, a framework skill "
            "URI such as ESCO's, an achievement type), each required or optional. `format`: "
            "`ldp_vc` (default) or `dc+sd-jwt` (the SD-JWT VC for the EU wallets); for "
            '`dc+sd-jwt`, `claims` names only the claims needed (`"level"`, '
            '`["assessment", "method"]`; default the skill and the level). Absent: the '
            "deployment's default request, or any skill credential."
        ),
    )
    purpose: str | None = Field(
        default=None, description="Why they are asked for, shown in the wallet (1-500 characters)."
    )


class PresentationRequestCreated(BaseModel):
    """A presentation request: the OpenID4VP request, the LCW deep link, their QR codes."""

    id: str
    openid4vpRequest: str = Field(description="The `openid4vp://` Authorization Request URI.")
    vcapiRequest: str = Field(
        description="The Learner Credential Wallet deep link (`request` with `protocols.vcapi`)."
    )
    resultUrl: str = Field(
        description="GET: 202 while waiting, then 200 with the verification result, once."
    )
    expires: str
    clientId: str
    query: list[dict[str, Any]]
    purpose: str | None = None
    qrCodes: dict[str, str] = Field(description="`openid4vp`, `vcapi`: SVG data URIs.")
