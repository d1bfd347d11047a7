"""Control over time: who held each place when, derived from the captures the documents report.

A capture means its actor held the place from the capture's date on, and that whoever held it before lost it.
So the asserted captures of one place, ordered by date, give a sequence of **control intervals**
(``ck:ControlInterval``): the controller, the place, ``ck:from`` (the first day of the capture's date, or, when
the text gives no date, the report's publication date: the actor held the place by then), ``ck:until`` (the
first day of the next capture by another actor; absent while no later capture is known), the captures that
support it (``ck:supportedBy``), their documents (``ck:source``) and an attribution status
(``ck:attributionStatus``): denied when someone denied a supporting capture, else confirmed when someone
confirmed one, else asserted when a report states one as fact, else claimed.

Captures of one place by one actor with no capture by another actor between them make one interval. Two
captures by different actors that start on the same day both hold until a later capture by someone else: their
intervals overlap, which is how two sources naming different holders on one date show (``/contested``), unless
one capture names both actors (allies taking the place together).
Undated captures from undated reports cannot be ordered: each actor gets one interval without dates.

The intervals live in their own named graph (:func:`derived_graph`), maintained like the inferred graph: a note
(:data:`STATE_NOTE`) records the document versions the graph reflects and the places each document touched;
after a build or a removal only the places of added and removed documents are recomputed, so the graph is
always exactly what a recomputation from scratch would give (:func:`derive_all`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .layout import document_hashes
from .namespaces import CK, RDF, RDFS, XSD, IRIs, sparql_prologue
from .store import Store
from .store.terms import Literal, NamedNode, QuerySolutions

__all__ = ["CONTESTED_QUERY", "CONTROL_AT_QUERY", "STATE_NOTE", "STATUS", "Capture", "Interval",
           "control_intervals", "derive_all", "derived_graph", "read_captures", "update_control"]

STATE_NOTE = "kg-control-state.json"
"""Which document versions the derived graph reflects, the places each touched, and the graph's size."""

STATUS = {"denied": CK.StatusDenied, "confirmed": CK.StatusConfirmed, "asserted": CK.StatusAsserted,
          "claimed": CK.StatusClaimed}
"""Attribution status of a capture, strongest first: the status of an interval is the first that one of its
captures has."""


CONTROL_AT_QUERY = """# Who controlled Aleppo on 1 December 2024, according to whom, and who disputed it?
# (two controllers on one date: the sources disagree)
SELECT DISTINCT ?controller ?from ?until ?status ?according ?disputedBy ?document WHERE {
  ?place rdfs:label "Aleppo" .
  ?interval a ck:ControlInterval ; ck:place ?place ; ck:controller ?c ; ck:from ?from ;
            ck:attributionStatus ?s ; ck:supportedBy ?capture .
  OPTIONAL { ?interval ck:until ?until }
  FILTER(?from <= "2024-12-01"^^xsd:date && (!BOUND(?until) || ?until > "2024-12-01"^^xsd:date))
  ?c rdfs:label ?controller . ?s rdfs:label ?status . ?capture ck:source ?document .
  OPTIONAL { ?capture ck:claimedBy|ck:confirmedBy|ck:reportedBy ?a . ?a rdfs:label ?according }
  OPTIONAL { ?capture ck:deniedBy ?d . ?d rdfs:label ?disputedBy }
}
ORDER BY ?from ?controller"""
"""The documented question, answered from the control intervals (README, query page)."""

CONTESTED_QUERY = """# Facts with conflicting attributions: claimed or reported by one side and denied by another, or
# two sources naming different holders of a place on the same date
SELECT DISTINCT ?kind ?fact ?place ?date ?says ?disputedBy ?document WHERE {
  {
    ?e ck:deniedBy ?d ; ck:modality ck:Asserted ; rdfs:label ?fact ; ck:source ?document .
    ?d rdfs:label ?disputedBy .
    OPTIONAL { ?e ck:claimedBy|ck:confirmedBy|ck:reportedBy ?c . ?c rdfs:label ?says }
    OPTIONAL { ?e ck:date ?date }
    OPTIONAL { ?e ck:capturedPlace|ck:place ?p . ?p rdfs:label ?place }
    BIND("denied" AS ?kind)
  } UNION {
    ?i1 a ck:ControlInterval ; ck:place ?p ; ck:controller ?c1 ; ck:from ?date ; ck:source ?document .
    ?i2 a ck:ControlInterval ; ck:place ?p ; ck:controller ?c2 ; ck:from ?from2 .
    OPTIONAL { ?i2 ck:until ?until2 }
    FILTER(?c1 != ?c2 && ?from2 <= ?date && (!BOUND(?until2) || ?until2 > ?date))
    FILTER NOT EXISTS { ?i1 ck:supportedBy ?joint . ?i2 ck:supportedBy ?joint }  # allies taking it together
    ?p rdfs:label ?place . ?c1 rdfs:label ?says . ?c2 rdfs:label ?disputedBy .
    BIND(CONCAT(?says, " held ", ?place) AS ?fact)
    BIND("other holder" AS ?kind)
  }
}
ORDER BY ?place ?date ?kind"""
"""Contested facts (README, query page, /contested)."""


def derived_graph(iris: IRIs) -> str:
    """The named graph of the control intervals."""
    return f"{iris.base}graph/derived"


@dataclass(frozen=True)
class Capture:
    event: str
    place: str
    actor: str
    start: date | None  # first day of the capture's date, or the report's publication date
    status: str  # a key of STATUS
    documents: tuple[str, ...] = ()


@dataclass
class Interval:
    place: str
    controller: str
    start: date | None
    until: date | None
    captures: list[Capture] = field(default_factory=list)

    @property
    def status(self) -> str:
        found = {c.status for c in self.captures}
        return next(s for s in STATUS if s in found)

    def iri(self, iris: IRIs) -> str:
        events = "\x1f".join(sorted(c.event for c in self.captures))
        key = hashlib.sha256(f"{self.place}\x1f{self.controller}\x1f{events}".encode()).hexdigest()[:16]
        return f"{iris.base}control/{key}"


def _first_day(value: str) -> date | None:
    """'2024-12-01' → that day; '2024-12' and '2024' → their first day; anything else → None."""
    head = value[:10]
    try:
        if len(head) == 4:
            return date(int(head), 1, 1)
        if len(head) == 7:
            return date(int(head[:4]), int(head[5:7]), 1)
        return date.fromisoformat(head)
    except ValueError:
        return None


def control_intervals(captures: Iterable[Capture]) -> list[Interval]:
    """The control intervals of one place's captures (see the module docstring)."""
    captures = list(captures)
    dated = [c for c in captures if c.start is not None]
    by_key: dict[tuple[str, date | None], Interval] = {}
    for c in dated:
        assert c.start is not None
        # the previous holder loses the place when another actor captures it later
        later = [d.start for d in dated if d.actor != c.actor and d.start is not None and d.start > c.start]
        until = min(later) if later else None
        iv = by_key.setdefault((c.actor, until), Interval(c.place, c.actor, c.start, until))
        iv.start = min(iv.start, c.start) if iv.start else c.start
        iv.captures.append(c)
    undated: dict[str, Interval] = {}
    for c in captures:
        if c.start is None:
            undated.setdefault(c.actor, Interval(c.place, c.actor, None, None)).captures.append(c)
    out = list(by_key.values()) + list(undated.values())
    for iv in out:
        iv.captures.sort(key=lambda c: c.event)
    return sorted(out, key=lambda iv: (iv.start or date.max, iv.controller))


# ------------------------------------------------------------------------------------------ reading captures
_CAPTURES = """SELECT ?e ?p ?a ?d ?docdate ?doc ?claimed ?confirmed ?denied WHERE {
  %s
  ?e ck:capturedPlace|ck:recapturedPlace ?p ; ck:agent ?a ; ck:modality ck:Asserted .
  FILTER(STRSTARTS(STR(?e), "%s"))
  OPTIONAL { ?e ck:date ?d }
  OPTIONAL { ?e ck:source ?doc OPTIONAL { ?doc dcterms:date ?docdate } }
  OPTIONAL { ?e ck:claimedBy ?claimed }
  OPTIONAL { ?e ck:confirmedBy ?confirmed }
  OPTIONAL { ?e ck:deniedBy ?denied }
}"""


def _val(term) -> str | None:
    return None if term is None else term.value


def read_captures(store: Store, places: Iterable[str] | None = None) -> dict[str, list[Capture]]:
    """The asserted captures of ``places`` (every place when None), by place."""
    if places is not None:
        places = sorted(places)
        if not places:
            return {}
        values = "VALUES ?p { " + " ".join(f"<{p}>" for p in places) + " }"
    else:
        values = ""
    # only this store's events: a server-grade store may hold other datasets beside it
    rows = store.query(sparql_prologue() + _CAPTURES % (values, f"{store.iris.base}event/"),
                       use_default_graph_as_union=True)
    assert isinstance(rows, QuerySolutions)
    seen: dict[tuple[str, str], dict] = {}  # by (event, place): an event may take several places
    for r in rows:
        e, p = _val(r["e"]), _val(r["p"])
        assert e is not None and p is not None
        info = seen.setdefault((e, p), {"place": p, "actors": set(), "dates": set(), "docdates": set(),
                                        "docs": set(), "claimed": False, "confirmed": False, "denied": False})
        info["actors"].add(_val(r["a"]))
        for key, var in (("dates", "d"), ("docdates", "docdate"), ("docs", "doc")):
            if r[var] is not None:
                info[key].add(_val(r[var]))
        for key in ("claimed", "confirmed", "denied"):
            info[key] |= r[key] is not None
    out: dict[str, list[Capture]] = defaultdict(list)
    for (e, _), info in seen.items():
        days = [d for d in map(_first_day, info["dates"]) if d] or \
            [d for d in map(_first_day, info["docdates"]) if d]
        status = "denied" if info["denied"] else "confirmed" if info["confirmed"] else \
            "claimed" if info["claimed"] else "asserted"
        for actor in sorted(info["actors"]):  # a joint capture: each actor took part
            out[info["place"]].append(Capture(e, info["place"], actor, min(days) if days else None, status,
                                              tuple(sorted(info["docs"]))))
    return dict(out)


# ------------------------------------------------------------------------------------------ triples
def _nn(iri: str) -> NamedNode:
    return NamedNode(iri)


def _day(d: date) -> Literal:
    return Literal(d.isoformat(), datatype=_nn(str(XSD.date)))


def interval_triples(iv: Interval, iris: IRIs) -> list[tuple]:
    i = _nn(iv.iri(iris))
    t = [(i, _nn(str(RDF.type)), _nn(str(CK.ControlInterval))),
         (i, _nn(str(CK.place)), _nn(iv.place)),
         (i, _nn(str(CK.controller)), _nn(iv.controller)),
         (i, _nn(str(CK.attributionStatus)), _nn(str(STATUS[iv.status])))]
    span = f"{iv.start.isoformat() if iv.start else '?'} – {iv.until.isoformat() if iv.until else ''}"
    t.append((i, _nn(str(RDFS.label)), Literal(f"control {span}".strip())))
    if iv.start:
        t.append((i, _nn(str(CK["from"])), _day(iv.start)))
    if iv.until:
        t.append((i, _nn(str(CK.until)), _day(iv.until)))
    for c in iv.captures:
        t.append((i, _nn(str(CK.supportedBy)), _nn(c.event)))
        t.extend((i, _nn(str(CK.source)), _nn(d)) for d in c.documents)
    return t


# ------------------------------------------------------------------------------------------ maintenance
def _document_places(store: Store, keys: Iterable[str]) -> dict[str, list[str]]:
    """The places each of the documents ``keys`` reports captured (one query for all of them)."""
    keys = sorted(keys)
    out: dict[str, list[str]] = {k: [] for k in keys}
    if not keys:
        return out
    graphs = " ".join(f"<{store.iris.document_graph(k)}>" for k in keys)
    rows = store.query(sparql_prologue() + f"""SELECT DISTINCT ?g ?p WHERE {{ VALUES ?g {{ {graphs} }}
        GRAPH ?g {{ ?e ck:capturedPlace|ck:recapturedPlace ?p }} }}""")
    assert isinstance(rows, QuerySolutions)
    prefix = store.iris.document_graph_prefix
    for r in rows:
        g, p = _val(r["g"]), _val(r["p"])
        if g and p:
            out[g[len(prefix):]].append(p)
    return {k: sorted(v) for k, v in out.items()}


def _read_state(store: Store) -> dict | None:
    try:
        state = json.loads(store.read_note(STATE_NOTE) or "")
        return {"documents": {str(k): str(v) for k, v in state["documents"].items()},
                "places": {str(k): [str(p) for p in v] for k, v in state["places"].items()},
                "size": int(state["size"])}
    except (ValueError, KeyError, AttributeError, TypeError):
        return None


def _write_state(store: Store, documents: dict[str, str], places: dict[str, list[str]]) -> None:
    state = {"documents": documents, "places": places,
             "size": store.graph_size(derived_graph(store.iris))}
    store.write_note(STATE_NOTE, json.dumps(state, sort_keys=True))


def derive_all(store: Store) -> int:
    """Recompute the whole derived graph from the store; returns its size."""
    graph = derived_graph(store.iris)
    triples = [t for ivs in map(control_intervals, read_captures(store).values()) for iv in ivs
               for t in interval_triples(iv, store.iris)]
    store.remove_graph(graph)
    if triples:
        store.put_graph(graph, triples)
    documents = document_hashes(store)
    _write_state(store, documents, _document_places(store, documents))
    return len(set(triples))


def update_control(store: Store) -> int | None:
    """Bring the derived graph up to date with the document graphs: recompute the intervals of the places the
    added, replaced and removed documents touch. None when it already was up to date."""
    state = _read_state(store)
    graph = derived_graph(store.iris)
    if state is None or state["size"] != store.graph_size(graph):
        return derive_all(store)  # never derived, or changed behind the note's back
    current = document_hashes(store)
    added = sorted(k for k, h in current.items() if state["documents"].get(k) != h)
    removed = sorted(k for k, h in state["documents"].items() if current.get(k) != h)
    if not added and not removed:
        return None
    places_of = {k: v for k, v in state["places"].items() if k in current and k not in added}
    touched: set[str] = {p for k in removed for p in state["places"].get(k, [])}
    for k, places in _document_places(store, added).items():
        places_of[k] = places
        touched.update(places)
    if touched:
        old = store.query(sparql_prologue() + f"""SELECT ?i ?p ?o WHERE {{ GRAPH <{graph}> {{
            VALUES ?place {{ {' '.join(f'<{p}>' for p in sorted(touched))} }}
            ?i ck:place ?place ; ?p ?o }} }}""")
        assert isinstance(old, QuerySolutions)
        dels = {(r["i"], r["p"], r["o"]) for r in old}
        ins = {t for ivs in map(control_intervals, read_captures(store, touched).values()) for iv in ivs
               for t in interval_triples(iv, store.iris)}
        store.change_graph(graph, ins - dels, dels - ins)
    _write_state(store, current, places_of)
    return store.graph_size(graph)
