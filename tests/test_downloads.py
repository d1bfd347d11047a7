"""server.downloads: the dataset IRI with content negotiation, VoID and the JSON-LD context."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from conftest import build_sample_store
from rdflib import Graph

from kg.export import VOID, selected_graphs
from kg.store import Store
from server import create_app
from server.downloads import NEGOTIABLE

RDF_FORMATS = {"application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
               "text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
               "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(build_sample_store(tmp_path_factory.mktemp("downloads")), read_only=True)
    yield s
    s.close()


@pytest.fixture
def client(store):
    # dumps run in a confined process under the app's limits: the whole app, for its query pool
    app = create_app(store=store, config={"KG_WORKERS": 1, "KG_TIMEOUT": 20})
    yield app.test_client()
    app.extensions["kg_close"]()


def test_negotiates_every_rdf_format(client, store):
    assert set(NEGOTIABLE) == set(RDF_FORMATS)
    for media, oxfmt in RDF_FORMATS.items():
        r = client.get("/dataset", headers={"Accept": media})
        assert r.status_code == 200, media
        assert r.mimetype == media
        assert "Accept" in r.headers["Vary"]
        assert "attachment" in r.headers["Content-Disposition"]
        n = sum(1 for _ in ox.parse(r.data, format=oxfmt))
        assert n > 0, media


def test_nquads_download_is_the_whole_dataset(client, store):
    r = client.get("/dataset", headers={"Accept": "*/*"})
    assert r.mimetype == "application/n-quads"
    quads = set(ox.parse(r.data, format=ox.RdfFormat.N_QUADS))
    expected = {q for g in selected_graphs(store, "all") for q in store.ox.quads_for_pattern(None, None, None, g)}
    assert len(quads) == len(expected)


def test_no_accept_header_gets_nquads(client):
    r = client.get("/dataset")
    assert r.status_code == 200 and r.mimetype == "application/n-quads"
    r.close()  # one dump at a time per client: this one ends here
    assert client.head("/dataset").status_code == 200


def test_format_parameter_overrides_accept(client):
    r = client.get("/dataset?format=turtle&graphs=inferred", headers={"Accept": "application/n-quads"})
    assert r.mimetype == "text/turtle"
    assert "inferred" in r.headers["Content-Disposition"]
    assert len(Graph().parse(data=r.data, format="turtle")) > 0


def test_graph_tool_formats_downloadable(client):
    r = client.get("/dataset?format=graphml")
    assert r.status_code == 200 and b"<graphml" in r.data
    r = client.get("/dataset?format=neo4j")
    assert r.mimetype == "application/zip" and r.data[:2] == b"PK"


def test_bad_requests(client):
    assert client.get("/dataset?format=csv").status_code == 400
    assert client.get("/dataset?format=nquads&graphs=some").status_code == 400
    assert client.get("/dataset", headers={"Accept": "image/png"}).status_code == 406


def test_html_page_lists_downloads_and_void_summary(client, store):
    r = client.get("/dataset", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert f"{len(store)} triples" in page
    assert "4 entities" in page and "1 documents" in page
    for fmt in ("nquads", "turtle", "jsonld", "graphml", "neo4j", "void"):
        assert f"/dataset?format={fmt}" in page


def test_void_and_well_known(client, store):
    r = client.get("/.well-known/void")
    assert r.status_code == 303 and r.headers["Location"].endswith("/dataset?format=void")
    r = client.get("/dataset?format=void")
    g = Graph().parse(data=r.data, format="turtle")
    assert int(g.value(store.iris.dataset, VOID.triples)) == len(store)


def test_context_served(client):
    r = client.get("/context.jsonld")
    assert r.mimetype == "application/ld+json"
    assert json.loads(r.data)["@context"]["ck"] == "https://w3id.org/conflict-kg/ontology#"
