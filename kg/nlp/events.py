"""PLOVER events on the parse: which words of a sentence report an event of which PLOVER type and mode, and who
its source and target actors are.

Every rule is driven by ``ontology/plover-lexicon.toml``: a trigger (verb, noun or light-verb phrase) gives a
type, mode, CAMEO code and contexts, and its argument frame says where the actors are ("subj", "obj",
"prep:against", "poss" ...). The rules here only know grammar:

- **verbs** pick their sense by their object or subject ("withdrew troops" RETREAT, "withdrew its ambassador"
  SANCTION); passives swap the roles ("Gaza was shelled by Israel");
- **phrases** are a verb with particles, objects and prepositions below it ("held talks", "went on strike");
- **nouns** report an event only with someone doing it: a possessor or nationality ("Russia's bombardment",
  "a Turkish drone strike"), a "by" or "between" phrase, or the subject of a light verb ("imposed sanctions",
  "staged a protest"); a noun in "killed two soldiers in a gunbattle" tells how the verb's event was done;
- **embeddings**: a threat, demand, refusal or promise is itself the event ("X threatened to attack Y" is
  THREATEN, mode violence; the attack is not asserted), with the complement's type choosing the mode;
- **future and obligation**: PLOVER codes a cooperative act announced for the future as AGREE ("X will allow
  observers in"), a hostile one as THREATEN ("X will cut ties"), a refusal as REJECT ("X will not accept
  refugees"), and "Y must do Z", said by X, as X's DEMAND on Y.

The relation families of ``lexicon.toml`` are PLOVER events too: ``extractor.py`` gives their relations the
coding of the event found on the same trigger (or the family's default) instead of a second event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from spacy.tokens import Token

from kg.records import PloverCoding

from .entities import ACTOR_TYPES, DATE_WORDS, NON_ENTITY_NE, PLACE_TYPES, DocEntities, Mention
from .lexicon import Embedding, Lexicon, PloverLexicon, PloverTrigger, load_words
from .relations import RelationFinder, _quantified

WORDS = load_words()  # word classes: kg/nlp/words.toml
VERBAL_POS = ("VERB", "AUX")
NOMINAL_POS = ("NOUN", "PROPN")
SKIP_POS = ("SPACE", "PUNCT", "DET", "ADP", "NUM", "CCONJ", "PART", "SCONJ")
PHRASE_WINDOW = 8  # a phrase's words lie within this many tokens of each other ("put its air defence units on alert")


Arguments = tuple[list[Mention], list[Mention]]  # sources, targets


@dataclass
class EventCandidate:
    """A coded trigger. Its arguments are resolved when first asked for: most triggers of a war report are those of
    relations, which only need the coding."""

    coding: PloverCoding
    trigger: Token  # the word that carries the event: the verb, or the noun's head
    arguments: Callable[[], Arguments]
    # how it was found: "trigger", "embedding" (a threat, demand ... about a complement), "future" (an act
    # announced for later: asserted as an AGREE/THREATEN/REJECT although its own clause is not), "obligation"
    kind: str = "trigger"
    specificity: int = 1  # words in the trigger: a longer match says more
    discount: float = 1.0
    other_side: bool = False  # the text names someone or something it was done to, resolved or not
    _resolved: Arguments | None = None

    def _args(self) -> Arguments:
        if self._resolved is None:
            sources, targets = self.arguments()
            keys = {m.key for m in sources}
            self._resolved = (sources, [m for m in targets if m.key not in keys])
        return self._resolved

    @property
    def sources(self) -> list[Mention]:
        return self._args()[0]

    @property
    def targets(self) -> list[Mention]:
        return self._args()[1]

    @property
    def confidence(self) -> float:
        return round(min([0.8] + [m.confidence * 0.8 for m in self.sources]) * self.discount, 2)


_HASHES: dict[tuple[int, int], tuple[set[int], set[int]]] = {}


def _hashes(plex: PloverLexicon, vocab) -> tuple[set[int], set[int]]:
    """Hashes of the words that start a trigger or an embedding, and of those that start a negative phrase."""
    key = (id(plex), id(vocab))
    if key not in _HASHES:
        _HASHES[key] = tuple({vocab.strings.add(v) for w in words for v in (w, w.capitalize())}  # type: ignore[assignment]
                             for words in (plex.words(), set(plex.negative_phrases)))
    return _HASHES[key]


def _forms(tok: Token) -> set[str]:
    """What a token may match in the lexicon: its lemma and its lower-case form ("talks" and "talk")."""
    return {tok.lemma_.lower(), tok.lower_}


def _governing_verb(tok: Token) -> Token | None:
    node = tok
    while node.head.i != node.i:
        node = node.head
        if node.pos_ in VERBAL_POS:
            return node
    return None


@dataclass
class EventFinder:
    ents: DocEntities
    plex: PloverLexicon
    lex: Lexicon
    rel: RelationFinder  # its argument helpers (subjects, conjuncts, pronouns, nationality adjectives)
    embedded: set[int] = field(default_factory=set)  # triggers inside a threat, demand or promise: not asserted

    # ------------------------------------------------------------------ driver
    def find(self) -> list[EventCandidate]:
        doc = self.ents.doc
        keys, negative_keys = _hashes(self.plex, doc.vocab)
        arr = self.ents.forms
        picked = [i for i, (lem, low) in enumerate(arr) if lem in keys or low in keys]
        if not picked:
            return []
        negative = self._negative_tokens([i for i, (lem, low) in enumerate(arr)
                                          if lem in negative_keys or low in negative_keys])
        found: dict[int, EventCandidate] = {}
        for i in picked:
            tok = doc[i]
            if i in negative or tok.pos_ in SKIP_POS:
                continue
            for cand in self._at(tok):
                if cand.trigger.i in negative:
                    continue
                old = found.get(cand.trigger.i)  # one event per word: the longest, most specific reading
                if old is None or (cand.specificity, bool(cand.coding.mode)) > (old.specificity, bool(old.coding.mode)):
                    found[cand.trigger.i] = cand
        cands = [c for c in self._fold_nouns_into_verbs(list(found.values()))
                 if not (c.coding.type in self.plex.modality["two_sided"] and not c.coding.mode
                         and not c.other_side and len(c.sources) < 2)]  # "companies fought hard": no other side
        cands += list(self._future_and_obligation(cands))
        return sorted(cands, key=lambda c: c.trigger.i)

    def _at(self, tok: Token) -> Iterator[EventCandidate]:
        if tok.pos_ in VERBAL_POS or tok.tag_.startswith("VB"):
            # a threat, demand or refusal of a clause ("threatened to strike") or of an event ("threatened a
            # general strike", "demanded the release of"): the complement chooses the mode; a phrase ("called off
            # the strike") or else the verb's sense
            event = self._embedding(tok, clausal=True) or self._phrase(tok) or self._embedding(
                tok, clausal=False) or self._verb(tok)
            if event is not None:
                yield event
        if tok.pos_ in NOMINAL_POS or tok.pos_ == "ADJ":  # a noun trigger may start with an adjective
            noun = self._noun(tok)
            if noun is not None:
                yield noun
            emb = self._embedding_noun(tok)
            if emb is not None:
                yield emb

    def _negative_tokens(self, picked: list[int]) -> set[int]:
        """Tokens inside a negative phrase ("heart attack", "press release"): no trigger there."""
        out: set[int] = set()
        doc = self.ents.doc
        for i in picked:
            tok = doc[i]
            for form in _forms(tok):
                for seq in self.plex.negative_phrases.get(form, ()):
                    end = self._match_forward(i, seq)
                    if end is not None:
                        out.update(range(i, end))
        return out

    def _match_forward(self, start: int, words: tuple[str, ...]) -> int | None:
        """End of the contiguous token run from ``start`` whose forms are ``words``, else None."""
        arr = self.ents.forms
        if start + len(words) > len(arr):
            return None
        for k, w in enumerate(words):
            if self._hash(w) not in arr[start + k]:
                return None
        return start + len(words)

    def _hash(self, word: str) -> int:
        return self.ents.doc.vocab.strings.add(word)

    # ------------------------------------------------------------------ verbs and phrases
    def _phrase(self, verb: Token) -> EventCandidate | None:
        for trig in self.plex.phrases.get(verb.lemma_.lower(), ()):
            matched = self._phrase_tokens(verb, trig.words[1:])
            if matched is not None:
                cand = self._verb_event(verb, trig, exclude={t.i for t in matched})
                cand.specificity = len(trig.words)
                return cand
        return None

    def _phrase_tokens(self, verb: Token, rest: tuple[str, ...]) -> list[Token] | None:
        """The tokens after ``verb`` (in its own clause, in order, close together) whose forms are ``rest``."""
        doc = self.ents.doc
        arr = self.ents.forms
        out: list[Token] = []
        pos = verb.i
        for word in rest:
            nxt = None
            h = self._hash(word)
            for j in range(pos + 1, min(len(doc), pos + 1 + PHRASE_WINDOW)):
                if h not in arr[j]:  # compare hashes first: making a Token costs more than the test
                    continue
                t = doc[j]
                governing = _governing_verb(t)
                if governing is not None and governing.i == verb.i:
                    nxt = t
                    break
            if nxt is None:
                return None
            out.append(nxt)
            pos = nxt.i
        return out

    def _verb(self, verb: Token) -> EventCandidate | None:
        senses = self.plex.verbs.get(verb.lemma_.lower())
        if not senses:
            return None
        objects = self._object_forms(verb, places=any("@place" in t.objects for t in senses))
        if objects & self.plex.negative_objects.get(verb.lemma_.lower(), frozenset()):
            return None  # "fight corruption", "release a statement"
        subjects = self._subject_forms(verb) if any(t.subjects for t in senses) else set()
        fitting = [t for t in senses if (not t.objects or objects & t.objects or t.bare and not objects)
                   and (not t.subjects or subjects & t.subjects)]
        if not fitting:
            return None
        # the sense whose condition matched the most words: "withdrew its peacekeeping force" is SANCTION
        # ("peacekeeping force"), "withdrew its forces" RETREAT ("force"); a sense without condition comes last
        best = max(fitting, key=lambda t: max((len(w.split()) for w in (objects & t.objects) | (subjects & t.subjects)),
                                               default=0))
        return self._verb_event(verb, best)

    def _passive(self, verb: Token) -> bool:
        return any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children) or (
            verb.dep_ in ("acl", "amod") and verb.tag_ == "VBN")

    def _object_tokens(self, verb: Token) -> list[Token]:
        if self._passive(verb):
            toks = [c for c in verb.children if c.dep_ == "nsubjpass"]
            if not toks and verb.dep_ in ("acl", "amod"):
                toks = [verb.head]
        else:
            toks = [c for c in verb.children if c.dep_ in ("dobj", "obj")]
        return [_quantified(t) for t in toks]

    def _object_forms(self, verb: Token, places: bool = False) -> set[str]:
        """Lemmas of the object's head and its modifiers, two-word compounds ('aid worker', 'martial law'), and
        with ``places`` '@place' for an object that is a place ('seized Aleppo')."""
        forms = set()
        for t in (c for o in self._object_tokens(verb) for c in (o, *o.conjuncts)):  # "photographs and intelligence"
            forms |= self._np_forms(t)
            m = self.ents.resolve(t) if places and t.pos_ in NOMINAL_POS else None
            if m is not None and m.type in PLACE_TYPES:
                forms.add("@place")
        return forms

    def _subject_forms(self, verb: Token) -> set[str]:
        return {f for t in self.rel._subject_tokens(verb) for f in self._np_forms(_quantified(t))}

    @staticmethod
    def _np_forms(tok: Token) -> set[str]:
        forms = _forms(tok)
        mods = [c for c in tok.lefts if c.dep_ in ("compound", "amod")]
        forms |= {f"{c.lemma_.lower()} {tok.lemma_.lower()}" for c in mods}
        forms |= {f for c in mods for f in _forms(c)}
        counted = tok.like_num or tok.ent_type_ in ("MONEY", "QUANTITY", "CARDINAL") or (
            tok.lemma_.lower() in WORDS.quantity_nouns | WORDS.part_nouns | WORDS.measure_nouns)
        for prep in (c for c in tok.children if c.dep_ == "prep" and c.lower_ in ("of", "in")):
            for p in (p for p in prep.children if p.dep_ == "pobj"):
                forms.add(f"{tok.lemma_.lower()} {prep.lower_} {p.lemma_.lower()}")  # "state of emergency"
                if counted:  # "25,000 tons of food aid", "$95 million in aid", "part of an aid programme"
                    forms |= EventFinder._np_forms(p)
        return forms

    def _verb_event(self, verb: Token, trig: PloverTrigger, exclude: set[int] = frozenset()) -> EventCandidate:
        other_side = bool(self._object_tokens(verb)) or any(
            c.dep_ == "prep" and c.lower_ in ("with", "against", "on", "at") for c in verb.children)
        return EventCandidate(trig.coding, verb, lambda: self._verb_arguments(verb, trig, exclude),
                              other_side=other_side)

    def _verb_arguments(self, verb: Token, trig: PloverTrigger, exclude: set[int]) -> Arguments:
        passive = self._passive(verb)
        sources: list[Mention] = []
        targets: list[Mention] = []
        if passive and trig.target == ("none",):
            # "the guerrillas were demobilized": who disarms, resigns or withdraws is the subject either way
            sources = self._actors([c for c in verb.children if c.dep_ == "nsubjpass"], verb)
        elif passive:
            agents = [p for c in verb.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
            sources = self._actors(agents, verb)
        elif "subj" in trig.source:
            sources = self._actors(self._subjects(verb), verb)
        for slot in trig.target:
            targets += self._verb_slot(verb, slot, passive, exclude)
        return sources, targets

    def _verb_slot(self, verb: Token, slot: str, passive: bool, exclude: set[int]) -> list[Mention]:
        if slot == "obj":
            return self._things([t for t in self._object_tokens(verb) if t.i not in exclude])
        if slot == "iobj":
            return self._things([c for c in verb.children if c.dep_ == "dative" and c.pos_ in NOMINAL_POS])
        if slot.startswith("prep:"):
            prep = slot[5:]
            toks = [p for c in verb.children if c.dep_ in ("prep", "dative", "agent") and c.lower_ == prep
                    and c.i not in exclude for p in c.children if p.dep_ == "pobj" and p.i not in exclude]
            # "imposed sanctions on Iran": the preposition may hang on the object noun
            toks += [p for o in self._object_tokens(verb) for c in o.children if c.dep_ == "prep"
                     and c.lower_ == prep for p in c.children if p.dep_ == "pobj" and p.i not in exclude]
            return self._things(toks)
        if slot == "compound":  # "demolished Palestinian homes": whose homes
            return self._things([c for o in self._object_tokens(verb) for c in o.lefts
                                 if c.dep_ in ("compound", "amod")])
        if slot == "poss-of":  # "rejected Sweden's request", "demanded the withdrawal of Serbian forces"
            toks = [c for o in self._object_tokens(verb) for c in o.children if c.dep_ == "poss"]
            toks += [p for o in self._object_tokens(verb) for c in o.children if c.dep_ == "prep" and c.lower_ == "of"
                     for p in c.children if p.dep_ == "pobj"]
            return self._things(toks)
        return []

    # ------------------------------------------------------------------ nouns
    def _noun(self, tok: Token) -> EventCandidate | None:
        """The noun trigger that starts at ``tok`` ("air strike" starts at "air"; its event is on "strike")."""
        for trig in self._noun_senses(tok):
            end = self._match_forward(tok.i, trig.words)
            if end is None:
                continue
            head = self.ents.doc[tok.i:end].root
            cand = self._noun_sense(head, trig)
            if cand is not None:
                return cand
        return None

    def _noun_headed(self, head: Token) -> EventCandidate | None:
        """The noun trigger whose head is ``head``, however many words it has ('a nuclear strike')."""
        for start in range(head.left_edge.i, head.i + 1):
            for trig in self._noun_senses(self.ents.doc[start]):
                end = self._match_forward(start, trig.words)
                if end is not None and self.ents.doc[start:end].root.i == head.i:
                    cand = self._noun_sense(head, trig)
                    if cand is not None:
                        return cand
        return None

    def _noun_senses(self, tok: Token) -> list[PloverTrigger]:
        senses = self.plex.nouns.get(tok.lemma_.lower(), [])
        if tok.lower_ != tok.lemma_.lower() and tok.lower_ in self.plex.nouns:
            senses = sorted(senses + self.plex.nouns[tok.lower_], key=lambda t: (-len(t.words), not t.conditional))
        return senses

    def _noun_sense(self, head: Token, trig: PloverTrigger) -> EventCandidate | None:
        if head.pos_ not in NOMINAL_POS:
            return None
        if trig.modifiers and not ({f for c in head.children for f in _forms(c)} & trig.modifiers):
            return None
        cand = self._noun_event(head, trig)
        cand.specificity = len(trig.words)
        return cand

    def _noun_event(self, noun: Token, trig: PloverTrigger) -> EventCandidate:
        other_side = any(c.dep_ == "prep" and c.lower_ in ("with", "against", "on", "between") for c in noun.children)
        return EventCandidate(trig.coding, noun, lambda: self._noun_arguments(noun, trig), other_side=other_side)

    def _noun_arguments(self, noun: Token, trig: PloverTrigger) -> Arguments:
        sources: list[Mention] = []
        for slot in trig.source:
            sources += self._noun_source(noun, slot)
        light = self._light_verb(noun)
        if not sources and light is not None:
            sources = self._actors(self._subjects(light), light)
        host = self._host_verb(noun)
        if not sources and host is not None:
            sources = self._actors(self._subjects(host), host)
        targets: list[Mention] = []
        for slot in trig.target:
            targets += self._noun_slot(noun, slot, light)
        return sources, targets

    def _noun_source(self, noun: Token, slot: str) -> list[Mention]:
        if slot == "poss":  # "Russia's bombardment", "a Turkish drone strike", "its threat"
            return [m for m in self.rel._event_agents(noun) if m.type in ACTOR_TYPES]
        word = "between" if slot == "between" else slot[5:] if slot.startswith("prep:") else None
        if word is None:
            return []
        holders = [noun]
        if noun.dep_ in ("nsubj", "nsubjpass") and word == "between":
            holders.append(noun.head)  # "fighting broke out between X and Y": the parser hung it on the verb
        if word == "by":  # "the arrest of X by Y": the parser may hang the agent on X
            holders += [p for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"
                        for p in c.children if p.dep_ == "pobj"]
        return self._actors([p for h in holders for c in h.children if c.dep_ in ("prep", "agent")
                             and c.lower_ == word for p in c.children if p.dep_ == "pobj"], noun)

    def _noun_slot(self, noun: Token, slot: str, light: Token | None) -> list[Mention]:
        holders = [noun] + ([light] if light is not None else [])
        if slot.startswith("prep:"):
            return self._things([p for h in holders for c in h.children if c.dep_ in ("prep", "dative")
                                 and c.lower_ == slot[5:] for p in c.children if p.dep_ == "pobj"])
        if slot == "poss-of":  # "the arrest of the opposition leader"
            return self._things([p for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"
                                 for p in c.children if p.dep_ == "pobj"])
        if slot == "compound":  # "Palestinian homes"
            return self._things([c for c in noun.lefts if c.dep_ in ("compound", "amod")])
        if slot == "obj" and light is not None:
            return self._things([c for c in light.children if c.dep_ == "dative"])
        return []

    def _light_verb(self, noun: Token) -> Token | None:
        """'imposed sanctions', 'held talks', 'launched an attack': the verb whose subject does the noun's event."""
        head = noun
        while head.dep_ == "pobj" and head.head.dep_ == "prep" and head.head.head.lemma_.lower() in (
                WORDS.quantity_nouns):
            head = head.head.head  # "launched hundreds of airstrikes"
        if head.dep_ in ("dobj", "obj") and head.head.pos_ in VERBAL_POS:
            verb = head.head
            if verb.lemma_.lower() in self.plex.light_verbs or verb.lemma_.lower() in self.lex.light_verbs:
                return verb
        return None

    @staticmethod
    def _host_verb(noun: Token) -> Token | None:
        """'wounded two soldiers in a bomb attack', 'came to Geneva for talks': the verb the event noun tells the
        manner or purpose of."""
        if noun.dep_ == "pobj" and noun.head.dep_ == "prep" and noun.head.lower_ in ("in", "during", "with", "for"):
            verb = noun.head.head
            if verb.pos_ in VERBAL_POS:
                return verb
        return None

    def _fold_nouns_into_verbs(self, cands: list[EventCandidate]) -> list[EventCandidate]:
        """An event noun under a verb event is part of it: 'imposed sanctions' is one event, 'detained 40 journalists
        in dawn raids' one arrest; 'killed three villagers in a gunbattle' takes the noun's type and mode where the
        verb says less."""
        by_trigger = {c.trigger.i: c for c in cands}
        violent = {"ASSAULT", "FIGHT"}
        out = []
        for c in cands:
            if c.trigger.pos_ in NOMINAL_POS:
                light = self._light_verb(c.trigger)
                host = self._host_verb(c.trigger)
                if light is not None and light.i in by_trigger:
                    continue
                verb = by_trigger.get(host.i) if host is not None else None
                if verb is not None:
                    # the noun tells how ("in a bomb attack": explosives) or that both sides fought ("killed three
                    # villagers in a gunbattle" is FIGHT), where the verb says less
                    clash = c.coding.type == "FIGHT" and c.trigger.lemma_.lower() in self.plex.modality["clash_nouns"]
                    if (c.coding.mode or clash) and not verb.coding.mode and (
                            {c.coding.type, verb.coding.type} <= violent or c.coding.type == verb.coding.type):
                        context = tuple(dict.fromkeys(verb.coding.context + c.coding.context))
                        verb.coding = replace(c.coding, context=context)
                    continue
            out.append(c)
        return out

    # ------------------------------------------------------------------ threats, demands, promises
    def _embedding(self, verb: Token, clausal: bool) -> EventCandidate | None:
        embs = self.plex.embedding_verbs.get(verb.lemma_.lower())
        if not embs:
            return None
        comps = self._complements(verb) if clausal else [
            o for o in self._object_tokens(verb) if o.pos_ in NOMINAL_POS]
        for comp in comps:
            coding = self._coding_of(comp)
            if not clausal and coding is None:
                continue
            for emb in embs:
                mode = emb.mode_for(coding)
                if mode is None:
                    continue
                return self._embedded_event(verb, comp, emb, mode, coding)
        return None

    def _complements(self, verb: Token) -> list[Token]:
        """The clause or event noun a threat, demand or promise is about: 'threatened to attack', 'demanded that X
        leave', 'called for the release of', 'called on X to leave'."""
        statement = verb.lemma_.lower() in self.lex.statements
        out = [c for c in verb.children if c.dep_ == "xcomp" or (c.dep_ == "ccomp" and not statement)
               or (c.dep_ == "advcl" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children))]
        for prep in (c for c in verb.children if c.dep_ == "prep" and c.lower_ in ("for", "on", "to")):
            for p in (p for p in prep.children if p.dep_ == "pobj"):
                out += [p] if prep.lower_ == "for" else [c for c in p.children if c.dep_ in ("acl", "relcl")]
        for obj in (c for c in verb.children if c.dep_ in ("dobj", "obj")):
            out += [c for c in obj.children if c.dep_ in ("acl", "xcomp")]  # "urged Japan to retract"
        return out

    def _coding_of(self, comp: Token) -> PloverCoding | None:
        """How the complement itself would be coded ('attack' → FIGHT), looking through 'face sanctions'."""
        plain = None
        if comp.pos_ in VERBAL_POS or comp.tag_.startswith("VB"):
            plain = self._phrase(comp) or self._verb(comp)
            if plain is None:
                for o in self._object_tokens(comp):
                    plain = self._noun_headed(o)
                    if plain is not None:
                        break
        elif comp.pos_ in NOMINAL_POS:
            plain = self._noun_headed(comp)  # its agent may be unnamed: 'called for the release of X' names one
        return plain.coding if plain is not None else None

    def _embedded_event(self, verb: Token, comp: Token, emb: Embedding, mode: str,
                        coding: PloverCoding | None) -> EventCandidate:
        """The threat, demand, refusal or promise itself: the embedding verb's subject is its source; its target
        is whom it addresses ('urged Japan to', 'called on X to', 'demanded that Kabul'), else the target of the
        act it is about ('threatened to attack Y')."""
        sources = self._actors(self._subjects(verb), verb)
        inside = {t.i for t in comp.subtree}
        self.embedded.update(inside)
        keys = {m.key for m in sources}
        addressed = [c for c in verb.children if c.dep_ in ("dobj", "obj", "dative") and c.i not in inside]
        addressed += [p for c in verb.children if c.dep_ == "prep" and c.lower_ in ("on", "to", "with")
                      for p in c.children if p.dep_ == "pobj" and p.i not in inside]
        if comp.pos_ in VERBAL_POS:
            addressed += [s for s in self.rel._subject_tokens(comp) if s.i in inside]  # "demanded that Kabul act"
        targets = [m for m in self._things(addressed) if m.key not in keys]
        if not targets:
            inner = self._plain(comp)  # "threatened to attack Y": Y; "agreed to reopen the border": nobody
            targets = inner.targets if inner is not None else [m for m in self._things(self._object_tokens(comp))
                                                               if m.type in ACTOR_TYPES]
        coded = PloverCoding(emb.type, mode, coding.context if coding else (), self.plex.cameo_for(emb.type, mode))
        cand = self._candidate(coded, verb, sources, targets)
        cand.kind = "embedding"
        return cand

    def _plain(self, tok: Token) -> EventCandidate | None:
        if tok.pos_ in VERBAL_POS or tok.tag_.startswith("VB"):
            return self._phrase(tok) or self._verb(tok)
        return self._noun_headed(tok) if tok.pos_ in NOMINAL_POS else None

    def _embedding_noun(self, noun: Token) -> EventCandidate | None:
        """'Turkey's threat to invade', 'the EU's demand for a ceasefire'."""
        embs = self.plex.embedding_nouns.get(noun.lemma_.lower())
        if not embs:
            return None
        comps = [c for c in noun.children if c.dep_ in ("acl", "relcl") and c.pos_ in VERBAL_POS]
        comps += [p for c in noun.children if c.dep_ == "prep" and c.lower_ in ("for", "of")
                  for p in c.children if p.dep_ == "pobj"]
        for comp in comps:
            coding = self._coding_of(comp)
            if coding is None:
                continue
            for emb in embs:
                mode = emb.mode_for(coding)
                if mode is None:
                    continue
                sources = self._noun_source(noun, "poss")
                light = self._light_verb(noun)
                if not sources and light is not None:
                    sources = self._actors(self._subjects(light), light)
                self.embedded.update(t.i for t in comp.subtree)
                inner = self._plain(comp)
                coded = PloverCoding(emb.type, mode, coding.context, self.plex.cameo_for(emb.type, mode))
                cand = self._candidate(coded, noun, sources, inner.targets if inner is not None else [])
                cand.kind = "embedding"
                return cand
        return None

    # ------------------------------------------------------------------ future and obligation
    def _future_and_obligation(self, cands: list[EventCandidate]) -> Iterator[EventCandidate]:
        fut = self.plex.future
        threat = self.plex.embeddings[fut["hostile_as"]]
        taken = {(c.trigger.i, c.coding.type) for c in cands}
        for c in cands:
            if c.kind != "trigger" or c.trigger.pos_ not in VERBAL_POS or not self._future(c.trigger):
                continue
            negated = any(ch.dep_ == "neg" for ch in c.trigger.children)
            if c.coding.type == "AGREE" and not negated:
                c.kind = "future"  # "will agree", "is ready to accept a truce": the agreement itself
                continue
            if c.coding.type in fut["cooperative"]:
                code, mode = ("REJECT" if negated else "AGREE"), ""
            elif c.coding.type in fut["hostile"] and not negated:
                code, mode = "THREATEN", threat.mode_for(c.coding) or ""
            else:
                continue
            if (c.trigger.i, code) in taken:
                continue
            taken.add((c.trigger.i, code))
            self.embedded.add(c.trigger.i)  # the act itself is only announced
            coded = PloverCoding(code, mode, c.coding.context, self.plex.cameo_for(code, mode))
            yield EventCandidate(coded, c.trigger, c._args, kind="future", discount=0.9)
        yield from self._obligations(taken, {c.trigger.i: c for c in cands})

    def _future(self, verb: Token) -> bool:
        """'will allow', 'would meet', 'is ready to host', 'plans to impose': announced, not yet done. Only the
        verb's own auxiliary or an intention word right above it counts: 'would consider sending' is a thought."""
        fut = self.plex.future
        if any(c.dep_ == "aux" and c.lower_ in fut["markers"] for c in verb.children):
            return True
        return verb.dep_ == "xcomp" and verb.head.lemma_.lower() in fut["intent_heads"]

    def _obligations(self, taken: set[tuple[int, str]], by_trigger: dict[int, EventCandidate]
                     ) -> Iterator[EventCandidate]:
        """'X said Y must do Z': X demands it of Y."""
        fut = self.plex.future
        demand = self.plex.embeddings[fut["obligation_as"]]
        for marker in self._with_forms(fut["obligation_markers"]):
            verb = marker.head
            if marker.dep_ != "aux" or verb.dep_ != "ccomp" or verb.pos_ not in VERBAL_POS:
                continue
            speaker_verb = verb.head
            if speaker_verb.lemma_.lower() not in fut["obligation_speakers"] or (speaker_verb.i, "DEMAND") in taken:
                continue
            sources = self._actors(self._subjects(speaker_verb), speaker_verb)
            keys = {m.key for m in sources}
            targets = [m for m in self._things(self.rel._subject_tokens(verb)) if m.key not in keys]
            if not sources or not targets:
                continue
            inner = by_trigger.get(verb.i)
            mode = demand.mode_for(inner.coding if inner else None) or ""
            self.embedded.update(t.i for t in verb.subtree)
            taken.add((speaker_verb.i, "DEMAND"))
            coded = PloverCoding("DEMAND", mode, inner.coding.context if inner else (),
                                 self.plex.cameo_for("DEMAND", mode))
            yield EventCandidate(coded, speaker_verb, lambda s=sources, t=targets: (s, t), kind="obligation")

    def _with_forms(self, words: list[str]) -> list[Token]:
        doc = self.ents.doc
        wanted = {doc.vocab.strings.add(w) for w in words}
        return [doc[i] for i, (_lem, low) in enumerate(self.ents.forms) if low in wanted]

    # ------------------------------------------------------------------ arguments
    def _subjects(self, verb: Token) -> list[Token]:
        """The verb's subject tokens; for 'issued a statement demanding ...' the issuer of the statement."""
        if verb.dep_ == "acl" and verb.head.lemma_.lower() in self.plex.statement_nouns:
            noun = verb.head
            gov = noun.head if noun.dep_ in ("dobj", "obj") and noun.head.pos_ in VERBAL_POS else None
            return self.rel._subject_tokens(gov) if gov is not None else []
        return self.rel._subject_tokens(verb)

    def _actors(self, toks: list[Token], verb: Token) -> list[Mention]:
        """Source actors: each token (and its conjuncts) resolved; places and things are nobody."""
        out: list[Mention] = []
        for tok in toks:
            for t in self.rel._with_conjuncts(tok):
                found = self.rel._resolve_subject(t, verb)
                if t.lemma_.lower() in WORDS.member_heads | WORDS.state_proxy_heads:
                    # "the navies of India and Japan", "negotiators from Israel and Hamas": each of them
                    inner = [c for p in t.children if p.dep_ == "prep" and p.lower_ in ("of", "from")
                             for o in p.children if o.dep_ == "pobj" for c in o.conjuncts]
                    found = found + [m for c in inner for m in self.rel._resolve_subject(c, verb)]
                for m in found:
                    if m.type in ACTOR_TYPES and self._acts(m) and m.key not in {o.key for o in out}:
                        out.append(m)
        return out

    def _acts(self, m: Mention) -> bool:
        """'Strikes hit Shabwa', 'missiles fell on Kharkiv': an event or a weapon is nobody, unless its owner is
        named by a common noun ('rebel drones')."""
        if m.named or not (m.head_lemma in self.lex.nouns or m.head_lemma in WORDS.weapon_heads):
            return True
        return bool(set(m.label.lower().split()[:-1]) & WORDS.owner_words)

    def _things(self, toks: list[Token]) -> list[Mention]:
        """Targets: actors, places or things, each token and its conjuncts."""
        out: list[Mention] = []
        for tok in toks:
            for t in self.rel._with_conjuncts(tok):
                if t.ent_type_ in NON_ENTITY_NE or t.lower_ in DATE_WORDS or t.like_num:
                    continue  # "agreed on Tuesday": a date is no target
                named = t.pos_ in NOMINAL_POS or t.pos_ == "PRON" or self.ents.tok_mention[t.i] is not None
                ms = self.rel._resolve_subject(t, t.head) if named else []  # "Palestinian homes": Palestinian
                if not any(m.type in ACTOR_TYPES for m in ms):
                    # "praised Morocco's mediation efforts": the possessor is who the event is about
                    owners = [m for c in t.children if c.dep_ == "poss" for m in self.rel._resolve_subject(c, t)
                              if m.type in ACTOR_TYPES]
                    ms = owners or ms
                if not ms and t.pos_ in NOMINAL_POS:
                    m = self.ents.literal(t)
                    ms = [m] if m is not None else []
                out += [m for m in ms if m.key not in {o.key for o in out}]
        return out

    @staticmethod
    def _candidate(coding: PloverCoding, trigger: Token, sources: list[Mention], targets: list[Mention]
                   ) -> EventCandidate:
        return EventCandidate(coding, trigger, lambda: (sources, targets), other_side=bool(targets))
