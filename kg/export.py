"""Export the store as linked data (RDF formats, VoID) or for graph tools (GraphML, GEXF, Neo4j, Cytoscape.js).

Exporters are a small registry of named plugins (rdflib ``plugin.py`` style): :data:`EXPORTERS` maps a
format name to an :class:`Exporter`, whose ``write(store, out, graphs)`` streams bytes to a binary file.
Graph-tool exporters import :mod:`kg.graphtools` (and networkx) lazily.

Which graphs (``graphs=``):
- ``asserted``: every document graph; ``inferred``: the inferred graph;
  ``all``: document graphs + the inferred graph + the ontology graph.

Dataset formats (N-Quads, TriG) keep the named graphs. Triple formats (N-Triples, Turtle, RDF/XML, JSON-LD)
write the union of the chosen graphs without duplicates (see :func:`union_triples`): N-Triples in index
order with O(1) memory; the others grouped by subject, remembering only the triples that several chosen
graphs share. No whole-graph copy is ever made. Graph-tool formats always project the
document graphs (events are asserted facts) and ignore ``graphs``.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from .control import derived_graph
from .errors import KGError
from .namespaces import CK, PREFIXES
from .store import Store
from .store import terms as rdf

__all__ = [
    "ALIASES", "CONTEXT_FILE", "EXPORTERS", "Exporter", "ExportError", "GRAPH_SELECTIONS", "export", "get_exporter",
    "jsonld_context", "register", "selected_graphs", "union_triples", "void_graph",
]

CONTEXT_FILE = Path(__file__).resolve().parents[1] / "ontology" / "context.jsonld"
GRAPH_SELECTIONS = ("asserted", "inferred", "all")
VOID = Namespace("http://rdfs.org/ns/void#")
_RDF_TYPE = str(RDF.type)
_XSD_STRING = str(XSD.string)


class ExportError(KGError):
    """An export cannot be written as asked (unknown format or graph selection, unsupported output)."""


Writer = Callable[[Store, BinaryIO, str], None]


@dataclass(frozen=True)
class Exporter:
    name: str
    media_type: str
    extension: str
    write: Writer
    description: str
    rdf: bool = True  # an RDF serialization (round-trips to the store's graphs)


EXPORTERS: dict[str, Exporter] = {}
ALIASES = {"xml": "rdfxml"}  # names the CLI and the download URLs accepted before; RDF/XML is "rdfxml" everywhere


def register(name: str, media_type: str, extension: str, description: str, *, rdf: bool = True
             ) -> Callable[[Writer], Writer]:
    """Decorator: register ``write(store, out, graphs)`` as the exporter called ``name``."""
    def deco(write: Writer) -> Writer:
        EXPORTERS[name] = Exporter(name, media_type, extension, write, description, rdf)
        return write
    return deco


def get_exporter(name: str) -> Exporter:
    try:
        return EXPORTERS[ALIASES.get(name, name)]
    except KeyError:
        raise ExportError(f"unknown export format {name!r} (choose from {', '.join(EXPORTERS)})") from None


def export(store: Store, fmt: str, out: BinaryIO, *, graphs: str = "all") -> None:
    """Write the store (the ``graphs`` selection) to the binary file ``out`` in format ``fmt``."""
    exporter = get_exporter(fmt)
    if graphs not in GRAPH_SELECTIONS:
        raise ExportError(f"unknown graph selection {graphs!r} (choose from {', '.join(GRAPH_SELECTIONS)})")
    with store.read_view() as view:  # exporters read in several passes: they must see one state
        exporter.write(view, out, graphs)
    out.flush()


# ------------------------------------------------------------------------------------------ graphs
def selected_graphs(store: Store, graphs: str = "all") -> list[rdf.NamedNode]:
    """The named graphs of a selection, in a stable order: documents, inferred, derived (control intervals),
    ontology."""
    if graphs not in GRAPH_SELECTIONS:
        raise ExportError(f"unknown graph selection {graphs!r} (choose from {', '.join(GRAPH_SELECTIONS)})")
    iris = store.iris
    chosen: list[rdf.NamedNode] = []
    if graphs in ("asserted", "all"):
        chosen += [rdf.NamedNode(str(iris.document_graph(k))) for k in store.document_keys()]
    for wanted, iri in (("inferred", iris.inferred_graph), ("all", iris.inferred_graph),
                        ("all", derived_graph(iris)), ("all", iris.ontology_graph)):
        if graphs == wanted and store.contains_graph(iri):
            chosen.append(rdf.NamedNode(str(iri)))
    return chosen


def selected_quads(store: Store, graphs: str = "all") -> Iterator[rdf.Quad]:
    for g in selected_graphs(store, graphs):
        yield from store.quads(None, None, None, g)


def union_triples(store: Store, graphs: str = "all", *, grouped: bool = True) -> Iterator[rdf.Triple]:
    """The union of the chosen graphs as triples, each once, streamed.

    ``grouped=False``: in (predicate, object, subject) index order, where the copies of a triple held by
    several graphs are adjacent, so duplicates are dropped in O(1) memory (N-Triples).
    ``grouped=True``: graph after graph, grouped by subject (what Turtle, RDF/XML and JSON-LD need to be
    compact); memory is one map entry per distinct triple held by more than one chosen graph (entity labels
    and types repeated across documents), never a copy of the graphs.
    """
    chosen = selected_graphs(store, graphs)
    if len(chosen) == 1:
        yield from (q.triple for q in store.quads(None, None, None, chosen[0]))
        return
    if not grouped:
        for triple, _ in _runs(store, chosen):
            yield triple
        return
    owner = {triple: in_graphs[0] for triple, in_graphs in _runs(store, chosen) if len(in_graphs) > 1}
    for g in chosen:
        for q in store.quads(None, None, None, g):
            t = q.triple
            first = owner.get(t)
            if first is None or first == g:
                yield t


def _runs(store: Store, chosen: list[rdf.NamedNode]) -> Iterator[tuple[rdf.Triple, list[rdf.NamedNode]]]:
    """Each distinct triple of the chosen graphs with the chosen graphs holding it (in ``chosen`` order)."""
    rank = {g: i for i, g in enumerate(chosen)}
    predicates = [r["p"] for r in store.query("SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }")]
    for p in predicates:
        current: rdf.Triple | None = None
        held: list[rdf.NamedNode] = []
        for q in store.quads(None, p, None, None):  # copies of a triple come one after another
            g = q.graph_name
            if g not in rank:
                continue
            t = q.triple
            if t == current:
                held.append(g)
                continue
            if current is not None:
                yield current, (sorted(held, key=rank.__getitem__) if len(held) > 1 else held)
            current, held = t, [g]
        if current is not None:
            yield current, (sorted(held, key=rank.__getitem__) if len(held) > 1 else held)


def serialization_prefixes(store: Store) -> dict[str, str]:
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    prefixes["entity"] = f"{store.iris.base}entity/"
    prefixes["event"] = f"{store.iris.base}event/"
    return prefixes


# ------------------------------------------------------------------------------------------ RDF formats
def _ox_writer(fmt: rdf.RdfFormat, dataset: bool) -> Writer:
    def write(store: Store, out: BinaryIO, graphs: str) -> None:
        prefixes = serialization_prefixes(store) if fmt in (rdf.RdfFormat.TURTLE, rdf.RdfFormat.TRIG,
                                                             rdf.RdfFormat.RDF_XML) else None
        source: Iterable = (selected_quads(store, graphs) if dataset else
                            union_triples(store, graphs, grouped=fmt != rdf.RdfFormat.N_TRIPLES))
        rdf.serialize(source, out, fmt, prefixes=prefixes)
    return write


for _name, _fmt, _media, _ext, _dataset, _desc in [
    ("turtle", rdf.RdfFormat.TURTLE, "text/turtle", "ttl", False,
     "Turtle: union of the chosen graphs, grouped by subject"),
    ("ntriples", rdf.RdfFormat.N_TRIPLES, "application/n-triples", "nt", False,
     "N-Triples: union of the chosen graphs, O(1) memory"),
    ("nquads", rdf.RdfFormat.N_QUADS, "application/n-quads", "nq", True, "N-Quads: named graphs kept"),
    ("trig", rdf.RdfFormat.TRIG, "application/trig", "trig", True, "TriG: named graphs kept"),
    ("rdfxml", rdf.RdfFormat.RDF_XML, "application/rdf+xml", "rdf", False, "RDF/XML: union of the chosen graphs"),
]:
    register(_name, _media, _ext, _desc)(_ox_writer(_fmt, _dataset))


# ------------------------------------------------------------------------------------------ JSON-LD
@lru_cache(maxsize=1)
def _context_file() -> dict:
    with open(CONTEXT_FILE, encoding="utf-8") as f:
        return json.load(f)["@context"]


def jsonld_context(base: str | None = None) -> dict:
    """The published context (ontology/context.jsonld) as a dict, with ``@base`` set when given.

    Pass this dict (never a URL) to rdflib's JSON-LD parser or serializer: rdflib fetches remote contexts."""
    ctx = dict(_context_file())
    if base:
        ctx["@base"] = base
    return ctx


class _Compactor:
    """IRI → compact form for the published context: terms, then prefix:local, then base-relative."""

    _LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
    _RELATIVE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.\-/]*(#[A-Za-z0-9_=,.-]*)?")

    def __init__(self, ctx: dict):
        base = ctx.get("@base")
        self.base = base if base and base.endswith("/") else None  # a '#' base would resolve 'entity/x' wrongly
        self.prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and not k.startswith("@")
                         and v.endswith(("#", "/"))}
        self.terms: dict[str, tuple[str, str | None]] = {}  # property IRI → (term, coercion)
        for term, d in ctx.items():
            if term.startswith("@") or term in self.prefixes:
                continue
            iri, coerce = (d, None) if isinstance(d, str) else (d.get("@id"), d.get("@type"))
            if iri:
                full = self.expand(iri)
                coerce = self.expand(coerce) if coerce and coerce != "@id" else coerce
                self.terms.setdefault(full, (term, coerce))

    def expand(self, value: str) -> str:
        prefix, _, local = value.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes and not local.startswith("//") else value

    def compact(self, iri: str, *, relative: bool) -> str:
        if relative and self.base and iri.startswith(self.base):
            rest = iri[len(self.base):]
            if self._RELATIVE.fullmatch(rest) and ":" not in rest.split("/")[0]:
                return rest
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and self._LOCAL.fullmatch(iri[len(ns):]):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def node_id(self, term) -> str:
        return f"_:{term.value}" if isinstance(term, rdf.BlankNode) else self.compact(term.value, relative=True)

    def value(self, term, coerce: str | None):
        if isinstance(term, rdf.Literal):
            dt = term.datatype.value
            if term.language:
                return {"@value": term.value, "@language": term.language}
            if coerce is None and dt == _XSD_STRING:
                return term.value
            if coerce == dt:
                return term.value
            if dt == _XSD_STRING:
                return {"@value": term.value}
            return {"@value": term.value, "@type": self.compact(dt, relative=False)}
        ref = self.node_id(term)
        return ref if coerce == "@id" else {"@id": ref}


def _ordered(node: dict) -> dict:
    if "@type" not in node:
        return node
    return {"@id": node.pop("@id"), "@type": node.pop("@type"), **node}


def _jsonld_nodes(triples: Iterator[rdf.Triple], c: _Compactor) -> Iterator[dict]:
    node: dict | None = None
    subject = None
    for t in triples:
        if t.subject != subject:
            if node is not None:
                yield _ordered(node)
            subject = t.subject
            node = {"@id": c.node_id(subject)}
        assert node is not None
        if t.predicate.value == _RDF_TYPE and not isinstance(t.object, rdf.Literal):
            key, val = "@type", (c.node_id(t.object) if isinstance(t.object, rdf.BlankNode)
                                 else c.compact(t.object.value, relative=False))
        else:
            term = c.terms.get(t.predicate.value)
            key, coerce = term if term else (c.compact(t.predicate.value, relative=False), None)
            val = c.value(t.object, coerce)
        have = node.get(key)
        if have is None:
            node[key] = val
        elif isinstance(have, list):
            have.append(val)
        else:
            node[key] = [have, val]
    if node is not None:
        yield _ordered(node)


@register("jsonld", "application/ld+json", "jsonld",
          "JSON-LD compacted with ontology/context.jsonld (inlined): union of the chosen graphs")
def write_jsonld(store: Store, out: BinaryIO, graphs: str) -> None:
    # A streaming writer: pyoxigraph's JSON-LD writer ignores prefixes and rdflib's needs the whole graph in
    # memory. Node objects are written as the subject changes; a subject met in several graphs gets several
    # node objects with the same @id, which JSON-LD merges. The context is inlined so that no consumer has
    # to fetch it (the same dict is published as ontology/context.jsonld).
    ctx = jsonld_context(store.iris.base)
    c = _Compactor(ctx)
    context = json.dumps(ctx, ensure_ascii=False, indent=1).replace("\n", "\n ")
    out.write(b'{\n "@context": ' + context.encode() + b',\n "@graph": [')
    sep = b"\n  "
    for node in _jsonld_nodes(union_triples(store, graphs), c):
        out.write(sep + json.dumps(node, ensure_ascii=False).encode())
        sep = b",\n  "
    out.write(b"\n ]\n}\n")


# ------------------------------------------------------------------------------------------ graph tools
@register("graphml", "application/graphml+xml", "graphml", "GraphML actor/place graph (networkx, Gephi, yEd)",
          rdf=False)
def write_graphml(store: Store, out: BinaryIO, graphs: str) -> None:
    import networkx as nx

    from .graphtools import flat_graph, to_networkx
    nx.write_graphml(flat_graph(to_networkx(store)), out, encoding="utf-8", named_key_ids=True)


@register("gexf", "application/gexf+xml", "gexf", "GEXF 1.2 actor/place graph (Gephi)", rdf=False)
def write_gexf(store: Store, out: BinaryIO, graphs: str) -> None:
    import networkx as nx

    from .graphtools import flat_graph, to_networkx
    nx.write_gexf(flat_graph(to_networkx(store)), out, encoding="utf-8")


@register("cytoscape", "application/json", "cyjs", "Cytoscape.js elements JSON of the actor/place graph",
          rdf=False)
def write_cytoscape(store: Store, out: BinaryIO, graphs: str) -> None:
    from .graphtools import to_cytoscape, to_networkx
    out.write(json.dumps(to_cytoscape(to_networkx(store)), ensure_ascii=False, indent=1).encode())
    out.write(b"\n")


@register("neo4j", "application/zip", "zip",
          "zip of nodes.csv + relationships.csv (neo4j-admin database import format) + README.txt", rdf=False)
def write_neo4j(store: Store, out: BinaryIO, graphs: str) -> None:
    # `-o PATH` names one file, so the CSV pair travels as a zip (works with `-o -` too); the Python API
    # kg.graphtools.write_neo4j_csv(graph, directory) writes the two files into a directory instead.
    from .graphtools import NEO4J_README, neo4j_csv, to_networkx
    nodes, rels = neo4j_csv(to_networkx(store))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("nodes.csv", nodes)
        z.writestr("relationships.csv", rels)
        z.writestr("README.txt", NEO4J_README)


@register("events", "text/csv", "csv", "event table CSV, one row per event, POLECAT-like columns (README: The event "
          "table)", rdf=False)
def write_events(store: Store, out: BinaryIO, graphs: str) -> None:
    import io

    from .events_table import event_rows, write_events_csv
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    # a remote server may hold other knowledge graphs: only this one's events (base IRI)
    write_events_csv(event_rows(store, base=None if store.local else store.iris.base), text)
    text.detach()  # leave ``out`` open for the caller


# ------------------------------------------------------------------------------------------ VoID
DUMP_FORMATS = ("nquads", "trig", "turtle", "ntriples", "jsonld", "rdfxml")


def _count(store: Store, sparql: str) -> int:
    row = next(iter(store.query(sparql)), None)
    return int(row["n"].value) if row is not None and row["n"] is not None else 0


def void_graph(store: Store, *, partitions: bool = True) -> Graph:
    """A VoID description of the store's dataset (the dataset IRI, ``store.iris.dataset``)."""
    iris = store.iris
    base = iris.base
    ds = URIRef(iris.dataset)
    g = Graph()
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    g.bind("ck", CK)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal("Conflict-news knowledge graph", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "Events (captures, support, killings, attacks, ...) and relationships between armed actors and places, "
        "extracted from news articles, with provenance per fact; one named graph per document, one for the "
        "ontology, one for OWL 2 RL inferences.", lang="en")))
    g.add((ds, FOAF.homepage, URIRef(base)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    g.add((ds, VOID.uriSpace, Literal(base)))
    g.add((ds, VOID.rootResource, URIRef(iris.dataset)))
    for fmt in DUMP_FORMATS:
        g.add((ds, VOID.dataDump, URIRef(f"{base}dataset?format={fmt}")))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/Turtle")))

    g.add((ds, VOID.triples, Literal(len(store))))
    # the graphs of this knowledge graph only: a shared server (a remote store) holds others too
    ours = f'FILTER(STRSTARTS(STR(?g), "{base}graph/"))'
    entity_ns = f"{base}entity/"
    g.add((ds, VOID.entities, Literal(_count(store, f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
        GRAPH ?g {{ ?s ?p ?o }} {ours} FILTER(STRSTARTS(STR(?s), "{entity_ns}")) }}"""))))
    g.add((ds, VOID.distinctSubjects, Literal(_count(store,
          f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {ours} }}"))))
    g.add((ds, VOID.documents, Literal(len(store.document_keys()))))
    g.add((ds, VOID.exampleResource, URIRef(iris.dataset)))
    examples = store.query(f"""SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s <{RDF.type}> ?c }}
        FILTER(STRSTARTS(STR(?s), "{entity_ns}")) }} ORDER BY ?s LIMIT 3""")
    for row in examples:
        g.add((ds, VOID.exampleResource, URIRef(row["s"].value)))

    # subsets: the asserted document graphs, the inferred graph, the ontology graph
    for name, iri, title in (("inferred", iris.inferred_graph, "OWL 2 RL inferences"),
                             ("ontology", iris.ontology_graph, "The conflict-kg ontology")):
        if store.contains_graph(iri):
            sub = URIRef(f"{iris.dataset}/{name}")
            g.add((ds, VOID.subset, sub))
            g.add((sub, RDF.type, VOID.Dataset))
            g.add((sub, DCTERMS.title, Literal(title, lang="en")))
            g.add((sub, VOID.triples, Literal(store.graph_size(iri))))
            g.add((sub, VOID.dataDump, URIRef(f"{base}dataset?format=nquads&graphs={name}")))

    predicates: dict[str, int] = {}
    for row in store.query(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {ours} }} GROUP BY ?p"):
        predicates[row["p"].value] = int(row["n"].value)
    classes: dict[str, int] = {}
    for row in store.query(f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{RDF.type}> ?c }} "
                           f"{ours} FILTER(isIRI(?c)) }} GROUP BY ?c"):
        classes[row["c"].value] = int(row["n"].value)
    g.add((ds, VOID.properties, Literal(len(predicates))))
    g.add((ds, VOID.classes, Literal(len(classes))))
    used = set(predicates) | set(classes)
    for ns in sorted({str(ns) for ns in PREFIXES.values()}):
        if any(i.startswith(ns) for i in used):
            g.add((ds, VOID.vocabulary, URIRef(ns)))
    if partitions:
        for kind, counts, key, count_prop in (("property", predicates, VOID.property, VOID.triples),
                                              ("class", classes, VOID["class"], VOID.entities)):
            for iri, n in sorted(counts.items()):
                part = URIRef(f"{iris.dataset}/{kind}/{_slug(iri)}")
                g.add((ds, VOID.propertyPartition if kind == "property" else VOID.classPartition, part))
                g.add((part, key, URIRef(iri)))
                g.add((part, count_prop, Literal(n)))
    return g


def _slug(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)) and re.fullmatch(r"[A-Za-z0-9_-]+", iri[len(str(ns)):]):
            return f"{prefix}-{iri[len(str(ns)):]}"
    import hashlib
    return hashlib.sha256(iri.encode()).hexdigest()[:12]


@register("void", "text/turtle", "ttl", "VoID description of the dataset (Turtle)", rdf=False)
def write_void(store: Store, out: BinaryIO, graphs: str) -> None:
    out.write(void_graph(store).serialize(format="turtle").encode("utf-8"))
