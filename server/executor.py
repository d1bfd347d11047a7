"""Query execution in killable worker processes.

Python threads cannot be cancelled and Oxigraph has no query timeout, so every endpoint query runs in one of
a small pool of worker *processes*. Each worker opens the store read-only (``pyoxigraph.Store.read_only``),
evaluates, enforces the row cap while iterating (so a huge result is never materialised), and serializes
with pyoxigraph's own serializers. The server thread waits at most ``timeout`` seconds; past that the worker
is killed (SIGKILL) and replaced, while the other workers keep serving other clients.

Writes happen in the server process, which then holds the store read-write. pyoxigraph says reading a store
while another process writes it is undefined (measured: RocksDB's background compaction deletes SST files a
read-only opener still lists → "Corruption: No such file"), so in that mode workers never open the live store:
they read an immutable *snapshot* (``Store.backup``: a RocksDB checkpoint, hard links, cheap) in a sibling
directory. Writes are serialized by a lock; after each one the server flushes, takes a new snapshot and bumps
a *generation* number. Each task names the snapshot to read; a worker reopens when it differs from the one it
has open; an old snapshot is deleted once no running query reads it. Queries never wait for writes nor writes
for queries. When the server opened the store read-only (no update token) there is no writer in this process
and workers open the store itself.

Updates get a time limit the same way: :meth:`QueryPool.trial_update` applies one to a throw-away snapshot
opened read-write in a worker; only if that finishes in time is it applied to the live store.
"""

from __future__ import annotations

import atexit
import math
import os
import pickle
import queue
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import mkdtemp

from kg.errors import QueryError, QueryTimeoutError

from . import _worker

_WORKER_SCRIPT = str(Path(_worker.__file__).resolve())

__all__ = ["QueryPool", "QueryTask", "QueryOutput", "execute"]


@dataclass
class QueryTask:
    query: str
    result_format: str  # json xml csv tsv | turtle ntriples jsonld rdfxml nquads trig
    base_iri: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    union_default_graph: bool = True
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    max_rows: int = 100_000
    update: str | None = None  # a SPARQL Update to try on a throw-away snapshot (see QueryPool.trial_update)


@dataclass
class QueryOutput:
    kind: str  # "solutions", "boolean" or "graph"
    body: bytes
    rows: int
    truncated: bool


def execute(store, task: QueryTask) -> QueryOutput:
    """Evaluate ``task`` on a pyoxigraph Store in this process (no time limit): what a worker does."""
    return QueryOutput(*_worker.execute(store, vars(task)))


# --------------------------------------------------------------------------- the pool (in the server)
class _Worker:
    """One worker process (``server/_worker.py``) and our end of its socket."""

    def __init__(self):
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen([sys.executable, "-I", _WORKER_SCRIPT, str(child.fileno())],
                                            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        # one poll object per worker (a worker serves one request at a time): no selector built per request
        self._poller = select.poll()
        self._poller.register(self.conn.fileno(), select.POLLIN)

    def send(self, msg) -> None:
        self.conn.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))

    def wait(self, timeout: float) -> bool:
        """True when a reply (or EOF) is ready within ``timeout`` seconds."""
        ms = 2**31 - 1 if timeout >= 2_000_000 else max(0, math.ceil(timeout * 1000))  # poll's limit: ~24 days
        return bool(self._poller.poll(ms))

    def recv(self):
        return pickle.loads(self.conn.recv_bytes())

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.conn.close()

    def stop(self) -> None:
        try:
            self.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=2)
            self.conn.close()
        except subprocess.TimeoutExpired:
            self.kill()


_POOLS: weakref.WeakSet[QueryPool] = weakref.WeakSet()
_ACTIVE_SNAPSHOT_DIRS: set[str] = set()


class QueryPool:
    """``size`` worker processes reading the store; :meth:`run` evaluates one task with a time limit.

    ``store`` is an open pyoxigraph Store (read-write: workers read snapshots of it) or None (workers open
    ``path`` read-only directly)."""

    def __init__(self, path: str | os.PathLike[str], size: int = 4, timeout: float = 30.0, store=None):
        self.path = str(path)
        self.size = max(1, size)
        self.timeout = timeout
        self.generation = 0
        self._write_lock = threading.Lock()
        self._paths_lock = threading.Lock()
        self._in_use: dict[str, int] = {}  # snapshot path → queries reading it now
        self._retired: set[str] = set()  # old snapshots to delete once no query reads them
        self._store = store
        self._snapshots: str | None = None
        self.read_path = self.path
        if store is not None:
            parent = Path(self.path).resolve().parent
            prefix = f".{Path(self.path).name}-snapshots-"
            # left behind by a server that was killed: only one process can hold the store read-write, so
            # no other live server uses them
            for stale in parent.glob(f"{prefix}*"):
                if str(stale) not in _ACTIVE_SNAPSHOT_DIRS:  # pools in this process may share the store
                    shutil.rmtree(stale, ignore_errors=True)
            self._snapshots = mkdtemp(prefix=prefix, dir=parent)
            _ACTIVE_SNAPSHOT_DIRS.add(self._snapshots)
            self.read_path = self._snapshot()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._guard = threading.Lock()
        self._started = False
        self._closed = False
        _POOLS.add(self)

    def _start(self) -> None:
        if self._started:
            return
        with self._guard:
            if self._started:
                return
            for _ in range(self.size):
                self._spawn()
            self._started = True

    def _snapshot(self, generation: int = 0) -> str:
        assert self._store is not None and self._snapshots is not None
        self._store.flush()
        os.makedirs(self._snapshots, exist_ok=True)
        target = os.path.join(self._snapshots, f"gen-{generation}")
        self._store.backup(target)
        return target

    def _spawn(self) -> None:
        w = _Worker()
        self._all.add(w)
        self._idle.put(w)

    def _replace(self, w: _Worker) -> None:
        with self._guard:
            self._all.discard(w)
        w.kill()
        if not self._closed:
            with self._guard:
                self._spawn()

    def trial_update(self, update: str, base_iri: str | None, prefixes: dict[str, str],
                     timeout: float | None = None) -> None:
        """Run ``update`` within the time limit on a throw-away snapshot of the store, in a worker: raises
        QueryTimeoutError (the worker is killed), SyntaxError or RuntimeError like :meth:`run`. Call it inside
        :meth:`writing`, then apply the update for real: it is known to be valid and to finish in time."""
        if self._store is None or self._snapshots is None:
            raise QueryError("this server has no writable store")
        trial = os.path.join(self._snapshots, f"trial-{uuid.uuid4().hex}")
        self._store.flush()
        self._store.backup(trial)
        try:
            self.run(QueryTask(query="", result_format="json", base_iri=base_iri, prefixes=prefixes, update=update),
                     timeout, path=trial)
        finally:
            shutil.rmtree(trial, ignore_errors=True)

    def run(self, task: QueryTask, timeout: float | None = None, *, path: str | None = None) -> QueryOutput:
        """Evaluate within ``timeout`` seconds (default: the pool's), waiting for a free worker within it too.
        ``path``: read that store instead of the current snapshot."""
        if self._closed:
            raise QueryError("the query service is shutting down")
        self._start()
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            try:
                w = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise QueryTimeoutError(f"all {self.size} query workers stayed busy for {limit:g} s; "
                                        "try again later") from None
            if w.process.poll() is None:
                break
            self._replace(w)  # died while idle (killed from outside): use a fresh one
        tracked = path is None
        if path is None:
            with self._paths_lock:
                path = self.read_path
                self._in_use[path] = self._in_use.get(path, 0) + 1
        try:
            w.send((path, vars(task)))  # vars, not asdict(): that deep-copies
            if not w.wait(deadline - time.monotonic()):
                self._replace(w)
                w = None
                raise QueryTimeoutError(f"query stopped: it ran past the time limit of {limit:g} s")
            status, payload = w.recv()
        except QueryTimeoutError:
            raise
        except (EOFError, OSError, BrokenPipeError):
            # the worker died (e.g. out of memory); replace it and report
            if w is not None:
                self._replace(w)
                w = None
            raise QueryError("the query worker died while evaluating this query") from None
        finally:
            if w is not None:
                self._idle.put(w)
            if tracked:
                self._release(path)
        if status == "ok":
            return QueryOutput(*payload)
        if status == "syntax":
            raise SyntaxError(payload)
        raise RuntimeError(payload)

    def _release(self, path: str) -> None:
        with self._paths_lock:
            self._in_use[path] -= 1
            if self._in_use[path] == 0:
                del self._in_use[path]
                if path in self._retired:
                    self._retired.discard(path)
                    shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this around a write (one at a time). Afterwards new queries read a fresh snapshot; the old one
        is deleted once the queries still reading it are done. Queries never wait for writes, nor writes for
        queries."""
        with self._write_lock:
            try:
                yield
            finally:
                if self._store is not None:
                    new = self._snapshot(self.generation + 1)
                    with self._paths_lock:
                        old, self.read_path = self.read_path, new
                        self.generation += 1
                        if self._in_use.get(old):
                            self._retired.add(old)
                        else:
                            shutil.rmtree(old, ignore_errors=True)
                else:
                    self.generation += 1

    def close(self) -> None:
        self._closed = True
        with self._guard:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.stop()
        if self._snapshots:
            _ACTIVE_SNAPSHOT_DIRS.discard(self._snapshots)
            shutil.rmtree(self._snapshots, ignore_errors=True)
            self._snapshots = None


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS):
        pool.close()
