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
    """Root of every error this project raises on purpose.

    ``type_uri`` is derived from ``code`` by :func:`problem_type`, never set by hand, so an
    error carries the same URI in an HTTP problem and inside a verification result.
    """

    code: str = "SKILLCRED_ERROR"
    title: str = "Error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code

    @property
    def type_uri(self) -> str:
        return problem_type(self.code)


class InvalidInputError(SkillcredError):
    """The caller's input cannot be used (malformed JSON, wrong shape, bad value)."""

    code = "MALFORMED_VALUE_ERROR"
    title = "Malformed value"


class ParsingError(InvalidInputError):
    """The input is not a JSON document of the expected kind."""

    code = "PARSING_ERROR"
    title = "Parsing error"


class DataModelError(InvalidInputError):
    """A credential or presentation breaks a rule of the VC data model."""

    code = "MALFORMED_VALUE_ERROR"
    title = "Data model violation"


class KeyFormatError(InvalidInputError):
    """A key is not an Ed25519 Multikey (or key file) of the expected form."""

    code = "INVALID_KEY"
    title = "Invalid key"


class SdJwtError(InvalidInputError):
    """An SD-JWT is malformed, or a disclosure does not fit it (RFC 9901 §7.1): reported
    inside a verification result (the proof does not hold)."""

    code = "INVALID_DISCLOSURE"
    title = "Invalid SD-JWT or disclosure"


class KeyBindingError(InvalidInputError):
    """An SD-JWT+KB's Key Binding JWT does not hold: signature, typ, nonce, aud, iat or
    sd_hash (RFC 9901 §7.3); reported inside a verification result."""

    code = "INVALID_KEY_BINDING"
    title = "Key binding does not hold"


class JsonLdError(InvalidInputError):
    """JSON-LD processing failed (invalid context, bad term definition, ...)."""

    code = "JSONLD_ERROR"
    title = "JSON-LD processing error"


class DocumentLoaderError(JsonLdError):
    """A document (usually a remote @context) is not one the loader serves."""

    code = "UNKNOWN_CONTEXT"
    title = "Unknown context"


class ShippedContextError(SkillcredError):
    """The shipped contexts are not as pinned in ``contexts/index.json``.

    An installation fault, never the caller's: the service must not start with it.
    """

    code = "SHIPPED_CONTEXT_ERROR"
    title = "Shipped context corrupt"


class SafeModeError(JsonLdError):
    """JSON-LD processing would silently drop or rewrite data (a term, a type, a value)."""

    code = "DATA_LOSS_DETECTION_ERROR"
    title = "Data would be lost"


class ProofGenerationError(SkillcredError):
    """A proof could not be created from the given document and options."""

    code = "PROOF_GENERATION_ERROR"
    title = "Proof generation error"


class DidResolutionError(SkillcredError):
    """A DID or DID URL is not valid, or does not name what it should."""

    code = "DID_RESOLUTION_ERROR"
    title = "DID resolution error"


class DidNotResolvedError(DidResolutionError):
    """A DID document could not be had here (a DID method not supported, a did:web host
    that did not answer in time, verification offline): nothing is known about the DID,
    so what depends on it cannot be checked — it is not shown false either."""

    code = "DID_NOT_RESOLVED"
    title = "DID document unavailable"


class VerificationMethodError(DidResolutionError):
    """The verification method is missing, unusable or not authorised for the purpose."""

    code = "INVALID_VERIFICATION_METHOD"
    title = "Invalid verification method"


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


#: the problem ``type`` URIs answered over HTTP before they were derived from the code
#: (docs/errors.md, "Earlier URIs"): code -> earlier URI
EARLIER_TYPE_URIS: dict[str, str] = {
    "SKILLCRED_ERROR": "urn:skillcred:problem:error",
    "CONFIGURATION_ERROR": "urn:skillcred:problem:error",
    "KEY_STORE_ERROR": "urn:skillcred:problem:error",
    "JSONLD_ERROR": "urn:skillcred:problem:jsonld",
    "DID_RESOLUTION_ERROR": "urn:skillcred:problem:did-resolution",
    "INVALID_VERIFICATION_METHOD": "urn:skillcred:problem:did-resolution",
    "REMOTE_FETCH_ERROR": "urn:skillcred:problem:remote-fetch",
    "SHIPPED_CONTEXT_ERROR": "urn:skillcred:problem:shipped-context",
    "RANGE_ERROR": STATUS_ERRORS + "RANGE_ERROR",
}

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
    title = "Invalid request"


class KeyStoreNotConfiguredError(RequestError):
    """A key store was asked for (a provider's ``keyStore``) that this deployment has not
    configured."""

    code = "KEY_STORE_NOT_CONFIGURED"
    title = "Key store not configured"


class LimitExceededError(InvalidInputError):
    """The input asks for more work than this service does for one request (more proofs,
    status entries, credentials, rows or nesting than the documented limits)."""

    code = "LIMIT_EXCEEDED"
    title = "Limit exceeded"


class IssuerMismatchError(RequestError):
    """The credential names an issuer other than the caller."""

    code = "ISSUER_MISMATCH"
    title = "Issuer mismatch"


class AuthenticationError(SkillcredError):
    """No credentials, or credentials that are not valid."""

    code = "UNAUTHENTICATED"
    title = "Authentication required"


class PermissionDeniedError(SkillcredError):
    code = "FORBIDDEN"
    title = "Not allowed"


class ProviderSuspendedError(PermissionDeniedError):
    """The provider is suspended by the operator: it issues nothing and changes no status
    until it is reinstated (what it issued keeps verifying)."""

    code = "PROVIDER_SUSPENDED"
    title = "Provider suspended"


class NotFoundError(SkillcredError):
    code = "NOT_FOUND"
    title = "Not found"


class ConflictError(SkillcredError):
    """The request conflicts with the current state (a duplicate, a request in flight)."""

    code = "CONFLICT"
    title = "Conflict"


class JobNotFinishedError(ConflictError):
    """A batch job's results were asked for while its rows are still being issued."""

    code = "JOB_NOT_FINISHED"
    title = "Job not finished"


class IdempotencyKeyReusedError(SkillcredError):
    """An Idempotency-Key was sent again with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"
    title = "Idempotency key reused"


class StatusListError(SkillcredError):
    """A status list could not be used to learn a credential's status (BSL v1.0 §3.6)."""

    code = "STATUS_VERIFICATION_ERROR"
    title = "Status verification error"


class ConfigurationError(SkillcredError):
    """The settings are unusable or unsafe for the chosen environment."""

    code = "CONFIGURATION_ERROR"
    title = "Configuration error"


class KeyStoreError(SkillcredError):
    """A signing key cannot be opened or used (no master key for it, a damaged ciphertext)."""

    code = "KEY_STORE_ERROR"
    title = "Signing key unavailable"


class RemoteFetchError(SkillcredError):
    code = "REMOTE_FETCH_ERROR"
    title = "Remote document unavailable"

    def __init__(self, detail: str, *, outcome: str = "error") -> None:
        super().__init__(detail)
        #: for the metrics: error, timeout, too-slow, too-large, skipped (budget or caps)
        self.outcome = outcome


class RemoteRefusedError(RemoteFetchError):
    """The URL points somewhere this service will not connect to."""

    code = "REMOTE_ADDRESS_REFUSED"
    title = "Remote address refused"


class PresentationResponseError(SkillcredError):
    """A wallet's answer to a presentation request is refused (OpenID4VP 1.0 §8.2 /
    RFC 6749 §5.2): answered already, too late, or not an answer to that request. The
    OAuth ``error`` code goes beside the problem details, for wallets that read it."""

    code = "PRESENTATION_RESPONSE_REFUSED"
    title = "Presentation response refused"

    def __init__(self, detail: str, *, oauth_error: str = "invalid_request") -> None:
        super().__init__(detail)
        self.extensions = {"error": oauth_error, "error_description": detail}


class PresentationRequestGoneError(SkillcredError):
    """A presentation request that is no longer open: answered, expired, or its result
    already read (each is read once)."""

    code = "PRESENTATION_REQUEST_GONE"
    title = "Presentation request no longer open"

    def __init__(self, detail: str, *, oauth_error: str = "invalid_request_uri") -> None:
        super().__init__(detail)
        self.extensions = {"error": oauth_error, "error_description": detail}


class OAuthError(SkillcredError):
    """An error an OAuth 2.0 / OpenID4VCI endpoint answers with the error object those
    specifications define (``{"error", "error_description"}``, RFC 6749 §5.2,
    OpenID4VCI 1.0 §6.3 and §8.3.1.2), not a problem details document."""

    code = "invalid_request"
    title = "OAuth error"


class InvalidGrantError(OAuthError):
    """The pre-authorized code or transaction code is wrong, used, expired or withdrawn."""

    code = "invalid_grant"


class UnsupportedGrantTypeError(OAuthError):
    code = "unsupported_grant_type"


class InvalidTokenError(OAuthError):
    """The access token is missing, unknown or expired (RFC 6750 §3.1)."""

    code = "invalid_token"


class InvalidCredentialRequestError(OAuthError):
    code = "invalid_credential_request"


class UnknownCredentialConfigurationError(OAuthError):
    code = "unknown_credential_configuration"


class InvalidProofError(OAuthError):
    """The key proof is missing, malformed, or does not verify (OpenID4VCI §8.3.1.2)."""

    code = "invalid_proof"


class InvalidNonceError(OAuthError):
    """The key proof's nonce is not one this issuer handed out, or was used already."""

    code = "invalid_nonce"


class MailError(SkillcredError):
    """An offer e-mail could not be handed to the SMTP server (an upstream failure)."""

    code = "MAIL_NOT_SENT"
    title = "E-mail not sent"
