"""The fast reasoner equals owlrl (minus junk), incrementally too, and the acceptance questions hold."""

from __future__ import annotations

import random

import pytest
from conftest import SAMPLE_TEXT, make_extraction
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from bench.synthetic import synthetic_documents, synthetic_extraction
from kg.build import build
from kg.mapping import map_extraction
from kg.namespaces import CK, IRIs
from kg.reasoning import (
    Reasoner,
    Unsupported,
    closure,
    is_junk,
    load_ontology,
    materialize,
    owlrl_closure,
    update_inferences,
)
from kg.store import Store, from_ox, to_ox

IRI = IRIs("http://example.org/kg/")
E = "http://example.org/kg/entity/"


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


def docs_corpus(n: int = 12) -> dict[str, list]:
    """The hand-made sample plus small synthetic documents that share actors and places."""
    out = {"sample": map_extraction(make_extraction(), IRI)}
    for ex in synthetic_documents(n, seed=3, n_actors=12, n_places=10):
        out[ex.document.key] = map_extraction(ex, IRI)
    return out


def located(*pairs: tuple[str, str]) -> list:
    return [(URIRef(E + a), CK.locatedIn, URIRef(E + b)) for a, b in pairs]


def as_rdflib(triples) -> set:
    return {(from_ox(s), from_ox(p), from_ox(o)) for s, p, o in triples}


def as_ox(triples) -> list:
    return [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]


# ------------------------------------------------------------------------------------------ exactness
def test_closure_equals_owlrl_on_corpus(ontology):
    asserted = [t for ts in docs_corpus().values() for t in ts]
    reference = owlrl_closure(ontology, asserted)
    assert len(reference) > 1000
    assert closure(ontology, asserted) == reference


def test_closure_equals_owlrl_on_ontology_alone(ontology):
    assert closure(ontology, []) == owlrl_closure(ontology, [])


SMALL_ONTOLOGY = """
@prefix : <http://example.org/o#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
:Code rdfs:subClassOf skos:Concept ; rdfs:label "code" .
skos:Concept rdfs:subClassOf :Coded .
:family a owl:ObjectProperty ; rdfs:domain :Code ; rdfs:range :Family ; owl:inverseOf :member .
:broader a owl:TransitiveProperty .
:c1 a skos:Concept ; skos:notation "186" ; :family :f ; :broader :c2 ; rdfs:label "one"@en .
:c2 a skos:Concept ; :broader :c3 ; skos:prefLabel "two" .
:c3 a skos:ConceptScheme .
"""


def test_concept_data_is_reasoned_by_the_rules_not_compiled():
    from rdflib import Graph

    from kg.reasoning import compile_rules

    small = Graph().parse(data=SMALL_ONTOLOGY, format="turtle")
    reference = owlrl_closure(small, [])
    c1 = URIRef("http://example.org/o#c1")
    derived = {(c1, RDF.type, URIRef("http://example.org/o#Code")),
               (c1, URIRef("http://example.org/o#broader"), URIRef("http://example.org/o#c3"))}
    assert derived <= reference
    assert closure(small, []) == reference
    # their consequences come from saturating the concept triples, not from owlrl's schema closure
    assert not set(as_ox(derived)) & compile_rules(small).tbox


def test_closure_equals_owlrl_with_transitive_and_symmetric_edges(ontology):
    asserted = located(("a", "b"), ("b", "c"), ("c", "d"), ("d", "a2")) + [
        (URIRef(E + "a"), RDF.type, CK.Village),
        (URIRef(E + "x"), CK.alliedWith, URIRef(E + "y")),
        (URIRef(E + "x"), CK.recaptured, URIRef(E + "a")),
        (URIRef(E + "x"), CK.dateText, Literal("today")),
    ]
    assert closure(ontology, asserted) == owlrl_closure(ontology, asserted)


def test_no_junk_in_inferences(ontology):
    inferred = closure(ontology, docs_corpus(3)["sample"])
    assert not [t for t in inferred if is_junk(t)]


# ------------------------------------------------------------------------------------------ incremental
def test_adding_documents_one_by_one_equals_owlrl(ontology):
    docs = docs_corpus()
    r = Reasoner(ontology)
    for key, triples in docs.items():
        r.add(key, as_ox(triples))
    assert as_rdflib(r.inferred()) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts])


def test_removing_and_replacing_documents_gives_closure_of_remainder(ontology):
    docs = docs_corpus()
    r = Reasoner(ontology)
    for key, triples in docs.items():
        r.add(key, as_ox(triples))
    keys = list(docs)
    for key in keys[1:5]:
        r.remove(key)
        del docs[key]
    replacement = map_extraction(synthetic_extraction(99, random.Random(5), n_actors=12, n_places=10), IRI)
    r.add(keys[6], as_ox(replacement))  # same key, other content: a replaced document
    docs[keys[6]] = replacement
    assert as_rdflib(r.inferred()) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts])


def test_dred_keeps_facts_with_another_derivation(ontology):
    docs = {"d1": located(("a", "b")), "d2": located(("b", "c")), "d3": located(("c", "d")),
            "d4": located(("a", "c")), "d5": located(("b", "c"))}
    r = Reasoner(ontology)
    for key, triples in docs.items():
        r.add(key, as_ox(triples))
    for gone in ("d2", "d5", "d4"):
        r.remove(gone)
        del docs[gone]
        assert as_rdflib(r.inferred()) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts]), gone


def test_changes_report_the_inferred_graph_difference(ontology):
    r = Reasoner(ontology)
    r.add("d1", as_ox(located(("a", "b"))))
    before = set(r.inferred())
    r.begin()
    r.add("d2", as_ox(located(("b", "c"), ("a", "c"))))  # (a locatedIn c) was not inferred yet; now asserted
    r.remove("d1")
    ins, dels = r.changes()
    assert before - set(dels) | set(ins) == set(r.inferred())


# ------------------------------------------------------------------------------------------ the store
def put(store: Store, key: str, triples) -> None:
    store.put_graph(store.iris.document_graph(key), triples)


def inferred_of(store: Store) -> set:
    return set(store.graph_triples(store.iris.inferred_graph))


def test_materialize_writes_only_the_inferred_graph(tmp_path, ontology):
    docs = docs_corpus(6)
    with Store(tmp_path / "kg", base_iri=IRI.base) as store:
        for key, triples in docs.items():
            put(store, key, triples)
        before = {k: set(store.graph_triples(store.iris.document_graph(k))) for k in docs}
        n = materialize(store)
        assert n == store.graph_size(store.iris.inferred_graph) > 0
        assert inferred_of(store) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts])
        assert {k: set(store.graph_triples(store.iris.document_graph(k))) for k in docs} == before
        first = inferred_of(store)
        assert materialize(store) == n  # re-building reaches the same closure
        assert inferred_of(store) == first


def test_update_inferences_matches_full_recompute(tmp_path, ontology):
    docs = docs_corpus(8)
    keys = list(docs)
    with Store(tmp_path / "kg", base_iri=IRI.base) as store:
        for key in keys[:5]:
            put(store, key, docs[key])
        materialize(store)
        for key in keys[5:]:  # add
            put(store, key, docs[key])
        update_inferences(store, keys[5:], [])
        assert inferred_of(store) == owlrl_closure(ontology, [t for k in keys for t in docs[k]])
        store.remove_graph(store.iris.document_graph(keys[2]))  # remove
        replacement = located(("x1", "x2"), ("x2", "x3"))
        put(store, keys[3], replacement)  # replace
        n = update_inferences(store, [keys[3]], [keys[2], keys[3]])
        remaining = [t for k in keys if k not in (keys[2], keys[3]) for t in docs[k]] + replacement
        assert inferred_of(store) == owlrl_closure(ontology, remaining)
        assert n == store.graph_size(store.iris.inferred_graph)


def test_update_inferences_without_live_reasoner_recomputes(tmp_path, ontology):
    docs = docs_corpus(3)
    path = tmp_path / "kg"
    with Store(path, base_iri=IRI.base) as store:
        for key, triples in docs.items():
            put(store, key, triples)
        n = update_inferences(store, list(docs), [])
    with Store(path, base_iri=IRI.base) as store:  # another open: state comes from the store
        assert n == len(inferred_of(store))
        assert inferred_of(store) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts])


# ------------------------------------------------------------------------------------------ acceptance
@pytest.fixture
def seed_store(tmp_path, fake_extractor):
    (tmp_path / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    store = Store(tmp_path / "kg", base_iri=IRI.base)
    build([tmp_path / "sample.txt"], store, fake_extractor)
    materialize(store)
    yield store
    store.close()


def ask(store: Store, query: str) -> bool:
    prologue = f"PREFIX ck: <{CK}>\nPREFIX rdfs: <{RDFS}>\nPREFIX e: <{E}>\n"
    return bool(store.query(prologue + query, use_default_graph_as_union=True))


def test_every_captured_place_is_a_place(seed_store):
    assert ask(seed_store, "ASK { ?e a ck:Capture ; ck:capturedPlace ?p . ?p a ck:Place }")
    assert not ask(seed_store, "ASK { ?e ck:capturedPlace ?p . FILTER NOT EXISTS { ?p a ck:Place } }")
    assert not ask(seed_store, "ASK { ?a ck:captured ?p . FILTER NOT EXISTS { ?p a ck:Place } }")


def test_captured_by_and_backed_by_hold_inverted(seed_store):
    assert ask(seed_store, "ASK { e:kafr-nabl ck:capturedBy e:rebels }")
    assert ask(seed_store, "ASK { e:rebels ck:backedBy e:turkey }")


def test_agents_get_types_from_domains_and_ranges(seed_store):
    assert ask(seed_store, "ASK { e:rebels a ck:Actor . e:turkey a ck:Actor . e:state-media a ck:Actor }")
    assert ask(seed_store, "ASK { e:kafr-nabl a ck:Place , ck:Settlement }")


def test_shortcut_exists_for_each_capture_event(seed_store):
    assert ask(seed_store, "ASK { ?e a ck:Capture }")
    assert not ask(seed_store, """ASK { ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p .
                                        FILTER NOT EXISTS { ?a ck:captured ?p } }""")


def test_inferences_live_in_their_own_graph(seed_store):
    key = seed_store.document_keys()[0]
    doc_graph = seed_store.iris.document_graph(key)
    shortcut = (URIRef(E + "rebels"), CK.captured, URIRef(E + "kafr-nabl"))
    assert shortcut in inferred_of(seed_store)
    assert shortcut not in set(seed_store.graph_triples(doc_graph))


def test_adding_to_a_store_without_live_reasoner_uses_the_store(tmp_path, ontology, monkeypatch):
    docs = docs_corpus(10)
    keys = list(docs)
    path = tmp_path / "kg"
    with Store(path, base_iri=IRI.base) as store:
        for key in keys[:6]:
            put(store, key, docs[key])
        materialize(store)
    import kg.reasoning

    kg.reasoning._LIVE.clear()  # a new process: no reasoner in memory
    monkeypatch.setattr(kg.reasoning, "materialize", lambda store: pytest.fail("recomputed the closure"))
    with Store(path, base_iri=IRI.base) as store:
        for key in keys[6:]:
            put(store, key, docs[key])
        put(store, "dup", located(("a", "b"), ("b", "c")))
        put(store, "dup2", located(("a", "c"), ("c", "d")))  # (a locatedIn c) was inferred, now asserted
        update_inferences(store, keys[6:] + ["dup"], [])
        update_inferences(store, ["dup2"], [])
        everything = [t for ts in docs.values() for t in ts] + located(("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"))
        assert inferred_of(store) == owlrl_closure(ontology, everything)


def test_data_needing_unsupported_rules_falls_back_to_owlrl(tmp_path, ontology):
    from rdflib.namespace import OWL

    triples = docs_corpus(1)["sample"] + [(URIRef(E + "rebels"), OWL.sameAs, URIRef(E + "the-rebels"))]
    with pytest.raises(Unsupported):
        closure(ontology, triples)
    with Store(tmp_path / "kg", base_iri=IRI.base) as store:
        put(store, "sample", triples)
        materialize(store)
        assert inferred_of(store) == owlrl_closure(ontology, triples)


def test_batched_reasoning_against_the_store_equals_owlrl(tmp_path, ontology, monkeypatch):
    """Past IN_MEMORY_MAX documents no closure is held: every recompute and addition goes in batches against
    the store. Chains of edges and the same triple asserted in documents of different batches cross them."""
    import kg.reasoning as reasoning

    monkeypatch.setattr(reasoning, "IN_MEMORY_MAX", 2)
    monkeypatch.setattr(reasoning, "_BATCH", 2)
    docs = docs_corpus(5)
    docs.update({"e1": located(("a", "b")), "e2": located(("b", "c")), "e3": located(("c", "d"), ("a", "b")),
                 "e4": located(("a", "b"))})
    keys = list(docs)
    with Store(tmp_path / "kg", base_iri=IRI.base) as store:
        for key in keys[:7]:
            put(store, key, docs[key])
        materialize(store)
        assert not reasoning._LIVE  # nothing kept in memory
        assert inferred_of(store) == owlrl_closure(ontology, [t for k in keys[:7] for t in docs[k]])
        for key in keys[7:]:
            put(store, key, docs[key])
        update_inferences(store, keys[7:], [])
        assert inferred_of(store) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts])
        for gone in ("e1", "e3"):
            store.remove_graph(store.iris.document_graph(gone))
            del docs[gone]
        update_inferences(store, [], ["e1", "e3"])
        assert inferred_of(store) == owlrl_closure(ontology, [t for ts in docs.values() for t in ts])
