"""From a notebook: kg.open(folder or endpoint URL) gives typed DataFrames of query results and of the event
table; real SPARQL clients (SPARQLWrapper, rdflib's SPARQLStore) read the endpoint over HTTP."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import build_sample_store
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper

import kg
from kg.events_table import COLUMNS
from server import create_app
from server.testing import LiveServer

CK = "https://w3id.org/conflict-kg/ontology#"
CAPTURES = """SELECT ?who ?place ?date ?confidence WHERE {
  ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p ; ck:date ?date ; ck:confidence ?confidence .
  ?a rdfs:label ?who . ?p rdfs:label ?place }"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_sample_store(tmp_path_factory.mktemp("notebook"))


@pytest.fixture(scope="module")
def srv(store_path):
    app = create_app(str(store_path), config={"KG_TIMEOUT": 20, "KG_WORKERS": 1})
    with LiveServer(app) as s:
        yield s
    app.extensions["kg_store"].close()


@pytest.fixture(scope="module", params=["folder", "endpoint"])
def graph(request, store_path, srv):
    location = str(store_path) if request.param == "folder" else srv.url + "/sparql"
    with kg.open(location) as g:
        yield g


def test_query_gives_a_typed_dataframe(graph):
    df = graph.query(CAPTURES)
    assert list(df.columns) == ["who", "place", "date", "confidence"]
    assert df.to_dict("records")[0]["who"] == "Rebels" and df["place"].tolist() == ["Kafr Nabl"]
    assert str(df["date"].dtype).startswith("datetime64") and df["date"][0] == pd.Timestamp("2024-12-02")
    assert df["confidence"].dtype == "float64" and df["confidence"][0] == pytest.approx(0.9)
    counts = graph.query("SELECT (COUNT(?e) AS ?n) ?missing WHERE { ?e a ck:Capture "
                         "OPTIONAL { ?e ck:nothing ?missing } } GROUP BY ?missing")
    assert counts["n"].dtype == "Int64" and counts["n"][0] == 1 and counts["missing"].isna().all()


def test_ask_and_construct(graph):
    assert graph.query("ASK { ?e a ck:Capture }")["ask"].tolist() == [True]
    triples = graph.query("CONSTRUCT { ?a ck:captured ?p } WHERE { ?e a ck:Capture ; ck:agent ?a ; "
                          "ck:capturedPlace ?p }")
    assert list(triples.columns) == ["subject", "predicate", "object"] and len(triples) == 1
    assert triples["predicate"][0] == CK + "captured"


def test_events_dataframe_and_filters(graph):
    events = graph.events()
    assert list(events.columns) == list(COLUMNS) and len(events) == 2
    assert events["sentence_start"].dtype == "Int64" and events["confidence"].dtype == "float64"
    capture = graph.events(type="FIGHT")
    assert capture["actor_name"].tolist() == ["Rebels"] and capture["recipient_name"].tolist() == ["Kafr Nabl"]
    assert capture["claimed_by"].tolist() == ["Rebels"] and capture["denied_by"].tolist() == ["state media"]
    assert graph.events(actor="Turkey")["event_class"].tolist() == ["Support"]
    assert len(graph.events(start="2024-12-01", end="2024-12")) == 1  # the undated support is left out
    assert graph.events(start="2025").empty


def test_sparqlwrapper_reads_the_endpoint(srv):
    client = SPARQLWrapper(srv.url + "/sparql")
    client.setQuery("PREFIX ck: <" + CK + "> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                    "SELECT ?who ?place WHERE { ?a ck:captured ?p . ?a rdfs:label ?who . ?p rdfs:label ?place }")
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]
    assert [(b["who"]["value"], b["place"]["value"]) for b in bindings] == [("Rebels", "Kafr Nabl")]


def test_rdflib_sparqlstore_reads_the_endpoint(srv):
    graph = Graph(store=SPARQLStore(srv.url + "/sparql"))
    rows = list(graph.query("PREFIX ck: <" + CK + "> SELECT ?date WHERE { ?e a ck:Capture ; ck:date ?date }"))
    assert [r[0] for r in rows] == [Literal("2024-12-02", datatype=XSD.date)]
    capture = next(graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(CK + "Capture")))
    assert (capture, URIRef(CK + "confidence"), None) in graph
