"""The whole path as a user runs it: seed article → `kg build` → `kg serve` (waitress) → HTTP SPARQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KG = [sys.executable, "-m", "kg"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sparql(port: int, query: str) -> dict:
    url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": query})
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        return json.load(resp)


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("kg") / "store"
    corpus = tmp_path_factory.mktemp("seeds")
    for f in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(f, corpus)
    run = subprocess.run(KG + ["build", str(corpus), "--store", str(store)], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "ingested 1" in run.stderr
    # idempotent: a second build changes nothing
    again = subprocess.run(KG + ["build", str(corpus), "--store", str(store)], capture_output=True, text=True,
                           timeout=600, cwd=ROOT)
    assert again.returncode == 0 and "ingested 0, skipped 1" in again.stderr
    return store


@pytest.fixture(scope="module")
def server(seed_store, tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("log") / "serve.log", "w+")  # noqa: SIM115 - closed at teardown
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(KG + ["serve", "--store", str(seed_store), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"kg serve exited: {log.read()}")
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("kg serve did not start listening")
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_quad_count_over_http_is_positive(server):
    res = sparql(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(res["results"]["bindings"][0]["n"]["value"]) > 100


def test_captured_shortcut_is_inferred_and_served(server):
    res = sparql(server, """
        SELECT ?who ?place WHERE {
          GRAPH <http://127.0.0.1:5000/graph/inferred> { ?a ck:captured ?p }
          ?a rdfs:label ?who . ?p rdfs:label ?place }""")
    places = {b["place"]["value"] for b in res["results"]["bindings"]}
    assert places, "no captured facts inferred from the seed"


def test_every_event_cites_its_sentence_and_document(server):
    res = sparql(server, """
        SELECT (COUNT(?e) AS ?n) (COUNT(?sentence) AS ?with) WHERE {
          ?e a ck:Event . ?e ck:agent ?x . OPTIONAL { ?e ck:sentence ?sentence ; ck:source ?d . ?d a ck:Document }
        }""")
    row = res["results"]["bindings"][0]
    assert int(row["n"]["value"]) > 0 and row["n"]["value"] == row["with"]["value"]


def test_cli_query_reads_the_same_store(seed_store):
    out = subprocess.run(KG + ["query", "ASK { ?s ck:capturedBy ?o }", "--store", str(seed_store)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "true"
