"""The public extraction API: ``Extractor`` (Document → Extraction) and ``relation_rows`` (JSON rows)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from spacy.tokens import Doc, Token

from kg.plover import load_plover_types
from kg.records import Attribution, Document, Event, Extraction, PloverCoding, Relation
from kg.records import Span as CharSpan

from .attribution import Attributor, modality
from .entities import PLACE_TYPES, DocEntities, build_matcher
from .events import EventCandidate, EventFinder
from .gazetteer import load_gazetteer
from .lexicon import load_lexicon, load_plover_lexicon, load_words
from .model import load_model
from .quantity import Count, count_of
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
        self.plover = load_plover_lexicon()
        self.plover_types = load_plover_types()
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
        relations: list[tuple[Relation, Token]] = []
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
            self._count(rel, count_of(sdoc, cand.object), ents)
            if rel.modality == "intended" and rel.predicate == "opposes" and _hostile_intent(trig):
                rel.modality = "asserted"  # "seeking to overthrow X", "vowed to fight Y": the enmity is real
            if rel.modality == "asserted" and any(a.kind == "denied" and a.source_key == rel.subject
                                                  for a in rel.attributions):
                rel.modality = "negated"  # "Russia denied targeting civilians": nobody here asserts it
            relations.append((rel, trig))
        event_finder = EventFinder(ents, self.plover, self.lexicon, finder)
        candidates = event_finder.find()
        consumed = self._code_relations(relations, candidates)
        for rel, trig in relations:
            if rel.modality == "asserted" and trig.i in event_finder.embedded and not (
                    rel.predicate == "opposes" and _hostile_intent(trig)):
                rel.modality = "intended"  # "X is ready to send troops to Y", "X demanded that Y leave Z"
        events = [self._event(c, ents, attributor, event_finder.embedded, document)
                  for c in candidates if id(c) not in consumed and c.sources]
        return Extraction(document=document, entities=ents.finish(), relations=[r for r, _ in relations],
                          events=events)

    def _code_relations(self, relations: list[tuple[Relation, Token]], candidates: list[EventCandidate]) -> set[int]:
        """Give each relation of a PLOVER family the coding of the event found on its trigger (or next to it: the
        noun of 'launched airstrikes', the subject of 'a drone strike killed'), else the family's default. The
        events so used are not events of their own. Returns their ids."""
        consumed: set[int] = set()
        near: dict[int, list[EventCandidate]] = {}
        for c in candidates:
            if c.kind == "trigger":
                for i in {c.trigger.i, c.trigger.head.i}:
                    near.setdefault(i, []).append(c)
        for rel, trig in relations:
            family = self.plover.families.get(rel.predicate)
            if family is None:
                continue
            fits = [c for c in near.get(trig.i, []) + near.get(trig.head.i, [])
                    if c.coding.type in family.types and c.trigger.sent.start == trig.sent.start
                    and (c.trigger.i == trig.i or c.trigger.head.i == trig.i or trig.head.i == c.trigger.i)]
            coding = family.default
            if fits:
                best = max(fits, key=lambda c: (bool(c.coding.mode), c.specificity))
                coding = best.coding
                if not coding.mode and coding.type == family.default.type and family.default.mode:
                    coding = family.default  # "overran X" says no more than a capture: it occupies territory
                consumed.update(id(c) for c in fits)
            rel.plover = coding
        return consumed

    def _event_modality(self, c: EventCandidate, embedded: set[int]) -> str:
        trig = c.trigger
        mood = modality(trig, trig.sent, self.lexicon)
        kept = self.plover.modality
        if mood == "question":
            return mood
        if c.kind == "future":
            return "asserted"  # "X will allow observers in" asserts an agreement, not the admission
        if mood == "conditional" and c.coding.type in kept["conditions_kept"]:
            return "asserted"  # "X threatened a strike if Y ...": the condition is part of the threat
        if mood == "intended" and c.coding.type in kept["purpose_kept"] and trig.dep_ == "advcl" and (
                trig.head.lemma_.lower() in kept["purpose_heads"]):
            return "asserted"  # "ministers gathered to discuss": the talks took place
        if trig.pos_ in ("NOUN", "PROPN") and trig.dep_ in ("nsubj", "nsubjpass") and mood != "negated":
            return "asserted"  # "Japan's grant to Ukraine will pay for ...": the subject phrase is presupposed
        if mood == "asserted" and trig.i in embedded:
            return "intended"  # the act a threat, demand or promise is about
        return mood

    def _event(self, c: EventCandidate, ents: DocEntities, attributor: Attributor, embedded: set[int],
               document: Document) -> Event:
        trig = c.trigger
        sent = trig.sent
        date, date_text = self.dates.for_trigger(trig, sent, document.date)
        mood = self._event_modality(c, embedded)
        sources = [ents.use(m) for m in c.sources]
        targets = [k for k in dict.fromkeys(ents.use(m) for m in c.targets) if k not in sources]
        names = {ents.key_of(m): name for m in c.sources + c.targets
                 if (name := ents.name_as_written(m, sent)) is not None}
        event = Event(
            coding=c.coding,
            predicate=self.plover_types.shortcut(c.coding.type, c.coding.mode),
            sources=list(dict.fromkeys(sources)),
            targets=targets,
            sentence=CharSpan(sent.start_char, sent.end_char, sent.text),
            trigger=CharSpan(trig.idx, trig.idx + len(trig), trig.text),
            joint=self.plover_types.types[c.coding.type].joint,
            modality=mood,
            # "X rejected the plan": the rejection is the event, not something X denies
            attributions=[a for a in attributor.attributions(trig, sent)
                          if a.trigger is None or a.trigger.start != trig.idx],
            date=date,
            date_text=date_text,
            place=self._place(trig, ents, targets[0] if targets else ""),
            confidence=c.confidence,
            names=names,
        )
        if len(c.targets) == 1:
            self._count(event, count_of(trig.doc, c.targets[0]), ents)
        if event.modality == "asserted" and any(a.kind == "denied" and a.source_key in event.sources
                                                for a in event.attributions):
            event.modality = "negated"
        return event

    @staticmethod
    def _count(fact: Relation | Event, count: Count | None, ents: DocEntities) -> None:
        """Record a counted object on its fact, and where the counted things are when the fact has no place."""
        if count is None:
            return
        fact.quantity, fact.quantity_qualifier, fact.target_description = (count.quantity, count.qualifier,
                                                                          count.description)
        if fact.place is not None or count.place is None:
            return
        # "in Deir ez-Zor province": the noun or the name that modifies it
        for tok in [count.place, *(t for t in count.place.subtree if t.i < count.place.i)]:
            m = ents.tok_mention[tok.i]
            if m is not None and m.type in PLACE_TYPES:
                fact.place = ents.use(m)
                return

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


def _coding_fields(coding: PloverCoding | None) -> dict:
    if coding is None:
        return {"plover": None, "plover_mode": None, "plover_context": [], "cameo": None}
    return {"plover": coding.type, "plover_mode": coding.mode or None, "plover_context": list(coding.context),
            "cameo": coding.cameo or None}


def relation_rows(extraction: Extraction, include_non_facts: bool = False) -> Iterator[dict]:
    """One JSON-ready dict per relation and per (source, target) pair of each PLOVER event; hypothetical, negated
    etc. only with ``include_non_facts``. Rows of one event share its ``event`` id and list all its ``sources``
    and ``targets``, so an event table is the rows grouped by ``event``."""
    doc = extraction.document
    ents = extraction.entities

    def actor(key: str | None, name: str | None = None) -> dict:
        ent = ents.get(key) if key else None
        return {"name": name or (ent.label if ent else None), "label": ent.label if ent else None, "key": key,
                "type": ent.type if ent else None}

    def attributed(atts: list[Attribution]) -> dict[str, list[str]]:
        by: dict[str, list[str]] = {"claimed": [], "denied": [], "confirmed": [], "reported": []}
        for att in atts:
            label = att.source_label or (ents[att.source_key].label if att.source_key in ents else None)
            if label and label not in by[att.kind]:
                by[att.kind].append(label)
        return by

    def row(fact: Relation | Event, event_id: str, subj: dict, obj: dict, sources: list[dict],
            targets: list[dict]) -> dict:
        by = attributed(fact.attributions)
        return {
            "doc": doc.path or doc.id,
            "subject": subj["name"],
            "predicate": fact.predicate,
            "object": obj["name"],
            "subject_label": subj["label"],
            "object_label": obj["label"],
            "subject_key": subj["key"],
            "object_key": obj["key"],
            "subject_type": subj["type"],
            "object_type": obj["type"],
            "event": event_id,
            "sources": sources,
            "targets": targets,
            **_coding_fields(fact.plover if isinstance(fact, Relation) else fact.coding),
            "sentence": fact.sentence.text,
            "start": fact.trigger.start,
            "end": fact.trigger.end,
            "sentence_start": fact.sentence.start,
            "sentence_end": fact.sentence.end,
            "modality": fact.modality,
            "claimed_by": by["claimed"],
            "denied_by": by["denied"],
            "confirmed_by": by["confirmed"],
            "reported_by": by["reported"],
            "date": fact.date,
            "date_text": fact.date_text,
            "place": ents[fact.place].label if fact.place in ents else None,
            "quantity": fact.quantity,
            "quantity_qualifier": fact.quantity_qualifier,
            "target_description": fact.target_description,
            "confidence": fact.confidence,
        }

    def unique(pairs: Iterable[tuple[str, str | None]]) -> list[dict]:
        out: dict[str, dict] = {}
        for key, name in pairs:
            out.setdefault(key, actor(key, name))
        return list(out.values())

    # the relations of one trigger, predicate and modality are one event ("X and Y retook Z"): its sources and targets
    groups: dict[tuple[int, str, str], list[Relation]] = {}
    for rel in extraction.relations:
        groups.setdefault((rel.trigger.start, rel.predicate, rel.modality), []).append(rel)
    for rel in extraction.relations:
        if not include_non_facts and not rel.is_fact:
            continue
        group = groups[(rel.trigger.start, rel.predicate, rel.modality)]
        sources = unique((r.subject, r.subject_name) for r in group)
        targets = unique((r.object, r.object_name) for r in group)
        yield row(rel, f"{doc.key}:{rel.trigger.start}:{rel.predicate}", actor(rel.subject, rel.subject_name),
                  actor(rel.object, rel.object_name), sources, targets)
    for ev in extraction.events:
        if not include_non_facts and not ev.is_fact:
            continue
        sources = [actor(k, ev.names.get(k)) for k in ev.sources]
        targets = [actor(k, ev.names.get(k)) for k in ev.targets]
        event_id = f"{doc.key}:{ev.trigger.start}:{ev.predicate}"
        for s in sources:
            # a joint event without a target pairs each party with the others ("X and Y agreed")
            others = targets or ([t for t in sources if t["key"] != s["key"]] if ev.joint else []) or [actor(None)]
            for o in others:
                yield row(ev, event_id, s, o, sources, targets)
