"""The gazetteer data files checked as data, without the project's loader.

Files: ontology/gazetteer.toml, ontology/actors/*.toml, ontology/wikidata.toml, ontology/offices.toml.
Checks the schema, that every id is unique and every reference resolves, that no surface form names two
entries (the loader's own lookup normalisation is repeated here: lower case, typographic apostrophe, no
leading "the"), that Wikidata links are well formed, labelled, sourced and used once, and that office terms
are dated, ordered and do not overlap.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Namespace

ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology"
CK = Namespace("https://w3id.org/conflict-kg/ontology#")
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ISO = re.compile(r"[A-Z]{2}")
QID = re.compile(r"Q[1-9][0-9]*")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ACTOR_KEYS = {"id", "label", "type", "country", "aliases", "context_aliases", "government_of", "armed_forces_of",
              "part_of", "former_names"}
OFFICE_KEYS = {"id", "label", "state", "titles", "qid", "holders"}
TERM_KEYS = {"person", "start", "end"}


def _read(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


GAZ = _read(ONTOLOGY / "gazetteer.toml")
ACTOR_FILES = {p.name: _read(p).get("actor", []) for p in sorted((ONTOLOGY / "actors").glob("*.toml"))}
NEW_ACTORS = [a for entries in ACTOR_FILES.values() for a in entries]
ACTOR_TABLES = {"gazetteer.toml": GAZ["actor"], **{f"actors/{name}": entries for name, entries in ACTOR_FILES.items()}}
ACTORS = [a for entries in ACTOR_TABLES.values() for a in entries]
COUNTRIES = GAZ["country"]
ALL = COUNTRIES + GAZ["actor"] + GAZ.get("place", []) + NEW_ACTORS
BY_ID = {e["id"]: e for e in ALL}
COUNTRY_IDS = {c["id"] for c in COUNTRIES}
ISO_CODES = {c["iso"] for c in COUNTRIES}
WIKIDATA = _read(ONTOLOGY / "wikidata.toml")["wikidata"]
OFFICES = _read(ONTOLOGY / "offices.toml")["office"]


def key(form: str) -> str:
    form = form.lower().replace("\u2019", "'").strip()
    return form[4:] if form.startswith("the ") else form


def ontology_actor_classes() -> set[str]:
    g = Graph().parse(ONTOLOGY / "conflict.ttl", format="turtle")
    actor_classes = set(g.transitive_subjects(RDFS.subClassOf, CK.Actor))
    return {str(c).removeprefix(str(CK)) for c in actor_classes if (c, RDF.type, OWL.Class) in g}


def test_there_are_at_least_400_states_and_actors():
    assert len(COUNTRIES) + len(GAZ["actor"]) + len(NEW_ACTORS) >= 400


@pytest.mark.parametrize("name", sorted(ACTOR_TABLES))
def test_actor_files_follow_the_schema(name):
    classes = ontology_actor_classes()
    assert ACTOR_TABLES[name], f"{name} has no [[actor]] entries"
    for a in ACTOR_TABLES[name]:
        where = f"{name}: {a.get('id')!r}"
        assert set(a) <= ACTOR_KEYS, f"{where}: unknown keys {set(a) - ACTOR_KEYS}"
        assert ID.fullmatch(a["id"]), f"{where}: id is not a lower-case slug"
        assert a["label"].strip() == a["label"] and a["label"], f"{where}: bad label"
        assert a["type"] in classes, f"{where}: {a['type']!r} is not an actor class of conflict.ttl"
        if "country" in a:
            assert ISO.fullmatch(a["country"]) and a["country"] in ISO_CODES, f"{where}: unknown country code"
        for field in ("aliases", "context_aliases", "former_names"):
            forms = a.get(field, [])
            assert isinstance(forms, list) and all(isinstance(f, str) and f.strip() == f and f for f in forms), \
                f"{where}: {field} must be a list of trimmed strings"
        if a.get("context_aliases"):
            assert a.get("country"), f"{where}: context aliases need the country they apply in"
        if a["type"] == "Government":
            assert "armed_forces_of" not in a, f"{where}: a government is not armed forces"
        if "armed_forces_of" in a:
            assert a["type"] == "MilitaryForce", f"{where}: armed_forces_of on a {a['type']}"
        if "government_of" in a:
            assert a["type"] == "Government", f"{where}: government_of on a {a['type']}"


def test_ids_are_unique_across_all_gazetteer_files():
    seen: dict[str, str] = {}
    sources = [("gazetteer.toml", e) for e in COUNTRIES + GAZ["actor"] + GAZ.get("place", [])]
    sources += [(f"actors/{name}", a) for name, entries in ACTOR_FILES.items() for a in entries]
    for where, e in sources:
        assert e["id"] not in seen, f"{where}: id {e['id']!r} already in {seen[e['id']]}"
        seen[e["id"]] = where
    office_ids = [o["id"] for o in OFFICES]
    assert len(office_ids) == len(set(office_ids)), "duplicate office id"
    assert not set(office_ids) & set(seen), "an office id is also a gazetteer id"


def test_links_name_states_and_actors_that_exist():
    for a in ACTORS:
        for field in ("government_of", "armed_forces_of"):
            if field in a:
                assert a[field] in COUNTRY_IDS, f"{a['id']}: {field} {a[field]!r} is not a country id"
                state = BY_ID[a[field]]
                if "country" in a:
                    assert a["country"] == state["iso"], f"{a['id']}: country differs from its state's"
        if "part_of" in a:
            assert a["part_of"] in BY_ID and a["part_of"] != a["id"], f"{a['id']}: unknown part_of"
    # part_of never loops back
    for a in ACTORS:
        seen, cur = {a["id"]}, BY_ID[a["id"]]
        while "part_of" in cur:
            assert cur["part_of"] not in seen, f"{a['id']}: part_of loops"
            seen.add(cur["part_of"])
            cur = BY_ID[cur["part_of"]]


def test_each_state_has_at_most_one_armed_forces():
    """A state's other forces (army, police, special units) are part_of its armed forces. Governments may succeed
    each other (Syria), so government_of is not checked here."""
    seen: dict[str, str] = {}
    for a in ACTORS:
        if "armed_forces_of" in a:
            state = a["armed_forces_of"]
            assert state not in seen, f"armed forces of {state!r}: both {seen[state]!r} and {a['id']!r}"
            seen[state] = a["id"]


def plain_names() -> dict[str, str]:
    return {key(form): e["id"] for e in ALL for form in [e["label"], *e.get("aliases", []), *e.get("former_names", [])]}


@pytest.mark.parametrize(("form", "ent_id"), [
    ("Jabhat al-Nusra", "hayat-tahrir-al-sham"), ("Nusra Front", "hayat-tahrir-al-sham"),
    ("Jabhat Fateh al-Sham", "hayat-tahrir-al-sham"), ("JFS", "hayat-tahrir-al-sham"),
    ("al-Qaeda in Iraq", "islamic-state"), ("AQI", "islamic-state"), ("Islamic State of Iraq", "islamic-state"),
    ("AUSSOM", "aussom"), ("ATMIS", "aussom"), ("AMISOM", "aussom"), ("AU", "african-union"),
    ("CENTCOM", "us-central-command"), ("US Central Command", "us-central-command"),
    ("Islamic Resistance in Lebanon", "hezbollah"), ("FARC", "farc"), ("Assad", "bashar-al-assad"),
    ("Iraqi army", "iraqi-armed-forces"), ("Iraqi Security Forces", "iraqi-security-forces"),
])
def test_names_go_to_the_entry_they_mean(form, ent_id):
    assert plain_names().get(key(form)) == ent_id


@pytest.mark.parametrize("form", [
    "FARC dissidents",  # the dissident fronts are their own entries (Estado Mayor Central, Segunda Marquetalia)
    "Bashar",           # a bare given name is too loose
])
def test_loose_names_are_not_aliases(form):
    assert key(form) not in plain_names()


def test_demonym_troops_name_no_entry():
    """"Syrian troops", "Israeli forces" are left to the extractor, which reads a demonym before a force noun as
    the state (kg/nlp/words.toml state_proxy_heads); as a plain alias they would name the armed forces instead."""
    demonyms = {d.lower() for c in COUNTRIES for d in c.get("demonyms", [])}
    heads = ("troops", "forces", "soldiers")
    for e in ALL:
        for form in [*e.get("aliases", []), *e.get("former_names", []), *e.get("context_aliases", [])]:
            words = form.lower().split()
            assert not (len(words) == 2 and words[0] in demonyms and words[1] in heads), \
                f"{e['id']}: {form!r} should resolve to the state, not be an alias"


def test_command_structure_of_the_us_and_iraqi_forces():
    assert BY_ID["us-central-command"]["part_of"] == "us-military"
    assert BY_ID["us-africa-command"]["part_of"] == "us-military"
    assert BY_ID["us-military"]["armed_forces_of"] == "united-states"
    assert BY_ID["iraqi-security-forces"]["armed_forces_of"] == "iraq"
    for part in ("iraqi-armed-forces", "iraqi-counter-terrorism-service"):
        assert BY_ID[part]["part_of"] == "iraqi-security-forces"
        assert "armed_forces_of" not in BY_ID[part]


def test_no_surface_form_names_two_entries():
    plain: dict[str, str] = {}
    context: dict[tuple[str, str], str] = {}

    def claim(form: str, ent_id: str) -> None:
        have = plain.setdefault(key(form), ent_id)
        assert have == ent_id, f"{form!r} names both {have!r} and {ent_id!r}"

    for e in ALL:
        for form in [e["label"], *e.get("aliases", []), *e.get("former_names", [])]:
            claim(form, e["id"])
        for form in [*e.get("demonyms", []), *([e["capital"]] if "capital" in e else [])]:
            claim(form, e["id"])
    for e in ALL:
        for form in e.get("context_aliases", []):
            slot = (key(form), e.get("country", ""))
            have = context.setdefault(slot, e["id"])
            assert have == e["id"], f"context alias {form!r} names both {have!r} and {e['id']!r} in {slot[1]}"
            assert plain.get(key(form), e["id"]) == e["id"], \
                f"context alias {form!r} of {e['id']!r} is a plain name of {plain[key(form)]!r}"


def test_wikidata_links_are_wellformed_labelled_sourced_and_used_once():
    used: dict[str, str] = {}
    for ent_id, spec in WIKIDATA.items():
        assert ent_id in BY_ID, f"Wikidata link for unknown id {ent_id!r}"
        assert set(spec) == {"qid", "label", "source"}, f"{ent_id}: fields {sorted(spec)}"
        assert QID.fullmatch(spec["qid"]), f"{ent_id}: malformed QID {spec['qid']!r}"
        assert spec["label"].strip() and spec["source"].strip(), f"{ent_id}: empty label or source"
        assert spec["qid"] not in used, f"{spec['qid']} links both {used[spec['qid']]!r} and {ent_id!r}"
        used[spec["qid"]] = ent_id
    for o in OFFICES:
        if "qid" in o:
            assert QID.fullmatch(o["qid"]), f"office {o['id']}: malformed QID"
            assert o["qid"] not in used, f"{o['qid']} links both {used[o['qid']]!r} and office {o['id']!r}"
            used[o["qid"]] = o["id"]


def test_every_country_has_a_wikidata_link():
    assert COUNTRY_IDS <= set(WIKIDATA)


def _day(value: str) -> date:
    assert isinstance(value, str) and DAY.fullmatch(value), f"date {value!r} is not YYYY-MM-DD"
    return date.fromisoformat(value)


@pytest.mark.parametrize("office", OFFICES, ids=[o["id"] for o in OFFICES])
def test_offices_name_known_states_and_people_with_ordered_terms(office):
    assert set(office) <= OFFICE_KEYS, f"unknown keys {set(office) - OFFICE_KEYS}"
    assert ID.fullmatch(office["id"]) and office["label"]
    state = BY_ID.get(office["state"])
    assert state is not None, f"unknown state {office['state']!r}"
    assert office["state"] in COUNTRY_IDS or state.get("type") in {"ArmedGroup", "Organization", "Government"}
    assert office["titles"] and all(t == t.lower().strip() and t for t in office["titles"])
    terms = office["holders"]
    assert terms, "an office lists its holders"
    for i, term in enumerate(terms):
        assert set(term) <= TERM_KEYS and "person" in term
        assert BY_ID.get(term["person"], {}).get("type") == "Person", f"{term['person']!r} is not a Person entry"
        assert "start" in term or i == 0, f"{term['person']}: only the first holder may lack a start"
        start = _day(term["start"]) if "start" in term else None
        end = _day(term["end"]) if "end" in term else None
        if start and end:
            assert start < end, f"{term['person']}: term ends before it starts"
        if i + 1 < len(terms):
            assert end is not None, f"{term['person']}: only the last holder may still be in office"
            assert end <= _day(terms[i + 1]["start"]), f"{term['person']}: term overlaps the next one"


def test_titles_name_one_office_per_state():
    seen: dict[tuple[str, str], str] = {}
    for o in OFFICES:
        for title in o["titles"]:
            assert (o["state"], title) not in seen, f"{title!r} of {o['state']} names {seen[(o['state'], title)]}"
            seen[(o["state"], title)] = o["id"]


def holder_on(office_id: str, day: date) -> str | None:
    office = next(o for o in OFFICES if o["id"] == office_id)
    for t in office["holders"]:
        start = _day(t["start"]) if "start" in t else date.min
        end = _day(t["end"]) if "end" in t else date.max
        if start <= day < end:
            return t["person"]
    return None


@pytest.mark.parametrize(("office", "day", "person"), [
    ("president-of-syria", date(2015, 6, 1), "bashar-al-assad"),
    ("president-of-syria", date(2024, 11, 30), "bashar-al-assad"),
    ("president-of-syria", date(2025, 6, 1), "ahmed-al-sharaa"),
    ("hezbollah-secretary-general", date(2024, 9, 1), "hassan-nasrallah"),
    ("hezbollah-secretary-general", date(2024, 12, 1), "naim-qassem"),
    ("hamas-political-bureau-chief", date(2024, 9, 1), "yahya-sinwar"),
    ("president-of-iran", date(2024, 1, 1), "ebrahim-raisi"),
    ("president-of-the-united-states", date(2024, 6, 1), "joe-biden"),
])
def test_office_holders_follow_the_dates(office, day, person):
    assert holder_on(office, day) == person


def test_a_vacant_office_has_no_holder():
    # Between Assad's flight and al-Sharaa's appointment nobody held the presidency.
    assert holder_on("president-of-syria", date(2025, 1, 1)) is None
    assert holder_on("hamas-political-bureau-chief", date(2025, 3, 1)) is None
