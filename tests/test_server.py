"""The SPARQL endpoint over real HTTP: content negotiation, formats, errors, service description, updates seen
by the query workers, the Graph Store, dereferenceable IRIs, and `kg serve` as a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from conftest import SAMPLE_TEXT, FakeExtractor
from rdflib import Graph, URIRef

from kg.build import build
from kg.store import Store
from server import create_app
from server.testing import LiveServer, http_request

TOKEN = "tok"
SELECT = "SELECT ?who ?place WHERE { ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p . " \
         "?a rdfs:label ?who . ?p rdfs:label ?place }"
CONSTRUCT = "CONSTRUCT { ?a ck:capturedPlace ?p } WHERE { ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p }"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("server")
    (d / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    with Store(d / "store") as s:
        build([d / "sample.txt"], s, FakeExtractor())
    return d / "store"


@pytest.fixture(scope="module")
def srv(store_dir):
    app = create_app(str(store_dir), config={"KG_UPDATE_TOKEN": TOKEN, "KG_TIMEOUT": 10, "KG_WORKERS": 2})
    with LiveServer(app) as s:
        yield s
    app.extensions["kg_store"].close()


def get(srv, path: str, accept: str | None = None):
    return http_request(srv.url + path, headers={"Accept": accept} if accept else {})


def q(query: str, **params) -> str:
    return "/sparql?" + urlencode({"query": query, **params})


# ------------------------------------------------------------------------------------------ query forms and formats
@pytest.mark.parametrize("accept,fmt", [
    ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/csv", ox.QueryResultsFormat.CSV),
    ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
])
def test_select_formats(srv, accept, fmt):
    status, headers, body = get(srv, q(SELECT), accept)
    assert status == 200 and headers["content-type"].startswith(accept)
    if fmt == ox.QueryResultsFormat.CSV:  # lossy: pyoxigraph does not parse it back
        assert body.decode().splitlines() == ["who,place", "Rebels,Kafr Nabl"]
        return
    rows = list(ox.parse_query_results(body, format=fmt))
    assert [(r["who"].value, r["place"].value) for r in rows] == [("Rebels", "Kafr Nabl")]


def test_select_default_is_json_and_accept_q_values(srv):
    status, headers, _ = get(srv, q(SELECT))
    assert headers["content-type"].startswith("application/sparql-results+json")
    status, headers, _ = get(srv, q(SELECT), "text/csv;q=0.5, application/sparql-results+xml;q=0.9")
    assert headers["content-type"].startswith("application/sparql-results+xml")
    status, headers, _ = get(srv, q(SELECT), "image/png")
    assert status == 406


@pytest.mark.parametrize("accept,fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG),
])
def test_construct_formats(srv, accept, fmt):
    status, headers, body = get(srv, q(CONSTRUCT), accept)
    assert status == 200 and headers["content-type"].startswith(accept)
    quads = list(ox.parse(body, format=fmt))
    assert len(quads) == 1 and quads[0].predicate.value.endswith("capturedPlace")


def test_describe_and_ask(srv):
    status, headers, body = get(srv, q("DESCRIBE <http://127.0.0.1:5000/entity/turkey>"), "text/turtle")
    assert status == 200 and len(Graph().parse(data=body.decode(), format="turtle")) > 3
    status, headers, body = get(srv, q("ASK { ?s a ck:Capture }"), "application/sparql-results+xml")
    assert status == 200 and bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.XML))
    status, headers, body = get(srv, q("ASK { ?s a ck:Capture }"))
    assert json.loads(body) == {"head": {}, "boolean": True}


def test_negotiation_per_request_with_cached_accept_parsing(srv):
    """Accept parsing and negotiation are cached per header text: the same header must still give each query
    form its own format, and different headers in turn their own."""
    mixed = "text/turtle, application/sparql-results+xml;q=0.9"
    for _ in range(2):
        assert get(srv, q(SELECT), mixed)[1]["content-type"].startswith("application/sparql-results+xml")
        assert get(srv, q(CONSTRUCT), mixed)[1]["content-type"].startswith("text/turtle")
        assert get(srv, q("ASK {}"), mixed)[1]["content-type"].startswith("application/sparql-results+xml")
        for accept, media in [("text/csv", "text/csv"), (None, "application/sparql-results+json"),
                              ("text/tab-separated-values", "text/tab-separated-values")]:
            status, headers, _ = get(srv, q(SELECT), accept)
            assert status == 200 and headers["content-type"].startswith(media)
        assert get(srv, q(SELECT), "image/png")[0] == 406


def test_worker_replaced_after_being_killed_from_outside(srv):
    pool = srv.app.extensions["kg_pool"]
    status, _, body = get(srv, q(SELECT))
    assert status == 200
    for w in list(pool._all):
        w.process.kill()
        w.process.wait()
    for _ in range(3):  # every worker is replaced on its next use; results are unchanged
        assert get(srv, q(SELECT))[0:3:2] == (200, body)


@pytest.mark.parametrize("fmt,media", [("json", "application/sparql-results+json"), ("csv", "text/csv"),
                                       ("tsv", "text/tab-separated-values"), ("xml", "application/sparql-results+xml")])
def test_format_parameter_overrides_accept(srv, fmt, media):
    status, headers, _ = get(srv, q(SELECT, format=fmt), "text/html")
    assert status == 200 and headers["content-type"].startswith(media)


def test_format_parameter_for_graphs(srv):
    for fmt, media in [("turtle", "text/turtle"), ("jsonld", "application/ld+json"), ("json", "application/ld+json"),
                       ("xml", "application/rdf+xml"), ("nt", "application/n-triples")]:
        status, headers, _ = get(srv, q(CONSTRUCT, format=fmt))
        assert status == 200 and headers["content-type"].startswith(media), fmt
    assert get(srv, q(SELECT, format="turtle"))[0] == 400


def test_post_form_and_direct(srv):
    status, _, body = http_request(srv.url + "/sparql", "POST", urlencode({"query": SELECT}),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and json.loads(body)["results"]["bindings"]
    status, _, body = http_request(srv.url + "/sparql", "POST", SELECT,
                                   {"Content-Type": "application/sparql-query; charset=utf-8"})
    assert status == 200 and json.loads(body)["results"]["bindings"]


def test_errors(srv):
    status, headers, body = get(srv, q("SELECT * WHERE { ?s ?p "))
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert b"syntax error at line 1, column" in body and b"^" in body
    assert http_request(srv.url + "/sparql?query=ASK%7B%7D", "PUT")[0] == 405
    assert http_request(srv.url + "/sparql?query=ASK%7B%7D", "DELETE")[0] == 405
    assert http_request(srv.url + "/sparql", "POST", "ASK {}", {"Content-Type": "text/plain"})[0] == 415
    assert http_request(srv.url + "/sparql", "POST", "ASK {}")[0] == 415
    assert get(srv, "/sparql?query=ASK%7B%7D&query=ASK%7B%7D")[0] == 400
    assert get(srv, "/sparql?update=CLEAR%20ALL")[0] == 400


def test_browser_gets_the_query_page(srv):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = get(srv, q(SELECT), browser)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"<textarea" in body and b"ck:Capture" in body
    status, headers, body = get(srv, "/sparql", browser)
    assert headers["content-type"].startswith("text/html")
    # SPARQLWrapper-style clients still get results
    status, headers, _ = get(srv, q(SELECT), "application/sparql-results+json,application/json,*/*;q=0.1")
    assert headers["content-type"].startswith("application/sparql-results+json")


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
                                        ("application/ld+json", "json-ld"), (None, "turtle")])
def test_service_description(srv, accept, fmt):
    status, headers, body = get(srv, "/sparql", accept)
    assert status == 200
    g = Graph().parse(data=body.decode(), format=fmt)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    void = "http://rdfs.org/ns/void#"
    assert (None, URIRef(sd + "endpoint"), URIRef(srv.url + "/sparql")) in g
    triples = [int(o) for o in g.objects(None, URIRef(void + "triples"))]
    assert triples and triples[0] == len(srv.app.extensions["kg_store"])


# ------------------------------------------------------------------------------------------ writes reach the readers
def test_update_is_seen_by_query_workers(srv):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ask = q("ASK { GRAPH <http://example.org/new> { <http://example.org/a> ?p ?o } }")
    # warm every worker on the old state
    for _ in range(4):
        assert json.loads(get(srv, ask)[2])["boolean"] is False
    status, _, _ = http_request(srv.url + "/sparql", "POST",
                                urlencode({"update": "INSERT DATA { GRAPH <http://example.org/new> "
                                                     "{ <http://example.org/a> <http://example.org/b> 1 } }"}),
                                {**auth, "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 204
    for _ in range(4):
        assert json.loads(get(srv, ask)[2])["boolean"] is True
    status, _, _ = http_request(srv.url + "/store?graph=" + quote("http://example.org/new"), "DELETE", None, auth)
    assert status == 204
    for _ in range(4):
        assert json.loads(get(srv, ask)[2])["boolean"] is False


def test_graph_store_read_for_all(srv, store_dir):
    store = srv.app.extensions["kg_store"]
    doc_graph = str(store.iris.document_graph(store.document_keys()[0]))
    status, headers, body = get(srv, "/store?graph=" + quote(doc_graph), "application/n-triples")
    assert status == 200 and len(body.splitlines()) == store.graph_size(URIRef(doc_graph))
    status, headers, body = get(srv, "/store", "application/n-quads")
    assert status == 200 and len(body.splitlines()) == len(store)
    assert get(srv, "/store?graph=" + quote("http://example.org/none"))[0] == 404
    status, _, _ = http_request(srv.url + "/store?graph=" + quote("http://example.org/x"), "PUT",
                                "<http://a> <http://b> <http://c> .", {"Content-Type": "application/n-triples"})
    assert status == 401


def test_upload_formats(srv):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = srv.url + "/store?graph=" + quote("http://example.org/up")
    docs = {"text/turtle": "<http://a> <http://b> 1 .",
            "application/ld+json": '{"@id": "http://a", "http://b": 1}',
            "application/rdf+xml": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                                   'xmlns:b="http://b/"><rdf:Description rdf:about="http://a"><b:c>1</b:c>'
                                   '</rdf:Description></rdf:RDF>'}
    for media, doc in docs.items():
        status, _, body = http_request(url, "PUT", doc, {**auth, "Content-Type": media})
        assert status in (201, 204), body
        status, _, body = http_request(url, headers={"Accept": "application/n-triples"})
        assert len(body.splitlines()) == 1
    assert http_request(url, "PUT", "x", {**auth, "Content-Type": "image/png"})[0] == 415
    assert http_request(url, "PUT", "<http://a> <http://b> .", {**auth, "Content-Type": "text/turtle"})[0] == 400
    assert http_request(url, "DELETE", None, auth)[0] == 204


# ------------------------------------------------------------------------------------------ dereferenceable IRIs
def test_entity_iri_conneg(srv):
    status, headers, body = get(srv, "/entity/rebels", "text/turtle")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=body.decode(), format="turtle")
    assert (URIRef("http://127.0.0.1:5000/entity/rebels"), None, None) in g
    status, headers, body = get(srv, "/entity/rebels", "text/html,*/*;q=0.8")
    assert headers["content-type"].startswith("text/html") and b"Kafr Nabl" in body
    status, headers, body = get(srv, "/entity/rebels?format=jsonld")
    assert headers["content-type"].startswith("application/ld+json") and json.loads(body)
    assert get(srv, "/entity/nobody")[0] == 404


def test_document_iri_conneg(srv):
    key = srv.app.extensions["kg_store"].document_keys()[0]
    status, headers, body = get(srv, f"/doc/{key}", "application/n-triples")
    assert status == 200 and b"isString" in body
    status, headers, body = get(srv, f"/doc/{key}")
    assert headers["content-type"].startswith("text/html") and b'class="mention entity"' in body
    assert get(srv, "/doc/0000")[0] == 404


# ------------------------------------------------------------------------------------------ kg serve
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kg_serve_subprocess(tmp_path):
    (tmp_path / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    with Store(tmp_path / "store") as s:
        build([tmp_path / "sample.txt"], s, FakeExtractor())
    port = _free_port()
    env = {**os.environ, "KG_UPDATE_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", str(tmp_path / "store"), "--port",
                             str(port), "--timeout", "3", "--max-rows", "5"],
                            cwd=Path(__file__).resolve().parents[1], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _, _ = http_request(url + "/sparql?query=ASK%7B%7D", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, proc.stderr.read1().decode() if proc.poll() is not None else ""
                time.sleep(0.2)
        assert status == 200
        status, headers, body = http_request(url + q("SELECT * WHERE { ?s ?p ?o }"))
        assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 5
        assert headers["x-kg-truncated"] == "true"
        t0 = time.monotonic()
        status, _, _ = http_request(url + q("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"))
        assert status == 503 and time.monotonic() - t0 < 8
        assert http_request(url + "/sparql", "POST", "CLEAR ALL",
                            {"Content-Type": "application/sparql-update"})[0] == 403
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
