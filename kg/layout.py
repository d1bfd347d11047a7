"""Each triple once: where a document's triples go in the store.

The default graph researchers query is the union of the named graphs, and Oxigraph (like SPARQL's own
``GRAPH ?g`` evaluation) matches a triple once per graph that holds it. So no triple is kept in two graphs:

- A document's own triples (:func:`kg.mapping.map_document`: its node, events, statements, mentions) are
  about nodes only it mints, so they are in its graph and nowhere else.
- Its shared triples (an entity's type, label, aliases, coordinates, links), which every document that
  mentions the entity states again, are each kept in the graph of one document that states them: the first
  one stored (the *holder*). Every document also records all the shared triples it states, in one literal
  on its node: ``<doc> ck:entityFacts "<N-Triples>"``.
- When a holder is removed or replaced by a version that no longer states a triple, the triple moves, in
  the same write, to the graph of the remaining document with the smallest key that states it (found from
  the records), or goes when nobody states it any more.

The union of the document graphs is therefore the RDF merge of what the stored documents state, after any
order of builds and removals; the inferred graph holds only what none of them states
(:mod:`kg.reasoning`), and the ontology graph only the ontology.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from .namespaces import CK, GAF
from .store import Store
from .store.terms import Literal, NamedNode, RdfFormat, Triple, as_ox_triple, canonical_decimal, parse

__all__ = ["CONTENT_HASH", "ENTITY_FACTS", "document_hashes", "document_records", "document_statements",
           "put_document", "remove_documents", "stated_facts"]

ENTITY_FACTS = NamedNode(str(CK.entityFacts))
CONTENT_HASH = NamedNode(str(CK.contentHash))
_DENOTED_BY = NamedNode(str(GAF.denotedBy))
_BATCH = 200  # triples per look-up query on a remote store

OxTriple = tuple


def put_document(store: Store, key: str, own: Iterable, shared: Iterable) -> tuple[int, list[str]]:
    """Store one document (new, or replacing the stored version with the same key).

    Returns the number of triples its graph holds and the keys of the other documents whose graphs
    received triples it no longer holds (their inferences must be brought up to date too)."""
    graph = store.iris.document_graph(key)
    doc = NamedNode(str(store.iris.document(key)))
    shared_ox = list(dict.fromkeys(_as_stored(t) for t in shared))
    elsewhere = _held_by_other_documents(store, shared_ox, {key})
    triples = [as_ox_triple(t) for t in own] + [t for t in shared_ox if t not in elsewhere]
    triples.append((doc, ENTITY_FACTS, Literal(_record(shared_ox))))
    moves: dict[str, list[OxTriple]] = {}
    if store.contains_graph(graph):
        moves = _new_holders(store, _held(store, key) - set(shared_ox), {key})
    store.write_graphs({graph: triples}, {store.iris.document_graph(k): ts for k, ts in moves.items()})
    return len(triples), sorted(moves)


def remove_documents(store: Store, keys: Iterable[str]) -> tuple[int, list[str]]:
    """Remove documents; the shared triples they held move to documents that still state them.

    Returns the number of triples removed with the documents' graphs and the keys of the documents that
    received triples."""
    keys = sorted(set(keys))
    held: set[OxTriple] = set()
    size = 0
    for key in keys:
        size += store.graph_size(store.iris.document_graph(key))
        held |= _held(store, key)
    moves = _new_holders(store, held, set(keys))
    store.write_graphs({store.iris.document_graph(k): None for k in keys},
                       {store.iris.document_graph(k): ts for k, ts in moves.items()})
    return size, sorted(moves)


def stated_facts(store: Store, key: str) -> set[OxTriple]:
    """The shared triples a stored document states (its record), wherever they are held."""
    doc = NamedNode(str(store.iris.document(key)))
    graph = NamedNode(str(store.iris.document_graph(key)))
    for q in store.quads(doc, ENTITY_FACTS, None, graph):
        return _parse(q.object.value)
    return set()


def document_hashes(store: Store) -> dict[str, str]:
    """The content hash of every stored document version, by document key."""
    prefix = store.iris.document_graph_prefix
    out = {}
    for q in store.quads(None, CONTENT_HASH, None, None):
        g = q.graph_name
        if isinstance(g, NamedNode) and g.value.startswith(prefix):
            out[g.value[len(prefix):]] = q.object.value
    return out


def document_records(store: Store) -> Iterator[set[OxTriple]]:
    """The shared triples each stored document states, document by document (a vote per document: what
    most documents call an entity, where they disagree)."""
    for q in store.quads(None, ENTITY_FACTS, None, None):
        if _document_key(store, q.graph_name) is not None:
            yield _parse(q.object.value)


def document_statements(store: Store, key: str) -> set[OxTriple]:
    """Everything a stored document states: its graph (without its record) and its shared triples,
    wherever they are held."""
    graph = NamedNode(str(store.iris.document_graph(key)))
    own = {(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, graph)
           if q.predicate != ENTITY_FACTS}
    return own | stated_facts(store, key)


# ------------------------------------------------------------------------------------------ internals
_XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def _as_stored(t) -> OxTriple:
    """A triple as the store gives it back (Oxigraph keeps decimals canonical), so that a record compares
    equal to what the graphs hold."""
    s, p, o = as_ox_triple(t)
    if isinstance(o, Literal) and o.datatype.value == _XSD_DECIMAL:
        o = Literal(canonical_decimal(o.value), datatype=o.datatype)
    return s, p, o


def _record(triples: list[OxTriple]) -> str:
    return "".join(sorted(f"{Triple(*t)} .\n" for t in triples))


def _parse(record: str) -> set[OxTriple]:
    return {(t.subject, t.predicate, t.object) for t in parse(record.encode(), RdfFormat.N_TRIPLES)}


def _held(store: Store, key: str) -> set[OxTriple]:
    """The shared triples a document's graph holds: those of its record that its graph has."""
    graph = NamedNode(str(store.iris.document_graph(key)))
    doc = NamedNode(str(store.iris.document(key)))
    in_graph = {(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, graph)}
    if any(s == doc and p == ENTITY_FACTS for s, p, _ in in_graph):
        return stated_facts(store, key) & in_graph
    # a graph written before the records existed: its entity descriptions are the shared triples
    entity_ns = f"{store.iris.base}entity/"
    return {t for t in in_graph if t[0].value.startswith(entity_ns) and t[1] != _DENOTED_BY}


def _document_key(store: Store, g) -> str | None:
    prefix = store.iris.document_graph_prefix
    if isinstance(g, NamedNode) and g.value.startswith(prefix):
        return g.value[len(prefix):]
    return None


def _held_by_other_documents(store: Store, triples: list[OxTriple], exclude: set[str]) -> set[OxTriple]:
    """Which of ``triples`` some document graph other than those of ``exclude`` holds."""
    found: set[OxTriple] = set()
    if store.local:
        for t in triples:
            for q in store.quads(*t, None):
                key = _document_key(store, q.graph_name)
                if key is not None and key not in exclude:
                    found.add(t)
                    break
        return found
    for i in range(0, len(triples), _BATCH):  # one round trip per batch, not per triple
        rows = " ".join(f"({s} {p} {o})" for s, p, o in triples[i:i + _BATCH])
        for row in store.query(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES (?s ?p ?o) {{ {rows} }} "
                               f"GRAPH ?g {{ ?s ?p ?o }} }}"):
            key = _document_key(store, row["g"])
            if key is not None and key not in exclude:
                found.add((row["s"], row["p"], row["o"]))
    return found


def _new_holders(store: Store, triples: set[OxTriple], exclude: set[str]) -> dict[str, list[OxTriple]]:
    """For each of ``triples`` that a document outside ``exclude`` states: the one with the smallest key."""
    if not triples:
        return {}
    subjects = {t[0].value for t in triples}
    holder: dict[OxTriple, str] = {}
    for q in store.quads(None, ENTITY_FACTS, None, None):
        key = _document_key(store, q.graph_name)
        if key is None or key in exclude:
            continue
        record = q.object.value
        if not any(s in record for s in subjects):  # most records mention none of these entities
            continue
        for t in _parse(record) & triples:
            if t not in holder or key < holder[t]:
                holder[t] = key
    out: dict[str, list[OxTriple]] = defaultdict(list)
    for t, key in holder.items():
        out[key].append(t)
    return dict(out)
