"""The extractor, sentence by sentence.

Constructions that only need "this sentence gives these triples" are rows of tests/data/sentences.toml, run by
``test_sentence``; the functions below check what a row cannot say (attribution, modality, types, dates,
IRIs). Every sentence is written for these tests, none is taken from news text.
"""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import date
from pathlib import Path

import pytest

import kg.nlp
from kg.errors import InputError, ModelError
from kg.nlp import Extractor, load_model, relation_rows
from kg.nlp.gazetteer import load_gazetteer
from kg.nlp.lexicon import load_lexicon, load_words
from kg.records import Document, Extraction

CASES = Path(__file__).resolve().parent / "data" / "sentences.toml"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def run(extractor: Extractor, text: str, date: str | None = None) -> Extraction:
    return extractor.extract(Document(id="t", text=text, date=date))


def triples(x: Extraction, include_non_facts: bool = False) -> set[tuple[str, str, str]]:
    return {(r["subject_label"], r["predicate"], r["object_label"]) for r in relation_rows(x, include_non_facts)}


def find(x: Extraction, predicate: str, obj: str):
    rel = [r for r in x.relations if r.predicate == predicate and x.entities[r.object].label == obj]
    assert rel, f"no {predicate} -> {obj} in {triples(x, True)}"
    return rel[0]


def load_cases() -> list[dict]:
    return tomllib.loads(CASES.read_text(encoding="utf-8"))["case"]


def matches(pattern: list[str], triple: tuple[str, str, str]) -> bool:
    return all(fnmatch.fnmatchcase(value, pat) for pat, value in zip(pattern, triple, strict=True))


def plover_events(x: Extraction) -> set[tuple[str, str, str]]:
    """Asserted rows as (source label, 'TYPE.mode' or 'TYPE', target label or '')."""
    return {(r["subject_label"], f"{r['plover']}.{r['plover_mode']}" if r["plover_mode"] else r["plover"],
             r["object_label"] or "") for r in relation_rows(x) if r["plover"]}


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["name"])
def test_sentence(extractor, case):
    """One row of tests/data/sentences.toml: the sentence gives the expected triples and PLOVER events and none of
    the absent ones."""
    x = run(extractor, case["text"], case.get("date"))
    got = triples(x)
    for pattern in case.get("expect", []):
        assert any(matches(pattern, t) for t in got), f"{pattern} not in {got}"
    for pattern in case.get("absent", []):
        assert not any(matches(pattern, t) for t in got), f"{pattern} in {got}"
    if case.get("no_facts"):
        assert not got
    events = plover_events(x)
    for pattern in case.get("events", []):
        assert any(matches(pattern, e) for e in events), f"{pattern} not in {events}"
    for pattern in case.get("absent_events", []):
        assert not any(matches(pattern, e) for e in events), f"{pattern} in {events}"
    assert case.get("expect") or case.get("absent") or case.get("no_facts") or case.get("events") or case.get(
        "absent_events"), "a row must assert something"


def test_sentence_table_names_are_unique():
    names = [c["name"] for c in load_cases()]
    assert len(names) == len(set(names))


def test_public_api():
    assert sorted(kg.nlp.__all__) == ["Extractor", "load_model", "relation_rows"]


def test_unknown_model_raises_model_error():
    with pytest.raises(ModelError, match="no_such_model"):
        load_model("no_such_model")


# ---------------------------------------------------------------- voice and clause structure

def test_coordinated_objects(extractor):
    x = run(extractor, "The RSF captured Nyala, Zalingei, Ed Daein and El Geneina.")
    got = {o for s, p, o in triples(x) if s == "Rapid Support Forces" and p == "captured"}
    assert got == {"Nyala", "Zalingei", "Ed Daein", "El Geneina"}


def test_coordinated_nationality_adjectives(extractor):
    x = run(extractor, "French and Malian troops shelled jihadist positions near Gao.")
    subjects = {s for s, p, o in triples(x) if p == "attacked"}
    assert "France" in subjects and ("Mali" in subjects or "Malian army" in subjects)


def test_included_list(extractor):
    x = run(extractor, "The rebels captured several towns, including Kafr Nabl and Saraqib.")
    objects = {o for s, p, o in triples(x) if p == "captured"}
    assert {"Kafr Nabl", "Saraqib"} <= objects


# ---------------------------------------------------------------- agents as adjectives and nominal events

def test_possessive_leader_army(extractor):
    x = run(extractor, "President Putin's army invaded Ukraine in February 2022.")
    rows = triples(x)
    assert ("Vladimir Putin", "leads", "Russian Armed Forces") in rows or any(
        s == "Vladimir Putin" and p == "leads" for s, p, o in rows)


# ---------------------------------------------------------------- headlines and tense

def test_headline_question_is_not_a_fact(extractor):
    x = run(extractor, "Will Turkey invade northern Syria again?")
    assert not triples(x)
    assert find(x, "invaded", "Syria").modality == "question"


# ---------------------------------------------------------------- attribution

def test_claimed_by_speaker(extractor):
    x = run(extractor, "The jihadists said they captured the village of Kafr Nabl.")
    rel = find(x, "captured", "Kafr Nabl")
    assert [(a.kind, a.source_label) for a in rel.attributions] == [("claimed", "jihadists")]
    assert x.entities[rel.subject].label == "jihadists"


def test_confirmed_by_relative(extractor):
    x = run(extractor, "The rebels captured Maardis, which was confirmed by the Syrian Observatory for Human Rights.")
    rel = find(x, "captured", "Maardis")
    assert ("confirmed", "Syrian Observatory for Human Rights") in {(a.kind, a.source_label)
                                                                    for a in rel.attributions}


def test_denied_by_something(extractor):
    x = run(extractor, "The RSF said it captured El Obeid, something denied by the Sudanese army.")
    row = next(relation_rows(x))
    assert row["denied_by"] == ["Sudanese Armed Forces"]
    assert row["claimed_by"] == ["Rapid Support Forces"]


def test_according_to(extractor):
    x = run(extractor, "Government forces retook Palmyra, according to the Syrian Observatory.")
    row = next(relation_rows(x))
    assert row["object"] == "Palmyra" and row["reported_by"] == ["Syrian Observatory for Human Rights"]


def test_reported_by_media(extractor):
    x = run(extractor, "Ukrainian forces recaptured the village of Robotyne, the AP agency reported.")
    row = next(relation_rows(x))
    assert row["reported_by"] == ["Associated Press"]


# ---------------------------------------------------------------- modality

def test_hypothetical_conditional(extractor):
    x = run(extractor, "Egypt would consider sending troops to Sudan if the army requested them.")
    assert not triples(x)
    assert find(x, "backs", "Sudan").modality in ("conditional", "hypothetical")


def test_purpose_clause_is_intended(extractor):
    x = run(extractor, "Iran ships weapons to the Houthis so they can attack Israel.")
    assert ("Iran", "backs", "Houthis") in triples(x)
    assert find(x, "attacked", "Israel").modality == "intended"


def test_negation(extractor):
    x = run(extractor, "The army did not capture the town of Saraqib.")
    assert not triples(x)
    assert find(x, "captured", "Saraqib").modality == "negated"
    assert triples(x, include_non_facts=True)


# ---------------------------------------------------------------- entities, types, places, time

def test_canonical_person_aliases(extractor):
    x = run(extractor, "Bashar Al-Assad spoke on Monday. President Assad said Assad would not resign.")
    people = [e for e in x.entities.values() if e.type == "Person"]
    assert [p.key for p in people] == ["bashar-al-assad"]
    assert len(people[0].mentions) == 3


def test_type_corrected_by_place_noun(extractor):
    x = run(extractor, "Assad's forces retook the village of Khanaser on Monday.")
    assert x.entities["khanaser"].type == "Village"


def test_object_of_captured_is_a_place(extractor):
    x = run(extractor, "The rebels captured Maardis and Soran.")
    assert all(x.entities[r.object].type in ("Settlement", "City", "Town", "Village") for r in x.relations)


def test_geonames_link(extractor):
    x = run(extractor, "Rebels captured Aleppo.")
    aleppo = x.entities["aleppo"]
    assert aleppo.geonames_id == 170063 and aleppo.latitude and aleppo.longitude
    assert aleppo.located_in == "syria"


def test_located_in_from_text(extractor):
    x = run(extractor, "The rebels captured Saraqib in Idlib province.")
    assert x.entities["saraqib"].located_in == "idlib"


def test_unknown_names_become_entities(extractor):
    x = run(extractor, "The Zorbanian Liberation Front attacked the town of Qarzal.")
    assert ("Zorbanian Liberation Front", "attacked", "Qarzal") in triples(x)
    assert x.entities["zorbanian-liberation-front"].type == "ArmedGroup"


def test_absolute_date(extractor):
    x = run(extractor, "In January 2018, Turkey invaded Syria.")
    rel = find(x, "invaded", "Syria")
    assert (rel.date, rel.date_text) == ("2018-01", "January 2018")


def test_relative_date_resolved_against_publication_date(extractor):
    x = run(extractor, "Israel struck Damascus on Tuesday.", date="2024-12-05")
    assert find(x, "attacked", "Damascus").date == "2024-12-03"


def test_relative_date_without_publication_date_kept_as_text(extractor):
    x = run(extractor, "Israel struck Damascus on Tuesday.")
    rel = find(x, "attacked", "Damascus")
    assert rel.date is None and rel.date_text == "Tuesday"


@pytest.mark.parametrize("base", ["2024-12-04", "2024-02-29", "2023-01-01", "2025-07-13T10:00:00", None])
def test_common_date_forms_resolve_as_dateparser_does(base):
    """The forms resolved without dateparser (it costs tens of milliseconds a call) give dateparser's answer."""
    import warnings
    from datetime import datetime

    import dateparser

    from kg.nlp.time import _common_form

    checked = 0
    for text in ["Monday", "Wednesday", "Sunday", "last Friday", "yesterday", "today", "last week", "March 3",
                 "3 March", "March 3, 2023", "December 5", "January 1", "February 29", "29 February 2020",
                 "July 4th", "4th July 2021", "October 2024", "June 31"]:
        quick = _common_form(text, base)
        if quick is None:
            continue
        settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
        if base:
            settings["RELATIVE_BASE"] = datetime.fromisoformat(base)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = dateparser.parse(text, languages=["en"], settings=settings)
        expected = parsed.strftime("%Y-%m" if text == "October 2024" else "%Y-%m-%d")
        assert quick == expected, (text, base)
        checked += 1
    assert checked >= (4 if base is None else 14)


def test_relation_rows_shape(extractor):
    x = extractor.extract(Document(id="d1", text="Turkey invaded Syria.", path="corpus/d1.txt"))
    row = next(relation_rows(x))
    assert set(row) == {"doc", "subject", "predicate", "object", "subject_label", "object_label", "subject_key",
                        "object_key", "subject_type", "object_type", "event", "sources", "targets", "plover",
                        "plover_mode", "plover_context", "cameo", "sentence", "start", "end", "sentence_start",
                        "sentence_end", "modality", "claimed_by", "denied_by", "confirmed_by", "reported_by", "date",
                        "date_text", "place", "quantity", "quantity_qualifier", "target_description", "confidence"}
    assert row["doc"] == "corpus/d1.txt" and x.document.text[row["start"]:row["end"]] == "invaded"
    assert row["subject_key"] in x.entities and row["object_key"] in x.entities


@pytest.mark.parametrize("text, subject, label", [
    # a former name or another spelling of a known actor is what the sentence says; the label is the gazetteer's
    ("Abu Mohammed al-Jolani leads Hayat Tahrir al-Sham.", "Abu Mohammed al-Jolani", "Ahmed al-Sharaa"),
    ("General Tiani leads the junta in Niamey.", "General Tiani", "Abdourahamane Tchiani"),
    # descriptions, demonyms, pronouns and abbreviations only stand for the actor: its label
    ("Russian forces captured the village of Krynky.", "Russia", "Russia"),
    ("Hayat Tahrir al-Sham says it captured the town of Saraqib.", "Hayat Tahrir al-Sham", "Hayat Tahrir al-Sham"),
    ("The US struck Houthi radar sites in Yemen.", "United States", "United States"),
    # a capital speaking for its state is a proper name the sentence gives the state
    ("Moscow sent troops to Mali.", "Moscow", "Russia"),
    # a demonym the model leaves untagged still names its state
    ("Malian troops recaptured Kidal.", "Mali", "Mali"),
])
def test_rows_name_actors_as_the_sentence_does(extractor, text, subject, label):
    rows = list(relation_rows(run(extractor, text)))
    assert rows, text
    assert rows[0]["subject"] == subject and rows[0]["subject_label"] == label, rows[0]


def test_a_pronoun_subject_gives_the_label_of_its_antecedent(extractor):
    x = run(extractor, "Abu Mohammed al-Jolani founded the group in 2012. He later led the capture of Idlib.")
    rows = [r for r in relation_rows(x) if r["sentence"].startswith("He")]
    assert rows and all(r["subject"] == r["subject_label"] == "Ahmed al-Sharaa" for r in rows), rows


def test_rows_of_one_event_share_its_id_sources_and_targets(extractor):
    """An event table is the rows grouped by 'event': one event with both sources, one with both parties."""
    rows = list(relation_rows(run(extractor, "Malian troops and Wagner fighters recaptured Kidal and Tessalit. "
                                             "Ethiopia and Eritrea agreed to reopen the border.")))
    capture = [r for r in rows if r["predicate"] == "recaptured"]
    assert len(capture) == 4 and len({r["event"] for r in capture}) == 1, capture
    assert {s["label"] for s in capture[0]["sources"]} == {"Mali", "Wagner Group"}
    assert {t["label"] for t in capture[0]["targets"]} == {"Kidal", "Tessalit"}
    assert capture[0]["plover"] == "FIGHT" and capture[0]["plover_mode"] == "occupy" and capture[0]["cameo"] == "192"
    agreed = [r for r in rows if r["plover"] == "AGREE"]
    pairs = {(r["subject_label"], r["object_label"]) for r in agreed}
    assert pairs == {("Ethiopia", "Eritrea"), ("Eritrea", "Ethiopia")}
    assert len({r["event"] for r in agreed}) == 1 and agreed[0]["targets"] == []


def test_pipe_preserves_order(extractor):
    docs = [Document(id=str(i), text=t) for i, t in enumerate(["Turkey invaded Syria.", "Iran backs Hezbollah.",
                                                                "Nothing happened."])]
    out = list(extractor.pipe(docs, batch_size=2))
    assert [x.document.id for x in out] == ["0", "1", "2"]
    assert [len(x.relations) for x in out] == [1, 1, 0]


# ---------------------------------------------------------------- further constructions met in the dev set

def test_accused_of_gerund(extractor):
    x = run(extractor, "The TPLF accused Eritrea of killing hundreds of civilians in Axum.")
    rel = find(x, "eliminated", "civilians")
    assert x.entities[rel.subject].label == "Eritrea"
    assert [(a.kind, a.source_label) for a in rel.attributions] == [("claimed", "Tigray People's Liberation Front")]


def test_after_capturing_shares_the_main_subject(extractor):
    x = run(extractor, "Hayat Tahrir al-Sham reached Homs after capturing the towns of Rastan and Talbiseh.")
    objects = {o for s, p, o in triples(x) if s == "Hayat Tahrir al-Sham" and p == "captured"}
    assert objects == {"Rastan", "Talbiseh"}


def test_announced_the_capture_of(extractor):
    x = run(extractor, "The rebels announced the capture of Hama on Thursday.")
    rel = find(x, "captured", "Hama")
    assert x.entities[rel.subject].label == "rebels" and rel.attributions[0].kind == "claimed"


def test_longer_name_containing_a_known_group(extractor):
    x = run(extractor, "Washington blames Kataib Hezbollah for a drone attack at a base in Jordan.")
    assert ("Kataib Hezbollah", "attacked", "base") in triples(x)
    assert "hezbollah" not in x.entities


# ---------------------------------------------------------------- constructions added after the blind batches

def test_relative_clause_on_apposition_names_the_place(extractor):
    x = run(extractor, "The rebels shelled Kramatorsk, the province's main city, which the army has held for years.")
    rows = triples(run(extractor, "Drones hit Sumy, the region's capital, which Russian artillery has pounded daily."))
    assert ("Russia", "attacked", "Sumy") in rows
    assert not any(o.endswith("capital") for s, p, o in rows)
    assert x is not None


def test_date_words_are_not_part_of_a_name(extractor):
    rows = triples(run(extractor, "Since early March Kyiv has retaken Kherson."))
    assert any(p == "recaptured" and o == "Kherson" and "March" not in s for s, p, o in rows)


def test_purpose_of_a_deployment_is_backing(extractor):
    rows = triples(run(extractor, "Rwanda sent troops to Maputo to bolster the Mozambican army."))
    assert any(s == "Rwanda" and p == "backs" for s, p, o in rows)
    rows = triples(run(extractor, "Chadian instructors have been deployed to help the Nigerien army."))
    assert any(s == "Chad" and p == "backs" for s, p, o in rows)


def test_deputy_and_portfolio_titles(extractor):
    rows = triples(run(extractor, "Foreign Minister Ahmed Attaf met Vice President Kamala Harris."))
    assert not any(p == "memberOf" and o in ("Foreign", "Vice") for s, p, o in rows)
    assert not any(p == "leads" for s, p, o in rows)


def test_coordinated_holders_of_a_role_noun(extractor):
    rows = triples(run(extractor, "Russia and China, Iran's main backers, blocked the resolution."))
    assert ("Russia", "backs", "Iran") in rows and ("China", "backs", "Iran") in rows


def test_took_up_arms_against_with_coordinated_relative(extractor):
    rows = triples(run(extractor, "The SLA and the JEM, which took up arms against Khartoum in 2003, met in Doha."))
    assert sum(1 for s, p, o in rows if p == "opposes" and o == "Sudan") == 2


def test_including_list_hanging_deeper_in_the_phrase(extractor):
    rows = triples(run(extractor, "The army retook a string of villages in the Kidal and Gao regions, "
                                  "including Anefis and Tessalit."))
    assert {o for s, p, o in rows if p == "recaptured"} >= {"Anefis", "Tessalit"}


def test_received_things_from_hanging_on_the_noun(extractor):
    rows = triples(run(extractor, "The Sudanese army has received drones from Iran and Turkey, diplomats say."))
    assert ("Iran", "backs", "Sudanese Armed Forces") in rows and ("Turkey", "backs", "Sudanese Armed Forces") in rows



# ---------------------------------------------------------------- gazetteer files, offices, word classes

FIXTURE_GAZETTEER = Path(__file__).resolve().parent / "data" / "gazetteer" / "good"


def copy_fixture(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "ontology"
    shutil.copytree(FIXTURE_GAZETTEER, root)
    return root


def test_gazetteer_reads_actor_files_wikidata_and_offices():
    gaz = load_gazetteer(FIXTURE_GAZETTEER)
    assert gaz.entries["government-of-turkey"].links == (("governmentOf", "turkey"),)
    assert gaz.government_of["turkey"] == "government-of-turkey"
    assert gaz.armed_forces_of["turkey"] == "turkish-armed-forces"
    assert gaz.aliases["jabhat fateh al-sham"] == "jabhat-al-nusra-wing"  # former names match like aliases
    assert gaz.entries["syria"].wikidata == "Q858"
    assert gaz.office_holder("syria", "president", date(2015, 1, 1)) == "bashar-al-assad"
    assert gaz.office_holder("syria", "president", date(2025, 6, 1)) == "ahmed-al-sharaa"
    assert gaz.office_holder("syria", "president", date(2025, 1, 1)) is None  # between two holders


@pytest.mark.parametrize("file, addition, message", [
    ("actors/fixture.toml", '[[actor]]\nid = "turkey"\nlabel = "Turkey again"\ntype = "Country"\n',
     "actors/fixture.toml: duplicate id 'turkey'"),
    ("actors/fixture.toml", '[[actor]]\nid = "other"\nlabel = "Other"\ntype = "ArmedGroup"\naliases = ["HTS"]\n',
     "actors/fixture.toml: alias 'HTS' of 'other' already names 'hayat-tahrir-al-sham'"),
    ("wikidata.toml", 'nowhere = { qid = "Q5", label = "x", source = "x" }\n',
     "wikidata.toml: Wikidata link for unknown id 'nowhere'"),
    ("wikidata.toml", 'turkey = { qid = "5", label = "x", source = "x" }\n', "malformed Wikidata id"),
    ("offices.toml", '[[office]]\nid = "pm"\nlabel = "PM"\nstate = "syria"\ntitles = ["prime minister"]\n'
                     'holders = [ { person = "nobody", start = "2000-01-01" } ]\n',
     "offices.toml: office 'pm': unknown holder 'nobody'"),
    ("actors/fixture.toml", '[[actor]]\nid = "g2"\nlabel = "G2"\ntype = "Government"\ngovernment_of = "atlantis"\n',
     "actors/fixture.toml: 'g2': government_of names unknown id 'atlantis'"),
])
def test_gazetteer_rejects_bad_data_with_one_line_naming_the_file(tmp_path, file, addition, message):
    root = copy_fixture(tmp_path)
    path = root / file
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("\n" if file != "wikidata.toml" else "") + addition, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_gazetteer(root)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_two_context_aliases_for_different_countries_are_fine(tmp_path):
    root = copy_fixture(tmp_path)
    with open(root / "actors" / "fixture.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[actor]]\nid = "syrian-army"\nlabel = "Syrian Army"\ntype = "MilitaryForce"\ncountry = "SY"\n'
                 'context_aliases = ["the army"]\n[[actor]]\nid = "tr-army"\nlabel = "TR Army"\n'
                 'type = "MilitaryForce"\ncountry = "TR"\ncontext_aliases = ["the army"]\n')
    assert load_gazetteer(root).context_aliases["army"] == {"SY": "syrian-army", "TR": "tr-army"}


@pytest.mark.parametrize("day, holder", [("2015-03-01", "Bashar al-Assad"), ("2025-06-01", "Ahmed al-Sharaa"),
                                         (None, None)])
def test_office_title_resolves_to_the_holder_on_the_documents_date(day, holder):
    x = Extractor(gazetteer_dir=FIXTURE_GAZETTEER).extract(
        Document(id="t", text="The Turkish government backs the Syrian president.", date=day))
    assert triples(x) == {("Government of Turkey", "backs", holder or "Syrian president")}


def test_government_is_an_entity_linked_to_its_state(extractor):
    x = run(extractor, "Turkey government condemned the attack, and the government of Turkey backs the rebels.")
    gov = x.entities["government-of-turkey"]
    assert gov.type == "Government" and gov.named and gov.links == {"governmentOf": "turkey"}
    assert x.entities["turkey"].type == "Country"
    assert ("Government of Turkey", "backs", "rebels") in triples(x)


def test_descriptions_are_scoped_to_their_document(extractor):
    a = run(extractor, "Rebels captured the town of Qarzal.")
    b = run(extractor, "Rebels attacked the town of Zorba in another war.")
    key_a = next(k for k, e in a.entities.items() if e.label == "Rebels")
    key_b = next(k for k, e in b.entities.items() if e.label == "Rebels")
    assert key_a != key_b and not a.entities[key_a].named


@pytest.mark.parametrize("file, text, message", [
    ("words.toml", '[a]\nx = ["one", "two", "one"]\n', "words.toml: a.x: 'one' is listed twice"),
    ("words.toml", '[a]\nx = ["one"]\n[b]\nx = ["two"]\n', "words.toml: word class 'x' is defined twice"),
    ("words.toml", '[a.kinds]\nPerson = ["envoy"]\nPlace = ["envoy"]\n',
     "words.toml: a.kinds: word 'envoy' is claimed by both 'Person' and 'Place'"),
    ("lexicon.toml", '[relations.captured]\nverbs = ["take"]\n[relations.attacked]\nverbs = ["take"]\n'
                     '[statements]\n[modality]\n', "lexicon.toml: verb 'take' is claimed by both"),
])
def test_word_data_rejects_repeats_and_conflicts(tmp_path, file, text, message):
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    loader = load_words if file == "words.toml" else load_lexicon
    with pytest.raises(InputError) as err:
        loader(path)
    assert message in str(err.value)


def test_every_word_class_is_used_by_the_rules():
    import kg.nlp

    source = "".join(p.read_text(encoding="utf-8") for p in Path(kg.nlp.__file__).parent.glob("*.py"))
    unused = {name for name in load_words().names()
              if f"WORDS.{name}" not in source and f"{name.upper()} = " not in source}
    assert not unused


def test_wikidata_and_state_links_reach_the_graph():
    from rdflib import URIRef
    from rdflib.namespace import SKOS

    from kg.mapping import map_extraction
    from kg.namespaces import CK, IRIs

    x = Extractor(gazetteer_dir=FIXTURE_GAZETTEER).extract(
        Document(id="t", text="The Turkish government backs the rebels in Syria."))
    iris = IRIs("http://example.org/")
    graph = set(map_extraction(x, iris))
    assert (iris.entity("syria"), SKOS.exactMatch, URIRef("http://www.wikidata.org/entity/Q858")) in graph
    assert (iris.entity("government-of-turkey"), CK.governmentOf, iris.entity("turkey")) in graph


def test_counted_unnamed_objects(extractor):
    """'seized nine villages in Raqqa province', 'killed about 40 policemen': the event holds the count, its hedge,
    what was counted and where, with the claim and the denial."""
    x = run(extractor, "The Syrian Democratic Forces said in a statement that they had seized nine villages in Raqqa "
                       "province, something denied by Syrian state media. The militants added that they had killed "
                       "about 40 policemen. Turkish troops recaptured at least 11 towns in Hama province. "
                       "Security forces detained 25 students in Khartoum.")
    rows = {r["predicate"]: r for r in relation_rows(x)}
    villages = rows["captured"]
    assert (villages["subject"], villages["quantity"], villages["quantity_qualifier"],
            villages["target_description"]) == ("Syrian Democratic Forces", 9, None, "villages")
    assert villages["place"].startswith("Raqqa")
    assert (villages["claimed_by"], villages["denied_by"]) == (["Syrian Democratic Forces"], ["Syrian state media"])
    killed = rows["eliminated"]
    assert (killed["quantity"], killed["quantity_qualifier"], killed["target_description"]) == (40, "about",
                                                                                                 "policemen")
    towns = rows["recaptured"]
    assert (towns["quantity"], towns["quantity_qualifier"]) == (11, "at least") and towns["place"].startswith("Hama")
    detained = rows["arrested"]  # a PLOVER event outside the relation families
    assert (detained["quantity"], detained["target_description"], detained["place"]) == (25, "students", "Khartoum")


def test_counts_that_are_no_number(extractor):
    x = run(extractor, "Gunmen killed dozens of villagers. Rebels killed Hezbollah commander Ali Nasser.")
    assert all(r["quantity"] is None for r in relation_rows(x, include_non_facts=True))


def test_counted_targets_reach_the_graph(extractor):
    from rdflib import Literal

    from kg.mapping import map_extraction
    from kg.namespaces import CK, IRIs

    x = run(extractor, "Ethiopian troops recaptured at least 11 towns in Tigray.")
    graph = set(map_extraction(x, IRIs("http://example.org/")))
    assert {(p, o) for _, p, o in graph if p in (CK.quantity, CK.quantityQualifier, CK.targetDescription)} == {
        (CK.quantity, Literal(11)), (CK.quantityQualifier, Literal("at least")),
        (CK.targetDescription, Literal("towns"))}


def test_claim_in_a_statement_that_and_its_denial(extractor):
    """'claimed in a statement that they captured seven villages, something denied by X': the 'that' clause of the
    statement noun is what was claimed (not a presupposed aside), so the claim and the denial both attach."""
    x = run(extractor, "The Free Syrian Army, which Turkey supports, claimed in a statement that it captured five "
                       "villages, something denied by Syrian state media.")
    row = next(r for r in relation_rows(x) if r["predicate"] == "captured")
    assert (row["subject"], row["quantity"], row["target_description"]) == ("Free Syrian Army", 5, "villages")
    assert (row["claimed_by"], row["denied_by"]) == (["Free Syrian Army"], ["Syrian state media"])
