"""map: extraction records in → RDF triples out (no store, no spaCy)."""

from __future__ import annotations

from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg.mapping import EVENT_MODEL, map_extraction
from kg.namespaces import CK, GAF, NIF, IRIs
from kg.reasoning import load_ontology
from kg.records import Document, Entity, Event, Extraction, PloverCoding, Relation

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


# ---------------------------------------------------------------- PLOVER events
PLOVER_TEXT = ("Iran threatened Israel. Police arrested two journalists. Armenia and Azerbaijan agreed. "
               "Hungary may sanction Russia.")
MODE = "https://w3id.org/conflict-kg/plover/mode/"
CAMEO = "https://w3id.org/conflict-kg/cameo/"


def plover_extraction() -> Extraction:
    from conftest import span_of

    text = PLOVER_TEXT
    doc = Document(id="p", text=text, path="p.txt")
    names = {"iran": ("Iran", "Country"), "israel": ("Israel", "Country"), "police": ("Police", "Government"),
             "journalists": ("journalists", "Person"), "armenia": ("Armenia", "Country"),
             "azerbaijan": ("Azerbaijan", "Country"), "hungary": ("Hungary", "Country"),
             "russia": ("Russia", "Country")}
    entities = {k: Entity(k, label, etype, set(), [span_of(text, label)]) for k, (label, etype) in names.items()}

    def event(sentence: str, trigger: str, coding: PloverCoding, predicate: str, sources: list[str],
              targets: list[str], **kw) -> Event:
        return Event(coding, predicate, sources, targets, span_of(text, sentence), span_of(text, trigger),
                     joint=coding.type in ("AGREE", "CONSULT", "COOPERATE", "FIGHT"), **kw)

    events = [
        event("Iran threatened Israel.", "threatened", PloverCoding("THREATEN", "violence", ("military",), "138"),
              "threatened", ["iran"], ["israel"]),
        event("Police arrested two journalists.", "arrested", PloverCoding("COERCE", "arrest", ("legal",), "173"),
              "arrested", ["police"], ["journalists"]),
        event("Armenia and Azerbaijan agreed.", "agreed", PloverCoding("AGREE", "", ("diplomatic",), "030"),
              "agreedWith", ["armenia", "azerbaijan"], []),
        event("Hungary may sanction Russia.", "sanction", PloverCoding("SANCTION", "sever", (), "163"),
              "sanctioned", ["hungary"], ["russia"], modality="hypothetical"),
    ]
    return Extraction(doc, entities, [], events)


def node(g: Graph, cls) -> object:
    (event,) = g.subjects(RDF.type, cls)
    return event


def test_plover_event_is_typed_and_coded_with_the_ontology_concepts():
    g = graph_of(plover_extraction())
    threat = node(g, CK.Threaten)
    assert g.value(threat, CK.agent) == IRI.entity("iran")
    assert g.value(threat, CK.threatenedParty) == IRI.entity("israel")
    assert str(g.value(threat, CK.ploverMode)) == MODE + "THREATEN.violence"
    assert str(g.value(threat, CK.cameoCode)) == CAMEO + "138"
    assert str(g.value(threat, CK.ploverContext)).endswith("/context/military")
    # a mode with its own role: the detainee of an arrest
    assert g.value(node(g, CK.Coerce), CK.detainee) == IRI.entity("journalists")
    declared = set(load_ontology().subjects())
    used = {t for _s, p, o in g for t in ((p, o) if p in (RDF.type, CK.ploverMode, CK.cameoCode, CK.ploverContext)
                                          else (p,))}
    assert {t for t in used if str(t).startswith(("https://w3id.org/conflict-kg/", str(CK)))} <= declared


def test_joint_event_has_the_first_party_as_agent_and_the_others_in_its_role():
    g = graph_of(plover_extraction())
    agreement = node(g, CK.Agree)
    assert list(g.objects(agreement, CK.agent)) == [IRI.entity("armenia")]
    assert list(g.objects(agreement, CK.agreementPartner)) == [IRI.entity("azerbaijan")]


def test_non_asserted_plover_event_has_only_the_generic_role():
    g = graph_of(plover_extraction())
    sanction = node(g, CK.Sanction)
    assert g.value(sanction, CK.modality) == CK.Hypothetical
    assert g.value(sanction, CK.sanctionedParty) is None and g.value(sanction, CK.target) == IRI.entity("russia")


def test_plover_shortcuts_are_derived_and_the_shapes_hold():
    from kg.reasoning import closure
    from kg.validate import validate_graph

    ontology = load_ontology()
    asserted = map_extraction(plover_extraction(), IRI)
    inferred = closure(ontology, asserted)

    def has(s, p, o):
        return (IRI.entity(s), p, IRI.entity(o)) in inferred

    assert has("iran", CK.threatened, "israel") and has("police", CK.arrested, "journalists")
    assert has("armenia", CK.agreedWith, "azerbaijan") and has("azerbaijan", CK.agreedWith, "armenia")
    assert not has("hungary", CK.sanctioned, "russia")  # only "may": nothing is derived
    data = Graph()
    for t in list(asserted) + list(inferred):
        data.add(t)
    report = validate_graph(data, ontology)
    assert report.ok, report.format()


def test_relation_of_a_family_gains_its_plover_class_and_coding(extraction):
    from conftest import span_of

    text = extraction.document.text
    extraction.relations[0].plover = PloverCoding("FIGHT", "occupy", ("military",), "192")
    extraction.relations[1].plover = PloverCoding("AID", "military", ("military",), "072")
    extraction.relations.append(Relation("rebels", "attacked", "kafr-nabl", extraction.relations[0].sentence,
                                         span_of(text, "captured"), plover=PloverCoding("FIGHT", "", (), "190")))
    g = graph_of(extraction)
    capture = node(g, CK.Capture)
    assert (capture, RDF.type, CK.Fight) in g and str(g.value(capture, CK.ploverMode)) == MODE + "FIGHT.occupy"
    attack = node(g, CK.Attack)
    assert (attack, RDF.type, CK.Fight) in g  # an attack coded FIGHT; one coded ASSAULT would not be
    backing = node(g, CK.Support)
    assert (backing, RDF.type, CK.Aid) in g and (backing, RDF.type, CK.DiplomaticSupport) not in g
    assert g.value(backing, CK.beneficiary) == g.value(backing, CK.aidRecipient) == IRI.entity("rebels")
