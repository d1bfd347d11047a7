"""The build pipeline: idempotent, replace by URL, skip by content, remove, atomic per document, resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import SAMPLE_TEXT, FakeExtractor, make_extraction

from kg.build import STATE_NOTE, build, find_documents, pending_inferences, remove_document
from kg.cli import main
from kg.control import derived_graph
from kg.errors import InputError
from kg.layout import document_statements
from kg.mapping import map_extraction
from kg.records import Document, Extraction
from kg.store import Store, triples_to_quads

TESTS = Path(__file__).resolve().parent
BUILD_MODULE = sys.modules["kg.build"]  # `kg.build` is also the re-exported function


def variant(i: int) -> str:
    """SAMPLE_TEXT with a distinct tail, so make_extraction gives a full graph for each document."""
    return f"{SAMPLE_TEXT} Report number {i}."


class RichFakeExtractor(FakeExtractor):
    """Gives every document the sample's entities and relations (FakeExtractor only does for SAMPLE_TEXT)."""

    def __init__(self, model=None, delay: float = 0.0):
        self.delay = delay

    def pipe(self, docs, n_process=1, batch_size=64):
        for d in docs:
            if self.delay:
                time.sleep(self.delay)
            ex = make_extraction(d.text, d.id) if d.text.startswith(SAMPLE_TEXT) else Extraction(d)
            yield Extraction(d, ex.entities, ex.relations)


def quads(store: Store) -> set[str]:
    return {str(q) for q in store.quads()}


def expected_graph(store: Store, doc: Document) -> set[str]:
    ex = next(RichFakeExtractor().pipe([doc]))
    mem = ox.Store()  # canonicalises literals ("0.90"^^xsd:decimal → "0.9") as the on-disk store does
    mem.extend(triples_to_quads(map_extraction(ex, store.iris), store.iris.document_graph(doc.key)))
    return {str(q) for q in mem}


def stored_graph(store: Store, key: str) -> set[str]:
    """What the stored document states (its graph holds each shared triple only when no other does)."""
    g = ox.NamedNode(str(store.iris.document_graph(key)))
    return {str(ox.Quad(*t, g)) for t in document_statements(store, key)}


def write_corpus(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"doc{i:03d}.txt"
        p.write_text(variant(i))
        paths.append(p)
    return paths


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store") as s:
        yield s


# ------------------------------------------------------------------------------------ idempotence
def test_rebuild_changes_nothing(tmp_path, store):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 4)
    first = build([corpus], store, RichFakeExtractor())
    assert len(first.ingested) == 4 and first.ok and first.reasoned and first.triples_inferred > 0
    before = quads(store)
    again = build([corpus], store, RichFakeExtractor())
    assert again.ingested == [] and len(again.skipped) == 4 and not again.reasoned
    assert quads(store) == before
    assert "ingested 0, skipped 4 (already stored), failed 0" in again.summary()


def test_same_text_from_another_path_or_twice_in_one_run_is_skipped(tmp_path, store):
    a, b, c = tmp_path / "a.txt", tmp_path / "sub" / "b.txt", tmp_path / "c.txt"
    b.parent.mkdir()
    for p in (a, b, c):
        p.write_text(variant(1))
    report = build([a, b], store, RichFakeExtractor(), run_reasoner=False)
    assert report.ingested == [str(a)] and report.skipped == [str(b)]
    report = build([c], store, RichFakeExtractor(), run_reasoner=False)
    assert report.skipped == [str(c)]
    assert len(store.document_keys()) == 1


def test_same_text_under_another_url_is_skipped(tmp_path, store):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": variant(1), "url": "https://a.example/1"}) + "\n"
                    + json.dumps({"text": variant(1), "url": "https://b.example/mirror"}) + "\n")
    report = build([feed], store, RichFakeExtractor(), run_reasoner=False)
    assert report.ingested == [f"{feed}:1"] and report.skipped == [f"{feed}:2"]


def test_same_url_new_text_replaces(tmp_path, store):
    url = "https://news.example.org/2024/12/kafr-nabl"
    v1, v2 = tmp_path / "v1.jsonl", tmp_path / "v2.jsonl"
    v1.write_text(json.dumps({"id": "k", "text": variant(1), "url": url, "title": "First"}) + "\n")
    v2.write_text(json.dumps({"id": "k", "text": variant(2), "url": url, "title": "Updated"}) + "\n")
    build([v1], store, RichFakeExtractor())
    [key] = store.document_keys()
    report = build([v2], store, RichFakeExtractor())
    assert report.replaced == [f"{v2}:1"] and report.ingested == [f"{v2}:1"] and report.reasoned
    assert store.document_keys() == [key]
    doc2 = Document(id="k", text=variant(2), path=str(v2), line=1, url=url, title="Updated")
    assert stored_graph(store, key) == expected_graph(store, doc2)
    assert pending_inferences(store) == ([], [])
    assert "(1 replaced)" in report.summary()


def test_document_metadata_lands_as_dublin_core(tmp_path, store):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "m1", "text": variant(1), "title": "T", "date": "2024-12-02",
                                "url": "https://e.org/1", "source": "Example", "author": "A. Writer"}) + "\n")
    build([feed], store, RichFakeExtractor(), run_reasoner=False)
    rows = store.query("""PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?t ?d ?u ?p ?c ?id WHERE { GRAPH ?g { ?doc dcterms:title ?t ; dcterms:date ?d ; dcterms:source ?u ;
        dcterms:publisher ?p ; dcterms:creator ?c ; dcterms:identifier ?id } }""")
    [row] = list(rows)
    assert [row[v].value for v in ("t", "d", "u", "p", "c", "id")] == [
        "T", "2024-12-02", "https://e.org/1", "Example", "A. Writer", "m1"]


# ------------------------------------------------------------------------------------ removal
def test_remove_document_by_id_path_key_and_url(tmp_path, store):
    corpus = tmp_path / "corpus"
    paths = write_corpus(corpus, 3)
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "u1", "text": variant(9), "url": "https://e.org/u1"}) + "\n")
    build([corpus, feed], store, RichFakeExtractor())
    keys = store.document_keys()
    assert len(keys) == 4
    key0 = Document(id="doc000", text=variant(0)).key

    msg = remove_document(store, "doc000")
    assert msg.startswith("removed document " + key0) and "\n" not in msg
    assert key0 not in store.document_keys()
    remove_document(store, str(paths[1]))
    remove_document(store, Document(id="doc002", text=variant(2)).key)
    remove_document(store, "https://e.org/u1")
    assert store.document_keys() == []
    # inferences were brought up to date: nothing inferred about the removed documents' events remains
    inferred = store.graph_size(store.iris.inferred_graph)
    assert pending_inferences(store) == ([], [])
    captured = store.query("ASK { GRAPH ?g { ?a <https://w3id.org/conflict-kg/ontology#captured> ?p } }")
    assert not bool(captured), inferred
    with pytest.raises(InputError, match="no such document in the store"):
        remove_document(store, "doc000")


def test_remove_inferences_of_only_that_document(tmp_path, store):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(variant(1))
    b.write_text("An unrelated short note without facts.")
    build([a, b], store, RichFakeExtractor())
    ask = "ASK { GRAPH ?g { ?a <https://w3id.org/conflict-kg/ontology#captured> ?p } }"
    assert bool(store.query(ask))
    remove_document(store, "b")
    assert bool(store.query(ask))  # a's facts and inferences stay
    remove_document(store, "a")
    assert not bool(store.query(ask))


def test_ambiguous_id_asks_for_a_path(tmp_path, store):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "same.txt").write_text(variant(1))
    (tmp_path / "y" / "same.txt").write_text(variant(2))
    build([tmp_path / "x", tmp_path / "y"], store, RichFakeExtractor(), run_reasoner=False)
    with pytest.raises(InputError, match="2 stored documents have this id"):
        find_documents(store, "same")
    assert len(find_documents(store, str(tmp_path / "x" / "same.txt"))) == 1


# ------------------------------------------------------------------------------------ atomicity and resume
def test_failed_write_leaves_no_partial_document(tmp_path, store, monkeypatch):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 3)
    real = BUILD_MODULE.map_document

    def broken(ex, iris):
        own, shared = real(ex, iris)
        if ex.document.id == "doc001":
            own.append((own[0][0], own[0][1], object()))  # not an RDF term: the write fails
        return own, shared

    monkeypatch.setattr(BUILD_MODULE, "map_document", broken)
    with pytest.raises(TypeError):
        build([corpus], store, RichFakeExtractor())
    assert len(store.document_keys()) == 1  # doc000 whole, doc001 absent, doc002 never reached
    monkeypatch.setattr(BUILD_MODULE, "map_document", real)
    report = build([corpus], store, RichFakeExtractor())
    assert len(report.ingested) == 2 and len(report.skipped) == 1 and report.reasoned


def test_interrupted_before_reasoning_is_caught_up_by_the_next_build(tmp_path, store):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    build([corpus], store, RichFakeExtractor(), run_reasoner=False)  # as if killed before reasoning
    assert len(pending_inferences(store)[0]) == 2
    report = build([corpus], store, RichFakeExtractor())
    assert report.ingested == [] and report.reasoned and report.triples_inferred > 0
    assert pending_inferences(store) == ([], [])


def test_bookkeeping_stays_out_of_the_rdf_data_and_a_lost_state_file_is_recovered(tmp_path, store):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    build([corpus], store, RichFakeExtractor())
    graphs = {g.value for g in store.graphs()}
    assert graphs == {str(store.iris.document_graph(k)) for k in store.document_keys()} | {
        str(store.iris.ontology_graph), str(store.iris.inferred_graph), derived_graph(store.iris)}
    inferred = quads(store)
    (store.path / STATE_NOTE).unlink()
    assert len(pending_inferences(store)[0]) == 2
    report = build([corpus], store, RichFakeExtractor())
    assert report.reasoned and quads(store) == inferred and pending_inferences(store) == ([], [])
    (store.path / STATE_NOTE).write_text("{not json")
    assert len(pending_inferences(store)[0]) == 2


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_build import RichFakeExtractor
from kg.build import build
from kg.store import Store

with Store({store!r}) as store:
    build([{corpus!r}], store, RichFakeExtractor(delay=0.04), batch_size=1,
          on_document=lambda d: print("stored", d.id, flush=True))
print("done", flush=True)
"""


def test_kill_9_mid_build_loses_nothing_committed_and_the_next_build_resumes(tmp_path):
    n = 60
    corpus = tmp_path / "corpus"
    paths = write_corpus(corpus, n)
    store_path = tmp_path / "store"
    script = tmp_path / "run_build.py"
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS), store=str(store_path), corpus=str(corpus)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=str(tmp_path))
    try:
        seen = 0
        deadline = time.monotonic() + 60
        while seen < 10 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line.startswith("stored")
        assert seen == 10, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    with Store(store_path) as store:  # RocksDB recovers from its write-ahead log
        keys = store.document_keys()
        assert 10 <= len(keys) < n
        docs = {Document(id=p.stem, text=p.read_text(), path=str(p)).key: Document(id=p.stem, text=p.read_text(),
                                                                                  path=str(p)) for p in paths}
        for key in keys:  # every stored document is whole
            assert stored_graph(store, key) == expected_graph(store, docs[key]), key
        report = build([corpus], store, RichFakeExtractor())
        assert len(report.ingested) == n - len(keys) and len(report.skipped) == len(keys) and report.ok
        assert len(store.document_keys()) == n and report.reasoned
        assert pending_inferences(store) == ([], [])


# ------------------------------------------------------------------------------------ CLI
def test_cli_build_mixed_inputs_exit_status_and_summary(tmp_path, monkeypatch, capsys):
    import kg.nlp

    monkeypatch.setattr(kg.nlp, "Extractor", RichFakeExtractor, raising=False)
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    (corpus / "binary.txt").write_bytes(b"\x00\x01" * 50)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "feed.jsonl").write_text(json.dumps({"text": variant(7)}) + "\n{broken\n")
    store_path = str(tmp_path / "store")

    code = main(["build", str(corpus), "--store", store_path, "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"kg: error: {corpus / 'binary.txt'}: binary file" in err
    assert f"kg: error: {corpus / 'empty.txt'}: empty" in err
    assert f"kg: error: {corpus / 'feed.jsonl'}:2: malformed JSON" in err
    assert "ingested 3, skipped 0 (already stored), failed 3" in err

    (corpus / "binary.txt").unlink()
    (corpus / "empty.txt").unlink()
    (corpus / "feed.jsonl").write_text(json.dumps({"text": variant(7)}) + "\n")
    code = main(["build", str(corpus), "--store", store_path, "--quiet"])
    err = capsys.readouterr().err
    assert code == 0 and "ingested 0, skipped 3 (already stored), failed 0" in err


def test_cli_remove(tmp_path, monkeypatch, capsys):
    import kg.nlp

    monkeypatch.setattr(kg.nlp, "Extractor", RichFakeExtractor, raising=False)
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    store_path = str(tmp_path / "store")
    assert main(["build", str(corpus), "--store", store_path, "-q"]) == 0
    assert main(["remove", "doc000", "--store", store_path]) == 0
    assert "removed document" in capsys.readouterr().err
    assert main(["remove", "doc000", "--store", store_path]) == 1
    assert "kg: error: doc000: no such document in the store" in capsys.readouterr().err


def test_workers_are_passed_to_the_extractor(tmp_path, store):
    seen = {}

    class Spy(RichFakeExtractor):
        def pipe(self, docs, n_process=1, batch_size=64):
            seen["n_process"], seen["batch_size"] = n_process, batch_size
            return super().pipe(docs, n_process, batch_size)

    write_corpus(tmp_path / "c", 1)
    build([tmp_path / "c"], store, Spy(), workers=2, batch_size=8, run_reasoner=False)
    assert seen == {"n_process": 2, "batch_size": 8}


def test_progress_learns_the_total(tmp_path, store):
    from kg.progress import Progress

    write_corpus(tmp_path / "c", 3)
    (tmp_path / "c" / "bad.txt").write_bytes(b"")
    with Progress(enabled=False) as progress:
        build([tmp_path / "c"], store, RichFakeExtractor(), run_reasoner=False,
              on_error=lambda e: progress.error(str(e)), on_document=progress.advance,
              on_total=progress.set_total)
    assert progress.total == 4 and progress.done == 4 and progress.errors == 1
