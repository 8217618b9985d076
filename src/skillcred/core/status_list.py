"""W3C Bitstring Status List v1.0: the bitstring codec, entries and list credentials.

Index 0 is the left-most bit (the most significant bit of the first byte). A list is the
GZIP of the bitstring, base64url-encoded without padding and multibase-prefixed with
``u`` (§3.4 / §4.1). A list has at least 131,072 entries (§6.1, herd privacy).

Its predecessor, the W3C CCG's Status List 2021 (``StatusList2021Entry``, one bit per
entry, the list GZIP + base64 without a multibase prefix), is read for verification: many
learning credentials issued before 2024 carry it.
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from skillcred.core.values import as_list, is_url
from skillcred.errors import DataModelError, StatusListError

MIN_ENTRIES = 131_072
#: refuse lists that inflate beyond this (a GZIP bomb guard): 16 MiB of bits
MAX_LIST_BYTES = 16 * 1024 * 1024
#: an index past any list this guard lets in (16 MiB of bits: 9 digits) is refused unread
MAX_INDEX_DIGITS = 12
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
ENTRY_TYPE_2021 = "StatusList2021Entry"
LIST_CREDENTIAL_TYPE_2021 = "StatusList2021Credential"
LIST_TYPE_2021 = "StatusList2021"
#: entry type -> (list credential type, list subject type)
LIST_TYPES = {
    ENTRY_TYPE: (LIST_CREDENTIAL_TYPE, LIST_TYPE),
    ENTRY_TYPE_2021: (LIST_CREDENTIAL_TYPE_2021, LIST_TYPE_2021),
}
ENTRY_TYPES = frozenset(LIST_TYPES)
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_BASE64_ANY = re.compile(r"[A-Za-z0-9_+/-]+={0,2}")


class Bitstring:
    """A mutable bitstring of ``entries`` entries of ``status_size`` bits each."""

    __slots__ = ("_bytes", "entries", "status_size")

    def __init__(self, data: bytes | bytearray, *, status_size: int = 1) -> None:
        if status_size < 1:
            raise ValueError("statusSize must be at least 1")
        self._bytes = bytearray(data)
        self.status_size = status_size
        self.entries = len(self._bytes) * 8 // status_size

    @classmethod
    def empty(cls, entries: int = MIN_ENTRIES, *, status_size: int = 1) -> Bitstring:
        bits = entries * status_size
        return cls(bytes((bits + 7) // 8), status_size=status_size)

    @property
    def raw(self) -> bytes:
        return bytes(self._bytes)

    def get(self, index: int) -> int:
        """The value of entry ``index`` (``status_size`` bits, most significant first)."""
        self._check(index)
        value = 0
        start = index * self.status_size
        for bit in range(start, start + self.status_size):
            value = (value << 1) | ((self._bytes[bit >> 3] >> (7 - (bit & 7))) & 1)
        return value

    def set(self, index: int, value: int) -> None:
        self._check(index)
        if not 0 <= value < (1 << self.status_size):
            raise ValueError(f"{value} does not fit in {self.status_size} bit(s)")
        start = index * self.status_size
        for offset in range(self.status_size):
            bit = start + offset
            mask = 0x80 >> (bit & 7)
            if (value >> (self.status_size - 1 - offset)) & 1:
                self._bytes[bit >> 3] |= mask
            else:
                self._bytes[bit >> 3] &= ~mask & 0xFF

    def _check(self, index: int) -> None:
        if not 0 <= index < self.entries:
            raise IndexError(f"index {index} is outside the list (0..{self.entries - 1})")

    def encode(self) -> str:
        """``u`` + base64url(GZIP(bitstring)), no padding (deterministic: mtime 0)."""
        packed = gzip.compress(bytes(self._bytes), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")

    @classmethod
    def decode(
        cls,
        encoded: object,
        *,
        status_size: int = 1,
        min_entries: int = MIN_ENTRIES,
        multibase: bool = True,
    ) -> Bitstring:
        """Decode an ``encodedList``; a list shorter than ``min_entries`` is refused.
        ``multibase=False``: Status List 2021's form, base64 (url or standard alphabet)
        without a multibase prefix."""
        if multibase:
            if not isinstance(encoded, str) or not encoded.startswith("u"):
                raise StatusListError(
                    "encodedList must be a multibase base64url string (starting with 'u')",
                    code="STATUS_RETRIEVAL_ERROR",
                )
            body = encoded[1:]
            if not _BASE64URL.fullmatch(body):
                raise StatusListError(
                    "encodedList has characters outside base64url", code="STATUS_RETRIEVAL_ERROR"
                )
        else:
            if not isinstance(encoded, str) or not _BASE64_ANY.fullmatch(encoded):
                raise StatusListError(
                    "encodedList must be a base64 string", code="STATUS_RETRIEVAL_ERROR"
                )
            body = encoded.rstrip("=").replace("+", "-").replace("/", "_")
        try:
            packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            data = inflater.decompress(packed, MAX_LIST_BYTES + 1)
            if not inflater.eof and len(data) <= MAX_LIST_BYTES:
                raise ValueError("the GZIP data is truncated")
        except (ValueError, zlib.error) as exc:
            raise StatusListError(
                f"encodedList is not base64url GZIP data: {exc}", code="STATUS_RETRIEVAL_ERROR"
            ) from exc
        if len(data) > MAX_LIST_BYTES:
            raise StatusListError(
                "encodedList inflates beyond 16 MiB", code="STATUS_RETRIEVAL_ERROR"
            )
        bitstring = cls(data, status_size=status_size)
        if bitstring.entries < min_entries:
            raise StatusListError(
                f"the status list has {bitstring.entries} entries; at least {min_entries} are "
                "required (Bitstring Status List §6.1)",
                code="STATUS_LIST_LENGTH_ERROR",
            )
        return bitstring


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A parsed ``BitstringStatusListEntry`` (§2.1)."""

    purpose: str
    index: int
    list_url: str
    status_size: int = 1
    messages: Mapping[int, str] = field(default_factory=dict)
    id: str | None = None
    #: ``BitstringStatusListEntry`` or ``StatusList2021Entry``
    type: str = ENTRY_TYPE


def parse_entry(entry: Any, *, where: str = "credentialStatus") -> StatusEntry:
    """Validate an entry as §2.1 requires; raises DataModelError naming the field."""
    if not isinstance(entry, Mapping):
        raise DataModelError(f"{where} must be an object")
    kind = entry.get("type")
    if kind not in ENTRY_TYPES:
        raise DataModelError(f"{where}.type must be {ENTRY_TYPE!r} (or {ENTRY_TYPE_2021!r})")
    if "id" in entry and not is_url(entry["id"]):
        raise DataModelError(f"{where}.id must be a URL")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise DataModelError(f"{where}.statusPurpose must be a string such as 'revocation'")
    index = entry.get("statusListIndex")
    if not isinstance(index, str) or not _DECIMAL.fullmatch(index):
        raise DataModelError(
            f'{where}.statusListIndex must be a base-10 integer as a string (e.g. "94567")'
        )
    if len(index) > MAX_INDEX_DIGITS:
        raise DataModelError(
            f"{where}.statusListIndex has {len(index)} digits: no status list is that long"
        )
    url = entry.get("statusListCredential")
    if not is_url(url):
        raise DataModelError(f"{where}.statusListCredential must be a URL")
    if kind == ENTRY_TYPE_2021:
        # Status List 2021 §2.1: one bit, no size or messages.
        return StatusEntry(purpose, int(index), str(url), 1, {}, entry.get("id"), kind)
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DataModelError(f"{where}.statusSize must be a positive integer")
    messages: dict[int, str] = {}
    if size > 1 or "statusMessage" in entry:
        raw_messages = entry.get("statusMessage")
        if not isinstance(raw_messages, list) or not raw_messages:
            raise DataModelError(f"{where}.statusMessage is required when statusSize > 1")
        for position, item in enumerate(raw_messages):
            if (
                not isinstance(item, Mapping)
                or not isinstance(item.get("status"), str)
                or not isinstance(item.get("message"), str)
            ):
                raise DataModelError(f"{where}.statusMessage[{position}] needs status and message")
            try:
                messages[int(item["status"], 16)] = item["message"]
            except ValueError as exc:
                raise DataModelError(
                    f"{where}.statusMessage[{position}].status must be hexadecimal like '0x1'"
                ) from exc
    return StatusEntry(purpose, int(index), str(url), size, messages, entry.get("id"), kind)


def status_entries(credential: Mapping[str, Any]) -> list[StatusEntry]:
    """The Bitstring Status List entries of a credential (other status types are ignored)."""
    entries = []
    raw = credential.get("credentialStatus")
    for position, entry in enumerate(as_list(raw)):
        if isinstance(entry, Mapping) and entry.get("type") in ENTRY_TYPES:
            where = f"credentialStatus[{position}]" if isinstance(raw, list) else "credentialStatus"
            entries.append(parse_entry(entry, where=where))
    return entries


def entry_json(purpose: str, index: int, list_url: str) -> dict[str, str]:
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def list_credential(
    *,
    list_url: str,
    issuer: str,
    purpose: str,
    bitstring: Bitstring,
    valid_from: str,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """An unsigned BitstringStatusListCredential (§2.2)."""
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": bitstring.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": subject,
    }


@dataclass(frozen=True, slots=True)
class ListStatus:
    value: int
    message: str | None
    ttl_ms: int | None


def read_status(list_document: Mapping[str, Any], entry: StatusEntry) -> ListStatus:
    """The status an entry has in a (verified) status list credential (§3.2 steps 5-12)."""
    credential_type, subject_type = LIST_TYPES[entry.type]
    types = as_list(list_document.get("type"))
    if credential_type not in types:
        raise StatusListError(
            f"{entry.list_url} is not a {credential_type}", code="STATUS_VERIFICATION_ERROR"
        )
    subjects = [
        s for s in as_list(list_document.get("credentialSubject")) if isinstance(s, Mapping)
    ]
    subject = next((s for s in subjects if subject_type in as_list(s.get("type"))), None)
    if subject is None:
        raise StatusListError(
            f"the status list {entry.list_url} has no {subject_type} subject",
            code="STATUS_VERIFICATION_ERROR",
        )
    purposes: Sequence[Any] = as_list(subject.get("statusPurpose"))
    if entry.purpose not in purposes:
        listed = ", ".join(map(str, purposes)) or "no purpose"
        raise StatusListError(
            f"the status list {entry.list_url} is for {listed}, not {entry.purpose!r}",
            code="STATUS_VERIFICATION_ERROR",
        )
    legacy = entry.type == ENTRY_TYPE_2021
    bitstring = Bitstring.decode(
        subject.get("encodedList"),
        status_size=entry.status_size,
        # Status List 2021 recommends but does not require the 16 KB minimum.
        min_entries=1 if legacy else MIN_ENTRIES,
        multibase=not legacy,
    )
    try:
        value = bitstring.get(entry.index)
    except IndexError as exc:
        raise StatusListError(str(exc), code="RANGE_ERROR") from exc
    ttl = subject.get("ttl")
    return ListStatus(
        value,
        entry.messages.get(value),
        ttl if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0 else None,
    )
