"""store: the embedded Oxigraph store (named graphs, atomic replacement, read-only access, snapshots), how
a --store value picks a backend, and the remote backend's HTTP behaviour against a scripted server."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from kg.errors import StoreError, StoreLockedError
from kg.store import Store, parse_location

G = URIRef("http://example.org/graph/doc/a")
T1 = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("one"))
T2 = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("two", lang="en"))


def test_put_graph_replaces_and_persists(tmp_path):
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
        store.put_graph(G, [T2])
    with Store(tmp_path / "s", read_only=True) as store:
        assert set(store.graph_triples(G)) == {T2}


def test_write_graphs_is_one_transaction(tmp_path):
    """Replacing one graph and adding to others (a document handing its entity triples over) lands whole or
    not at all."""
    g2, g3 = URIRef("http://example.org/graph/doc/b"), URIRef("http://example.org/graph/doc/c")
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
        store.write_graphs({G: [T2]}, {g2: [T1]})
        assert set(store.graph_triples(G)) == {T2} and set(store.graph_triples(g2)) == {T1}
        with pytest.raises(TypeError):
            store.write_graphs({G: []}, {g3: [T2], g2: [(T1[0], T1[1], object())]})
        assert set(store.graph_triples(G)) == {T2} and not store.contains_graph(g3)
        store.write_graphs({G: None}, {})
        assert not store.contains_graph(G)


def test_second_writer_gets_a_clear_error(tmp_path):
    with Store(tmp_path / "s"):
        with pytest.raises(StoreLockedError, match="another process"):
            Store(tmp_path / "s")


def test_read_only_store_refuses_writes_and_missing_store_is_named(tmp_path):
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
    with Store(tmp_path / "s", read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            store.put_graph(G, [T2])
    with pytest.raises(StoreError, match="nowhere"):
        Store(tmp_path / "nowhere", read_only=True)


def test_document_keys_and_has_document(tmp_path, extraction):
    from kg.mapping import map_extraction

    with Store(tmp_path / "s") as store:
        key = extraction.document.key
        store.put_graph(store.iris.document_graph(key), map_extraction(extraction, store.iris))
        assert store.document_keys() == [key]
        assert store.has_document(key, extraction.document.content_hash)
        assert not store.has_document(key, "0" * 64)
        assert not store.has_document("nope")


def test_load_named_graph_and_bad_file(tmp_path):
    f = tmp_path / "data.nt"
    f.write_text('<http://example.org/s> <http://example.org/p> "x" .\n')
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle")
    with Store(tmp_path / "s") as store:
        store.load(f, "http://example.org/g1")
        assert store.graph_size(URIRef("http://example.org/g1")) == 1
        with pytest.raises(StoreError, match="bad.ttl"):
            store.load(bad, "http://example.org/g2")
        assert store.graph_size(URIRef("http://example.org/g1")) == 1


def test_a_served_store_refuses_a_writer_and_a_written_store_refuses_readers(tmp_path):
    # RocksDB readers in other processes break while a writer compacts: the store lock keeps them apart
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
        with pytest.raises(StoreLockedError, match="being written"):
            Store(tmp_path / "s", read_only=True)
    with Store(tmp_path / "s", read_only=True), Store(tmp_path / "s", read_only=True):  # readers share
        with pytest.raises(StoreLockedError, match="kg serve"):
            Store(tmp_path / "s")
    Store(tmp_path / "s").close()  # released on close


# ---------------------------------------------------------------------------------------------- choosing
def test_a_url_is_never_taken_for_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for value in ("ftp://example.org/kg", "file:///tmp/kg", "HTTP//no-colon"):
        if "://" in value:
            with pytest.raises(StoreError, match="only http:// and https://"):
                Store(value)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with pytest.raises(StoreError, match="unknown option 'pages'"):
        parse_location("http://h/sparql#pages=3")


def test_store_urls_name_endpoints_credentials_and_options():
    spec = parse_location("http://dba:s%40cret@127.0.0.1:8890/sparql-auth", environ={})
    r = spec.remote
    assert spec.kind == "sparql" and (r.user, r.password) == ("dba", "s@cret")
    assert r.query_url == r.update_url == "http://127.0.0.1:8890/sparql-auth"
    assert r.graph_store_url == "http://127.0.0.1:8890/sparql-graph-crud-auth"  # Virtuoso's, derived
    assert "s@cret" not in repr(spec)
    r = parse_location("https://kg.example.org/ds/query#update=/ds/update&graph-store=/ds/data&timeout=5&page=500",
                       environ={"KG_STORE_USER": "me", "KG_STORE_PASSWORD": "pw", "KG_STORE_TOKEN": "t"}).remote
    assert (r.update_url, r.graph_store_url) == ("https://kg.example.org/ds/update", "https://kg.example.org/ds/data")
    assert (r.user, r.password, r.token, r.timeout, r.page_size) == ("me", "pw", "t", 5.0, 500)
    assert parse_location("http://h/ds/sparql", environ={}).remote.graph_store_url is None
    assert parse_location("http://h/sparql#graph-store=none", environ={}).remote.graph_store_url is None
    assert parse_location("kg-data").kind == "oxigraph"
    with pytest.raises(StoreError, match="timeout=x must be a number"):
        parse_location("http://h/sparql#timeout=x")


# ---------------------------------------------------------------------------------------------- protocol
class _Stub:
    """A SPARQL server on loopback that answers from a script and records what it was sent."""

    def __init__(self, replies: list[tuple[int, dict[str, str], bytes]]):
        import http.server
        import threading

        self.replies, self.requests = list(replies), []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append((self.command, self.path, dict(self.headers), body))
                status, headers, payload = stub.replies.pop(0) if stub.replies else (500, {}, b"no more replies")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


ASK_TRUE = (200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {}, "boolean": true}')
COUNT_0 = (200, {"Content-Type": "application/sparql-results+json"},
           b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "0", '
           b'"datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}')
BUSY = (503, {"Retry-After": "0"}, b"busy")


def test_reads_are_retried_after_transient_failures_and_updates_are_not(tmp_path):
    with _Stub([(204, {}, b""), BUSY, BUSY, ASK_TRUE, BUSY]) as stub:
        store = Store(f"{stub.url}/sparql#retries=3", read_only=False)  # opening probes with an update
        assert bool(store.query("ASK {}"))  # two 503s, then the answer
        assert [r[0] for r in stub.requests] == ["POST"] * 4
        with pytest.raises(StoreError, match="refused the update \\(503"):
            store.update("INSERT DATA { <http://a> <http://b> <http://c> }")  # sent once
        assert len(stub.requests) == 5
        store.close()


def test_basic_and_bearer_credentials(monkeypatch):
    import base64

    challenge = (401, {"WWW-Authenticate": 'Basic realm="kg"'}, b"")
    with _Stub([challenge, COUNT_0]) as stub:
        Store(f"http://me:pw@{stub.url.split('//')[1]}/sparql", read_only=True).close()
        assert "Authorization" not in stub.requests[0][2]
        assert stub.requests[1][2]["Authorization"] == "Basic " + base64.b64encode(b"me:pw").decode()
    monkeypatch.setenv("KG_STORE_TOKEN", "tok")
    with _Stub([COUNT_0]) as stub:
        Store(f"{stub.url}/sparql", read_only=True).close()
        assert stub.requests[0][2]["Authorization"] == "Bearer tok"


def test_a_partial_answer_is_never_taken_for_a_whole_one():
    anytime = (200, {"Content-Type": "application/sparql-results+json", "X-SQL-State": "S1TAT",
                     "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by result timeout."},
               COUNT_0[2])
    with _Stub([anytime]) as stub:
        with pytest.raises(StoreError, match="partial answer"):
            Store(f"{stub.url}/sparql", read_only=True)


# ---------------------------------------------------------------------------------------------- views, specs
def test_a_read_view_of_a_store_being_written_is_a_snapshot(tmp_path):
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
        with store.read_view() as view:
            store.put_graph(G, [T1, T2])
            assert set(view.graph_triples(G)) == {T1} and view.read_only
        assert set(store.graph_triples(G)) == {T1, T2}
    assert not [p for p in tmp_path.iterdir() if "view" in p.name]  # the snapshot is gone


def test_views_left_by_a_killed_writer_are_removed_by_the_next_writer(tmp_path):
    (tmp_path / ".s-view-abc123" / "snapshot").mkdir(parents=True)
    with Store(tmp_path / "s", read_only=False):
        pass
    assert not (tmp_path / ".s-view-abc123").exists()


def test_the_spec_pickles_and_opens_the_same_store_elsewhere(tmp_path):
    import pickle

    with Store(tmp_path / "s", base_iri="http://example.org/") as store:
        store.put_graph(G, [T1])
        spec = store.spec
    with pickle.loads(pickle.dumps(spec)).open() as again:
        assert set(again.graph_triples(G)) == {T1} and again.iris.base == "http://example.org/"
    with Store(tmp_path / "s") as store:
        snap = store.snapshot(tmp_path / "snap")
    with Store(tmp_path / "s"):  # the writer holds the lock; the snapshot needs none
        with pickle.loads(pickle.dumps(snap)).open() as view:
            assert set(view.graph_triples(G)) == {T1}


def test_notes_stay_out_of_the_rdf(tmp_path):
    with Store(tmp_path / "s") as store:
        assert store.read_note("n") is None
        store.write_note("n", "one")
        store.write_note("n", "two")
        assert store.read_note("n") == "two" and len(store) == 0
