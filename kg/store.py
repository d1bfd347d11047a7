"""The embedded on-disk store: Oxigraph (RocksDB) through pyoxigraph.

Layout of the dataset (named graphs, IRIs from :class:`kg.namespaces.IRIs`):
- one graph per document (asserted facts and their provenance),
- the ontology graph,
- the inferred graph (everything the reasoner derived; never mixed into a document graph).

Every write is one Oxigraph transaction, so a document's facts land together or not at all,
and a crash (even ``kill -9``) leaves only whole documents behind.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import StoreError, StoreLockedError
from .namespaces import CK, IRIs
from .xmlguard import refuse_dtd_file

__all__ = ["Store", "to_ox", "from_ox", "triples_to_quads"]

DEFAULT_STORE = "kg-data"
# RocksDB lets a read-only opener read files a writer in another process is compacting away, which
# corrupts reads; this advisory lock makes readers (shared) and the writer (exclusive) exclude each other.
LOCK_FILE = "kg.lock"


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """rdflib term → pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store {term!r}")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def from_ox(term) -> Node:
    """pyoxigraph term → rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def triples_to_quads(triples: Iterable[tuple[Node, Node, Node]], graph: URIRef) -> Iterator[ox.Quad]:
    g = ox.NamedNode(str(graph))
    for s, p, o in triples:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), g)


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


class Store:
    """A knowledge-graph store on disk. Open read-write (one process) or read-only (many)."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_STORE, *, read_only: bool = False,
                 base_iri: str | None = None):
        self.path = Path(path)
        self.read_only = read_only
        self.iris = IRIs(base_iri)
        self._lock_fd: int | None = None
        try:
            if read_only:
                if not (self.path / "CURRENT").exists():
                    raise StoreError(f"{self.path}: no knowledge graph here (run `kg build` first)")
                self._lock()
                self.ox = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._lock()
                self.ox = ox.Store(str(self.path))
        except OSError as e:
            self._unlock()
            if "lock" in str(e).lower():
                raise StoreLockedError(
                    f"{self.path}: the store is open for writing in another process "
                    "(a running `kg build` or `kg serve`); stop it or use another --store") from e
            raise StoreError(f"{self.path}: cannot open store: {e}") from e

    # ------------------------------------------------------------------ documents
    def document_keys(self) -> list[str]:
        prefix = self.iris.document_graph_prefix
        return sorted(g.value[len(prefix):] for g in self.ox.named_graphs()
                      if isinstance(g, ox.NamedNode) and g.value.startswith(prefix))

    def document_hash(self, doc_key: str) -> str | None:
        """The content hash of the stored document with this key, or None when it is not stored."""
        graph = ox.NamedNode(str(self.iris.document_graph(doc_key)))
        doc = ox.NamedNode(str(self.iris.document(doc_key)))
        for q in self.ox.quads_for_pattern(doc, ox.NamedNode(str(CK.contentHash)), None, graph):
            return q.object.value
        return None

    def has_document(self, doc_key: str, content_hash: str | None = None) -> bool:
        if content_hash is None:
            return self.ox.contains_named_graph(ox.NamedNode(str(self.iris.document_graph(doc_key))))
        return self.document_hash(doc_key) == content_hash

    def put_graph(self, graph_iri: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> int:
        """Replace one named graph with ``triples`` in a single transaction. Returns the count."""
        self._check_writable()
        quads = list(triples_to_quads(triples, graph_iri))
        g = ox.NamedNode(str(graph_iri))
        if not self.ox.contains_named_graph(g):
            self.ox.extend(quads)  # one transaction
        else:
            # DROP + INSERT DATA in one update request is one transaction in Oxigraph.
            body = "\n".join(str(q.triple) + " ." for q in quads)
            self.ox.update(f"DROP SILENT GRAPH {g} ; INSERT DATA {{ GRAPH {g} {{\n{body}\n}} }}")
        return len(quads)

    def remove_graph(self, graph_iri: URIRef) -> None:
        self._check_writable()
        g = ox.NamedNode(str(graph_iri))
        if self.ox.contains_named_graph(g):
            self.ox.remove_graph(g)

    def graph_triples(self, graph_iri: URIRef) -> Iterator[tuple[Node, Node, Node]]:
        for q in self.ox.quads_for_pattern(None, None, None, ox.NamedNode(str(graph_iri))):
            yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)

    def graph(self, graph_iri: URIRef) -> Graph:
        """An in-memory rdflib copy of one named graph (for reasoning and validation)."""
        g = Graph(identifier=graph_iri)
        for t in self.graph_triples(graph_iri):
            g.add(t)
        return g

    def graph_size(self, graph_iri: URIRef) -> int:
        res = self.ox.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
        return int(next(iter(res))["n"].value)

    def load(self, path: str | os.PathLike[str], graph_iri: str | None, format: ox.RdfFormat | None = None) -> None:
        """Load an RDF file into a named graph (or the default graph when ``graph_iri`` is None)."""
        self._check_writable()
        fmt = format or ox.RdfFormat.from_extension(Path(path).suffix.lstrip(".") or "nt")
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

    # ------------------------------------------------------------------ queries
    def query(self, sparql: str, **kwargs):
        """Run a SPARQL query with Oxigraph (pass strings: see DESIGN.md on oxrdflib fallbacks)."""
        return self.ox.query(sparql, **kwargs)

    def update(self, sparql: str, **kwargs) -> None:
        self._check_writable()
        self.ox.update(sparql, **kwargs)

    def __len__(self) -> int:
        return len(self.ox)

    def flush(self) -> None:
        if not self.read_only:
            self.ox.flush()

    def close(self) -> None:
        self.flush()
        del self.ox
        self._unlock()

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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: store is open read-only")
