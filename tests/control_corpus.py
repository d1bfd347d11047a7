"""Dated captures written as our own sentences, and an extractor that returns exactly those captures (no spaCy):
the corpus of the control-over-time, contested-facts and map tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kg.records import Attribution, Document, Entity, Extraction, Relation, Span

ACTORS = {"hts": ("Hayat Tahrir al-Sham", "ArmedGroup"), "army": ("Syrian Army", "MilitaryForce"),
          "sdf": ("Syrian Democratic Forces", "ArmedGroup"), "state-media": ("state media", "MediaOutlet"),
          "observatory": ("the monitoring group", "MonitoringGroup")}
PLACES = {"aleppo": ("Aleppo", "City", 36.20124, 37.16117), "saraqib": ("Saraqib", "Town", 35.86, 36.80),
          "hama": ("Hama", "City", 35.13, 36.75), "nowhere": ("Qarya", "Village", None, None)}


@dataclass(frozen=True)
class Cap:
    actor: str
    place: str
    date: str | None = None
    claimed_by: str | None = None
    confirmed_by: str | None = None
    denied_by: str | None = None
    recapture: bool = False

    def sentence(self) -> str:
        verb = "recaptured" if self.recapture else "captured"
        s = f"{ACTORS[self.actor][0]} {verb} {PLACES[self.place][0]}"
        if self.date:
            s += f" on {self.date}"
        if self.claimed_by:
            s += f", {ACTORS[self.claimed_by][0]} said"
        if self.confirmed_by:
            s += f", as confirmed by {ACTORS[self.confirmed_by][0]}"
        if self.denied_by:
            s += f", which was denied by {ACTORS[self.denied_by][0]}"
        return s + "."


_REGISTRY: dict[str, list[Cap]] = {}


def write_docs(path: Path, docs: dict[str, tuple[str | None, list[Cap]]], url: bool = False) -> Path:
    """A .jsonl file of documents ``id → (publication date, captures)``."""
    with path.open("w", encoding="utf-8") as f:
        for doc_id, (date, caps) in docs.items():
            text = " ".join(c.sentence() for c in caps) or f"Nothing happened in {doc_id}."
            _REGISTRY[text] = caps
            obj = {"id": doc_id, "text": text, "title": f"Report {doc_id}"}
            if date:
                obj["date"] = date
            if url:
                obj["url"] = f"https://news.example.org/{doc_id}"
            f.write(json.dumps(obj) + "\n")
    return path


def _span(text: str, needle: str, start: int = 0) -> Span:
    i = text.index(needle, start)
    return Span(i, i + len(needle), needle)


class CaptureExtractor:
    """Returns the captures each document was written from, with spans into its text."""

    def pipe(self, docs, n_process=1, batch_size=64):
        for doc in docs:
            yield self.extract(doc)

    def extract(self, doc: Document) -> Extraction:
        text, pos = doc.text, 0
        entities: dict[str, Entity] = {}
        relations = []
        for cap in _REGISTRY.get(text, []):
            sent = _span(text, cap.sentence(), pos)
            pos = sent.end

            def ent(key: str, sent: Span = sent) -> str:
                if key in ACTORS:
                    label, typ = ACTORS[key]
                    e = entities.setdefault(key, Entity(key, label, typ, set(), []))
                else:
                    label, typ, lat, lon = PLACES[key]
                    e = entities.setdefault(key, Entity(key, label, typ, set(), [], latitude=lat, longitude=lon))
                e.mentions.append(_span(text, label, sent.start))
                return key

            atts = [Attribution(kind, ent(who), ACTORS[who][0]) for kind, who in
                    (("claimed", cap.claimed_by), ("confirmed", cap.confirmed_by), ("denied", cap.denied_by)) if who]
            verb = "recaptured" if cap.recapture else "captured"
            relations.append(Relation(ent(cap.actor), verb, ent(cap.place), sent, _span(text, verb, sent.start),
                                      attributions=atts, date=cap.date, confidence=0.9))
        return Extraction(doc, entities, relations)
