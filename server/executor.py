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

Workers are forked by a *fork server* (``_worker.py``), a process that imported pyoxigraph and confined itself
once: a new worker inherits the confinement and is ready in a few milliseconds (starting a Python process
takes 0.1–1 s), and opens the store as soon as it is forked, so replacing a killed worker costs a client
nothing it would notice.

Fairness, so that no client takes the service down for the others. A query running longer than
``preempt_after`` seconds (default 0.25) is a *long* one; what a client's queries ran beyond that (all of it for
a query that was stopped) is its *long-query time*, halving every 30 s; a client with ``preempt_after`` seconds
of it is *heavy*. A client of cheap lookups stays at zero however many it sends.
- a client (``client=``, the remote address) runs at most ``per_client`` tasks at once; more wait their turn
  (at most ``per_client_queue`` waiting: past that they are refused at once, so one client cannot hold every
  server thread);
- waiting tasks are served in order of how many tasks their client already runs, then of its long-query
  time, then of arrival — newest first once the oldest has waited ``preempt_after`` seconds (overload:
  adaptive LIFO);
- when every worker is busy the pool grows, up to ``max_workers`` running tasks (each worker capped at
  ``memory_bytes``), and one spare worker is kept forked with the store open; extra workers stop after a
  minute without work;
- a long query is moved to a lower CPU priority (nice 10), so cheap lookups sharing the cores with long
  queries still get most of the CPU;
- a heavy client may not take the last free slot: it is kept for light clients;
- at ``max_workers``, a light client's waiting task *preempts* the task that has run longest, once that one
  has run ``preempt_after`` seconds, of a client with more long-query time: its worker is killed, its client
  gets a 503 (and is charged the whole run, so it is heavy from then on) and the waiting task takes the
  spare. Load shedding that favours short queries when long ones fill the server: a cheap lookup waits at
  most about ``preempt_after`` seconds for a worker.
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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import mkdtemp
from typing import TYPE_CHECKING, Any

from kg.errors import ForbiddenOperationError, QueryError, QueryTimeoutError

from . import _sandbox, _worker

if TYPE_CHECKING:
    from kg.store.oxigraph import OxigraphStore

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


def execute(store: Any, task: QueryTask) -> QueryOutput:
    """Evaluate ``task`` on a pyoxigraph Store in this process (no time limit): what a worker does."""
    return QueryOutput(*_worker.execute(store, vars(task)))


# --------------------------------------------------------------------------- the pool (in the server)
class _ForkedProcess:
    """A ``Popen``-like handle on a worker forked by the fork server. It is not our child: the fork server
    reaps it and tells its exit status; we signal it through a pidfd, which never reaches a recycled pid."""

    def __init__(self, pid: int, pidfd: int, forks: _ForkServer):
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = pidfd
        self._forks = forks

    def _ended(self, timeout: float | None) -> bool:
        if self._pidfd < 0:
            return True
        ms = -1 if timeout is None else max(0, math.ceil(timeout * 1000))
        p = select.poll()
        p.register(self._pidfd, select.POLLIN)
        return bool(p.poll(ms))  # a pidfd is readable once the process has ended

    def poll(self) -> int | None:
        if self.returncode is None and self._ended(0):
            self.returncode = self._forks.exit_status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired(f"query worker {self.pid}", timeout or 0)
        return self.poll()  # type: ignore[return-value]  # ended: never None

    def kill(self) -> None:
        if self._pidfd >= 0:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1


class _ForkServer:
    """The confined process that forks the query workers (``server/_worker.py``; see its docstring), started
    once per pool and again if it dies. :meth:`fork` is a round trip of a few milliseconds."""

    def __init__(self, config: str):
        self._config = config
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._ready = False  # it said ("ready", warnings)
        self.warnings: list[str] = []

    def _request(self, msg: tuple[Any, ...], fds: Sequence[int] = (), timeout: float = 10.0
                 ) -> tuple[tuple[Any, ...], list[int]]:
        """Send ``msg`` and read the answer. Call with ``_lock``. A fork server that fails to answer is killed
        (the workers it forked go on serving: they are not tied to it) so that no late answer is mistaken for
        the next one."""
        if self._control is None:
            raise EOFError("the query fork server is not running")
        try:
            self._control.settimeout(timeout)
            socket.send_fds(self._control, [pickle.dumps(msg)], list(fds))
            data, got, _, _ = socket.recv_fds(self._control, 1 << 16, 1)
            if not data:
                raise EOFError("the query fork server ended")
        except (OSError, EOFError):
            self._stop(kill=True)
            raise
        return pickle.loads(data), got

    def launch(self) -> None:
        """Start the fork server process, not waiting for it (:meth:`start` does)."""
        with self._lock:
            if self._process is None:
                self._launch()

    def _launch(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen([sys.executable, "-I", _WORKER_SCRIPT, str(theirs.fileno()), self._config],
                                             pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                             env={**os.environ, "RUST_BACKTRACE": "0"})
        finally:
            theirs.close()
        self._control = ours
        self._ready = False

    def _running(self, timeout: float) -> None:
        """Make sure the fork server runs and has confined itself (its ``("ready", warnings)``), starting it
        when it is not running. Call with ``_lock``."""
        if self._process is not None and self._process.poll() is None and self._ready:
            return
        if self._process is None or self._process.poll() is not None:
            self._stop()
            self._launch()
        assert self._control is not None
        self._control.settimeout(timeout)
        try:
            data = self._control.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            self._stop(kill=True)
            raise QueryError(f"the query workers could not start within {timeout:g} s")
        self.warnings = pickle.loads(data)[1]
        self._ready = True

    def start(self, timeout: float = 60.0) -> None:
        """Start the fork server unless it runs; wait until it has confined itself."""
        with self._lock:
            self._running(timeout)

    def fork(self) -> _Worker:
        """A new worker, forked from the fork server (restarted first if it died)."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                try:
                    self._running(60.0)
                    (_, pid), pidfds = self._request(("fork",), [theirs.fileno()])
                except (OSError, EOFError):  # it died since the last fork: once more with a fresh one
                    self._running(60.0)
                    try:
                        (_, pid), pidfds = self._request(("fork",), [theirs.fileno()])
                    except (OSError, EOFError) as e:
                        raise QueryError(f"the query fork server does not answer ({e})") from None
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return _Worker(ours, _ForkedProcess(pid, pidfds[0], self))

    def exit_status(self, pid: int) -> int:
        """How worker ``pid``, which has ended, ended; ``-SIGKILL`` when the fork server does not know (it was
        restarted since, or forgot)."""
        for _ in range(20):  # it reaps before answering: only a worker that ended this instant is not there yet
            with self._lock:
                try:
                    (_, code), _ = self._request(("status", pid), timeout=2.0)
                except (OSError, EOFError):
                    return -signal.SIGKILL
            if code is not None:
                return int(code)
            time.sleep(0.005)
        return -signal.SIGKILL

    def _stop(self, kill: bool = False) -> None:
        """Stop the fork server: gently (end of file on its control socket: it kills its remaining workers and
        exits) or, ``kill``, at once (its workers go on)."""
        if kill and self._process is not None:
            self._process.kill()
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def close(self) -> None:
        with self._lock:
            self._stop()


class _Worker:
    """One forked worker process and our end of its socket."""

    def __init__(self, sock: socket.socket, process: _ForkedProcess):
        self.process = process
        self.conn = Connection(sock.detach())
        # one poll object per worker (a worker serves one request at a time): no selector built per request
        self._poller = select.poll()
        self._poller.register(self.conn.fileno(), select.POLLIN)
        self.demoted = False  # runs at a lower CPU priority (a long query)
        self.preempted = False
        self.idle_since = time.monotonic()

    def send(self, msg: tuple[Any, ...] | None) -> None:
        self.conn.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))

    def wait(self, timeout: float) -> bool:
        """True when a reply (or EOF) is ready within ``timeout`` seconds."""
        ms = 2**31 - 1 if timeout >= 2_000_000 else max(0, math.ceil(timeout * 1000))  # poll's limit: ~24 days
        return bool(self._poller.poll(ms))

    def recv(self) -> tuple[str, Any]:
        reply: tuple[str, Any] = pickle.loads(self.conn.recv_bytes())
        return reply

    def close(self) -> None:
        self.conn.close()
        self.process.close()

    def kill(self) -> None:
        self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.close()

    def stop(self) -> None:
        try:
            self.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=2)
            self.close()
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
_DEMOTE_AFTER = 0.25  # seconds: a query running longer is a long one
_LONG_QUERY_NICE = 10
_USAGE_HALF_LIFE = 30.0


def _set_nice(w: _Worker, nice: int) -> bool:
    """Set a worker's CPU priority; False when the system refuses (raising it back needs privileges)."""
    try:
        os.setpriority(os.PRIO_PROCESS, w.process.pid, nice)
        return True
    except OSError:
        return False


class QueryPool:
    """``size`` worker processes reading the store; :meth:`run` evaluates one task with a time limit.

    ``store`` is the embedded store at ``path`` open read-write (an :class:`~kg.store.oxigraph.OxigraphStore`:
    workers read its snapshots) or None (workers open ``path`` read-only directly). See the module docstring
    for the limits and the fairness rules."""

    def __init__(self, path: str | os.PathLike[str], size: int = 4, timeout: float = 30.0,
                 store: OxigraphStore | None = None, *,
                 max_workers: int | None = None, per_client: int = 2, per_client_queue: int = 8,
                 memory_bytes: int | None = None, preempt_after: float = 0.25):
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
        # (the snapshots folder exists before the fork server confines itself, so every later snapshot and
        # trial copy, made inside it, is within its Landlock rules)
        self._forks = _ForkServer(json.dumps({
            "readable": [] if self._snapshots else [str(Path(self.path).resolve())],
            "writable": [self._snapshots] if self._snapshots else [],
            "memory_bytes": memory_bytes}))
        self._forks.launch()  # its start-up (imports, confinement) overlaps the server's; waited for at first use
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []  # last in, first out: warm workers first
        self._all: set[_Worker] = set()
        self._busy: dict[_Worker, tuple[str, float | None]] = {}  # worker → (client, started evaluating)
        self._running: dict[str, int] = {}  # client → tasks running
        self._waiting: list[_Ticket] = []
        self._used: dict[str, tuple[float, float]] = {}  # client → (worker-seconds, when), decaying
        self._seq = 0
        self._started = False
        self._closed = False
        _POOLS.add(self)

    def _snapshot(self, generation: int = 0) -> str:
        assert self._store is not None and self._snapshots is not None
        os.makedirs(self._snapshots, exist_ok=True)
        target = os.path.join(self._snapshots, f"gen-{generation}")
        self._store.snapshot(target)
        return target

    # ------------------------------------------------------------------ workers (called with _cond held)
    def _spawn(self) -> _Worker:
        w = self._forks.fork()
        self._all.add(w)
        try:
            w.send((self.read_path, None))  # it opens the store now (20–40 ms), not when a query waits for it
        except (OSError, ValueError):
            pass  # already dead: found out when it is used
        return w

    def _add_idle(self) -> None:
        """Fork a worker ahead of need; when the fork server cannot start now, the next request that needs a
        worker tries again (and reports it)."""
        try:
            self._idle.append(self._spawn())
        except QueryError as e:
            _log.warning("query worker not started: %s", e)

    def _start(self) -> None:
        """Start the fork server (on first use; it takes the time of a Python start-up, so not while holding
        ``_cond``) and the first ``size`` workers."""
        if self._started:
            return
        self._forks.start()
        with self._cond:
            if self._started or self._closed:
                return
            self._started = True
            for line in self._forks.warnings:
                _log.warning("query worker sandbox: %s", line)
            for _ in range(self.size):
                self._idle.append(self._spawn())

    def _usage(self, client: str, now: float) -> float:
        """The *long-query time* ``client`` used lately: what its queries ran beyond ``preempt_after`` (all of
        it for a query that was stopped), halving every ``_USAGE_HALF_LIFE`` seconds, counting the queries it
        runs now. A client of cheap lookups, however many, stays at 0."""
        return self._usages(now, [client])[client]

    def _usages(self, now: float, clients: Iterable[str]) -> dict[str, float]:
        """:meth:`_usage` of each of ``clients`` and of every client running a task, in one pass."""
        running: dict[str, float] = {}
        for owner, started in self._busy.values():
            running[owner] = running.get(owner, 0.0) + (max(0.0, now - started - self.preempt_after)
                                                         if started else 0.0)
        out = {}
        for client in {*clients, *running}:
            used, when = self._used.get(client, (0.0, now))
            out[client] = used * 0.5 ** ((now - when) / _USAGE_HALF_LIFE) + running.get(client, 0.0)
        return out

    def _preemptible(self, now: float) -> list[tuple[float, _Worker, str]]:
        """(started, worker, client) of the tasks that have run ``preempt_after`` seconds and were not stopped."""
        return [(started, w, owner) for w, (owner, started) in self._busy.items()
                if started is not None and now - started >= self.preempt_after and not w.preempted]

    def _slot_for(self, heavy: bool) -> bool:
        """Whether a worker is free for a client under the cap: a heavy one may not take the last."""
        return len(self._busy) < self.max_workers - (1 if heavy and self.max_workers > 1 else 0)

    def _is_next(self, ticket: _Ticket) -> bool:
        """Whether ``ticket`` goes first among the waiting tasks whose client could get a worker now (under its
        ``per_client`` cap, and a free slot or a task it may preempt: see :meth:`_take_worker`). Order: fewer
        tasks running for the client, then less long-query time (to a tenth of a second: a client of long
        queries waits behind one of cheap lookups), then first come first served — until the oldest has waited
        ``preempt_after`` seconds: the server is then overloaded and the newest goes first (adaptive LIFO), so a
        fresh request is not queued behind a backlog that will mostly time out anyway."""
        now = time.monotonic()
        usage = self._usages(now, {t.client for t in self._waiting})
        # a light client may preempt a task of a client with more long-query time than its own
        most = max((usage[owner] for _, _, owner in self._preemptible(now)), default=-1.0)

        def can_start(client: str) -> bool:
            if self._running.get(client, 0) >= self.per_client:
                return False
            heavy = usage[client] >= self.preempt_after
            return self._slot_for(heavy) or (not heavy and usage[client] < most)

        startable = [t for t in self._waiting if can_start(t.client)]
        if ticket not in startable:
            return False
        sign = -1 if now - min(t.since for t in self._waiting) > self.preempt_after else 1
        return min(startable, key=lambda t: (self._running.get(t.client, 0), round(usage[t.client], 1),
                                             sign * t.seq)) is ticket

    def _take_worker(self, client: str) -> _Worker | None:
        """An idle worker (warm first) or a new one (None if there is none for ``client`` after all); call when
        :meth:`_is_next` said so.

        A *heavy* client (``preempt_after`` seconds of long-query time lately) may not take the last slot: it
        stays free for light clients, so a cheap lookup does not wait while long queries fill the pool. At the
        cap, a light client stops the task running longest, once that has run ``preempt_after`` seconds, of a
        client with more long-query time than its own. That client is charged the whole run, so it is heavy
        from then on: one preemption per fresh client, no ping-pong between long queries."""
        now = time.monotonic()
        usage = self._usages(now, [client])
        if not self._slot_for(usage[client] >= self.preempt_after):
            victims = [(started, w) for started, w, owner in self._preemptible(now) if usage[owner] > usage[client]]
            if usage[client] >= self.preempt_after or not victims:
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
            w.close()
        return self._spawn()

    def _acquire(self, client: str, deadline: float, limit: float) -> _Worker:
        self._start()
        with self._cond:
            if self._closed:
                raise QueryError("the query service is shutting down")
            mine = self._running.get(client, 0) + sum(1 for t in self._waiting if t.client == client)
            if mine >= self.per_client + self.per_client_queue:
                raise QueryBusyError(f"too many queries from your address at once ({self.per_client} may run and "
                                     f"{self.per_client_queue} wait); try again when some have finished")
            self._seq += 1
            ticket = _Ticket(client, self._seq, time.monotonic())
            self._waiting.append(ticket)
            try:
                while True:
                    w = self._take_worker(client) if self._is_next(ticket) else None
                    if w is not None:
                        self._busy[w] = (client, None)  # preemptible once it evaluates (see run)
                        self._running[client] = self._running.get(client, 0) + 1
                        if not self._idle and len(self._all) <= self.max_workers:
                            # one spare beyond the busy ones, forked and with the store open: the next request
                            # (or the one that preempts a long query) does not wait for either
                            self._add_idle()
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

    def _release(self, w: _Worker, client: str, healthy: bool, charge: float = 0.0) -> None:
        """Give ``w`` back (to the idle ones, or stopped when not ``healthy``) and charge ``client`` ``charge``
        seconds of long-query time."""
        stop: list[_Worker] = []
        with self._cond:
            now = time.monotonic()
            self._busy.pop(w, None)
            self._used[client] = (self._usage(client, now) + charge, now)
            if len(self._used) > 10_000:  # forget the clients whose usage has faded
                self._used = {c: u for c, u in self._used.items() if self._usage(c, now) >= 0.01}
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
                    self._add_idle()
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
        QueryTimeoutError (the worker is killed), SyntaxError or QueryError like :meth:`run`. Call it inside
        :meth:`writing`, then apply the update for real: it is known to be valid, to finish in time and not to
        reach the network (a worker that tries is killed by its seccomp filter)."""
        if self._store is None or self._snapshots is None:
            raise QueryError("this server has no writable store")
        trial = os.path.join(self._snapshots, f"trial-{uuid.uuid4().hex}")
        self._store.snapshot(trial)
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
        healthy = replied = False
        evaluating = None  # when the worker got the task: the client's usage counts from there
        tracked = path is None
        if path is None:
            path = self.pin_read_path()
        try:
            try:
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
                replied = True
            except (EOFError, OSError):
                # the worker died: killed by its sandbox, at its memory cap, preempted, or from outside
                raise self._death(w, time.monotonic() - started) from None
            healthy = not w.demoted or _set_nice(w, 0)  # a worker that cannot be restored is replaced
        finally:
            ran = time.monotonic() - evaluating if evaluating else 0.0
            # a query that finished is charged what it ran beyond preempt_after; one that was stopped, all of it
            self._release(w, client, healthy, max(0.0, ran - self.preempt_after) if replied else ran)
            if tracked:
                self._release_path(path)
        if status == "ok":
            return QueryOutput(*payload)
        if status == "syntax":
            raise SyntaxError(payload)
        if status == "memory":
            raise QueryMemoryError(f"query stopped: {payload} ({(self.memory_bytes or 0) >> 20} MiB per query, "
                                   "--max-query-memory)")
        raise QueryError(f"query failed: {payload}")

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
        self._forks.close()
        if self._snapshots:
            _ACTIVE_SNAPSHOT_DIRS.discard(self._snapshots)
            shutil.rmtree(self._snapshots, ignore_errors=True)
            self._snapshots = None


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS):
        pool.close()
