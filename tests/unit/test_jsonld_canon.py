"""RDFC-1.0 canonicalization: known answers, fast path == reference path, regressions.

The W3C test vectors are in ``tests/vectors`` (a copy of ``../shared/vectors``); these tests
fail (not skip) when they are missing.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import socket
import string
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from skillcred.core.jsonld import canon as canon_module
from skillcred.core.jsonld import context as context_module
from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.core.jsonld.rdf import escape_literal, format_double, json_literal_lexical_form
from skillcred.core.jsonld.rdfc import canonicalize_quads
from skillcred.errors import DocumentLoaderError, JsonLdError, SafeModeError
from tests.support.jsonld_reference import (
    canonicalize_mode,
    canonicalize_reference,
    canonicalize_unsafe,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS = REPO_ROOT / "tests" / "vectors"

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ED2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
DI = "https://w3id.org/security/data-integrity/v2"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def vectors() -> Path:
    if not (VECTORS / "eddsa" / "unsigned.json").is_file():
        pytest.fail(f"the W3C test vectors are missing: expected them in {VECTORS}")
    return VECTORS


@pytest.fixture(scope="module")
def loader() -> DocumentLoader:
    return default_loader()


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _both(document: Any, loader: DocumentLoader, *, safe: bool = False) -> tuple[str, str]:
    return canonicalize_mode(document, loader=loader, safe=safe), canonicalize_reference(
        document, loader=loader
    )


# -- known answers ---------------------------------------------------------------------------------


KNOWN_ANSWERS = [
    ("eddsa/unsigned.json", "eddsa/eddsa-rdfc-2022/canonDocDataInt.txt"),
    (
        "eddsa/eddsa-rdfc-2022/proofConfigDataInt.json",
        "eddsa/eddsa-rdfc-2022/proofCanonDataInt.txt",
    ),
    ("eddsa/unsigned.json", "eddsa/Ed25519Signature2020/canonDocEdSig.txt"),
    (
        "eddsa/Ed25519Signature2020/proofConfigEdSig.json",
        "eddsa/Ed25519Signature2020/proofCanonEdSig.txt",
    ),
]


@pytest.mark.parametrize(("document", "expected"), KNOWN_ANSWERS)
def test_known_answer(vectors: Path, loader: DocumentLoader, document: str, expected: str) -> None:
    doc = _load(vectors / document)
    want = (vectors / expected).read_text(encoding="utf-8")
    assert canonicalize(doc, loader=loader) == want
    assert canonicalize_reference(doc, loader=loader) == want


# -- fast == reference over every vector document --------------------------------------------------


def _context_urls(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                for ctx in item if isinstance(item, list) else [item]:
                    if isinstance(ctx, str):
                        yield ctx
                    else:
                        yield from _context_urls({"": ctx})
            else:
                yield from _context_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _context_urls(item)


def _vector_documents() -> list[Path]:
    """The vector files that are JSON-LD documents whose contexts are all shipped (the
    key files, schemas and contexts themselves are not; the citizenship-context credential
    cannot be canonicalized offline and is covered from its canonical form instead)."""
    if not VECTORS.is_dir():
        return []
    shipped = default_loader().urls
    documents = []
    for path in sorted(p for p in VECTORS.rglob("*") if p.suffix in (".json", ".jsonld")):
        doc = _load(path)
        if isinstance(doc, dict) and "@context" in doc and set(_context_urls(doc)) <= shipped:
            documents.append(path)
    return documents


def test_vectors_present(vectors: Path) -> None:
    assert len(_vector_documents()) > 20


@pytest.mark.parametrize("path", _vector_documents(), ids=lambda p: str(p.relative_to(VECTORS)))
def test_fast_equals_reference_on_vectors(path: Path, loader: DocumentLoader) -> None:
    doc = _load(path)
    fast, reference = _both(doc, loader)
    assert fast == reference
    try:
        safe = canonicalize(doc, loader=loader)
    except SafeModeError:
        return
    assert safe == reference


# -- randomized credentials: fast == reference -----------------------------------------------------


_TEXT_POOL = (
    string.ascii_letters
    + string.digits
    + " .,:;-_/#?&=+'\"\\"
    + "\t\n\r\b\f\x00\x01\x0b\x1f\x7f"
    + "éüßøλжあ中😀🎓\u2028\u200b\ufeff\ue000\uffff"
)


class CredentialGenerator:
    """Builds random VC 2.0, VC 1.1 and Open Badges 3.0 credentials from a seed."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def text(self, short: bool = False) -> str:
        r = self.r
        n = r.randint(0, 6 if short else 24)
        if r.random() < 0.6:
            return "".join(r.choice(string.ascii_letters + " ") for _ in range(n))
        return "".join(r.choice(_TEXT_POOL) for _ in range(n))

    def directed(self) -> dict[str, Any]:
        """A string with a base direction, with or without a language."""
        r = self.r
        value: dict[str, Any] = {"@value": self.text(), "@direction": r.choice(["ltr", "rtl"])}
        if r.random() < 0.7:
            value["@language"] = r.choice(["en", "ar", "he-IL", "EN-gb", "fa"])
        return value

    def number(self) -> int | float:
        r = self.r
        return r.choice(
            [
                r.randint(-1000, 1000),
                r.randint(-(2**53), 2**53),
                r.uniform(-1e6, 1e6),
                round(r.uniform(-100, 100), r.randint(0, 4)),
                r.choice([0.1, 1.1, -2.5, 1e-5, 3.0e10, 1e21, 1.5e300, 5e-324, 0.0, -0.0, 1e20]),
                float(r.randint(-100, 100)),
                1234567890123456.5,
                123456789012345.25,
            ]
        )

    def iri(self) -> str:
        r = self.r
        return r.choice(
            [
                f"urn:uuid:{r.getrandbits(64):016x}",
                f"https://example.org/{self.text(short=True).replace(' ', '')}x{r.randint(0, 9)}",
                f"did:example:{r.getrandbits(32):08x}",
                "http://example.com/a?b=c#d",
            ]
        )

    def scalar(self) -> Any:
        r = self.r
        kind = r.randint(0, 9)
        if kind <= 4:
            return self.text()
        if kind <= 7:
            return self.number()
        if kind == 8:
            return r.choice([True, False])
        return None

    def value(self, depth: int) -> Any:
        r = self.r
        roll = r.random()
        if depth <= 0 or roll < 0.45:
            return self.scalar()
        if roll < 0.55:
            return [self.value(depth - 1) for _ in range(r.randint(0, 3))]
        if roll < 0.59:
            return {"@value": self.text(), "@language": r.choice(["en", "nl-NL", "de-CH", "EN-gb"])}
        if roll < 0.62:
            return self.directed()
        if roll < 0.68:
            return {
                "@value": r.choice([self.text(short=True), "2024-01-01", "12.50", "1.5"]),
                "@type": r.choice(
                    [XSD + "date", XSD + "decimal", XSD + "double", "https://example.org/dt"]
                ),
            }
        if roll < 0.72:
            return {"@list": [self.value(depth - 1) for _ in range(r.randint(0, 3))]}
        return self.node(depth - 1)

    def node(self, depth: int, types: list[str] | None = None) -> dict[str, Any]:
        r = self.r
        node: dict[str, Any] = {}
        roll = r.random()
        if roll < 0.3:
            node["id"] = self.iri()
        elif roll < 0.35:
            node["id"] = f"_:n{r.randint(0, 3)}"
        if types:
            node["type"] = types
        for _ in range(r.randint(0, 4)):
            node[r.choice(self.free_terms)] = self.value(depth)
        return node

    free_terms: ClassVar[list[str]] = [
        "alumniOf",
        "score",
        "note",
        "knows",
        "level",
        "tags",
        "extra",
        "ex:thing",
    ]

    def embedded_context(self) -> dict[str, Any]:
        r = self.r
        ctx: dict[str, Any] = {"ex": "https://example.org/ns#", "xsd": XSD}
        ctx["score"] = r.choice(
            [
                {"@id": "ex:score", "@type": "xsd:decimal"},
                {"@id": "ex:score", "@type": "xsd:double"},
                "ex:score",
            ]
        )
        ctx["note"] = r.choice(
            [
                {"@id": "ex:note", "@container": "@language"},
                {"@id": "ex:note", "@container": "@language", "@direction": "rtl"},
                {"@id": "ex:note", "@language": "fr"},
                {"@id": "ex:note", "@language": "ar", "@direction": "rtl"},
                {"@id": "ex:note", "@direction": r.choice(["ltr", None])},
                "ex:note",
            ]
        )
        ctx["tags"] = r.choice(
            [{"@id": "ex:tags", "@container": "@list"}, {"@id": "ex:tags", "@container": "@set"}]
        )
        ctx["knows"] = r.choice(
            [
                {"@id": "ex:knows", "@type": "@id"},
                {"@id": "ex:knows"},
                {"@id": "ex:knows"},
                {"@reverse": "ex:knownBy"},
            ]
        )
        ctx["level"] = r.choice([{"@id": "ex:level", "@type": "@vocab"}, "ex:level"])
        ctx["extra"] = r.choice([{"@id": "ex:extra", "@type": "@json"}, "ex:extra"])
        ctx["alumniOf"] = "ex:alumniOf"
        if r.random() < 0.3:
            ctx["@vocab"] = "https://example.org/vocab#"
        if r.random() < 0.1:
            # A default base direction: safe mode refuses it (processors lose it differently).
            ctx["@direction"] = r.choice(["ltr", "rtl"])
        return ctx

    def credential(self) -> dict[str, Any]:
        r = self.r
        flavour = r.choice(["v2", "v2", "ob", "v1"])
        if flavour == "ob":
            contexts: list[Any] = [V2, OB3]
            types = ["VerifiableCredential", "OpenBadgeCredential"]
        elif flavour == "v2":
            contexts = [V2]
            types = ["VerifiableCredential"]
            if r.random() < 0.5:
                contexts.append(EXAMPLES)
                types.append("ExampleCredential")
        else:
            contexts = [V1]
            types = ["VerifiableCredential"]
        contexts.append(self.embedded_context())
        cred: dict[str, Any] = {"@context": contexts}
        if r.random() < 0.8:
            cred["id"] = self.iri()
        cred["type"] = types
        cred["issuer"] = r.choice(
            [
                "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                {"id": self.iri(), "name": self.text()},
                {"id": self.iri(), "name": self.directed(), "description": self.directed()},
            ]
        )
        if flavour == "v1":
            cred["issuanceDate"] = "2024-01-01T00:00:00Z"
        else:
            cred["validFrom"] = "2024-01-01T00:00:00Z"
            if r.random() < 0.5:
                cred["name"] = self.text() if r.random() < 0.6 else self.directed()
                cred["description"] = r.choice(
                    [{"@value": self.text(), "@language": "en"}, self.directed()]
                )
        if flavour == "ob":
            cred["credentialSubject"] = self.ob_subject()
            if r.random() < 0.5:
                cred["credentialStatus"] = {
                    "id": f"{self.iri()}#{r.randint(0, 131071)}",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": r.choice(["revocation", "suspension"]),
                    "statusListIndex": str(r.randint(0, 131071)),
                    "statusListCredential": self.iri(),
                }
        else:
            subject = self.node(3)
            if r.random() < 0.7:
                subject["id"] = self.iri()
            cred["credentialSubject"] = subject
            if r.random() < 0.3:
                cred["credentialSubject"] = [subject, copy.deepcopy(subject)]
        if r.random() < 0.25:
            shared = self.node(2)
            cred["evidence"] = [shared, shared]  # the same subtree twice
        if r.random() < 0.2:
            cred["evidence"] = [{"note": "same"}, {"note": "same"}]  # isomorphic blank nodes
        if r.random() < 0.04:
            cred["credentialSubject"] = {
                "id": "_:a",
                "knows": {"id": "_:b", "knows": {"id": "_:c", "knows": {"id": "_:a"}}},
            }
        if r.random() < 0.15:
            cred["termsOfUse"] = [{"note": self.text()} for _ in range(r.randint(2, 4))]
        return cred

    def ob_subject(self) -> dict[str, Any]:
        r = self.r
        achievement: dict[str, Any] = {
            "id": self.iri(),
            "type": ["Achievement"],
            "achievementType": r.choice(["Competency", "Certification", "License"]),
            "name": self.text() if r.random() < 0.7 else self.directed(),
            "criteria": {"narrative": self.text()},
        }
        if r.random() < 0.7:
            achievement["alignment"] = [
                {
                    "type": ["Alignment"],
                    "targetName": self.text(),
                    "targetUrl": "http://data.europa.eu/esco/skill/" + self.text(short=True),
                    "targetFramework": "ESCO",
                    "targetCode": self.text(short=True),
                }
                for _ in range(r.randint(1, 3))
            ]
        if r.random() < 0.6:
            levels = [
                {"id": self.iri(), "type": ["RubricCriterionLevel"], "name": self.text()}
                for _ in range(r.randint(1, 3))
            ]
            achievement["resultDescription"] = [
                {
                    "id": self.iri(),
                    "type": ["ResultDescription"],
                    "name": "Level",
                    "resultType": "RubricCriterionLevel",
                    "allowedValue": [lv["name"] for lv in levels],
                    "rubricCriterionLevel": levels,
                }
            ]
        if r.random() < 0.3:
            achievement["creditsAvailable"] = self.number()
        subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement}
        if r.random() < 0.8:
            subject["id"] = f"did:key:z6Mk{r.getrandbits(64):x}"
        if r.random() < 0.6:
            subject["result"] = [
                {"type": ["Result"], "achievedLevel": self.iri(), "status": "Completed"}
                for _ in range(r.randint(1, 2))
            ]
        if r.random() < 0.4:
            subject["identifier"] = [
                {
                    "type": "IdentityObject",
                    "identityHash": self.text(short=True),
                    "identityType": "emailAddress",
                    "hashed": r.choice([True, False]),
                    "salt": self.text(short=True),
                }
            ]
        return subject


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        return ("ok", fn())
    except SafeModeError as exc:
        return ("safe", str(exc))
    except JsonLdError as exc:
        return ("error", type(exc).__name__)


RANDOM_CASES = 400


@pytest.mark.parametrize("block", range(8))
def test_fast_equals_reference_on_random_credentials(block: int, loader: DocumentLoader) -> None:
    per_block = RANDOM_CASES // 8
    safe_ok = 0
    for seed in range(block * per_block, (block + 1) * per_block):
        doc = CredentialGenerator(seed).credential()
        reference = _outcome(lambda doc=doc: canonicalize_reference(doc, loader=loader))
        fast = _outcome(lambda doc=doc: canonicalize_unsafe(doc, loader=loader))
        if reference[0] == "ok":
            assert fast == reference, f"seed {seed}: {json.dumps(doc)}"
        else:
            assert fast[0] == "error", f"seed {seed}: reference failed, fast gave {fast}"
        safe = _outcome(lambda doc=doc: canonicalize(doc, loader=loader))
        if safe[0] == "ok":
            safe_ok += 1
            assert safe == reference, f"seed {seed}"
    assert safe_ok > 0


# -- regressions: where pyld's canonical form is wrong ---------------------------------------------


def test_pyld_literal_escaping_of_control_characters(loader: DocumentLoader) -> None:
    """pyld writes \\b, \\f, U+0000-U+001F and U+007F raw; RDFC-1.0 (and rdf-canonize) escape."""
    doc = {
        "@context": {"@vocab": "https://example.org/"},
        "@id": "urn:x",
        "text": 'a\bb\tc\nd\fe\rf"g\\h\x00i\x0bj\x1fk\x7fl\u2028m',
    }
    want = (
        '<urn:x> <https://example.org/text> "a\\bb\\tc\\nd\\fe\\rf\\"g\\\\h\\u0000i\\u000Bj'
        '\\u001Fk\\u007Fl\u2028m" .\n'
    )
    assert canonicalize(doc, loader=loader) == want
    assert canonicalize_reference(doc, loader=loader) == want


def test_pyld_literal_escaping_in_first_degree_hashes(loader: DocumentLoader) -> None:
    """The escaping also decides the blank node order (through the first-degree hashes)."""
    doc = {
        "@context": {"@vocab": "https://example.org/"},
        "@id": "urn:x",
        "item": [{"text": "\x01"}, {"text": "\x02"}, {"text": "\b"}, {"text": "\f"}],
    }
    fast, reference = _both(doc, loader)
    assert fast == reference
    assert "\\u0001" in fast and "\\b" in fast and "\\f" in fast


def test_rdfc_escapes_like_rdf_canonize() -> None:
    assert escape_literal('\b\t\n\x0b\f\r"\\\x7f') == '\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F'
    assert escape_literal("plain é 😀") == "plain é 😀"


def test_pyld_rounds_doubles_half_to_even(loader: DocumentLoader) -> None:
    """JSON-LD's canonical double is JavaScript's toExponential(15): ties round half up."""
    assert format_double(1234567890123456.5) == "1.234567890123457E15"
    assert format_double(123456789012345.25) == "1.234567890123453E14"
    assert format_double(1.1) == "1.1E0"
    assert format_double(-0.1) == "-1.0E-1"
    assert format_double(1e21) == "1.0E21"
    assert format_double(5e-324) == "4.940656458412465E-324"
    assert format_double(1.7976931348623157e308) == "1.797693134862316E308"
    doc = {"@context": {"@vocab": "https://example.org/"}, "@id": "urn:x", "n": 1234567890123456.5}
    want = (
        '<urn:x> <https://example.org/n> "1.234567890123457E15"'
        "^^<http://www.w3.org/2001/XMLSchema#double> .\n"
    )
    assert canonicalize(doc, loader=loader) == want
    assert canonicalize_reference(doc, loader=loader) == want


def test_pyld_hashes_a_self_loop_quad_twice(loader: DocumentLoader) -> None:
    """A quad naming one blank node twice is in its blank node's quads once (rdf-canonize)."""
    doc = {
        "@context": {"@vocab": "http://ex/"},
        "@graph": [{"@id": "_:n0", "p1": "a"}, {"@id": "_:n1", "p0": {"@id": "_:n1"}}],
    }
    # rdf-canonize 5.0 (Digital Bazaar); pyld 3.3 alone labels the two nodes the other way.
    want = '_:c14n0 <http://ex/p0> _:c14n0 .\n_:c14n1 <http://ex/p1> "a" .\n'
    fast, reference = _both(doc, loader)
    assert fast == reference == want


def test_pyld_import_must_not_modify_the_shipped_context(loader: DocumentLoader) -> None:
    """pyld merges a document's @import context into the loader's shared context object."""
    before = json.dumps(loader.load(V2), sort_keys=True)
    doc = {
        "@context": {"@import": V2, "injected": "https://example.org/injected"},
        "id": "urn:a",
        "injected": "x",
    }
    fast, reference = _both(doc, loader)
    assert fast == reference == '<urn:a> <https://example.org/injected> "x" .\n'
    assert json.dumps(loader.load(V2), sort_keys=True) == before


def test_graph_container_reference_only_object(loader: DocumentLoader) -> None:
    """pyld keeps a graph-container value with only an @id; jsonld.js drops it; safe refuses."""
    doc = {"@context": [V2], "id": "urn:a", "type": "VerifiableCredential", "proof": "urn:p"}
    fast, reference = _both(doc, loader)
    assert fast == reference
    with pytest.raises(SafeModeError, match=r"^proof: .*only an identifier"):
        canonicalize(doc, loader=loader)


# -- base directions: rdfDirection "i18n-datatype", as eddsa-rdfc-2022 ----------------------------

I18N = "https://www.w3.org/ns/i18n#"
SCHEMA = "https://schema.org/"
CRED = "https://www.w3.org/2018/credentials#"
OBV = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
VOCAB = "https://example.org/vocab#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDF_FIRST = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#first>"
RDF_REST = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"
RDF_NIL = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#nil>"


def _vc2_with_directions() -> dict[str, Any]:
    """Base directions where the W3C VC 2.0 test suite puts them."""
    return {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "name": {"@value": "Example Alumni Credential", "@language": "en", "@direction": "ltr"},
        "description": [
            {"@value": "شهادة خريج", "@language": "AR-eg", "@direction": "rtl"},
            {"@value": "No language, right to left", "@direction": "rtl"},
        ],
        "issuer": {
            "id": "https://university.example/issuers/565049",
            "name": {"@value": "Example University", "@language": "en", "@direction": "ltr"},
            "description": {"@value": "جامعة", "@language": "ar", "@direction": "rtl"},
        },
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "alumniOf": {"@value": "Example University", "@direction": "ltr"},
        },
    }


def _term_directions() -> dict[str, Any]:
    """Directions from term definitions: plain strings, a language map, a list, overrides."""
    return {
        "@context": [
            V2,
            {
                "@vocab": VOCAB,
                "@language": "He",
                "label": {"@id": f"{VOCAB}label", "@container": "@language", "@direction": "rtl"},
                "motto": {"@id": f"{VOCAB}motto", "@direction": "rtl"},
                "code": {"@id": f"{VOCAB}code", "@language": None, "@direction": "ltr"},
                "count": {"@id": f"{VOCAB}count", "@type": "@none", "@direction": "ltr"},
                "neutral": {"@id": f"{VOCAB}neutral", "@direction": None},
                "typed": {"@id": f"{VOCAB}typed", "@type": f"{VOCAB}Code", "@direction": "rtl"},
                "steps": {"@id": f"{VOCAB}steps", "@container": "@list", "@direction": "rtl"},
            },
        ],
        "id": "urn:example:1",
        "type": "VerifiableCredential",
        "label": {"en": "Label", "DE-ch": "Etikett", "@none": "no language"},
        "motto": "סיסמה",
        "code": "A-1",
        "count": "seven",
        "neutral": "שלום",
        "plain": "ברירת מחדל",
        "typed": "X-9",
        "number": {"@value": 7, "@direction": "ltr"},  # toRdf ignores a number's direction
        "steps": [
            "first",
            {"@value": "second", "@language": "en", "@direction": "ltr"},
            {"@value": "third", "@language": "en"},
        ],
    }


def _open_badge_with_directions() -> dict[str, Any]:
    return {
        "@context": [V2, OB3],
        "id": "urn:uuid:2f6c1e8a-4b53-4c4e-9f8e-0d9f3c2a1b7e",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "did:example:issuer",
            "type": ["Profile"],
            "name": {"@value": "מרכז הכשרה", "@language": "he", "@direction": "rtl"},
        },
        "validFrom": "2026-03-01T09:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://skills.example/skills/mig",
                "type": ["Achievement"],
                "name": {"@value": "لحام", "@language": "ar", "@direction": "rtl"},
                "description": {"@value": "MIG welding", "@direction": "ltr"},
                "criteria": {
                    "narrative": {
                        "@value": "Weld a T-joint",
                        "@language": "en-GB",
                        "@direction": "ltr",
                    }
                },
            },
        },
    }


_ALUMNUS = "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33>"
_UNIVERSITY = "<https://university.example/issuers/565049>"
_BADGE = "<urn:uuid:2f6c1e8a-4b53-4c4e-9f8e-0d9f3c2a1b7e>"
_MIG = "<https://skills.example/skills/mig>"
_DATETIME = "^^<http://www.w3.org/2001/XMLSchema#dateTime>"

# The expected outputs are jsonld.js 9.0's, canonized by canonize() of
# @digitalbazaar/eddsa-rdfc-2022-cryptosuite (rdfDirection 'i18n-datatype', safe mode).
DIRECTION_ANSWERS: dict[str, tuple[Any, str]] = {
    "VC 2.0 name, description, issuer": (
        _vc2_with_directions,
        "<did:example:ebfeb1f712ebc6f1c276e12ec21> "
        "<https://www.w3.org/ns/credentials/examples#alumniOf> "
        f'"Example University"^^<{I18N}_ltr> .\n'
        f'{_UNIVERSITY} <{SCHEMA}description> "جامعة"^^<{I18N}ar_rtl> .\n'
        f'{_UNIVERSITY} <{SCHEMA}name> "Example University"^^<{I18N}en_ltr> .\n'
        f"{_ALUMNUS} {RDF_TYPE} <{CRED}VerifiableCredential> .\n"
        f"{_ALUMNUS} {RDF_TYPE} <https://www.w3.org/ns/credentials/examples#"
        "ExampleAlumniCredential> .\n"
        f'{_ALUMNUS} <{SCHEMA}description> "No language, right to left"^^<{I18N}_rtl> .\n'
        f'{_ALUMNUS} <{SCHEMA}description> "شهادة خريج"^^<{I18N}ar-eg_rtl> .\n'
        f'{_ALUMNUS} <{SCHEMA}name> "Example Alumni Credential"^^<{I18N}en_ltr> .\n'
        f"{_ALUMNUS} <{CRED}credentialSubject> <did:example:ebfeb1f712ebc6f1c276e12ec21> .\n"
        f"{_ALUMNUS} <{CRED}issuer> {_UNIVERSITY} .\n"
        f'{_ALUMNUS} <{CRED}validFrom> "2023-01-01T00:00:00Z"{_DATETIME} .\n',
    ),
    "term definitions, language map, list": (
        _term_directions,
        f"<urn:example:1> {RDF_TYPE} <{CRED}VerifiableCredential> .\n"
        f'<urn:example:1> <{VOCAB}code> "A-1"^^<{I18N}_ltr> .\n'
        f'<urn:example:1> <{VOCAB}count> "seven"^^<{I18N}he_ltr> .\n'
        f'<urn:example:1> <{VOCAB}label> "Etikett"^^<{I18N}de-ch_rtl> .\n'
        f'<urn:example:1> <{VOCAB}label> "Label"^^<{I18N}en_rtl> .\n'
        f'<urn:example:1> <{VOCAB}label> "no language"^^<{I18N}_rtl> .\n'
        f'<urn:example:1> <{VOCAB}motto> "סיסמה"^^<{I18N}he_rtl> .\n'
        f'<urn:example:1> <{VOCAB}neutral> "שלום"@he .\n'
        f'<urn:example:1> <{VOCAB}number> "7"^^<{XSD}integer> .\n'
        f'<urn:example:1> <{VOCAB}plain> "ברירת מחדל"@he .\n'
        f"<urn:example:1> <{VOCAB}steps> _:c14n1 .\n"
        f'<urn:example:1> <{VOCAB}typed> "X-9"^^<{VOCAB}Code> .\n'
        f'_:c14n0 {RDF_FIRST} "third"@en .\n'
        f"_:c14n0 {RDF_REST} {RDF_NIL} .\n"
        f'_:c14n1 {RDF_FIRST} "first"^^<{I18N}he_rtl> .\n'
        f"_:c14n1 {RDF_REST} _:c14n2 .\n"
        f'_:c14n2 {RDF_FIRST} "second"^^<{I18N}en_ltr> .\n'
        f"_:c14n2 {RDF_REST} _:c14n0 .\n",
    ),
    "Open Badges 3.0": (
        _open_badge_with_directions,
        f"<did:example:issuer> {RDF_TYPE} <{OBV}Profile> .\n"
        f'<did:example:issuer> <{SCHEMA}name> "מרכז הכשרה"^^<{I18N}he_rtl> .\n'
        f"{_MIG} {RDF_TYPE} <{OBV}Achievement> .\n"
        f"{_MIG} <{OBV}Criteria> _:c14n0 .\n"
        f'{_MIG} <{SCHEMA}description> "MIG welding"^^<{I18N}_ltr> .\n'
        f'{_MIG} <{SCHEMA}name> "لحام"^^<{I18N}ar_rtl> .\n'
        f"{_BADGE} {RDF_TYPE} <{OBV}OpenBadgeCredential> .\n"
        f"{_BADGE} {RDF_TYPE} <{CRED}VerifiableCredential> .\n"
        f"{_BADGE} <{CRED}credentialSubject> _:c14n1 .\n"
        f"{_BADGE} <{CRED}issuer> <did:example:issuer> .\n"
        f'{_BADGE} <{CRED}validFrom> "2026-03-01T09:00:00Z"{_DATETIME} .\n'
        f'_:c14n0 <{OBV}narrative> "Weld a T-joint"^^<{I18N}en-gb_ltr> .\n'
        f"_:c14n1 {RDF_TYPE} <{OBV}AchievementSubject> .\n"
        f"_:c14n1 <{OBV}achievement> {_MIG} .\n",
    ),
}


@pytest.mark.parametrize("case", DIRECTION_ANSWERS)
def test_base_direction_known_answer(loader: DocumentLoader, case: str) -> None:
    """https://www.w3.org/ns/i18n#{language}_{direction}: language lower-cased, or empty."""
    make, want = DIRECTION_ANSWERS[case]
    doc = make()
    assert canonicalize(doc, loader=loader) == want
    assert canonicalize_unsafe(doc, loader=loader) == want
    assert canonicalize_reference(doc, loader=loader) == want


def _same_string_two_directions() -> dict[str, Any]:
    return {
        "@context": {"@vocab": VOCAB},
        "@id": "urn:example:2",
        "name": [
            {"@value": "x", "@language": "en", "@direction": "ltr"},
            {"@value": "x", "@language": "en"},
            {"@value": "x", "@direction": "rtl"},
            {"@value": "x"},
        ],
        "other": [
            {"@value": "y", "@language": "en"},
            {"@value": "y", "@language": "en", "@direction": "rtl"},
        ],
    }


def test_node_map_keeps_the_first_of_two_directions(loader: DocumentLoader) -> None:
    """The node map compares values without @direction: the first one given is kept (jsonld.js
    9.0 output); safe mode refuses to drop the other."""
    doc = _same_string_two_directions()
    want = (
        f'<urn:example:2> <{VOCAB}name> "x"^^<{I18N}_rtl> .\n'
        f'<urn:example:2> <{VOCAB}name> "x"^^<{I18N}en_ltr> .\n'
        f'<urn:example:2> <{VOCAB}other> "y"@en .\n'
    )
    fast, reference = _both(doc, loader)
    assert fast == reference == want
    with pytest.raises(SafeModeError, match="different base directions"):
        canonicalize(doc, loader=loader)


def test_same_string_and_direction_twice_is_one_value(loader: DocumentLoader) -> None:
    value = {"@value": "x", "@language": "ar", "@direction": "rtl"}
    doc = {"@context": {"@vocab": VOCAB}, "@id": "urn:a", "name": [value, dict(value)]}
    want = f'<urn:a> <{VOCAB}name> "x"^^<{I18N}ar_rtl> .\n'
    assert canonicalize(doc, loader=loader) == canonicalize_reference(doc, loader=loader) == want


def test_pyld_accepts_a_falsy_term_direction(loader: DocumentLoader) -> None:
    """JSON-LD 1.1 (§4.2.2) and jsonld.js reject a term's @direction "", false or 0; pyld signs
    "x"^^<...i18n#_False>."""
    for direction in ("", False, 0, "LTR"):
        term = {"@id": f"{VOCAB}t", "@direction": direction}
        doc = {"@context": {"@vocab": VOCAB, "t": term}, "@id": "urn:a", "t": "x"}
        for safe in (True, False):
            with pytest.raises(JsonLdError, match="invalid base direction") as info:
                canonicalize_mode(doc, loader=loader, safe=safe)
            assert not isinstance(info.value, SafeModeError)
        with pytest.raises(JsonLdError, match="invalid base direction"):
            canonicalize_reference(doc, loader=loader)


# -- RDFC-1.0 blank node cases ---------------------------------------------------------------------


def test_isomorphic_blank_nodes_need_n_degree_hashing(loader: DocumentLoader) -> None:
    """Two identical blank subtrees share first-degree hashes; expected output from jsonld.js 9."""
    doc = {
        "@context": {"@vocab": "https://example.org/"},
        "@id": "urn:root",
        "evidence": [{"note": "x", "sub": {"v": 1}}, {"note": "x", "sub": {"v": 1}}],
    }
    integer = "^^<http://www.w3.org/2001/XMLSchema#integer>"
    want = (
        "<urn:root> <https://example.org/evidence> _:c14n0 .\n"
        "<urn:root> <https://example.org/evidence> _:c14n2 .\n"
        '_:c14n0 <https://example.org/note> "x" .\n'
        "_:c14n0 <https://example.org/sub> _:c14n1 .\n"
        f'_:c14n1 <https://example.org/v> "1"{integer} .\n'
        '_:c14n2 <https://example.org/note> "x" .\n'
        "_:c14n2 <https://example.org/sub> _:c14n3 .\n"
        f'_:c14n3 <https://example.org/v> "1"{integer} .\n'
    )
    fast, reference = _both(doc, loader)
    assert fast == reference == want


def test_blank_node_cycle_exceeds_the_default_work_limit(loader: DocumentLoader) -> None:
    """rdf-canonize's default (work factor 1) refuses a cycle of blank nodes; so do we."""
    doc = {
        "@context": {"@vocab": "https://example.org/"},
        "@graph": [{"@id": "_:a", "next": {"@id": "_:b"}}, {"@id": "_:b", "next": {"@id": "_:a"}}],
    }
    with pytest.raises(JsonLdError, match="allowed work"):
        canonicalize(doc, loader=loader)
    with pytest.raises(JsonLdError, match="allowed work"):
        canonicalize_reference(doc, loader=loader)


def test_poison_graph_is_refused() -> None:
    """Many indistinguishable blank nodes exceed the work limit (rdf-canonize's default)."""
    quads = []
    nodes = [f"_:n{i}" for i in range(12)]
    for a in nodes:
        for b in nodes:
            if a != b:
                quads.append((a, "<https://example.org/p>", b, ""))
    with pytest.raises(JsonLdError, match="allowed work"):
        canonicalize_quads(quads)


# -- memoisation -----------------------------------------------------------------------------------


def test_no_context_processing_after_warm_up(
    loader: DocumentLoader, monkeypatch: pytest.MonkeyPatch
) -> None:
    skill = _load(REPO_ROOT / "tests" / "data" / "skill-credential.json")
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "@context": skill["@context"],
    }
    canonicalize(skill, loader=loader)
    canonicalize(proof, loader=loader)
    built: list[object] = []
    original = context_module.ContextBuilder.build

    def counting_build(self: Any, trusted: bool = False) -> Any:
        built.append(self.ctx)
        return original(self, trusted)

    monkeypatch.setattr(context_module.ContextBuilder, "build", counting_build)
    canonicalize(skill, loader=loader)
    canonicalize(proof, loader=loader)
    assert built == []


def test_embedded_contexts_are_not_kept_across_documents(loader: DocumentLoader) -> None:
    """Memoised contexts shared between documents are built from shipped contexts only."""

    def document(i: int) -> dict[str, Any]:
        return {
            "@context": [V2, {"t": {"@id": f"https://example.org/t{i}", "@context": {"u": "@id"}}}],
            "id": f"urn:a{i}",
            "type": "VerifiableCredential",
            "t": {"u": "urn:b"},
        }

    def shared_contexts() -> int:
        # The memo graph has cycles (a null context leads back to the initial context).
        stack = [canon_module._expander(loader)._root]
        seen: set[int] = set()
        while stack:
            ctx = stack.pop()
            if id(ctx) in seen:
                continue
            seen.add(id(ctx))
            assert ctx.shared
            stack.extend(child for child, _ in ctx._children.values())
        return len(seen)

    canonicalize(document(0), loader=loader)
    before = shared_contexts()
    for i in range(1, 60):
        canonicalize(document(i), loader=loader)
    assert shared_contexts() == before


# -- no network ------------------------------------------------------------------------------------


def test_unknown_context_is_refused_without_network(
    loader: DocumentLoader, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("JSON-LD processing tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    doc = {"@context": ["https://example.org/unknown-context/v1"], "id": "urn:a", "name": "x"}
    for safe in (True, False):
        with pytest.raises(DocumentLoaderError, match="unknown-context"):
            canonicalize_mode(doc, loader=loader, safe=safe)
    with pytest.raises(DocumentLoaderError, match="unknown-context"):
        canonicalize_reference(doc, loader=loader)
    scoped = {"@context": {"t": {"@id": "https://example.org/t", "@context": "https://x.test/c"}}}
    with pytest.raises(DocumentLoaderError, match=r"x\.test"):
        canonicalize_unsafe(scoped, loader=loader)


# -- interop: jsonld.js (Digital Bazaar) in safe mode, with eddsa-rdfc-2022's options --------------

INTEROP = REPO_ROOT / "interop"
_JSONLD_JS = """
const path = require('path');
const fs = require('fs');
const jsonld = require(path.join(process.argv[2], 'node_modules', 'jsonld'));
const contexts = process.argv[3];
const index = JSON.parse(fs.readFileSync(path.join(contexts, 'index.json')));
const documentLoader = async url => {
  if(!(url in index)) throw new Error('not shipped: ' + url);
  const document = JSON.parse(fs.readFileSync(path.join(contexts, index[url].file)));
  return {contextUrl: null, documentUrl: url, document};
};
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', async () => {
  const out = [];
  for(const doc of JSON.parse(input)) {
    try {
      // The options of @digitalbazaar/eddsa-rdfc-2022-cryptosuite's canonize().
      out.push({ok: await jsonld.canonize(doc, {
        algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true,
        rdfDirection: 'i18n-datatype', documentLoader})});
    } catch(e) {
      out.push({error: String(e.details && e.details.event ? e.details.event.code : e.message)});
    }
  }
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.mark.interop
def test_same_canonical_form_as_jsonld_js(tmp_path: Path, loader: DocumentLoader) -> None:
    """Where jsonld.js (safe mode, as eddsa-rdfc-2022 uses it) signs, we sign the same bytes;
    where it refuses, we refuse."""
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "jsonld").is_dir():
        pytest.skip("needs node and interop/node_modules (npm install in interop/)")
    direction_answers = [(make(), want) for make, want in DIRECTION_ANSWERS.values()]
    docs: list[Any] = [doc for doc, _ in direction_answers]
    docs += [_same_string_two_directions()]
    docs += [CredentialGenerator(seed).credential() for seed in range(1000, 1250)]
    docs += [_load(REPO_ROOT / "tests" / "data" / "skill-credential.json")]
    script = tmp_path / "canonize.cjs"
    script.write_text(_JSONLD_JS, encoding="utf-8")
    completed = subprocess.run(
        [node, str(script), str(INTEROP), str(REPO_ROOT / "contexts")],
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answers = json.loads(completed.stdout)
    for (_, want), answer in zip(direction_answers, answers, strict=False):
        assert answer == {"ok": want}
    both = 0
    for doc, answer in zip(docs, answers, strict=True):
        ours = _outcome(lambda doc=doc: canonicalize(doc, loader=loader))
        if "ok" in answer:
            if ours[0] == "ok":
                both += 1
                assert ours[1] == answer["ok"], json.dumps(doc)
            else:
                # Our extra safe-mode checks refuse some documents jsonld.js accepts.
                assert ours[0] == "safe", (ours, json.dumps(doc))
        else:
            assert ours[0] != "ok", (answer, json.dumps(doc))
    assert both > 100


# -- @json literals: RFC 8785 with JavaScript's numbers, as pyld's c14n and jsonld.js --------------


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 3 or kind < 0.35:
        return rng.choice(
            [
                rng.randint(-(2**70), 2**70),
                rng.randint(-(2**53) - 5, -(2**53) + 5),
                rng.randint(2**53 - 5, 2**53 + 5),
                rng.randint(-1000, 1000),
                rng.uniform(-1e30, 1e30),
                rng.random() * 10 ** rng.randint(-30, 30),
                rng.choice([True, False, None]),
                "".join(
                    chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFFF)]))
                    for _ in range(rng.randint(0, 5))
                ),
            ]
        )
    if kind < 0.65:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        "".join(chr(rng.randint(0x20, 0x1FFFF)) for _ in range(rng.randint(0, 4))): _random_json(
            rng, depth + 1
        )
        for _ in range(rng.randint(0, 4))
    }


def test_json_literal_lexical_form_equals_pyld_c14n() -> None:
    """rdf.py writes @json literals with rfc8785 (pyld is a test dependency only); pyld's
    bundled c14n is JCS as jsonld.js's canonicalize does it: same bytes, large integers as the
    doubles JavaScript holds (rfc8785 alone refuses them)."""
    from c14n.Canonicalize import canonicalize as c14n  # shipped with pyld

    rng = random.Random(10)
    values: list[Any] = [2**53, -(2**53), 2**63, 10**21, 3**40, {"b": [1.0, 2.5], "a": 2**60}]
    values += [_random_json(rng) for _ in range(3000)]
    compared = 0
    for value in values:
        try:
            want = c14n(value).decode("utf-8")
        except UnicodeError:  # a lone surrogate: both refuse
            with pytest.raises(ValueError, match=r"surrogates|non-UTF-8"):
                json_literal_lexical_form(value)
            continue
        assert json_literal_lexical_form(value) == want, repr(value)
        compared += 1
    assert compared > 2000
    with pytest.raises(OverflowError):
        json_literal_lexical_form(10**400)


def test_nest_null_is_an_invalid_nest_value(loader: DocumentLoader) -> None:
    """Regression (issue 10): with core.values.as_list, a null @nest must stay an error."""
    doc = {
        "@context": {"@version": 1.1, "n": "@nest", "p": "https://example.org/p"},
        "@id": "urn:a",
        "n": None,
        "p": "x",
    }
    for safe in (True, False):
        with pytest.raises(JsonLdError, match="invalid @nest value"):
            canonicalize_mode(doc, loader=loader, safe=safe)
