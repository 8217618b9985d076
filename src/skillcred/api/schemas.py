"""Request and response bodies as the VC-API and this service name them (for OpenAPI too)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
        description="Lowercase letters, digits and '-' (1-64); part of URLs and did:web."
    )
    name: str = Field(max_length=200)
    didMethod: Literal["key", "web"] = "key"


class ProviderOut(BaseModel):
    slug: str
    name: str
    didMethod: Literal["key", "web"]
    did: str
    earlierDids: list[str]
    createdAt: str | None


class ProviderCreated(ProviderOut):
    apiKey: str = Field(description="Shown once; stored only as a hash.")


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
