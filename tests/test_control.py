"""Control over time: intervals derived from captures, kept exact by builds and removals, and the documented
questions (who held a place on a date; contested facts) answered by their SPARQL queries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from control_corpus import Cap, CaptureExtractor, write_docs
from rdflib import Graph

from kg.build import build, remove_document
from kg.control import (
    CONTESTED_QUERY,
    CONTROL_AT_QUERY,
    STATE_NOTE,
    Capture,
    control_intervals,
    derive_all,
    derived_graph,
    update_control,
)
from kg.namespaces import CK, RDF, sparql_prologue
from kg.reasoning import load_ontology
from kg.store import Store
from kg.store.terms import Literal, NamedNode
from kg.validate import SHAPES_FILE, validate, validate_graph

D = date.fromisoformat


def cap(event: str, actor: str, day: str | None, status: str = "asserted") -> Capture:
    return Capture(event, "P", actor, D(day) if day else None, status)


# ------------------------------------------------------------------------------------------ the derivation
def test_a_capture_ends_the_previous_holders_interval():
    ivs = control_intervals([cap("e2", "B", "2024-12-05"), cap("e1", "A", "2024-11-29")])
    assert [(iv.controller, iv.start, iv.until) for iv in ivs] == [
        ("A", D("2024-11-29"), D("2024-12-05")), ("B", D("2024-12-05"), None)]


def test_repeated_reports_of_one_holder_make_one_interval_until_someone_else_captures():
    ivs = control_intervals([cap("e1", "A", "2024-11-29"), cap("e2", "A", "2024-12-01"),
                             cap("e3", "B", "2024-12-05"), cap("e4", "A", "2024-12-09")])
    got = [(iv.controller, iv.start, iv.until, [c.event for c in iv.captures]) for iv in ivs]
    assert got == [("A", D("2024-11-29"), D("2024-12-05"), ["e1", "e2"]),
                   ("B", D("2024-12-05"), D("2024-12-09"), ["e3"]),
                   ("A", D("2024-12-09"), None, ["e4"])]


def test_two_holders_named_for_one_date_overlap_and_undated_captures_stay_undated():
    ivs = control_intervals([cap("e1", "A", "2024-11-29"), cap("e2", "B", "2024-11-29"), cap("e3", "C", None)])
    dated = {iv.controller: (iv.start, iv.until) for iv in ivs if iv.start}
    assert dated == {"A": (D("2024-11-29"), None), "B": (D("2024-11-29"), None)}
    assert [(iv.controller, iv.start, iv.until) for iv in ivs if not iv.start] == [("C", None, None)]


@pytest.mark.parametrize("statuses, expected", [
    (["asserted", "claimed"], "asserted"), (["claimed"], "claimed"), (["claimed", "confirmed"], "confirmed"),
    (["confirmed", "denied"], "denied")])
def test_interval_status_is_the_strongest_of_its_captures(statuses, expected):
    ivs = control_intervals([cap(f"e{i}", "A", "2024-12-01", s) for i, s in enumerate(statuses)])
    assert len(ivs) == 1 and ivs[0].status == expected


# ------------------------------------------------------------------------------------------ in a store
DOCS = {
    "hts": ("2024-11-30", [Cap("hts", "aleppo", "2024-11-29", confirmed_by="observatory"),
                           Cap("hts", "saraqib", "2024-11-28")]),
    "army": ("2024-12-06", [Cap("army", "aleppo", "2024-12-05", claimed_by="army", denied_by="hts",
                                recapture=True)]),
    "sdf": ("2024-12-02", [Cap("sdf", "aleppo", "2024-11-29", claimed_by="sdf")]),
    "undated": (None, [Cap("sdf", "nowhere")]),
    "published": ("2024-12-03", [Cap("hts", "hama")]),
}


def rows(store: Store, query: str) -> list[dict[str, str | None]]:
    res = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
    return [{v.value: (r[v].value if r[v] is not None else None) for v in res.variables} for r in res]


def derived(store: Store) -> set:
    return set(store.graph_triples(derived_graph(store.iris)))


def from_scratch(store: Store) -> set:
    """What a recomputation gives, without disturbing the store's note."""
    note = store.read_note(STATE_NOTE)
    derive_all(store)
    out = derived(store)
    store.write_note(STATE_NOTE, note or "")
    return out


@pytest.fixture
def corpus(tmp_path):
    return write_docs(tmp_path / "docs.jsonl", DOCS)


def test_who_held_aleppo_on_a_date_according_to_whom_and_who_disputed_it(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        build([corpus], store, CaptureExtractor())
        answer = rows(store, CONTROL_AT_QUERY)
        # 1 December: the rebels (confirmed by the monitoring group) and the SDF (its own claim) both named
        assert {(r["controller"], r["from"], r["until"], r["status"], r["according"]) for r in answer} == {
            ("Hayat Tahrir al-Sham", "2024-11-29", "2024-12-05", "confirmed", "the monitoring group"),
            ("Syrian Democratic Forces", "2024-11-29", "2024-12-05", "claimed", "Syrian Democratic Forces")}
        later = rows(store, CONTROL_AT_QUERY.replace("2024-12-01", "2024-12-07"))
        assert {(r["controller"], r["status"], r["disputedBy"]) for r in later} == {
            ("Syrian Army", "denied", "Hayat Tahrir al-Sham")}
        # an undated capture in an undated report: an interval without dates; a dated report bounds the capture
        undated = rows(store, """SELECT ?from WHERE { ?i ck:place ?p ; ck:controller ?c . ?p rdfs:label "Qarya" .
            OPTIONAL { ?i ck:from ?from } }""")
        assert undated == [{"from": None}]
        hama = rows(store, """SELECT ?from WHERE { ?i ck:place ?p ; ck:from ?from . ?p rdfs:label "Hama" }""")
        assert hama == [{"from": "2024-12-03"}]


def test_contested_query_lists_denials_and_conflicting_holders(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        build([corpus], store, CaptureExtractor())
        got = {(r["kind"], r["place"], r["says"], r["disputedBy"]) for r in rows(store, CONTESTED_QUERY)}
    assert got == {("denied", "Aleppo", "Syrian Army", "Hayat Tahrir al-Sham"),
                   ("other holder", "Aleppo", "Hayat Tahrir al-Sham", "Syrian Democratic Forces"),
                   ("other holder", "Aleppo", "Syrian Democratic Forces", "Hayat Tahrir al-Sham")}


def test_incremental_builds_and_removals_keep_the_derived_graph_exact(tmp_path):
    first = write_docs(tmp_path / "a.jsonl", {k: DOCS[k] for k in ("hts", "undated")})
    second = write_docs(tmp_path / "b.jsonl", {k: DOCS[k] for k in ("army", "sdf", "published")})
    with Store(tmp_path / "store") as store:
        build([first], store, CaptureExtractor())
        before = derived(store)
        assert before == from_scratch(store)
        build([second], store, CaptureExtractor())
        after = derived(store)
        assert after == from_scratch(store) and after != before
        until = rows(store, """SELECT ?until WHERE { ?i ck:controller <http://127.0.0.1:5000/entity/hts> ;
            ck:place <http://127.0.0.1:5000/entity/aleppo> ; ck:until ?until }""")
        assert until == [{"until": "2024-12-05"}]  # the army's later capture closed the rebels' interval
        remove_document(store, "army")
        assert derived(store) == from_scratch(store)
        assert rows(store, """SELECT ?until WHERE { ?i ck:controller <http://127.0.0.1:5000/entity/hts> ;
            ck:place <http://127.0.0.1:5000/entity/aleppo> ; ck:until ?until }""") == []
        for key in ("sdf", "published"):
            remove_document(store, key)
        assert derived(store) == from_scratch(store)
        assert update_control(store) is None  # nothing left to do


def test_a_replaced_document_replaces_its_captures(tmp_path):
    old = write_docs(tmp_path / "old.jsonl", {"r": ("2024-12-01", [Cap("hts", "aleppo", "2024-11-29")])}, url=True)
    new = write_docs(tmp_path / "new.jsonl", {"r": ("2024-12-01", [Cap("army", "aleppo", "2024-11-29")])}, url=True)
    with Store(tmp_path / "store") as store:
        build([old], store, CaptureExtractor())
        build([new], store, CaptureExtractor())
        holders = rows(store, "SELECT ?c WHERE { ?i a ck:ControlInterval ; ck:controller ?c }")
        assert holders == [{"c": "http://127.0.0.1:5000/entity/army"}]
        assert derived(store) == from_scratch(store)


def test_a_derived_graph_changed_behind_the_notes_back_is_recomputed(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        build([corpus], store, CaptureExtractor())
        good = derived(store)
        junk = (NamedNode("http://example.org/x"), NamedNode("http://example.org/p"), Literal("junk"))
        store.change_graph(derived_graph(store.iris), [junk], [])
        assert update_control(store) is not None
        assert derived(store) == good


def test_the_derived_graph_meets_its_shapes(tmp_path, corpus):
    with Store(tmp_path / "store") as store:
        build([corpus], store, CaptureExtractor())
        data = Graph()
        for graph in [derived_graph(store.iris), store.iris.inferred_graph,
                      *(store.iris.document_graph(k) for k in store.document_keys())]:
            for t in store.graph_triples(graph):
                data.add(t)
    ontology = load_ontology()
    report = validate_graph(data, ontology, SHAPES_FILE)
    with Store(tmp_path / "store") as store:  # `kg validate` checks the intervals too
        bad = (NamedNode("http://example.org/interval"), NamedNode(str(RDF.type)),
               NamedNode(str(CK.ControlInterval)))
        store.change_graph(derived_graph(store.iris), [bad], [])
        assert any("controller" in v.message for v in validate(store).errors)
    assert report.ok, report.format()
    # the shape can fail: an interval without its controller
    for t in list(data.triples((None, CK.controller, None))):
        data.remove(t)
    broken = validate_graph(data, ontology, SHAPES_FILE)
    assert any("controller" in v.message for v in broken.errors)


def test_readme_documents_the_queries_as_the_code_runs_them():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for query in (CONTROL_AT_QUERY, CONTESTED_QUERY):
        body = "\n".join(line for line in query.splitlines() if not line.startswith("#"))
        assert body in readme


def test_allies_capturing_together_hold_jointly_and_are_not_contested(tmp_path):
    docs = write_docs(tmp_path / "joint.jsonl", {"j": ("2024-12-02", [Cap("hts", "hama", "2024-12-01")])})
    with Store(tmp_path / "store") as store:
        build([docs], store, CaptureExtractor())
        event = rows(store, "SELECT ?e WHERE { ?e a ck:Capture }")[0]["e"]
        graph = store.iris.document_graph(store.document_keys()[0])
        # a second agent of the same capture, as the extractor writes a joint one
        store.change_graph(graph, [(NamedNode(event), NamedNode(str(CK.agent)),
                                    NamedNode("http://127.0.0.1:5000/entity/sdf"))], [])
        store.remove_graph(derived_graph(store.iris))
        update_control(store)
        holders = rows(store, "SELECT ?c WHERE { ?i a ck:ControlInterval ; ck:controller ?c }")
        assert len(holders) == 2
        assert rows(store, CONTESTED_QUERY) == []


@pytest.mark.slow
def test_a_store_shared_with_other_datasets_derives_intervals_from_its_own_captures(tmp_path, virtuoso,
                                                                                     monkeypatch):
    """A server-grade store may hold other datasets beside ours: their captures are not ours to derive from."""
    import uuid

    monkeypatch.setenv("KG_STATE_DIR", str(tmp_path / "notes"))
    ours = write_docs(tmp_path / "ours.jsonl", {"sdf": DOCS["sdf"]})
    theirs = write_docs(tmp_path / "theirs.jsonl", {k: DOCS[k] for k in ("hts", "army")})
    their_base, our_base = (f"http://kg-{uuid.uuid4().hex[:8]}.example/" for _ in range(2))
    with Store(virtuoso.store_url, base_iri=their_base) as other:
        build([theirs], other, CaptureExtractor())
    with Store(virtuoso.store_url, base_iri=our_base) as store:
        build([ours], store, CaptureExtractor())
        supports = rows(store, f"SELECT ?e WHERE {{ GRAPH <{derived_graph(store.iris)}> {{ ?i ck:supportedBy ?e }} }}")
        assert supports and all(r["e"].startswith(our_base) for r in supports), supports
