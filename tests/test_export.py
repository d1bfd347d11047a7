"""kg.export: every RDF format round-trips to the store's graphs; JSON-LD uses the published context; VoID."""

from __future__ import annotations

import io
import json
import zipfile

import pyoxigraph as ox
import pytest
from conftest import SAMPLE_TEXT, build_sample_store, isomorphic, make_extraction
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF

from kg.build import reason
from kg.cli import EXPORT_FORMATS
from kg.cli import main as cli_main
from kg.control import derived_graph
from kg.errors import KGError
from kg.export import (
    CONTEXT_FILE,
    EXPORTERS,
    VOID,
    ExportError,
    export,
    jsonld_context,
    selected_graphs,
    union_triples,
    void_graph,
)
from kg.mapping import map_extraction
from kg.namespaces import CK
from kg.store import Store

RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "xml": "xml", "jsonld": "json-ld"}
DATASET_FORMAT = {"nquads": "nquads", "trig": "trig"}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A store with two documents that share entities (so graphs overlap), reasoned."""
    path = build_sample_store(tmp_path_factory.mktemp("export"))
    with Store(path) as store:
        other = make_extraction(SAMPLE_TEXT + " Fighting went on.", "other")
        store.put_graph(store.iris.document_graph(other.document.key), map_extraction(other, store.iris))
        reason(store)
    return path


@pytest.fixture(scope="module")
def store(store_path):
    s = Store(store_path, read_only=True)
    yield s
    s.close()


def run_export(store: Store, fmt: str, graphs: str = "all") -> bytes:
    out = io.BytesIO()
    export(store, fmt, out, graphs=graphs)
    return out.getvalue()


def expected_union(store: Store, graphs: str) -> Graph:
    g = Graph()
    for gi in selected_graphs(store, graphs):
        for t in store.graph_triples(URIRef(gi.value)):
            g.add(t)
    return g


def test_registry_covers_cli_formats():
    assert set(EXPORT_FORMATS) <= set(EXPORTERS)
    for e in EXPORTERS.values():
        assert "/" in e.media_type and e.extension


def test_graph_selection(store):
    iris = store.iris
    asserted = {g.value for g in selected_graphs(store, "asserted")}
    assert len(asserted) == 2 and all(iris.is_document_graph(g) for g in asserted)
    assert [g.value for g in selected_graphs(store, "inferred")] == [str(iris.inferred_graph)]
    assert {g.value for g in selected_graphs(store, "all")} == asserted | {str(iris.inferred_graph),
                                                                           str(iris.ontology_graph),
                                                                           derived_graph(iris)}
    with pytest.raises(ExportError):
        selected_graphs(store, "everything")


def test_unknown_format_is_a_kg_error(store):
    with pytest.raises(KGError, match="unknown export format"):
        run_export(store, "csv")


@pytest.mark.parametrize("graphs", ["asserted", "inferred", "all"])
@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMAT))
def test_triple_formats_round_trip(store, fmt, graphs):
    data = run_export(store, fmt, graphs)
    parsed = Graph()
    parsed.parse(data=data, format=RDFLIB_FORMAT[fmt])
    expected = expected_union(store, graphs)
    assert len(parsed) == len(expected) > 0
    assert isomorphic(parsed, expected)


@pytest.mark.parametrize("graphs", ["asserted", "inferred", "all"])
@pytest.mark.parametrize("fmt", sorted(DATASET_FORMAT))
def test_dataset_formats_round_trip_with_named_graphs(store, fmt, graphs):
    data = run_export(store, fmt, graphs)
    ds = Dataset()
    ds.parse(data=data, format=DATASET_FORMAT[fmt])
    chosen = selected_graphs(store, graphs)
    got = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert got == {g.value for g in chosen}
    for gi in chosen:
        assert isomorphic(ds.graph(URIRef(gi.value)), store.graph(URIRef(gi.value))), gi


def test_ntriples_union_has_no_duplicates(store):
    # the two document graphs share entity triples (labels, types): written once
    lines = [line for line in run_export(store, "ntriples", "asserted").decode().splitlines() if line.strip()]
    assert len(lines) == len(set(lines)) == len(expected_union(store, "asserted"))
    quads = list(store.quads())
    per_graph = sum(1 for q in quads if store.iris.is_document_graph(q.graph_name.value))
    assert per_graph > len(lines)  # so there really were duplicates to drop


def test_union_triples_is_lazy(store):
    it = union_triples(store, "all")
    first = next(it)
    assert isinstance(first, ox.Triple)


def test_pyoxigraph_reads_every_rdf_export(store):
    for fmt, oxfmt in [("turtle", ox.RdfFormat.TURTLE), ("nquads", ox.RdfFormat.N_QUADS),
                       ("trig", ox.RdfFormat.TRIG), ("xml", ox.RdfFormat.RDF_XML),
                       ("jsonld", ox.RdfFormat.JSON_LD)]:
        n = sum(1 for _ in ox.parse(run_export(store, fmt, "asserted"), format=oxfmt))
        assert n > 0, fmt


def test_turtle_uses_prefixes(store):
    text = run_export(store, "turtle", "asserted").decode()
    assert "@prefix ck: <https://w3id.org/conflict-kg/ontology#>" in text
    assert "entity:kafr-nabl" in text


def test_jsonld_is_compact_with_published_context(store):
    doc = json.loads(run_export(store, "jsonld", "asserted"))
    published = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    ctx = doc["@context"]
    assert {k: v for k, v in ctx.items() if k != "@base"} == published
    assert ctx["@base"] == store.iris.base
    nodes = {n["@id"]: n for n in doc["@graph"] if "captured" in n or "capturedPlace" in n}
    assert any(n.get("capturedPlace") == "entity/kafr-nabl" for n in nodes.values())
    labels = [n["label"] for n in doc["@graph"] if n.get("@id") == "entity/kafr-nabl" and "label" in n]
    assert labels and labels[0] == "Kafr Nabl"
    types = [n["@type"] for n in doc["@graph"] if n.get("@id") == "entity/kafr-nabl" and "@type" in n]
    assert "ck:Town" in types


def test_context_file_parses_without_network():
    # a dict context: rdflib never fetches it
    data = {"@context": jsonld_context("http://example.org/"), "@id": "entity/a", "captured": "entity/b",
            "lat": "36.5", "label": "A", "@type": "ck:ArmedGroup"}
    g = Graph().parse(data=json.dumps(data), format="json-ld")
    a, b = URIRef("http://example.org/entity/a"), URIRef("http://example.org/entity/b")
    assert (a, CK.captured, b) in g
    assert (a, RDF.type, CK.ArmedGroup) in g
    assert any(str(o) == "36.5" for o in g.objects(a, URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat")))


def test_void_description(store):
    g = void_graph(store)
    ds = store.iris.dataset
    assert (ds, RDF.type, VOID.Dataset) in g
    assert int(g.value(ds, VOID.triples)) == len(store)
    assert int(g.value(ds, VOID.entities)) == 4
    assert int(g.value(ds, VOID.documents)) == 2
    assert (ds, VOID.sparqlEndpoint, URIRef(store.iris.base + "sparql")) in g
    vocabularies = {str(v) for v in g.objects(ds, VOID.vocabulary)}
    assert {str(CK), "http://groundedannotationframework.org/gaf#"} <= vocabularies
    dumps = {str(v) for v in g.objects(ds, VOID.dataDump)}
    assert f"{store.iris.base}dataset?format=nquads" in dumps
    assert any(str(e).startswith(store.iris.base + "entity/") for e in g.objects(ds, VOID.exampleResource))
    parts = {g.value(p, VOID.property): int(g.value(p, VOID.triples)) for p in g.objects(ds, VOID.propertyPartition)}
    assert parts[CK.captured] >= 1
    assert int(g.value(ds, VOID.properties)) == len(parts)


def test_void_export_is_turtle(store):
    g = Graph().parse(data=run_export(store, "void"), format="turtle")
    assert (store.iris.dataset, RDF.type, VOID.Dataset) in g
    assert isinstance(g.value(store.iris.dataset, VOID.triples), Literal)


def test_neo4j_export_is_a_zip_with_the_csv_pair(store):
    with zipfile.ZipFile(io.BytesIO(run_export(store, "neo4j"))) as z:
        assert set(z.namelist()) == {"nodes.csv", "relationships.csv", "README.txt"}
        assert z.read("nodes.csv").decode().startswith("id:ID,")
        assert z.read("relationships.csv").decode().startswith(":START_ID,:END_ID,:TYPE,")
        assert "neo4j-admin database import full" in z.read("README.txt").decode()


def test_cli_export_to_file_and_stdout(store_path, tmp_path, capsysbinary):
    out = tmp_path / "kg.nq"
    assert cli_main(["export", "--format", "nquads", "-o", str(out), "--graphs", "asserted",
                     "--store", str(store_path)]) == 0
    assert sum(1 for _ in ox.parse(out.read_bytes(), format=ox.RdfFormat.N_QUADS)) > 0
    capsysbinary.readouterr()
    assert cli_main(["export", "-f", "ntriples", "-o", "-", "--graphs", "inferred", "--store", str(store_path)]) == 0
    printed = capsysbinary.readouterr().out
    assert sum(1 for _ in ox.parse(printed, format=ox.RdfFormat.N_TRIPLES)) > 0


@pytest.mark.parametrize("graphs", ["asserted", "all"])
def test_union_orders_agree(store, graphs):
    grouped = list(union_triples(store, graphs, grouped=True))
    by_index = list(union_triples(store, graphs, grouped=False))
    assert len(grouped) == len(set(grouped)) == len(by_index) == len(set(by_index))
    assert set(grouped) == set(by_index)
    # grouped: each subject's triples are contiguous within a graph, so subjects change rarely
    changes = sum(1 for a, b in zip(grouped, grouped[1:], strict=False) if a.subject != b.subject)
    assert changes < len({t.subject for t in grouped}) * len(selected_graphs(store, graphs))


def test_jsonld_with_a_path_base(tmp_path):
    with Store(tmp_path / "s", base_iri="https://example.org/data/kg/") as s:
        ex = make_extraction()
        s.put_graph(s.iris.document_graph(ex.document.key), map_extraction(ex, s.iris))
        data = run_export(s, "jsonld", "asserted")
        expected = expected_union(s, "asserted")
    doc = json.loads(data)
    assert doc["@context"]["@base"] == "https://example.org/data/kg/"
    assert any(n["@id"] == "entity/kafr-nabl" for n in doc["@graph"])
    assert isomorphic(Graph().parse(data=data, format="json-ld"), expected)
