"""Counted, unnamed objects: "captured seven villages in Deir ez-Zor province", "killed about 50 soldiers".

Such an object names no place or actor a reader can look up, yet the event is a fact researchers count and
dispute. :func:`counted` reads the count off the parse: the numeral modifying the object's head noun (words
through text2num, digits as written), the words that hedge it ("about", "at least", "more than"), the noun
with its modifiers as the description, and the place a preposition after the noun gives ("villages *in* Idlib").
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token
from text_to_num import text2num

from .lexicon import load_words

__all__ = ["Count", "count_of", "counted"]

# "villages in Idlib", "positions near Hama": where the counted things are
COUNTED_PLACE_PREPS = load_words().counted_place_preps


@dataclass(frozen=True)
class Count:
    quantity: int
    qualifier: str | None  # "about", "at least", "more than"; None for an exact count
    description: str  # the counted noun and its modifiers as written: "villages", "other major towns"
    place: Token | None  # the object of "in"/"near" after the noun, when there is one


def _number(tokens: list[Token]) -> int | None:
    text = " ".join(t.text for t in tokens)
    digits = text.replace(",", "").replace(" ", "")
    if digits.isdigit():
        return int(digits)
    try:
        return int(text2num(text.lower().replace("-", " "), "en"))
    except ValueError:
        return None  # "dozens", "a few": no number a table can hold


def counted(head: Token) -> Count | None:
    """The count of the noun ``head`` ("seven" of "seven villages"), or None when no numeral counts it."""
    numerals = [c for c in head.children if c.dep_ == "nummod" and c.i < head.i]
    if not numerals:
        return None
    numeral = numerals[0]
    words = sorted(numeral.subtree, key=lambda t: t.i)
    quantity = _number([t for t in words if t.like_num or t.dep_ == "compound"])
    if quantity is None:
        return None
    hedge = [t.lower_ for t in words if t.i < numeral.i and not t.like_num and t.dep_ != "compound"]
    place = next((p for prep in head.children if prep.dep_ == "prep" and prep.lower_ in COUNTED_PLACE_PREPS
                  for p in prep.children if p.dep_ == "pobj"), None)
    # "14 other major towns" → "other major towns": the noun and its modifiers, without the count
    count_words = {t.i for t in words}
    described = [t for t in head.subtree if t.i <= head.i and t.i not in count_words
                 and t.dep_ not in ("det", "predet", "punct")]
    description = "".join(t.text_with_ws for t in described).strip()
    return Count(quantity, " ".join(hedge) or None, description, place)


def count_of(doc: Doc, mention) -> Count | None:
    """The count of an unnamed mention (tokens ``start``–``end`` of ``doc``: "seven villages"); a name is no count."""
    return None if mention.named else counted(doc[mention.start:mention.end].root)
