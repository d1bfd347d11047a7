"""The store interface: what the pipeline, the reasoner and the exports need from a triple store.

One small abstract class, :class:`Store`, in the manner of httpx's ``BaseTransport``. A backend
implements the abstract methods; everything else (document look-ups, rdflib copies of graphs) is built on
them here. ``Store(location)`` opens the backend the location names (like ``pathlib.Path``): a folder is the
embedded Oxigraph store, an ``http(s)://`` URL a remote SPARQL endpoint (:func:`kg.store.spec.parse_location`).

Terms are pyoxigraph's (:mod:`kg.store.terms`); query results have pyoxigraph's types for every backend.

The dataset: one named graph per document, the ontology graph and the inferred graph (IRIs from
:class:`kg.namespaces.IRIs`). A write of one graph (:meth:`Store.put_graph`, :meth:`Store.remove_graph`) is
all or nothing, so an interrupted build leaves whole documents only.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from rdflib import Graph, URIRef
from rdflib.term import Node

from ..namespaces import CK, IRIs
from .spec import DEFAULT_STORE, StoreSpec, parse_location
from .terms import (
    GraphName,
    NamedNode,
    Object,
    Quad,
    QueryResult,
    Subject,
    as_ox_triple,
    from_ox,
    graph_name,
)

__all__ = ["GraphRef", "Store"]

GraphRef = NamedNode | URIRef | str  # a named graph, by pyoxigraph term or IRI


class Store(ABC):
    """A knowledge-graph store.

    Attributes every backend sets: ``iris`` (the IRI scheme of this graph), ``read_only``, ``spec`` (a
    picklable :class:`StoreSpec` that opens the same store again, e.g. in a worker process),
    ``exclusive`` (True when no other process can change the store while this object is open, as the
    embedded store's lock guarantees; False for a remote store, which other clients may write at any
    time) and ``local`` (True when a read is a call into this process that costs microseconds; False when
    each is a network round trip, so callers should batch them).
    """

    iris: IRIs
    read_only: bool
    spec: StoreSpec
    exclusive: bool
    local: bool

    def __new__(cls, location: str | os.PathLike[str] | StoreSpec = DEFAULT_STORE, *args: Any, **kwargs: Any):
        if cls is Store:
            spec = location if isinstance(location, StoreSpec) else parse_location(location)
            cls = _backend(spec.kind)
        return super().__new__(cls)

    # ------------------------------------------------------------------ reading
    @abstractmethod
    def query(self, sparql: str, *, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None,
              use_default_graph_as_union: bool = False, default_graph: Sequence[GraphName] | None = None,
              named_graphs: Sequence[NamedNode] | None = None) -> QueryResult:
        """Evaluate a SPARQL 1.1 query. ``prefixes`` are predeclared; ``use_default_graph_as_union`` makes
        the default graph the union of all graphs where the backend can choose (a remote server decides
        itself: Virtuoso's default graph is that union); ``default_graph`` / ``named_graphs`` set the
        dataset as the protocol's ``default-graph-uri`` / ``named-graph-uri`` do. Raises SyntaxError for
        a malformed query, :class:`StoreError` when the store cannot answer."""

    @abstractmethod
    def quads(self, subject: Subject | None = None, predicate: NamedNode | None = None,
              object: Object | None = None, graph: GraphName | None = None) -> Iterator[Quad]:
        """Stream the quads matching a pattern (None matches anything), named graphs only when ``graph``
        is None. With only ``predicate`` bound, the copies of one triple held by several graphs come one
        after another (what :func:`kg.export.union_triples` relies on). A remote store cannot look up a
        blank node (SPARQL has no way to name a stored one) and raises :class:`StoreError`."""

    @abstractmethod
    def graphs(self) -> Iterator[NamedNode]:
        """The named graphs of the dataset."""

    @abstractmethod
    def contains_graph(self, graph: GraphRef) -> bool:
        """Whether the named graph holds at least one triple."""

    @abstractmethod
    def graph_size(self, graph: GraphRef) -> int:
        """The number of triples in one named graph."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of quads in the dataset."""

    @abstractmethod
    def read_view(self) -> AbstractContextManager[Store]:
        """``with store.read_view() as view:`` a read-only store whose content stays what it was when the
        view was taken (for exports and validation that read in several passes)."""

    # ------------------------------------------------------------------ writing
    @abstractmethod
    def put_graph(self, graph: GraphRef, triples: Iterable, *, atomic: bool = True) -> int:
        """Make the named graph hold exactly ``triples`` (rdflib or pyoxigraph terms); returns their count.

        Atomic: readers and a crash see the old graph or the new one, never a mix. ``atomic=False`` lets
        the backend use a faster bulk path for large graphs whose writer can redo the work after a crash
        (the inferred graph)."""

    def write_graphs(self, put: Mapping[GraphRef, Iterable | None], add: Mapping[GraphRef, Iterable]) -> None:
        """Make each graph of ``put`` hold exactly its triples (None: remove it) and add triples to the graphs
        of ``add``. One transaction where the backend has them; else the additions come first, so a crash in
        the middle may leave a triple in two graphs but never loses one."""
        for g, triples in add.items():
            self.change_graph(g, [as_ox_triple(t) for t in triples], ())
        for g, maybe in put.items():
            if maybe is None:
                self.remove_graph(g)
            else:
                self.put_graph(g, maybe)

    @abstractmethod
    def remove_graph(self, graph: GraphRef) -> None:
        """Remove one named graph (nothing happens when it does not exist)."""

    @abstractmethod
    def change_graph(self, graph: GraphRef, insert: Iterable, delete: Iterable, *, atomic: bool = True) -> None:
        """Remove the triples ``delete`` from the named graph and add ``insert`` (pyoxigraph term triples)."""

    @abstractmethod
    def update(self, sparql: str, *, prefixes: Mapping[str, str] | None = None,
               base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update."""

    @abstractmethod
    def load(self, path: str | os.PathLike[str], graph_iri: str | None) -> None:
        """Add an RDF file to a named graph (or the default graph when ``graph_iri`` is None; quads files
        keep their own graphs). A malformed file adds nothing."""

    # ------------------------------------------------------------------ bookkeeping
    @abstractmethod
    def read_note(self, name: str) -> str | None:
        """A small text the tool keeps with the store, outside its RDF (None when there is none)."""

    @abstractmethod
    def write_note(self, name: str, text: str) -> None:
        """Replace a note atomically (the old text or the new one, never half of it)."""

    @abstractmethod
    def flush(self) -> None:
        """Make every write durable."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release the store; the object is unusable afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __str__(self) -> str:
        return str(self.spec)

    # ------------------------------------------------------------------ built on the above
    def document_keys(self) -> list[str]:
        prefix = self.iris.document_graph_prefix
        return sorted(g.value[len(prefix):] for g in self.graphs() if g.value.startswith(prefix))

    def document_hash(self, doc_key: str) -> str | None:
        """The content hash of the stored document with this key, or None when it is not stored."""
        graph = NamedNode(str(self.iris.document_graph(doc_key)))
        doc = NamedNode(str(self.iris.document(doc_key)))
        for q in self.quads(doc, _CONTENT_HASH, None, graph):
            return q.object.value  # type: ignore[union-attr]  # a literal
        return None

    def has_document(self, doc_key: str, content_hash: str | None = None) -> bool:
        if content_hash is None:
            return self.contains_graph(self.iris.document_graph(doc_key))
        return self.document_hash(doc_key) == content_hash

    def graph_triples(self, graph: GraphRef) -> Iterator[tuple[Node, Node, Node]]:
        """One named graph's triples as rdflib terms."""
        for q in self.quads(None, None, None, graph_name(graph)):
            yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)

    def graph(self, graph: GraphRef) -> Graph:
        """An in-memory rdflib copy of one named graph (for reasoning and validation)."""
        g = Graph(identifier=URIRef(str(graph_name(graph).value)))  # type: ignore[union-attr]  # a named graph
        for t in self.graph_triples(graph):
            g.add(t)
        return g

    def _check_writable(self) -> None:
        from ..errors import StoreError

        if self.read_only:
            raise StoreError(f"{self}: store is open read-only")


_CONTENT_HASH = NamedNode(str(CK.contentHash))


def _backend(kind: str) -> type[Store]:
    if kind == "oxigraph":
        from .oxigraph import OxigraphStore
        return OxigraphStore
    from .sparql import SparqlStore
    return SparqlStore

