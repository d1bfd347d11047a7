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

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from kg.errors import ProtocolError
from kg.export import ALIASES, CONTEXT_FILE, EXPORTERS, GRAPH_SELECTIONS

from .common import HTML, MEDIA_OF, client_key, kg_store
from .executor import QueryBusyError
from .pages import dataset_stats

bp = Blueprint("downloads", __name__)

# media type → export format, in the order used when the client accepts anything (*/*)
NEGOTIABLE: dict[str, str] = {MEDIA_OF[name]: name for name in ("nquads", "trig", "turtle", "ntriples", "jsonld",
                                                                  "rdfxml")}
CHUNK = 64 * 1024
_ROOT = str(Path(__file__).resolve().parents[1])
_log = logging.getLogger(__name__)


_DUMPS_LOCK = threading.Lock()
_DUMPS: dict[str, int] = {}  # client → dumps streaming now


def stream_dump(fmt: str, graphs: str, client: str) -> Iterator[bytes]:
    """Run the export in a confined process (``server/_dump.py``) under the query time limit and memory cap,
    and yield its output. One dump at a time per client; the process starts on the first ``next()`` (a HEAD
    request or an unread response costs nothing) and is killed when the time limit passes or the client
    goes away (the response then ends short, which the client sees as an incomplete body)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # the app, for the generator
    pool = app.extensions["kg_pool"]
    with _DUMPS_LOCK:
        if _DUMPS.get(client, 0) >= 1:
            raise QueryBusyError("one download at a time per client address; try again when it is done")
    base_iri = kg_store().iris.base

    def body() -> Iterator[bytes]:
        with _DUMPS_LOCK:
            _DUMPS[client] = _DUMPS.get(client, 0) + 1
        path = pool.pin_read_path()
        config = json.dumps({"store": path, "format": fmt, "graphs": graphs, "base_iri": base_iri,
                             "memory_bytes": pool.memory_bytes})
        proc = subprocess.Popen([sys.executable, "-I", "-m", "server._dump", config], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, cwd=_ROOT)
        stdout = proc.stdout
        assert stdout is not None  # stdout=PIPE
        deadline = time.monotonic() + pool.timeout
        poller = select.poll()
        poller.register(stdout.fileno(), select.POLLIN)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not poller.poll(int(left * 1000) + 1):
                    app.logger.error("download stopped: it ran past the time limit of %g s", pool.timeout)
                    return
                chunk = os.read(stdout.fileno(), CHUNK)
                if not chunk:
                    if proc.wait() != 0:
                        app.logger.error("download failed (exit status %s)", proc.returncode)
                    return
                yield chunk
        finally:
            proc.kill()
            proc.wait()
            stdout.close()
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
        return ALIASES.get(fmt, fmt)
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
        raise ProtocolError(406, "not acceptable: offer " + ", ".join([*NEGOTIABLE, HTML]), {"Vary": "Accept"})
    if fmt == "html":
        return Response(render_template("downloads.html", stats=dataset_stats(), exporters=EXPORTERS.values(),
                                        graph_selections=GRAPH_SELECTIONS, dataset=str(kg_store().iris.dataset)),
                        mimetype=HTML, headers={"Vary": "Accept"})
    exporter = EXPORTERS.get(fmt)
    graphs = request.args.get("graphs", "all")
    if exporter is None or graphs not in GRAPH_SELECTIONS:
        raise ProtocolError(400, f"unknown format {fmt!r} or graphs {graphs!r}: formats {', '.join(EXPORTERS)}; "
                            f"graphs {', '.join(GRAPH_SELECTIONS)}")
    suffix = "" if graphs == "all" else f"-{graphs}"
    headers = {
        "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="conflict-kg{suffix}.{exporter.extension}"',
        "X-Content-Type-Options": "nosniff",
    }
    if not kg_store().local:
        raise ProtocolError(501, f"dumps of a remote store come from the store itself: kg export --store URL "
                            f"--format {fmt}")
    body = stream_dump(fmt, graphs, client_key())  # QueryBusyError: a 503 from the error handlers
    mimetype = exporter.media_type
    if mimetype.startswith("text/") or mimetype.endswith(("+xml", "+json", "/n-quads", "/n-triples", "/trig")):
        mimetype += "; charset=utf-8"
    return Response(body, content_type=mimetype, headers=headers)


@bp.route("/.well-known/void", methods=["GET"])
def well_known_void() -> BaseResponse:
    return redirect(url_for("downloads.dataset", format="void"), code=303)


@bp.route("/context.jsonld", methods=["GET"])
def context() -> Response:
    return Response(CONTEXT_FILE.read_bytes(), mimetype="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*"})
