"""The known actors, places and offices: ``ontology/gazetteer.toml`` plus the files beside it.

Read once into lookup tables (surface form → id) so mention resolution is a dictionary hit:

- ``gazetteer.toml``: ``[[country]]``, ``[[actor]]``, ``[[place]]`` entries;
- ``actors/*.toml``: more ``[[actor]]`` entries (governments, armed forces, groups, leaders), with the links
  ``government_of``, ``armed_forces_of`` (a state's id) and ``part_of`` (a faction or branch of another actor),
  and ``former_names`` matched like aliases;
- ``wikidata.toml``: ``[wikidata] id = { qid, label, source }`` for entries of any file;
- ``offices.toml``: ``[[office]]`` with the state, the titles that name it and its holders with dates, so that
  "the Syrian president" resolves to whoever held the office on the document's date.

Bad data stops loading with one line naming the file: a duplicate id, an alias that names two entries (two
context aliases for different countries are fine: "the army" is a different army in each country), a link,
Wikidata entry or office holder naming an unknown id, a malformed QID or date.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from kg.errors import InputError

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
QID = re.compile(r"Q[1-9][0-9]*")
LINK_FIELDS = {"government_of": "governmentOf", "armed_forces_of": "armedForcesOf", "part_of": "partOf"}

__all__ = ["GazEntry", "Gazetteer", "Office", "OfficeTerm", "alias_key", "load_gazetteer"]


@dataclass(frozen=True)
class GazEntry:
    id: str
    label: str
    type: str
    country: str | None = None  # ISO code
    geonames_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    wikidata: str | None = None  # QID, e.g. "Q858"
    links: tuple[tuple[str, str], ...] = ()  # (ontology property, gazetteer id): governmentOf, armedForcesOf, partOf


@dataclass(frozen=True)
class OfficeTerm:
    person: str
    start: date | None
    end: date | None  # None: still in office

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Office:
    id: str
    label: str
    state: str
    titles: tuple[str, ...]
    holders: tuple[OfficeTerm, ...]
    wikidata: str | None = None

    def holder_on(self, day: date) -> str | None:
        return next((t.person for t in self.holders if t.covers(day)), None)


@dataclass
class Gazetteer:
    entries: dict[str, GazEntry] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # lower-case surface form -> id
    context_aliases: dict[str, dict[str, str]] = field(default_factory=dict)  # form -> {iso: id}
    demonyms: dict[str, str] = field(default_factory=dict)  # "israeli" -> "israel"
    demonym_of: dict[str, str] = field(default_factory=dict)  # "israel" -> "Israeli"
    capitals: dict[str, str] = field(default_factory=dict)  # "moscow" -> "russia"
    country_by_iso: dict[str, str] = field(default_factory=dict)
    government_of: dict[str, str] = field(default_factory=dict)  # state id -> its Government entry
    armed_forces_of: dict[str, str] = field(default_factory=dict)  # state id -> its MilitaryForce entry
    offices: dict[tuple[str, str], Office] = field(default_factory=dict)  # (state id, title) -> office

    def office_holder(self, state: str, title: str, day: date) -> str | None:
        """Who held ``title`` ("president") of ``state`` on ``day``, when the data says."""
        office = self.offices.get((state, title.lower()))
        return office.holder_on(day) if office else None


def alias_key(text: str) -> str:
    """The lookup form of a surface string (lower case, typographic apostrophe, no leading article)."""
    text = text.lower().replace("\u2019", "'").strip()
    return text[4:] if text.startswith("the ") else text


class _Builder:
    """Accumulates entries file by file and reports the first conflict with the file that caused it."""

    def __init__(self) -> None:
        self.gaz = Gazetteer()
        self.origin: dict[str, str] = {}  # id -> file name
        self.alias_origin: dict[str, str] = {}
        self.pending_links: list[tuple[str, str, str, str]] = []  # (file, id, field, target)

    def _id(self, where: str, ent_id: str) -> None:
        if not isinstance(ent_id, str) or not ent_id:
            raise InputError(where, f"an entry has no id ({ent_id!r})")
        if ent_id in self.origin:
            raise InputError(where, f"duplicate id {ent_id!r} (already in {self.origin[ent_id]})")
        self.origin[ent_id] = where

    def _alias(self, where: str, form: str, ent_id: str) -> None:
        key = alias_key(form)
        have = self.gaz.aliases.get(key)
        if have is not None and have != ent_id:
            raise InputError(where, f"alias {form!r} of {ent_id!r} already names {have!r} "
                                    f"({self.alias_origin[key]})")
        self.gaz.aliases[key] = ent_id
        self.alias_origin.setdefault(key, where)

    def _context_alias(self, where: str, form: str, iso: str, ent_id: str) -> None:
        slot = self.gaz.context_aliases.setdefault(alias_key(form), {})
        if slot.get(iso, ent_id) != ent_id:
            raise InputError(where, f"context alias {form!r} of {ent_id!r} already names {slot[iso]!r} "
                                    f"in country {iso or '(any)'}")
        slot[iso] = ent_id

    def country(self, where: str, c: dict) -> None:
        self._id(where, c["id"])
        self.gaz.entries[c["id"]] = GazEntry(c["id"], c["label"], "Country", c.get("iso"))
        self.gaz.country_by_iso[c["iso"]] = c["id"]
        for form in [c["label"], *c.get("aliases", [])]:
            self._alias(where, form, c["id"])
        for dem in c.get("demonyms", []):
            self.gaz.demonyms[dem.lower()] = c["id"]
        if c.get("demonyms"):
            self.gaz.demonym_of[c["id"]] = c["demonyms"][0].title()
        if c.get("capital"):
            self.gaz.capitals[c["capital"].lower()] = c["id"]

    def actor(self, where: str, a: dict) -> None:
        for key in ("id", "label", "type"):
            if key not in a:
                raise InputError(where, f"entry {a.get('id', a.get('label', '?'))!r} has no {key!r}")
        self._id(where, a["id"])
        self.gaz.entries[a["id"]] = GazEntry(a["id"], a["label"], a["type"], a.get("country"), a.get("geonames_id"),
                                             a.get("latitude"), a.get("longitude"))
        for form in [a["label"], *a.get("aliases", []), *a.get("former_names", [])]:
            self._alias(where, form, a["id"])
        for form in a.get("context_aliases", []):
            self._context_alias(where, form, a.get("country") or "", a["id"])
        for name in LINK_FIELDS:
            if a.get(name):
                self.pending_links.append((where, a["id"], name, a[name]))

    def finish_links(self) -> None:
        for where, ent_id, name, target in self.pending_links:
            if target not in self.gaz.entries:
                raise InputError(where, f"{ent_id!r}: {name} names unknown id {target!r}")
            e = self.gaz.entries[ent_id]
            self.gaz.entries[ent_id] = replace(e, links=(*e.links, (LINK_FIELDS[name], target)))
            if name == "government_of":
                self.gaz.government_of.setdefault(target, ent_id)
            elif name == "armed_forces_of":
                self.gaz.armed_forces_of.setdefault(target, ent_id)

    def wikidata(self, where: str, table: dict) -> None:
        for ent_id, spec in table.items():
            if ent_id not in self.gaz.entries:
                raise InputError(where, f"Wikidata link for unknown id {ent_id!r}")
            qid = spec.get("qid") if isinstance(spec, dict) else None
            if not isinstance(qid, str) or not QID.fullmatch(qid):
                raise InputError(where, f"{ent_id!r}: malformed Wikidata id {qid!r}")
            self.gaz.entries[ent_id] = replace(self.gaz.entries[ent_id], wikidata=qid)

    def office(self, where: str, o: dict) -> None:
        for key in ("id", "label", "state", "titles", "holders"):
            if key not in o:
                raise InputError(where, f"office {o.get('id', '?')!r} has no {key!r}")
        if o["state"] not in self.gaz.entries:
            raise InputError(where, f"office {o['id']!r}: unknown state {o['state']!r}")
        terms = []
        for h in o["holders"]:
            if h.get("person") not in self.gaz.entries:
                raise InputError(where, f"office {o['id']!r}: unknown holder {h.get('person')!r}")
            terms.append(OfficeTerm(h["person"], _day(where, o["id"], h.get("start")),
                                    _day(where, o["id"], h.get("end"))))
        qid = o.get("qid")
        if qid is not None and not QID.fullmatch(str(qid)):
            raise InputError(where, f"office {o['id']!r}: malformed Wikidata id {qid!r}")
        office = Office(o["id"], o["label"], o["state"], tuple(t.lower() for t in o["titles"]), tuple(terms), qid)
        for title in office.titles:
            if (office.state, title) in self.gaz.offices:
                raise InputError(where, f"office {o['id']!r}: title {title!r} of {o['state']!r} is already "
                                        f"{self.gaz.offices[(office.state, title)].id!r}")
            self.gaz.offices[(office.state, title)] = office


def _day(where: str, office: str, value) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(where, f"office {office!r}: malformed date {value!r}") from None


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"invalid TOML: {exc}") from None


@functools.cache
def load_gazetteer(root: Path = ONTOLOGY_DIR) -> Gazetteer:
    """Every gazetteer file under ``root`` (an ontology folder), checked and indexed."""
    b = _Builder()
    main = root / "gazetteer.toml"
    data = _read(main)
    for c in data.get("country", []):
        b.country(main.name, c)
    for kind in ("actor", "place"):
        for a in data.get(kind, []):
            b.actor(main.name, a)
    for path in sorted((root / "actors").glob("*.toml")):
        where = f"actors/{path.name}"
        for a in _read(path).get("actor", []):
            b.actor(where, a)
    b.finish_links()
    wikidata = root / "wikidata.toml"
    if wikidata.exists():
        b.wikidata(wikidata.name, _read(wikidata).get("wikidata", {}))
    offices = root / "offices.toml"
    if offices.exists():
        for o in _read(offices).get("office", []):
            b.office(offices.name, o)
    return b.gaz
