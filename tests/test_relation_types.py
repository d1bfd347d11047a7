"""A relation type is the ontology, the lexicon and a test row: how a relation is reified comes from the
ontology's property chains when :data:`kg.mapping.EVENT_MODEL` does not list it, and an unknown relation never
raises."""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import RDF

from kg.mapping import EVENT_MODEL, GENERIC_MODEL, EventModel, _model_from_ontology, event_model, map_extraction
from kg.namespaces import CK, IRIs
from kg.records import Relation

IRI = IRIs("http://example.org/kg/")


def _with_predicate(extraction, predicate: str) -> Graph:
    rel = extraction.relations[0]
    extraction.relations = [Relation(rel.subject, predicate, rel.object, rel.sentence, rel.trigger)]
    g = Graph()
    for t in map_extraction(extraction, IRI):
        g.add(t)
    return g


def test_every_listed_relation_is_what_the_ontology_says():
    # the table is a cache of the ontology: reading the chain and the role's domain gives the same model
    # (leads: a chain per role; the table names the named-unit one)
    for predicate, model in EVENT_MODEL.items():
        assert _model_from_ontology(predicate) == model, predicate


def test_a_relation_only_the_ontology_defines_is_reified_from_its_chain(extraction):
    assert "threatened" not in EVENT_MODEL
    assert event_model("threatened") == EventModel(CK.Threaten, CK.threatenedParty)
    g = _with_predicate(extraction, "threatened")
    (event,) = g.subjects(RDF.type, CK.Threaten)
    assert g.value(event, CK.threatenedParty) == IRI.entity("kafr-nabl")


def test_an_unknown_relation_is_a_generic_event_not_a_key_error(extraction):
    assert event_model("smuggledFor") == GENERIC_MODEL
    g = _with_predicate(extraction, "smuggledFor")
    (event,) = g.subjects(RDF.type, CK.Event)
    assert g.value(event, CK.target) == IRI.entity("kafr-nabl")
