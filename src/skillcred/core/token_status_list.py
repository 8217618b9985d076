"""The IETF Token Status List (draft-ietf-oauth-status-list): the JWT form.

A list is a byte array of ``bits``-wide statuses, index 0 in the least significant bits
of byte 0 (§4.1), compressed with DEFLATE in the ZLIB format (RFC 1950) and base64url
encoded as ``lst``. The token (typ ``statuslist+jwt``, §5.1) carries ``sub`` (the list's
URI, which the referenced token names in ``status.status_list.uri``), ``iat``, ``exp``,
``ttl`` and ``status_list: {bits, lst}``. This service uses 2 bits: 0 valid (VALID),
1 revoked (INVALID), 2 suspended (SUSPENDED) (§7.1).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from skillcred.core.jose import ES256, CompactJws, JwsSigner, b64url, b64url_decode, sign_compact

STATUS_LIST_JWT_TYPE = "statuslist+jwt"
VALID, INVALID, SUSPENDED = 0, 1, 2
#: the most a decompressed list may hold (a 2-bit list of 4 Mi entries), against zip bombs
MAX_LIST_BYTES = 1 << 20


def encode(statuses: Mapping[int, int], *, size: int, bits: int) -> str:
    """``lst`` for a list of ``size`` entries where ``statuses`` gives the non-zero ones."""
    if bits not in (1, 2, 4, 8):
        raise ValueError("bits must be 1, 2, 4 or 8")
    per_byte = 8 // bits
    data = bytearray((size + per_byte - 1) // per_byte)
    for index, value in statuses.items():
        if not 0 <= index < size or not 0 <= value < (1 << bits):
            raise ValueError(f"status {value} at index {index} does not fit the list")
        data[index // per_byte] |= value << ((index % per_byte) * bits)
    return b64url(zlib.compress(bytes(data), 9))


@dataclass(frozen=True, slots=True)
class StatusListBits:
    bits: int
    data: bytes

    @classmethod
    def decode(cls, status_list: Any) -> StatusListBits:
        if not isinstance(status_list, Mapping):
            raise ValueError("status_list must be an object {bits, lst}")
        bits, lst = status_list.get("bits"), status_list.get("lst")
        if bits not in (1, 2, 4, 8) or isinstance(bits, bool):
            raise ValueError(f"status_list.bits must be 1, 2, 4 or 8, not {bits!r}")
        if not isinstance(lst, str):
            raise ValueError("status_list.lst must be a base64url string")
        decompressor = zlib.decompressobj()
        try:
            data = decompressor.decompress(b64url_decode(lst), MAX_LIST_BYTES)
        except (ValueError, zlib.error) as exc:
            raise ValueError(f"status_list.lst cannot be decompressed: {exc}") from exc
        if decompressor.unconsumed_tail:
            raise ValueError(f"the status list is larger than {MAX_LIST_BYTES} bytes")
        return cls(bits, data)

    def __len__(self) -> int:
        return len(self.data) * (8 // self.bits)

    def get(self, index: int) -> int:
        per_byte = 8 // self.bits
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is outside the list of {len(self)} entries")
        byte = self.data[index // per_byte]
        return (byte >> ((index % per_byte) * self.bits)) & ((1 << self.bits) - 1)


def list_token(
    *,
    uri: str,
    statuses: Mapping[int, int],
    size: int,
    iat: int,
    ttl: int,
    signer: JwsSigner,
    header: Mapping[str, Any],
    bits: int = 2,
) -> str:
    """The signed Status List Token (§5.1); ``header`` adds ``kid`` or ``x5c``."""
    return sign_compact(
        {**header, "alg": ES256, "typ": STATUS_LIST_JWT_TYPE},
        {
            "sub": uri,
            "iat": iat,
            "exp": iat + ttl,
            "ttl": ttl,
            "status_list": {"bits": bits, "lst": encode(statuses, size=size, bits=bits)},
        },
        signer,
    )


def read_token(token: str, *, uri: str, now: float) -> tuple[CompactJws, StatusListBits]:
    """Parse a Status List Token and check what needs no key (§8.3): typ, ``sub`` is the
    URI the credential names, not expired. The signature is the caller's to check."""
    jws = CompactJws.parse(token, what="status list token")
    if jws.header.get("typ") != STATUS_LIST_JWT_TYPE:
        raise ValueError(f"the status list token's typ must be {STATUS_LIST_JWT_TYPE!r}")
    if jws.payload.get("sub") != uri:
        raise ValueError(f"the status list token's sub is not {uri}")
    exp = jws.payload.get("exp")
    if isinstance(exp, int) and exp < now:
        raise ValueError("the status list token has expired")
    return jws, StatusListBits.decode(jws.payload.get("status_list"))
