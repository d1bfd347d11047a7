"""The default graph is a set: each distinct triple is held by one graph, so a query without GRAPH matches it
once, however many documents state it; removals, replacements and incremental builds keep that exact."""

from __future__ import annotations

import dataclasses
import random

import pyoxigraph as ox
import pytest
from conftest import isomorphic
from rdflib import Graph

from bench.synthetic import synthetic_extraction
from kg.build import build, remove_document
from kg.layout import ENTITY_FACTS, document_statements
from kg.mapping import map_extraction
from kg.records import Document, Extraction
from kg.store import Store
from kg.store.terms import from_ox, triples_to_quads

N_DOCS = 10


def extraction(i: int) -> Extraction:
    """Document i: few actors and places, so documents share entities, and an alias only some of them state
    (what a removal must move or drop)."""
    ex = synthetic_extraction(i, random.Random(i), n_actors=6, n_places=4, relations=5)
    entities = {k: dataclasses.replace(e, aliases=e.aliases | {f"{e.label} (variant {i % 3})"})
                for k, e in ex.entities.items()}
    return Extraction(ex.document, entities, ex.relations)


class SyntheticExtractor:
    """Each document file holds the text of one synthetic extraction; the extractor gives that extraction."""

    def __init__(self):
        self.by_text = {extraction(i).document.text: i for i in range(N_DOCS)}

    def pipe(self, docs, n_process=1, batch_size=64):
        for d in docs:
            ex = extraction(self.by_text[d.text])
            yield Extraction(d, ex.entities, ex.relations)


def write_docs(folder, indices) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in indices:
        p = folder / f"doc{i:02d}.txt"
        p.write_text(extraction(i).document.text, encoding="utf-8")
        paths.append(p)
    return paths


def count(store: Store, distinct: bool) -> int:
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ {'SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }' if distinct else ''} " \
        f"{'' if distinct else '?s ?p ?o'} }}"
    return int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)


def union(store: Store) -> Graph:
    g = Graph()
    for q in store.quads():
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    return g


def assert_a_set(store: Store) -> None:
    assert count(store, distinct=False) == count(store, distinct=True)
    assert count(store, distinct=False) == len(store)


def stated(store: Store, paths) -> set:
    """What the documents at ``paths`` state, mapped afresh: the union their graphs must hold."""
    ex = SyntheticExtractor()
    mem = ox.Store()  # canonicalises literals ("0.80"^^xsd:decimal → "0.8") as the store does
    for p in paths:
        doc = Document(id=p.stem, text=p.read_text(encoding="utf-8"), path=str(p))
        mem.extend(triples_to_quads(map_extraction(next(ex.pipe([doc])), store.iris), ox.DefaultGraph()))
    return {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in mem}


def document_union(store: Store) -> set:
    prefix = store.iris.document_graph_prefix
    return {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in store.quads()
            if q.graph_name.value.startswith(prefix) and q.predicate != ENTITY_FACTS}


@pytest.fixture
def corpus(tmp_path):
    return write_docs(tmp_path / "corpus", range(N_DOCS))


def test_documents_sharing_entities_give_each_triple_once(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        report = build(corpus, store, SyntheticExtractor())
        assert len(report.ingested) == N_DOCS and report.reasoned
        assert_a_set(store)
        # the document graphs hold exactly the RDF merge of what the documents state
        assert document_union(store) == stated(store, corpus)
        # and each document still knows everything it states
        key = store.document_keys()[-1]
        assert len(document_statements(store, key)) > store.graph_size(store.iris.document_graph(key)) - 1
        labels = store.query('SELECT ?e WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> "Actor 1" }',
                             use_default_graph_as_union=True)
        assert len(list(labels)) == 1


@pytest.mark.parametrize("removed", [[0], [0, 1, 5], [N_DOCS - 1]])
def test_removal_equals_a_fresh_build_of_the_rest(tmp_path, corpus, removed):
    with Store(tmp_path / "store") as store:
        build(corpus, store, SyntheticExtractor())  # the reasoner stays alive: the removal is incremental
        for i in removed:
            remove_document(store, str(corpus[i]))
        assert_a_set(store)
        after = union(store)
        inferred_after = set(store.graph_triples(store.iris.inferred_graph))
    rest = [p for i, p in enumerate(corpus) if i not in removed]
    with Store(tmp_path / "fresh") as fresh:
        build(rest, fresh, SyntheticExtractor())
        assert isomorphic(after, union(fresh))
        assert inferred_after == set(fresh.graph_triples(fresh.iris.inferred_graph))
        assert document_union(fresh) == stated(fresh, rest)


def test_removal_in_a_new_process_equals_a_fresh_build(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        build(corpus, store, SyntheticExtractor())
    with Store(tmp_path / "store") as store:  # no live reasoner: the inferred graph is recomputed
        remove_document(store, str(corpus[0]))
        assert_a_set(store)
        after = union(store)
    with Store(tmp_path / "fresh") as fresh:
        build(corpus[1:], fresh, SyntheticExtractor())
        assert isomorphic(after, union(fresh))


def test_incremental_builds_equal_one_build(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        for i in range(0, N_DOCS, 3):
            build(corpus[i:i + 3], store, SyntheticExtractor())
            assert_a_set(store)
        after = union(store)
    with Store(tmp_path / "fresh") as fresh:
        build(corpus, fresh, SyntheticExtractor())
        assert isomorphic(after, union(fresh))


def test_a_replaced_holder_hands_its_triples_over(tmp_path, corpus):
    """The same URL with a new text: what only the old version stated goes, what others state stays."""
    with Store(tmp_path / "store") as store:
        old = Document(id="u", text=extraction(0).document.text, url="https://news.example/a")
        new = Document(id="u", text=extraction(1).document.text, url="https://news.example/a")
        jsonl = tmp_path / "a.jsonl"
        import json

        def write(doc: Document) -> None:
            jsonl.write_text(json.dumps({"id": doc.id, "text": doc.text, "url": doc.url}) + "\n", encoding="utf-8")

        write(old)
        build([jsonl], store, SyntheticExtractor())
        build(corpus[2:], store, SyntheticExtractor())
        write(new)
        report = build([jsonl], store, SyntheticExtractor())
        assert report.replaced
        assert_a_set(store)
        after = union(store)
    with Store(tmp_path / "fresh") as fresh:
        build(corpus[2:], fresh, SyntheticExtractor())
        build([jsonl], fresh, SyntheticExtractor())
        assert isomorphic(after, union(fresh))


@pytest.mark.slow
def test_the_remote_store_keeps_the_same_set(tmp_path, corpus, virtuoso, monkeypatch):
    """Through SPARQL and the Graph Store Protocol on Virtuoso: the same triples, each once, after a removal."""
    import uuid

    monkeypatch.setenv("KG_STATE_DIR", str(tmp_path / "notes"))
    base = f"http://kg-set-{uuid.uuid4().hex[:8]}.example/"
    with Store(tmp_path / "embedded", base_iri=base) as embedded:
        build(corpus, embedded, SyntheticExtractor())
        remove_document(embedded, str(corpus[0]))
        expected = union(embedded)
    with Store(virtuoso.store_url, base_iri=base) as remote:
        build(corpus, remote, SyntheticExtractor())
        remove_document(remote, str(corpus[0]))
        ours = f"FILTER(STRSTARTS(STR(?g), \"{base}\"))"
        rows = remote.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {ours} }}")
        distinct = remote.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE "
                                f"{{ GRAPH ?g {{ ?s ?p ?o }} {ours} }} }}")
        assert int(next(iter(rows))["n"].value) == int(next(iter(distinct))["n"].value)
        got = Graph()
        for g in list(remote.graphs()):
            if g.value.startswith(base):
                for t in remote.graph_triples(g):
                    got.add(t)
        assert isomorphic(got, expected)


def test_graph_tools_still_take_what_most_documents_call_an_entity(tmp_path):
    """The store holds 'rebels a ck:Person' once whatever number of documents state it: the actor graph's
    vote over documents comes from their records."""
    from conftest import SAMPLE_TEXT, make_extraction

    from kg.graphtools import to_networkx

    texts = [f"{SAMPLE_TEXT} Report {i}." for i in range(3)]

    class Voting:
        def pipe(self, docs, n_process=1, batch_size=64):
            for d in docs:
                ex = make_extraction(d.text, d.id)
                typ = "ArmedGroup" if d.text == texts[0] else "Person"
                entities = dict(ex.entities, rebels=dataclasses.replace(ex.entities["rebels"], type=typ))
                yield Extraction(d, entities, ex.relations)

    paths = []
    for i, text in enumerate(texts):
        (tmp_path / f"d{i}.txt").write_text(text, encoding="utf-8")
        paths.append(tmp_path / f"d{i}.txt")
    with Store(tmp_path / "store") as store:
        build(paths, store, Voting())
        assert_a_set(store)
        g = to_networkx(store)
    rebels = str(store.iris.entity("rebels"))
    assert g.nodes[rebels]["type"] == "Person"  # two documents against one, not the alphabetical first
