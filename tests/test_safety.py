"""The endpoint faces the network: no outbound request or file read from a query, update or upload; every
query under a time limit; rows, bodies and writes capped or guarded; CORS off by default.

Outbound requests are detected with a local listener: a socket server on 127.0.0.1 that records every
connection (and would answer with valid RDF, so a fetch would succeed if it happened)."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import quote, urlencode

import pytest
from conftest import SAMPLE_TEXT, FakeExtractor

from kg.build import build
from kg.errors import ForbiddenOperationError, QueryError
from kg.namespaces import sparql_prologue
from kg.query import MAX_NESTING, QueryInfo, analyze, check_safe
from kg.store import Store
from server import create_app
from server.testing import LiveServer, http_request

TOKEN = "s3cret-token"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


class Listener:
    """Records connections to 127.0.0.1:port; answers each with a small Turtle document."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(4096))
                    body = b'<http://evil.example/s> <http://evil.example/p> "fetched" .\n'
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("safety")
    (d / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    s = Store(d / "store")
    build([d / "sample.txt"], s, FakeExtractor())
    yield s
    s.close()


def _server(store, **config):
    base = {"KG_TIMEOUT": 2, "KG_WORKERS": 2}
    return LiveServer(create_app(store=store, config={**base, **config}))


@pytest.fixture(scope="module")
def srv(store):
    """Writes enabled (token), small caps, CORS off."""
    with _server(store, KG_UPDATE_TOKEN=TOKEN, KG_MAX_ROWS=10, MAX_CONTENT_LENGTH=4096) as s:
        yield s


@pytest.fixture(scope="module")
def readonly_srv(store):
    """No token: writes are disabled."""
    with _server(store) as s:
        yield s


def query(srv, q: str, accept: str = "application/sparql-results+json", **params):
    url = f"{srv.url}/sparql?{urlencode({'query': q, **params}, doseq=True)}"
    return http_request(url, headers={"Accept": accept})


def update(srv, u: str, token: str | None = TOKEN):
    headers = {"Content-Type": "application/sparql-update"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http_request(f"{srv.url}/sparql", "POST", u, headers)


def count(srv) -> int:
    status, _, body = query(srv, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert status == 200
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def assert_no_connection(listener, wait: float = 0.3) -> None:
    time.sleep(wait)
    assert listener.connections == []


# ------------------------------------------------------------------------------------------ the check itself
@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "LOAD <http://example.org/data.ttl>",
    "LOAD SILENT <http://example.org/data.ttl> INTO GRAPH <http://g>",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "BASE <file:///etc/> SELECT * FROM <passwd> WHERE { ?s ?p ?o }",
    "PREFIX f: <FILE:///etc/> SELECT * WHERE { f:passwd ?p ?o }",
    # disguised SERVICE that got past the former hand-written scanner (issue: a real parse)
    'SELECT * WHERE { ?s ?p "x"@en.SERVICE <http://127.0.0.1:5698/> { ?a ?b ?c } }',
    "PREFIX ex: <http://e/> SELECT * WHERE { OPTIONAL { ?x ?y ex:a\\' } SERVICE <http://127.0.0.1:5698/> {?a ?b ?c} }",
    "SELECT * WHERE { ?s ?p ?o . SeRvIcE ?endpoint { ?a ?b ?c } }",
    "INSERT DATA { <http://a> <http://b> 1 } ; LOAD <http://127.0.0.1:5698/x.ttl>",
    "SELECT * WHERE { <\\u0066ile:///etc/passwd> ?p ?o }",
])
def test_check_safe_refuses(text):
    with pytest.raises(ForbiddenOperationError):
        check_safe(text)


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s ?p "SERVICE <http://x/> { }" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> and LOAD <http://y/>",
    "PREFIX ex: <http://example.org/> SELECT ?service WHERE { ?s ex:service ?service ; ex:load ?l }",
    "SELECT * WHERE { ?s <http://example.org/SERVICE> '''LOAD <file:///etc/passwd>''' }",
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o FILTER(?s < ?o) }",
])
def test_check_safe_allows_look_alikes(text):
    check_safe(text)


_PROLOGUE_TEXT = sparql_prologue()


@pytest.mark.parametrize("text,expected", [
    ("ASK {}", QueryInfo("ASK", False)),
    (_PROLOGUE_TEXT + "SELECT * FROM <http://g/> { ?s ?p ?o }", QueryInfo("SELECT", True)),
    ("PREFIX : <http://a/> BASE <http://b/> # SELECT in a comment\n CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
     QueryInfo("CONSTRUCT", False)),
    ("PREFIX from: <http://a/> SELECT * { ?s from:x ?o }", QueryInfo("SELECT", False)),
    ("prefix ex:<http://a/>base<http://b/>describe ex:x", QueryInfo("DESCRIBE", False)),
    ("SELECT ?x { { SELECT ?x { ?x ?p ?o } } } ", QueryInfo("SELECT", False)),
    ("INSERT DATA { <http://a> <http://b> 1 }", QueryInfo(None, False)),
])
def test_analyze_gives_form_and_from_from_the_parse_tree(text, expected):
    assert analyze(text) == expected


@pytest.mark.parametrize("text", ["SELECT * WHERE { ?s ?p ", "SELECT * { ?s ?p ?o } LIMT 5", "ASK { FILTER(?o > ) }",
                                  "SELECT * { <<( ?s ?p ?o )>> ?q ?r }"])
def test_what_does_not_parse_is_refused(text):
    with pytest.raises(SyntaxError, match=r"^error at \d+:\d+: "):
        analyze(text)


def test_nesting_and_length_are_capped_before_the_engine_parses():
    ok = "SELECT * WHERE " + "{" * (MAX_NESTING - 1) + "}" * (MAX_NESTING - 1)
    assert analyze(ok).form == "SELECT"
    deep = "SELECT * WHERE " + "{" * 50_000 + "}" * 50_000
    with pytest.raises(QueryError, match="nest"):
        analyze(deep)
    # brackets inside strings do not count, whatever the string holds
    assert analyze('SELECT * { ?s ?p ?o FILTER(?o = "' + "(" * 500 + '") }').form == "SELECT"
    with pytest.raises(QueryError, match="characters long"):
        analyze("ASK {} #" + "x" * (10 * 1024 * 1024))


# ------------------------------------------------------------------------------------------ no outbound requests
def test_service_refused_before_evaluation(srv, listener):
    status, _, body = query(srv, f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}")
    assert status == 400 and b"SERVICE" in body
    status, _, body = query(srv, f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}/sparql> {{ ?s ?p ?o }} }}")
    assert status == 400
    assert_no_connection(listener)


def test_keyword_in_string_is_not_refused(srv):
    status, _, _ = query(srv, 'SELECT * WHERE { ?s ?p "SERVICE" } LIMIT 1')
    assert status == 200


def test_from_and_dataset_parameters_select_stored_graphs_only(srv, listener):
    """FROM / FROM NAMED / default-graph-uri / named-graph-uri with a URL: Oxigraph fetches nothing."""
    status, _, body = query(srv, f"SELECT * FROM <{listener.url}/a.ttl> WHERE {{ ?s ?p ?o }}")
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    status, _, body = query(srv, f"SELECT * FROM NAMED <{listener.url}/b.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    status, _, body = query(srv, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": f"{listener.url}/c.ttl",
                                                                   "named-graph-uri": f"{listener.url}/d.ttl"})
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    assert_no_connection(listener)


def test_file_iris_refused(srv):
    for q in ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
              "BASE <file:///etc/> SELECT * WHERE { <passwd> ?p ?o }"):
        status, _, body = query(srv, q)
        assert status == 400 and b"file:" in body
    status, _, body = query(srv, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": "file:///etc/passwd"})
    assert status == 400


def test_load_refused_even_with_token(srv, listener, tmp_path):
    before = count(srv)
    status, _, body = update(srv, f"LOAD <{listener.url}/data.ttl>")
    assert status == 400 and b"LOAD" in body
    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://s> <http://p> <http://o> .\n")
    status, _, _ = update(srv, f"LOAD <{secret.as_uri()}> INTO GRAPH <http://g>")
    assert status == 400
    assert count(srv) == before
    assert_no_connection(listener)


def test_jsonld_remote_context_not_fetched(srv, listener):
    doc = json.dumps({"@context": f"{listener.url}/context.jsonld", "@id": "http://example.org/x", "name": "x"})
    status, _, body = http_request(f"{srv.url}/store?graph={quote('http://example.org/jsonld')}", "PUT", doc,
                                   {"Content-Type": "application/ld+json", "Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and b"remote @context" in body, body
    assert_no_connection(listener)


def test_rdfxml_with_doctype_refused(srv):
    xml = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY boom "boom boom boom"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/x"><ex:p>&boom;</ex:p></rdf:Description>
</rdf:RDF>"""
    before = count(srv)
    status, _, body = http_request(f"{srv.url}/store?graph={quote('http://example.org/xml')}", "PUT", xml,
                                   {"Content-Type": "application/rdf+xml", "Authorization": f"Bearer {TOKEN}"})
    assert status in (400, 415) and b"DOCTYPE" in body
    assert count(srv) == before


# ------------------------------------------------------------------------------------------ time limit
def test_pathological_query_is_stopped_while_others_are_served(srv):
    result: dict[str, object] = {}

    def slow() -> None:
        t0 = time.monotonic()
        result["status"], _, result["body"] = query(srv, SLOW)
        result["seconds"] = time.monotonic() - t0

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    # meanwhile other clients get answers from the other worker
    quick = []
    for _ in range(5):
        t0 = time.monotonic()
        status, _, _ = query(srv, "ASK { ?s ?p ?o }")
        quick.append((status, time.monotonic() - t0))
    t.join(timeout=20)
    assert not t.is_alive()
    assert all(s == 200 for s, _ in quick)
    assert max(d for _, d in quick) < 1.5
    assert result["status"] == 503 and b"time limit" in result["body"]
    assert 1.5 < result["seconds"] < 8
    # the killed worker was replaced: the endpoint still answers
    status, _, _ = query(srv, "ASK { ?s ?p ?o }")
    assert status == 200


# ------------------------------------------------------------------------------------------ caps
def test_rows_capped(srv):
    status, headers, body = query(srv, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == 10
    assert headers["x-kg-truncated"] == "true"
    status, headers, body = query(srv, "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples")
    assert status == 200 and len(body.decode().strip().splitlines()) == 10
    assert headers["x-kg-truncated"] == "true"
    status, headers, body = query(srv, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    assert len(json.loads(body)["results"]["bindings"]) == 3 and "x-kg-truncated" not in headers


def test_request_body_capped(srv):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 10_000
    status, _, _ = http_request(f"{srv.url}/sparql", "POST", big, {"Content-Type": "application/sparql-query"})
    assert status == 413
    status, _, _ = http_request(f"{srv.url}/sparql", "POST", urlencode({"query": big}),
                                {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413


# ------------------------------------------------------------------------------------------ writes need the token
def test_update_without_token_configured_is_forbidden(readonly_srv):
    before = count(readonly_srv)
    status, _, body = update(readonly_srv, "CLEAR ALL", token=None)
    assert status == 403 and b"update-token" in body
    status, _, _ = update(readonly_srv, "CLEAR ALL", token="guess")
    assert status == 403
    status, _, _ = http_request(f"{readonly_srv.url}/store?default", "PUT", "<http://a> <http://b> <http://c> .",
                                {"Content-Type": "application/n-triples"})
    assert status == 403
    assert count(readonly_srv) == before


def test_update_needs_the_right_bearer_token(srv):
    before = count(srv)
    status, headers, _ = update(srv, "CLEAR ALL", token=None)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    status, _, _ = update(srv, "CLEAR ALL", token="wrong")
    assert status == 401
    status, _, _ = http_request(f"{srv.url}/store?graph={quote('http://example.org/t')}", "DELETE")
    assert status == 401
    assert count(srv) == before
    status, _, _ = update(srv, "INSERT DATA { GRAPH <http://example.org/t> { <http://a> <http://b> 1 } }")
    assert status == 204
    assert count(srv) == before + 1
    status, _, _ = update(srv, "DROP GRAPH <http://example.org/t>")
    assert status == 204 and count(srv) == before


# ------------------------------------------------------------------------------------------ CORS
def test_cors_off_by_default(srv):
    status, headers, _ = http_request(f"{srv.url}/sparql?query=ASK%7B%7D", headers={"Origin": "https://a.example"})
    assert status == 200 and "access-control-allow-origin" not in headers


def test_cors_configurable(store):
    with _server(store, KG_CORS_ORIGIN="https://yasgui.example") as s:
        status, headers, _ = http_request(f"{s.url}/sparql?query=ASK%7B%7D", headers={"Origin": "https://yasgui.example"})
        assert status == 200 and headers["access-control-allow-origin"] == "https://yasgui.example"
        status, headers, _ = http_request(f"{s.url}/sparql", "OPTIONS", headers={
            "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert status == 200 and "POST" in headers["access-control-allow-methods"]
        assert "Content-Type" in headers["access-control-allow-headers"]


def test_page_urls_cannot_inject_sparql(srv, listener):
    for path in ("/entity/x%3E%20%3Fp%20%3Fo%20%7D%20UNION%20%7B%20SERVICE%20%3C" + quote(listener.url, safe="")
                 + "%3E%20%7B%20%3Fs%20%3Fp%20%3Fo", "/doc/x%3E%7D", "/event/x%22%7B"):
        status, _, _ = http_request(srv.url + path)
        assert status == 404
    assert_no_connection(listener)


def test_dead_worker_is_replaced(srv):
    pool = srv.app.extensions["kg_pool"]
    assert query(srv, "ASK { ?s ?p ?o }")[0] == 200
    for w in list(pool._all):
        w.process.kill()
        w.process.wait(timeout=5)
    for _ in range(3):
        assert query(srv, "ASK { ?s ?p ?o }")[0] == 200
    assert len(pool._all) == pool.size


def test_write_does_not_wait_for_a_long_query(srv):
    """Workers read snapshots, so a write neither waits for running queries nor disturbs them."""
    t = threading.Thread(target=lambda: query(srv, SLOW))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    status, _, _ = update(srv, "INSERT DATA { GRAPH <http://example.org/w> { <http://a> <http://b> 2 } }")
    assert status == 204 and time.monotonic() - t0 < 1.5
    status, _, body = query(srv, "ASK { GRAPH <http://example.org/w> { <http://a> <http://b> 2 } }")
    assert json.loads(body)["boolean"] is True
    assert update(srv, "DROP GRAPH <http://example.org/w>")[0] == 204
    t.join(timeout=20)


def test_pathological_update_is_stopped_and_changes_nothing(srv):
    """An update is first tried on a throw-away snapshot in a killable worker, under the time limit."""
    before = count(srv)
    t0 = time.monotonic()
    status, _, body = update(srv, "INSERT { GRAPH <http://example.org/boom> { ?a <http://example.org/p> ?l } } "
                                  "WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } GRAPH ?g3 { ?g ?h ?i } "
                                  "GRAPH ?g4 { ?j ?k ?l } GRAPH ?g5 { ?m ?n ?o } }")
    assert status == 503 and b"time limit" in body and b"nothing was changed" in body
    assert time.monotonic() - t0 < 8
    assert count(srv) == before
    assert query(srv, "ASK { ?s ?p ?o }")[0] == 200
