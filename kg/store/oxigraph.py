"""The embedded store: Oxigraph (RocksDB) in a folder, through pyoxigraph. The default backend.

Every atomic write is one Oxigraph transaction, so a document's facts land together or not at all, and a
crash (even ``kill -9``) leaves only whole documents behind.

One writer or many readers: RocksDB lets a read-only opener read files a writer in another process is
compacting away, which corrupts reads, so an advisory lock (``kg.lock`` in the folder) makes readers
(shared) and the writer (exclusive) exclude each other. A read view of a store open for writing is a
snapshot: a RocksDB checkpoint (hard links, cheap) in a sibling folder, deleted when the view closes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pyoxigraph as ox

from ..errors import StoreError, StoreLockedError
from ..namespaces import IRIs
from ..xmlguard import refuse_dtd_file
from .base import GraphRef, Store
from .spec import DEFAULT_STORE, StoreSpec, parse_location
from .terms import GraphName, NamedNode, Quad, QueryResult, as_ox_triple, graph_name, triples_to_quads

__all__ = ["LOCK_FILE", "OxigraphStore"]

LOCK_FILE = "kg.lock"
# Past this many quads a write that need not be atomic uses Oxigraph's bulk loader: ~8× faster than a
# transaction at a million quads, but a crash in the middle leaves part of it.
TRANSACTION_MAX = 50_000



def _this_process() -> str:
    """How the lock file names its writer: the command (``kg serve``, ``kg build`` …) and the process id."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    if name in ("kg", "__main__.py") and len(sys.argv) > 1:
        name = f"kg {sys.argv[1]}"
    return f"`{name}` (process {os.getpid()})"


def _lock_holder(fd: int) -> str:
    try:
        named = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        named = ""
    return named or "another process (a running `kg serve` with an update token, `kg build` or `kg load`)"

class OxigraphStore(Store):
    """A knowledge-graph store in a folder. Open read-write (one process) or read-only (many).

    ``ox`` is the pyoxigraph Store itself: only the store package should use it (the endpoint's query
    workers still open snapshots of it directly)."""

    exclusive = True  # the lock keeps every other writer out while this object is open
    local = True

    def __init__(self, location: str | os.PathLike[str] | StoreSpec = DEFAULT_STORE, *, read_only: bool = False,
                 base_iri: str | None = None):
        spec = location if isinstance(location, StoreSpec) else parse_location(location)
        if spec.kind != "oxigraph":
            raise StoreError(f"{spec}: not an embedded store")
        self.path = Path(spec.location)
        self.read_only = read_only or spec.read_only or spec.snapshot
        self.iris = IRIs(base_iri or spec.base_iri)
        self.spec = StoreSpec("oxigraph", str(self.path), self.read_only, base_iri or spec.base_iri,
                              snapshot=spec.snapshot)
        self._lock_fd: int | None = None
        try:
            if self.read_only:
                if not (self.path / "CURRENT").exists():
                    raise StoreError(f"{self.path}: no knowledge graph here (run `kg build` first)")
                if not spec.snapshot:  # a snapshot is immutable: nobody writes it
                    self._lock()
                self.ox = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._lock()
                self.ox = ox.Store(str(self.path))
                # views left by a writer that was killed (only a writer takes them, and we hold the lock)
                for stale in self.path.resolve().parent.glob(f".{self.path.name}-view-*"):
                    shutil.rmtree(stale, ignore_errors=True)
        except OSError as e:
            self._unlock()
            if "lock" in str(e).lower():
                raise StoreLockedError(
                    f"{self.path}: the store is open for writing in another process "
                    "(a running `kg build` or `kg serve`); stop it or use another --store") from e
            raise StoreError(f"{self.path}: cannot open store: {e}") from e

    def __str__(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------------ reading
    def query(self, sparql: str, *, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None,
              use_default_graph_as_union: bool = False, default_graph: Sequence[GraphName] | None = None,
              named_graphs: Sequence[NamedNode] | None = None) -> QueryResult:
        kwargs: dict = {}
        if prefixes:
            kwargs["prefixes"] = dict(prefixes)
        if base_iri:
            kwargs["base_iri"] = base_iri
        if use_default_graph_as_union:
            kwargs["use_default_graph_as_union"] = True
        if default_graph is not None:
            kwargs["default_graph"] = list(default_graph)
        if named_graphs is not None:
            kwargs["named_graphs"] = list(named_graphs)
        return self.ox.query(sparql, **kwargs)

    def quads(self, subject=None, predicate=None, object=None, graph=None) -> Iterator[Quad]:
        # (predicate, object, subject, graph) index order when only the predicate is bound: copies of a
        # triple in several graphs are adjacent, as the interface promises
        return self.ox.quads_for_pattern(subject, predicate, object, graph)

    def graphs(self) -> Iterator[NamedNode]:
        return (g for g in self.ox.named_graphs() if isinstance(g, NamedNode))

    def contains_graph(self, graph: GraphRef) -> bool:
        return self.ox.contains_named_graph(graph_name(graph))

    def graph_size(self, graph: GraphRef) -> int:
        res = self.ox.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph_name(graph)} {{ ?s ?p ?o }} }}")
        return int(next(iter(res))["n"].value)  # type: ignore[arg-type]  # a SELECT: solutions

    def __len__(self) -> int:
        return len(self.ox)

    def read_view(self):
        if self.read_only:  # the shared lock (or immutability) keeps writers out while we read
            return nullcontext(self)
        return self._snapshot_view()

    @contextmanager
    def _snapshot_view(self) -> Iterator[OxigraphStore]:
        parent = self.path.resolve().parent
        folder = tempfile.mkdtemp(prefix=f".{self.path.name}-view-", dir=parent)
        try:
            view = OxigraphStore(self.snapshot(os.path.join(folder, "snapshot")))
            try:
                yield view
            finally:
                view.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def snapshot(self, target: str | os.PathLike[str]) -> StoreSpec:
        """Write an immutable copy of the store to the new folder ``target`` (a RocksDB checkpoint: hard
        links when on the same file system) and return the spec that opens it read-only, in any process."""
        self.flush()
        try:
            self.ox.backup(str(target))
        except OSError as e:
            raise StoreError(f"{self.path}: cannot take a snapshot in {target}: {e}") from e
        return StoreSpec("oxigraph", str(target), True, self.spec.base_iri, snapshot=True)

    # ------------------------------------------------------------------ writing
    def put_graph(self, graph: GraphRef, triples: Iterable, *, atomic: bool = True) -> int:
        self._check_writable()
        g = graph_name(graph)
        quads = list(triples_to_quads(triples, g))
        exists = self.ox.contains_named_graph(g)
        if not atomic and len(quads) > TRANSACTION_MAX:
            if exists:
                self.ox.remove_graph(g)
            self.ox.bulk_extend(quads)
        elif not exists:
            self.ox.extend(quads)  # one transaction
        else:
            # DROP + INSERT DATA in one update request is one transaction in Oxigraph.
            body = "\n".join(str(q.triple) + " ." for q in quads)
            self.ox.update(f"DROP SILENT GRAPH {g} ; INSERT DATA {{ GRAPH {g} {{\n{body}\n}} }}")
        return len(quads)

    def write_graphs(self, put, add) -> None:
        if not add and len(put) == 1:
            [(g, triples)] = put.items()
            if triples is None:
                self.remove_graph(g)
            else:
                self.put_graph(g, triples)
            return
        self._check_writable()
        ops = [f"DROP SILENT GRAPH {graph_name(g)}" for g in put]
        body = []
        for g, triples in [*put.items(), *add.items()]:
            if triples is not None:
                lines = "\n".join(f"{s} {p} {o} ." for s, p, o in map(as_ox_triple, triples))
                body.append(f"GRAPH {graph_name(g)} {{\n{lines}\n}}")
        if body:
            ops.append("INSERT DATA {\n" + "\n".join(body) + "\n}")
        self.ox.update(" ;\n".join(ops))  # one update request: one transaction

    def remove_graph(self, graph: GraphRef) -> None:
        self._check_writable()
        g = graph_name(graph)
        if self.ox.contains_named_graph(g):
            self.ox.remove_graph(g)

    def change_graph(self, graph: GraphRef, insert: Iterable, delete: Iterable, *, atomic: bool = True) -> None:
        self._check_writable()
        g = graph_name(graph)
        ins, dels = list(insert), list(delete)
        if not ins and not dels:
            return
        bulk = not atomic and len(ins) + len(dels) > TRANSACTION_MAX
        if bulk or any(isinstance(x, ox.BlankNode) for t in dels for x in t):
            # SPARQL DELETE DATA takes no blank nodes (and the bulk path has no transaction anyway)
            for s, p, o in dels:
                self.ox.remove(Quad(s, p, o, g))
            quads = [Quad(s, p, o, g) for s, p, o in ins]
            if bulk:
                self.ox.bulk_extend(quads)
            else:
                self.ox.extend(quads)
            return
        parts = []
        for verb, triples in (("DELETE", dels), ("INSERT", ins)):
            if triples:
                body = "\n".join(f"{s} {p} {o} ." for s, p, o in triples)
                parts.append(f"{verb} DATA {{ GRAPH {g} {{\n{body}\n}} }}")
        self.ox.update(" ;\n".join(parts))  # one transaction

    def update(self, sparql: str, *, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None) -> None:
        self._check_writable()
        kwargs: dict = {}
        if prefixes:
            kwargs["prefixes"] = dict(prefixes)
        if base_iri:
            kwargs["base_iri"] = base_iri
        self.ox.update(sparql, **kwargs)

    def load(self, path: str | os.PathLike[str], graph_iri: str | None) -> None:
        self._check_writable()
        fmt = ox.RdfFormat.from_extension(Path(path).suffix.lstrip(".") or "nt")
        if fmt is None:
            raise StoreError(f"{path}: unknown RDF format (use .ttl, .nt, .nq, .trig, .rdf, .jsonld)")
        to = ox.NamedNode(graph_iri) if graph_iri else ox.DefaultGraph()
        if fmt == ox.RdfFormat.RDF_XML:
            refuse_dtd_file(path)  # entity expansion ("billion laughs") would exhaust memory
        try:
            with open(path, "rb") as f:
                if fmt.supports_datasets:
                    self.ox.load(f, format=fmt)
                else:
                    self.ox.load(f, format=fmt, to_graph=to)
        except SyntaxError as e:
            raise StoreError(f"{path}: {e}") from e

    # ------------------------------------------------------------------ bookkeeping
    def read_note(self, name: str) -> str | None:
        try:
            return (self.path / name).read_text(encoding="utf-8")
        except OSError:
            return None

    def write_note(self, name: str, text: str) -> None:
        self._check_writable()
        path = self.path / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # atomic: the old note or the new one, never half a file

    def flush(self) -> None:
        if not self.read_only:
            self.ox.flush()

    def optimize(self) -> None:
        """Compact the database (RocksDB): smaller and faster to read after a big build."""
        self._check_writable()
        self.ox.optimize()

    def close(self) -> None:
        if not hasattr(self, "ox"):
            return
        self.flush()
        del self.ox
        self._unlock()

    # ------------------------------------------------------------------ the lock
    def _lock(self) -> None:
        try:
            fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            if self.read_only:
                return  # a store on read-only media has no writer to exclude
            raise
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.read_only else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            os.close(fd)
            if self.read_only:
                raise StoreLockedError(f"{self.path}: the store is being written by {holder}; try again when it "
                                       "is done, or query it through that server's endpoint") from None
            raise StoreLockedError(f"{self.path}: the store is open in another process (a running `kg serve`, "
                                   "`kg build` or `kg query`); stop it or use another --store") from None
        if not self.read_only:  # the writer names itself, so that the others can say who holds the store
            os.ftruncate(fd, 0)
            os.pwrite(fd, _this_process().encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            if not self.read_only:
                os.ftruncate(self._lock_fd, 0)  # no longer the writer
            os.close(self._lock_fd)  # closing the descriptor releases the lock
            self._lock_fd = None
