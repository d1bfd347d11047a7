"""OWL 2 RL reasoning with owlrl: asserted graphs + ontology → the inferred named graph.

owlrl's closure is the reference semantics. It also writes junk that does not belong in a
knowledge graph (literal subjects such as ``"2018"^^xsd:gYear a rdfs:Datatype``, reflexive
owl:sameAs, datatype axioms); :func:`is_junk` filters it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import owlrl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "conflict.ttl"

Triple = tuple[Node, Node, Node]

__all__ = ["ONTOLOGY_FILE", "load_ontology", "owlrl_closure", "is_junk"]


def load_ontology(path: Path = ONTOLOGY_FILE) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    return g


def is_junk(t: Triple) -> bool:
    s, p, o = t
    if isinstance(s, Literal):
        return True
    if p == OWL.sameAs and s == o:
        return True
    if p == RDF.type and o in (RDFS.Datatype, RDFS.Resource, OWL.Thing):
        return True
    # owlrl axiomatic triples about built-in vocabulary are noise for users
    if isinstance(s, URIRef) and str(s).startswith(_BUILTIN):
        return True
    return False


_BUILTIN = (str(RDF), str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#")


def owlrl_closure(ontology: Graph, asserted: Iterable[Triple]) -> set[Triple]:
    """What owlrl's OWL 2 RL semantics derives beyond the ontology and asserted triples, minus junk."""
    g = Graph()
    for t in ontology:
        g.add(t)
    for t in asserted:
        g.add(t)
    before = set(g)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)
    return {t for t in g if t not in before and not is_junk(t)}
