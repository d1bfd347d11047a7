"""kg.graphtools: the actor/place projection, and GraphML / GEXF / Neo4j / Cytoscape exports of it."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import networkx as nx
import pytest
from conftest import SAMPLE_TEXT, build_sample_store, make_extraction, span_of

from kg.build import reason
from kg.export import export
from kg.graphtools import (
    NEO4J_NODE_HEADER,
    NEO4J_REL_HEADER,
    flat_graph,
    neo4j_csv,
    to_cytoscape,
    to_networkx,
    write_neo4j_csv,
)
from kg.mapping import map_extraction
from kg.records import Relation
from kg.store import Store

OTHER_TEXT = SAMPLE_TEXT + " Rebels did not capture Turkey."


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two documents reporting the same capture (one with a claim and a denial), plus a negated relation."""
    path = build_sample_store(tmp_path_factory.mktemp("graphtools"))
    with Store(path) as s:
        other = make_extraction(OTHER_TEXT, "other")
        capture = other.relations[0]
        capture.attributions = []
        capture.date = "2024-12-03"
        sent = span_of(OTHER_TEXT, "Rebels did not capture Turkey.")
        other.relations.append(Relation("rebels", "captured", "turkey", sent, span_of(OTHER_TEXT, "capture"),
                                        modality="negated"))
        s.put_graph(s.iris.document_graph(other.document.key), map_extraction(other, s.iris))
        reason(s)
    s = Store(path, read_only=True)
    yield s
    s.close()


def iri(store: Store, key: str) -> str:
    return str(store.iris.entity(key))


def test_projection_nodes(store):
    g = to_networkx(store)
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == {iri(store, k) for k in ("rebels", "kafr-nabl", "turkey")}
    rebels, town, turkey = (g.nodes[iri(store, k)] for k in ("rebels", "kafr-nabl", "turkey"))
    assert rebels["label"] == "Rebels" and rebels["type"] == "ArmedGroup" and rebels["kind"] == "actor"
    assert town["label"] == "Kafr Nabl" and town["type"] == "Town" and town["kind"] == "place"
    assert "lat" not in town
    assert (turkey["lat"], turkey["lon"]) == (39.0, 35.0) and turkey["kind"] == "actor+place"
    assert rebels["degree"] == 2


def test_projection_aggregates_evidence_into_one_edge(store):
    g = to_networkx(store)
    rebels, town, turkey = (iri(store, k) for k in ("rebels", "kafr-nabl", "turkey"))
    assert g.number_of_edges() == 2
    cap = g.get_edge_data(rebels, town, key="captured")
    assert cap["predicate"] == "captured"
    assert cap["count"] == 2 and cap["events"] == 2
    assert cap["dates"] == ["2024-12-02", "2024-12-03"]
    assert len(cap["documents"]) == 2
    assert cap["claimed_by"] == ["Rebels"] and cap["denied_by"] == ["state media"]
    assert cap["status"] == "denied"
    backs = g.get_edge_data(turkey, rebels, key="backs")
    assert backs["status"] == "asserted" and backs["count"] == 2 and backs["dates"] == []
    assert backs["sentence"] == "Turkey backs the rebels."
    assert not g.has_edge(rebels, turkey)  # the negated capture is not a fact


def test_non_facts_on_request(store):
    g = to_networkx(store, include_non_facts=True)
    rebels, turkey = iri(store, "rebels"), iri(store, "turkey")
    neg = g.get_edge_data(rebels, turkey, key="captured|negated")
    assert neg["status"] == "negated" and neg["count"] == 1


def export_bytes(store: Store, fmt: str) -> bytes:
    out = io.BytesIO()
    export(store, fmt, out)
    return out.getvalue()


def assert_same_graph(loaded: nx.Graph, store: Store) -> None:
    rebels, town, turkey = (iri(store, k) for k in ("rebels", "kafr-nabl", "turkey"))
    assert set(loaded.nodes) == {rebels, town, turkey}
    assert loaded.nodes[town]["label"] == "Kafr Nabl"
    assert float(loaded.nodes[turkey]["lat"]) == 39.0
    assert loaded.has_edge(rebels, town) and loaded.has_edge(turkey, rebels)
    assert loaded.number_of_edges() == 2
    data = loaded.get_edge_data(rebels, town)
    if loaded.is_multigraph():
        (data,) = data.values()
    assert int(data["count"]) == 2
    assert data["dates"] == "2024-12-02; 2024-12-03"
    assert data["status"] == "denied"


def test_graphml_loads_in_networkx(store):
    loaded = nx.read_graphml(io.BytesIO(export_bytes(store, "graphml")), force_multigraph=True)
    assert isinstance(loaded, nx.MultiDiGraph)
    assert {k for _, _, k in loaded.edges(keys=True)} == {"captured", "backs"}
    assert_same_graph(loaded, store)
    assert loaded.nodes[iri(store, "rebels")]["degree"] == 2


def test_gexf_loads_in_networkx(store):
    loaded = nx.read_gexf(io.BytesIO(export_bytes(store, "gexf")))
    assert loaded.is_directed()
    assert_same_graph(loaded, store)


def test_flat_graph_has_only_scalar_attributes(store):
    h = flat_graph(to_networkx(store))
    for _, _, a in h.edges(data=True):
        assert all(isinstance(v, str | int | float) for v in a.values())


def test_cytoscape_json(store):
    doc = json.loads(export_bytes(store, "cytoscape"))
    nodes, edges = doc["elements"]["nodes"], doc["elements"]["edges"]
    ids = {n["data"]["id"] for n in nodes}
    assert ids == {iri(store, k) for k in ("rebels", "kafr-nabl", "turkey")}
    assert len(edges) == 2
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in edges)
    assert len({e["data"]["id"] for e in edges}) == 2
    assert to_cytoscape(to_networkx(store))["elements"]["nodes"][0]["data"]["label"]


def test_neo4j_csv_headers_and_rows(store, tmp_path):
    nodes_path, rels_path = write_neo4j_csv(store, tmp_path / "neo4j")
    nodes = list(csv.reader(io.StringIO(nodes_path.read_text(encoding="utf-8"))))
    rels = list(csv.reader(io.StringIO(rels_path.read_text(encoding="utf-8"))))
    assert nodes[0] == NEO4J_NODE_HEADER
    assert rels[0] == NEO4J_REL_HEADER
    # the neo4j-admin header contract: one :ID column; :START_ID/:END_ID/:TYPE; typed columns name:type
    assert sum(h.endswith(":ID") for h in nodes[0]) == 1 and ":LABEL" in nodes[0]
    assert rels[0][:3] == [":START_ID", ":END_ID", ":TYPE"]
    for h in nodes[0] + rels[0]:
        name, _, typ = h.partition(":")
        assert typ in ("", "ID", "LABEL", "START_ID", "END_ID", "TYPE", "int", "float", "string[]"), h
    ids = {row[0] for row in nodes[1:]}
    assert len(ids) == 3
    assert all(row[0] in ids and row[1] in ids for row in rels[1:])
    by_type = {row[2]: dict(zip(rels[0], row, strict=True)) for row in rels[1:]}
    assert set(by_type) == {"CAPTURED", "BACKS"}
    assert by_type["CAPTURED"]["dates:string[]"] == "2024-12-02;2024-12-03"
    turkey = next(dict(zip(nodes[0], r, strict=True)) for r in nodes[1:] if r[1] == "Turkey")
    assert turkey[":LABEL"] == "Entity;Actor;Place;Country" and float(turkey["lat:float"]) == 39.0
    assert (tmp_path / "neo4j" / "README.txt").exists()


def test_neo4j_csv_has_one_line_per_row(store):
    g = to_networkx(store)
    g.add_edge(iri(store, "turkey"), iri(store, "kafr-nabl"), key="attacked", sentence="two\nlines")
    nodes, rels = neo4j_csv(g)
    assert len(nodes.splitlines()) == g.number_of_nodes() + 1
    assert len(rels.splitlines()) == g.number_of_edges() + 1


def test_neo4j_zip_matches_csv(store):
    with zipfile.ZipFile(io.BytesIO(export_bytes(store, "neo4j"))) as z:
        assert (z.read("nodes.csv").decode(), z.read("relationships.csv").decode()) == neo4j_csv(to_networkx(store))


def test_neo4j_type_names(store):
    from kg.graphtools import _neo4j_type
    assert _neo4j_type("memberOf") == "MEMBER_OF"
    assert _neo4j_type("captured|negated") == "CAPTURED_NEGATED"
