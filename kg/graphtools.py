"""Project the knowledge graph to an actor/place graph for graph tools (networkx, Gephi, Neo4j, Cytoscape.js).

Nodes are entities; edges are relations, read from the n-ary event nodes of the document graphs (agent →
type-specific role, see :data:`kg.mapping.EVENT_MODEL`), one edge per (subject, predicate, object) with the
evidence aggregated: ``count`` of supporting sentences, dates, documents, who claimed or denied it, and a
``status``. Three SPARQL queries in all (events, entities, classes), evaluated by the store.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .layout import document_records
from .mapping import EVENT_MODEL
from .namespaces import CK, GEO
from .store import Store

if TYPE_CHECKING:  # networkx is imported when a projection is made, so `import kg` stays light
    import networkx as nx

__all__ = ["NEO4J_README", "flat_graph", "neo4j_csv", "to_cytoscape", "to_networkx", "write_neo4j_csv"]

_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_CK = str(CK)
_CLASS_TO_PREDICATE = {str(m.event_class): name for name, m in EVENT_MODEL.items()}
_FACT_ROLE = {name: str(m.object_role) for name, m in EVENT_MODEL.items()}

_EVENTS = """SELECT ?e ?cls ?role ?s ?o ?mod ?date ?doc ?sentence ?claimer ?denier WHERE {{
  GRAPH ?g {{
    VALUES (?cls ?role) {{ {pairs} }}
    ?e a ?cls ; ck:agent ?s ; ?role ?o .
    OPTIONAL {{ ?e ck:modality ?mod }}
    OPTIONAL {{ ?e ck:date ?date }}
    OPTIONAL {{ ?e ck:source ?doc }}
    OPTIONAL {{ ?e ck:sentence ?sentence }}
    OPTIONAL {{ ?e ck:claimedBy ?claimer }}
    OPTIONAL {{ ?e ck:deniedBy ?denier }}
  }}
  FILTER(STRSTARTS(STR(?g), "{docs}"))
}}"""

_ENTITIES = """SELECT ?x ?type ?label ?lat ?long WHERE {{
  GRAPH ?g {{
    ?x a ?type .
    OPTIONAL {{ ?x <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
    OPTIONAL {{ ?x <{lat}> ?lat ; <{long}> ?long }}
  }}
  FILTER(STRSTARTS(STR(?g), "{docs}") && STRSTARTS(STR(?x), "{entities}") && STRSTARTS(STR(?type), "{ck}"))
}}"""

# one branch per top class: Virtuoso evaluates a `*` path only from a constant end
_KIND_CLASSES = """SELECT ?c ?top WHERE {{ GRAPH <{ontology}> {{
  {{ ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ck}Place> BIND(<{ck}Place> AS ?top) }} UNION
  {{ ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{ck}Actor> BIND(<{ck}Actor> AS ?top) }} }} }}"""


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def to_networkx(store: Store, *, include_non_facts: bool = False) -> nx.MultiDiGraph:
    """The actor/place graph of ``store`` as a networkx MultiDiGraph.

    Node ids are entity IRIs; node attributes: ``label``, ``type`` (the entity's ck class, local name),
    ``kind`` ("actor", "place", or "actor+place" for countries), ``lat``/``lon`` (when known), ``degree``.
    Edges are keyed by predicate name (``captured``, ``backs``, ...); attributes: ``predicate``, ``label``
    (= the key), ``count`` (distinct supporting sentences; also as ``weight`` for networkx and Gephi),
    ``events`` (event nodes), ``dates``, ``documents``, ``claimed_by``, ``denied_by`` (lists, sorted),
    ``status`` ("denied" if anyone denied it, else "claimed" if every piece of evidence is only a claim,
    else "asserted"), ``sentence`` (one supporting sentence).
    With ``include_non_facts`` the negated / hypothetical / intended ... relations are added too, keyed
    ``predicate|modality`` with ``status`` = the modality.
    """
    import networkx as nx

    events = _read_events(store, include_non_facts)
    entities = _read_entities(store)
    g = nx.MultiDiGraph(name="conflict-kg actor/place graph", base_iri=store.iris.base)
    edges: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for ev in events.values():
        key = ev["predicate"] if ev["modality"] == "asserted" else f"{ev['predicate']}|{ev['modality']}"
        edges[(ev["s"], ev["o"], key)].append(ev)
    for (s, o, key), evs in sorted(edges.items()):
        for x in (s, o):
            if x not in g:
                g.add_node(x, **entities.node_attributes(x))
        g.add_edge(s, o, key=key, **_edge_attributes(key, evs, entities.label_of))
    for x, d in g.degree():
        g.nodes[x]["degree"] = d
    return g


def _read_events(store: Store, include_non_facts: bool) -> dict[str, dict[str, Any]]:
    """Event IRI → its subject, object, predicate, modality, date, document, sentence, claimers, deniers."""
    roles = set(_FACT_ROLE.items())
    if include_non_facts:
        roles |= {(name, str(CK.target)) for name in EVENT_MODEL}
    pairs = " ".join(f"(<{EVENT_MODEL[name].event_class}> <{role}>)" for name, role in sorted(roles))
    events: dict[str, dict[str, Any]] = {}
    query = _EVENTS.format(pairs=pairs, docs=store.iris.document_graph_prefix)
    for row in store.query(query, prefixes={"ck": _CK}):
        e = row["e"].value
        ev = events.get(e)
        if ev is None:
            predicate = _CLASS_TO_PREDICATE[row["cls"].value]
            fact = row["role"].value == _FACT_ROLE[predicate]
            mod = row["mod"]
            modality = _local(mod.value).lower() if mod is not None else "asserted"
            ev = events[e] = {
                "s": row["s"].value, "o": row["o"].value, "predicate": predicate,
                "modality": "asserted" if fact else modality,
                "date": row["date"].value if row["date"] is not None else None,
                "doc": row["doc"].value if row["doc"] is not None else None,
                "sentence": row["sentence"].value if row["sentence"] is not None else None,
                "claimed_by": set(), "denied_by": set(),
            }
        if row["claimer"] is not None:
            ev["claimed_by"].add(row["claimer"].value)
        if row["denier"] is not None:
            ev["denied_by"].add(row["denier"].value)
    return events


@dataclass
class _Entities:
    """What the graph says of its entities: types and labels (counted over documents), coordinates, and which
    classes are actors and which places."""

    types: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    labels: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    coords: dict[str, tuple[float, float]] = field(default_factory=dict)
    kinds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # class → {"actor", "place"}

    def label_of(self, x: str) -> str:
        return _most_common(self.labels.get(x, Counter())) or _local(x)

    def node_attributes(self, x: str) -> dict[str, Any]:
        typ = _most_common(self.types.get(x, Counter())) or "Entity"
        attrs: dict[str, Any] = {"label": self.label_of(x), "type": typ, "iri": x,
                                 "kind": "+".join(sorted(self.kinds.get(typ, ()))) or "other"}
        if x in self.coords:
            attrs["lat"], attrs["lon"] = self.coords[x]
        return attrs


def _most_common(counter: Counter) -> str | None:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counter else None


def _read_entities(store: Store) -> _Entities:
    iris = store.iris
    entity_prefix = f"{iris.base}entity/"
    found = _Entities()
    voted = False
    for facts in document_records(store):  # one vote per document (the store holds each triple once)
        voted = True
        lat_long: dict[str, dict[str, float]] = defaultdict(dict)
        for subject, p, o in facts:
            x = subject.value
            if not x.startswith(entity_prefix):
                continue
            if p.value == _TYPE and o.value.startswith(_CK):
                found.types[x][_local(o.value)] += 1
            elif p.value == _LABEL:
                found.labels[x][o.value] += 1
            elif p.value in (str(GEO.lat), str(GEO.long)):
                lat_long[x][p.value] = float(o.value)
        for x, ll in lat_long.items():
            if len(ll) == 2:
                found.coords[x] = (ll[str(GEO.lat)], ll[str(GEO.long)])
    for row in () if voted else store.query(_ENTITIES.format(lat=GEO.lat, long=GEO.long,
                                                             docs=iris.document_graph_prefix,
                                                             entities=entity_prefix, ck=_CK)):
        x = row["x"].value  # a store written before documents kept records
        found.types[x][_local(row["type"].value)] += 1
        if row["label"] is not None:
            found.labels[x][row["label"].value] += 1
        if row["lat"] is not None and row["long"] is not None:
            found.coords[x] = (float(row["lat"].value), float(row["long"].value))
    for r in store.query(_KIND_CLASSES.format(ontology=iris.ontology_graph, ck=_CK)):
        found.kinds[_local(r["c"].value)].add(_local(r["top"].value).lower())
    return found


def _edge_attributes(key: str, evs: list[dict[str, Any]], label_of: Callable[[str], str]) -> dict[str, Any]:
    """One edge's evidence aggregated over its events (see :func:`to_networkx`)."""
    claimed = sorted({label_of(c) for ev in evs for c in ev["claimed_by"]})
    denied = sorted({label_of(d) for ev in evs for d in ev["denied_by"]})
    modality = evs[0]["modality"]
    if modality != "asserted":
        status = modality
    elif denied:
        status = "denied"
    elif all(ev["claimed_by"] for ev in evs):
        status = "claimed"
    else:
        status = "asserted"
    sentences = sorted({(ev["doc"] or "", ev["sentence"] or ev["s"]) for ev in evs})
    return {"predicate": evs[0]["predicate"], "label": key, "weight": len(sentences), "count": len(sentences),
            "events": len(evs), "dates": sorted({ev["date"] for ev in evs if ev["date"]}),
            "documents": sorted({ev["doc"] for ev in evs if ev["doc"]}),
            "claimed_by": claimed, "denied_by": denied, "status": status,
            "sentence": sentences[0][1] if sentences else ""}


def flat_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attributes are all scalars (lists joined with '; ', None dropped), for GraphML/GEXF."""
    import networkx as nx

    def flat(attrs: dict[str, Any]) -> dict[str, Any]:
        return {k: "; ".join(map(str, v)) if isinstance(v, list | tuple | set) else v
                for k, v in attrs.items() if v is not None}
    h = nx.MultiDiGraph(**flat(g.graph))
    h.add_nodes_from((n, flat(a)) for n, a in g.nodes(data=True))
    h.add_edges_from((u, v, k, flat(a)) for u, v, k, a in g.edges(keys=True, data=True))
    return h


def to_cytoscape(g: nx.MultiDiGraph) -> dict[str, Any]:
    """Cytoscape.js JSON: ``{"elements": {"nodes": [{"data": …}], "edges": [{"data": …}]}}``."""
    nodes = [{"data": {"id": n, **a}} for n, a in g.nodes(data=True)]
    edges = [{"data": {"id": f"e{i}", "source": u, "target": v, "key": k, **a}}
             for i, (u, v, k, a) in enumerate(g.edges(keys=True, data=True))]
    return {"data": dict(g.graph), "elements": {"nodes": nodes, "edges": edges}}


# ---------------------------------------------------------------------------------------------- Neo4j
NEO4J_NODE_HEADER = ["id:ID", "name", "type", "kind", "iri", "lat:float", "lon:float", "degree:int", ":LABEL"]
NEO4J_REL_HEADER = [":START_ID", ":END_ID", ":TYPE", "count:int", "events:int", "dates:string[]",
                    "documents:string[]", "claimed_by:string[]", "denied_by:string[]", "status", "sentence"]

NEO4J_README = """Neo4j import of the conflict-kg actor/place graph (neo4j-admin database import format).

nodes.csv          id:ID,name,type,kind,iri,lat:float,lon:float,degree:int,:LABEL   (labels: Entity;Actor|Place;<type>)
relationships.csv  :START_ID,:END_ID,:TYPE,count:int,events:int,dates:string[],documents:string[],
                   claimed_by:string[],denied_by:string[],status,sentence        (arrays use ';')

Neo4j 5 (database must be stopped or new):
  neo4j-admin database import full --nodes=import/nodes.csv --relationships=import/relationships.csv \\
      --overwrite-destination neo4j
Neo4j 4.x:
  neo4j-admin import --database=neo4j --nodes=import/nodes.csv --relationships=import/relationships.csv
"""


def _neo4j_type(predicate: str) -> str:
    out = "".join(f"_{c}" if c.isupper() else c for c in predicate).upper()
    return out.replace("|", "_")


def _array(values: list[str]) -> str:
    return ";".join(_one_line(v).replace(";", ",") for v in values)


def _one_line(text: str) -> str:
    # neo4j-admin rejects newlines inside quoted fields unless --multiline-fields=true
    return " ".join(str(text).split())


def neo4j_csv(g: nx.MultiDiGraph) -> tuple[str, str]:
    """(nodes.csv, relationships.csv) as text, in neo4j-admin import format."""
    nodes, rels = io.StringIO(), io.StringIO()
    w = csv.writer(nodes, lineterminator="\n")
    w.writerow(NEO4J_NODE_HEADER)
    for n, a in g.nodes(data=True):
        kind = a.get("kind", "")
        labels = ["Entity", *(k.capitalize() for k in kind.split("+") if k in ("actor", "place")),
                  a.get("type", "Entity")]
        w.writerow([n, _one_line(a.get("label", "")), a.get("type", ""), a.get("kind", ""), a.get("iri", n),
                    a.get("lat", ""), a.get("lon", ""), a.get("degree", 0), ";".join(dict.fromkeys(labels))])
    w = csv.writer(rels, lineterminator="\n")
    w.writerow(NEO4J_REL_HEADER)
    for u, v, k, a in g.edges(keys=True, data=True):
        w.writerow([u, v, _neo4j_type(k), a.get("count", 1), a.get("events", 1), _array(a.get("dates", [])),
                    _array(a.get("documents", [])), _array(a.get("claimed_by", [])),
                    _array(a.get("denied_by", [])), a.get("status", ""), _one_line(a.get("sentence", ""))])
    return nodes.getvalue(), rels.getvalue()


def write_neo4j_csv(graph: nx.MultiDiGraph | Store, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write nodes.csv and relationships.csv (and README.txt) into ``directory``; returns the two CSV paths."""
    g = to_networkx(graph) if isinstance(graph, Store) else graph
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    nodes, rels = neo4j_csv(g)
    (d / "nodes.csv").write_text(nodes, encoding="utf-8")
    (d / "relationships.csv").write_text(rels, encoding="utf-8")
    (d / "README.txt").write_text(NEO4J_README, encoding="utf-8")
    return d / "nodes.csv", d / "relationships.csv"
