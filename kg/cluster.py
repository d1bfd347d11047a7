"""Extraction on a Dask distributed cluster: workers parse, extract and map; the client commits.

``kg build PATHS --cluster tcp://host:8786`` sends each new document to the cluster's workers; ``--cluster
local:N`` starts N worker processes on this machine. Every worker loads the spaCy pipeline once (a worker
plugin, so a worker that is restarted loads it again) and turns a document into its named graph's triples.
Those come back to the client, which commits each document in its own transaction exactly as a
single-machine build does (:func:`kg.build.build`): a document's triples depend only on the document and the
base IRI, so a task that runs twice (its worker died and the scheduler ran it again elsewhere) gives the same
graph, and a client killed in the middle leaves whole documents that the next build skips.

Why Dask rather than Ray: measured on this workload in the README ("Extraction on a cluster"). In short, a
worker is a plain Python process that imports this package, a local cluster starts in about a second, and
a lost worker's tasks are rerun by the scheduler without any code of ours.

Remote workers need this package and the model installed (``pip install 'conflict-kg[cluster]'``) and are
best started with one thread each (``dask worker tcp://host:8786 --nthreads 1``): a worker with more
threads runs its documents one at a time anyway (one pipeline per process).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator

from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from .errors import KGError
from .mapping import map_document
from .namespaces import IRIs
from .records import Document

__all__ = ["Cluster", "ClusterError", "parse_address"]

PLUGIN = "kg-extractor"
IN_FLIGHT_PER_WORKER = 4  # documents queued per worker thread: keeps workers busy without reading everything


class ClusterError(KGError):
    """The cluster address is malformed or the cluster cannot be reached."""


def parse_address(address: str) -> int | str:
    """``local:N`` → N (worker processes to start here); anything else is a scheduler address for Dask."""
    if address.startswith("local:"):
        n = address.removeprefix("local:")
        if not n.isdigit() or int(n) < 1:
            raise ClusterError(f"--cluster {address}: expected local:N with N ≥ 1 worker processes")
        return int(n)
    if "://" not in address and ":" not in address:
        raise ClusterError(f"--cluster {address}: expected a scheduler address (tcp://host:8786) or local:N")
    return address


class _ExtractorPlugin(WorkerPlugin):
    """Loads the pipeline once per worker process, when the worker starts (or joins later)."""

    name = PLUGIN

    def __init__(self, model: str | None):
        self.model = model
        self.extractor = None
        self.lock = None

    def setup(self, worker) -> None:
        from .nlp import Extractor  # imported on the worker only: the client needs no spaCy

        self.extractor = Extractor(self.model)
        self.lock = threading.Lock()


def _extract_and_map(doc: Document, base_iri: str) -> tuple[Document, list, list]:
    """Runs on a worker: the document's own and shared triples (rdflib terms), the same every time it runs."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN]
    with plugin.lock:  # one pipeline per process; spaCy documents no thread safety for it
        ex = plugin.extractor.extract(doc)
    own, shared = map_document(ex, IRIs(base_iri))
    return doc, own, shared


class Cluster:
    """A client of a Dask cluster (started here for ``local:N``) whose workers map documents to triples."""

    def __init__(self, address: str, model: str | None = None):
        target = parse_address(address)
        self._local: LocalCluster | None = None
        try:
            if isinstance(target, int):
                # loopback only, ephemeral ports only (the scheduler's HTTP server would otherwise try 8787)
                self._local = LocalCluster(n_workers=target, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", scheduler_port=0, dashboard_address="127.0.0.1:0",
                                           silence_logs=logging.CRITICAL)
                self.client = Client(self._local)
            else:
                self.client = Client(target, timeout=30)
        except (OSError, TimeoutError) as e:
            self.close()
            raise ClusterError(f"--cluster {address}: {e}") from e
        self.client.register_plugin(_ExtractorPlugin(model))

    def map_documents(self, docs: Iterable[Document], iris: IRIs) -> Iterator[tuple[Document, list, list]]:
        """Each document with its own and shared triples, in the order they are done. At most a few documents
        per worker thread are in flight, so a large input is read as the workers progress."""
        window = max(1, IN_FLIGHT_PER_WORKER * sum(self.client.nthreads().values()))
        todo = iter(docs)
        running = as_completed()

        def submit_next() -> bool:
            doc = next(todo, None)
            if doc is None:
                return False
            running.add(self.client.submit(_extract_and_map, doc, iris.base, pure=False))
            return True

        for _ in range(window):
            if not submit_next():
                break
        for future in running:
            result = future.result()
            future.release()
            submit_next()
            yield result

    def worker_pids(self) -> dict[str, int]:
        """The process id of each worker, by worker address."""
        import os

        return self.client.run(os.getpid)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._local is not None:
            self._local.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
