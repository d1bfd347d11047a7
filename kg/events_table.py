"""The event table: one row per event, the form researchers load into pandas, R and Stata.

Columns follow POLECAT's names where the two overlap (``event_id``, ``event_date``, ``event_type``,
``event_mode``, ``contexts``, ``actor_name``, ``actor_country``, ``actor_wikidata_id``, ``recipient_*``,
``placename``, ``latitude``, ``longitude``, ``geonames_id``, ``story_id``); :data:`COLUMNS` lists them all and
the README documents each. Several actors, recipients, contexts or attributions of one event are joined with
``"; "`` in one cell (POLECAT does the same), and the columns of one participant (name, IRI, Wikidata ID,
country) list the participants in the same order.

The table comes from one SPARQL query (:data:`EVENTS_QUERY`), so it reads the embedded store and a remote one
alike. It reads the inferred graph (``kg build`` always writes it) for what is an event, its most specific
classes and the target roles, through the materialized ``rdfs:subClassOf`` / ``rdfs:subPropertyOf`` closure
rather than property paths (Virtuoso 7.2 answers ``rdfs:subClassOf+`` over the union graph with nothing). Its
branches each return one kind of fact (the event's own values, one participant, one attribution …) so that no
event multiplies into a cross product of its participants.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .namespaces import PREFIXES
from .store import Store

__all__ = ["COLUMNS", "EVENTS_QUERY", "EventFilter", "event_rows", "events_query", "write_events_csv"]

COLUMNS: tuple[str, ...] = (
    "event_id", "event_iri", "event_date", "date_precision", "date_text", "event_type", "event_mode", "contexts",
    "cameo_code", "event_class", "label",
    "actor_name", "actor_iri", "actor_wikidata_id", "actor_country",
    "recipient_name", "recipient_iri", "recipient_wikidata_id", "recipient_country",
    "quantity", "quantity_qualifier", "recipient_description",
    "placename", "place_iri", "geonames_id", "latitude", "longitude", "country",
    "modality", "claimed_by", "confirmed_by", "denied_by", "reported_by",
    "story_id", "document", "publication_date", "sentence", "sentence_start", "sentence_end",
    "trigger_text", "trigger_start", "trigger_end", "confidence",
)
SEPARATOR = "; "
_XSD = "http://www.w3.org/2001/XMLSchema#"
PRECISION = {f"{_XSD}date": "day", f"{_XSD}gYearMonth": "month", f"{_XSD}gYear": "year",
             f"{_XSD}dateTime": "second"}
ATTRIBUTION = {"claimedBy": "claimed_by", "confirmedBy": "confirmed_by", "deniedBy": "denied_by",
               "reportedBy": "reported_by"}
# roles whose filler is where the event happened when the text names no other place ("captured Aleppo")
PLACE_ROLES = {"capturedPlace", "recapturedPlace", "invadedPlace"}

# A participant's (or place's) country: itself when it is a country, else the country it lies in or is the
# government, armed forces or part of. Written as a path so that it needs no inferred triples.
_COUNTRY = """OPTIONAL { ?x (ck:locatedIn|ck:governmentOf|ck:armedForcesOf|ck:partOf)* ?c .
                 ?c a ck:Country ; rdfs:label ?country }"""

# no prologue of its own (prefixes are passed apart), so that a remote store can page the answer
_QUERY = f"""SELECT ?e ?part ?key ?x ?name ?wd ?country ?lat ?long ?gn ?value WHERE {{
  {{ SELECT DISTINCT ?e WHERE {{ ?e ck:source ?doc ; ck:modality ?m ; a ck:Event SCOPE }} }}
  {{
    # one value of the event itself, keyed by the column it fills
    {{ BIND("core" AS ?part) VALUES (?key ?p) {{
        ("event_date" ck:date) ("date_text" ck:dateText) ("modality" ck:modality) ("document" ck:source)
        ("sentence" ck:sentence) ("confidence" ck:confidence) ("event_mode" ck:ploverMode)
        ("cameo_code" ck:cameoCode) ("label" rdfs:label) ("quantity" ck:quantity)
        ("quantity_qualifier" ck:quantityQualifier) ("recipient_description" ck:targetDescription) }}
       ?e ?p ?value }}
    # the most specific PLOVER type (inferences add its super-types: a FIGHT is an ASSAULT too) and classes
    UNION {{ BIND("core" AS ?part) BIND("event_type" AS ?key) ?e a ?t . ?t ck:ploverCode ?value
             FILTER NOT EXISTS {{ ?e a ?t2 . ?t2 ck:ploverCode ?c2 ; rdfs:subClassOf ?t FILTER(?t2 != ?t) }} }}
    UNION {{ BIND("core" AS ?part) BIND("event_class" AS ?key) ?e a ?value . ?value rdfs:subClassOf ck:Event
             FILTER NOT EXISTS {{ ?e a ?t2 . ?t2 rdfs:subClassOf ?value FILTER(?t2 != ?value) }} }}
    UNION {{ BIND("core" AS ?part) BIND("story_id" AS ?key) ?e ck:source ?d . ?d dcterms:identifier ?value }}
    UNION {{ BIND("core" AS ?part) BIND("publication_date" AS ?key) ?e ck:source ?d . ?d dcterms:date ?value }}
    UNION {{ BIND("contexts" AS ?part) ?e ck:ploverContext ?value }}
    UNION {{ BIND("trigger" AS ?part) ?e gaf:denotedBy ?x . ?x nif:beginIndex ?lat ; nif:endIndex ?long ;
             nif:anchorOf ?value }}
    UNION {{ BIND("sentence" AS ?part) ?e prov:wasDerivedFrom ?x . ?x nif:beginIndex ?lat ; nif:endIndex ?long }}
    UNION {{ BIND("attribution" AS ?part) VALUES ?p {{ ck:claimedBy ck:confirmedBy ck:deniedBy ck:reportedBy }}
             ?e ?p ?x . BIND(STRAFTER(STR(?p), "#") AS ?key) OPTIONAL {{ ?x rdfs:label ?name }} }}
    UNION {{
      # a participant: the agent, a target in any role (below ck:target: the inferred graph holds the closure of
      # rdfs:subPropertyOf, and a target's super-roles), or the place
      {{ BIND("actor" AS ?part) ?e ck:agent ?x }}
      UNION {{ BIND("recipient" AS ?part) ?e ?role ?x . ?role rdfs:subPropertyOf ck:target
               FILTER(?role != ck:agent) BIND(STRAFTER(STR(?role), "#") AS ?key) }}
      UNION {{ BIND("place" AS ?part) ?e ck:place ?x }}
      OPTIONAL {{ ?x rdfs:label ?name }}
      OPTIONAL {{ ?x skos:exactMatch ?wdi FILTER(STRSTARTS(STR(?wdi), "http://www.wikidata.org/entity/"))
                 BIND(STRAFTER(STR(?wdi), "http://www.wikidata.org/entity/") AS ?wd) }}
      OPTIONAL {{ ?x geo:lat ?lat ; geo:long ?long }}
      OPTIONAL {{ ?x ck:geonamesId ?gn }}
      {_COUNTRY}
    }}
  }}
}}"""


def events_query(base: str | None = None) -> str:
    """The event table's query; with ``base``, only the events minted under that base IRI (a remote server may
    hold other knowledge graphs too)."""
    scope = "" if base is None else f'FILTER(STRSTARTS(STR(?e), "{_sparql_string(base + "event/")}"))'
    return _QUERY.replace("SCOPE", scope)


def _sparql_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


EVENTS_QUERY = events_query()


@dataclass(frozen=True)
class EventFilter:
    """Which events to keep: a PLOVER type (``ASSAULT``) or ontology class local name (``Capture``), an actor
    (IRI, or a label matched case-insensitively against any actor or recipient), and a date range (ISO
    prefixes compared as text: ``2024`` to ``2024-12``)."""

    type: str | None = None
    actor: str | None = None
    start: str | None = None
    end: str | None = None

    def keep(self, row: Mapping[str, object]) -> bool:
        if self.type and self.type.casefold() not in {
                kind.casefold() for c in ("event_type", "event_class") for kind in str(row[c] or "").split(SEPARATOR)}:
            return False
        if self.actor:
            wanted = self.actor.casefold()
            people = {name.casefold() for c in ("actor_name", "actor_iri", "recipient_name", "recipient_iri")
                      for name in str(row[c] or "").split(SEPARATOR)}
            if wanted not in people:
                return False
        date = str(row["event_date"] or "")
        # compared at the coarser precision of the two: "2024-12" is within a range from "2024-12-05"
        if self.start and (not date or date[:len(self.start)] < self.start[:len(date)]):
            return False
        return not (self.end and (not date or date[:len(self.end)] > self.end[:len(date)]))


@dataclass
class _Event:
    iri: str
    values: dict[str, str] = field(default_factory=dict)
    types: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    contexts: set[str] = field(default_factory=set)
    participants: dict[str, dict[str, dict[str, str]]] = field(
        default_factory=lambda: {"actor": {}, "recipient": {}, "place": {}})
    attributions: dict[str, dict[str, str]] = field(default_factory=dict)
    offsets: dict[str, tuple[int, int, str]] = field(default_factory=dict)


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _collect(store: Store, base: str | None) -> dict[str, _Event]:
    events: dict[str, _Event] = {}
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    for row in store.query(events_query(base), prefixes=prefixes, use_default_graph_as_union=True):
        def v(name: str, row=row) -> str | None:
            term = row[name]
            return None if term is None else term.value
        iri = v("e")
        ev = events.setdefault(iri, _Event(iri))
        part, key, value = v("part"), v("key"), v("value")
        if part == "core":
            if key == "event_type":
                ev.types.add(value)
            elif key == "event_class":
                ev.classes.add(_local(value))
            elif key == "event_date":
                ev.values[key] = value
                ev.values["date_precision"] = PRECISION.get(row["value"].datatype.value, "")
            elif key == "modality":
                ev.values[key] = _local(value).lower()  # as `kg extract` writes it
            elif key == "event_mode":
                ev.values[key] = _local(value).rpartition(".")[2]  # FIGHT.occupy → occupy
            elif key == "cameo_code":
                ev.values[key] = _local(value)
            else:
                ev.values.setdefault(key, value)
        elif part == "contexts":
            ev.contexts.add(_local(value))
        elif part in ("trigger", "sentence"):
            start, end = int(v("lat")), int(v("long"))
            # the sentence mention is the one the event was derived from; the trigger the one denoting it
            ev.offsets.setdefault(part, (start, end, value or ""))
        elif part == "attribution":
            ev.attributions.setdefault(ATTRIBUTION[key], {})[v("x")] = v("name") or v("x")
        else:
            who = ev.participants[part].setdefault(v("x"), {"iri": v("x")})
            for column in ("name", "wd", "country", "lat", "long", "gn"):
                if v(column) is not None:
                    who.setdefault(column, v(column))
            if key:  # a target's roles: its own and, with inferences, those above it
                who.setdefault("roles", set()).add(key)
    return events


def _joined(values: Iterable[str]) -> str:
    return SEPARATOR.join(values)


def _row(ev: _Event) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row.update(ev.values)
    row["event_iri"] = ev.iri
    row["event_id"] = _local(ev.iri)
    row["event_type"] = _joined(sorted(ev.types)) or None
    row["event_class"] = _joined(sorted(ev.classes)) or None
    row["contexts"] = _joined(sorted(ev.contexts)) or None
    for prefix, part in (("actor", "actor"), ("recipient", "recipient")):
        people = sorted(ev.participants[part].values(), key=lambda p: (p.get("name") or "", p["iri"]))
        if people:
            row[f"{prefix}_name"] = _joined(p.get("name") or "" for p in people)
            row[f"{prefix}_iri"] = _joined(p["iri"] for p in people)
            row[f"{prefix}_wikidata_id"] = _joined(p.get("wd") or "" for p in people)
            row[f"{prefix}_country"] = _joined(p.get("country") or "" for p in people)
    places = sorted(ev.participants["place"].values(), key=lambda p: p["iri"])
    if not places:
        places = [p for p in ev.participants["recipient"].values() if p.get("roles", set()) & PLACE_ROLES][:1]
    if places:
        p = places[0]
        row.update(placename=p.get("name"), place_iri=p["iri"], geonames_id=_int(p.get("gn")),
                   latitude=_float(p.get("lat")), longitude=_float(p.get("long")), country=p.get("country"))
    for column, who in ev.attributions.items():
        row[column] = _joined(sorted(who.values()))
    if "sentence" in ev.offsets:
        row["sentence_start"], row["sentence_end"], _ = ev.offsets["sentence"]
    if "trigger" in ev.offsets:
        row["trigger_start"], row["trigger_end"], row["trigger_text"] = ev.offsets["trigger"]
    row["confidence"] = _float(row["confidence"])
    row["quantity"] = _int(row["quantity"])
    return row


def _int(value: object) -> int | None:
    return None if value in (None, "") else int(value)  # type: ignore[arg-type]


def _float(value: object) -> float | None:
    return None if value in (None, "") else float(value)  # type: ignore[arg-type]


def event_rows(store: Store, where: EventFilter | None = None, *, base: str | None = None) -> list[dict[str, object]]:
    """The event table as dicts keyed by :data:`COLUMNS`, ordered by date (undated last), document, offset.
    ``base``: only the events under that base IRI (see :func:`events_query`)."""
    rows = [_row(ev) for ev in _collect(store, base).values()]
    if where is not None:
        rows = [r for r in rows if where.keep(r)]
    rows.sort(key=lambda r: (r["event_date"] is None, str(r["event_date"] or ""), str(r["story_id"] or ""),
                             r["trigger_start"] if r["trigger_start"] is not None else -1, str(r["event_id"])))
    return rows


def write_events_csv(rows: Iterable[Mapping[str, object]], out: io.TextIOBase) -> None:
    """Write rows as CSV (RFC 4180, a header of :data:`COLUMNS`; empty cells for missing values)."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
