"""The shipped JSON-LD contexts: every file pinned by sha256 in contexts/index.json, every
pinned file present and unaltered, an altered one refused before anything is served, and
each context the loader ships usable by our JSON-LD processor."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from skillcred.core.jsonld import loader as loader_module
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import (
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    DATA_INTEGRITY_V1,
    DCC_V1,
    DID_V1,
    ED25519_2018_V1,
    EXAMPLES_V1,
    JFF_PLUGFEST_1,
    ODRL,
    OPEN_BADGES_V3_0_0,
    OPEN_BADGES_V3_0_1,
    OPEN_BADGES_V3_0_2,
    OPEN_BADGES_V3_0_3,
    OPEN_BADGES_V3_EXTENSIONS,
    SECURITY_V1,
    SECURITY_V2,
    STATUS_LIST_2021,
    X25519_2020_V1,
    ShippedContextError,
    default_loader,
    read_contexts,
    read_index,
    shipped_documents,
    shipped_entries,
    shipped_index,
)
from skillcred.errors import JsonLdError
from tests.conftest import REPO_ROOT

CONTEXTS = REPO_ROOT / "contexts"
INDEX = json.loads((CONTEXTS / "index.json").read_bytes())
#: In contexts/ but not in the index: the index itself, and the project's own skills
#: context, whose URL depends on the deployment (served under its base URL).
NOT_INDEXED = {"index.json", "skills-v1.jsonld"}

NEW_CONTEXTS = (
    OPEN_BADGES_V3_0_0,
    OPEN_BADGES_V3_0_1,
    OPEN_BADGES_V3_0_2,
    OPEN_BADGES_V3_EXTENSIONS,
    JFF_PLUGFEST_1,
    DCC_V1,
    STATUS_LIST_2021,
    DATA_INTEGRITY_V1,
    SECURITY_V1,
    SECURITY_V2,
    ED25519_2018_V1,
    X25519_2020_V1,
    EXAMPLES_V1,
    ODRL,
)


# -- the index and the files -----------------------------------------------------------------


@pytest.mark.parametrize("url", sorted(INDEX))
def test_each_indexed_file_exists_with_its_pinned_sha256(url: str) -> None:
    entry = INDEX[url]
    assert set(entry) == {"file", "sha256", "source"}
    body = (CONTEXTS / entry["file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    assert entry["source"].strip()
    assert "@context" in json.loads(body)


def test_every_file_in_contexts_is_indexed_once() -> None:
    files = [entry["file"] for entry in INDEX.values()]
    assert len(files) == len(set(files)), "a file is listed under two URLs"
    on_disk = {path.name for path in CONTEXTS.iterdir() if path.is_file()}
    assert on_disk - NOT_INDEXED == set(files)


def test_shipped_index_still_maps_url_to_file_name() -> None:
    assert dict(shipped_index()) == {url: entry["file"] for url, entry in INDEX.items()}
    assert {url: entry.sha256 for url, entry in shipped_entries().items()} == {
        url: entry["sha256"] for url, entry in INDEX.items()
    }


def test_the_default_loader_serves_every_indexed_context() -> None:
    assert default_loader().urls == frozenset(INDEX)
    for url, entry in INDEX.items():
        assert shipped_documents()[url] == (CONTEXTS / entry["file"]).read_bytes()


@pytest.mark.parametrize("url", NEW_CONTEXTS)
def test_new_context_is_shipped_and_loads(url: str) -> None:
    assert url in INDEX
    document = default_loader()(url)
    assert document["documentUrl"] == url
    assert "@context" in document["document"]


# -- an altered context is never served -------------------------------------------------------


@pytest.fixture
def contexts_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "contexts"
    shutil.copytree(CONTEXTS, folder)
    return folder


def _write_index(folder: Path, index: dict[str, Any]) -> None:
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")


def test_an_unaltered_copy_reads_back_as_shipped(contexts_copy: Path) -> None:
    assert read_contexts(contexts_copy) == dict(shipped_documents())


def test_one_altered_byte_is_refused(contexts_copy: Path) -> None:
    path = contexts_copy / INDEX[DCC_V1]["file"]
    body = bytearray(path.read_bytes())
    body[body.index(b"schema.org")] = ord("S")  # still valid JSON, a different context
    path.write_bytes(bytes(body))
    with pytest.raises(ShippedContextError, match=r"dcc-v1\.jsonld.*has sha256 .* but index"):
        read_contexts(contexts_copy)


def test_trailing_whitespace_is_refused(contexts_copy: Path) -> None:
    path = contexts_copy / INDEX[CREDENTIALS_V2]["file"]
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(ShippedContextError, match="credentials-v2"):
        read_contexts(contexts_copy)


def test_a_missing_file_is_refused(contexts_copy: Path) -> None:
    (contexts_copy / INDEX[OPEN_BADGES_V3_0_3]["file"]).unlink()
    with pytest.raises(ShippedContextError, match="is missing"):
        read_contexts(contexts_copy)


@pytest.mark.parametrize(
    "entry",
    [
        "credentials-v2.jsonld",  # the old URL -> file name format
        {"file": "credentials-v2.jsonld", "sha256": "ab" * 32},  # no source
        {"file": "credentials-v2.jsonld", "sha256": "AB" * 32, "source": "x"},
        {"file": "credentials-v2.jsonld", "sha256": "ab" * 31, "source": "x"},
        {"file": "../credentials-v2.jsonld", "sha256": "ab" * 32, "source": "x"},
        {"file": "sub/credentials-v2.jsonld", "sha256": "ab" * 32, "source": "x"},
        {"file": "index.json", "sha256": "ab" * 32, "source": "x"},
        {"file": "credentials-v2.jsonld", "sha256": "ab" * 32, "source": "x", "extra": 1},
    ],
)
def test_a_malformed_index_entry_is_refused(contexts_copy: Path, entry: Any) -> None:
    _write_index(contexts_copy, {CREDENTIALS_V2: entry})
    with pytest.raises(ShippedContextError, match="credentials/v2"):
        read_index(contexts_copy)


def test_an_unreadable_index_is_refused(contexts_copy: Path) -> None:
    (contexts_copy / "index.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ShippedContextError, match="not a JSON object"):
        read_index(contexts_copy)
    (contexts_copy / "index.json").unlink()
    with pytest.raises(ShippedContextError, match="cannot read the contexts index"):
        read_index(contexts_copy)


def test_the_service_refuses_to_start_on_an_altered_context(
    contexts_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = contexts_copy / INDEX[STATUS_LIST_2021]["file"]
    body = path.read_bytes()
    path.write_bytes(body.replace(b"encodedList", b"encodedLisT", 1))
    assert path.read_bytes() != body
    monkeypatch.setattr(loader_module, "data_dir", lambda name: contexts_copy)
    cached = (shipped_entries, shipped_index, shipped_documents, default_loader)
    for function in cached:
        function.cache_clear()
    try:
        with pytest.raises(ShippedContextError, match="status-list-2021-v1"):
            default_loader()
        with pytest.raises(ShippedContextError, match="status-list-2021-v1"):
            shipped_index()
    finally:
        for function in cached:
            function.cache_clear()


# -- each new context is usable by our JSON-LD processor --------------------------------------


def _badge(context: str, base: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [base, context],
        "id": "urn:uuid:5d3a0c34-0b5e-4c65-a4b4-d7c4d0b9a1e2",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "Training centre"},
        "credentialSubject": {
            "id": "did:example:worker",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:7c1bd4a6-0f0e-4d55-9d4f-7b8f7a0f6a10",
                "type": ["Achievement"],
                "name": "Soldering",
                "description": "Solders to IPC-A-610 class 2.",
                "criteria": {"narrative": "Practical exam."},
            },
        },
    }
    if base == CREDENTIALS_V1:
        document["issuanceDate"] = "2024-01-01T00:00:00Z"
    else:
        document["validFrom"] = "2024-01-01T00:00:00Z"
    return document


_PROOF_2018 = {
    "type": "Ed25519Signature2018",
    "created": "2022-05-26T20:31:11Z",
    "verificationMethod": "did:key:z6MkrHKz#z6MkrHKz",
    "proofPurpose": "assertionMethod",
}

#: a small document per new context, each in the shape real credentials use it
USES: dict[str, dict[str, Any]] = {
    "OB 3.0.0 on VC 1.1": _badge(OPEN_BADGES_V3_0_0, CREDENTIALS_V1),
    "OB 3.0.1 on VC 1.1": _badge(OPEN_BADGES_V3_0_1, CREDENTIALS_V1),
    "OB 3.0.2 on VC 1.1": _badge(OPEN_BADGES_V3_0_2, CREDENTIALS_V1),
    "OB 3.0.2 on VC 2.0": _badge(OPEN_BADGES_V3_0_2, CREDENTIALS_V2),
    "JFF plugfest 1 on VC 1.1": _badge(JFF_PLUGFEST_1, CREDENTIALS_V1),
    "OB extensions": {
        **_badge(OPEN_BADGES_V3_0_3, CREDENTIALS_V2),
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3_0_3, OPEN_BADGES_V3_EXTENSIONS],
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    },
    "DCC": {
        "@context": [CREDENTIALS_V1, DCC_V1],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "LearningCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:worker",
            "type": "Person",
            "name": "A. Worker",
            "hasCredential": {
                "type": ["EducationalOccupationalCredential"],
                "name": "Soldering",
                "competencyRequired": "IPC-A-610",
            },
        },
    },
    "StatusList2021": {
        "@context": [CREDENTIALS_V1, STATUS_LIST_2021],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:worker"},
        "credentialStatus": {
            "id": "https://example.com/status/1#94567",
            "type": "StatusList2021Entry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://example.com/status/1",
        },
    },
    "Data Integrity v1": {
        "@context": [CREDENTIALS_V1, DATA_INTEGRITY_V1],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2024-01-01T00:00:00Z",
        "verificationMethod": "did:key:z6MkrHKz#z6MkrHKz",
        "proofPurpose": "assertionMethod",
    },
    "Security v1": {
        "@context": SECURITY_V1,
        "type": "LinkedDataSignature2015",
        "creator": "did:example:issuer#key-1",
        "created": "2017-01-01T00:00:00Z",
    },
    "Security v2": {"@context": SECURITY_V2, **_PROOF_2018},
    "Ed25519 2018": {"@context": ED25519_2018_V1, **_PROOF_2018},
    "X25519 2020": {
        "@context": [DID_V1, X25519_2020_V1],
        "id": "did:example:issuer",
        "keyAgreement": [
            {
                "id": "did:example:issuer#x",
                "type": "X25519KeyAgreementKey2020",
                "controller": "did:example:issuer",
                "publicKeyMultibase": "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",
            }
        ],
    },
    "VC 1.1 examples (and ODRL)": {
        "@context": [CREDENTIALS_V1, EXAMPLES_V1],
        "id": "http://example.edu/credentials/1872",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": "https://example.edu/issuers/565049",
        "issuanceDate": "2010-01-01T19:23:24Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "alumniOf": "<span lang='en'>Example University</span>",
        },
    },
    "ODRL": {
        "@context": ODRL,
        "@type": "Policy",
        "uid": "http://example.com/policy:1010",
        "permission": [{"target": "http://example.com/asset:9898", "action": "use"}],
    },
}


@pytest.mark.parametrize("name", sorted(USES))
def test_new_context_canonicalizes_in_safe_mode(name: str) -> None:
    nquads = canonicalize(USES[name], loader=default_loader())
    assert nquads.endswith(" .\n")


def test_every_new_context_is_exercised() -> None:
    used: set[str] = set()
    for document in USES.values():
        context = document["@context"]
        used.update(context if isinstance(context, list) else [context])
    used.add(ODRL)  # imported by the VC 1.1 examples context
    assert set(NEW_CONTEXTS) <= used


@pytest.mark.parametrize("context", [OPEN_BADGES_V3_0_0, OPEN_BADGES_V3_0_1, JFF_PLUGFEST_1])
def test_vc_1_1_era_badge_contexts_cannot_be_used_on_vc_2_0(context: str) -> None:
    # They redefine `description`, which the VC 2.0 context protects: every JSON-LD
    # processor (jsonld.js too) refuses the pair, so such credentials are always VC 1.1.
    with pytest.raises(JsonLdError, match="protected term redefinition"):
        canonicalize(_badge(context, CREDENTIALS_V2), loader=default_loader())
