"""The ontology parses, documents every term, and has what the mapping and the issue need."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from bench.synthetic import ACTOR_TYPES, PLACE_TYPES
from kg.mapping import ATTRIBUTION_SHORTCUT, EVENT_MODEL, MODALITY, STATEMENT_CLASS
from kg.namespaces import CK, PROV, SEM
from kg.reasoning import ONTOLOGY_FILE, load_ontology

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def g() -> Graph:
    return load_ontology()


def ck_terms(g: Graph) -> set[URIRef]:
    return {t for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(str(CK))}


def test_parses_and_is_the_owl_model(g):
    assert (URIRef("https://w3id.org/conflict-kg/ontology"), RDF.type, OWL.Ontology) in g
    assert len(g) > 400
    assert not list(g.triples((None, None, URIRef("http://www.w3.org/ns/shacl#NodeShape"))))


def test_every_term_has_an_english_label_and_comment(g):
    missing = []
    for term in sorted(ck_terms(g) | {URIRef("https://w3id.org/conflict-kg/ontology")}):
        for prop in (RDFS.label, RDFS.comment):
            values = [v for v in g.objects(term, prop) if isinstance(v, Literal) and v.language == "en"]
            if not values:
                missing.append(f"{term} {prop}")
    assert not missing, missing


def test_every_term_is_declared(g):
    declared = {s for s in g.subjects(RDF.type, None)}
    assert not sorted(ck_terms(g) - declared)


def test_terms_the_mapping_writes_exist(g):
    source = (ROOT / "kg" / "mapping.py").read_text(encoding="utf-8")
    used = {CK[name] for name in re.findall(r"\bCK\.(\w+)", source)}
    used |= {m.event_class for m in EVENT_MODEL.values()} | {m.object_role for m in EVENT_MODEL.values()}
    used |= set(STATEMENT_CLASS.values()) | set(ATTRIBUTION_SHORTCUT.values()) | set(MODALITY.values())
    used |= {CK[name] for name in EVENT_MODEL} | {CK[t] for t in ACTOR_TYPES + PLACE_TYPES}
    declared = {s for s in g.subjects(RDF.type, None)}
    assert not sorted(used - declared)


REQUIRED_CLASSES = """Actor Person Organization ArmedGroup Government MilitaryForce State MediaOutlet Place Country
Region Province City Town Village Facility Event Capture Recapture Attack Airstrike Bombing Shelling Killing
Elimination Invasion Support MilitaryAid Statement Claim Denial Confirmation Appeal Warning Document
Mention""".split()
REQUIRED_PROPERTIES = """agent target place date source captured recaptured backs eliminated capturedBy backedBy
ledBy hasMember alliedWith locatedIn""".split()


def test_required_classes_and_properties(g):
    for name in REQUIRED_CLASSES:
        assert (CK[name], RDF.type, OWL.Class) in g, name
    for name in REQUIRED_PROPERTIES:
        assert set(g.objects(CK[name], RDF.type)) & {OWL.ObjectProperty, OWL.DatatypeProperty}, name


def test_property_axioms(g):
    assert (CK.recaptured, RDFS.subPropertyOf, CK.captured) in g
    assert (CK.captured, RDFS.subPropertyOf, CK.hostileTo) in g
    for inverse, prop in [("capturedBy", "captured"), ("backedBy", "backs"), ("ledBy", "leads"),
                          ("hasMember", "memberOf")]:
        assert (CK[inverse], OWL.inverseOf, CK[prop]) in g
    assert (CK.alliedWith, RDF.type, OWL.SymmetricProperty) in g
    assert (CK.locatedIn, RDF.type, OWL.TransitiveProperty) in g
    assert (CK.captured, RDFS.range, CK.Place) in g
    assert (CK.Person, OWL.disjointWith, CK.Place) in g


def test_chains_derive_every_shortcut_and_never_contain_their_own_property(g):
    chains: dict = {}
    for head, lst in g.subject_objects(OWL.propertyChainAxiom):
        chains.setdefault(head, []).append(list(g.items(lst)))
    for name in EVENT_MODEL:
        assert CK[name] in chains, name
        assert [CK.agentOf, EVENT_MODEL[name].object_role] in chains[CK[name]]
    for head, items in ((h, i) for h, lists in chains.items() for i in lists):
        assert head not in items
        supers = set(g.transitive_objects(head, RDFS.subPropertyOf))
        assert not any(head in set(g.transitive_objects(i, RDFS.subPropertyOf)) for i in items), head
        assert supers


def test_alignment_to_sem_prov_cameo_and_acled(g):
    assert (CK.Event, RDFS.subClassOf, SEM.Event) in g
    assert (CK.Actor, RDFS.subClassOf, SEM.Actor) in g
    assert (CK.Actor, RDFS.subClassOf, PROV.Agent) in g
    assert (CK.Place, RDFS.subClassOf, SEM.Place) in g
    assert (CK.agent, RDFS.subPropertyOf, SEM.hasActor) in g
    cameo = {str(c): str(n) for c, n in g.subject_objects(SKOS.notation)}
    assert cameo[str(CK.MilitaryAid)] == "072" and cameo[str(CK.Elimination)] == "186"
    assert cameo[str(CK.Capture)] == "192" and cameo[str(CK.Denial)] == "016"
    acled = {str(c): str(n) for c, n in g.subject_objects(CK.acledSubEventType)}
    assert acled[str(CK.Airstrike)] == "Air/drone strike"
    assert acled[str(CK.Recapture)] == "Government regains territory"


def test_ontology_file_is_turtle_next_to_the_shapes():
    assert ONTOLOGY_FILE.suffix == ".ttl"
    assert (ONTOLOGY_FILE.parent / "shapes.ttl").exists()


def test_diagram_source_covers_every_class_and_property(g):
    import importlib.util

    spec = importlib.util.spec_from_file_location("ontology_diagram", ROOT / "ontology" / "diagram.py")
    diagram = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(diagram)
    dot = diagram.to_dot(g)
    for name in REQUIRED_CLASSES + REQUIRED_PROPERTIES:
        assert f'"{name}"' in dot, name
    assert "agentOf ∘ capturedPlace" in dot
    assert (ROOT / "ontology" / "ontology.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
