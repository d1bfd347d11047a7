"""Bad input never crashes a build nor loses what was stored: URLs that are not IRIs, bad JSONL fields,
unreadable folders, entity-expansion RDF/XML, a cleared inferred graph."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, FakeExtractor, build_sample_store

from kg.build import STATE_NOTE, build
from kg.errors import InputError
from kg.records import Document
from kg.sources import read_documents
from kg.store import Store

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "Rebels captured the town of Kafr Nabl on Monday."


def _jsonl(tmp_path: Path, rows: list) -> Path:
    p = tmp_path / "feed.jsonl"
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("field,value,message", [
    ("url", "http://e.com/a b", "not a valid IRI"),
    ("url", 5, "must be a string"),
    ("url", "javascript:alert(1)", "not an http(s) URL"),
    ("date", "2024-13-45", "not an ISO 8601 date"),
    ("date", "not-a-date", "not an ISO 8601 date"),
    ("date", 20241203, "must be a string"),
    ("title", {"en": "a title"}, "must be a string"),
    ("id", ["a", "b"], "must be a string or a number"),
])
def test_bad_jsonl_field_is_one_error_naming_file_line_and_field(tmp_path, field, value, message):
    p = _jsonl(tmp_path, [{"text": ARTICLE, field: value}, {"text": ARTICLE + " Again.", "date": "2024-12-03"}])
    items = list(read_documents([p]))
    assert isinstance(items[0], InputError) and isinstance(items[1], Document)
    assert str(items[0]).startswith(f"{p}:1: field \"{field}\"") and message in str(items[0])
    assert "\n" not in str(items[0])


@pytest.mark.parametrize("date", ["2024", "2024-12", "2024-12-03", "2024-12-03T10:00:00Z", "2024-12-03T10:00+02:00"])
def test_good_dates_are_kept(tmp_path, date):
    [doc] = read_documents([_jsonl(tmp_path, [{"text": ARTICLE, "date": date, "id": 7}])])
    assert isinstance(doc, Document) and doc.date == date and doc.id == "7"


def test_html_canonical_link_that_is_not_an_iri(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(f"""<html><head><title>T</title><link rel="canonical" href="https://news.exa mple.org/a">
</head><body><article><p>{ARTICLE} {ARTICLE} The group said so in a statement published later that day,
and residents confirmed the account to reporters by phone from the countryside.</p></article></body></html>""")
    [err] = list(read_documents([page]))
    assert isinstance(err, InputError) and err.where == str(page) and 'field "url"' in str(err)


def test_build_goes_on_past_a_bad_url_and_keeps_its_graphs(tmp_path):
    feed = _jsonl(tmp_path, [{"text": ARTICLE, "url": "http://e.com/a b"}, {"text": SAMPLE_TEXT},
                             {"text": ARTICLE, "url": 5}])
    with Store(tmp_path / "store") as store:
        report = build([feed], store, FakeExtractor())
        assert [e.where for e in report.failed] == [f"{feed}:1", f"{feed}:3"]
        assert len(report.ingested) == 1 and report.reasoned
        assert store.graph_size(store.iris.ontology_graph) > 0
        assert store.graph_size(store.iris.inferred_graph) > 0


def test_unreadable_subfolder_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "ok.txt").write_text(ARTICLE)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.txt").write_text(ARTICLE)
    real = os.scandir

    def scandir(path="."):
        if Path(path) == locked:  # tests run as root, which chmod cannot lock out
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(read_documents([tmp_path]))
    errors = [i for i in items if isinstance(i, InputError)]
    assert [i.id for i in items if isinstance(i, Document)] == ["ok"]
    assert len(errors) == 1 and errors[0].where == str(locked) and "Permission denied" in str(errors[0])


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "laugh laugh laugh laugh laugh laugh laugh laugh laugh laugh">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"> <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"> <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/x"><ex:p>&i;</ex:p></rdf:Description>
</rdf:RDF>
"""


def _one_gigabyte() -> None:  # so that, were the entities expanded, the test process would not be the victim
    resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, 1 << 30))


def test_kg_load_refuses_entity_expansion(tmp_path):
    store = build_sample_store(tmp_path)
    with Store(store, read_only=True) as s:
        before = len(s)
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(BILLION_LAUGHS)
    res = subprocess.run([sys.executable, "-m", "kg", "load", str(bomb), "--graph", "http://example.org/g",
                          "--store", str(store)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         preexec_fn=_one_gigabyte)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "DOCTYPE" in res.stderr, res.stderr
    with Store(store, read_only=True) as s:
        assert len(s) == before


def test_cleared_or_edited_inferred_graph_is_restored_exactly(tmp_path):
    store_path = build_sample_store(tmp_path)
    with Store(store_path) as store:
        inferred = store.iris.inferred_graph
        expected = set(store.graph_triples(inferred))
        assert expected
        for damage in (f"CLEAR GRAPH <{inferred}>",
                       f"DELETE WHERE {{ GRAPH <{inferred}> {{ ?s a ?c }} }} ; "
                       f"INSERT DATA {{ GRAPH <{inferred}> {{ <http://x/a> <http://x/b> <http://x/c> }} }}"):
            store.update(damage)
            report = build([tmp_path / "sample.txt"], store, FakeExtractor())
            assert report.reasoned and set(store.graph_triples(inferred)) == expected
        (store.path / STATE_NOTE).unlink()  # no record of what was reasoned: the whole closure, schema level included
        store.update(f"CLEAR GRAPH <{inferred}>")
        build([tmp_path / "sample.txt"], store, FakeExtractor())
        assert set(store.graph_triples(inferred)) == expected
        report = build([tmp_path / "sample.txt"], store, FakeExtractor())
        assert not report.reasoned  # intact: nothing to redo
