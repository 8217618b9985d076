"""Bitstring Status List v1.0 codec and entries, with the status vectors as known answers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from skillcred.core.status_list import (
    MIN_ENTRIES,
    Bitstring,
    StatusEntry,
    list_credential,
    parse_entry,
    read_status,
    status_entries,
)
from skillcred.errors import DataModelError, StatusListError
from tests.conftest import load_vector, read_vector


def spec_example(name: str) -> dict[str, Any]:
    """The spec's examples have comments and '...' elisions: strip them to JSON."""
    text = re.sub(r"^\s*//.*$", "", read_vector("status", name), flags=re.M)
    text = re.sub(r",\s*\.\.\.\s*", "", text)
    return json.loads(text)  # type: ignore[no-any-return]


def test_bits_set_vector_reads_and_re_encodes_identically() -> None:
    vector = load_vector("status", "generated-status-vectors.json")["revocation_bits_set"]
    bits = Bitstring.decode(vector["encodedList"])
    assert bits.entries == vector["lengthBits"] == MIN_ENTRIES
    assert [i for i in range(bits.entries) if bits.get(i)] == vector["setIndexes"]
    assert bits.raw[:2].hex() == vector["firstBytesHex"]
    # Index 0 is the left-most bit: the first byte is 0b1000_0001.
    assert bits.raw[0] == 0x81
    assert bits.encode() == vector["encodedList"]

    built = Bitstring.empty()
    for index in vector["setIndexes"]:
        built.set(index, 1)
    assert built.encode() == vector["encodedList"]


def test_status_size_two_vector() -> None:
    vector = load_vector("status", "generated-status-vectors.json")["statusSize2_index5_value0x2"]
    bits = Bitstring.decode(vector["encodedList"], status_size=2)
    assert bits.entries * 2 == vector["lengthBits"]
    assert bits.get(5) == 0x2
    assert [i for i in range(bits.entries) if bits.get(i)] == [5]
    rebuilt = Bitstring.empty(bits.entries, status_size=2)
    rebuilt.set(5, 2)
    assert rebuilt.raw == bits.raw


def test_too_short_list_is_refused() -> None:
    vector = load_vector("status", "generated-status-vectors.json")["too_short_list"]
    with pytest.raises(StatusListError) as raised:
        Bitstring.decode(vector["encodedList"])
    assert raised.value.code == "STATUS_LIST_LENGTH_ERROR"
    assert "8192 entries" in raised.value.detail
    assert raised.value.type_uri.endswith("#STATUS_LIST_LENGTH_ERROR")


def test_spec_example_list_is_all_zeros() -> None:
    listed = spec_example("example3.txt")
    assert Bitstring.decode(listed["credentialSubject"]["encodedList"]).raw == bytes(16384)


@pytest.mark.parametrize(
    "encoded",
    ["H4sIAAAA", "u!!!!", "u" + "A" * 40, 12345],
)
def test_undecodable_lists_are_refused(encoded: object) -> None:
    with pytest.raises(StatusListError) as raised:
        Bitstring.decode(encoded)
    assert raised.value.code == "STATUS_RETRIEVAL_ERROR"


def test_gzip_bomb_is_refused() -> None:
    import base64
    import gzip

    bomb = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
    with pytest.raises(StatusListError, match="16 MiB"):
        Bitstring.decode("u" + base64.urlsafe_b64encode(bomb).decode().rstrip("="))


def test_set_and_clear_round_trip() -> None:
    bits = Bitstring.empty()
    for index in (0, 1, 12345, MIN_ENTRIES - 1):
        bits.set(index, 1)
        assert bits.get(index) == 1
        bits.set(index, 0)
        assert bits.get(index) == 0
    assert bits.raw == bytes(16384)
    with pytest.raises(IndexError):
        bits.get(MIN_ENTRIES)


def test_entries_of_the_spec_examples() -> None:
    entries = status_entries(spec_example("example6.txt"))
    assert [(e.purpose, e.index) for e in entries] == [("revocation", 94567), ("suspension", 12345)]
    message = status_entries(spec_example("example2.txt"))[0]
    assert message.status_size == 2
    assert message.messages[2] == "rejected"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"statusListIndex": 94567}, "statusListIndex must be a base-10 integer as a string"),
        ({"statusListIndex": True}, "statusListIndex"),
        ({"statusListIndex": "0094567"}, "statusListIndex"),
        ({"statusListIndex": "-1"}, "statusListIndex"),
        ({"statusListCredential": "not a url"}, "statusListCredential must be a URL"),
        ({"statusPurpose": 3}, "statusPurpose"),
        ({"statusSize": 2}, "statusMessage is required"),
        ({"type": "RevocationList2020Status"}, "type must be 'BitstringStatusListEntry'"),
    ],
)
def test_malformed_entries_are_refused(change: dict[str, Any], message: str) -> None:
    entry = {**spec_example("example4.txt")["credentialStatus"], **change}
    with pytest.raises(DataModelError, match=message):
        parse_entry(entry)


def test_read_status_checks_the_purpose_and_reads_the_bit() -> None:
    bits = Bitstring.empty()
    bits.set(94567, 1)
    document = list_credential(
        list_url="https://example.com/status/3",
        issuer="did:example:12345",
        purpose="revocation",
        bitstring=bits,
        valid_from="2024-01-01T00:00:00Z",
        ttl_ms=300000,
    )
    entry = StatusEntry("revocation", 94567, "https://example.com/status/3")
    assert read_status(document, entry).value == 1
    assert read_status(document, StatusEntry("revocation", 1, entry.list_url)).value == 0
    assert read_status(document, entry).ttl_ms == 300000
    with pytest.raises(StatusListError, match="not 'suspension'"):
        read_status(document, StatusEntry("suspension", 94567, entry.list_url))


def test_an_entry_anywhere_in_a_credential_is_checked_and_named_by_its_path() -> None:
    from skillcred.core.datamodel import check_credential

    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "x1",
        "statusListCredential": "https://example.org/lists/1",
    }
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:holder", "claims": [{"level": 1}, entry]},
    }
    with pytest.raises(
        DataModelError, match=re.escape("credentialSubject.claims[1].statusListIndex")
    ):
        check_credential(credential)
    entry["statusListIndex"] = "1"
    check_credential(credential)


def test_status_entries_are_read_once_at_the_edge_and_the_status_check_gets_them() -> None:
    """check_credential returns the credential read (issuer, status references, schemas);
    the status checker is handed those, never the raw entries to parse again."""
    from skillcred import Ed25519KeyPair, Verifier
    from skillcred.core.datamodel import Credential, StatusReference, check_credential
    from skillcred.core.jsonld.loader import default_loader
    from skillcred.core.proofs import add_proof
    from skillcred.core.verifying import StatusOutcome

    good = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://example.org/lists/1",
    }
    malformed = {**good, "statusPurpose": "suspension", "statusListIndex": "seven"}
    unsupported = {"type": "RevocationList2020Status", "statusPurpose": "revocation"}
    key = Ed25519KeyPair.generate()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": {"id": key.controller, "name": "Lastechniek Twente"},
        "credentialSubject": {"id": "did:example:holder", "name": "Anna"},
        "credentialStatus": [good, malformed, unsupported],
    }
    read = check_credential(credential, issuing=False)
    assert read.issuer == key.controller
    assert read.schemas == ()
    assert [s.unreadable for s in read.statuses] == [None, "malformed", "unsupported"]
    assert read.statuses[0].entry == StatusEntry("revocation", 7, "https://example.org/lists/1")
    assert "statusListIndex" in read.statuses[1].detail
    assert read.statuses[1].purpose == "suspension"
    with pytest.raises(DataModelError, match="statusListIndex"):
        check_credential(credential)  # an issuer refuses what a verifier reads leniently

    seen: list[tuple[str, StatusReference]] = []

    class Recording:
        def status_of(self, credential: Credential, status: StatusReference) -> StatusOutcome:
            seen.append((credential.issuer, status))
            return StatusOutcome(
                status.purpose, status.entry is not None and status.entry.index == 7
            )

    # signed as another issuer might have (our issuer refuses the malformed entry)
    signed = add_proof(
        credential, signer=key, cryptosuite="eddsa-jcs-2022", loader=default_loader()
    )
    result = Verifier(status=Recording()).verify_credential(signed)
    assert [status for _, status in seen] == list(read.statuses)
    assert {issuer for issuer, _ in seen} == {key.controller}
    assert result.verdict == "revoked"
