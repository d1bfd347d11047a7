"""The remote store against a real Virtuoso: the same dataset as the embedded store, literal by literal,
document by document; paging past the server's row limit; all-or-nothing graph writes; one-line errors."""

from __future__ import annotations

import json
import pickle
import uuid
from decimal import Decimal

import httpx
import pytest
from conftest import VIRTUOSO_MAX_ROWS

from kg.build import build
from kg.cli import main
from kg.errors import StoreError
from kg.store import Store
from kg.store.terms import CanonicalizationAlgorithm, Dataset, Literal, NamedNode, RdfFormat, parse
from kg.store.testing import LocalVirtuoso

pytestmark = pytest.mark.slow

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(autouse=True)
def _notes_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_STATE_DIR", str(tmp_path / "notes"))  # a remote store's notes stay on this machine


@pytest.fixture
def base_iri() -> str:
    """Each test writes its own knowledge graph (graphs under its own base IRI) into the shared server."""
    return f"http://kg-test-{uuid.uuid4().hex[:8]}.example/"


@pytest.fixture
def remote(virtuoso: LocalVirtuoso, base_iri: str):
    with Store(virtuoso.store_url, base_iri=base_iri) as store:
        yield store


@pytest.fixture(params=["graph store", "SPARQL Update only"])
def any_remote(request, virtuoso: LocalVirtuoso, base_iri: str):
    """The remote store writing through the Graph Store Protocol, and through SPARQL Update alone."""
    options = "" if request.param == "graph store" else "#graph-store=none"
    with Store(virtuoso.store_url + options, base_iri=base_iri) as store:
        yield store


def canonical_nquads(data: bytes) -> set[str]:
    ds = Dataset(parse(data, format=RdfFormat.N_QUADS))
    ds.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in ds}


def lit(value: str, datatype: str | None = None, language: str | None = None) -> Literal:
    if language:
        return Literal(value, language=language)
    return Literal(value, datatype=NamedNode(XSD + datatype)) if datatype else Literal(value)


# Every kind of literal the graph holds, with the edge cases of each (Virtuoso stores numbers, dates and
# booleans as values and prints them back its own way).
LITERALS = [
    lit("plain"), lit('quotes " and \\ backslash\nnew line\ttab'), lit("é 日本 \U0001F600 non-BMP"),
    lit("x" * 100_000 + " a long document text"), lit(""), lit("  spaced  "), lit("s", "string"),
    lit("Damascus", language="en"), lit("Damas", language="fr"),
    lit("42", "integer"), lit("0", "integer"), lit("-7", "integer"), lit("2147483647", "integer"),
    lit("0.8", "decimal"), lit("0.75", "decimal"), lit("36.29128", "decimal"), lit("-12.5", "decimal"),
    lit("36", "decimal"), lit("0", "decimal"), lit("1", "decimal"),
    lit("2024-12-03", "date"), lit("2024", "gYear"), lit("2018-01", "gYearMonth"),
    lit("true", "boolean"), lit("false", "boolean"),
    lit("Q123"), lit("custom", None),
]


def test_every_literal_the_graph_holds_round_trips_through_virtuoso(tmp_path, any_remote):
    remote = any_remote
    g = NamedNode(f"{remote.iris.base}graph/doc/literals")
    s = NamedNode(f"{remote.iris.base}entity/x%20y")
    triples = [(s, NamedNode(f"{remote.iris.base}p{i}"), o) for i, o in enumerate(LITERALS)]
    triples.append((NamedNode(f"{remote.iris.base}entity/a"), NamedNode(f"{remote.iris.base}q"), s))
    with Store(tmp_path / "local") as local:  # the embedded store is the reference (it canonicalises too)
        local.put_graph(g, triples)
        expected = {str(q) for q in local.quads(None, None, None, g)}
    remote.put_graph(g, triples)
    assert {str(q) for q in remote.quads(None, None, None, g)} == expected  # read by pages of SELECT
    by_predicate = set()
    for _s, p, _o in triples:
        by_predicate |= {str(q) for q in remote.quads(None, p, None, None)}
    assert by_predicate == expected
    rows = remote.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
    assert {f"{r['s']} {r['p']} {r['o']} {g}" for r in rows} == expected  # a SELECT answer cut by the server
    assert remote.graph_size(g) == len(triples)


def test_blank_nodes_and_the_ontology_graph(any_remote):
    remote = any_remote
    from conftest import isomorphic

    from kg.reasoning import load_ontology

    ontology = load_ontology()  # owl:propertyChainAxiom lists are blank nodes
    remote.put_graph(remote.iris.ontology_graph, ontology)
    stored = remote.graph(remote.iris.ontology_graph)
    assert len(stored) == len(ontology) and isomorphic(stored, ontology)


def test_build_remove_query_export_and_validate_give_the_embedded_dataset(tmp_path, virtuoso, base_iri, capsys):
    from bench.corpus import article
    from kg.nlp import Extractor

    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(json.dumps(article(i).as_json()) + "\n" for i in range(5)), encoding="utf-8")
    second.write_text("".join(json.dumps(article(i).as_json()) + "\n" for i in range(5, 8)), encoding="utf-8")
    local_path = tmp_path / "local"
    extractor = Extractor()
    for location in (str(local_path), virtuoso.store_url):
        with Store(location, base_iri=base_iri) as store:  # a full closure, then an incremental addition
            assert build([first], store, extractor).reasoned
        with Store(location, base_iri=base_iri) as store:
            report = build([second], store, extractor)
            assert len(report.ingested) == 3 and report.reasoned
    opts = ["--base-iri", base_iri]
    for store in (str(local_path), virtuoso.store_url):  # removal: delete and re-derive
        assert main(["remove", article(6).as_json()["id"], "--store", store, *opts]) == 0
    capsys.readouterr()

    def run(*argv: str) -> str:
        assert main(list(argv) + opts) == 0
        return capsys.readouterr().out

    dumps = {}
    for name, store in (("local", str(local_path)), ("remote", virtuoso.store_url)):
        out = tmp_path / f"{name}.nq"
        run("export", "-f", "nquads", "-o", str(out), "--store", store)
        dumps[name] = canonical_nquads(out.read_bytes())
    assert len(dumps["local"]) > 3000
    assert dumps["remote"] == dumps["local"]

    for template in README_QUERIES:
        query = template.replace("BASE", base_iri)
        results = [sorted(run("query", query, "--format", "tsv", "--store", s).splitlines()[1:])
                   for s in (str(local_path), virtuoso.store_url)]
        assert results[0] and results[0] == results[1], query
    for fmt in ("void", "graphml"):
        outs = [run("export", "-f", fmt, "--store", s) for s in (str(local_path), virtuoso.store_url)]
        assert outs[0] == outs[1], fmt
    reports = []
    for store in (str(local_path), virtuoso.store_url):
        status = main(["validate", "--store", store, *opts])
        reports.append((status, capsys.readouterr().out))
    assert reports[0] == reports[1] and reports[0][1].startswith(("OK", "INVALID"))


# the README's example queries, restricted to this test's resources (the server is shared by the tests)
README_QUERIES = [
    """SELECT ?who ?place ?date ?sentence WHERE {
  ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p ; ck:sentence ?sentence .
  OPTIONAL { ?e ck:date ?date }
  ?a rdfs:label ?who . ?p rdfs:label ?place FILTER(STRSTARTS(STR(?e), "BASE")) }""",
    'SELECT ?backer ?backed WHERE { ?x ck:backs ?y . ?x rdfs:label ?backer . ?y rdfs:label ?backed '
    'FILTER(STRSTARTS(STR(?x), "BASE")) }',
    'SELECT ?a ?b WHERE { ?x ck:hostileTo ?y . ?x rdfs:label ?a . ?y rdfs:label ?b '
    'FILTER(STRSTARTS(STR(?x), "BASE")) }',
    'SELECT ?event ?type ?who WHERE { ?event a sem:Event , ?type ; sem:hasActor ?x . ?x rdfs:label ?who '
    'FILTER(STRSTARTS(STR(?event), "BASE")) }',
]


class _DropsUploads(httpx.BaseTransport):
    """The real transport, except that an upload holding ``marker`` loses its connection (as when the
    network or the client dies half-way through a document)."""

    def __init__(self, inner: httpx.BaseTransport, marker: bytes):
        self.inner, self.marker = inner, marker

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method in ("PUT", "POST") and self.marker in request.read():
            raise httpx.RemoteProtocolError("connection lost", request=request)
        return self.inner.handle_request(request)


def test_a_failed_upload_leaves_the_stored_graph_whole(virtuoso, base_iri):
    with Store(virtuoso.store_url + "#batch=20&retries=1", base_iri=base_iri) as remote:
        g = NamedNode(f"{remote.iris.base}graph/doc/whole")
        s, p = NamedNode(f"{remote.iris.base}s"), NamedNode(f"{remote.iris.base}p")
        remote.put_graph(g, [(s, p, lit(f"old {i}")) for i in range(50)])
        remote._client._transport = _DropsUploads(remote._client._transport, b"new 30")
        with pytest.raises(StoreError, match="cannot reach") as err:  # the second of three batches fails
            remote.put_graph(g, [(s, p, lit(f"new {i}")) for i in range(50)])
        assert "\n" not in str(err.value)
        assert {q.object.value for q in remote.quads(None, None, None, g)} == {f"old {i}" for i in range(50)}
        assert set(remote.graphs()) >= {g} and len(remote) == 50  # the staging graph is not in the dataset
        remote._client._transport = remote._client._transport.inner
        remote.put_graph(g, [(s, p, lit(f"new {i}")) for i in range(50)])  # the next attempt replaces it
        assert {q.object.value for q in remote.quads(None, None, None, g)} == {f"new {i}" for i in range(50)}


def test_reads_page_past_the_server_row_limit(remote):
    n = VIRTUOSO_MAX_ROWS * 2 + 17
    g = NamedNode(f"{remote.iris.base}graph/doc/big")
    p = NamedNode(f"{remote.iris.base}p")
    triples = [(NamedNode(f"{remote.iris.base}s{i}"), p, lit(str(i), "integer")) for i in range(n)]
    remote.put_graph(g, triples)
    assert len({q.subject for q in remote.quads(None, None, None, g)}) == n
    assert remote.page_size == VIRTUOSO_MAX_ROWS  # learnt from the server's X-SPARQL-MaxRows
    assert len(list(remote.query(f"SELECT ?s WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}"))) == n
    with pytest.raises(StoreError, match="maximum of 300 rows"):  # a prologue cannot go into a subquery
        remote.query(f"PREFIX x: <http://x/> SELECT ?s WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
    sums = remote.query(f"SELECT (SUM(?o) AS ?t) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
    assert int(next(iter(sums))["t"].value) == n * (n - 1) // 2


def test_a_read_view_notices_a_write_by_another_client(virtuoso, remote):
    g = NamedNode(f"{remote.iris.base}graph/doc/view")
    s, p = NamedNode(f"{remote.iris.base}s"), NamedNode(f"{remote.iris.base}p")
    remote.put_graph(g, [(s, p, lit("one"))])
    with pytest.raises(StoreError, match="changed while it was being read"):
        with remote.read_view() as view:
            assert view.read_only and view.graph_size(g) == 1
            remote.put_graph(g, [(s, p, lit("one")), (s, p, lit("two"))])
    with remote.read_view() as view:  # nothing changed: no complaint
        assert view.graph_size(g) == 2


def test_the_store_spec_pickles_to_another_process(remote):
    spec = pickle.loads(pickle.dumps(remote.spec))
    assert "dba" not in repr(spec.remote).split("user=")[0] and "password" not in repr(spec)
    with spec.open() as again:
        assert type(again) is type(remote) and again.iris.base == remote.iris.base


def test_unreachable_servers_and_refused_writes_are_one_line_errors(virtuoso, tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Rebels captured the town.", encoding="utf-8")
    cases = [
        (["query", "ASK {}", "--store", "http://127.0.0.1:9/sparql#retries=0"], "cannot reach"),
        (["build", str(tmp_path / "a.txt"), "--store",
          virtuoso.store_url.replace("dba:dba", "dba:wrong")], "credentials"),
        (["build", str(tmp_path / "a.txt"), "--store", f"{virtuoso.url}/sparql"], "refused the update"),
        (["query", "SELEC x", "--store", virtuoso.store_url], "syntax error"),
        (["export", "-f", "nquads", "--store", "ftp://example.org/kg"], "only http:// and https://"),
        (["serve", "--store", virtuoso.store_url, "--update-token", "t"], "served read-only"),
    ]
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "dba:wrong" not in err, err
    assert not (tmp_path / "ftp:").exists()


def test_integral_decimals_are_sent_with_a_fraction(remote):
    # Virtuoso reads "36"^^xsd:decimal as an integer: the backend sends "36.0" and reads "36" back
    g = NamedNode(f"{remote.iris.base}graph/doc/decimal")
    s, p = NamedNode(f"{remote.iris.base}s"), NamedNode(f"{remote.iris.base}p")
    remote.put_graph(g, [(s, p, Literal("36", datatype=NamedNode(XSD + "decimal")))])
    row = next(iter(remote.query(f"SELECT (DATATYPE(?o) AS ?dt) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")))
    assert row["dt"].value == XSD + "decimal"
    assert Decimal(next(remote.quads(None, None, None, g)).object.value) == 36


def test_kg_load_adds_a_file_to_a_graph_and_a_bad_file_adds_nothing(tmp_path, virtuoso, base_iri, capsys):
    good, bad = tmp_path / "data.ttl", tmp_path / "bad.ttl"
    good.write_text(f"<{base_iri}s> <{base_iri}p> 'one', 'two' .\n", encoding="utf-8")
    bad.write_text(f"<{base_iri}s> <{base_iri}p> 'three' .\nnot turtle\n", encoding="utf-8")
    graph = f"{base_iri}graph/loaded"
    assert main(["load", str(good), "--graph", graph, "--store", virtuoso.store_url, "--base-iri", base_iri]) == 0
    assert main(["load", str(bad), "--graph", graph, "--store", virtuoso.store_url, "--base-iri", base_iri]) == 1
    assert "bad.ttl" in capsys.readouterr().err
    with Store(virtuoso.store_url, read_only=True, base_iri=base_iri) as store:
        assert {q.object.value for q in store.quads(None, None, None, NamedNode(graph))} == {"one", "two"}


def test_a_build_note_is_distrusted_when_another_client_changed_the_inferred_graph(tmp_path, virtuoso, base_iri):
    from conftest import SAMPLE_TEXT, FakeExtractor

    from kg.build import pending_inferences

    (tmp_path / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    with Store(virtuoso.store_url, base_iri=base_iri) as store:
        assert build([tmp_path / "sample.txt"], store, FakeExtractor()).reasoned
        assert pending_inferences(store) == ([], [])
        some = next(store.quads(None, None, None, NamedNode(str(store.iris.inferred_graph))))
    with Store(virtuoso.store_url, base_iri=base_iri) as other:  # e.g. a build on another machine
        other.change_graph(other.iris.inferred_graph, [], [(some.subject, some.predicate, some.object)])
    with Store(virtuoso.store_url, base_iri=base_iri) as store:
        report = build([tmp_path / "sample.txt"], store, FakeExtractor())
        assert report.reasoned and pending_inferences(store) == ([], [])
        assert any(True for _ in store.quads(some.subject, some.predicate, some.object, None))
