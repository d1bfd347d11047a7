"""The project's RDF term and format layer: pyoxigraph's classes, re-exported from one place.

Every module outside :mod:`kg.store` takes its RDF terms (``NamedNode``, ``Literal``, ``Quad`` …), its
parsers and serializers (``parse``, ``serialize``, ``parse_query_results``) and its format enums
(``RdfFormat``, ``QueryResultsFormat``) from here, never from pyoxigraph itself, so the engine behind
them stays a detail of the store package. Query results have the same types for every backend.

The rdflib ↔ pyoxigraph conversion is written out here (:func:`to_ox`, :func:`from_ox`). oxrdflib, which
has such converters, keeps them private (``oxrdflib._converter``) and maps an ``xsd:string`` literal to
``Literal(v, datatype=XSD.string)``, which rdflib does not consider equal to the plain ``Literal(v)`` the
mapping produces; its public part is an rdflib store plugin the project does not use, so it is not a
dependency.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolution,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
    Variable,
    parse,
    parse_query_results,
    serialize,
)
from rdflib import BNode, URIRef
from rdflib import Literal as RdflibLiteral
from rdflib.term import Node

__all__ = [
    "BlankNode", "CanonicalizationAlgorithm", "Dataset", "DefaultGraph", "GraphName", "Literal", "NamedNode",
    "Object", "Quad", "QueryBoolean", "QueryResult", "QueryResultsFormat", "QuerySolution", "QuerySolutions",
    "QueryTriples", "RdfFormat", "Subject", "Triple", "TripleTerms", "Variable", "XSD_DECIMAL", "XSD_STRING",
    "as_ox_triple",
    "canonical_decimal", "from_ox", "graph_name", "parse", "parse_query_results", "serialize", "to_ox",
    "triples_to_quads",
]

Subject = NamedNode | BlankNode
Object = NamedNode | BlankNode | Literal
GraphName = NamedNode | DefaultGraph
TripleTerms = tuple  # (subject, predicate, object) of pyoxigraph terms
QueryResult = QuerySolutions | QueryBoolean | QueryTriples

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def to_ox(term: Node) -> NamedNode | BlankNode | Literal:
    """rdflib term → pyoxigraph term."""
    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, BNode):
        return BlankNode(str(term))
    if isinstance(term, RdflibLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype:
            return Literal(str(term), datatype=NamedNode(str(term.datatype)))
        return Literal(str(term))
    raise TypeError(f"cannot store {term!r}")


def from_ox(term) -> Node:
    """pyoxigraph term → rdflib term (``xsd:string`` literals become plain ones, as rdflib writes them)."""
    if isinstance(term, NamedNode):
        return URIRef(term.value)
    if isinstance(term, BlankNode):
        return BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return RdflibLiteral(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return RdflibLiteral(term.value)
        return RdflibLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def as_ox_triple(t) -> TripleTerms:
    """A triple of rdflib or pyoxigraph terms → a triple of pyoxigraph terms."""
    s, p, o = t
    if isinstance(p, NamedNode):
        return s, p, o
    return to_ox(s), to_ox(p), to_ox(o)


def triples_to_quads(triples: Iterable, graph) -> Iterator[Quad]:
    """Triples (rdflib or pyoxigraph terms) → quads in the named graph ``graph`` (an IRI or a NamedNode)."""
    g = graph_name(graph)
    for t in triples:
        s, p, o = as_ox_triple(t)
        yield Quad(s, p, o, g)


def graph_name(graph) -> GraphName:
    """An IRI (str, rdflib URIRef) or a pyoxigraph graph name → a pyoxigraph graph name."""
    if isinstance(graph, NamedNode | DefaultGraph):
        return graph
    return NamedNode(str(graph))


def canonical_decimal(lexical: str) -> str:
    """The canonical form Oxigraph gives an ``xsd:decimal`` ("0.90" → "0.9", "3.0" → "3", "-0" → "0");
    the lexical form unchanged when it is not a decimal."""
    try:
        d = Decimal(lexical)
    except InvalidOperation:
        return lexical
    if not d.is_finite():
        return lexical
    if d.is_zero():
        return "0"
    return format(d.normalize(), "f")
