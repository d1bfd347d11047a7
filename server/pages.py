"""HTML pages: the query page (/), entity pages (/entity/<key>) and document pages (/doc/<key>).

Entity and document IRIs minted under the base IRI are dereferenceable here: browsers get HTML, RDF clients
(Accept: text/turtle, application/ld+json, ...) get the resource's triples. The page queries are bounded
(LIMITs) and run in the query workers, like /sparql: under its time limit (one deadline for the whole page),
its memory cap and its per-client fairness, never in the server process.

Only http(s) IRIs become links (:func:`href`): an IRI with another scheme (``javascript:``, ``data:``) from a
document's metadata or an update is shown as text.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.control import CONTESTED_QUERY, CONTROL_AT_QUERY
from kg.namespaces import CK, GAF, GEO, NIF
from kg.plover import load_plover_types
from kg.query import DEFAULT_PREFIXES
from kg.store.terms import NamedNode, Object

from .common import MEDIA_OF, kg_pool, kg_store, run_page_query, wants_rdf
from .common import ask as _ask
from .common import rows as _rows  # a page's local variables are called rows

__all__ = ["bp", "render_index", "dataset_stats", "href", "anchor", "run_page_query", "neighbourhood_svg",
           "highlight", "local_name", "curie"]

# skos:exactMatch targets an entity page names: the gazetteer's Wikidata IDs and GeoNames places
EXTERNAL_IDS = {"http://www.wikidata.org/entity/": "Wikidata", "https://sws.geonames.org/": "GeoNames"}

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

MAX_EVENTS = 150
MAX_NEIGHBOURS = 18


def _checked(iri: str) -> str:
    """``iri`` if it is a valid IRI (so it cannot break out of ``<…>`` in the page queries), else 404."""
    try:
        return NamedNode(iri).value
    except ValueError:
        abort(404)


def store_size() -> int:
    """Quads in the store (default graph and named graphs), counted in a worker."""
    found = _rows("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", union=False)
    return int(_val(found[0]["n"]) or 0) if found else 0


@bp.app_template_global("anchor")
def anchor(iri: str, text: str, cls: str = "") -> Markup:
    """``<a href>`` to ``iri`` when :func:`href` allows a link, else the text in a ``<span>``."""
    return Markup(render_template("_anchor.html", iri=iri, text=text, cls=cls, target=href(iri)).strip())


def href(iri: str) -> str | None:
    """Where a link to ``iri`` points: its page here when it has one, the IRI itself when it is http(s), else
    None (no link: ``javascript:`` and other schemes are shown as text)."""
    local = _page_link(iri)
    if local:
        return local
    return iri if iri.lower().startswith(("http://", "https://")) else None


def _val(term: Object | None) -> str:
    return "" if term is None else term.value


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1] or iri
    return iri


def curie(iri: str) -> str:
    for p, ns in DEFAULT_PREFIXES.items():
        if iri.startswith(ns):
            return f"{p}:{iri[len(ns):]}"
    return iri


# ------------------------------------------------------------------------------------------ index
_STATS: dict[tuple[int, int], dict[str, Any]] = {}
_STATS_LOCK = threading.Lock()


def dataset_stats() -> dict[str, Any]:
    """Counts shown on the front page, cached per store generation."""
    store = kg_store()
    key = (id(store), kg_pool().generation)
    with _STATS_LOCK:
        if key in _STATS:
            return _STATS[key]
    entity_ns = f"{store.iris.base}entity/"
    docs = _rows("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a ck:Document }")
    ents = _rows(f'SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e rdfs:label ?l '
                 f'FILTER(STRSTARTS(STR(?e), "{entity_ns}")) }}')
    by_type = _rows(f"""SELECT ?type (COUNT(DISTINCT ?e) AS ?n) WHERE {{
        GRAPH ?g {{ ?e ck:modality ?m ; a ?type }} FILTER(?g != <{store.iris.inferred_graph}>)
    }} GROUP BY ?type ORDER BY DESC(?n) LIMIT 40""")
    # an event's asserted PLOVER class is its type (the inferred graph adds the types above it)
    plover = _rows(f"""SELECT ?code (COUNT(DISTINCT ?e) AS ?n) WHERE {{
        GRAPH ?g {{ ?e ck:modality ?m ; a ?t }} FILTER(?g != <{store.iris.inferred_graph}>) ?t ck:ploverCode ?code
    }} GROUP BY ?code ORDER BY DESC(?n) ?code""")
    top = _rows(f"""SELECT ?a ?label (COUNT(?e) AS ?n) WHERE {{
        ?e ck:agent ?a ; ck:modality ?m . ?a rdfs:label ?label FILTER(STRSTARTS(STR(?a), "{entity_ns}"))
    }} GROUP BY ?a ?label ORDER BY DESC(?n) LIMIT 1""")
    stats = {
        "triples": store_size(),
        "documents": int(_val(docs[0]["n"]) or 0) if docs else 0,
        "entities": int(_val(ents[0]["n"]) or 0) if ents else 0,
        "events": [(local_name(_val(r["type"])), int(_val(r["n"]))) for r in by_type],
        "plover": [(_val(r["code"]), int(_val(r["n"]))) for r in plover],
        "sample_actor": (_val(top[0]["a"]), _val(top[0]["label"])) if top else None,
    }
    with _STATS_LOCK:
        _STATS.clear()
        _STATS[key] = stats
    return stats


def example_queries(stats: dict[str, Any]) -> list[tuple[str, str]]:
    actor_iri, actor_label = stats.get("sample_actor") or ("http://example.org/actor", "an actor")
    return [
        ("Who captured what", """# ck:, rdfs:, skos:, ... are predeclared; the default graph is the union of all graphs
SELECT ?actor ?place ?date ?sentence ?document WHERE {
  ?event a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p ; ck:source ?document .
  ?a rdfs:label ?actor . ?p rdfs:label ?place .
  OPTIONAL { ?event ck:date ?date }
  OPTIONAL { ?event ck:sentence ?sentence }
}
ORDER BY ?date
LIMIT 100"""),
        ("Who backs whom", """SELECT ?backer ?backed ?date ?sentence WHERE {
  ?event a ck:Support ; ck:agent ?a ; ck:beneficiary ?b .
  ?a rdfs:label ?backer . ?b rdfs:label ?backed .
  OPTIONAL { ?event ck:date ?date }
  OPTIONAL { ?event ck:sentence ?sentence }
}
LIMIT 100"""),
        ("Claims that were denied", """SELECT ?claim ?claimedBy ?deniedBy ?sentence ?document WHERE {
  ?event ck:deniedBy ?d ; rdfs:label ?claim ; ck:source ?document .
  ?d rdfs:label ?deniedBy .
  OPTIONAL { ?event ck:claimedBy ?c . ?c rdfs:label ?claimedBy }
  OPTIONAL { ?event ck:sentence ?sentence }
}
LIMIT 100"""),
        (f"Everything about {actor_label}", f"""SELECT ?direction ?property ?value ?valueLabel WHERE {{
  VALUES ?actor {{ <{actor_iri}> }}
  {{ ?actor ?property ?value . BIND("out" AS ?direction) }}
  UNION
  {{ ?value ?property ?actor . BIND("in" AS ?direction) }}
  OPTIONAL {{ ?value rdfs:label ?valueLabel }}
}}
LIMIT 200"""),
        ("Events by type", """SELECT ?type (COUNT(?event) AS ?events) WHERE {
  ?event ck:modality ck:Asserted ; a ?type .
}
GROUP BY ?type
ORDER BY DESC(?events)"""),
        ("Who controlled Aleppo on 1 December 2024", CONTROL_AT_QUERY),
        ("Contested facts", CONTESTED_QUERY),
    ]


def plover_type_arg() -> str | None:
    """The ``?type=`` filter: a PLOVER type code (``ASSAULT``), None when absent; 400 for anything else."""
    code = request.args.get("type")
    if code is None or code == "":
        return None
    if code.upper() not in load_plover_types().types:
        abort(400, description=f"unknown event type {code[:40]!r}: use a PLOVER type such as ASSAULT")
    return code.upper()


def events_of_type(code: str) -> list[dict[str, str]]:
    """The events whose asserted PLOVER type is ``code`` (a checked code), dated ones first."""
    rows = _rows(f"""SELECT ?e (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?date) (SAMPLE(?s) AS ?sentence) WHERE {{
        ?t ck:ploverCode "{code}" .
        GRAPH ?g {{ ?e ck:modality ?m ; a ?t }} FILTER(?g != <{kg_store().iris.inferred_graph}>)
        OPTIONAL {{ ?e rdfs:label ?l }} OPTIONAL {{ ?e ck:date ?d }} OPTIONAL {{ ?e ck:sentence ?s }}
    }} GROUP BY ?e ORDER BY (!BOUND(?date)) ?date ?e LIMIT {MAX_EVENTS}""")
    return [{k: _val(r[k]) for k in ("e", "label", "date", "sentence")} for r in rows]


def render_index(query: str | None = None) -> Response:
    stats = dataset_stats()
    examples = example_queries(stats)
    event_type = plover_type_arg()
    html = render_template("index.html", stats=stats, examples=examples, event_type=event_type,
                           typed_events=events_of_type(event_type) if event_type else [],
                           query=query if query is not None else examples[0][1],
                           autorun=query is not None, prefixes=DEFAULT_PREFIXES, base_iri=kg_store().iris.base,
                           update_enabled=bool(current_app.config.get("KG_UPDATE_TOKEN")))
    return Response(html, mimetype="text/html", headers={"Vary": "Accept"})


@bp.route("/", methods=["GET"])
def index() -> Response:
    return render_index(request.args.get("query"))


def _rdf_response(iri: str, fmt: str) -> Response:
    out = run_page_query(f"""CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> . ?ev ?r ?x . }} WHERE {{
        {{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }}
        UNION {{ ?ev ?role <{iri}> ; ck:modality ?m . ?ev ?r ?x }}
    }} LIMIT 20000""", fmt)
    return Response(out.body, content_type=f"{MEDIA_OF[fmt]}; charset=utf-8", headers={"Vary": "Accept"})


# ------------------------------------------------------------------------------------------ entity pages
@dataclass
class Fact:
    event: str
    type: str
    role: str
    others: list[tuple[str, str, str]] = field(default_factory=list)  # (role, iri, label)
    date: str = ""
    place: tuple[str, str] | None = None
    sentence: str = ""
    document: tuple[str, str] | None = None
    modality: str = ""
    claimed_by: list[tuple[str, str]] = field(default_factory=list)
    denied_by: list[tuple[str, str]] = field(default_factory=list)
    label: str = ""
    plover: str = ""  # the PLOVER type code (FIGHT) of the event's asserted class


_PARTICIPANT_SKIP = {str(CK.source), str(CK.place), str(CK.modality), str(RDF.type), str(CK.claimedBy),
                     str(CK.deniedBy), str(CK.confirmedBy), str(CK.reportedBy)}


def _page_link(iri: str) -> str | None:
    """The local page of a minted IRI (entity, document, event, statement), else None."""
    base = kg_store().iris.base
    if not iri.startswith(base) or "#" in iri:
        return None
    kind, _, key = iri[len(base):].partition("/")
    if kind == "entity" and key:
        return url_for("pages.entity", key=key)
    if kind == "doc" and key:
        return url_for("pages.document", key=key)
    if kind in ("event", "statement") and key:
        return url_for("pages.resource", kind=kind, key=key)
    return None


def _entity_facts(iri: str) -> list[Fact]:
    store = kg_store()
    events = _rows(f"SELECT DISTINCT ?ev ?role WHERE {{ ?ev ?role <{iri}> ; ck:modality ?m }} LIMIT {MAX_EVENTS}")
    if not events:
        return []
    roles: dict[str, str] = {}
    for r in events:
        roles.setdefault(_val(r["ev"]), _val(r["role"]))
    values = " ".join(f"<{e}>" for e in roles)
    rows = _rows(f"""SELECT ?ev ?p ?o ?ol ?g WHERE {{
        VALUES ?ev {{ {values} }} GRAPH ?g {{ ?ev ?p ?o }} OPTIONAL {{ ?o rdfs:label ?ol }}
    }}""")
    facts: dict[str, Fact] = {e: Fact(e, "", local_name(role)) for e, role in roles.items()}
    inferred = str(store.iris.inferred_graph)
    plover_code = {t.cls: t.code for t in load_plover_types().types.values()}
    for r in rows:
        f = facts[_val(r["ev"])]
        p, o, label = _val(r["p"]), r["o"], _val(r["ol"])
        ov = _val(o)
        if p == str(RDF.type):
            if _val(r["g"]) != inferred:
                f.type = local_name(ov)
                f.plover = plover_code.get(f.type, f.plover)
        elif p == str(CK.date):
            f.date = ov
        elif p == str(CK.sentence):
            f.sentence = ov
        elif p == str(CK.modality):
            f.modality = local_name(ov)
        elif p == str(RDFS.label):
            f.label = ov
        elif p == str(CK.source):
            f.document = (ov, label)
        elif p == str(CK.place):
            f.place = (ov, label or local_name(ov))
        elif p == str(CK.claimedBy):
            f.claimed_by.append((ov, label or local_name(ov)))
        elif p == str(CK.deniedBy):
            f.denied_by.append((ov, label or local_name(ov)))
        elif isinstance(o, NamedNode) and ov != iri and p not in _PARTICIPANT_SKIP \
                and ov.startswith(f"{store.iris.base}entity/") and _val(r["g"]) != inferred:
            f.others.append((local_name(p), ov, label or local_name(ov)))
    for f in facts.values():
        f.others = sorted(set(f.others))
        f.claimed_by = sorted(set(f.claimed_by))
        f.denied_by = sorted(set(f.denied_by))
    return sorted(facts.values(), key=lambda f: (f.date or "9999", f.type, f.event))


def _relations(iri: str) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str, str]]]:
    """Direct entity-to-entity triples: (property curie, property iri, other iri, other label), out and in."""
    ns = f"{kg_store().iris.base}entity/"
    out = _rows(f"""SELECT DISTINCT ?p ?o ?ol WHERE {{ <{iri}> ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{ns}"))
        OPTIONAL {{ ?o rdfs:label ?ol }} }} LIMIT 300""")
    inc = _rows(f"""SELECT DISTINCT ?p ?s ?sl WHERE {{ ?s ?p <{iri}> FILTER(STRSTARTS(STR(?s), "{ns}"))
        OPTIONAL {{ ?s rdfs:label ?sl }} }} LIMIT 300""")

    def fold(rows: list[dict[str, Object | None]], k: str, lk: str) -> list[tuple[str, str, str, str]]:
        best: dict[tuple[str, str], str] = {}
        for r in rows:
            key = (_val(r["p"]), _val(r[k]))
            best.setdefault(key, _val(r[lk]) or local_name(key[1]))
        return sorted((curie(p), p, o, label) for (p, o), label in best.items())

    return fold(out, "o", "ol"), fold(inc, "s", "sl")


def neighbourhood_svg(center: tuple[str, str], edges: list[tuple[str, str, str, bool]]) -> Markup:
    """A radial picture: the entity in the middle, neighbours on a circle, one labelled line per relation.

    ``edges`` are (neighbour iri, neighbour label, relation label, outgoing?)."""
    by_node: dict[str, tuple[str, list[tuple[str, bool]]]] = {}
    for iri, label, rel, out in edges:
        by_node.setdefault(iri, (label, []))[1].append((rel, out))
    nodes = list(by_node.items())[:MAX_NEIGHBOURS]
    w, h = 760, 520
    cx, cy, r = w / 2, h / 2, 200
    placed = []
    for i, (iri, (label, rels)) in enumerate(nodes):
        a = 2 * math.pi * i / max(1, len(nodes)) - math.pi / 2
        x, y = cx + r * math.cos(a), cy + r * math.sin(a)
        outgoing = any(o for _, o in rels)
        x1, y1, x2, y2 = (cx, cy, x, y) if outgoing else (x, y, cx, cy)
        # shorten the line so arrowheads stop at the node circles
        dx, dy = x2 - x1, y2 - y1
        d = math.hypot(dx, dy) or 1
        placed.append({"x": x, "y": y, "label": label[:28], "href": href(iri) or "#",
                       "relations": ", ".join(sorted({rel for rel, _ in rels}))[:40],
                       "line": (x1 + dx / d * 34, y1 + dy / d * 34, x2 - dx / d * 30, y2 - dy / d * 30),
                       "middle": ((cx + x) / 2, (cy + y) / 2)})
    return Markup(render_template("neighbourhood.svg", width=w, height=h, cx=cx, cy=cy, nodes=placed,
                                  center=center[1]))


@bp.route("/entity/<path:key>", methods=["GET"])
def entity(key: str) -> Response:
    store = kg_store()
    iri = _checked(str(store.iris.entity(key)))
    props = _rows(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 1000")
    if not props and not _ask(f"ASK {{ ?s ?p <{iri}> }}"):
        abort(404)
    fmt = wants_rdf()
    if fmt:
        return _rdf_response(iri, fmt)
    labels, aliases, types, coords, other, external = [], [], [], {}, [], []
    for r in props:
        p, o = _val(r["p"]), r["o"]
        if p == str(RDFS.label):
            labels.append(_val(o))
        elif p == str(SKOS.altLabel):
            aliases.append(_val(o))
        elif p == str(RDF.type):
            types.append((curie(_val(o)), _val(o)))
        elif p in (str(GEO.lat), str(GEO.long)):
            coords[local_name(p)] = _val(o)
        elif p == str(SKOS.exactMatch) and _val(o).startswith(tuple(EXTERNAL_IDS)):
            ov = _val(o)  # Wikidata and GeoNames: shown as "Wikidata Q858", linked
            name = next(v for k, v in EXTERNAL_IDS.items() if ov.startswith(k))
            external.append((name, ov.rstrip("/").rsplit("/", 1)[-1], ov))
        elif p != str(GAF.denotedBy) and not (isinstance(o, NamedNode) and _val(o).startswith(
                tuple(f"{store.iris.base}{k}/" for k in ("entity", "event", "statement")))):
            ov = _val(o)
            other.append((curie(p), ov, href(ov) if isinstance(o, NamedNode) else None))
    label = labels[0] if labels else key
    out, inc = _relations(iri)
    facts = _entity_facts(iri)
    edges = [(o, ol, local_name(p), True) for _, p, o, ol in out] + [(s, sl, local_name(p), False)
                                                                     for _, p, s, sl in inc]
    for f in facts:
        for role, other_iri, other_label in f.others:
            edges.append((other_iri, other_label, f.type or role, f.role == "agent"))
    mentions = len([r for r in props if _val(r["p"]) == str(GAF.denotedBy)])
    event_type = plover_type_arg()
    type_counts = sorted(Counter(f.plover for f in facts if f.plover).items(), key=lambda kv: (-kv[1], kv[0]))
    # provenance of a direct relation: the events in which both ends take part (sentence, document)
    sources: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        for other_iri in sorted({x for _, x, _ in f.others}):
            sources[other_iri].append(f)
    html = render_template("entity.html", iri=iri, key=key, label=label, aliases=sorted(set(aliases) - {label}),
                           types=sorted(set(types)), coords=coords, other=sorted(set(other)), out=out, inc=inc,
                           external=sorted(set(external)),
                           facts=[f for f in facts if not event_type or f.plover == event_type],
                           all_facts=len(facts), event_type=event_type, type_counts=type_counts,
                           svg=neighbourhood_svg((iri, label), edges), mentions=mentions,
                           sources=sources,
                           local_name=local_name)
    return Response(html, mimetype="text/html", headers={"Vary": "Accept"})


# ------------------------------------------------------------------------------------------ document pages
@dataclass
class Mention:
    start: int
    end: int
    target: str
    label: str
    kind: str  # entity, event, statement


def highlight(text: str, mentions: list[Mention]) -> Markup:
    """The text with mention spans wrapped in <a class="mention"> (overlapping spans: the first wins)."""
    pieces: list[dict[str, str | None]] = []  # plain text (no kind) and mentions, in order
    pos = 0
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        if m.start < pos or m.end > len(text) or m.start >= m.end:
            continue
        pieces.append({"text": text[pos:m.start], "kind": None})
        pieces.append({"text": text[m.start:m.end], "kind": m.kind, "href": _page_link(m.target),
                       "title": f"{m.kind}: {m.label}"})
        pos = m.end
    pieces.append({"text": text[pos:], "kind": None})
    return Markup(render_template("_highlight.html", pieces=pieces))


@bp.route("/doc/<path:key>", methods=["GET"])
def document(key: str) -> Response:
    store = kg_store()
    iri = _checked(str(store.iris.document(key)))
    props = _rows(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 200")
    if not props:
        abort(404)
    fmt = wants_rdf()
    if fmt:
        return _rdf_response(iri, fmt)
    info: dict[str, list[str]] = defaultdict(list)
    for r in props:
        info[_val(r["p"])].append(_val(r["o"]))
    text = (info.get(str(NIF.isString)) or [""])[0]
    title = (info.get(str(DCTERMS.title)) or info.get(str(RDFS.label)) or [key])[0]
    ns = f"{store.iris.base}entity/"
    rows = _rows(f"""SELECT ?b ?e ?x ?xl ?kind WHERE {{
        ?m nif:referenceContext <{iri}> ; nif:beginIndex ?b ; nif:endIndex ?e .
        ?x gaf:denotedBy ?m .
        OPTIONAL {{ ?x rdfs:label ?xl }}
        OPTIONAL {{ ?x ck:modality ?mod }}
        BIND(IF(STRSTARTS(STR(?x), "{ns}"), "entity", IF(BOUND(?mod), "event", "statement")) AS ?kind)
    }} LIMIT 5000""")
    mentions = [Mention(int(_val(r["b"])), int(_val(r["e"])), _val(r["x"]), _val(r["xl"]) or local_name(_val(r["x"])),
                        _val(r["kind"])) for r in rows]
    events = _rows(f"""SELECT DISTINCT ?ev ?label ?sentence ?date WHERE {{
        ?ev ck:source <{iri}> ; ck:modality ?m . OPTIONAL {{ ?ev rdfs:label ?label }}
        OPTIONAL {{ ?ev ck:sentence ?sentence }} OPTIONAL {{ ?ev ck:date ?date }}
    }} ORDER BY ?sentence LIMIT 300""")
    entities = sorted({(m.label, m.target) for m in mentions if m.kind == "entity"})
    meta = [(curie(p), v) for p, vs in sorted(info.items()) if p != str(NIF.isString) for v in vs]
    html = render_template("doc.html", iri=iri, key=key, title=title, text=highlight(text, mentions),
                           meta=meta, events=[{k: _val(v) for k, v in e.items()} for e in events],
                           entities=entities, n_mentions=len(mentions))
    return Response(html, mimetype="text/html", headers={"Vary": "Accept"})


# ------------------------------------------------------------------------------------------ events, statements
@bp.route("/<any(event, statement):kind>/<key>", methods=["GET"])
def resource(kind: str, key: str) -> Response:
    """Events and attribution statements: their triples both ways, with links (and RDF by conneg)."""
    iri = _checked(f"{kg_store().iris.base}{kind}/{key}")
    out = _rows(f"SELECT ?p ?o ?ol WHERE {{ <{iri}> ?p ?o OPTIONAL {{ ?o rdfs:label ?ol }} }} LIMIT 500")
    inc = _rows(f"SELECT ?s ?p ?sl WHERE {{ ?s ?p <{iri}> OPTIONAL {{ ?s rdfs:label ?sl }} }} LIMIT 500")
    if not out and not inc:
        abort(404)
    fmt = wants_rdf()
    if fmt:
        return _rdf_response(iri, fmt)

    def show(term: Object | None, label: Object | None) -> tuple[str, str | None]:
        v = _val(term)
        if isinstance(term, NamedNode):
            return (_val(label) or curie(v)), href(v)
        return v, None

    labels = [_val(r["o"]) for r in out if _val(r["p"]) == str(RDFS.label)]
    rows_out = sorted({(curie(_val(r["p"])), *show(r["o"], r["ol"])) for r in out}, key=lambda t: (t[0], t[1]))
    rows_in = sorted({(curie(_val(r["p"])), *show(r["s"], r["sl"])) for r in inc}, key=lambda t: (t[0], t[1]))
    html = render_template("resource.html", iri=iri, kind=kind, title=labels[0] if labels else f"{kind} {key}",
                           out=rows_out, inc=rows_in)
    return Response(html, mimetype="text/html", headers={"Vary": "Accept"})
