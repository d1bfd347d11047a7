"""Coreference within one document, on the spaCy parse: which mention stands for which entity, and how sure.

No maintained coreference library works offline with spaCy 3.8 here (coreferee 1.5's English model is not on
PyPI: its wheel holds only stub folders; the neural ones fetch weights at run time), so these are rules, each
with the confidence its link gets (``LINK_CONFIDENCE``, measured on the dev documents and re3d's synonym pairs):

- **descriptions of one side**: "the insurgents", "jihadist rebels", "Islamist rebels", "the jihadists" in one
  story are one described group; its label is the description the document uses most. A definite description
  ("the militants") with no earlier description points back to the latest named armed group.
- **role nouns**: "a Hezbollah envoy" is the person the document names as envoy of Hezbollah ("Salman Nimr
  Jamaa, envoy of Hezbollah", "Hezbollah envoy Salman Nimr Jamaa", "X is Hezbollah's envoy").
- **implicit agents**: "two strikes struck a unit" takes the actor the document says conducted the strikes
  ("Coalition forces conducted 20 strikes"), or none.
- pronouns, "the group", "the town" are resolved where the relation rules meet them (relations.py, entities.py)
  and carry ``LINK_CONFIDENCE["pronoun"]`` / ``["definite"]``.

A relation's confidence is its rule's confidence times the weakest link that resolved its arguments.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy
from spacy.attrs import LEMMA
from spacy.tokens import Token

from .lexicon import load_words

if TYPE_CHECKING:
    from .entities import DocEntities, Mention

WORDS = load_words()
LINK_CONFIDENCE = {"description": 0.8, "definite": 0.7, "role": 0.8, "pronoun": 0.75, "implicit_agent": 0.6,
                   "apposition": 0.9}


def linked(m: Mention, kind: str) -> Mention:
    """``m`` reached through a coreference link of ``kind``: same entity, lower confidence."""
    return replace(m, confidence=min(m.confidence, LINK_CONFIDENCE[kind]))


class Coreference:
    def __init__(self, ents: DocEntities):
        self.ents = ents
        self._chain: list[Mention] | None = None
        self._side_words: list[Token] | None = None
        self._lemmas: numpy.ndarray | None = None
        self._roles: dict[tuple[str, str], Mention] | None = None
        self.strikers: list[tuple[int, Mention]] = []  # (token index, actor) of "X conducted N strikes"

    # ------------------------------------------------------------------ descriptions of one side
    def side_member(self, tok: Token, m: Mention) -> bool:
        """'jihadist rebels', 'the insurgents': an unnamed armed group described only by side words."""
        if m.named or m.type != "ArmedGroup" or m.head_lemma not in WORDS.side_heads:
            return False
        mods = [c for c in tok.lefts if c.dep_ in ("amod", "compound", "nmod")]
        return all(c.lower_ in WORDS.side_words or c.lower_ in WORDS.descriptive for c in mods)

    def _with_lemma(self, words: frozenset[str]) -> list[Token]:
        """Tokens whose lemma is one of ``words``, picked from the token array (a Python loop over every token
        of a long article costs more than all the rules)."""
        doc = self.ents.doc
        strings = doc.vocab.strings
        keys = numpy.array(sorted({strings.add(v) for w in words for v in (w, w.capitalize())}), dtype=numpy.uint64)
        if self._lemmas is None:
            self._lemmas = doc.to_array(LEMMA)
        return [doc[int(i)] for i in numpy.flatnonzero(numpy.isin(self._lemmas, keys))]

    def side_words(self) -> list[Token]:
        """Side words outside names, in document order ("rebel positions", "the insurgents")."""
        if self._side_words is None:
            self._side_words = [t for t in self._with_lemma(WORDS.side_heads) if self.ents.tok_mention[t.i] is None]
        return self._side_words

    def chain(self) -> list[Mention]:
        if self._chain is None:
            self._chain = []
            for tok in self.side_words():
                head = tok.dep_ not in ("compound", "amod", "nmod", "poss")  # "rebel positions" describe positions
                if head and tok.pos_ in ("NOUN", "PROPN"):
                    m = self.ents._noun_phrase(tok, describe=False)
                    if m is not None and self.side_member(tok, m):
                        self._chain.append(m)
        return self._chain

    def describe(self, tok: Token, m: Mention) -> Mention:
        """The chain's entity for a side description; a definite one may point back to a named group."""
        if not self.side_member(tok, m):
            return m
        chain = self.chain()
        definite = any(c.lower_ in ("the", "these", "those") for c in tok.children if c.dep_ == "det")
        described_before = any(t.i < m.start for t in self.side_words())  # "rebel positions ... the insurgents"
        if definite and not described_before:
            for prev in reversed(self.ents._ordered_mentions(tok.i)):
                if prev.named and prev.type == "ArmedGroup":
                    return linked(replace(prev, start=m.start, end=m.end), "definite")
        if len(chain) < 2:
            return m
        counts = Counter(c.label.lower() for c in chain)
        best = max(chain, key=lambda c: (counts[c.label.lower()], len(c.label.split()), -c.start))
        if best.label.lower() == m.label.lower():
            return replace(m, key=best.key, label=best.label)
        return linked(replace(m, key=best.key, label=best.label), "description")

    # ------------------------------------------------------------------ role nouns
    def roles(self) -> dict[tuple[str, str], Mention]:
        """(role lemma, organisation key) -> the one person the document names in that role."""
        if self._roles is None:
            found: dict[tuple[str, str], list[Mention]] = {}
            for tok in self._with_lemma(WORDS.person_roles):
                if tok.pos_ != "NOUN":
                    continue
                person = self._role_person(tok)
                owner = self._role_owner(tok)
                if person is not None and owner is not None:
                    found.setdefault((tok.lemma_.lower(), owner.key), []).append(person)
            self._roles = {k: v[0] for k, v in found.items() if len({p.key for p in v}) == 1}
        return self._roles

    def _role_person(self, role: Token) -> Mention | None:
        tm = self.ents.tok_mention
        if role.dep_ == "appos":  # "Salman Nimr Jamaa, envoy of Hezbollah"
            m = tm[role.head.i]
        elif role.dep_ in ("compound", "nmod") and role.head.pos_ == "PROPN":  # "Hezbollah envoy Salman Jamaa"
            m = tm[role.head.i]
        elif role.dep_ == "attr":  # "Jamaa was Hezbollah's envoy"
            subj = next((c for c in role.head.children if c.dep_ == "nsubj"), None)
            m = tm[subj.i] if subj is not None else None
        else:
            appos = next((c for c in role.children if c.dep_ == "appos"), None)  # "Hezbollah's envoy, Jamaa"
            m = tm[appos.i] if appos is not None else None
        if m is None or not m.named or m.type not in ("Person", "Organization"):
            return None
        return replace(m, type="Person")

    def _role_owner(self, role: Token) -> Mention | None:
        for c in role.children:
            if c.dep_ == "prep" and c.lower_ in ("of", "for"):
                for p in c.children:
                    if p.dep_ == "pobj":
                        m = self.ents.resolve(p)
                        if m is not None and m.named and m.type not in ("Person", "Country"):
                            return m
            if c.dep_ in ("poss", "compound", "nmod") and c.i < role.i:
                m = self.ents.tok_mention[c.i]
                if m is not None and m.named and m.type not in ("Person",):
                    return m
        return None

    def role_holder(self, tok: Token, m: Mention) -> Mention:
        """'a Hezbollah envoy' → the person named as Hezbollah's envoy, when the document names exactly one."""
        if m.named or m.type != "Person" or tok.lemma_.lower() not in WORDS.person_roles:
            return m
        owner = self._role_owner(tok)
        holder = self.roles().get((tok.lemma_.lower(), owner.key)) if owner is not None else None
        if holder is None:
            return m
        return linked(replace(holder, start=m.start, end=m.end), "role")

    # ------------------------------------------------------------------ implicit agents
    def strike_agent(self, noun: Token) -> Mention | None:
        """'Near Raqqa, two strikes struck a unit': who the document said conducted strikes before this one."""
        before = [m for i, m in self.strikers if i < noun.i]
        return linked(before[-1], "implicit_agent") if before else None
