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

Workers are confined at the OS level (``_sandbox``): no network (network namespace, a seccomp filter that
kills a worker creating a socket, Landlock), files only beneath the store or its snapshots, and a memory cap
(``memory_bytes``, RLIMIT_DATA). A worker killed by the filter or dying at the memory cap is replaced like a
timed-out one, and the client gets a clear error (400 / 503).

Fairness, so that no client takes the service down for the others:
- a client (``client=``, the remote address) runs at most ``per_client`` tasks at once; more wait their turn
  (at most ``per_client_queue`` waiting: past that they are refused at once, so one client cannot hold every
  server thread);
- waiting tasks are served in order of how many tasks their client already runs, then of the worker time it
  used lately (decaying), then of arrival — newest first once the oldest has waited ``preempt_after``
  seconds (overload: adaptive LIFO);
- when every worker is busy the pool grows, up to ``max_workers`` running tasks (each worker capped at
  ``memory_bytes``), and one spare worker is kept started ahead of need, so a cheap lookup never waits for a
  long query to end nor for a worker to start; extra workers stop after a minute without work;
- a task running longer than a second is moved to a lower CPU priority (nice 10), so cheap lookups sharing
  the cores with long queries still get most of the CPU;
- a client that used more than ``preempt_after`` worker-seconds lately may not take the last free slot: it is
  kept for light clients;
- at ``max_workers``, a waiting task *preempts* the task that has run longest, once that one has run
  ``preempt_after`` seconds: its worker is killed, its client gets a 503 and the waiting task takes the
  spare (load shedding that favours short queries when long ones fill the server).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import pickle
import select
import shutil
import signal
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

from kg.errors import ForbiddenOperationError, QueryError, QueryTimeoutError

from . import _sandbox, _worker

_WORKER_SCRIPT = str(Path(_worker.__file__).resolve())
_log = logging.getLogger(__name__)

__all__ = ["QueryPool", "QueryTask", "QueryOutput", "QueryMemoryError", "QueryBusyError", "execute",
           "default_memory_bytes"]


class QueryMemoryError(QueryTimeoutError):
    """The task needed more memory than a worker may use (a 503, like a timeout: the server is fine)."""


class QueryBusyError(QueryTimeoutError):
    """The task was refused or stopped to keep the service fair: too many tasks from one client, or a long
    task preempted while others waited."""


def default_memory_bytes() -> int:
    """Per-worker memory cap by default: 2 GiB, or an eighth of the machine's memory when that is less."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 16 << 30
    return min(2 << 30, total // 8)


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
    parse: bytes | None = None  # RDF data to parse (a Graph Store upload): answered as N-Triples
    media_type: str | None = None  # the RDF media type of ``parse``
    dump: bool = False  # serialize the whole store in ``result_format`` (nquads or trig)


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

    def __init__(self, config: str):
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen([sys.executable, "-I", _WORKER_SCRIPT, str(child.fileno()), config],
                                            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                            env={**os.environ, "RUST_BACKTRACE": "0"})
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        # one poll object per worker (a worker serves one request at a time): no selector built per request
        self._poller = select.poll()
        self._poller.register(self.conn.fileno(), select.POLLIN)
        self.ready = False  # it said ("ready", warnings) once confined
        self.demoted = False  # runs at a lower CPU priority (a long query)
        self.preempted = False
        self.idle_since = time.monotonic()

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


@dataclass
class _Ticket:
    client: str
    seq: int
    since: float


_POOLS: weakref.WeakSet[QueryPool] = weakref.WeakSet()
_ACTIVE_SNAPSHOT_DIRS: set[str] = set()
_EXTRA_IDLE_SECONDS = 60.0
_DEMOTE_AFTER = 1.0  # seconds: a query running longer is a long one
_LONG_QUERY_NICE = 10


def _set_nice(w: _Worker, nice: int) -> bool:
    """Set a worker's CPU priority; False when the system refuses (raising it back needs privileges)."""
    try:
        os.setpriority(os.PRIO_PROCESS, w.process.pid, nice)
        return True
    except OSError:
        return False
_USAGE_HALF_LIFE = 30.0


class QueryPool:
    """``size`` worker processes reading the store; :meth:`run` evaluates one task with a time limit.

    ``store`` is an open pyoxigraph Store (read-write: workers read snapshots of it) or None (workers open
    ``path`` read-only directly). See the module docstring for the limits and the fairness rules."""

    def __init__(self, path: str | os.PathLike[str], size: int = 4, timeout: float = 30.0, store=None, *,
                 max_workers: int | None = None, per_client: int = 2, per_client_queue: int = 8,
                 memory_bytes: int | None = None, preempt_after: float = 1.0):
        self.path = str(path)
        self.size = max(1, size)
        self.max_workers = max(self.size, max_workers or self.size)
        self.per_client = max(1, per_client)
        self.per_client_queue = max(0, per_client_queue)
        self.memory_bytes = memory_bytes
        self.preempt_after = preempt_after
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
        # what a worker may touch: the snapshots (read-write: updates are tried there) or the store (read-only)
        self._worker_config = json.dumps({
            "readable": [] if self._snapshots else [str(Path(self.path).resolve())],
            "writable": [self._snapshots] if self._snapshots else [],
            "memory_bytes": memory_bytes})
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []  # last in, first out: warm workers first
        self._all: set[_Worker] = set()
        self._busy: dict[_Worker, tuple[str, float | None]] = {}  # worker → (client, started evaluating)
        self._running: dict[str, int] = {}  # client → tasks running
        self._waiting: list[_Ticket] = []
        self._used: dict[str, tuple[float, float]] = {}  # client → (worker-seconds, when), decaying
        self._seq = 0
        self._warned = False
        self._started = False
        self._closed = False
        _POOLS.add(self)

    def _snapshot(self, generation: int = 0) -> str:
        assert self._store is not None and self._snapshots is not None
        self._store.flush()
        os.makedirs(self._snapshots, exist_ok=True)
        target = os.path.join(self._snapshots, f"gen-{generation}")
        self._store.backup(target)
        return target

    # ------------------------------------------------------------------ workers (called with _cond held)
    def _spawn(self) -> _Worker:
        w = _Worker(self._worker_config)
        self._all.add(w)
        return w

    def _start(self) -> None:
        if not self._started:
            self._started = True
            for _ in range(self.size):
                self._idle.append(self._spawn())

    def _usage(self, client: str, now: float) -> float:
        """Worker-seconds ``client`` used recently (halving every ``_USAGE_HALF_LIFE`` seconds), counting the
        tasks it runs now."""
        used, when = self._used.get(client, (0.0, now))
        running = sum(now - started for owner, started in self._busy.values() if owner == client and started)
        return used * 0.5 ** ((now - when) / _USAGE_HALF_LIFE) + running

    def _is_next(self, ticket: _Ticket) -> bool:
        """Whether ``ticket`` goes first: its client is under its cap, and no eligible waiter's client runs
        fewer tasks, nor used less worker time lately (to a tenth of a second: a client of long queries waits
        behind one of cheap lookups). Among equals, first come first served — until the oldest has
        waited ``preempt_after`` seconds: the server is then overloaded and the newest goes first (adaptive
        LIFO), so a fresh request is not queued behind a backlog that will mostly time out anyway."""
        eligible = [t for t in self._waiting if self._running.get(t.client, 0) < self.per_client]
        if not eligible:
            return False
        now = time.monotonic()
        sign = -1 if now - min(t.since for t in eligible) > self.preempt_after else 1
        return min(eligible, key=lambda t: (self._running.get(t.client, 0), round(self._usage(t.client, now), 1),
                                            sign * t.seq)) is ticket

    def _take_worker(self, client: str) -> _Worker | None:
        """An idle worker (warm first) or a new one while fewer than ``max_workers`` run tasks, else None.

        A *heavy* client (one that used ``preempt_after`` worker-seconds lately) may not take the last slot:
        it stays free for light clients, so a cheap lookup does not wait while long queries fill the pool.
        At the cap, a light client preempts the task running longest (past ``preempt_after``) of a client
        that used more worker time than itself."""
        now = time.monotonic()
        mine = self._usage(client, now)
        heavy = mine >= self.preempt_after
        if len(self._busy) >= self.max_workers - (1 if heavy and self.max_workers > 1 else 0):
            if heavy:
                return None
            victims = [(started, w) for w, (owner, started) in self._busy.items()
                       if started is not None and now - started >= self.preempt_after and not w.preempted
                       and self._usage(owner, now) > mine + self.preempt_after]
            if not victims:
                return None
            _, victim = min(victims, key=lambda v: v[0])
            victim.preempted = True
            victim.process.kill()  # its own request thread reports it (503) and reaps it
            self._all.discard(victim)
            del self._busy[victim]
        while self._idle:
            w = self._idle.pop()
            if w.process.poll() is None:
                return w
            self._all.discard(w)  # died while idle (killed from outside): use a fresh one
            w.conn.close()
        return self._spawn()

    def _acquire(self, client: str, deadline: float, limit: float) -> _Worker:
        with self._cond:
            if self._closed:
                raise QueryError("the query service is shutting down")
            self._start()
            mine = self._running.get(client, 0) + sum(1 for t in self._waiting if t.client == client)
            if mine >= self.per_client + self.per_client_queue:
                raise QueryBusyError(f"too many queries from your address at once ({self.per_client} may run and "
                                     f"{self.per_client_queue} wait); try again when some have finished")
            self._seq += 1
            ticket = _Ticket(client, self._seq, time.monotonic())
            self._waiting.append(ticket)
            try:
                while True:
                    if self._is_next(ticket):
                        w = self._take_worker(client)
                        if w is not None:
                            self._busy[w] = (client, None)  # preemptible once it runs (see _started)
                            self._running[client] = self._running.get(client, 0) + 1
                            if not self._idle and len(self._all) <= self.max_workers:
                                # one warm spare beyond the busy ones: the next request (or the one that
                                # preempts a long query) does not wait for a worker to start
                                self._idle.append(self._spawn())
                            self._cond.notify_all()
                            return w
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise QueryTimeoutError(f"all {len(self._all)} query workers stayed busy for {limit:g} s; "
                                                "try again later")
                    # woken by releases; also re-checked as running tasks age into preemptible ones
                    self._cond.wait(min(remaining, 0.1))
            finally:
                self._waiting.remove(ticket)
                if self._closed:
                    self._cond.notify_all()

    def _release(self, w: _Worker, client: str, healthy: bool, seconds: float = 0.0) -> None:
        stop: list[_Worker] = []
        with self._cond:
            now = time.monotonic()
            self._busy.pop(w, None)
            self._used[client] = (self._usage(client, now) + seconds, now)
            if len(self._used) > 10_000:  # forget the clients whose usage has faded
                self._used = {c: u for c, u in self._used.items() if self._usage(c, now) >= 0.5}
            self._running[client] -= 1
            if not self._running[client]:
                del self._running[client]
            now = time.monotonic()
            if healthy and w in self._all and not self._closed:
                w.idle_since = now
                self._idle.append(w)
            else:
                self._all.discard(w)
                stop.append(w)
                if not self._closed and len(self._all) < self.size:
                    self._idle.append(self._spawn())
            # extra workers that found no work for a while stop (the oldest-idle first)
            for old in sorted(self._idle, key=lambda x: x.idle_since):
                if len(self._all) <= self.size or now - old.idle_since < _EXTRA_IDLE_SECONDS:
                    break
                self._idle.remove(old)
                self._all.discard(old)
                stop.append(old)
            self._cond.notify_all()
        for old in stop:
            if old is w and not healthy:
                old.kill()
            else:
                old.stop()

    def _ready(self, w: _Worker, deadline: float) -> None:
        """Wait for a new worker's ("ready", warnings); log the warnings once per pool."""
        if w.ready:
            return
        if not w.wait(max(0.0, deadline - time.monotonic())):
            raise QueryTimeoutError("no query worker could start within the time limit; try again later")
        msg = w.recv()
        w.ready = True
        if msg[1] and not self._warned:
            self._warned = True
            for line in msg[1]:
                _log.warning("query worker sandbox: %s", line)

    def _death(self, w: _Worker, seconds: float) -> QueryError:
        """The error for a worker that died while evaluating (its exit status says why)."""
        try:
            code = w.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if w.preempted:
            return QueryBusyError(f"query stopped after {seconds:.1f} s to serve other clients waiting for a worker "
                                  "(the server is busy with long queries); try again later")
        if code == -_sandbox.KILLED_BY_FILTER:
            return ForbiddenOperationError("refused: the query tried to open a network connection; this endpoint "
                                           "does not reach other servers")
        if code in (-signal.SIGABRT, -signal.SIGKILL) and self.memory_bytes:
            return QueryMemoryError(f"query stopped: it needed more memory than the server allows per query "
                                    f"({self.memory_bytes >> 20} MiB, --max-query-memory)")
        return QueryError("the query worker died while evaluating this query")

    # ------------------------------------------------------------------ public
    def trial_update(self, update: str, base_iri: str | None, prefixes: dict[str, str],
                     timeout: float | None = None, *, client: str = "") -> None:
        """Run ``update`` within the time limit on a throw-away snapshot of the store, in a worker: raises
        QueryTimeoutError (the worker is killed), SyntaxError or RuntimeError like :meth:`run`. Call it inside
        :meth:`writing`, then apply the update for real: it is known to be valid, to finish in time and not to
        reach the network (a worker that tries is killed by its seccomp filter)."""
        if self._store is None or self._snapshots is None:
            raise QueryError("this server has no writable store")
        trial = os.path.join(self._snapshots, f"trial-{uuid.uuid4().hex}")
        self._store.flush()
        self._store.backup(trial)
        try:
            self.run(QueryTask(query="", result_format="json", base_iri=base_iri, prefixes=prefixes, update=update),
                     timeout, path=trial, client=client)
        finally:
            shutil.rmtree(trial, ignore_errors=True)

    def run(self, task: QueryTask, timeout: float | None = None, *, path: str | None = None,
            client: str = "") -> QueryOutput:
        """Evaluate within ``timeout`` seconds (default: the pool's), waiting for a free worker within it too.
        ``path``: read that store instead of the current snapshot; ``client``: who asks (fairness)."""
        limit = self.timeout if timeout is None else timeout
        started = time.monotonic()
        deadline = started + limit
        w = self._acquire(client, deadline, limit)
        healthy = False
        evaluating = None  # when the worker got the task: the client's usage counts from there
        tracked = path is None
        if path is None:
            path = self.pin_read_path()
        try:
            try:
                self._ready(w, deadline)
                evaluating = time.monotonic()
                with self._cond:
                    if w in self._busy:
                        self._busy[w] = (client, evaluating)
                w.send((path, vars(task)))  # vars, not asdict(): that deep-copies
                if not w.wait(min(_DEMOTE_AFTER, deadline - time.monotonic())):
                    # a long query: lower its CPU priority, so cheap lookups on the same cores stay quick
                    healthy_after_demotion = _set_nice(w, _LONG_QUERY_NICE)
                    if not w.wait(deadline - time.monotonic()):
                        raise QueryTimeoutError(f"query stopped: it ran past the time limit of {limit:g} s")
                    w.demoted = healthy_after_demotion
                status, payload = w.recv()
            except (EOFError, OSError):
                # the worker died: killed by its sandbox, at its memory cap, preempted, or from outside
                raise self._death(w, time.monotonic() - started) from None
            healthy = not w.demoted or _set_nice(w, 0)  # a worker that cannot be restored is replaced
        finally:
            self._release(w, client, healthy, time.monotonic() - evaluating if evaluating else 0.0)
            if tracked:
                self._release_path(path)
        if status == "ok":
            return QueryOutput(*payload)
        if status == "syntax":
            raise SyntaxError(payload)
        if status == "memory":
            raise QueryMemoryError(f"query stopped: {payload} ({(self.memory_bytes or 0) >> 20} MiB per query, "
                                   "--max-query-memory)")
        raise RuntimeError(payload)

    def pin_read_path(self) -> str:
        """The snapshot (or store) new queries read, kept from deletion until :meth:`unpin_read_path` — for a
        reader outside the pool (a dataset dump)."""
        with self._paths_lock:
            path = self.read_path
            self._in_use[path] = self._in_use.get(path, 0) + 1
            return path

    def unpin_read_path(self, path: str) -> None:
        self._release_path(path)

    def _release_path(self, path: str) -> None:
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
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
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
