"""``kg serve --store http://…``: the endpoint and pages in front of a remote store (a real Virtuoso), over real
HTTP: a SELECT through /sparql, an entity page, the safety check before anything is sent, the row cap, and a
read-only server."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest
from conftest import SAMPLE_TEXT, FakeExtractor

from kg.build import build
from kg.errors import KGError
from kg.store import Store
from kg.store.testing import LocalVirtuoso
from server import create_app
from server.testing import LiveServer, http_request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(virtuoso: LocalVirtuoso, tmp_path_factory, monkeypatch_module):
    """The sample document built into Virtuoso under its own base IRI, served by the app over a read-only
    remote store."""
    base_iri = f"http://kg-serve-{uuid.uuid4().hex[:8]}.example/"
    folder = tmp_path_factory.mktemp("serve-remote")
    monkeypatch_module.setenv("KG_STATE_DIR", str(folder / "notes"))
    (folder / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    with Store(virtuoso.store_url, base_iri=base_iri) as store:
        assert build([folder / "sample.txt"], store, FakeExtractor()).reasoned
    store = Store(virtuoso.store_url, read_only=True, base_iri=base_iri)
    app = create_app(store=store, config={"KG_MAX_ROWS": 3, "KG_WORKERS": 1})
    with LiveServer(app) as srv:
        yield srv, base_iri
    store.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_a_select_is_answered_by_the_remote_store(served):
    srv, base_iri = served
    query = f"""SELECT ?label WHERE {{ GRAPH ?g {{ ?e rdfs:label ?label }}
        FILTER(STRSTARTS(STR(?g), "{base_iri}")) FILTER(STRSTARTS(STR(?e), "{base_iri}entity/")) }}
        ORDER BY ?label LIMIT 2"""
    status, headers, body = http_request(f"{srv.url}/sparql?query={quote(query)}",
                                         headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    assert headers["content-type"].startswith("application/sparql-results+json")
    labels = [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]]
    assert len(labels) == 2 and labels == sorted(labels)


def test_the_row_cap_applies_to_remote_results(served):
    srv, base_iri = served
    query = f'SELECT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{base_iri}")) }} LIMIT 50'
    status, headers, body = http_request(f"{srv.url}/sparql?query={quote(query)}",
                                         headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    assert headers.get("x-kg-truncated") == "true"
    assert len(json.loads(body)["results"]["bindings"]) == 3


def test_a_refused_query_never_reaches_the_remote_store(served):
    srv, _ = served
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    status, _, body = http_request(f"{srv.url}/sparql?query={quote(query)}")
    assert status == 400 and b"SERVICE" in body


def test_an_entity_page_of_the_remote_store(served):
    srv, _ = served
    status, headers, body = http_request(f"{srv.url}/entity/rebels", headers={"Accept": "text/html"})
    assert status == 200, body
    assert headers["content-type"].startswith("text/html")
    page = body.decode()
    assert "<h1>Rebels</h1>" in page
    assert "Kafr Nabl" in page and "Turkey" in page  # relations both ways, as on the embedded store
    assert "Rebels captured the town of Kafr Nabl" in page  # the source sentence
    assert 'class="neighbourhood"' in page
    status, headers, body = http_request(f"{srv.url}/entity/rebels", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle") and b"rdfs:label" in body


def test_writes_are_refused_in_front_of_a_remote_store(served):
    srv, _ = served
    status, _, _ = http_request(f"{srv.url}/sparql", "POST", "INSERT DATA { <http://a> <http://b> <http://c> }",
                                {"Content-Type": "application/sparql-update", "Authorization": "Bearer x"})
    assert status == 403


def test_an_update_token_is_refused_for_a_remote_store(virtuoso, capsys):
    from kg.cli import main

    assert main(["serve", "--store", virtuoso.store_url, "--update-token", "t", "--port", "0"]) != 0
    assert "served read-only" in capsys.readouterr().err
    with pytest.raises(KGError, match="served read-only"):
        create_app(virtuoso.store_url, config={"KG_UPDATE_TOKEN": "t"})


def test_the_downloads_page_lists_formats_and_a_dump_points_to_kg_export(served):
    srv, _ = served
    status, _, body = http_request(f"{srv.url}/dataset", headers={"Accept": "text/html"})
    assert status == 200 and b"rdfxml" in body
    status, _, body = http_request(f"{srv.url}/dataset?format=nquads")
    assert status == 501 and b"kg export" in body
