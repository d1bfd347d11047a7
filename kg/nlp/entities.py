"""Mentions → canonical entities of one document.

A mention is found three ways, in this order of trust: a gazetteer alias (PhraseMatcher), a named entity
from the model, or — only when a relation needs an argument — the noun phrase around a token ("jihadist
rebels", "an oil refinery"). The small model mislabels many places as PERSON/ORG, so types come from the
gazetteer first, then syntax ("the village of X", object of "captured"), then GeoNames, then NER.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from spacy.attrs import LEMMA, LOWER
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from kg.namespaces import slugify
from kg.records import Entity
from kg.records import Span as CharSpan

from . import geo
from .coref import Coreference, linked
from .gazetteer import Gazetteer, alias_key
from .lexicon import load_lexicon, load_words

WORDS = load_words()  # word classes: kg/nlp/words.toml
NE_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"}
PLACE_TYPES = {"Place", "Country", "Region", "Province", "Settlement", "City", "Town", "Village", "Facility"}
VAGUE_TYPES = {"Organization", "Group", "Place", "Settlement"}
SETTLEMENT_TYPES = {"Settlement", "City", "Town", "Village"}
ACTOR_TYPES = {"Person", "Organization", "ArmedGroup", "Government", "MilitaryForce", "MediaOutlet",
               "MonitoringGroup", "State", "Group", "Country"}

# head noun lemma -> ontology class, for noun phrases that are not names
HEAD_TYPES = WORDS.head_types
PLACE_HEADS = WORDS.place_heads
# "Russian forces" stand for Russia; an "army"/"military" is its own MilitaryForce entity
STATE_PROXY_HEADS = WORDS.state_proxy_heads
ARMY_HEADS = WORDS.army_heads
GOVERNMENT_HEADS = WORDS.government_heads
# words that describe but do not name; "the paramilitary group" is anaphoric, "the Wagner group" is not
DESCRIPTIVE = WORDS.descriptive
ANAPHORIC_HEADS = WORDS.anaphoric_heads
TITLE_WORDS = WORDS.title_words
DATE_WORDS = WORDS.date_words
PLACE_DESCRIPTORS = WORDS.place_descriptors
LINKING_PARTICIPLES = {w: load_lexicon().participles[w][1] for w in WORDS.linking_participles}
HEDGE_WORDS = WORDS.hedge_words
NON_ENTITY_NE = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}
# a photo credit at the end of a caption line: "... abandoned by government forces.Aref Tammawi / AFP"
CREDIT = re.compile(r"(?:^|[.!?]\s*)((?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'’.-]*\s*/\s*[A-Z][\w .]{1,25})\s*$")
QUANTITY_HEADS = WORDS.quantity_nouns
MEMBER_HEADS = WORDS.member_heads
GROUP_NOUNS = WORDS.group_nouns
NAME_CONNECTORS = WORDS.name_connectors
NAME_HEADS = WORDS.name_heads
# "the group" usually means the group the story is about; "the rebels" may be anyone's rebels, so a plural
# only resolves to an antecedent with the same head ("M23 rebels ... the rebels")
GENERIC_GROUP_HEADS = WORDS.generic_group_heads
SKIP_MODIFIERS = {"det", "nummod", "quantmod", "punct", "predet", "case", "advmod", "prep", "cc"}
QUANTITY_WORDS = WORDS.quantity_words


NO_ENTITY = object()  # a naming rule's answer when the phrase names something nobody can resolve: stop there


@dataclass
class Mention:
    """One resolved stretch of text: tokens [start, end) that denote entity ``key``."""

    start: int
    end: int
    key: str
    label: str
    type: str
    named: bool = True
    head_lemma: str = ""
    geo_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    country: str | None = None  # ISO code
    links: tuple[tuple[str, str], ...] = ()  # (ontology property, key) for entities made here, not in the gazetteer
    confidence: float = 1.0  # below 1 when reached through a coreference link (coref.LINK_CONFIDENCE)


def build_matcher(nlp_vocab, gaz: Gazetteer, make_doc) -> PhraseMatcher:
    matcher = PhraseMatcher(nlp_vocab, attr="LOWER")
    by_id: dict[str, list] = {}
    forms = list(gaz.aliases.items()) + [(f, "ctx") for f in gaz.context_aliases if " " in f]
    for form, ent_id in forms:
        by_id.setdefault(ent_id, []).append(make_doc(form))
        if "'" in form:  # news text often has typographic apostrophes: "Assad’s forces"
            by_id[ent_id].append(make_doc(form.replace("'", "\u2019")))
    for ent_id, docs in by_id.items():
        matcher.add(ent_id, docs)
    return matcher


class DocEntities:
    """The entities of one parsed document, resolved on demand for the relation rules."""

    def __init__(self, doc: Doc, gaz: Gazetteer, matcher: PhraseMatcher, scope: str = "",
                 day: date | None = None, text: str | None = None):
        self.doc = doc
        self.text = doc.text if text is None else text  # Doc.text is rebuilt token by token on every call
        self.gaz = gaz
        self.scope = scope  # suffix of description keys: "jihadist rebels" here is nobody's elsewhere
        self.day = day  # the document's date: who held an office then
        self.entities: dict[str, Entity] = {}
        self.tok_mention: list[Mention | None] = [None] * len(doc)
        self.mentions: list[Mention] = []
        self._np_cache: dict[int, Mention | None] = {}
        self._forms: list[list[int]] | None = None
        self._find_named(matcher)
        self.lead_country = self._lead_country()
        self.coref = Coreference(self)

    @property
    def forms(self) -> list[list[int]]:
        """(lemma, lower-case form) hashes of every token: the rules pick their trigger words from these, in C,
        instead of making a Python Token of every word."""
        if self._forms is None:
            self._forms = self.doc.to_array([LEMMA, LOWER]).tolist()
        return self._forms

    # ------------------------------------------------------------------ named mentions
    def _credits(self) -> set[int]:
        """Tokens of photo credits ("Jane Roe / AFP") and bylines ("By John Doe"): names that do nothing here."""
        doc, out = self.doc, set()
        text = self.text
        pos = 0
        for line in text.split("\n"):
            start, end = pos, pos + len(line)
            pos = end + 1
            words = line.strip().lower()
            credit_at = None
            if len(words) <= 80 and any(words.startswith(w + " ") or words.startswith(w + ":")
                                        for w in WORDS.credit_starts):
                credit_at = start  # a byline or credit line
            else:
                slash = CREDIT.search(line)
                if slash is not None:
                    credit_at = start + slash.start(1)  # "... abandoned by government forces.Aref Tammawi / AFP"
            if credit_at is not None:
                span = doc.char_span(credit_at, end, alignment_mode="expand")
                if span is not None:
                    out.update(range(span.start, span.end))
        return out

    def _find_named(self, matcher: PhraseMatcher) -> None:
        doc = self.doc
        self.credits = self._credits()
        spans: list[Span] = []
        gaz_ids: dict[tuple[int, int], str] = {}
        strings = doc.vocab.strings
        for match_id, start, end in matcher(doc):
            span = doc[start:end]
            if start in self.credits:
                continue
            # whole-word forms only: "IS" must not match "is", "AA" must be upper case in text
            if len(span.text) <= 3 and not span.text.isupper():
                continue
            ent_id = strings[match_id]
            entry = self.gaz.entries.get(ent_id)
            if (entry is not None and entry.type == "ArmedGroup" and start > 0 and doc[start - 1].pos_ == "PROPN"
                    and doc[start - 1].lower_ not in TITLE_WORDS | HEDGE_WORDS | DATE_WORDS
                    and doc[start - 1].is_title
                    and doc[start - 1].ent_type_ not in ("GPE", "NORP")):
                # "Kataib Hezbollah" is another group than Hezbollah: keep the longer name, unknown
                spans.append(Span(doc, start - 1, end, label="ORG"))
                continue
            gaz_ids[(start, end)] = ent_id
            spans.append(span)
        for ent in doc.ents:
            if ent.label_ not in NE_LABELS or ent.start in self.credits:
                continue
            start, end = ent.start, ent.end
            if doc[start].lower_ in WORDS.glued_prepositions and end - start > 1 and doc[start].dep_ == "prep":
                start += 1  # "Near Al Shadaddi, two strikes ...": the place, not a name with "Near" in it
            while start < end - 1 and (doc[start].lower_ in ("the", "a", "an") or doc[start].lower_ in DATE_WORDS
                                        or doc[start].lower_ in HEDGE_WORDS):
                start += 1  # "Since late September Baku has ...": NER glued the date to the name
            for k in range(start, end - 1):
                if doc[k].text in ("-", "\u2013", "\u2014") and k > start and doc[k - 1].whitespace_:
                    start = k + 1  # dateline: "MANILA - Militants ..." is no name
            while (start < end - 1 and doc[start].lower_ in self.gaz.demonyms
                   and alias_key(doc[start + 1:end].text) in self.gaz.aliases):
                start += 1  # "Iraqi Peshmerga": the known group, its nationality is a modifier
            for k in range(start, end):
                if doc[k].text == "(":
                    end = k  # "The Zorbanian Liberation Front (ZLF": the acronym is handled apart
                    break
            while end > start and doc[end - 1].tag_ == "POS" or (end > start and doc[end - 1].is_punct):
                end -= 1
            if end - start == 1 and {doc[start].lemma_.lower(), doc[start].lower_.removesuffix("s")} & (
                    MEMBER_HEADS | GROUP_NOUNS | DESCRIPTIVE | WORDS.side_heads) and (
                    alias_key(doc[start].text) not in self.gaz.aliases):
                continue  # "Militants from the Maute group ...": NER took a sentence-initial noun for a name
            if start < end:
                spans.append(Span(doc, start, end, label=ent.label_))
        for span in filter_spans(spans):
            ent_id = gaz_ids.get((span.start, span.end))
            if ent_id == "ctx":
                ent_id = self.gaz.context_aliases.get(alias_key(span.text), {}).get("") or None
                if ent_id is None:
                    continue  # depends on the article's country: resolved per noun phrase later
            mention = self._named_mention(span, ent_id)
            if mention is None:
                continue
            self.mentions.append(mention)
            for i in range(span.start, span.end):
                self.tok_mention[i] = mention
        self._acronyms()

    def _acronyms(self) -> None:
        """'the Allied Democratic Forces (ADF)': later 'ADF' is the same entity, whatever NER says."""
        doc = self.doc
        found: dict[str, Mention] = {}
        for m in list(self.mentions):
            j = m.end
            if (m.named and j + 2 < len(doc) and doc[j].text == "(" and doc[j + 2].text == ")"
                    and doc[j + 1].text.isupper() and len(doc[j + 1].text) >= 2):
                start = j0 = m.start
                # NER often keeps only the tail: "[Islamic State] West Africa Province (ISWAP)",
                # "The Cooperative for [the Development of Congo] (CODECO)"
                while j0 > 0 and doc[j0 - 1].lower_ not in HEDGE_WORDS | DATE_WORDS and (
                        doc[j0 - 1].pos_ == "PROPN" or doc[j0 - 1].text == "-"
                        or doc[j0 - 1].lower_ in NAME_CONNECTORS):
                    j0 -= 1
                    if doc[j0].pos_ == "PROPN":
                        start = j0
                if start < m.start:
                    full = Span(doc, start, m.end, label="ORG")
                    m2 = self._named_mention(full, self.gaz.aliases.get(alias_key(full.text)))
                    if m2 is not None:
                        for old in {id(x): x for x in self.tok_mention[start:m.end] if x is not None}.values():
                            self.mentions.remove(old)
                        self.mentions.append(m2)
                        for i in range(start, m.end):
                            self.tok_mention[i] = m2
                        m = m2
                found[doc[j + 1].text] = m
        if not found:
            return
        for tok in doc:
            target = found.get(tok.text)
            if target is None:
                continue
            current = self.tok_mention[tok.i]
            if current is not None and (current.end - current.start > 1 or current.key == target.key):
                continue
            m = Mention(tok.i, tok.i + 1, target.key, target.label, target.type, head_lemma=target.head_lemma,
                        geo_id=target.geo_id, lat=target.lat, lon=target.lon, country=target.country)
            if current is not None:
                self.mentions.remove(current)
            self.mentions.append(m)
            self.tok_mention[tok.i] = m
        self.mentions.sort(key=lambda m: m.start)

    def _named_mention(self, span: Span, ent_id: str | None) -> Mention | None:
        gaz = self.gaz
        text = span.text
        label_ne = span.label_ if span.label_ else ("GAZ" if ent_id else "")
        if ent_id is None:
            ent_id = gaz.aliases.get(alias_key(text))
        if ent_id is None and label_ne in ("NORP", "GPE", "ORG", "PERSON"):
            ent_id = gaz.demonyms.get(text.lower())  # the model tags "Nigerien" GPE and "Malian" PERSON
            if ent_id is None and label_ne == "NORP":
                # a group adjective (Islamist, Kurdish) is only a modifier, not an entity on its own
                return Mention(span.start, span.end, slugify(text), text, "Group", named=False,
                               head_lemma=span.root.lemma_.lower())
        if ent_id is None and label_ne == "GPE" and text.lower() in gaz.capitals:
            ent_id = None  # a capital is a city; roles may turn it into its state later
        if ent_id is not None:
            e = gaz.entries[ent_id]
            m = Mention(span.start, span.end, e.id, e.label, e.type, head_lemma=span.root.lemma_.lower(),
                        geo_id=e.geonames_id, lat=e.latitude, lon=e.longitude, country=e.country)
            if e.type == "Country" and e.country:
                m.geo_id = geo.country_geonames_id(e.country)
            return m
        label = text.replace("\u2019", "'")
        etype = self._ne_type(span)
        if etype == "Organization" and any(
                gaz.entries[gaz.aliases[t.lower_]].type == "ArmedGroup" for t in span if t.lower_ in gaz.aliases):
            etype = "ArmedGroup"  # "Kataib Hezbollah" is not Hezbollah, but it is an armed group too
        m = Mention(span.start, span.end, slugify(label), label, etype, head_lemma=span.root.lemma_.lower())
        if etype in PLACE_TYPES or span.label_ in ("GPE", "LOC"):
            self._geo_link(m)
        return m

    def _ne_type(self, span: Span) -> str:
        label = span.label_
        words = {t.lower_ for t in span}
        last = span[-1].lemma_.lower()
        before = self._place_noun_before(span.start)
        if before:
            return before
        if span.start > 0 and self.doc[span.start - 1].lower_ in WORDS.place_cues:
            return "Settlement"  # "Near Al Shadaddi": a place whatever NER said
        if len(span) <= 3 and label in ("GPE", "FAC", "ORG", "PERSON", "LOC") and not self._titled(span):
            place = geo.lookup(span.text)
            if place is not None and place.is_country:
                return "Country"  # "Cameroon", which NER may call FAC or ORG
        after = self.doc[span.end].lemma_.lower() if span.end < len(self.doc) else ""
        if last in WORDS.province_words and label in ("GPE", "LOC") or after in WORDS.province_words | {"region"}:
            return "Province"
        if after in WORDS.landform_words:
            return "Region"  # "the Dnipro river" is no city
        if label in ("PERSON", "ORG") and len(span) <= 2 and not self._titled(span):
            # the small model calls many towns PERSON/ORG; a well-known city name is a city
            place = geo.lookup(span.text)
            if place is not None and not place.is_country and place.population >= 50_000:
                return "City"
        named_as = {WORDS.name_word_types[w] for w in words if w in WORDS.name_word_types}
        if label == "FAC" and words & WORDS.armed_building_words:
            return "ArmedGroup"  # "the Gulf Clan": NER took it for a building
        if label == "ORG" or label == "PERSON" and len(span) > 3:
            # "... Liberation Front" is armed, "... Observatory" monitors; the first class in this order wins
            for etype in ("ArmedGroup", "MonitoringGroup", "MediaOutlet", "Government"):
                if etype in named_as:
                    return etype
        if label == "PERSON":
            return "Person"
        if label == "ORG":
            return "Organization"
        if label == "GPE":
            place = geo.lookup(span.text)
            return "Country" if place and place.is_country else "City" if place else "Place"
        if label == "LOC":
            return "Region"
        if label == "FAC":
            return "Facility"
        return "Group"

    def _titled(self, span: Span) -> bool:
        """'President X', 'Mr X', 'General X': a person, whatever GeoNames knows."""
        return span.start > 0 and self.doc[span.start - 1].lemma_.lower() in TITLE_WORDS

    def _place_noun_before(self, start: int) -> str | None:
        """'the village of X' → Village, whatever NER said about X."""
        doc = self.doc
        if start >= 2 and doc[start - 1].lower_ == "of":
            noun = doc[start - 2].lemma_.lower()
            if noun in PLACE_HEADS and noun not in ("state", "capital"):  # "capital of X": X is bigger
                return HEAD_TYPES.get(noun, "Place")
        return None

    def _geo_link(self, m: Mention) -> None:
        place = geo.lookup(m.label)
        if place is None:
            return
        m.geo_id = place.geonames_id
        m.country = place.country_code
        if not place.is_country:
            m.lat, m.lon = place.latitude, place.longitude
            if m.type in ("Person", "Organization", "Place", "Group"):
                m.type = "City" if place.population >= 100_000 else "Town"

    def _lead_country(self) -> str | None:
        counts: Counter[str] = Counter()
        for m in self.mentions:
            if m.country:
                counts[m.country] += 1
        for ent in self.doc.ents:
            if ent.label_ == "NORP":
                cid = self.gaz.demonyms.get(ent.text.lower())
                if cid and self.gaz.entries[cid].country:
                    counts[self.gaz.entries[cid].country] += 1
        return counts.most_common(1)[0][0] if counts else None

    # ------------------------------------------------------------------ resolution for relations
    def resolve(self, tok: Token, expect_place: bool = False) -> Mention | None:
        """The entity a relation argument token stands for, or None when it is not an entity."""
        m = self._resolve(tok)
        if m is None:
            return None
        if expect_place:
            m = self._as_place(m)
        elif m.label.lower() in self.gaz.capitals and self._actor_position(tok):
            m = self._capital_as_state(m)  # "Moscow said", "backed by Tehran": the state, not the city
        return m

    @staticmethod
    def _actor_position(tok: Token) -> bool:
        while tok.dep_ == "conj":
            tok = tok.head
        if tok.dep_ in ("nsubj", "nsubjpass", "poss", "compound", "amod", "appos"):
            return True
        return tok.dep_ == "pobj" and tok.head.dep_ == "agent"

    def _resolve(self, tok: Token) -> Mention | None:
        m = self.tok_mention[tok.i]
        if m is not None:
            if not m.named:
                return self._noun_phrase(tok) if tok.pos_ in ("NOUN", "PROPN") else None
            ctx = self.gaz.context_aliases.get(alias_key(m.label)) if m.key not in self.gaz.entries else None
            if ctx and self.lead_country in ctx:  # "Junta spokesman ...": NER made a name of "Junta"
                e = self.gaz.entries[ctx[self.lead_country]]
                return Mention(m.start, m.end, e.id, e.label, e.type, head_lemma=m.head_lemma, country=e.country)
            return m
        if tok.pos_ not in ("NOUN", "PROPN") or tok.i in self.credits or tok.like_num:
            return None
        if tok.lower_ in DATE_WORDS and tok.pos_ == "PROPN":
            return None  # "Russia attacked Sept. 30": a date, never a target
        if tok.ent_type_ in NON_ENTITY_NE and tok.lemma_.lower() not in QUANTITY_HEADS and not (
                tok.pos_ == "PROPN" and tok.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj")
                and tok.lower_ not in DATE_WORDS):
            return None  # but "Since early March Kyiv has ...": NER put the subject into the date
        if tok.i in self._np_cache:
            return self._np_cache[tok.i]
        result = self._noun_phrase(tok)
        self._np_cache[tok.i] = result
        return result

    def literal(self, tok: Token) -> Mention | None:
        """The noun phrase itself, never the state behind it: victims, not their country."""
        m = self.tok_mention[tok.i]
        if m is not None and m.named:
            return m
        return self._noun_phrase(tok, literal=True)

    def _noun_phrase(self, tok: Token, literal: bool = False, describe: bool = True) -> Mention | None:
        """The entity a common-noun phrase stands for; descriptions go through coreference unless ``literal``."""
        m = self._noun_phrase_rules(tok, literal)
        if m is None or literal or not describe or not m.start <= tok.i < m.end:
            return m  # an antecedent found by the rules ("the group") is already resolved
        return self._office_holder(tok, m) or self.coref.role_holder(tok, self.coref.describe(tok, m))

    def _office_holder(self, tok: Token, m: Mention) -> Mention | None:
        """'the Syrian president', "Syria's president", 'the president of Syria' → who held it that day."""
        if m.named and m.type != "Country" or self.day is None or not self.gaz.offices:
            return None
        title = tok.lemma_.lower()
        states = [self.tok_mention[c.i] for c in tok.children if c.dep_ in ("amod", "compound", "poss", "nmod")]
        states += [self.tok_mention[p.i] for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"
                   for p in c.children if p.dep_ == "pobj"]
        state = next((s for s in states if s is not None and s.type == "Country"), None)
        if state is None:
            demonym = next((self.gaz.demonyms.get(c.lower_) for c in tok.lefts if c.lower_ in self.gaz.demonyms), None)
            state = self._country_mention(demonym, tok) if demonym else None
        person = self.gaz.office_holder(state.key, title, self.day) if state is not None else None
        if person is None:
            return None
        e = self.gaz.entries[person]
        return Mention(m.start, m.end, e.id, e.label, e.type, head_lemma=title, country=e.country)

    def _noun_phrase_rules(self, tok: Token, literal: bool = False) -> Mention | None:
        """The entity of a common-noun phrase: the first of the naming rules that decides, else the description."""
        lemma = tok.lemma_.lower()
        for rule in (self._name_with_of, self._counted_members, self._named_by_link, self._head_of_name,
                     self._name_after_head, self._person_in_apposition, self._members_from):
            found = rule(tok, lemma, literal)
            if found is NO_ENTITY:
                return None
            if found is not None:
                return found
        mods = self._modifiers(tok)
        return self._name_in_modifiers(tok, lemma, mods) or self._description(tok, lemma, literal, mods)

    # the naming rules: each gives a Mention, NO_ENTITY (the phrase names something we cannot resolve: stop), or
    # None (not this rule)
    def _counted_members(self, tok: Token, lemma: str, literal: bool) -> Mention | object | None:
        """'hundreds of civilians', 'dozens of soldiers', 'a group of refugees': the quantity stands for its members;
        'the group of X' may be the group the story is about."""
        if lemma in QUANTITY_HEADS and (lemma != "group" or self._indefinite(tok)) or tok.lower_ in QUANTITY_WORDS:
            for child in tok.children:
                if child.dep_ == "prep" and child.lower_ == "of":
                    pobj = next((p for p in child.children if p.dep_ == "pobj"), None)
                    if pobj is not None:
                        return self._resolve(pobj) or NO_ENTITY
        return None

    def _named_by_link(self, tok: Token, lemma: str, literal: bool) -> Mention | None:
        """'forces loyal to commander Khalifa Haftar', 'forces backed by the coalition': named by the phrase."""
        if lemma not in MEMBER_HEADS or literal or any(c.dep_ in ("poss", "compound", "amod", "nmod")
                                                       for c in tok.lefts):
            return None
        for child in tok.children:
            link = LINKING_PARTICIPLES.get(child.lower_)
            if link is None or child.dep_ not in ("amod", "acl") or child.i != tok.i + 1:
                continue  # only "forces backed by X" as one phrase, not "Ugandan troops, backed by X"
            for pobj in (p for prep in child.children if prep.dep_ in ("prep", "agent") and prep.lower_ == link
                         for p in prep.children if p.dep_ == "pobj"):
                pm = self.tok_mention[pobj.i] or self._resolve(pobj)
                if pm is not None and pm.named and (pm.type == "Person" or link == "by"):
                    end = max(pm.end, pobj.i + 1)
                    label = self.doc[tok.i:end].text
                    return Mention(tok.i, end, slugify(label), label, "ArmedGroup", named=False, head_lemma=lemma)
        return None

    def _head_of_name(self, tok: Token, lemma: str, literal: bool) -> Mention | object | None:
        """'the city of Aleppo', 'the province of Idlib', 'the government of Turkey'."""
        if lemma not in PLACE_HEADS and lemma not in GOVERNMENT_HEADS:
            return None
        for pobj in (p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"
                     for p in c.children if p.dep_ == "pobj"):
            inner = self._resolve(pobj)
            if inner is None:
                # "the village of Jebel Moya days after ...": the parser took "days" as head
                inner = next((self.tok_mention[t.i] for t in pobj.subtree
                              if self.tok_mention[t.i] is not None and self.tok_mention[t.i].named), None)
            if inner is None:
                return NO_ENTITY  # an explicit "of" phrase we cannot name: no antecedent guess
            if lemma in PLACE_HEADS:
                if inner.type in ("Person", "Organization", "Place", "Group", "Town", "City", "Settlement"):
                    inner.type = HEAD_TYPES.get(lemma, inner.type)
                return inner
            return self._government_of_name(tok, lemma, pobj, inner)
        return None

    def _government_of_name(self, tok: Token, lemma: str, pobj: Token, inner: Mention) -> Mention | None:
        if inner.type == "Country":
            return self._government_of(inner, tok)
        entry = self.gaz.entries.get(inner.key)
        iso = entry.country if entry is not None and entry.country else None
        if inner.type == "Person" and iso:
            # "the government of Prime Minister Abiy Ahmed": his state
            cid = self.gaz.country_by_iso.get(iso)
            if cid:
                return self._government_of(self._country_mention(cid, tok), tok)
        if inner.type == "Person":
            # someone the gazetteer does not know: "the government of President Salva Kiir" as written, not a
            # guess from the article's most frequent country
            label = self.doc[tok.i:max(inner.end, pobj.i + 1)].text
            return Mention(tok.i, tok.i + 1, slugify(label), label, "Government", named=False, head_lemma=lemma)
        return None

    def _name_after_head(self, tok: Token, lemma: str, literal: bool) -> Mention | None:
        """'the Lebanese terrorist group Hezbollah', 'the group, Hamas', 'the capital Sanaa': the name."""
        if tok.i + 1 < len(self.doc):
            nxt = self.tok_mention[tok.i + 1]
            if nxt is not None and nxt.named and lemma in HEAD_TYPES and nxt.type in ACTOR_TYPES:
                return nxt
        for child in tok.children:
            if child.dep_ == "appos":
                am = self.tok_mention[child.i]
                if am is not None and am.named and lemma in ANAPHORIC_HEADS:
                    return am
                if lemma in PLACE_HEADS and child.pos_ == "PROPN" and child.i == tok.i + 1:
                    named = self._resolve(child)  # not an antecedent guess
                    if named is not None:
                        return named
        return None

    def _person_in_apposition(self, tok: Token, lemma: str, literal: bool) -> Mention | None:
        """'Tobias Ellwood, the Minister for the Middle East', 'the Iraqi Foreign Minister, Ibrahim al-Jaafari': a
        person's title set beside the person's name is that person."""
        if HEAD_TYPES.get(lemma) != "Person" or literal:
            return None
        beside = [c for c in tok.children if c.dep_ == "appos"] + ([tok.head] if tok.dep_ == "appos" else [])
        for other in beside:
            m = self.tok_mention[other.i]
            if m is not None and m.named and (m.type == "Person" or m.type == "Organization"
                                              and m.key not in self.gaz.entries):
                return linked(replace(m, type="Person"), "apposition")
        return None

    def _members_from(self, tok: Token, lemma: str, literal: bool) -> Mention | None:
        """'Fighters from the RSF captured ...': the group acts."""
        if lemma not in MEMBER_HEADS or not (tok.dep_ in ("nsubj", "nsubjpass", "dep", "ROOT")
                                             or tok.dep_ == "conj" and tok.head.dep_ == "nsubj"):
            return None
        for pobj in (p for c in tok.children if c.dep_ == "prep" and c.lower_ in ("from", "of")
                     for p in c.children if p.dep_ == "pobj"):
            inner = self._resolve(pobj)
            if inner is not None and inner.named and inner.type in ACTOR_TYPES:
                return inner
        return None

    def _name_in_modifiers(self, tok: Token, lemma: str, mods: list[Token]) -> Mention | None:
        """'the Ansar Dine group' is Ansar Dine; 'President Assad's army' is his state's army."""
        for mod in mods:
            mm = self.tok_mention[mod.i]
            if mm is None or mod.dep_ not in ("compound", "poss"):
                continue
            if lemma in NAME_HEADS and mm.named and mm.type in ACTOR_TYPES and mod.dep_ == "compound":
                return mm
            if mm.type == "Person" and mod.dep_ == "poss" and lemma in ARMY_HEADS | GOVERNMENT_HEADS | {"force",
                                                                                                   "troop"}:
                army = self._army_of_person(mm, tok)
                if army is not None:
                    return army
        return None

    # the description: what the phrase says, a known description, an antecedent, or the state behind it
    def _description(self, tok: Token, lemma: str, literal: bool, mods: list[Token]) -> Mention | None:
        phrase = self._phrase_words(tok, mods)
        if phrase is None:
            return None
        start, words = phrase
        label = self._label(words)
        known = self._known_description(label, start, tok, lemma)
        if known is not None:
            return known
        antecedent = self._definite_antecedent(tok, lemma, words)
        if antecedent is not None:
            return antecedent
        country, actor = (None, None) if literal else self._nationality(mods)
        stands_for = self._state_behind(tok, lemma, start, words, country, actor)
        if stands_for is not None:
            return stands_for
        return self._described(tok, lemma, start, words, label, country)

    def _phrase_words(self, tok: Token, mods: list[Token]) -> tuple[int, list[Token]] | None:
        """Where the phrase starts and the words that describe (no determiners, numbers, dates, hedges)."""
        start = min([tok.i] + [m.i for m in mods])
        for k in range(start + 1, tok.i):
            if self.doc[k].text in ("-", "\u2013", "\u2014") and self.doc[k - 1].whitespace_:
                start = k + 1  # dateline: "KABUL - Militants"
        span = self.doc[start:tok.i + 1]
        inside = {tok.i} | {t.i for m in mods for t in m.subtree}  # the phrase's own words, not a neighbour's
        words = [t for t in span if t.i in inside and t.dep_ not in SKIP_MODIFIERS and t.lower_ not in QUANTITY_WORDS
                 and t.tag_ != "POS" and not t.like_num and t.pos_ != "PRON"
                 and (t.i == tok.i or (t.ent_type_ not in ("DATE", "TIME")
                                       and t.lower_ not in DATE_WORDS | HEDGE_WORDS))]
        if not words or words[0].lower_ in WORDS.glued_prepositions and words[0].i < tok.i:
            return None  # "Near Raqqa, two strikes ...": a fronted place adverbial the parser took for a noun
        if tok.pos_ == "PROPN" and len(words) > 1:
            # "the capital Sanaa", "the town Bakhmut": the name without its generic place word
            words = [t for t in words if t.i == tok.i or t.lemma_.lower() not in PLACE_HEADS] or words
        return start, words

    def _known_description(self, label: str, start: int, tok: Token, lemma: str) -> Mention | None:
        """A description the gazetteer knows ('Israeli army'), or knows in this article's country ('the army')."""
        key_form = alias_key(label)
        ent_id = self.gaz.aliases.get(key_form)
        if ent_id is None and self.lead_country:
            ent_id = self.gaz.context_aliases.get(key_form, {}).get(self.lead_country)
        if ent_id is None:
            return None
        e = self.gaz.entries[ent_id]
        return Mention(start, tok.i + 1, e.id, e.label, e.type, head_lemma=lemma, country=e.country)

    def _definite_antecedent(self, tok: Token, lemma: str, words: list[Token]) -> Mention | None:
        """'the group', 'the militants', 'the army', 'the country', 'the town': what the story spoke of before."""
        definite = any(t.lower_ == "the" for t in tok.children)
        if (tok.dep_ != "compound" and definite and lemma in ANAPHORIC_HEADS
                and all(t.lower_ in DESCRIPTIVE or t.i == tok.i or t.tag_ == "VBN" or t.head.tag_ == "VBN"
                        for t in words)):
            if lemma in ARMY_HEADS and len(words) == 1:
                # "In Mali, where Wagner fought alongside the army": the army of the country this sentence is in
                here = {m.key for m in self.mentions if m.type == "Country" and tok.sent.start <= m.start < tok.i}
                if len(here) == 1:
                    cid = next(iter(here))
                    ent_id = self.gaz.aliases.get(f"{self.gaz.demonym_of.get(cid, '')} {lemma}".lower())
                    if ent_id:
                        e = self.gaz.entries[ent_id]
                        return Mention(tok.i, tok.i + 1, e.id, e.label, e.type, head_lemma=lemma, country=e.country)
            antecedent = self._antecedent(tok, lemma)
            # "the group" → its antecedent; "the jihadist rebels" only if the antecedent says "jihadist" too;
            # participles ("the Iran-backed group") describe, they do not name
            if antecedent is not None:
                return linked(antecedent, "definite")
        if lemma == "country" and len(words) == 1 and definite:
            for m in reversed(self._ordered_mentions(tok.i)):
                if m.type == "Country":
                    return m  # "an invasion of the country": the latest country named
        if lemma in PLACE_HEADS and len([w for w in words if w.lower_ not in PLACE_DESCRIPTORS]) == 1 and definite:
            antecedent = self._place_antecedent(tok)  # "the city", "the only regional capital"
            if antecedent is not None:
                return linked(antecedent, "definite")
        return None

    def _nationality(self, mods: list[Token]) -> tuple[Mention | None, Mention | None]:
        """The state and the named actor among the modifiers: 'Russian forces', 'Hamas fighters'."""
        country = actor = None
        for mod in mods:
            mm = self.tok_mention[mod.i]
            if mm is None and mod.dep_ == "amod" and mod.lower_ in self.gaz.demonyms:
                # a demonym the model did not tag ("Malian troops") still names its state
                mm = self._country_mention(self.gaz.demonyms[mod.lower_], mod)
            if mm is None or mod.dep_ not in ("amod", "compound", "poss", "nmod"):
                continue
            if mm.type == "Country":
                country = mm
            elif mm.named and mm.type in ACTOR_TYPES and mm.type != "Person":
                actor = mm
        return country, actor

    def _state_behind(self, tok: Token, lemma: str, start: int, words: list[Token], country: Mention | None,
                      actor: Mention | None) -> Mention | None:
        """'Russian forces' → Russia, 'Hamas fighters' → Hamas, 'the Turkish government' → Turkey's government."""
        if (actor is not None and actor.type == "MilitaryForce" and actor.country and country is None
                and lemma in ("instructor", "adviser", "advisor", "trainer")):
            cid = self.gaz.country_by_iso.get(actor.country)
            if cid:  # "Russian military instructors" are sent by Russia
                return self._country_mention(cid, tok)
        if (actor is not None and lemma in STATE_PROXY_HEADS - GOVERNMENT_HEADS
                and (country is None or actor.type in ("ArmedGroup", "MilitaryForce"))):
            return actor  # "Hamas fighters", "a Saudi-led coalition airstrike", "Iraqi Kurdish Peshmerga fighters"
        if country is not None and "ethnic" not in {t.lower_ for t in words}:
            if lemma in STATE_PROXY_HEADS - GOVERNMENT_HEADS:
                return Mention(start, tok.i + 1, country.key, country.label, "Country", head_lemma=lemma,
                               country=country.country, geo_id=country.geo_id)
            if lemma in GOVERNMENT_HEADS:
                return self._government_of(country, tok)
        return None

    def _described(self, tok: Token, lemma: str, start: int, words: list[Token], label: str,
                   country: Mention | None) -> Mention | None:
        """The phrase as a description of its head's class ('jihadist rebels': an armed group), or a name nobody
        knows yet; None for a common noun of no class."""
        etype = HEAD_TYPES.get(lemma)
        if (etype is not None and tok.pos_ == "PROPN" and tok.is_title and len(words) == 1 and not tok.is_sent_start
                and lemma in WORDS.collective_heads):
            # "the Coalition's strategy": a capitalised collective is the name the story gives one actor
            return Mention(start, tok.i + 1, slugify(label), label, etype, head_lemma=lemma)
        if etype is None and tok.pos_ == "NOUN" and self._located(tok):
            etype = "Facility"  # "the national penitentiary in Port-au-Prince": some site in a named place
        if etype is None:
            if tok.pos_ == "PROPN" or (tok.is_title and not tok.is_sent_start and tok.i > tok.sent.start):
                # an unrecognised name: keep it, typed by its role later (object of "captured" → place)
                return Mention(start, tok.i + 1, slugify(label), label, "Organization", head_lemma=lemma)
            return None
        if lemma in ARMY_HEADS and country is not None:
            etype = "MilitaryForce"
            demonym = self.gaz.demonym_of.get(country.key, "")
            ent_id = self.gaz.aliases.get(f"{demonym} {lemma}".lower())  # "Israel's military" = IDF
            if ent_id:
                e = self.gaz.entries[ent_id]
                return Mention(start, tok.i + 1, e.id, e.label, e.type, head_lemma=lemma, country=e.country)
        return Mention(start, tok.i + 1, slugify(label), label, etype, named=False, head_lemma=lemma,
                       country=country.country if country else None)

    @staticmethod
    def _indefinite(tok: Token) -> bool:
        return any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in tok.children)

    def _name_with_of(self, tok: Token, lemma: str = "", literal: bool = False) -> Mention | None:
        """'the Army of the Victorious Sect', 'Party of God': a capitalised head and a capitalised "of" name."""
        if tok.pos_ != "PROPN" or not tok.is_title or tok.lemma_.lower() not in HEAD_TYPES:
            return None
        for prep in tok.children:
            if prep.dep_ == "prep" and prep.lower_ == "of" and prep.i == tok.i + 1:
                pobj = next((p for p in prep.children if p.dep_ == "pobj"), None)
                if pobj is None or pobj.pos_ != "PROPN" or not pobj.is_title or self.tok_mention[pobj.i] is not None:
                    return None
                label = self.doc[tok.i:pobj.i + 1].text
                etype = "ArmedGroup" if HEAD_TYPES[tok.lemma_.lower()] == "MilitaryForce" else HEAD_TYPES[
                    tok.lemma_.lower()]
                return Mention(tok.i, pobj.i + 1, slugify(label), label, etype, head_lemma=tok.lemma_.lower())
        return None

    def resolve_all(self, tok: Token, expect_place: bool = False) -> list[Mention]:
        """Like ``resolve``, but 'US and British warplanes' gives both states."""
        m = self.resolve(tok, expect_place)
        if m is None:
            return []
        out = [m]
        if m.type == "Country" or (m.named and m.type == "MilitaryForce"):
            for mod in self._modifiers(tok):
                for conj in (mod, *mod.conjuncts):
                    cm = self.tok_mention[conj.i]
                    if cm is not None and cm.type == "Country" and cm.key != m.key:
                        out.append(cm)
        return out

    def _located(self, tok: Token) -> bool:
        for child in tok.children:
            if child.dep_ == "prep" and child.lower_ in ("in", "near", "outside", "at"):
                for p in child.children:
                    m = self.tok_mention[p.i] if p.dep_ == "pobj" else None
                    if m is not None and m.type in PLACE_TYPES:
                        return True
        return False

    def _label(self, words: list[Token]) -> str:
        """Kept words as written: 'rebel-held areas' keeps its hyphen, '14 other major towns' → 'towns'."""
        kept = {t.i for t in words}
        out = []
        for t in self.doc[words[0].i:words[-1].i + 1]:
            if t.i in kept or (t.text == "-" and t.i - 1 in kept and t.i + 1 in kept):
                out.append(t.text + (t.whitespace_ if t.i != words[-1].i else ""))
            elif out and not out[-1].endswith(" "):
                out[-1] += " "
        return "".join(out).strip()

    def _modifiers(self, tok: Token) -> list[Token]:
        """Left modifiers that belong to the name: compounds, adjectives, possessors (recursively)."""
        out: list[Token] = []
        for child in tok.lefts:
            if child.dep_ in ("compound", "amod", "nmod", "poss", "npadvmod") and child.i < tok.i:
                out.append(child)
                out.extend(self._modifiers(child))
        return out

    def _army_of_person(self, person: Mention, tok: Token) -> Mention | None:
        """"President Assad's army" → the Syrian Army (the person's country's army, from the gazetteer)."""
        iso = person.country or (self.gaz.entries[person.key].country if person.key in self.gaz.entries else None)
        cid = self.gaz.country_by_iso.get(iso or "")
        demonym = self.gaz.demonym_of.get(cid or "")
        if cid and tok.lemma_.lower() in GOVERNMENT_HEADS:
            # "Abiy Ahmed's government" is Ethiopia's government, not its army
            return self._government_of(self._country_mention(cid, tok), tok)
        for form in (f"{demonym} army", f"{demonym} forces", f"{demonym} military") if demonym else ():
            ent_id = self.gaz.aliases.get(form.lower())
            if ent_id:
                e = self.gaz.entries[ent_id]
                return Mention(tok.i, tok.i + 1, e.id, e.label, e.type, head_lemma=tok.lemma_.lower(),
                               country=e.country)
        if tok.lemma_.lower() in GOVERNMENT_HEADS:
            label = f"{person.label}'s {tok.text.lower()}"
            return Mention(tok.i, tok.i + 1, slugify(label), label, "Government", named=False,
                           head_lemma=tok.lemma_.lower(), country=iso)
        label = f"{person.label}'s {tok.text.lower()}"
        return Mention(tok.i, tok.i + 1, slugify(label), label, "MilitaryForce", named=False,
                       head_lemma=tok.lemma_.lower(), country=iso)

    def _country_mention(self, cid: str, tok: Token) -> Mention:
        e = self.gaz.entries[cid]
        return Mention(tok.i, tok.i + 1, e.id, e.label, "Country", head_lemma=tok.lemma_.lower(), country=e.country,
                       geo_id=geo.country_geonames_id(e.country) if e.country else None)

    def _government_of(self, country: Mention, tok: Token) -> Mention:
        """'the government of Turkey', 'Turkey government' → the Government entity linked to Turkey."""
        ent_id = self.gaz.government_of.get(country.key) or self.gaz.aliases.get(
            alias_key(f"{self.gaz.demonym_of.get(country.key, country.label)} government"))
        if ent_id:
            e = self.gaz.entries[ent_id]
            return Mention(tok.i, tok.i + 1, e.id, e.label, e.type, head_lemma=tok.lemma_.lower(),
                           country=e.country)
        rest = [t.text for t in self._modifiers(tok) if t.dep_ == "amod" and self.tok_mention[t.i] is None]
        if rest or country.key not in self.gaz.entries:
            # "Turkey's interim government": one government among several, named as written
            label = " ".join([country.label, *rest, tok.text.lower()])
            return Mention(tok.i, tok.i + 1, slugify(label), label, "Government", named=False,
                           head_lemma=tok.lemma_.lower(), country=country.country)
        return Mention(tok.i, tok.i + 1, f"government-of-{country.key}", f"Government of {country.label}",
                       "Government", head_lemma=tok.lemma_.lower(), country=country.country,
                       links=(("governmentOf", country.key),))

    def _antecedent(self, tok: Token, lemma: str) -> Mention | None:
        """'the group', 'the rebels' → the latest earlier actor with that head, else the latest armed group."""
        best_type = None
        # mentions inside the phrase itself ("the al-Qaeda-linked group") are not its antecedent
        for m in reversed(self._ordered_mentions(tok.left_edge.i)):
            if m.head_lemma == lemma and m.type in ACTOR_TYPES:
                return m if self._compatible(tok, m) else None
            # "the group" may be any armed group; "the coalition" only an earlier coalition
            # only "the group" may point back to an unnamed group ("the Wazalendo militias ..., the group said")
            if best_type is None and m.type == "ArmedGroup" and lemma in GENERIC_GROUP_HEADS and (
                    m.named or (lemma == "group" and m.head_lemma in GROUP_NOUNS)):
                best_type = m
            if best_type is None and m.named and m.type == "MilitaryForce" and lemma in ARMY_HEADS | {"junta"}:
                best_type = m
        return best_type

    @staticmethod
    def _compatible(tok: Token, m: Mention) -> bool:
        """'the jihadist rebels' may not stand for 'Islamist rebels': its adjectives must be in the antecedent."""
        own = {c.lower_ for c in tok.lefts if c.dep_ in ("amod", "compound") and c.tag_ != "VBN"
               and c.head.tag_ != "VBN"}
        return own <= set(m.label.lower().split())

    def _place_antecedent(self, tok: Token) -> Mention | None:
        wanted = HEAD_TYPES.get(tok.lemma_.lower())
        for m in reversed(self._ordered_mentions(tok.i)):
            if m.label.lower() in self.gaz.capitals and self._actor_position(self.doc[m.end - 1]):
                continue  # "Moscow had captured ...": the state acting, not a city one later speaks of
            if m.type in SETTLEMENT_TYPES and (m.type == wanted or m.type == "Settlement" or wanted == "City"
                                               or m.named):
                return m
        return None

    def _ordered_mentions(self, before: int) -> list[Mention]:
        found = [m for m in self.mentions if m.end <= before]
        found += [m for i, m in self._np_cache.items() if m is not None and m.end <= before]
        return sorted(found, key=lambda m: m.start)

    def _as_place(self, m: Mention) -> Mention:
        if m.type in PLACE_TYPES:
            return m
        if m.named and m.type in ("Person", "Organization", "Group") and m.key not in self.gaz.entries:
            self._geo_link(m)
            if m.type not in PLACE_TYPES:
                m.type = "Settlement"
        return m

    def _capital_as_state(self, m: Mention) -> Mention:
        state = self.gaz.capitals.get(m.label.lower())
        if state is None:
            return m
        e = self.gaz.entries[state]
        return Mention(m.start, m.end, e.id, e.label, e.type, head_lemma=m.head_lemma, country=e.country,
                       geo_id=geo.country_geonames_id(e.country) if e.country else None)

    def name_as_written(self, m: Mention, sent: Span) -> str | None:
        """The words of ``m`` when they are a proper name of its entity in sentence ``sent``: "Abbas Araqchi" for
        the entity labelled "Abbas Araghchi", "Moscow" for the state it speaks for. None for what only stands for
        an entity — a pronoun or description resolved by coreference, a demonym ("Russian forces"), an office
        ("the Syrian president") — and for an abbreviation that reads as a word ("US")."""
        if not m.named or m.confidence < 1.0 or not sent.start <= m.start < sent.end:
            return None
        text = self.doc[m.start:m.end].text.replace("\u2019", "'")
        if not any(c.islower() for c in text) and self.doc.vocab[text.lower()].is_stop:
            return None  # "US" reads as "us"
        known = self.gaz.aliases.get(alias_key(text))
        if known is not None:
            return text if known == m.key else None
        if self.gaz.capitals.get(text.lower()) == m.key:
            return text  # "Moscow said": the state under the proper name the sentence gives it
        return text if m.key not in self.gaz.entries and alias_key(text) == alias_key(m.label) else None

    # ------------------------------------------------------------------ materialisation
    def key_of(self, m: Mention) -> str:
        """The entity key of ``m``: a description's key is scoped to the document."""
        return m.key if m.named or not self.scope else f"{m.key}--{self.scope}"

    def use(self, m: Mention) -> str:
        """Record ``m`` as an entity of the document (with its mention) and return its key."""
        doc = self.doc
        span = doc[m.start:m.end]
        surface = span.text
        key = self.key_of(m)
        ent = self.entities.get(key)
        if ent is None:
            entry = self.gaz.entries.get(m.key)
            ent = Entity(key=key, label=m.label, type=m.type, geonames_id=m.geo_id, latitude=m.lat,
                         longitude=m.lon, country_code=m.country, named=m.named,
                         wikidata=entry.wikidata if entry is not None else None)
            self.entities[key] = ent
            for prop, target in (entry.links if entry is not None else m.links):
                ent.links[prop] = self._use_entry(target)
        elif ent.type in VAGUE_TYPES and m.type not in VAGUE_TYPES:
            ent.type = m.type  # a later mention in a telling context ("the village of X") refines the type
        if ent.geonames_id is None and m.geo_id is not None:
            ent.geonames_id, ent.latitude, ent.longitude = m.geo_id, m.lat, m.lon
            ent.country_code = ent.country_code or m.country
        if surface != ent.label:
            ent.aliases.add(surface)
        cspan = CharSpan(span.start_char, span.end_char, surface)
        if cspan not in ent.mentions:
            ent.mentions.append(cspan)
        return key

    def _use_entry(self, ent_id: str) -> str:
        """Make sure gazetteer entry ``ent_id`` is an entity of the document (a link target), without a mention."""
        if ent_id not in self.entities:
            e = self.gaz.entries[ent_id]
            geo_id = geo.country_geonames_id(e.country) if e.type == "Country" and e.country else e.geonames_id
            self.entities[ent_id] = Entity(key=ent_id, label=e.label, type=e.type, geonames_id=geo_id,
                                           latitude=e.latitude, longitude=e.longitude, country_code=e.country,
                                           wikidata=e.wikidata)
            for prop, target in e.links:
                self.entities[ent_id].links[prop] = self._use_entry(target)
        return ent_id

    def finish(self) -> dict[str, Entity]:
        """Add every named actor/place mention, then link places to where they lie."""
        for m in self.mentions:
            if m.named:
                self.use(m)
        self._located_in()
        return self.entities

    def _located_in(self) -> None:
        doc = self.doc
        for m in self.mentions:
            ent = self.entities.get(m.key)
            if ent is None or ent.type not in PLACE_TYPES or ent.type == "Country" or ent.located_in:
                continue
            root = doc[m.start:m.end].root
            target = None
            # "X province", "Idlib province": handled by the gazetteer; here "X in Y", "X, the capital of Y"
            for child in root.children:
                if child.dep_ == "prep" and child.lower_ == "in":
                    target = next((self.tok_mention[p.i] for p in child.children if p.dep_ == "pobj"), None)
                elif child.dep_ == "appos":
                    for sub in child.children:
                        if sub.dep_ == "poss" or (sub.dep_ == "prep" and sub.lower_ == "of"):
                            cand = sub if sub.dep_ == "poss" else next(
                                (p for p in sub.children if p.dep_ == "pobj"), None)
                            if cand is not None and self.tok_mention[cand.i] is not None:
                                target = self.tok_mention[cand.i]
                if target is not None:
                    break
            if target is not None and target.key != m.key and target.type in PLACE_TYPES:
                ent.located_in = self.use(target)
            elif ent.type != "Country" and ent.country_code:
                country_id = self.gaz.country_by_iso.get(ent.country_code)
                if country_id and country_id != ent.key:
                    e = self.gaz.entries[country_id]
                    if country_id not in self.entities:
                        self.entities[country_id] = Entity(
                            key=country_id, label=e.label, type="Country", country_code=e.country,
                            geonames_id=geo.country_geonames_id(e.country) if e.country else None)
                    ent.located_in = country_id
