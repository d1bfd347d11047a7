"""The editable data behind the extraction rules: ``ontology/lexicon.toml`` (which words express which
relation) and ``kg/nlp/words.toml`` (word classes the grammar rules test). The gazetteer is ``gazetteer.py``.

Both files are read once into plain lookup tables so the per-token rules are set and dictionary hits. Loading
rejects, with one line naming the file: a word listed twice in one list, a word that two relations claim for
the same construction (a verb cannot mean both ``captured`` and ``attacked``), a word given two classes in one
table of ``words.toml``, and a word-class name defined twice.
"""

from __future__ import annotations

import functools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
LEXICON_PATH = ONTOLOGY_DIR / "lexicon.toml"
WORDS_PATH = Path(__file__).resolve().parent / "words.toml"

@dataclass
class Lexicon:
    """Inverted indexes: lemma -> predicate, per construction."""

    verbs: dict[str, str] = field(default_factory=dict)
    control_verbs: dict[str, str] = field(default_factory=dict)
    nouns: dict[str, str] = field(default_factory=dict)
    noun_preps: dict[str, set[str]] = field(default_factory=dict)
    light_verbs: set[str] = field(default_factory=set)
    transfer_verbs: set[str] = field(default_factory=set)
    transfer_objects: set[str] = field(default_factory=set)
    receive_verbs: set[str] = field(default_factory=set)
    participles: dict[str, tuple[str, str]] = field(default_factory=dict)  # word -> (predicate, prep)
    phrases: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # verb -> [(pred, obj, prep)]
    role_nouns: dict[str, str] = field(default_factory=dict)
    titles: set[str] = field(default_factory=set)
    inverse_participles: set[str] = field(default_factory=set)
    place_only: set[str] = field(default_factory=set)
    fall_verbs: set[str] = field(default_factory=set)
    expel_verbs: set[str] = field(default_factory=set)
    statements: dict[str, str] = field(default_factory=dict)  # lemma -> claimed/denied/confirmed/reported
    appeals: set[str] = field(default_factory=set)
    statement_anaphors: set[str] = field(default_factory=set)
    according: set[str] = field(default_factory=set)
    reporter_types: set[str] = field(default_factory=set)
    negation: set[str] = field(default_factory=set)
    hypothetical_aux: set[str] = field(default_factory=set)
    conditional_marks: set[str] = field(default_factory=set)
    purpose_marks: set[str] = field(default_factory=set)
    intention_verbs: set[str] = field(default_factory=set)
    intention_nouns: set[str] = field(default_factory=set)
    lemma_fixes: dict[str, str] = field(default_factory=dict)
    hyphenated: frozenset[str] = frozenset()  # "re-taking": kept as one token (model.py)


def _words(where: str, owner: str, values: list) -> list:
    """A list of one table, checked for repeats."""
    seen: set = set()
    for v in values:
        k = json.dumps(v) if isinstance(v, list) else v
        if k in seen:
            raise InputError(where, f"{owner}: {v!r} is listed twice")
        seen.add(k)
    return values


def _claim(where: str, table: dict, word: str, value: str, what: str) -> None:
    """``table[word] = value`` unless another value already holds it."""
    if table.get(word, value) != value:
        raise InputError(where, f"{what} {word!r} is claimed by both {table[word]!r} and {value!r}")
    table[word] = value


@functools.cache
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    where = path.name
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lex = Lexicon()
    for pred, spec in data["relations"].items():
        for key, values in spec.items():
            _words(where, f"relations.{pred}.{key}", values)
        for w in spec.get("verbs", []):
            _claim(where, lex.verbs, w, pred, "verb")
        for w in spec.get("control_verbs", []):
            _claim(where, lex.control_verbs, w, pred, "control verb")
        for w in spec.get("nouns", []):
            _claim(where, lex.nouns, w, pred, "noun")
        lex.noun_preps[pred] = set(spec.get("noun_preps", []))
        lex.light_verbs.update(spec.get("light_verbs", []))
        lex.transfer_verbs.update(spec.get("transfer_verbs", []))
        lex.transfer_objects.update(spec.get("transfer_objects", []))
        lex.receive_verbs.update(spec.get("receive_verbs", []))
        for word, prep in spec.get("participles", []):
            if lex.participles.get(word, (pred, prep)) != (pred, prep):
                raise InputError(where, f"participle {word!r} is claimed by both {lex.participles[word]} and "
                                        f"{(pred, prep)}")
            lex.participles[word] = (pred, prep)
        for verb, obj, prep in spec.get("phrases", []):
            lex.phrases.setdefault(verb, []).append((pred, obj, prep))
        for w in spec.get("role_nouns", []):
            _claim(where, lex.role_nouns, w, pred, "role noun")
        lex.titles.update(spec.get("titles", []))
        lex.inverse_participles.update(spec.get("inverse_participles", []))
        lex.place_only.update(spec.get("place_only", []))
        lex.fall_verbs.update(spec.get("fall_verbs", []))
        lex.expel_verbs.update(spec.get("expel_verbs", []))
    st = data["statements"]
    for key, values in st.items():
        _words(where, f"statements.{key}", values)
    for kind in ("reported", "confirmed", "denied", "claimed"):
        for w in st.get(kind, []):
            _claim(where, lex.statements, w, kind, "statement verb")
    lex.appeals = set(st.get("appeals", []))
    lex.statement_anaphors = set(st.get("anaphors", []))
    lex.according = set(st.get("according", []))
    lex.reporter_types = set(st.get("reporter_types", []))
    lex.lemma_fixes = dict(data.get("lemma_fixes", {}))
    lex.hyphenated = frozenset(form for form in lex.lemma_fixes if "-" in form)
    mod = data["modality"]
    for name in ("negation", "hypothetical_aux", "conditional_marks", "purpose_marks", "intention_verbs",
                 "intention_nouns"):
        setattr(lex, name, set(mod.get(name, [])))
    return lex


class Words:
    """The word classes of ``words.toml`` as attributes: ``words.place_heads`` is a frozenset, ``words.head_types``
    (a table of lists) a dict word -> class."""

    def __init__(self, tables: dict[str, frozenset[str] | dict[str, str]]):
        self._tables = tables

    def __getattr__(self, name: str):
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(f"words.toml has no word class {name!r}") from None

    def names(self) -> set[str]:
        return set(self._tables)


@functools.cache
def load_words(path: Path = WORDS_PATH) -> Words:
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"invalid TOML: {exc}") from None
    tables: dict[str, frozenset[str] | dict[str, str]] = {}

    def define(name: str, value) -> None:
        if name in tables:
            raise InputError(where, f"word class {name!r} is defined twice")
        tables[name] = value

    for section, body in data.items():
        for name, value in body.items():
            if isinstance(value, list):
                define(name, frozenset(_words(where, f"{section}.{name}", [w.lower() for w in value])))
            elif isinstance(value, dict):  # class -> [words], inverted to word -> class
                inverted: dict[str, str] = {}
                for cls, words in value.items():
                    for w in _words(where, f"{section}.{name}.{cls}", [w.lower() for w in words]):
                        _claim(where, inverted, w, cls, f"{section}.{name}: word")
                define(name, inverted)
            else:
                raise InputError(where, f"{section}.{name}: expected a list of words or a table of lists")
    return Words(tables)
