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
import io
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

from flask import Blueprint, Response, current_app, redirect, request, url_for

from kg.export import CONTEXT_FILE, EXPORTERS, GRAPH_SELECTIONS, export
from kg.store import Store

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
_log = logging.getLogger(__name__)


def _store() -> Store:
    return current_app.extensions["kg_store"]


class _QueueWriter(io.RawIOBase):
    """The writing end of a bounded pipe: blocks while the queue is full, fails once the reader went away."""

    def __init__(self, q: queue.Queue, cancelled: threading.Event):
        self.q, self.cancelled = q, cancelled

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        data = bytes(b)
        while True:
            if self.cancelled.is_set():
                raise BrokenPipeError("client went away")
            try:
                self.q.put(data, timeout=0.1)
                return len(data)
            except queue.Full:
                continue


_END = object()


def stream_export(write: Callable[[BinaryIO], None], *, depth: int = 16,
                  logger: logging.Logger | None = None) -> Iterator[bytes]:
    """Run ``write(out)`` in a thread and yield what it writes, in chunks: memory stays at ``depth`` chunks.

    The thread starts on the first ``next()``, so a response that is never read (HEAD) costs nothing."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    cancelled = threading.Event()

    def run() -> None:
        try:
            out = io.BufferedWriter(_QueueWriter(q, cancelled), buffer_size=CHUNK)
            write(out)
            out.flush()
        except BrokenPipeError:
            return
        except BaseException as e:  # reported to the reader, which logs it: headers are already sent
            _put(e)
        _put(_END)

    def _put(item: object) -> None:
        while not cancelled.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=run, name="kg-download", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                (logger or _log).error("download failed mid-stream: %s", item)
                return
            yield item
    finally:
        cancelled.set()
        thread.join(timeout=5)


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
    store = _store()
    suffix = "" if graphs == "all" else f"-{graphs}"
    headers = {
        "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="conflict-kg{suffix}.{exporter.extension}"',
        "X-Content-Type-Options": "nosniff",
    }
    body = stream_export(lambda out: export(store, fmt, out, graphs=graphs), logger=current_app.logger)
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


def _summary(store: Store) -> dict[str, int]:
    entities = f"{store.iris.base}entity/"
    row = next(iter(store.ox.query(f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} '
                                   f'FILTER(STRSTARTS(STR(?s), "{entities}")) }}')))
    return {"triples": len(store), "documents": len(store.document_keys()), "entities": int(row["n"].value)}


def _html_page() -> str:
    store = _store()
    s = _summary(store)
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
<html lang="en"><head><meta charset="utf-8"><title>Conflict-news knowledge graph: downloads</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.2em .6em;text-align:left}}</style>
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
