"""One error family for the whole project.

Domain errors carry a stable ``code`` (the VC / Data Integrity / Bitstring Status List
error names where a standard names one) and a human ``detail``. They never carry HTTP
status codes: the HTTP layer maps error classes to status codes in one table.
"""

from __future__ import annotations

# Problem-detail type URIs named by the standards (VC 2.0 §7.1, Data Integrity §4, BSL §3.6).
VC_ERRORS = "https://www.w3.org/TR/vc-data-model#"
DI_ERRORS = "https://w3id.org/security#"
STATUS_ERRORS = "https://www.w3.org/ns/credentials/status-list#"


class SkillcredError(Exception):
    """Root of every error this project raises on purpose."""

    code: str = "SKILLCRED_ERROR"
    type_uri: str = "urn:skillcred:problem:error"
    title: str = "Error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInputError(SkillcredError):
    """The caller's input cannot be used (malformed JSON, wrong shape, bad value)."""

    code = "MALFORMED_VALUE_ERROR"
    type_uri = VC_ERRORS + "MALFORMED_VALUE_ERROR"
    title = "Malformed value"


class ParsingError(InvalidInputError):
    """The input is not a JSON document of the expected kind."""

    code = "PARSING_ERROR"
    type_uri = VC_ERRORS + "PARSING_ERROR"
    title = "Parsing error"


class DataModelError(InvalidInputError):
    """A credential or presentation breaks a rule of the VC data model."""

    code = "MALFORMED_VALUE_ERROR"
    type_uri = VC_ERRORS + "MALFORMED_VALUE_ERROR"
    title = "Data model violation"


class KeyFormatError(InvalidInputError):
    """A key is not an Ed25519 Multikey (or key file) of the expected form."""

    code = "INVALID_KEY"
    type_uri = "urn:skillcred:problem:invalid-key"
    title = "Invalid key"


class JsonLdError(InvalidInputError):
    """JSON-LD processing failed (invalid context, bad term definition, ...)."""

    code = "JSONLD_ERROR"
    type_uri = "urn:skillcred:problem:jsonld"
    title = "JSON-LD processing error"


class DocumentLoaderError(JsonLdError):
    """A document (usually a remote @context) is not one the loader serves."""

    code = "UNKNOWN_CONTEXT"
    type_uri = "urn:skillcred:problem:unknown-context"
    title = "Unknown context"


class ShippedContextError(SkillcredError):
    """The shipped contexts are not as pinned in ``contexts/index.json``.

    An installation fault, never the caller's: the service must not start with it.
    """

    code = "SHIPPED_CONTEXT_ERROR"
    type_uri = "urn:skillcred:problem:shipped-context"
    title = "Shipped context corrupt"


class SafeModeError(JsonLdError):
    """JSON-LD processing would silently drop or rewrite data (a term, a type, a value)."""

    code = "DATA_LOSS_DETECTION_ERROR"
    type_uri = DI_ERRORS + "DATA_LOSS_DETECTION_ERROR"
    title = "Data would be lost"


class ProofGenerationError(SkillcredError):
    """A proof could not be created from the given document and options."""

    code = "PROOF_GENERATION_ERROR"
    type_uri = DI_ERRORS + "PROOF_GENERATION_ERROR"
    title = "Proof generation error"


class DidResolutionError(SkillcredError):
    """A DID or DID URL is not valid, or does not name what it should."""

    code = "DID_RESOLUTION_ERROR"
    type_uri = "urn:skillcred:problem:did-resolution"
    title = "DID resolution error"


class DidNotResolvedError(DidResolutionError):
    """A DID document could not be had here (a DID method not supported, a did:web host
    that did not answer in time, verification offline): nothing is known about the DID,
    so what depends on it cannot be checked — it is not shown false either."""

    code = "DID_NOT_RESOLVED"
    type_uri = "urn:skillcred:problem:did-not-resolved"
    title = "DID document unavailable"


def problem_type(code: str) -> str:
    """The problem-details ``type`` URI for an error code.

    Codes named by a W3C specification get that specification's URI; skillcred's own
    codes get a ``urn:skillcred:problem:`` URN.
    """
    if code in _VC_CODES:
        return VC_ERRORS + code
    if code in _DI_CODES:
        return DI_ERRORS + code
    if code in _STATUS_CODES:
        return STATUS_ERRORS + code
    return "urn:skillcred:problem:" + code.lower().replace("_", "-")


_VC_CODES = frozenset(
    {"PARSING_ERROR", "CRYPTOGRAPHIC_SECURITY_ERROR", "MALFORMED_VALUE_ERROR", "RANGE_ERROR"}
)
_DI_CODES = frozenset(
    {
        "PROOF_GENERATION_ERROR",
        "PROOF_VERIFICATION_ERROR",
        "PROOF_TRANSFORMATION_ERROR",
        "MALFORMED_PROOF_ERROR",
        "MISMATCHED_PROOF_PURPOSE_ERROR",
        "INVALID_DOMAIN_ERROR",
        "INVALID_CHALLENGE_ERROR",
        "INVALID_VERIFICATION_METHOD",
        "INVALID_PROOF_CONFIGURATION",
        "INVALID_PROOF_DATETIME",
        "DATA_LOSS_DETECTION_ERROR",
    }
)
_STATUS_CODES = frozenset(
    {"STATUS_RETRIEVAL_ERROR", "STATUS_VERIFICATION_ERROR", "STATUS_LIST_LENGTH_ERROR"}
)


class RequestError(InvalidInputError):
    """The request itself is wrong: an unknown option, a bad header, a wrong field."""

    code = "INVALID_REQUEST"
    type_uri = "urn:skillcred:problem:invalid-request"
    title = "Invalid request"


class KeyStoreNotConfiguredError(RequestError):
    """A key store was asked for (a provider's ``keyStore``) that this deployment has not
    configured."""

    code = "KEY_STORE_NOT_CONFIGURED"
    type_uri = "urn:skillcred:problem:key-store-not-configured"
    title = "Key store not configured"


class LimitExceededError(InvalidInputError):
    """The input asks for more work than this service does for one request (more proofs,
    status entries, credentials, rows or nesting than the documented limits)."""

    code = "LIMIT_EXCEEDED"
    type_uri = "urn:skillcred:problem:limit-exceeded"
    title = "Limit exceeded"


class IssuerMismatchError(RequestError):
    """The credential names an issuer other than the caller."""

    code = "ISSUER_MISMATCH"
    type_uri = "urn:skillcred:problem:issuer-mismatch"
    title = "Issuer mismatch"


class AuthenticationError(SkillcredError):
    """No credentials, or credentials that are not valid."""

    code = "UNAUTHENTICATED"
    type_uri = "urn:skillcred:problem:unauthenticated"
    title = "Authentication required"


class PermissionDeniedError(SkillcredError):
    code = "FORBIDDEN"
    type_uri = "urn:skillcred:problem:forbidden"
    title = "Not allowed"


class ProviderSuspendedError(PermissionDeniedError):
    """The provider is suspended by the operator: it issues nothing and changes no status
    until it is reinstated (what it issued keeps verifying)."""

    code = "PROVIDER_SUSPENDED"
    type_uri = "urn:skillcred:problem:provider-suspended"
    title = "Provider suspended"


class NotFoundError(SkillcredError):
    code = "NOT_FOUND"
    type_uri = "urn:skillcred:problem:not-found"
    title = "Not found"


class ConflictError(SkillcredError):
    """The request conflicts with the current state (a duplicate, a request in flight)."""

    code = "CONFLICT"
    type_uri = "urn:skillcred:problem:conflict"
    title = "Conflict"


class IdempotencyKeyReusedError(SkillcredError):
    """An Idempotency-Key was sent again with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"
    type_uri = "urn:skillcred:problem:idempotency-key-reused"
    title = "Idempotency key reused"


class StatusListError(SkillcredError):
    """A status list could not be used to learn a credential's status (BSL v1.0 §3.6)."""

    code = "STATUS_VERIFICATION_ERROR"
    type_uri = STATUS_ERRORS + "STATUS_VERIFICATION_ERROR"
    title = "Status verification error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.type_uri = STATUS_ERRORS + self.code
