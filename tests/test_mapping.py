"""map: extraction records in → RDF triples out (no store, no spaCy)."""

from __future__ import annotations

from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg.mapping import EVENT_MODEL, map_extraction
from kg.namespaces import CK, GAF, NIF, IRIs
from kg.reasoning import load_ontology
from kg.records import Relation

IRI = IRIs("http://example.org/kg/")


def graph_of(extraction) -> Graph:
    g = Graph()
    for t in map_extraction(extraction, IRI):
        g.add(t)
    return g


def test_same_input_gives_same_iris(extraction):
    assert set(map_extraction(extraction, IRI)) == set(map_extraction(extraction, IRI))


def test_base_iri_is_respected(extraction):
    subjects = {str(s) for s, _, _ in map_extraction(extraction, IRI)}
    assert all(s.startswith("http://example.org/kg/") for s in subjects)


def test_event_is_an_nary_node_with_roles(extraction):
    g = graph_of(extraction)
    (event,) = g.subjects(RDF.type, CK.Capture)
    assert g.value(event, CK.agent) == IRI.entity("rebels")
    assert g.value(event, CK.capturedPlace) == IRI.entity("kafr-nabl")
    assert g.value(event, CK.date) == Literal("2024-12-02", datatype=XSD.date)
    assert g.value(event, CK.source) == IRI.document(extraction.document.key)
    assert "captured" in str(g.value(event, CK.sentence))


def test_binary_shortcut_is_not_asserted(extraction):
    # shortcuts are the reasoner's job (property chains), so they stay out of document graphs
    g = graph_of(extraction)
    assert not list(g.triples((None, CK.captured, None)))


def test_provenance_offsets_point_into_the_text(extraction):
    g = graph_of(extraction)
    (event,) = g.subjects(RDF.type, CK.Capture)
    mention = g.value(event, GAF.denotedBy)
    begin, end = int(g.value(mention, NIF.beginIndex)), int(g.value(mention, NIF.endIndex))
    assert extraction.document.text[begin:end] == str(g.value(mention, NIF.anchorOf)) == "captured"


def test_attribution_becomes_statements_and_shortcuts(extraction):
    g = graph_of(extraction)
    (event,) = g.subjects(RDF.type, CK.Capture)
    assert g.value(event, CK.claimedBy) == IRI.entity("rebels")
    assert g.value(event, CK.deniedBy) == IRI.entity("state-media")
    (denial,) = g.subjects(RDF.type, CK.Denial)
    assert g.value(denial, CK.about) == event


def test_non_asserted_relation_uses_only_the_generic_role(extraction):
    rel = extraction.relations[0]
    extraction.relations = [Relation(rel.subject, rel.predicate, rel.object, rel.sentence, rel.trigger,
                                     modality="hypothetical")]
    g = graph_of(extraction)
    (event,) = g.subjects(RDF.type, CK.Capture)
    assert g.value(event, CK.modality) == CK.Hypothetical
    assert g.value(event, CK.capturedPlace) is None
    assert g.value(event, CK.target) == IRI.entity("kafr-nabl")


def test_entities_carry_labels_aliases_and_geonames(extraction):
    g = graph_of(extraction)
    turkey = IRI.entity("turkey")
    assert (turkey, RDF.type, CK.Country) in g
    assert g.value(turkey, SKOS.exactMatch).startswith("https://sws.geonames.org/298795")
    assert (IRI.entity("rebels"), SKOS.altLabel, Literal("the rebels")) in g
    assert g.value(IRI.entity("rebels"), RDFS.label) == Literal("Rebels")


def test_every_term_written_is_declared_in_the_ontology(extraction):
    ontology = load_ontology()
    declared = set(ontology.subjects())
    used = set()
    for _s, p, o in map_extraction(extraction, IRI):
        used.add(p)
        if p == RDF.type:
            used.add(o)
    ours = {t for t in used if str(t).startswith(str(CK))}
    assert ours <= declared, ours - declared
    for model in EVENT_MODEL.values():
        assert model.event_class in declared and model.object_role in declared


def test_base_iri_with_fragment_still_gives_valid_mention_iris():
    iris = IRIs("http://example.org/kg#")
    assert str(iris.mention("abc", 1, 2)).count("#") == 1
    assert str(iris.entity("x")) == "http://example.org/kg/entity/x"
