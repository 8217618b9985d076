"""did:key for Ed25519 Multikeys (did:key method v0.7, Multikey verification methods)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from skillcred.core.keys import (
    DID_KEY_PREFIX,
    Ed25519PublicMultikey,
    did_key_for,
    did_key_verification_method,
)
from skillcred.errors import DidNotResolvedError, DidResolutionError, KeyFormatError

__all__ = [
    "DID_KEY_PREFIX",
    "did_document_json",
    "did_key_for",
    "did_key_verification_method",
    "resolve_did_key",
]


@lru_cache(maxsize=4096)
def _resolve(did: str) -> Mapping[str, Any]:
    identifier = did[len(DID_KEY_PREFIX) :]
    if not identifier.startswith("z6Mk"):
        raise DidNotResolvedError(
            f"{did!r}: only Ed25519 did:key identifiers (z6Mk…) are supported here"
        )
    try:
        public = Ed25519PublicMultikey.from_multibase(identifier)
    except KeyFormatError as exc:
        raise DidResolutionError(f"{did!r} is not a valid did:key: {exc.detail}") from exc
    vm_id = f"{did}#{identifier}"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public.multibase,
            }
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }
    frozen: Mapping[str, Any] = _freeze(document)
    return frozen


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def resolve_did_key(did: str) -> Mapping[str, Any]:
    """The DID document of an Ed25519 did:key (read-only and cached: resolving is pure)."""
    if not did.startswith(DID_KEY_PREFIX) or "#" in did or "?" in did:
        raise DidResolutionError(f"{did!r} is not a did:key DID")
    return _resolve(did)


def did_document_json(document: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-JSON copy of a (possibly read-only) DID document."""
    return _thaw(document)  # type: ignore[no-any-return]


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value
