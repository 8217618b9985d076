"""Safe mode: documents whose JSON-LD processing would silently lose data are refused.

One test per jsonld.js safe-mode event (and per extra skillcred check), each asserting the message:
it names the JSON path and the offending term or value.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from skillcred.core.jsonld.canon import canonicalize
from skillcred.core.jsonld.events import EXTRA_SAFE_MODE_CHECKS, SAFE_MODE_EVENTS
from skillcred.core.jsonld.loader import DocumentLoader, default_loader
from skillcred.errors import DocumentLoaderError, JsonLdError, SafeModeError
from tests.support.jsonld_reference import (
    canonicalize_mode,
    canonicalize_reference,
    canonicalize_unsafe,
)

# pyld warns about keyword-like terms on the reference path these tests compare against.
pytestmark = pytest.mark.filterwarnings("ignore:.*reserved.*:SyntaxWarning")

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VOCAB = {"@vocab": "https://example.org/vocab#"}


@pytest.fixture(scope="module")
def loader() -> DocumentLoader:
    return default_loader()


def credential(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    }
    doc.update(overrides)
    return doc


def refused(doc: Any, loader: DocumentLoader) -> str:
    with pytest.raises(SafeModeError) as info:
        canonicalize(doc, loader=loader)
    # Outside safe mode the document is processed the way pyld processes it.
    assert canonicalize_unsafe(doc, loader=loader) == canonicalize_reference(doc, loader=loader)
    return str(info.value)


def test_a_valid_credential_passes(loader: DocumentLoader) -> None:
    assert canonicalize(credential(), loader=loader).count("\n") == 6


def test_safe_mode_is_the_default_and_a_json_ld_error(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2]})
    with pytest.raises(JsonLdError):
        canonicalize(doc, loader=loader)
    assert issubclass(SafeModeError, JsonLdError)


# -- jsonld.js safe-mode events --------------------------------------------------------------------


def test_invalid_property_undefined_term(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2], "type": ["VerifiableCredential"]})
    assert refused(doc, loader) == (
        'credentialSubject.alumniOf: the term "alumniOf" is not defined by any context in '
        "scope, so it would be dropped from the signed data"
    )


def test_invalid_property_deep_in_an_open_badge(loader: DocumentLoader) -> None:
    doc = {
        "@context": [V2, OB3],
        "id": "urn:uuid:2f6c1e8a-4b53-4c4e-9f8e-0d9f3c2a1b7e",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "Provider"},
        "validFrom": "2026-03-01T09:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://skills.example/skills/mig",
                "type": ["Achievement"],
                "name": "MIG welding",
                "alignment": [{"type": ["Alignment"], "targetNme": "weld metal parts"}],
            },
        },
    }
    assert refused(doc, loader) == (
        'credentialSubject.achievement.alignment[0].targetNme: the term "targetNme" is not '
        "defined by any context in scope, so it would be dropped from the signed data"
    )


def test_invalid_property_term_mapped_to_null(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"alumniOf": None}]})
    assert refused(doc, loader) == (
        'credentialSubject.alumniOf: the term "alumniOf" is mapped to null by a context in '
        "scope, so it would be dropped from the signed data"
    )


def test_invalid_property_keyword_lookalike(loader: DocumentLoader) -> None:
    doc = credential(credentialSubject={"id": "did:example:1", "@foo": "x"})
    assert refused(doc, loader) == (
        'credentialSubject.@foo: the key "@foo" looks like a JSON-LD keyword but is not one, so '
        "it would be dropped from the signed data"
    )


def test_relative_type_reference(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2]}, credentialSubject={"id": "did:example:1"})
    assert refused(doc, loader) == (
        'type[1]: the type "AlumniCredential" is not defined by any context in scope and is not '
        "an absolute IRI, so it would be dropped from the signed data"
    )


def test_relative_id_reference(loader: DocumentLoader) -> None:
    doc = credential(id="credential-1")
    assert refused(doc, loader) == (
        'id: the identifier "credential-1" is not an absolute IRI (there is no base IRI to '
        "resolve it against), so statements about it would be dropped from the signed data"
    )


def test_relative_object_reference(loader: DocumentLoader) -> None:
    doc = credential(issuer="issuers/5678")
    assert refused(doc, loader) == (
        'issuer: the value "issuers/5678" is used as an IRI (the term "issuer" has '
        '"@type": "@id") but is not an absolute IRI, so it would be dropped from the signed data'
    )


def test_relative_id_in_a_context_with_base(loader: DocumentLoader) -> None:
    """pyld ignores @base when the document has no base; safe mode refuses the relative id."""
    doc = credential(**{"@context": [V2, EXAMPLES, {"@base": "https://example.org/"}]})
    doc["credentialSubject"] = {"id": "students/1", "alumniOf": "x"}
    assert refused(doc, loader).startswith(
        'credentialSubject.id: the identifier "students/1" is not an absolute IRI'
    )


def test_invalid_language_value(loader: DocumentLoader) -> None:
    doc = credential(name={"@value": "Alumni", "@language": "en_US"})
    assert (
        refused(doc, loader) == 'name.@language: "en_US" is not a well-formed BCP 47 language tag'
    )


def test_invalid_language_in_a_language_map(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"label": {"@container": "@language"}}]})
    doc["credentialSubject"]["label"] = {"nl": "Lassen", "english please": "Welding"}
    assert refused(doc, loader) == (
        'credentialSubject.label["english please"]: "english please" is not a well-formed '
        "BCP 47 language tag"
    )


def test_invalid_default_language(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"@language": "en_GB"}]})
    assert refused(doc, loader) == (
        '@context: the default language "en_GB" is not a well-formed BCP 47 language tag'
    )


def test_empty_object(loader: DocumentLoader) -> None:
    doc = {"@context": [V2, EXAMPLES], "@graph": [credential(**{"@context": None}) | {}, {}]}
    del doc["@graph"][0]["@context"]
    assert refused(doc, loader) == (
        "@graph[1]: an empty object at the top level or in a graph would be dropped from the "
        "signed data"
    )


def test_free_floating_scalar(loader: DocumentLoader) -> None:
    doc = {"@context": VOCAB, "@graph": [{"@id": "urn:a", "name": "x"}, "loose"]}
    assert refused(doc, loader) == (
        '@graph[1]: the value "loose" is not the value of any property, so it would be dropped '
        "from the signed data"
    )


def test_object_with_only_id(loader: DocumentLoader) -> None:
    doc = {"@context": [V2], "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33"}
    assert refused(doc, loader) == (
        '(document): the node "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33" has only an '
        "identifier and stands at the top level or directly in a graph, so it carries no "
        "statement and would be dropped"
    )


def test_object_with_only_value(loader: DocumentLoader) -> None:
    doc = {"@context": VOCAB, "@graph": [{"@value": "x"}, {"@id": "urn:a", "p": "v"}]}
    assert refused(doc, loader).startswith("@graph[0]: a value at the top level")


def test_object_with_only_list(loader: DocumentLoader) -> None:
    doc = {"@context": VOCAB, "@graph": [{"@list": ["x"]}, {"@id": "urn:a", "p": "v"}]}
    assert refused(doc, loader).startswith("@graph[0]: a list at the top level")


def test_object_with_only_language(loader: DocumentLoader) -> None:
    doc = credential(name={"@language": "en"})
    assert refused(doc, loader) == (
        "name: an object with only @language carries no value and would be dropped"
    )


def test_null_value(loader: DocumentLoader) -> None:
    doc = credential(name={"@value": None, "@language": "en"})
    assert refused(doc, loader) == (
        "name: a value object whose @value is null would be dropped from the signed data"
    )


def test_reserved_id_value(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["id"] = "@subject"
    with pytest.raises(SafeModeError) as info:
        canonicalize(doc, loader=loader)
    assert str(info.value) == (
        'credentialSubject.id: the identifier "@subject" looks like a JSON-LD keyword, so it '
        "would be dropped from the signed data"
    )


def test_reserved_term(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"@subject": "https://example.org/s"}]})
    assert refused(doc, loader) == (
        '@context: the term "@subject" looks like a JSON-LD keyword but is not one, so its '
        "definition would be ignored"
    )


def test_reserved_reverse_value(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"holderOf": {"@reverse": "@holder"}}]})
    assert refused(doc, loader) == (
        '@context: the @reverse value "@holder" of the term "holderOf" looks like a keyword, so '
        "the term would be ignored"
    )


def test_reserved_id_value_in_a_term_definition(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"holder2": {"@id": "@holder"}}]})
    assert refused(doc, loader) == (
        '@context: the @id value "@holder" of the term "holder2" looks like a keyword, so the '
        "term would be ignored"
    )


def test_relative_vocab_reference(loader: DocumentLoader) -> None:
    doc = {"@context": [V2, {"@vocab": "terms/"}], "id": "urn:a", "type": "VerifiableCredential"}
    assert refused(doc, loader) == (
        '@context: @vocab "terms/" is not an absolute IRI, so the terms it should define would '
        "be dropped or relative"
    )


def test_events_of_a_memoised_context_are_raised_every_time(loader: DocumentLoader) -> None:
    doc = {"@context": [V2, {"@vocab": "terms/"}], "id": "urn:a", "type": "VerifiableCredential"}
    for _ in range(3):
        with pytest.raises(SafeModeError, match='@vocab "terms/"'):
            canonicalize(doc, loader=loader)


def test_blank_node_predicate(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"secret": "_:secret"}]})
    doc["credentialSubject"]["secret"] = "x"
    assert refused(doc, loader) == (
        'credentialSubject.secret: the term "secret" expands to the blank node "_:secret", '
        "which cannot be a property in RDF, so it would be dropped from the signed data"
    )


def test_blank_node_predicate_through_reverse(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"holderOf": {"@reverse": "_:holds"}}]})
    doc["credentialSubject"]["holderOf"] = {"id": "urn:thing"}
    assert refused(doc, loader).startswith(
        'credentialSubject.holderOf: the term "holderOf" expands to the blank node "_:holds"'
    )


def test_base_direction_is_signed_not_refused(loader: DocumentLoader) -> None:
    """jsonld.js's "rdfDirection not set" cannot happen: skillcred, like eddsa-rdfc-2022, converts
    with rdfDirection "i18n-datatype", so the direction is part of the signed data."""
    doc = credential(name={"@value": "مرحبا", "@language": "ar", "@direction": "rtl"})
    doc["credentialSubject"]["alumniOf"] = {"@value": "Example", "@direction": "ltr"}
    context = {"motto": {"@id": "https://example.org/motto", "@direction": "rtl"}}
    doc["@context"] = [V2, EXAMPLES, context]
    doc["credentialSubject"]["motto"] = "שלום"
    nquads = canonicalize(doc, loader=loader)
    assert nquads == canonicalize_reference(doc, loader=loader)
    assert '"مرحبا"^^<https://www.w3.org/ns/i18n#ar_rtl>' in nquads
    assert '"Example"^^<https://www.w3.org/ns/i18n#_ltr>' in nquads
    assert '"שלום"^^<https://www.w3.org/ns/i18n#_rtl>' in nquads
    assert "rdfDirection not set" not in SAFE_MODE_EVENTS


@pytest.mark.parametrize(
    ("value", "shown"),
    [("LTR", '"LTR"'), ("auto", '"auto"'), (None, "null"), (1, "1"), (["ltr"], '["ltr"]')],
)
def test_invalid_base_direction_is_an_error_in_both_modes(
    loader: DocumentLoader, value: Any, shown: str
) -> None:
    doc = credential(name={"@value": "Alumni", "@language": "en", "@direction": value})
    for safe in (True, False):
        with pytest.raises(JsonLdError) as info:
            canonicalize_mode(doc, loader=loader, safe=safe)
        assert not isinstance(info.value, SafeModeError)
        assert str(info.value) == (
            'name.@direction: invalid base direction: @direction must be "ltr" or "rtl", not '
            + shown
        )
    with pytest.raises(JsonLdError, match="invalid base direction"):
        canonicalize_reference(doc, loader=loader)


@pytest.mark.parametrize(("value", "shown"), [("up", '"up"'), (True, "true"), ([], "[]")])
def test_invalid_default_base_direction_is_an_error(
    loader: DocumentLoader, value: Any, shown: str
) -> None:
    doc = credential(**{"@context": [V2, EXAMPLES, {"@direction": value}]})
    for safe in (True, False):
        with pytest.raises(JsonLdError) as info:
            canonicalize_mode(doc, loader=loader, safe=safe)
        assert str(info.value) == (
            f'invalid base direction: @direction must be null, "ltr" or "rtl", not {shown}'
        )
    with pytest.raises(JsonLdError, match="invalid base direction"):
        canonicalize_reference(doc, loader=loader)


def test_invalid_term_base_direction_is_an_error(loader: DocumentLoader) -> None:
    context = {"motto": {"@id": "https://example.org/motto", "@direction": False}}
    doc = credential(**{"@context": [V2, EXAMPLES, context]})
    for safe in (True, False):
        with pytest.raises(JsonLdError) as info:
            canonicalize_mode(doc, loader=loader, safe=safe)
        assert str(info.value) == (
            'invalid base direction for the term "motto": @direction must be null, "ltr" or '
            '"rtl", not false'
        )


def test_graph_container_value_with_only_an_id(loader: DocumentLoader) -> None:
    doc = credential(proof={"id": "urn:proof"})
    assert refused(doc, loader).startswith('proof: the node "urn:proof" has only an identifier')


# -- skillcred's extra checks ----------------------------------------------------------------------


def test_undefined_prefix(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["schema:name"] = "Pat"
    assert refused(doc, loader) == (
        'credentialSubject.schema:name: the key "schema:name" uses the prefix "schema", which '
        'no context in scope defines, so it would be signed as the IRI "schema:name"'
    )


def test_common_schemes_are_not_prefixes(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["urn:example:level"] = "3"
    doc["credentialSubject"]["https://schema.org/name"] = "Pat"
    canonicalize(doc, loader=loader)


def test_lossy_integer(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["points"] = 2**60 + 1
    assert refused(doc, loader) == (
        "credentialSubject.points: the integer 1152921504606846977 cannot be represented exactly "
        "by JSON-LD processors that use IEEE doubles (such as JavaScript), so they would sign a "
        "different number"
    )


def test_tiny_number(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["ratio"] = 1e-7
    assert refused(doc, loader).startswith("credentialSubject.ratio: the number 1e-07 is written")


def test_exact_big_integers_pass(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["points"] = 2**60
    assert '"1152921504606846976"^^' in canonicalize(doc, loader=loader)


def test_invalid_iri(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["id"] = "did:example:a b"
    assert refused(doc, loader).startswith(
        'credentialSubject.id: the identifier "did:example:a b" is not an absolute IRI'
    )
    doc["credentialSubject"]["id"] = "did:example:<ab>"
    assert refused(doc, loader) == (
        'credentialSubject.id: the identifier "did:example:<ab>" contains characters that are '
        "not allowed in an IRI, so JSON-LD implementations would sign it differently"
    )


def test_invalid_double(loader: DocumentLoader) -> None:
    double = "http://www.w3.org/2001/XMLSchema#double"
    doc = credential(name={"@value": "2024-01-01", "@type": double})
    assert refused(doc, loader) == (
        'name: the string "2024-01-01" is typed xsd:double but is not a finite decimal number; '
        "JSON-LD processors would sign different forms of it"
    )


def test_unprocessed_keyword(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["@vocab"] = "https://example.org/"
    assert refused(doc, loader) == (
        "credentialSubject.@vocab: the keyword @vocab has no meaning inside data, so this entry "
        "would be dropped from the signed data"
    )


def test_repeated_json_literal(loader: DocumentLoader) -> None:
    context = {"data": {"@id": "https://example.org/data", "@type": "@json"}}
    subject = {"id": "did:example:1", "data": {"a": [1, 2]}}
    doc = credential(**{"@context": [V2, EXAMPLES, context]})
    doc["credentialSubject"] = [subject, copy.deepcopy(subject)]
    assert "the same JSON literal twice" in refused(doc, loader)


def test_type_scoped_null_context(loader: DocumentLoader) -> None:
    context = {"Plain": {"@id": "https://example.org/Plain", "@context": None}}
    doc = credential(**{"@context": [V2, EXAMPLES, context]})
    doc["credentialSubject"]["type"] = "Plain"
    assert refused(doc, loader) == (
        'credentialSubject.type: the type "Plain" resets the context to null, which JSON-LD '
        "processors apply differently"
    )


def test_default_base_direction(loader: DocumentLoader) -> None:
    """jsonld.js and pyld drop a context's default @direction when they copy the active context
    (jsonld.js whenever a later context is processed), each in other places."""
    doc = credential(**{"@context": [V2, EXAMPLES, {"@direction": "rtl"}]})
    assert refused(doc, loader) == (
        'credentialSubject.alumniOf: the string would take the base direction "rtl" that a '
        "context gives by default; JSON-LD processors keep or lose such a default in different "
        "places, so give @direction in the term definition or the value instead"
    )
    # A language map without a direction of its own takes the default too.
    label = {"label": {"@id": "https://example.org/label", "@container": "@language"}}
    doc = credential(**{"@context": [V2, EXAMPLES, {"@direction": "ltr"}, label]})
    doc["credentialSubject"] = {"id": "did:example:1", "label": {"en": "Label"}}
    assert refused(doc, loader).startswith(
        'credentialSubject.label: the string would take the base direction "ltr"'
    )


def test_default_base_direction_overridden_by_the_term(loader: DocumentLoader) -> None:
    terms = {
        "alumniOf": {"@id": "https://example.org/alumniOf", "@direction": None},
        "motto": {"@id": "https://example.org/motto", "@direction": "rtl"},
    }
    doc = credential(**{"@context": [V2, {"@direction": "ltr"}, terms]})
    doc["type"] = ["VerifiableCredential"]
    doc["credentialSubject"]["motto"] = "שלום"
    nquads = canonicalize(doc, loader=loader)
    assert nquads == canonicalize_reference(doc, loader=loader)
    assert '<https://example.org/alumniOf> "The School of Examples" .' in nquads
    assert '"שלום"^^<https://www.w3.org/ns/i18n#_rtl>' in nquads


def test_conflicting_base_directions(loader: DocumentLoader) -> None:
    subject = {"id": "did:example:1", "alumniOf": "Example"}
    directed = {**subject, "alumniOf": {"@value": "Example", "@direction": "rtl"}}
    doc = credential(credentialSubject=[subject, directed])
    assert refused(doc, loader) == (
        "(node <did:example:1>): the node has the same string twice for "
        '"https://www.w3.org/ns/credentials/examples#alumniOf" with different base directions '
        "(or with and without one); JSON-LD keeps only one of them, so the other would be "
        "dropped from the signed data"
    )


def test_nested_list(loader: DocumentLoader) -> None:
    doc = credential()
    doc["credentialSubject"]["scores"] = {"@list": [[[1, 2], 3]]}
    assert refused(doc, loader) == (
        "credentialSubject.scores.@list[0]: arrays nested more than one level inside @list are "
        "expanded differently by JSON-LD processors; use nested @list objects"
    )
    doc["credentialSubject"]["scores"] = {"@list": [[1, 2], [3]]}  # one level: the same
    canonicalize(doc, loader=loader)


def test_unsupported_values_are_refused_in_safe_mode(loader: DocumentLoader) -> None:
    """Python values that are not JSON: safe mode refuses, unsafe mode falls back to pyld."""
    doc = credential()
    doc["credentialSubject"]["alumniOf"] = ("not", "json")
    with pytest.raises(JsonLdError, match="tuple is not a JSON value"):
        canonicalize(doc, loader=loader)
    assert canonicalize_unsafe(doc, loader=loader) == canonicalize_reference(doc, loader=loader)


# -- errors that are not safe-mode events ----------------------------------------------------------


def test_unknown_context_is_a_loader_error_in_safe_mode(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, "https://example.org/context/v1"]})
    with pytest.raises(DocumentLoaderError, match="not one of the contexts this service ships"):
        canonicalize(doc, loader=loader)


def test_protected_term_redefinition_is_an_error_in_both_modes(loader: DocumentLoader) -> None:
    doc = credential(**{"@context": [V2, {"name": "https://example.org/name"}]})
    for safe in (True, False):
        with pytest.raises(JsonLdError, match='protected term redefinition: the term "name"'):
            canonicalize_mode(doc, loader=loader, safe=safe)


def test_messages_spell_values_as_json(loader: DocumentLoader) -> None:
    """Messages show values in JSON ("a", null, true, ["a"], "\\b"), never as Python reprs
    ('a', None, True, ['a'], '\\x08'): they reach clients in problem details."""
    cases: list[tuple[Any, str]] = [
        (
            {"t": {"@id": "https://example.org/t", "@container": ["@index", "@language"]}},
            'invalid container mapping for "t": ["@index", "@language"]',
        ),
        ({"@version": True}, "unsupported JSON-LD version true"),
        ({"@version": 1.0}, "unsupported JSON-LD version 1.0"),
        ({"t": {"@id": "https://example.org/t", "@direction": 0}}, "not 0"),
    ]
    for context, shown in cases:
        doc = credential(**{"@context": [V2, EXAMPLES, context]})
        with pytest.raises(JsonLdError) as info:
            canonicalize(doc, loader=loader)
        assert shown in str(info.value)
    doc = credential()
    doc["credentialSubject"]["id"] = "did:example:a\bb"
    with pytest.raises(SafeModeError) as refusal:
        canonicalize(doc, loader=loader)
    assert str(refusal.value).startswith(
        'credentialSubject.id: the identifier "did:example:a\\bb" '
    )


def test_every_event_code_is_documented() -> None:
    assert len(SAFE_MODE_EVENTS) == 21
    assert "invalid property" in SAFE_MODE_EVENTS
    assert set(EXTRA_SAFE_MODE_CHECKS).isdisjoint(SAFE_MODE_EVENTS)
