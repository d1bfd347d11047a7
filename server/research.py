"""What researchers ask of a war: who held a place when (the control section of a place page), which facts are
contested (/contested), and where and when events happened (a map and a timeline on the index, place and actor
pages, fed by /events.json).

The map is Leaflet (server/static/vendor/leaflet), drawn over a bundled basemap of country outlines (Natural
Earth 1:110m from the world-atlas TopoJSON, converted in the browser by topojson-client), so it works offline;
tiles come from ``KG_TILES`` (``kg serve --tiles URL``; OpenStreetMap by default, ``none`` for no tiles) and
the Content-Security-Policy admits images from that host only (:func:`content_security_policy`). The timeline
is a small SVG drawn by server/static/research.js. Like every page query, these run in the query workers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup
from rdflib.namespace import RDFS

from kg.control import CONTESTED_QUERY, STATUS, derived_graph
from kg.namespaces import CK
from kg.store.terms import NamedNode

from .common import kg_store, rows

__all__ = ["DEFAULT_TILES", "bp", "content_security_policy", "tile_url"]

bp = Blueprint("research", __name__, template_folder="templates")

DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
MAX_MAP_EVENTS = 2000
# generic classes every event also has: the timeline names an event by its most specific type
_GENERIC = {str(CK.Event), str(CK.PloverEvent), "http://semanticweb.cs.vu.nl/2009/11/sem/Event",
            "http://www.w3.org/ns/prov#Entity"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ------------------------------------------------------------------------------------------ configuration
def tile_url() -> str | None:
    """The tile URL template of the map, or None for no tiles (KG_TILES: a URL, or ``none``)."""
    value = current_app.config.get("KG_TILES", DEFAULT_TILES)
    if not value or str(value).lower() == "none":
        return None
    return str(value)


def tile_origin(url: str | None) -> str | None:
    """The CSP source of a tile URL template: ``https://{s}.tile.example.org/...`` → ``https://*.tile.example.org``.
    None for no tiles or a URL that is not http(s)."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = urlsplit(url.replace("{s}", "x-sub")).netloc.replace("x-sub", "*")
    if not re.fullmatch(r"[A-Za-z0-9.*:\-\[\]]+", host):
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(base: str, tiles: str | None) -> str:
    """``base`` with the tile host added to img-src (tiles are images; nothing else leaves this server)."""
    origin = tile_origin(tiles)
    if not origin:
        return base
    return base.replace("img-src 'self' data:", f"img-src 'self' data: {origin}", 1)


def valid_tile_url(url: str) -> str:
    """``url`` when it is ``none`` or an http(s) URL template, else ValueError (a clear line for the CLI)."""
    if url.lower() == "none" or tile_origin(url):
        return url
    raise ValueError(f"--tiles {url!r}: give an http(s) URL template such as {DEFAULT_TILES} or 'none'")


# ------------------------------------------------------------------------------------------ helpers
def _rows(sparql: str) -> list[dict[str, str]]:
    """A SELECT's solutions as plain strings (unbound variables are "")."""
    return [{n: (v.value if v is not None else "") for n, v in r.items()} for r in rows(sparql)]


@cache
def _superclasses() -> dict[str, set[str]]:
    """Every class of the ontology and its superclasses (from the ontology files: no query)."""
    from rdflib.namespace import RDFS as R

    from kg.reasoning import load_ontology

    g = load_ontology()
    direct: dict[str, set[str]] = defaultdict(set)
    for s, o in g.subject_objects(R.subClassOf):
        direct[str(s)].add(str(o))
    out: dict[str, set[str]] = {}
    for c in list(direct):
        seen, todo = set(), list(direct[c])
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(direct.get(x, ()))
        out[c] = seen
    return out


def most_specific(types: set[str]) -> str:
    """The type of ``types`` that no other one specialises (ties: the name first in order)."""
    sup = _superclasses()
    types = {t for t in types if t not in _GENERIC} or types
    specific = [t for t in types if not any(t in sup.get(o, ()) for o in types if o != t)]
    return sorted(specific or types)[0] if types else ""


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1] or iri


def parse_day(text: str | None) -> date | None:
    if not text or not _ISO_DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------ events for the map
def map_events(entity: str | None = None) -> list[dict[str, Any]]:
    """Asserted events (of ``entity``, in any role, when given): type, label, date (the event's, else the
    report's publication date, flagged), place with coordinates when known, and actors."""
    store = kg_store()
    inferred, derived = str(store.iris.inferred_graph), derived_graph(store.iris)
    scope = f"VALUES ?x {{ <{entity}> }} ?e ?role ?x ." if entity else ""
    rows = _rows(f"""SELECT ?e ?type ?label ?date ?docdate ?p ?pl ?lat ?long ?a ?al WHERE {{
        {{ SELECT DISTINCT ?e WHERE {{ {scope} ?e ck:modality ck:Asserted }} LIMIT {MAX_MAP_EVENTS} }}
        GRAPH ?g {{ ?e a ?type }} FILTER(?g != <{inferred}> && ?g != <{derived}>)
        OPTIONAL {{ ?e rdfs:label ?label }}
        OPTIONAL {{ ?e ck:date ?date }}
        OPTIONAL {{ ?e ck:source ?doc . ?doc dcterms:date ?docdate }}
        OPTIONAL {{ ?e ck:place|sem:hasPlace|ck:target ?p . ?p geo:lat ?lat ; geo:long ?long .
                    OPTIONAL {{ ?p rdfs:label ?pl }} }}
        OPTIONAL {{ ?e ck:agent ?a . ?a rdfs:label ?al }}
    }}""")
    events: dict[str, dict[str, Any]] = {}
    for r in rows:
        ev = events.setdefault(r["e"], {"iri": r["e"], "types": set(), "label": r["label"], "date": "",
                                        "reported": False, "place": None, "actors": {}})
        ev["types"].add(r["type"])
        if r["date"] and (not ev["date"] or ev["reported"]):
            ev["date"], ev["reported"] = r["date"], False
        elif r["docdate"] and not ev["date"]:
            ev["date"], ev["reported"] = r["docdate"][:10], True
        if r["lat"] and ev["place"] is None:
            try:
                ev["place"] = {"iri": r["p"], "label": r["pl"] or _local(r["p"]),
                               "lat": float(r["lat"]), "lon": float(r["long"])}
            except ValueError:
                pass
        if r["a"]:
            ev["actors"][r["a"]] = r["al"]
    out = []
    for ev in events.values():
        t = most_specific(ev.pop("types"))
        ev["type"] = _local(t)
        ev["actors"] = [{"iri": a, "label": label} for a, label in sorted(ev["actors"].items())]
        ev["href"] = _page_href(ev["iri"])
        out.append(ev)
    return sorted(out, key=lambda e: (e["date"] or "9999", e["type"], e["iri"]))


def _page_href(iri: str) -> str | None:
    from .pages import href

    return href(iri)


@bp.route("/events.json", methods=["GET"])
def events_json() -> Response:
    """The events of the map and the timeline: all of them, or those of ``?entity=KEY``."""
    key = request.args.get("entity")
    entity = None
    if key:
        try:
            entity = NamedNode(str(kg_store().iris.entity(key))).value
        except ValueError:
            abort(404)
    return jsonify({"events": map_events(entity)})


def map_config() -> dict[str, Any]:
    tiles = tile_url()
    return {"tiles": tiles, "attribution": OSM_ATTRIBUTION if tiles == DEFAULT_TILES else ""}


@bp.app_template_global("map_panel")
def map_panel(entity_key: str | None = None) -> Markup:
    """The map and timeline section of a page (the events of one entity, or all of them)."""
    return Markup(render_template("research_map.html", entity_key=entity_key, config=map_config()))


# ------------------------------------------------------------------------------------------ control over time
@dataclass
class CaptureRow:
    event: str
    label: str
    type: str
    date: str
    actor: tuple[str, str]
    status: str
    claimed: list[tuple[str, str]] = field(default_factory=list)
    confirmed: list[tuple[str, str]] = field(default_factory=list)
    denied: list[tuple[str, str]] = field(default_factory=list)
    reported: list[tuple[str, str]] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class IntervalRow:
    iri: str
    controller: tuple[str, str]
    start: str
    until: str
    status: str
    captures: list[str] = field(default_factory=list)


def control_of(place: str) -> tuple[list[IntervalRow], dict[str, CaptureRow]]:
    """The control intervals of a place and the captures supporting them."""
    graph = derived_graph(kg_store().iris)
    rows = _rows(f"""SELECT ?i ?c ?cl ?from ?until ?s ?e WHERE {{ GRAPH <{graph}> {{
        ?i ck:place <{place}> ; ck:controller ?c ; ck:attributionStatus ?s ; ck:supportedBy ?e .
        OPTIONAL {{ ?i ck:from ?from }} OPTIONAL {{ ?i ck:until ?until }} }}
        OPTIONAL {{ ?c rdfs:label ?cl }} }}""")
    intervals: dict[str, IntervalRow] = {}
    for r in rows:
        iv = intervals.setdefault(r["i"], IntervalRow(r["i"], (r["c"], r["cl"] or _local(r["c"])), r["from"],
                                                      r["until"], _status_label(r["s"])))
        if r["e"] not in iv.captures:
            iv.captures.append(r["e"])
    captures: dict[str, CaptureRow] = {}
    events = sorted({e for iv in intervals.values() for e in iv.captures})
    if events:
        values = " ".join(f"<{e}>" for e in events)
        for r in _rows(f"""SELECT ?e ?p ?o ?ol WHERE {{ VALUES ?e {{ {values} }} ?e ?p ?o .
                FILTER(?p IN (ck:agent, ck:date, rdfs:label, ck:claimedBy, ck:confirmedBy, ck:deniedBy,
                              ck:reportedBy, ck:source, rdf:type))
                OPTIONAL {{ ?o rdfs:label ?ol }} }}"""):
            c = captures.setdefault(r["e"], CaptureRow(r["e"], "", "Capture", "", ("", ""), ""))
            p, o, label = r["p"], r["o"], r["ol"] or _local(r["o"])
            if p == str(CK.agent):
                c.actor = (o, label)
            elif p == str(CK.date):
                c.date = o
            elif p == str(RDFS.label):
                c.label = o
            elif p == str(CK.source):
                c.documents.append((o, label))
            elif p.endswith("#type") and o == str(CK.Recapture):
                c.type = "Recapture"
            else:
                for name in ("claimed", "confirmed", "denied", "reported"):
                    if p == str(CK[f"{name}By"]) and (o, label) not in getattr(c, name):
                        getattr(c, name).append((o, label))
        for c in captures.values():
            c.status = "denied" if c.denied else "confirmed" if c.confirmed else "claimed" if c.claimed \
                else "asserted"
    ordered = sorted(intervals.values(), key=lambda iv: (iv.start or "9999", iv.controller[1]))
    return ordered, captures


def _status_label(iri: str) -> str:
    return next((name for name, s in STATUS.items() if str(s) == iri), _local(iri))


def held_on(intervals: list[IntervalRow], day: date) -> list[IntervalRow]:
    """The intervals that cover ``day``: [from, until)."""
    d = day.isoformat()
    return [iv for iv in intervals if iv.start and iv.start <= d and (not iv.until or d < iv.until)]


@bp.app_template_global("control_panel")
def control_panel(place: str) -> Markup:
    """The place page's section: the sequence of captures and who held the place on ``?at=YYYY-MM-DD``."""
    intervals, captures = control_of(place)
    at_text = request.args.get("at", "")
    at = parse_day(at_text)
    holders = held_on(intervals, at) if at else []
    # holders named by different captures disagree; one capture naming several actors is a joint one
    disagree = any(not set(a.captures) & set(b.captures) for a in holders for b in holders if a is not b)
    return Markup(render_template("research_control.html", intervals=intervals, captures=captures, at=at,
                                  at_text=at_text, bad_at=bool(at_text) and at is None, holders=holders,
                                  disagree=disagree))


# ------------------------------------------------------------------------------------------ contested facts
@bp.route("/contested", methods=["GET"])
def contested() -> Response:
    rows = _rows(CONTESTED_QUERY)
    html = render_template("contested.html", rows=rows, query=CONTESTED_QUERY)
    return Response(html, mimetype="text/html")

