"""kg validate: passes on a consistent store, fails naming the entity and its sentence otherwise."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import make_extraction
from rdflib import Literal

from kg.mapping import map_extraction
from kg.namespaces import CK, IRIs
from kg.reasoning import materialize
from kg.store import Store
from kg.validate import validate

IRI = IRIs("http://example.org/kg/")


def store_with(tmp_path, extraction, *, reason: bool = True, extra=()) -> Store:
    store = Store(tmp_path / "kg", base_iri=IRI.base)
    triples = map_extraction(extraction, IRI) + list(extra)
    store.put_graph(store.iris.document_graph(extraction.document.key), triples)
    if reason:
        materialize(store)
    return store


def test_consistent_store_passes(tmp_path, extraction):
    with store_with(tmp_path, extraction) as store:
        report = validate(store)
    assert report.ok, report.format()
    assert report.format().startswith("OK")
    assert report.triples_checked > 100


def person_captured() -> object:
    """Kafr Nabl extracted as a Person: the range of ck:capturedPlace makes it a Place too."""
    ex = make_extraction()
    ents = dict(ex.entities)
    ents["kafr-nabl"] = dataclasses.replace(ents["kafr-nabl"], type="Person")
    return dataclasses.replace(ex, entities=ents)


@pytest.mark.parametrize("reason", [True, False])
def test_disjoint_types_fail_naming_entity_and_sentence(tmp_path, reason):
    with store_with(tmp_path, person_captured(), reason=reason) as store:
        report = validate(store)
    assert not report.ok
    text = report.format()
    assert text.startswith("INVALID")
    owl = [v for v in report.errors if v.kind == "owl"]
    assert [v.entity for v in owl] == [str(IRI.entity("kafr-nabl"))]
    assert owl[0].label == "Kafr Nabl"
    assert "ck:Person" in owl[0].message and "ck:Place" in owl[0].message
    assert any("Rebels captured the town of Kafr Nabl" in s for s in owl[0].sentences)
    assert str(IRI.entity("kafr-nabl")) in text and "Rebels captured the town of Kafr Nabl" in text


def test_shacl_violation_names_the_event_and_sentence(tmp_path, extraction):
    store = Store(tmp_path / "kg", base_iri=IRI.base)
    triples = map_extraction(extraction, IRI)
    event = next(s for s, p, o in triples if p == CK.capturedPlace)
    triples = [t for t in triples if not (t[0] == event and t[1] == CK.source)]  # no source document
    triples.append((event, CK.confidence, Literal("1.5", datatype=CK.nope)))
    store.put_graph(store.iris.document_graph(extraction.document.key), triples)
    materialize(store)
    report = validate(store)
    store.close()
    assert not report.ok
    bad = [v for v in report.errors if v.kind == "shacl" and v.entity == str(event)]
    messages = " | ".join(v.message for v in bad)
    assert "source document" in messages and "confidence" in messages
    assert all(any("Rebels captured" in s for s in v.sentences) for v in bad)


def test_cli_validate_exit_codes(tmp_path, extraction, capsys):
    from kg.cli import main

    store_with(tmp_path, extraction).close()
    assert main(["validate", "--store", str(tmp_path / "kg"), "--base-iri", IRI.base]) == 0
    assert capsys.readouterr().out.startswith("OK")


def test_reasoner_reports_the_same_inconsistency():
    from kg.reasoning import Reasoner
    from kg.store import to_ox

    r = Reasoner()
    r.add("doc", [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in map_extraction(person_captured(), IRI)])
    found = r.inconsistencies()
    assert [str(e.value) for e, _msg in found] == [str(IRI.entity("kafr-nabl"))]
    assert "Disjoint classes" in found[0][1]


def test_counted_target_shape(tmp_path):
    """A count that is no integer, or a qualifier without a count, violates the counted-target shape."""
    ex = make_extraction()
    rel = ex.relations[0]
    ok = dataclasses.replace(rel, quantity=7, quantity_qualifier="about", target_description="villages")
    with store_with(tmp_path / "ok", dataclasses.replace(ex, relations=[ok, *ex.relations[1:]])) as store:
        report = validate(store)
    assert report.ok, report.format()
    bad = dataclasses.replace(rel, quantity_qualifier="about")
    with store_with(tmp_path / "bad", dataclasses.replace(ex, relations=[bad, *ex.relations[1:]]),
                    extra=[(IRI.event(ex.document.key, rel.predicate, rel.subject, rel.object, rel.trigger.start),
                            CK.targetDescription, Literal(""))]) as store:
        report = validate(store)
    messages = " | ".join(v.message for v in report.errors if v.kind == "shacl")
    assert "exactly one quantity" in messages and "description" in messages
