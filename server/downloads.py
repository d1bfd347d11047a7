"""Dataset downloads: the dataset IRI (``/dataset``) with content negotiation, the VoID description and the
published JSON-LD context.

GET /dataset                 Accept: text/turtle, application/n-quads, application/trig, application/ld+json,
                             application/rdf+xml, application/n-triples → the dump, streamed;
                             text/html → a page listing the downloads and a VoID summary.
                             ?format=NAME (any ``kg export`` format) overrides Accept; ?graphs=asserted|inferred|all.
GET /.well-known/void        → the VoID description (Turtle); also /dataset?format=void.
GET /context.jsonld          → ontology/context.jsonld, the context the JSON-LD dump is compacted with.
"""

from __future__ import annotations

import html
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, request, url_for

from kg.errors import QueryTimeoutError
from kg.export import CONTEXT_FILE, EXPORTERS, GRAPH_SELECTIONS
from kg.store import Store

from .executor import QueryBusyError
from .pages import dataset_stats
from .sparql import client_key

bp = Blueprint("downloads", __name__)

# media type → export format, in the order used when the client accepts anything (*/*)
NEGOTIABLE: dict[str, str] = {
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xml",
}
HTML = "text/html"
CHUNK = 64 * 1024
_ROOT = str(Path(__file__).resolve().parents[1])
_log = logging.getLogger(__name__)


def _store() -> Store:
    return current_app.extensions["kg_store"]


_DUMPS_LOCK = threading.Lock()
_DUMPS: dict[str, int] = {}  # client → dumps streaming now


def stream_dump(fmt: str, graphs: str, client: str) -> Iterator[bytes]:
    """Run the export in a confined process (``server/_dump.py``) under the query time limit and memory cap,
    and yield its output. One dump at a time per client; the process starts on the first ``next()`` (a HEAD
    request or an unread response costs nothing) and is killed when the time limit passes or the client
    goes away (the response then ends short, which the client sees as an incomplete body)."""
    app = current_app._get_current_object()
    pool = app.extensions["kg_pool"]
    with _DUMPS_LOCK:
        if _DUMPS.get(client, 0) >= 1:
            raise QueryBusyError("one download at a time per client address; try again when it is done")
    base_iri = _store().iris.base

    def body() -> Iterator[bytes]:
        with _DUMPS_LOCK:
            _DUMPS[client] = _DUMPS.get(client, 0) + 1
        path = pool.pin_read_path()
        config = json.dumps({"store": path, "format": fmt, "graphs": graphs, "base_iri": base_iri,
                             "memory_bytes": pool.memory_bytes})
        proc = subprocess.Popen([sys.executable, "-I", "-m", "server._dump", config], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, cwd=_ROOT)
        deadline = time.monotonic() + pool.timeout
        poller = select.poll()
        poller.register(proc.stdout.fileno(), select.POLLIN)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not poller.poll(int(left * 1000) + 1):
                    app.logger.error("download stopped: it ran past the time limit of %g s", pool.timeout)
                    return
                chunk = os.read(proc.stdout.fileno(), CHUNK)
                if not chunk:
                    if proc.wait() != 0:
                        app.logger.error("download failed (exit status %s)", proc.returncode)
                    return
                yield chunk
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            pool.unpin_read_path(path)
            _release_dump(client)

    return body()


def _release_dump(client: str) -> None:
    with _DUMPS_LOCK:
        _DUMPS[client] -= 1
        if not _DUMPS[client]:
            del _DUMPS[client]


def _choose_format() -> str | None:
    fmt = request.args.get("format")
    if fmt:
        return fmt
    if not request.accept_mimetypes:  # no Accept header: anything goes (RFC 9110 §12.5.1)
        return "nquads"
    # */* gets N-Quads (the whole dataset); browsers name text/html explicitly and get the page
    best = request.accept_mimetypes.best_match([*NEGOTIABLE, HTML])
    if best is None:
        return None
    return "html" if best == HTML else NEGOTIABLE[best]


@bp.route("/dataset", methods=["GET"])
def dataset() -> Response:
    fmt = _choose_format()
    if fmt is None:
        return Response("not acceptable: offer " + ", ".join([*NEGOTIABLE, HTML]) + "\n", status=406,
                        mimetype="text/plain", headers={"Vary": "Accept"})
    if fmt == "html":
        return Response(_html_page(), mimetype=HTML, headers={"Vary": "Accept"})
    exporter = EXPORTERS.get(fmt)
    graphs = request.args.get("graphs", "all")
    if exporter is None or graphs not in GRAPH_SELECTIONS:
        return Response(f"unknown format {fmt!r} or graphs {graphs!r}: formats {', '.join(EXPORTERS)}; "
                        f"graphs {', '.join(GRAPH_SELECTIONS)}\n", status=400, mimetype="text/plain")
    suffix = "" if graphs == "all" else f"-{graphs}"
    headers = {
        "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="conflict-kg{suffix}.{exporter.extension}"',
        "X-Content-Type-Options": "nosniff",
    }
    try:
        body = stream_dump(fmt, graphs, client_key())
    except QueryTimeoutError as e:
        return Response(f"{e}\n", status=503, mimetype="text/plain", headers={"Retry-After": "5"})
    mimetype = exporter.media_type
    if mimetype.startswith("text/") or mimetype.endswith(("+xml", "+json", "/n-quads", "/n-triples", "/trig")):
        mimetype += "; charset=utf-8"
    return Response(body, content_type=mimetype, headers=headers)


@bp.route("/.well-known/void", methods=["GET"])
def well_known_void() -> Response:
    return redirect(url_for("downloads.dataset", format="void"), code=303)


@bp.route("/context.jsonld", methods=["GET"])
def context() -> Response:
    return Response(CONTEXT_FILE.read_bytes(), mimetype="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*"})


def _html_page() -> str:
    store = _store()
    s = dataset_stats()
    dataset_iri = html.escape(str(store.iris.dataset))
    rows = []
    for name, exp in EXPORTERS.items():
        href = html.escape(url_for("downloads.dataset", format=name))
        rows.append(f"<tr><td><a href=\"{href}\">{html.escape(name)}</a></td><td><code>{html.escape(exp.media_type)}"
                    f"</code></td><td>{html.escape(exp.description)}</td></tr>")
    graphs = " ".join(
        f"<a href=\"{html.escape(url_for('downloads.dataset', format='nquads', graphs=g))}\">{g}</a>"
        for g in GRAPH_SELECTIONS)
    return f"""<!doctype html>
<html lang="en" class="downloads"><head><meta charset="utf-8"><title>Conflict-news knowledge graph: downloads</title>
<link rel="stylesheet" href="{html.escape(url_for('pages.static', filename='style.css'))}">
</head><body>
<h1>Conflict-news knowledge graph</h1>
<p>Dataset <code>{dataset_iri}</code>: {s['triples']} triples, {s['entities']} entities,
{s['documents']} documents. <a href="{html.escape(url_for('downloads.dataset', format='void'))}">VoID description</a>,
<a href="{html.escape(url_for('downloads.context'))}">JSON-LD context</a>.</p>
<h2>Downloads</h2>
<table><tr><th>format</th><th>media type</th><th>content</th></tr>
{chr(10).join(rows)}
</table>
<p>N-Quads by graph selection: {graphs}. Any format takes <code>?graphs=asserted|inferred|all</code>;
RDF formats are also served by content negotiation on this IRI (<code>Accept</code> header).</p>
</body></html>
"""
