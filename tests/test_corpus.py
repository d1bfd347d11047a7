"""The benchmark corpus generator: deterministic by seed, varied, and readable by kg.sources."""

from __future__ import annotations

import json
import re

from bench.corpus import CONFLICTS, article, articles, write_corpus
from kg.records import Document
from kg.sources import read_documents


def test_deterministic_and_prefix_stable():
    a = [x.text for x in articles(20, seed=3)]
    assert a == [x.text for x in articles(20, seed=3)]
    assert a[:5] == [x.text for x in articles(5, seed=3)]  # article i does not depend on N
    assert a != [x.text for x in articles(20, seed=4)]


def test_variety_of_conflicts_actors_places_relations_and_dates():
    arts = list(articles(300))
    assert {a.conflict for a in arts} == {c.name for c in CONFLICTS}
    assert len({a.text for a in arts}) == 300 and len({a.url for a in arts}) == 300
    text = "\n".join(a.text for a in arts)
    places = {p for c in CONFLICTS for p in c.towns + c.cities}
    assert sum(p in text for p in places) > 0.8 * len(places)
    for cue in ("captured", "recaptured", "backs", "killed", "attacked", "invaded", "leads", "affiliated with",
                "allied with", "opposes", "did not capture", "denied", "according to"):
        assert cue in text, cue
    assert re.search(r"on \d{1,2} [A-Z][a-z]+ 20\d\d", text) and re.search(r"on [A-Z][a-z]+ \d{1,2}, 20\d\d", text)
    assert re.search(r"on (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)", text)
    lengths = sorted(len(a.text) for a in arts)
    assert lengths[0] > 300 and lengths[-1] > 2 * lengths[0]


def test_metadata_is_plausible():
    a = article(7)
    assert a.title and a.text.startswith(a.title)
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", a.date) and a.url.startswith("https://") and a.source


def test_written_corpora_read_back(tmp_path):
    folder = write_corpus(tmp_path / "txt", 5, seed=1)
    jsonl = write_corpus(tmp_path / "c.jsonl", 5, seed=1, format="jsonl")
    from_txt = [d for d in read_documents([folder]) if isinstance(d, Document)]
    from_jsonl = [d for d in read_documents([jsonl]) if isinstance(d, Document)]
    assert len(from_txt) == len(from_jsonl) == 5
    assert [d.text for d in from_txt] == [d.text for d in from_jsonl]
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert from_jsonl[0].url == first["url"] and from_jsonl[0].title == first["title"]
