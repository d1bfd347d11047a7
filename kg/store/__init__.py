"""Where the knowledge graph lives: one :class:`Store` interface, two backends.

``Store(location)`` opens the backend a location names (``--store`` / ``KG_STORE``):

- a folder → :class:`~kg.store.oxigraph.OxigraphStore`, the embedded Oxigraph store (the default, ``kg-data``);
- an ``http(s)://`` URL → :class:`~kg.store.sparql.SparqlStore`, a remote SPARQL 1.1 server (Virtuoso,
  Fuseki, GraphDB …) spoken to with SPARQL 1.1 Query, SPARQL 1.1 Update and the Graph Store HTTP Protocol
  only (the URL syntax: :mod:`kg.store.spec`).

Modules outside this package take RDF terms, parsers, serializers and formats from :mod:`kg.store.terms`
and never import pyoxigraph or reach into a backend. A new backend is one module here implementing the
abstract methods of :class:`~kg.store.base.Store`, plus one line in ``base._backend`` and one in
:func:`~kg.store.spec.parse_location`.
"""

from .base import GraphRef, Store
from .spec import DEFAULT_STORE, RemoteOptions, StoreSpec, looks_like_url, parse_location
from .terms import from_ox, to_ox, triples_to_quads

__all__ = ["DEFAULT_STORE", "GraphRef", "RemoteOptions", "Store", "StoreSpec", "from_ox", "looks_like_url",
           "parse_location", "to_ox", "triples_to_quads"]
