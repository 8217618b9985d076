"""Signing keys encrypted at rest: AES-256-GCM under the operator's master key.

Each ciphertext records the id of the master key that sealed it and is bound to its
row (the key id is the associated data), so a ciphertext cannot be moved to another
row. The first configured master key seals new keys; older ones still open what they
sealed, so an older master key stays configured while keys it sealed are in use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from skillcred.core.keys import Ed25519KeyPair
from skillcred.errors import KeyStoreError
from skillcred.settings import MasterKey

_NONCE_BYTES = 12


class KeyStore:
    def __init__(self, master_keys: Sequence[MasterKey]) -> None:
        if not master_keys:
            raise KeyStoreError("no master key")
        self._current = master_keys[0]
        self._by_id = {key.key_id: AESGCM(key.secret) for key in master_keys}

    @property
    def current_key_id(self) -> str:
        return self._current.key_id

    def seal(self, key_id: str, seed: bytes) -> tuple[bytes, str]:
        """Encrypt a 32-byte Ed25519 seed for the row ``key_id``: (ciphertext, master key id)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._by_id[self._current.key_id].encrypt(nonce, seed, self._aad(key_id))
        return nonce + sealed, self._current.key_id

    def open(
        self,
        key_id: str,
        sealed: bytes,
        master_key_id: str,
        *,
        controller: str,
        verification_method: str,
    ) -> Ed25519KeyPair:
        aead = self._by_id.get(master_key_id)
        if aead is None:
            raise KeyStoreError(
                f"signing key {key_id} is sealed under master key {master_key_id!r}, "
                "which is not configured"
            )
        try:
            seed = aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], self._aad(key_id))
        except InvalidTag as exc:
            raise KeyStoreError(
                f"signing key {key_id} cannot be decrypted (wrong master key?)"
            ) from exc
        return Ed25519KeyPair.from_seed(
            seed, controller=controller, verification_method=verification_method
        )

    @staticmethod
    def _aad(key_id: str) -> bytes:
        return b"skillcred signing key " + key_id.encode()
