"""Queries for a server in front of a remote store (``kg serve --store http://…``).

A remote SPARQL server evaluates the queries itself, so there is no engine here to confine: the query pool's
worker processes (which open an embedded store's files) are replaced by :class:`RemoteQueries`, which has the
pool's interface (``run``, ``timeout``, ``generation``, ``writing`` …) and sends each checked query to the
store with :meth:`kg.store.base.Store.query`. The endpoint's other safeguards stay as they are: the query is
parsed and refused (SERVICE, LOAD, ``file:`` IRIs, size, nesting) before it is sent, results are capped at
``KG_MAX_ROWS`` and serialized here, a client runs at most ``per_client`` queries at once and all clients at
most ``max_workers``, and a request that the remote server does not answer within the time limit ends in a
503 (the request is given up on; the remote server's own limits stop the evaluation).

A remote store is served read-only: SPARQL Update and Graph Store writes go to the remote server itself, with
its own accounts (``kg build`` / ``kg load`` write through the Store interface).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager

from kg.errors import QueryError
from kg.store import Store

from ._worker import execute
from .executor import QueryBusyError, QueryOutput, QueryTask

__all__ = ["RemoteQueries"]


class RemoteQueries:
    """The query pool's interface over a store that answers queries itself (see the module docstring)."""

    def __init__(self, store: Store, *, timeout: float = 30.0, max_workers: int = 8, per_client: int = 2):
        self.store = store
        self.timeout = timeout
        self.memory_bytes: int | None = None
        self.per_client = max(1, per_client)
        self._threads = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="kg-remote")
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}

    @property
    def generation(self) -> int:
        """Other clients write a remote store at any time: what is cached per generation lasts a minute."""
        return int(time.monotonic() // 60)

    def run(self, task: QueryTask, timeout: float | None = None, *, client: str = "") -> QueryOutput:
        """Evaluate ``task`` on the remote store within ``timeout`` seconds (default: the pool's)."""
        if task.update is not None or task.parse is not None:
            raise QueryError("this server is read-only in front of a remote store")
        if task.dump:
            raise QueryError("the whole dataset of a remote store is read from the store itself (kg export)")
        with self._lock:
            if self._running.get(client, 0) >= self.per_client:
                raise QueryBusyError(f"too many queries from your address at once ({self.per_client} may run)")
            self._running[client] = self._running.get(client, 0) + 1
        try:
            future: Future[tuple[str, bytes, int, bool]] = self._threads.submit(execute, self.store, vars(task))
            limit = self.timeout if timeout is None else timeout
            try:
                return QueryOutput(*future.result(timeout=limit))
            except FutureTimeout:
                future.cancel()
                raise QueryBusyError(f"the remote store did not answer within the time limit of {limit:g} s") \
                    from None
        finally:
            with self._lock:
                self._running[client] -= 1
                if not self._running[client]:
                    del self._running[client]

    def trial_update(self, *args: object, **kwargs: object) -> None:
        raise QueryError("this server is read-only in front of a remote store")

    @contextmanager
    def writing(self) -> Iterator[None]:
        raise QueryError("this server is read-only in front of a remote store")
        yield  # pragma: no cover - a generator for contextmanager

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
