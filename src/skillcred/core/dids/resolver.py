"""Resolving DIDs and dereferencing verification methods.

A resolver turns a DID into its DID document. :func:`dereference_verification_method`
finds a verification method in its controller's document and checks that the
controller authorises it for a verification relationship (e.g. ``assertionMethod``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

import base58

from skillcred.core.dids.key import DID_KEY_PREFIX, resolve_did_key
from skillcred.core.keys import Ed25519PublicMultikey
from skillcred.errors import (
    DidNotResolvedError,
    KeyFormatError,
    VerificationMethodError,
)


class DidResolver(Protocol):
    def resolve(self, did: str) -> Mapping[str, Any]:
        """The DID document of ``did``; raises DidResolutionError when it cannot."""
        ...


class MethodResolver:
    """Dispatches on the DID method: ``did:key`` locally, others to registered resolvers."""

    def __init__(self, methods: Mapping[str, Callable[[str], Mapping[str, Any]]] | None = None):
        self._methods: dict[str, Callable[[str], Mapping[str, Any]]] = {"key": resolve_did_key}
        self._methods.update(methods or {})

    def resolve(self, did: str) -> Mapping[str, Any]:
        if not isinstance(did, str) or not did.startswith("did:"):
            # Controller documents at https URLs (Controlled Identifiers 1.0) exist, but
            # are not resolved here: what they would say is unknown, not false.
            raise DidNotResolvedError(
                f"{did!r} is not a DID; keys named by other URLs are not resolved here"
            )
        method = did.split(":", 2)[1]
        resolver = self._methods.get(method)
        if resolver is None:
            raise DidNotResolvedError(f"the DID method 'did:{method}' is not supported here")
        return resolver(did)


def did_key_only() -> MethodResolver:
    """A resolver that needs no network: did:key only."""
    return MethodResolver()


def _id_of(entry: Any, document_id: str) -> str | None:
    value = entry.get("id") if isinstance(entry, Mapping) else entry
    if not isinstance(value, str):
        return None
    return document_id + value if value.startswith("#") else value


def dereference_verification_method(
    url: str, *, resolver: DidResolver, relationship: str
) -> tuple[Ed25519PublicMultikey, Mapping[str, Any]]:
    """The public key of the verification method ``url``, authorised for ``relationship``.

    Returns the key and the verification method object. Raises VerificationMethodError
    when the method is not in its controller's document, is not an Ed25519 key, or the
    controller does not list it under ``relationship``.
    """
    if not isinstance(url, str) or "#" not in url:
        raise VerificationMethodError(
            f"verificationMethod {url!r} is not a DID URL with a fragment"
        )
    did = url.split("#", 1)[0]
    document = resolver.resolve(did)
    document_id = document.get("id")
    if document_id != did:
        raise VerificationMethodError(f"the DID document of {did!r} has the id {document_id!r}")

    method: Mapping[str, Any] | None = None
    for key in ("verificationMethod", relationship):
        for entry in _as_list(document.get(key)):
            if isinstance(entry, Mapping) and _id_of(entry, did) == url:
                method = entry
                break
        if method is not None:
            break
    if method is None:
        raise VerificationMethodError(
            f"verificationMethod {url!r} is not in the DID document of {did!r}"
        )
    if method.get("controller") != did:
        raise VerificationMethodError(
            f"verificationMethod {url!r} is controlled by {method.get('controller')!r}, not {did!r}"
        )
    if not any(_id_of(entry, did) == url for entry in _as_list(document.get(relationship))):
        raise VerificationMethodError(f"{did!r} does not authorise {url!r} for {relationship}")
    return _public_key_of(method, url), method


def _public_key_of(method: Mapping[str, Any], url: str) -> Ed25519PublicMultikey:
    kind = method.get("type")
    try:
        if kind in ("Multikey", "Ed25519VerificationKey2020") and "publicKeyMultibase" in method:
            return _public_multikey(method["publicKeyMultibase"])
        if kind == "Ed25519VerificationKey2018" and isinstance(method.get("publicKeyBase58"), str):
            return Ed25519PublicMultikey.from_raw(
                bytes(base58.b58decode(method["publicKeyBase58"]))
            )
        if kind in ("JsonWebKey", "JsonWebKey2020") and isinstance(
            method.get("publicKeyJwk"), Mapping
        ):
            jwk = method["publicKeyJwk"]
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and "d" not in jwk:
                import base64

                x = str(jwk.get("x", ""))
                return Ed25519PublicMultikey.from_raw(
                    base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
                )
    except (KeyFormatError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, KeyFormatError) else str(exc)
        raise VerificationMethodError(f"verificationMethod {url!r}: {detail}") from exc
    raise VerificationMethodError(
        f"verificationMethod {url!r} is not an Ed25519 key (type {kind!r})"
    )


@lru_cache(maxsize=4096)
def _public_multikey(value: str) -> Ed25519PublicMultikey:
    return Ed25519PublicMultikey.from_multibase(value)


def _as_list(value: Any) -> list[Any] | tuple[Any, ...]:
    if value is None:
        return []
    return value if isinstance(value, (list, tuple)) else [value]


__all__ = [
    "DID_KEY_PREFIX",
    "DidResolver",
    "MethodResolver",
    "dereference_verification_method",
    "did_key_only",
]
