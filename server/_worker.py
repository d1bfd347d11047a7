"""A query worker process: ``python -I _worker.py FD CONFIG_JSON``.

Standalone on purpose (stdlib + pyoxigraph only, no package imports): it starts in ~0.1 s, so a worker killed
at the time limit is replaced quickly, and it never re-imports the server's main module. Right after its
imports it confines itself (``_sandbox.confine``: no network, files only beneath the folders CONFIG_JSON
names, a memory cap) and says ``("ready", warnings)``; only then does it read tasks.

It talks to the server over the socket FD with :mod:`multiprocessing.connection` framing (``send_bytes`` /
``recv_bytes`` of plain pickles): it receives ``(store_path, task_dict)`` (it reopens when the path changes: a
new snapshot) and answers ``("ok", (kind, body, rows, truncated))`` or ``(error_kind, message)``. A task is a
query, an update to try (``update``), or an RDF upload to parse (``parse``: the data, its format and base
IRI; the answer is N-Triples). Per query it only unpickles, evaluates, serializes and pickles: no imports, no
file-system checks, and the cyclic garbage collector does not rescan what was loaded at start-up
(``gc.freeze``).
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import sys
from typing import Any

import pyoxigraph as ox

if __package__:  # imported as server._worker (the in-process execute)
    from . import _sandbox
else:  # run as a script with -I, which leaves the script's folder off sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _sandbox

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML, "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


class _CapReached(Exception):
    pass


class _LineCappedWriter:
    """A file-like sink for pyoxigraph's streaming serializers that stops the evaluation (by raising) once
    more than ``max_lines`` lines were written. Used with line-based formats where one line is one row:
    TSV results (newlines in literals are escaped) and N-Triples."""

    def __init__(self, max_lines: int):
        self.max_lines = max_lines
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, b) -> int:
        b = bytes(b)
        self.chunks.append(b)
        self.lines += b.count(b"\n")
        if self.lines > self.max_lines:
            raise _CapReached
        return len(b)

    def flush(self) -> None:
        pass


def _capped(serialize, max_lines: int) -> tuple[bytes, int, bool]:
    """Run ``serialize(writer)``; return the first ``max_lines`` lines, their count, and whether more existed."""
    w = _LineCappedWriter(max_lines)
    try:
        serialize(w)
    except _CapReached:
        pass
    data = b"".join(w.chunks)
    if w.lines > max_lines:
        data = b"".join(data.splitlines(keepends=True)[:max_lines])
        return data, max_lines, True
    return data, w.lines, False


def execute(store, task: dict[str, Any]) -> tuple[str, bytes, int, bool]:
    """Evaluate one task on a pyoxigraph Store → (kind, body, rows, truncated). Raises what pyoxigraph raises.

    The row cap is enforced while pyoxigraph streams the results (evaluation stops there) in a lossless
    line-based format (TSV / N-Triples), which pyoxigraph then re-reads and serializes in the requested one;
    every byte is produced by pyoxigraph's own serializers."""
    kwargs: dict[str, Any] = {"base_iri": task.get("base_iri"), "prefixes": task.get("prefixes") or None}
    default_graph, named_graphs = task.get("default_graph"), task.get("named_graphs")
    if default_graph is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
    if named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    if default_graph is None and named_graphs is None:
        kwargs["use_default_graph_as_union"] = bool(task.get("union_default_graph", True))
    max_rows = int(task.get("max_rows", 100_000))
    fmt_name = task["result_format"]
    if task.get("dump"):  # the whole dataset (Graph Store GET without a graph), in a dataset format
        data = store.dump(format=RDF_FORMATS[fmt_name]) or b""
        return "graph", data, data.count(b"\n"), False
    results = store.query(task["query"], **kwargs)
    if isinstance(results, ox.QueryBoolean):
        fmt = ox.QueryResultsFormat.XML if fmt_name == "xml" else ox.QueryResultsFormat.JSON
        return "boolean", results.serialize(format=fmt), 1, False
    if isinstance(results, ox.QueryTriples):
        data, n, truncated = _capped(lambda w: results.serialize(w, format=ox.RdfFormat.N_TRIPLES), max_rows)
        fmt = RDF_FORMATS.get(fmt_name, ox.RdfFormat.TURTLE)
        if fmt != ox.RdfFormat.N_TRIPLES:
            prefixes = task.get("prefixes") if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG,
                                                       ox.RdfFormat.RDF_XML) else None
            triples = (q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            data = ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
        return "graph", data, n, truncated
    data, n, truncated = _capped(lambda w: results.serialize(w, format=ox.QueryResultsFormat.TSV), max_rows + 1)
    fmt = RESULT_FORMATS.get(fmt_name, ox.QueryResultsFormat.JSON)
    if fmt != ox.QueryResultsFormat.TSV:
        data = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV).serialize(format=fmt)
    return "solutions", data, max(0, n - 1), truncated


def trial_update(path: str, task: dict[str, Any]) -> tuple:
    """Apply an update to a throw-away copy of the store (opened read-write here), to learn within the time
    limit whether it is valid and finishes; the server applies it for real only then."""
    try:
        st = ox.Store(path)
        try:
            st.update(task["update"], base_iri=task.get("base_iri"), prefixes=task.get("prefixes") or None)
            st.flush()
        finally:
            del st
        return "ok", ("update", b"", 0, False)
    except SyntaxError as e:
        return "syntax", str(e)
    except Exception as e:  # reported to the client as a 500 with the message
        return "error", f"{type(e).__name__}: {e}"


def parse_upload(task: dict[str, Any]) -> tuple:
    """Parse uploaded RDF (GSP) here, under the worker's limits: a deeply nested or huge upload costs the
    worker, not the server. Answers the triples as N-Triples (flat, cheap for the server to read back)."""
    try:
        fmt = ox.RdfFormat.from_media_type(task["media_type"])
        quads = ox.parse(task["parse"], format=fmt, base_iri=task.get("base_iri"))
        data = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b""
        return "ok", ("graph", data, data.count(b"\n"), False)
    except (SyntaxError, ValueError) as e:
        return "syntax", str(e)
    except MemoryError:
        return "memory", "the upload needed more memory than the server allows"


def _send(conn, reply: tuple) -> bool:
    try:
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        return True
    except (OSError, ValueError):
        return False


def serve(conn) -> None:
    """Answer tasks until EOF or ``None``. Messages are plain pickles over ``send_bytes`` / ``recv_bytes``
    (no multiprocessing ForkingPickler work per message)."""
    store = None
    opened = None
    # everything imported so far lives as long as the process: keep it out of the cyclic collector's scans
    gc.freeze()
    while True:
        try:
            msg = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if msg is None:
            return
        path, task = msg
        if task.get("parse") is not None:
            if not _send(conn, parse_upload(task)):
                return
            continue
        if task.get("update") is not None:
            if not _send(conn, trial_update(path, task)):
                return
            continue
        try:
            if store is None or path != opened:
                store = None
                store = ox.Store.read_only(path)
                opened = path
            reply = ("ok", execute(store, task))
        except SyntaxError as e:
            reply = ("syntax", str(e))
        except MemoryError:
            reply = ("memory", "the query needed more memory than the server allows")
        except Exception as e:  # reported to the client as a 500 with the message
            reply = ("error", f"{type(e).__name__}: {e}")
        if not _send(conn, reply):
            return


if __name__ == "__main__":
    from multiprocessing.connection import Connection

    connection = Connection(int(sys.argv[1]))
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    warnings = _sandbox.confine(readable=config.get("readable", []), writable=config.get("writable", []),
                                memory_bytes=config.get("memory_bytes"))
    if _send(connection, ("ready", warnings)):
        serve(connection)
