"""Query workers: ``python -I _worker.py FD CONFIG_JSON`` starts the *fork server* that makes them.

Standalone on purpose (stdlib + pyoxigraph only, no package imports), so it never re-imports the server's
main module. The fork server imports everything once, confines itself (``_sandbox.confine``: no network,
files only beneath the folders CONFIG_JSON names, a memory cap), says ``("ready", warnings)`` on its control
socket FD, and then forks one worker per request. A fork of this already imported, already confined process
is ready in a few milliseconds where starting ``python`` takes 0.1–1 s (more on a loaded machine), so a worker
killed at the time limit or preempted is replaced at once; and every worker inherits the confinement
(network namespace, seccomp filter, Landlock domain, no_new_privs, RLIMIT_DATA all survive ``fork``) without
applying it itself.

The control socket (``SOCK_SEQPACKET``: one pickle per message) carries:

- ``("fork",)`` with one end of a fresh socket pair attached (``SCM_RIGHTS``): the fork server forks a worker
  that serves on it and answers ``("forked", pid)`` with a pidfd of the worker attached, through which the
  server signals it (a pidfd never reaches a recycled pid);
- ``("status", pid)``: the worker's exit status once it ended (``Popen.returncode`` style: ``-signal`` when
  killed), ``None`` while it runs or when forgotten. The fork server is the workers' parent and reaps them;
- end of file: the server is gone; the fork server kills the workers still running and exits.

A worker talks to the server over its own socket with :mod:`multiprocessing.connection` framing (``send_bytes``
/ ``recv_bytes`` of plain pickles): it receives ``(store_path, task_dict)`` (it reopens when the path changes: a
new snapshot) and answers ``("ok", (kind, body, rows, truncated))`` or ``(error_kind, message)``;
``(store_path, None)`` only opens the store (a new worker does that before its first query arrives). A task is a
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
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

if __package__:  # imported as server._worker (the in-process execute)
    from . import _sandbox
else:  # run as a script with -I, which leaves the script's folder off sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _sandbox  # type: ignore[no-redef,import-not-found]  # the same module, found by path

Result = tuple[str, bytes, int, bool]  # kind ("solutions", "boolean", "graph"), body, rows, truncated
Reply = tuple[str, Any]  # ("ok", Result) or (error kind, message)

# the format names of server.common.FORMATS (this module imports nothing of the project; a test checks they agree)
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

    def write(self, b: bytes | memoryview) -> int:
        b = bytes(b)
        self.chunks.append(b)
        self.lines += b.count(b"\n")
        if self.lines > self.max_lines:
            raise _CapReached
        return len(b)

    def flush(self) -> None:
        pass


def _capped(serialize: Callable[[_LineCappedWriter], object], max_lines: int) -> tuple[bytes, int, bool]:
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


def execute(store: Any, task: dict[str, Any]) -> Result:
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
        return "boolean", results.serialize(format=fmt) or b"", 1, False
    if isinstance(results, ox.QueryTriples):
        data, n, truncated = _capped(lambda w: results.serialize(w, format=ox.RdfFormat.N_TRIPLES),  # type: ignore[arg-type]  # a file-like sink
                                     max_rows)
        rdf_fmt = RDF_FORMATS.get(fmt_name, ox.RdfFormat.TURTLE)
        if rdf_fmt != ox.RdfFormat.N_TRIPLES:
            prefixes = task.get("prefixes") if rdf_fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG,
                                                           ox.RdfFormat.RDF_XML) else None
            triples = (q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            data = ox.serialize(triples, format=rdf_fmt, prefixes=prefixes) or b""
        return "graph", data, n, truncated
    data, n, truncated = _capped(lambda w: results.serialize(w, format=ox.QueryResultsFormat.TSV), max_rows + 1)
    fmt = RESULT_FORMATS.get(fmt_name, ox.QueryResultsFormat.JSON)
    if fmt != ox.QueryResultsFormat.TSV:
        data = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV).serialize(format=fmt) or b""
    return "solutions", data, max(0, n - 1), truncated


def trial_update(path: str, task: dict[str, Any]) -> Reply:
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


def parse_upload(task: dict[str, Any]) -> Reply:
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


def _send(conn: Connection, reply: Reply) -> bool:
    try:
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        return True
    except (OSError, ValueError):
        return False


def serve(conn: Connection) -> None:
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
        if task is None:  # open the store ahead of the first query (a spare worker): no answer
            try:
                store, opened = ox.Store.read_only(path), path
            except Exception:  # noqa: BLE001 - the first query reopens it and reports the error
                store = opened = None
            continue
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
            reply: Reply = ("ok", execute(store, task))
        except SyntaxError as e:
            reply = ("syntax", str(e))
        except MemoryError:
            reply = ("memory", "the query needed more memory than the server allows")
        except Exception as e:  # reported to the client as a 500 with the message
            reply = ("error", f"{type(e).__name__}: {e}")
        if not _send(conn, reply):
            return


# --------------------------------------------------------------------------- the fork server
_REMEMBERED_EXITS = 1024  # exit statuses kept for the server to ask about (the oldest are forgotten)


def _message(sock: socket.socket, reply: tuple[Any, ...], fds: Sequence[int] = ()) -> None:
    socket.send_fds(sock, [pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)], list(fds))


def _reap(children: set[int], exits: dict[int, int]) -> None:
    """Collect the workers that ended (without waiting), keeping their exit status."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        exits[pid] = os.waitstatus_to_exitcode(status)
        if len(exits) > _REMEMBERED_EXITS:
            del exits[next(iter(exits))]


def _worker_main(control: socket.socket, fd: int) -> None:
    """In a freshly forked worker: drop the control socket, serve on ``fd``, and exit without running the
    fork server's clean-up (``os._exit``)."""
    code = 0
    try:
        control.close()
        serve(Connection(fd))
    except BaseException:  # noqa: BLE001 - reported on stderr, then the worker ends
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def fork_server(control: socket.socket, warnings: list[str]) -> None:
    """Fork a worker per request on ``control`` until it closes (see the module docstring)."""
    children: set[int] = set()
    exits: dict[int, int] = {}
    gc.freeze()  # forked workers share what was imported: keep it out of every process's collections
    try:
        _message(control, ("ready", warnings))
        while True:
            data, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
            if not data:
                return
            _reap(children, exits)
            request = pickle.loads(data)
            if request[0] == "fork" and len(fds) == 1:
                pid = os.fork()
                if pid == 0:
                    _worker_main(control, fds[0])
                os.close(fds[0])
                children.add(pid)
                pidfd = os.pidfd_open(pid)
                try:
                    _message(control, ("forked", pid), [pidfd])
                finally:
                    os.close(pidfd)
            else:
                for fd in fds:
                    os.close(fd)
                if request[0] == "status":
                    _message(control, ("status", exits.get(request[1])))
    except OSError:
        return  # the server is gone
    finally:
        for pid in children:  # no server: nobody will collect their answers (a long query would run on)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the server stops the workers, not the signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control_socket = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    fork_server(control_socket, _sandbox.confine(readable=config.get("readable", []),
                                                 writable=config.get("writable", []),
                                                 memory_bytes=config.get("memory_bytes")))
