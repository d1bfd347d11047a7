"""Dependency patterns that turn a parsed sentence into (agent, property, target) candidates.

Every rule is keyed by a lemma from ``ontology/lexicon.toml``; the rules only know grammar:
active and passive clauses, participles ("X, backed by Y"), relative clauses ("Turkey, which backs Y"),
appositions ("X, envoy of Y"), event nouns ("Russian support for Y", "an Israeli bombing"),
light verbs ("launched airstrikes against Y") and coordination on either side.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Token

from .coref import linked
from .entities import ACTOR_TYPES, HEAD_TYPES, PLACE_TYPES, DocEntities, Mention
from .lexicon import Lexicon, load_words
from .quantity import Count, count_of

WORDS = load_words()  # word classes: kg/nlp/words.toml
VICTIM_HEADS = WORDS.victim_heads
QUANTITY_NOUNS = WORDS.quantity_nouns
# "coalition warplanes", "rebel drones": a weapon with an owner named by a common noun still has an agent
OWNER_WORDS = WORDS.owner_words
# roles that take "for": "a spokesman for the Qassam Brigades", "the UN envoy for Yemen" is not Yemen's
SPEAKER_ROLES = WORDS.speaker_roles
PART_NOUNS = WORDS.part_nouns
PLACE_NOUNS = WORDS.place_nouns
CAPTURE_FAMILY = {"captured", "recaptured", "invaded"}
LASTING = {"opposes"}  # a stance needs a side one can name
RELATIVE_PRONOUNS = WORDS.relative_pronouns
PERSONAL_PRONOUNS = WORDS.personal_pronouns
SOURCE_ONLY_TYPES = {"MediaOutlet", "MonitoringGroup"}
POSITION_HEADS = WORDS.position_heads
SUBJECT_DEPS = {"nsubj", "csubj"}
CLAIMING_VERBS = WORDS.claiming_verbs
ACCUSE_VERBS = WORDS.accuse_verbs
HEAD_OF_STATE = WORDS.head_of_state
PERSON_ROLES = WORDS.person_roles
OWNED_HEADS = WORDS.owned_heads
WEAPON_HEADS = WORDS.weapon_heads
GENERIC_PLACES = WORDS.generic_places
# "Interior Minister X" is no member of something called "Interior"; a "Vice President" leads nothing
PORTFOLIO_WORDS = WORDS.portfolio_words
DEPUTY_WORDS = WORDS.deputy_words
EVENT_AGENT_DEPS = {"amod", "compound", "nmod", "poss"}
# "President Assad's army", "the government of Prime Minister Abiy Ahmed": bodies a person is said to lead
LED_BY_POSSESSOR = WORDS.led_by_possessor
RULED_BODIES = WORDS.ruled_bodies
REGIME_HEADS = WORDS.regime_heads  # "Nicolás Maduro's government": whoever has one is a person
QUANTIFIER_PRONOUNS = WORDS.quantifier_pronouns
FIRST_PERSON_PLURAL = WORDS.first_person_plural
PERSON_PRONOUNS = WORDS.person_pronouns
HELP_VERBS = WORDS.help_verbs


_HASHES: dict[tuple[int, int], set[int]] = {}


def _trigger_hashes(lex: Lexicon, vocab) -> set[int]:
    """Hashes of every word (any case) that some rule in ``find`` reacts to; cached per lexicon/vocab."""
    key = (id(lex), id(vocab))
    if key not in _HASHES:
        words: set[str] = set()
        for table in (lex.verbs, lex.control_verbs, lex.nouns, lex.phrases, lex.participles, lex.role_nouns):
            words.update(table)
        for group in (lex.light_verbs, lex.transfer_verbs, lex.receive_verbs, lex.fall_verbs, lex.expel_verbs):
            words.update(group)
        words.update(w.split()[-1] for w in lex.titles)
        words.update(WORDS.member_lists)
        words.update(LED_BY_POSSESSOR | RULED_BODIES)
        forms = {v for w in words for v in (w, w.lower(), w.capitalize(), w.title())}
        _HASHES[key] = {vocab.strings.add(f) for f in forms}
    return _HASHES[key]


def _quantified(tok: Token) -> Token:
    """'hundreds of airstrikes' → airstrikes; anything else → itself."""
    if tok.lemma_.lower() in QUANTITY_NOUNS:
        for prep in tok.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                for p in prep.children:
                    if p.dep_ == "pobj":
                        return p
    return tok


@dataclass
class Candidate:
    subject: Mention
    predicate: str
    object: Mention
    trigger: Token
    confidence: float


class RelationFinder:
    def __init__(self, ents: DocEntities, lex: Lexicon):
        self.ents = ents
        self.lex = lex
        self.attack_nouns = {n for n, p in lex.nouns.items() if p == "attacked"}

    # ------------------------------------------------------------------ driver
    def find(self) -> list[Candidate]:
        lex = self.lex
        out: list[Candidate] = []
        doc = self.ents.doc
        # only words of the lexicon can trigger a rule: pick them from the token arrays (fast, in C)
        # instead of building a Python Token for every word of the article
        keys = _trigger_hashes(lex, doc.vocab)
        for i in (i for i, (lem, low) in enumerate(self.ents.forms) if lem in keys or low in keys):
            tok = doc[i]
            pos = tok.pos_
            if pos in ("SPACE", "PUNCT", "DET", "ADP", "NUM", "CCONJ", "PART", "SCONJ"):
                continue
            lemma = tok.lemma_.lower()
            lower = tok.lower_
            if pos in ("VERB", "AUX") or tok.tag_.startswith("VB"):
                phrased = [c for p in lex.phrases.get(lemma, ()) for c in self._phrase(tok, *p)]
                out.extend(phrased)
                if lemma in lex.verbs and not phrased:
                    out.extend(self._verb(tok, lex.verbs[lemma]))
                if lemma in lex.control_verbs:
                    out.extend(self._control(tok, lex.control_verbs[lemma]))
                if lemma in lex.light_verbs:
                    out.extend(self._light_verb(tok))
                if lemma in lex.transfer_verbs or lemma in lex.receive_verbs:
                    out.extend(self._transfer(tok))
                if lemma in lex.fall_verbs:
                    out.extend(self._fall(tok))
                if lemma in lex.expel_verbs:
                    out.extend(self._expel(tok))
            if lower in lex.participles:
                out.extend(self._participle(tok, *lex.participles[lower]))
            if lower in WORDS.member_lists and tok.dep_ == "prep":
                out.extend(self._members_listed(tok))
            if pos in ("NOUN", "PROPN"):
                if lemma in lex.nouns:
                    out.extend(self._event_noun(tok, lex.nouns[lemma]))
                if lemma in lex.titles or lemma in lex.role_nouns:
                    out.extend(self._role_noun(tok, lemma))
                if lemma in lex.fall_verbs:
                    out.extend(self._fall_noun(tok))
                if lemma in LED_BY_POSSESSOR:
                    out.extend(self._possessive_leader(tok))
                if lemma in RULED_BODIES:
                    out.extend(self._government_of_person(tok))
        return out

    # ------------------------------------------------------------------ argument helpers
    def _res(self, tok: Token, place: bool = False) -> Mention | None:
        if tok.lemma_.lower() in OWNED_HEADS:
            # "its forces", "their fighters": the owner acts
            for c in tok.children:
                if c.dep_ == "poss" and c.pos_ == "PRON" and c.lower_ in ("its", "their", "his", "her"):
                    return self._pronoun(c, tok)
        m = self.ents.resolve(tok, expect_place=place)
        if not place and tok.lemma_.lower() in POSITION_HEADS and (m is None or not m.named):
            # "RSF positions", "positions of the SDF", "Houthi targets" stand for the actor
            actor = self._position_owner(tok)
            if actor is not None and (actor.named or actor.type == "Country" or m is None):
                return actor  # "an army convoy" stays a convoy: "army" alone names nobody
        return m

    def _position_owner(self, tok: Token) -> Mention | None:
        for child in tok.children:
            if child.dep_ in ("compound", "amod", "nmod", "poss"):
                m = self.ents.resolve(child)
                if m is not None and m.type in ACTOR_TYPES:
                    return m
            if child.dep_ == "prep" and child.lower_ == "of":
                for p in child.children:
                    if p.dep_ == "pobj":
                        m = self.ents.resolve(p)
                        if m is not None and m.type in ACTOR_TYPES:
                            return m
        return None

    def _with_conjuncts(self, tok: Token) -> list[Token]:
        out = [tok, *tok.conjuncts]
        # "the terrorist groups Hamas and Hezbollah": the names after a generic head, each of them
        nxt = tok.i + 1
        if nxt < len(tok.doc) and tok.lemma_.lower() in HEAD_TYPES and self.ents.tok_mention[nxt] is not None:
            name = tok.doc[nxt]
            while name.head.i > name.i and name.dep_ in ("compound", "flat"):
                name = name.head
            out.extend(name.conjuncts)
        # "the towns of Rastan and Talbiseh", "dozens of mercenaries and soldiers": each member
        if tok.lemma_.lower() in PLACE_NOUNS or tok.lemma_.lower() in QUANTITY_NOUNS:
            for child in tok.children:
                if child.dep_ == "prep" and child.lower_ == "of":
                    for p in child.children:
                        if p.dep_ == "pobj":
                            out.extend(p.conjuncts)
        # "14 towns, including Halfaya, Taybat al-Imam and Soran"; "a string of towns ..., including X"
        for t in list(out):
            # the list may hang on any noun of the phrase: "a string of towns in the X and Y regions, including Z"
            for child in (c for c in t.subtree if c.dep_ == "prep" and c.lower_ in ("including", "notably")
                          and c.head.pos_ in ("NOUN", "PROPN")):
                for p in child.children:
                    if p.dep_ == "pobj":
                        out.extend([p, *p.conjuncts])
        seen: set[int] = set()
        return [t for t in out if not (t.i in seen or seen.add(t.i))]

    def _subject_tokens(self, verb: Token) -> list[Token]:
        subs = [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
        if subs:
            return self._with_conjuncts(subs[0])
        # shared subject: "X captured A and retook B", "X managed to regain", "X attacked Y, killing Z"
        if verb.dep_ == "advcl" and verb.tag_ == "VBG" and any(c.dep_ == "nsubjpass" for c in verb.head.children):
            # "the cruiser was sunk by the submarine, killing 323 sailors": the agent did it
            return [p for c in verb.head.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        if verb.dep_ in ("conj", "xcomp", "acomp") or (verb.dep_ == "advcl" and verb.tag_ == "VBG"):
            if verb.head.i != verb.i:  # acomp: "X is ready to send troops"
                return self._subject_tokens(verb.head)
        if verb.dep_ in ("acl", "relcl", "advcl") and verb.tag_ == "VB" and any(
                c.dep_ == "aux" and c.lower_ == "to" for c in verb.children):
            if verb.dep_ in ("acl", "relcl"):  # "the coalition's strategy to defeat ISIL": the strategy's owner
                return [c for c in verb.head.children if c.dep_ == "poss"][:1]
            if verb.head.pos_ in ("VERB", "AUX"):  # "the UK stands by Iraq to defeat Daesh"
                return self._subject_tokens(verb.head)
        if verb.dep_ == "acl" and verb.tag_ in ("VBG", "VBD"):
            return [verb.head]  # VBD: a finite verb the parser hung on its subject ("militias crossed")
        if verb.dep_ == "pcomp" and verb.head.dep_ == "prep" and verb.head.lower_ in ("after", "before", "by",
                                                                                    "while", "since", "upon"):
            # "reached Homs after capturing Rastan": the main clause's subject did it
            gov = verb.head.head
            if gov.pos_ in ("VERB", "AUX"):
                return self._subject_tokens(gov)
        if verb.dep_ == "pcomp" and verb.head.dep_ == "prep" and verb.head.head.lemma_.lower() in ACCUSE_VERBS:
            # "accused Eritrea of killing civilians": the accused is the agent (the accuser only claims it)
            return [c for c in verb.head.head.children if c.dep_ in ("dobj", "obj")][:1]
        return []

    def _resolve_subject(self, tok: Token, verb: Token, place: bool = False) -> list[Mention]:
        lower = tok.lower_
        if lower in RELATIVE_PRONOUNS:
            return self._relative_antecedents(verb, lower)
        if lower in QUANTIFIER_PRONOUNS:
            # "two PKK militants, both of whom were killed": the relative clause's antecedent
            for prep in tok.children:
                if prep.dep_ == "prep" and prep.lower_ == "of":
                    for p in prep.children:
                        if p.dep_ == "pobj" and p.lower_ in ("whom", "which"):
                            rel = verb
                            while rel.dep_ in ("conj", "xcomp") and rel.head.i != rel.i:
                                rel = rel.head
                            if rel.dep_ == "relcl":
                                m = self.ents.literal(rel.head) if rel.head.lemma_.lower() in VICTIM_HEADS \
                                    else self._res(rel.head)
                                return [m] if m is not None else []
                            return []
                        if p.dep_ == "pobj" and p.lower_ not in ("whom", "which", "them", "us"):
                            return self._resolve_subject(p, verb, place)  # "one of the strikes killed ..."
        if tok.pos_ == "PRON" or lower in PERSONAL_PRONOUNS:
            m = self._pronoun(tok, verb)
            return [m] if m is not None else []
        ms = self.ents.resolve_all(tok, place)
        if len(ms) == 1:
            m = self._res(tok, place)
            return [m] if m is not None else []
        return ms

    def _relative_antecedents(self, verb: Token, pronoun: str) -> list[Mention]:
        """'Turkey, which backs Y' → Turkey; 'X, led by the Kurds, who oppose Y' → the Kurds and X."""
        rel = verb
        while (rel.dep_ in ("conj", "xcomp") or rel.dep_ == "advcl" and rel.tag_ == "VBG") and rel.head.i != rel.i:
            rel = rel.head  # "militants who stormed X, killing Y": the clause of "who"
        if rel.dep_ != "relcl":
            return []
        heads = [rel.head]
        # the clause may follow a parenthetical: "X, led by Y, which ..."; offer X as well
        h = rel.head
        if h.dep_ == "pobj" and h.head.dep_ in ("agent", "prep") and h.head.head.dep_ in ("acl", "advcl"):
            heads.append(h.head.head.head)
        elif h.dep_ == "appos":
            heads.append(h.head)
        out: list[Mention] = []
        for head in heads:
            m = self._res(head)
            if (m is None or m.type in PLACE_TYPES) and head.dep_ == "pobj" and head.head.dep_ == "prep" \
                    and head.head.head.lemma_.lower() in self.attack_nouns:
                # "an Israeli strike on a school that killed 20": the clause tells what the strike did
                agents = self._event_agents(head.head.head)
                m = agents[0] if agents else None
            if m is None:
                continue
            if pronoun == "which" and m.type == "Person":
                if head.i == h.head.i and h.lemma_.lower() in PLACE_NOUNS | {"capital"} and m.named:
                    # "Stepanakert, the region's capital, which ...": NER called the city a person
                    m.type = "City"
                else:
                    continue
            out.append(m)
        if len(out) == 2 and h.dep_ == "appos" and out[-1].named and not out[0].named:
            return out[-1:]  # the name, not its description
        if len(heads) == 1 and h.dep_ == "conj" and out and h.head.i < h.i:
            # "the SLA and the JEM, which took up arms against Khartoum": both of them
            first = self._res(h.head)
            others = [m for t in h.head.conjuncts if t.i != h.i and (m := self._res(t)) is not None]
            return [m for m in (first, *others) if m is not None] + out[-1:]
        if len(heads) == 1 and out and h.conjuncts and all(c.i < rel.i for c in h.conjuncts):
            # the same, when the parser hung the clause on the first of them
            return out[-1:] + [m for t in h.conjuncts if (m := self._res(t)) is not None]
        # after a parenthetical ("X, led by Y, who/which ..."), the clause describes the outer noun X
        return out[-1:]

    def _pronoun(self, tok: Token, verb: Token) -> Mention | None:
        """'the jihadists said they captured' → the jihadists; otherwise the latest earlier actor."""
        m = self._pronoun_antecedent(tok, verb)
        return linked(m, "pronoun") if m is not None else None

    def _pronoun_antecedent(self, tok: Token, verb: Token) -> Mention | None:
        anc = verb
        while anc.head.i != anc.i:
            anc = anc.head
            if anc.lemma_.lower() in self.lex.statements or anc.lemma_.lower() in self.lex.appeals:
                # "Tehran condemned the strikes and said it ...": a shared subject counts too
                for child in self._subject_tokens(anc):
                    if child.dep_ in SUBJECT_DEPS and child.pos_ != "PRON":
                        m = self._res(child)
                        if (m is None or m.type == "Person") and tok.lower_ in FIRST_PERSON_PLURAL:
                            # "'We have taken X,' a spokesman for the ZLF said": the group he speaks for; in a
                            # leader's own quote "we" is his group, which we cannot name
                            orgs = [o for c in child.children if c.dep_ == "prep" and c.lower_ in ("for", "of")
                                    for p in c.children if p.dep_ == "pobj" and (o := self._res(p)) is not None
                                    and o.named and o.type in ACTOR_TYPES and o.type != "Person"]
                            return orgs[0] if orgs else None
                        return m
                break
        want_person = tok.lower_ in PERSON_PRONOUNS
        if tok.dep_ == "poss" and tok.head.dep_ == "conj" and tok.head.head.i < tok.i:
            m = self._res(tok.head.head)  # "the regime and its backers": the first conjunct
            if m is not None and m.type in ACTOR_TYPES and (m.type == "Person") == want_person:
                return m
        if tok.dep_ == "poss":
            # "Kyiv has intensified its attacks": a possessive points back to its own clause's subject
            v = tok.head
            while v.pos_ not in ("VERB", "AUX") and v.head.i != v.i:
                v = v.head
            own_np = {t.i for t in tok.head.subtree}
            for s_tok in self._subject_tokens(v) if v.pos_ in ("VERB", "AUX") else []:
                if s_tok.i in own_np or s_tok.pos_ == "PRON":
                    continue
                m = self._res(s_tok)
                if m is not None and m.type in ACTOR_TYPES and (m.type == "Person") == want_person:
                    return m
        if tok.dep_ == "poss" and tok.lower_ in ("its", "their"):
            # "The RSF has been accused by the US of ..., where its fighters killed ...": the sentence's subject
            root = tok.sent.root
            for s_tok in (c for c in root.children if c.dep_ in ("nsubj", "nsubjpass") and c.i < tok.i
                          and c.pos_ != "PRON"):
                m = self._res(s_tok)
                if m is not None and m.type in ACTOR_TYPES - SOURCE_ONLY_TYPES - {"Person"}:
                    return m
            # "the resolve of the international community in its determination": the nearest actor before it
            for t in reversed(tok.doc[tok.sent.start:tok.i]):
                if t.pos_ in ("NOUN", "PROPN") and t.dep_ not in ("compound", "amod", "poss"):
                    m = self._res(t)
                    if m is not None and m.type in ACTOR_TYPES - SOURCE_ONLY_TYPES - {"Person"} and (
                            m.named or len(m.label.split()) > 1):
                        return m
        if (tok.dep_ in ("nsubj", "nsubjpass") and tok.lower_ in ("they", "it") and tok.sent.start > 0
                and tok.head.i == tok.sent.root.i):
            # "They kidnapped and killed 11 people": a subject pronoun continues the previous sentence's subject
            m = self._sentence_subject(tok.doc[tok.sent.start - 1].sent, depth=3)
            if m is not None and m.type != "Person":
                return m
        if tok.lower_ in FIRST_PERSON_PLURAL:
            return None  # the writer's "we" outside a quote is nobody the story names
        for m in reversed(self.ents._ordered_mentions(tok.i)):
            if m.type not in ACTOR_TYPES or m.type in SOURCE_ONLY_TYPES:
                continue
            if (m.type == "Person") == want_person:
                return m
        return None

    def _sentence_subject(self, sent, depth: int) -> Mention | None:
        """The actor a sentence is about: its root's subject, through subject pronouns of earlier sentences."""
        subj = next((c for c in sent.root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is None or depth == 0:
            return None
        if subj.pos_ == "PRON":
            if subj.lower_ not in ("they", "it") or sent.start == 0:
                return None
            return self._sentence_subject(subj.doc[sent.start - 1].sent, depth - 1)
        m = self._res(subj)
        return m if m is not None and m.type in ACTOR_TYPES - SOURCE_ONLY_TYPES else None

    def _modifies_participle(self, m: Mention) -> bool:
        """'Moscow-backed separatists': Moscow acts through the participle, it is no place one takes."""
        last = self.ents.doc[m.end - 1]
        return last.dep_ in ("npadvmod", "compound", "amod") and last.head.tag_ == "VBN"

    def _named_antecedent(self, tok: Token) -> Mention | None:
        """'its army chief X', 'their spokesman': the latest named group or state before the pronoun."""
        if tok.lower_ not in ("its", "their"):
            return None
        if tok.head.dep_ == "conj" and tok.head.head.i < tok.i:
            m = self._res(tok.head.head)  # "the regime and its backers": the first conjunct
            if m is not None and m.type in ACTOR_TYPES and m.type != "Person":
                return m
        for m in reversed(self.ents._ordered_mentions(tok.i)):
            if m.named and m.type in ACTOR_TYPES and m.type != "Person" and m.type not in SOURCE_ONLY_TYPES:
                return m
        return None

    def _preceding_np(self, tok: Token) -> Token | None:
        """The noun a comma-separated participle modifies: 'the rebels, led by HTS' → rebels."""
        i = tok.i - 1
        doc = self.ents.doc
        while i >= 0 and (doc[i].is_punct or doc[i].is_space):
            i -= 1
        if i < 0 or doc[i].pos_ not in ("NOUN", "PROPN"):
            return None
        t = doc[i]
        while t.dep_ in ("compound", "flat") and t.head.i > t.i:
            t = t.head
        return t

    def _emit(self, subjects: list[Mention], pred: str, objects: list[Mention], trigger: Token,
              conf: float) -> Iterator[Candidate]:
        for s in subjects:
            if s.type in SOURCE_ONLY_TYPES or s.type in PLACE_TYPES - {"Country"}:
                continue
            if not s.named and (s.head_lemma in self.lex.nouns or s.head_lemma in WEAPON_HEADS) and not (
                    set(s.label.lower().split()[:-1]) & OWNER_WORDS):
                # "Strikes hit Shabwa": an event is no actor; its agent is whoever the story said conducts them
                agent = self.ents.coref.strike_agent(trigger) if s.head_lemma in self.attack_nouns else None
                if agent is None:
                    continue
                s = agent
            if pred in LASTING and not s.named and len(s.label.split()) == 1:
                continue  # "Forces clashed with ...", "Members ... support": a lasting relation needs a named side
            for o in objects:
                if o.key == s.key:
                    continue
                if pred == "memberOf" and (o.type == "Person" or not o.named and len(o.label.split()) == 1):
                    continue  # "joined Secretary John Kerry in Paris", "belonged to the first group": no membership
                if pred in CAPTURE_FAMILY and not o.named and o.head_lemma in GENERIC_PLACES and not (
                        o.country and o.head_lemma in WORDS.country_territory) and self.count(o) is None:
                    # "regained territory": no place a reader can look up; "captured 14 towns" is kept, counted
                    continue
                if pred in CAPTURE_FAMILY and o.type not in PLACE_TYPES:
                    continue
                if pred not in CAPTURE_FAMILY and pred != "attacked" and o.type not in ACTOR_TYPES:
                    if o.label.lower() not in self.ents.gaz.capitals:
                        continue
                    o = self.ents._capital_as_state(o)  # "an ally of Tehran": the state
                if pred == "attacked" and not o.named and o.head_lemma in WEAPON_HEADS:
                    continue
                yield Candidate(s, pred, o, trigger, round(conf * min(s.confidence, o.confidence), 2))

    def count(self, m: Mention) -> Count | None:
        return count_of(self.ents.doc, m)

    def _objects(self, toks: list[Token], pred: str) -> list[Mention]:
        place = pred in CAPTURE_FAMILY
        out = []
        for t in toks:
            for tt in self._with_conjuncts(t):
                if place and tt.lemma_.lower() in VICTIM_HEADS | {"civilian", "hostage", "people", "person"}:
                    continue  # "captured two Israeli soldiers": people, not Israel
                if place and tt.lemma_.lower() in PART_NOUNS:
                    # "overran parts of Marawi", "took the centre of Grozny": the named place
                    inner = [p for c in tt.children if c.dep_ == "prep" and c.lower_ == "of"
                             for p in c.children if p.dep_ == "pobj"]
                    ms = [m for p in inner if (m := self._res(p, True)) is not None and (m.named or m.country)]
                    if ms:
                        out.extend(ms)
                        continue
                if place and tt.lower_ in ("it", "them") and tt.pos_ == "PRON":
                    # "attacked the town of X and took control of it": the latest place named before
                    m = next((m for m in reversed(self.ents._ordered_mentions(tt.i))
                              if m.named and m.type in PLACE_TYPES and m.type != "Country"
                              and m.start >= tt.sent.start and not self._modifies_participle(m)), None)
                    if m is not None:
                        out.append(m)
                    continue
                if pred == "eliminated" and tt.lemma_.lower() in VICTIM_HEADS | WORDS.side_heads:
                    # "killed two Colombian soldiers": the victims are the soldiers, not Colombia
                    m = self.ents.literal(tt)
                    if m is not None:
                        out.append(m)
                        continue
                out.extend(self._resolve_subject(tt, tt.head, place))
        return out

    # ------------------------------------------------------------------ clause rules
    def _verb(self, verb: Token, pred: str) -> Iterator[Candidate]:
        lemma = verb.lemma_.lower()
        children = list(verb.children)
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in children) or (
            verb.dep_ in ("acl", "advcl", "amod", "conj") and verb.tag_ == "VBN"
            and not any(c.dep_ in SUBJECT_DEPS for c in children)
            and not (verb.dep_ == "conj" and verb.head.tag_ != "VBN")) or (
            # "Robotyne, recaptured by Ukrainian forces": tagged VBD, but a "by" agent and no subject
            verb.dep_ in ("acl", "advcl") and any(c.dep_ == "agent" for c in children)
            and not any(c.dep_ in SUBJECT_DEPS for c in children))
        if passive:
            yield from self._passive(verb, pred, children)
            return
        obj_toks = [c for c in children if c.dep_ in ("dobj", "obj")
                    and not (pred == "attacked" and c.lemma_.lower() in WEAPON_HEADS)]
        if not obj_toks and pred in ("attacked", "eliminated"):
            # "targeted officials staying at the hotel": the parser made the object a gerund clause's subject
            obj_toks = [s for c in children if c.dep_ == "ccomp" and c.tag_ == "VBG"
                        for s in c.children if s.dep_ == "nsubj" and s.pos_ in ("NOUN", "PROPN")]
        if not obj_toks and lemma in HELP_VERBS:
            # "Iran helped the Houthis develop missiles": the helped party is the clause's subject
            for c in children:
                if c.dep_ in ("ccomp", "xcomp"):
                    obj_toks += [s for s in c.children if s.dep_ in SUBJECT_DEPS]
        if lemma in ("fight", "battle") and any(c.dep_ == "prep" and c.lower_ == "alongside" for c in children):
            # "X fought alongside Y (against Z)": allies
            allies = [p for c in children if c.dep_ == "prep" and c.lower_ == "alongside"
                      for p in c.children if p.dep_ == "pobj"]
            subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
            yield from self._emit(subjects, "alliedWith", self._objects(allies, "alliedWith"), verb, 0.7)
        if (not obj_toks and verb.dep_ == "relcl" and pred in CAPTURE_FAMILY | {"attacked", "eliminated"}
                and any(c.dep_ in SUBJECT_DEPS and c.lower_ not in RELATIVE_PRONOUNS for c in children)
                and not any(c.dep_ == "prep" and c.lower_ in ("on", "against", "at") for c in children)):
            obj_toks = [verb.head]  # "the only regional capital Moscow had captured": the noun is the object
        if not obj_toks and pred in ("opposes", "attacked"):
            near = children + [g for c in children if c.dep_ == "prep" and c.lower_ == "alongside"
                               for p in c.children for g in p.children]  # "alongside Y against Z"
            obj_toks = [p for c in near if c.dep_ == "prep" and c.lower_ in ("against", "on", "at")
                        for p in c.children if p.dep_ == "pobj"]
        if not obj_toks:
            return
        objects = self._objects(obj_toks, pred)
        if lemma in self.lex.place_only:
            objects = [o for o in objects if o.type in PLACE_TYPES]
        if lemma == "hit" and not objects:
            return
        subjects: list[Mention] = []
        for s in self._subject_tokens(verb):
            subjects.extend(self._resolve_subject(s, verb))
        if (not subjects and pred == "backs" and verb.dep_ == "advcl" and verb.head.pos_ in ("VERB", "AUX")
                and any(c.dep_ == "aux" and c.lower_ == "to" for c in children)):
            # "deployed troops to Juba to bolster the government": the purpose is the deployer's
            gov = verb.head
            toks = [gov.head] if gov.dep_ == "acl" else self._subject_tokens(gov)  # "troops sent to X to ..."
            if not toks:  # "instructors have been deployed to help the army"
                toks = [t for c in gov.children if c.dep_ == "nsubjpass" for t in self._with_conjuncts(c)]
            subjects = [m for s in toks for m in self._resolve_subject(s, gov)]
        yield from self._emit(subjects, pred, objects, verb, 0.8)

    def _passive(self, verb: Token, pred: str, children: list[Token]) -> Iterator[Candidate]:
        agents = [p for c in children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        if verb.lemma_.lower() == "join":
            pred = "alliedWith"  # "the rebels were joined by fighters of Ansar Dine": allies, not members
        subjects: list[Mention] = []
        for a in agents:
            for t in self._with_conjuncts(a):
                subjects.extend(self._resolve_subject(t, verb))
        if not agents:
            # "was eliminated on Tuesday in an Israeli bombing": the agent is the event noun's modifier
            for c in children:
                if c.dep_ == "prep" and c.lower_ in ("in", "by"):
                    for p in c.children:
                        if p.dep_ == "pobj" and p.lemma_.lower() in self.attack_nouns | {"operation", "raid"}:
                            subjects.extend(self._event_agents(p))
        if not subjects:
            return
        targets = [c for c in children if c.dep_ == "nsubjpass"]
        objects: list[Mention] = []
        if targets and pred == "eliminated":
            objects = self._objects(targets[:1], pred)  # "33 Turkish soldiers were killed": the soldiers
        elif targets:
            for t in self._with_conjuncts(targets[0]):
                objects.extend(self._resolve_subject(t, verb, place=pred in CAPTURE_FAMILY))
        elif verb.dep_ in ("acl", "amod"):
            m = self._res(verb.head, pred in CAPTURE_FAMILY)
            objects = [m] if m else []
        elif verb.dep_ in ("advcl", "conj"):
            np = self._preceding_np(verb)
            m = self._res(np, pred in CAPTURE_FAMILY) if np is not None else None
            objects = [m] if m else []
            if not objects and verb.dep_ == "advcl" and pred == "backs" and verb.head.pos_ in ("VERB", "AUX"):
                # "X launched an offensive in 2019, backed by Y": the main clause's subject is backed
                objects = [m for t in self._subject_tokens(verb.head) for m in self._resolve_subject(t, verb.head)]
        elif verb.dep_ == "ccomp" and verb.head.dep_ == "relcl" and verb.head.lemma_.lower() in self.lex.statements:
            # "the M23, which Kinshasa says is backed by Rwanda": the relative clause's noun
            m = self._res(verb.head.head, pred in CAPTURE_FAMILY)
            objects = [m] if m else []
        yield from self._emit(subjects, pred, objects, verb, 0.75)

    def _control(self, verb: Token, pred: str) -> Iterator[Candidate]:
        """'took control of Aleppo', 'regained control of the town'."""
        for c in verb.children:
            if c.dep_ in ("dobj", "obj") and c.lemma_.lower() == "control":
                # "took control of X": the "of" may hang on the noun or (misparsed) on the verb
                objs = [p for prep in (*c.children, *verb.children) if prep.dep_ == "prep"
                        and prep.lower_ in ("of", "over") for p in prep.children if p.dep_ == "pobj"]
                objects = self._objects(objs, pred)
                subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
                yield from self._emit(subjects, pred, objects, verb, 0.8)

    def _light_verb(self, verb: Token) -> Iterator[Candidate]:
        """'launched airstrikes against X', 'fired rockets at X', 'launched an invasion of X'."""
        agents = [p for c in verb.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        for c in verb.children:
            if c.dep_ == "nsubjpass" and agents:
                # "the attack on X was carried out by Y"
                pred = self.lex.nouns.get(_quantified(c).lemma_.lower())
                if pred is None:
                    continue
                noun = _quantified(c)
                objs = [p for prep in noun.children if prep.dep_ == "prep"
                        and prep.lower_ in self.lex.noun_preps.get(pred, ()) for p in prep.children
                        if p.dep_ == "pobj"]
                subjects = [m for a in agents for t in self._with_conjuncts(a) for m in self._resolve_subject(t, verb)]
                yield from self._emit(subjects, pred, self._objects(objs, pred), verb, 0.75)
                continue
            if c.dep_ not in ("dobj", "obj"):
                continue
            noun = _quantified(c)  # "launched hundreds of airstrikes on X"
            pred = self.lex.nouns.get(noun.lemma_.lower())
            if pred is None:
                continue
            preps = [p for p in list(noun.children) + list(c.children) + list(verb.children)
                     if p.dep_ == "prep" and p.lower_ in self.lex.noun_preps.get(pred, ())]
            objs = [p for prep in preps for p in prep.children if p.dep_ == "pobj"]
            objects = self._objects(objs, pred)
            subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
            if not subjects:
                subjects = self._event_agents(noun)
            if pred == "attacked":  # "Coalition forces conducted 20 strikes": later bare "strikes" are theirs
                self.ents.coref.strikers.extend((verb.i, m) for m in subjects if m.named or m.type == "Country")
            yield from self._emit(subjects, pred, objects, verb, 0.75)

    def _transfer(self, verb: Token) -> Iterator[Candidate]:
        """'sent weapons to the group', 'provided the RSF with drones', 'received weapons from Turkey'."""
        children = list(verb.children)
        things = [c for c in children if c.dep_ in ("dobj", "obj")]
        with_things = [q for c in children if c.dep_ == "prep" and c.lower_ == "with"
                       for p in c.children if p.dep_ == "pobj" for q in (p, *p.conjuncts)]
        if things and any(t.lemma_.lower() in self.lex.transfer_objects for t in with_things):
            subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
            yield from self._emit(subjects, "backs", self._objects(things, "backs"), verb, 0.7)
            return
        if not any(t.lemma_.lower() in self.lex.transfer_objects for t in things):
            return
        if verb.lemma_.lower() in self.lex.receive_verbs:
            givers = [p for c in (*children, *(k for t in things for k in t.children))  # "drones from Iran"
                      if c.dep_ == "prep" and c.lower_ == "from" for p in c.children if p.dep_ == "pobj"]
            receivers = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
            yield from self._emit(self._objects(givers, "backs"), "backs", receivers, verb, 0.7)
            return
        recips = [p for c in children if c.dep_ in ("prep", "dative") and c.lower_ == "to"
                  for p in c.children if p.dep_ == "pobj"]
        if not recips:
            return
        objects = self._objects(recips, "backs")
        subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
        yield from self._emit(subjects, "backs", objects, verb, 0.7)

    def _phrase(self, verb: Token, pred: str, obj_lemma: str, prep: str) -> Iterator[Candidate]:
        """'pledged allegiance to X', 'belongs to X'."""
        holders = [verb] + [c for c in verb.children if c.dep_ in ("dobj", "obj")
                            and c.lemma_.lower() == obj_lemma]
        if obj_lemma and len(holders) == 1:
            return
        objs = [p for h in holders for c in h.children if c.dep_ == "prep" and c.lower_ == prep
                for p in c.children if p.dep_ == "pobj"]
        objects = self._objects(objs, pred)
        subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
        yield from self._emit(subjects, pred, objects, verb, 0.75)
        if pred == "alliedWith" and objects:
            # "joined forces with the army against the RSF": allies share an enemy
            enemies = [p for h in holders + objs for c in h.children if c.dep_ == "prep" and c.lower_ == "against"
                       for p in c.children if p.dep_ == "pobj"]
            yield from self._emit(subjects, "opposes", self._objects(enemies, "opposes"), verb, 0.7)
            # "stands by Iraq to defeat Daesh": both allies fight the purpose clause's object
            purpose = [c for c in verb.children if c.dep_ == "advcl" and c.tag_ == "VB"
                       and self.lex.verbs.get(c.lemma_.lower()) == "opposes"
                       and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children)]
            foes = self._objects([o for c in purpose for o in c.children if o.dep_ in ("dobj", "obj")], "opposes")
            yield from self._emit(objects, "opposes", foes, verb, 0.65)

    def _fall(self, verb: Token) -> Iterator[Candidate]:
        """'Aleppo fell to the rebels', 'the army lost Lashio to the MNDAA' → the rebels/MNDAA captured it."""
        agents = [p for c in verb.children if c.dep_ == "prep" and c.lower_ == "to"
                  for p in c.children if p.dep_ == "pobj"]
        if not agents:
            return
        lost = [c for c in verb.children if c.dep_ in ("dobj", "obj")]
        if lost:
            places = self._objects(lost, "captured")
        else:
            places = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb, place=True)]
        subjects = [m for a in agents for t in self._with_conjuncts(a) for m in self._resolve_subject(t, verb)]
        yield from self._emit(subjects, "captured", places, verb, 0.7)

    def _expel(self, verb: Token) -> Iterator[Candidate]:
        """'pushed Georgian units out of the Kodori Gorge', 'drove the militants from X' → captured X."""
        if not any(c.dep_ in ("dobj", "obj") for c in verb.children):
            return
        places: list[Token] = []
        for c in verb.children:
            if c.dep_ in ("prep", "prt", "advmod") and c.lower_ == "out":
                places += [p for q in c.children if q.dep_ == "prep" and q.lower_ == "of"
                           for p in q.children if p.dep_ == "pobj"]
                places += [p for p in c.children if p.dep_ == "pobj"]  # "out of" parsed as one preposition
            elif c.dep_ == "prep" and c.lower_ == "of" and any(x.lower_ == "out" for x in verb.children):
                places += [p for p in c.children if p.dep_ == "pobj"]
            elif c.dep_ == "prep" and c.lower_ == "from" and verb.lemma_.lower() in ("expel", "oust", "drive",
                                                                                     "evict", "rout"):
                places += [p for p in c.children if p.dep_ == "pobj"]
        if not places:
            return
        subjects = [m for s in self._subject_tokens(verb) for m in self._resolve_subject(s, verb)]
        yield from self._emit(subjects, "captured", self._objects(places, "captured"), verb, 0.65)

    def _members_listed(self, prep: Token) -> Iterator[Candidate]:
        """'the international community, including Russia and Iran' → Russia and Iran are members of it."""
        collective = prep.head
        if collective.lemma_.lower() not in WORDS.collective_heads:
            return
        whole = self._res(collective)
        members = [m for p in prep.children if p.dep_ == "pobj" for t in self._with_conjuncts(p)
                   if (m := self._res(t)) is not None and m.named and m.type in ACTOR_TYPES]
        if whole is not None and whole.type in ACTOR_TYPES and whole.type != "Person":
            yield from self._emit(members, "memberOf", [whole], prep, 0.6)

    def _fall_noun(self, noun: Token) -> Iterator[Candidate]:
        """'the fall of Aleppo to the rebels' → the rebels captured Aleppo."""
        preps = {c.lower_: [p for p in c.children if p.dep_ == "pobj"] for c in noun.children if c.dep_ == "prep"}
        if preps.get("of") and preps.get("to"):
            subjects = [m for t in preps["to"] for m in self._resolve_subject(t, noun)]
            yield from self._emit(subjects, "captured", self._objects(preps["of"], "captured"), noun, 0.6)

    def _participle(self, tok: Token, pred: str, prep: str) -> Iterator[Candidate]:
        """'X, affiliated with Y', 'an organization opposed to Y', 'the Al-Qaeda-linked group X'."""
        objs = [p for c in tok.children if (c.dep_ == "prep" or c.dep_ == "agent" and (tok.dep_ == "conj"
                                                                                   or pred in CAPTURE_FAMILY))
                and c.lower_ == prep for p in c.children if p.dep_ == "pobj"]
        objects = self._objects(objs, pred)
        swap = False
        if not objects and tok.dep_ == "amod":
            # hyphenated: "the al-Qaeda-linked group JNIM"; "the Iran-backed group": Iran is the agent
            objects = [m for c in tok.lefts if (m := self._res(c)) is not None and m.type in ACTOR_TYPES]
            swap = prep == "by"
        if not objects:
            return
        if swap:
            holder_m = self._res(tok.head)
            if holder_m is not None:
                yield from self._emit(objects, pred, [holder_m], tok, 0.7)
            return
        holder: Token | None = None
        base = tok
        while base.dep_ == "conj" and base.head.i != base.i:
            base = base.head  # "militiamen, armed and backed by the government": the first participle's noun
        if base.i != tok.i and base.dep_ in ("acl", "amod"):
            holder = base.head
        elif tok.dep_ in ("acl", "amod"):
            holder = tok.head
        elif tok.dep_ in ("acomp", "attr") or tok.pos_ in ("VERB", "AUX") and tok.dep_ in ("relcl", "ROOT"):
            verb = tok.head if tok.dep_ in ("acomp", "attr") else tok
            subs = [c for c in verb.children if c.dep_ == "nsubjpass"] or self._subject_tokens(verb)
            subjects = [m for s in subs for m in self._resolve_subject(s, verb)]
            yield from self._emit(subjects, pred, objects, tok, 0.7)
            return
        else:
            holder = self._preceding_np(tok)
        if holder is None:
            return
        while holder.dep_ == "appos":
            holder = holder.head
        if holder.dep_ == "attr":  # "Mosul is the largest city controlled by Daesh": the copula's subject
            holder = next((c for c in holder.head.children if c.dep_ == "nsubj"), holder)
        m = self._res(holder, pred in CAPTURE_FAMILY)
        if m is None:
            return
        if prep == "by":
            yield from self._emit(objects, pred, [m], tok, 0.7)  # "X, armed and backed by Y": Y backs X
            return
        if pred == "memberOf" and all(o.type == "Person" for o in objects):
            # "forces loyal to commander Khalifa Haftar": a group is not a member of a person, he leads it
            yield from self._emit(objects, "leads", [m], tok, 0.65)
            return
        yield from self._emit([m], pred, objects, tok, 0.7)

    # ------------------------------------------------------------------ noun rules
    def _event_agents(self, noun: Token) -> list[Mention]:
        """'an Israeli bombing', 'a US drone strike', "Russia's support", 'attacks by the rebels'."""
        out: list[Mention] = []
        for c in noun.children:
            if c.dep_ == "poss" and c.pos_ == "PRON":
                m = self._pronoun(c, noun)  # "its attacks against X"
                if m is not None:
                    out.append(m)
            elif c.dep_ in EVENT_AGENT_DEPS:
                m = self.ents.resolve(c)
                if (m is not None and m.type in ACTOR_TYPES and m.type not in SOURCE_ONLY_TYPES
                        and (m.named or m.type == "Country")):
                    out.append(m)
                elif c.dep_ == "compound":
                    out.extend(self._event_agents(c))
            elif c.dep_ == "prep" and c.lower_ == "by":
                out.extend(m for p in c.children if p.dep_ == "pobj" for t in self._with_conjuncts(p)
                           if (m := self._res(t)) is not None)
        return out

    def _war_between(self, noun: Token) -> Iterator[Candidate]:
        """'the Iran-Iraq war', 'the Israel-Hamas war': each side opposes the other."""
        sides: list[Mention] = []
        for t in noun.doc[noun.left_edge.i:noun.i]:
            m = self.ents.tok_mention[t.i]
            if m is not None and m.named and m.type in ACTOR_TYPES and m.key not in {x.key for x in sides}:
                sides.append(m)
        if len(sides) == 2:
            yield from self._emit(sides[:1], "opposes", sides[1:], noun, 0.7)
            yield from self._emit(sides[1:], "opposes", sides[:1], noun, 0.7)

    def _event_noun(self, noun: Token, pred: str) -> Iterator[Candidate]:
        preps = self.lex.noun_preps.get(pred, set())
        objs = [p for c in noun.children if c.dep_ == "prep" and c.lower_ in preps
                for p in c.children if p.dep_ == "pobj"]
        if not objs and pred == "opposes":
            yield from self._war_between(noun)
            return
        if not objs:  # "the re-taking by Iraqi forces of Tikrit": the parser hung "of" on the agent
            objs = [p for c in noun.children if c.dep_ == "prep" and c.lower_ == "by" for a in c.children
                    if a.dep_ == "pobj" for q in a.children if q.dep_ == "prep" and q.lower_ in preps
                    for p in q.children if p.dep_ == "pobj"]
        if not objs and pred == "backs" and any(c.dep_ in ("poss", "amod") for c in noun.lefts):
            # "its support of al-Qaeda", "Iranian backing of the Houthis": the supporter is named before the noun
            objs = [p for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"
                    for p in c.children if p.dep_ == "pobj"]
        if not objs and pred == "attacked" and noun.dep_ == "pobj":
            # "killed 45 people in raids on villages": the parser hung "on villages" on the verb
            gov = noun.head.head
            if gov.dep_ in ("dobj", "obj") and gov.pos_ == "NOUN":
                gov = gov.head
            if gov.pos_ == "VERB":
                objs = [p for c in gov.children if c.dep_ == "prep" and c.lower_ in preps
                        and c.i == noun.i + 1 for p in c.children if p.dep_ == "pobj"]
        if not objs and pred == "backs":
            yield from self._help_from(noun)
            return
        if not objs:
            return
        subjects = self._event_agents(noun) or self._clause_agents(noun)
        if not subjects:
            return
        yield from self._emit(subjects, pred, self._objects(objs, pred), noun, 0.65)

    def _help_from(self, noun: Token) -> Iterator[Candidate]:
        """'intercepted by Israel's air defences with help from the US' → the US backs Israel."""
        # "with help from the US", "with the support of Russian aircraft"
        helpers = [p for c in noun.children if c.dep_ == "prep" and c.lower_ in ("from", "of")
                   for t in c.children if t.dep_ == "pobj" for p in self._with_conjuncts(t)]
        # "with Yerevan's military support", "with Russian air support"
        helpers += [c for c in noun.lefts if c.dep_ in ("poss", "amod", "compound")
                    and (m := self.ents.resolve(c)) is not None and m.named and m.type in ACTOR_TYPES]
        if not helpers or noun.dep_ != "pobj" or noun.head.lower_ != "with":
            return
        verb = noun.head.head
        if verb.pos_ in ("NOUN", "PROPN"):
            # "the army, with the support of Russian aircraft, retook ...": attached to the helped noun
            helped_np = self._res(verb)
            subjects = [m for t in helpers for m in self._resolve_subject(t, verb)]
            if helped_np is not None:
                yield from self._emit(subjects, "backs", [helped_np], noun, 0.6)
            return
        if verb.pos_ not in ("VERB", "AUX"):
            return
        agents = [p for c in verb.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        helped = [m for t in agents for m in self._resolve_subject(t, verb)] or [
            m for t in self._subject_tokens(verb) for m in self._resolve_subject(t, verb)]
        subjects = [m for t in helpers for m in self._resolve_subject(t, verb)]
        yield from self._emit(subjects, "backs", helped, noun, 0.6)

    def _clause_agents(self, noun: Token) -> list[Mention]:
        """'Israel retaliated with airstrikes on X', 'the rebels claimed responsibility for an attack on X'."""
        if noun.dep_ in ("dobj", "obj") and noun.head.lemma_.lower() in CLAIMING_VERBS:
            head = noun.head  # "ISWAP claimed an attack on a base", "the rebels announced the capture of Hama"
            return [m for s in self._subject_tokens(head) for m in self._resolve_subject(s, head)]
        if noun.dep_ != "pobj" or noun.head.dep_ != "prep":
            return []
        head = noun.head.head
        if noun.head.lower_ == "in" and head.pos_ in ("VERB", "AUX"):
            # "reiterates UK support for Iraq in the fight against ISIL": the parser hung "in" on the verb
            head = next((c for c in head.children if c.dep_ in ("dobj", "obj")
                         and self.lex.nouns.get(c.lemma_.lower()) == "backs"), head)
        if noun.head.lower_ == "in" and self.lex.nouns.get(head.lemma_.lower()) == "backs":
            # "UK support for Iraq in the fight against ISIL": the supported party fights
            return [m for c in head.children if c.dep_ == "prep" and c.lower_ in ("for", "to")
                    for p in c.children if p.dep_ == "pobj" for m in self._resolve_subject(p, head)]
        if head.dep_ in ("dobj", "obj") and head.pos_ == "NOUN" and noun.head.lower_ == "in":
            head = head.head  # "killed 45 people in raids on X": the killers raided
        if noun.head.lower_ == "for" and head.lemma_.lower() in ACCUSE_VERBS:
            # "Washington blames the group for a drone attack on ...": the blamed party is the agent
            return [m for c in head.children if c.dep_ in ("dobj", "obj") for m in self._resolve_subject(c, head)]
        if head.lemma_.lower() == "responsibility":
            head = head.head
        # "X was behind a drone strike on Y": the copula's subject is the agent
        if noun.head.lower_ == "behind" and head.lemma_.lower() == "be":
            return [m for s in self._subject_tokens(head) for m in self._resolve_subject(s, head)]
        if head.pos_ not in ("VERB", "AUX"):
            return []
        return [m for s in self._subject_tokens(head) for m in self._resolve_subject(s, head)]

    def _possessive_leader(self, noun: Token) -> Iterator[Candidate]:
        """"President Assad's army" → Assad leads the army."""
        for c in noun.children:
            if c.dep_ == "poss":
                person = self.ents.tok_mention[c.i]
                if (person is not None and person.type == "Organization" and person.named
                        and noun.lemma_.lower() in REGIME_HEADS):
                    person.type = "Person"  # "Nicolás Maduro's government": NER said ORG; a regime has a ruler
                if person is not None and person.type == "Person":
                    army = self._res(noun)
                    if army is not None:
                        yield from self._emit([person], "leads", [army], noun, 0.6)

    def _government_of_person(self, noun: Token) -> Iterator[Candidate]:
        """"the government of Prime Minister Abiy Ahmed" → Abiy Ahmed leads the government."""
        for c in noun.children:
            if c.dep_ == "prep" and c.lower_ == "of":
                for p in c.children:
                    person = self.ents.tok_mention[p.i] if p.dep_ == "pobj" else None
                    if person is not None and person.type == "Person":
                        gov = self._res(noun)
                        if gov is not None:
                            yield from self._emit([person], "leads", [gov], noun, 0.6)

    def _role_noun(self, noun: Token, lemma: str) -> Iterator[Candidate]:
        """'X, envoy of Y', 'Y's army chief X', 'President X', 'X, an ally of Y', 'X is a member of Y'."""
        lex = self.lex
        det = next((c.lower_ for c in noun.children if c.dep_ == "det"), "")
        compounds = [c.lower_ for c in noun.lefts if c.dep_ in ("compound", "amod")]
        if compounds and f"{compounds[-1]} {lemma}" in lex.titles:
            lemma = f"{compounds[-1]} {lemma}"  # "prime minister" leads, a "minister" is a member
        deputy = any(c.lower_ in DEPUTY_WORDS for c in noun.lefts if c.dep_ in ("compound", "amod"))
        if lemma in lex.titles and det not in ("a", "an") and not deputy:
            pred = "leads"
        elif lemma in lex.role_nouns:
            pred = lex.role_nouns[lemma]
        elif lemma in lex.titles:
            pred = "memberOf"
        else:
            return
        # the holder of the role
        holders: list[Mention] = []
        if noun.dep_ == "appos":
            m = self._res(noun.head)
            holders = [m] if m else []
            if m is not None and lemma in lex.role_nouns and noun.head.conjuncts:
                # "Syria and Iran, Hezbollah's main backers": each of them
                holders += [c for t in noun.head.conjuncts if (c := self._res(t)) is not None]
            if m is not None and m.named and m.type == "Organization" and lemma in PERSON_ROLES:
                m.type = "Person"  # "Salman Nimr Jamaa, envoy of ...": NER said ORG
        elif noun.dep_ in ("compound", "nmod") and noun.head.pos_ == "PROPN":
            m = self.ents.tok_mention[noun.head.i]
            # "RSF adviser Omar Hamdan" is a person; "Hamas ally Hezbollah" may be any actor
            relational = pred in ("alliedWith", "backs", "opposes")
            holders = [m] if m and (m.type == "Person" or relational and m.named and m.type in ACTOR_TYPES) else []
        elif (noun.dep_ == "pobj" and noun.head.lower_ == "of" and noun.head.head.lower_ == "one"
              and noun.head.head.dep_ == "appos"):
            m = self._res(noun.head.head.head)  # "X, one of the Taliban's most senior officials"
            holders = [m] if m is not None and m.named else []
        elif noun.dep_ == "attr":
            holders = [m for s in self._subject_tokens(noun.head) for m in self._resolve_subject(s, noun.head)]
            # "X is a member of the alliance, along with Y and Z": them too
            for along in (c for t in (noun, noun.head) for c in t.children if c.dep_ == "prep"
                          and c.lower_ in ("along", "together")):
                holders += [m for w in along.children if w.dep_ == "prep" and w.lower_ == "with"
                            for p in w.children if p.dep_ == "pobj" for t in (p, *p.conjuncts)
                            if (m := self._res(t)) is not None and m.named]
        if not holders and pred in ("alliedWith", "backs", "opposes") and noun.i + 1 < len(noun.doc):
            # "Iran ally Hezbollah fired ...": a title right before a name, however the parser hung them
            m = self.ents.tok_mention[noun.i + 1]
            holders = [m] if m is not None and m.named and m.type in ACTOR_TYPES else []
        if not holders:
            appos = [c for c in noun.children if c.dep_ == "appos"]
            if appos:
                m = self._res(appos[0])
                if m is not None and m.named and m.type in ("Person", "Organization") and lemma in PERSON_ROLES:
                    m.type = "Person"  # a title makes a person of what NER called an organisation
                    holders = [m]
                elif m is not None and m.named and m.type in ACTOR_TYPES and lemma not in PERSON_ROLES:
                    holders = [m]  # "Hamas's armed wing, the Qassam Brigades"
        if not holders:
            return
        groups: list[Mention] = []
        # words of the title itself ("Prime", "Minister") are not the group; "army" in "army chief" is
        title_words = {w for w in lemma.split() if HEAD_TYPES.get(w, "Person") == "Person"}
        for c in noun.children:
            if c.dep_ == "prep" and (c.lower_ == "of" or c.lower_ == "for" and lemma in SPEAKER_ROLES):
                groups.extend(self._objects([p for p in c.children if p.dep_ == "pobj"], pred))
        if not groups:
            for c in noun.children:
                if (c.dep_ in ("poss", "compound", "amod", "nmod") and c.i < noun.i and c.lower_ not in title_words
                        and c.lower_ not in PORTFOLIO_WORDS and c.lower_ not in DEPUTY_WORDS):
                    if c.lower_ in PERSONAL_PRONOUNS:
                        m = self._named_antecedent(c)
                    else:
                        m = self.ents.resolve(c)
                    if m is not None and m.type in ACTOR_TYPES and m.named:
                        groups.append(m)
                        break
        if not groups and noun.dep_ == "compound" and lemma in lex.role_nouns:
            # "Iran ally Hezbollah": the owner may hang on the name, beside the role noun
            groups = [m for c in noun.head.children if c.dep_ == "compound" and c.i < noun.i
                      and (m := self.ents.resolve(c)) is not None and m.named and m.type in ACTOR_TYPES]
        if not groups and noun.dep_ == "compound":
            # "Rwanda's President Paul Kagame": the possessor hangs on the name
            for c in noun.head.children:
                if c.dep_ != "poss":
                    continue
                # "its army chief Muhoozi Kainerugaba": the pronoun's antecedent
                m = self._named_antecedent(c) if c.lower_ in PERSONAL_PRONOUNS else self.ents.resolve(c)
                if m is not None and m.type in ACTOR_TYPES:
                    groups.append(m)
        if not groups and pred == "leads" and lemma.split()[0] in WORDS.army_heads:
            # "army chief General X" with no owner named: the army the story spoke of
            m = self.ents._antecedent(noun, lemma.split()[0])
            if m is not None and m.type == "MilitaryForce":
                groups.append(m)
        if not groups and pred == "leads" and lemma in HEAD_OF_STATE:
            # "Prime Minister Benjamin Netanyahu": the gazetteer knows whose prime minister he is
            for h in holders:
                entry = self.ents.gaz.entries.get(h.key)
                cid = self.ents.gaz.country_by_iso.get(entry.country or "") if entry else None
                if cid:
                    groups.append(self.ents._country_mention(cid, noun))
        yield from self._emit(holders, pred, groups, noun, 0.65)
