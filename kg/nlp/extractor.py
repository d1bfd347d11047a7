"""The public extraction API: ``Extractor`` (Document → Extraction) and ``relation_rows`` (JSON rows)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from spacy.tokens import Doc

from kg.records import Document, Extraction, Relation
from kg.records import Span as CharSpan

from .attribution import Attributor, modality
from .entities import PLACE_TYPES, DocEntities, build_matcher
from .gazetteer import load_gazetteer
from .lexicon import load_lexicon, load_words
from .model import load_model
from .relations import RelationFinder
from .time import DateResolver

WORDS = load_words()  # word classes: kg/nlp/words.toml
PLACE_PREPS = WORDS.place_preps


HOSTILE_INTENT = WORDS.hostile_intent


def _hostile_intent(trig) -> bool:
    """'seeking to overthrow X', 'a strategy to defeat X', 'stands by Y to defeat X' state an enmity;
    'refused to fight X' or 'was asked to fight X' does not."""
    if trig.pos_ != "VERB":
        return False
    if trig.dep_ in ("acl", "relcl", "advcl") and any(c.dep_ == "aux" and c.lower_ == "to" for c in trig.children):
        return True
    return trig.dep_ == "xcomp" and trig.head.lemma_.lower() in HOSTILE_INTENT


def _day(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


class Extractor:
    """Turns documents into typed records. Build once (loading the model is the slow part), reuse."""

    def __init__(self, model: str | None = None, gazetteer_dir: Path | None = None):
        self.nlp = load_model(model)
        self.lexicon = load_lexicon()
        self.gazetteer = load_gazetteer(gazetteer_dir) if gazetteer_dir else load_gazetteer()
        self.matcher = build_matcher(self.nlp.vocab, self.gazetteer, self.nlp.make_doc)
        self.dates = DateResolver()

    def extract(self, doc: Document) -> Extraction:
        return self._extract(self.nlp(doc.text), doc)

    def pipe(self, docs: Iterable[Document], n_process: int = 1, batch_size: int = 64) -> Iterator[Extraction]:
        """Extract many documents with ``nlp.pipe``; results come back in input order."""
        pairs = ((d.text, d) for d in docs)
        for sdoc, document in self.nlp.pipe(pairs, as_tuples=True, n_process=n_process, batch_size=batch_size):
            yield self._extract(sdoc, document)

    def _extract(self, sdoc: Doc, document: Document) -> Extraction:
        ents = DocEntities(sdoc, self.gazetteer, self.matcher, scope=document.key[:8], day=_day(document.date),
                            text=document.text)
        finder = RelationFinder(ents, self.lexicon)
        attributor = Attributor(ents, self.lexicon, finder._pronoun)
        relations: list[Relation] = []
        seen: set[tuple[str, str, str, int]] = set()
        for cand in finder.find():
            trig = cand.trigger
            key = (cand.subject.key, cand.predicate, cand.object.key, trig.i)
            if key in seen:
                continue
            seen.add(key)
            sent = trig.sent
            date, date_text = self.dates.for_trigger(trig, sent, document.date)
            rel = Relation(
                subject=ents.use(cand.subject),
                predicate=cand.predicate,
                object=ents.use(cand.object),
                sentence=CharSpan(sent.start_char, sent.end_char, sent.text),
                trigger=CharSpan(trig.idx, trig.idx + len(trig), trig.text),
                modality=modality(trig, sent, self.lexicon),
                attributions=attributor.attributions(trig, sent),
                date=date,
                date_text=date_text,
                place=self._place(trig, ents, cand.object.key),
                confidence=cand.confidence,
                subject_name=ents.name_as_written(cand.subject, sent),
                object_name=ents.name_as_written(cand.object, sent),
            )
            if rel.modality == "intended" and rel.predicate == "opposes" and _hostile_intent(trig):
                rel.modality = "asserted"  # "seeking to overthrow X", "vowed to fight Y": the enmity is real
            if rel.modality == "asserted" and any(a.kind == "denied" and a.source_key == rel.subject
                                                  for a in rel.attributions):
                rel.modality = "negated"  # "Russia denied targeting civilians": nobody here asserts it
            relations.append(rel)
        return Extraction(document=document, entities=ents.finish(), relations=relations)

    @staticmethod
    def _place(trig, ents: DocEntities, object_key: str) -> str | None:
        for c in trig.children:
            if c.dep_ == "prep" and c.lower_ in PLACE_PREPS:
                for p in c.children:
                    if p.dep_ == "pobj":
                        m = ents.tok_mention[p.i]
                        if m is not None and m.type in PLACE_TYPES and m.key != object_key:
                            return ents.use(m)
        return None


def relation_rows(extraction: Extraction, include_non_facts: bool = False) -> Iterator[dict]:
    """One JSON-ready dict per relation; hypothetical, negated etc. only with ``include_non_facts``."""
    doc = extraction.document
    ents = extraction.entities
    for rel in extraction.relations:
        if not include_non_facts and not rel.is_fact:
            continue
        subj, obj = ents[rel.subject], ents[rel.object]
        by: dict[str, list[str]] = {"claimed": [], "denied": [], "confirmed": [], "reported": []}
        for att in rel.attributions:
            label = att.source_label or (ents[att.source_key].label if att.source_key in ents else None)
            if label and label not in by[att.kind]:
                by[att.kind].append(label)
        yield {
            "doc": doc.path or doc.id,
            "subject": rel.subject_name or subj.label,
            "predicate": rel.predicate,
            "object": rel.object_name or obj.label,
            "subject_label": subj.label,
            "object_label": obj.label,
            "subject_key": subj.key,
            "object_key": obj.key,
            "subject_type": subj.type,
            "object_type": obj.type,
            "sentence": rel.sentence.text,
            "start": rel.trigger.start,
            "end": rel.trigger.end,
            "sentence_start": rel.sentence.start,
            "sentence_end": rel.sentence.end,
            "modality": rel.modality,
            "claimed_by": by["claimed"],
            "denied_by": by["denied"],
            "confirmed_by": by["confirmed"],
            "reported_by": by["reported"],
            "date": rel.date,
            "date_text": rel.date_text,
            "place": ents[rel.place].label if rel.place in ents else None,
            "confidence": rel.confidence,
        }
