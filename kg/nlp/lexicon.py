"""The editable data behind the extraction rules: ``ontology/lexicon.toml`` (which words express which
relation), ``ontology/plover-lexicon.toml`` (which words and argument frames express which PLOVER event type
and mode) and ``kg/nlp/words.toml`` (word classes the grammar rules test). The gazetteer is ``gazetteer.py``.

Both files are read once into plain lookup tables so the per-token rules are set and dictionary hits. Loading
rejects, with one line naming the file: a word listed twice in one list, a word that two relations claim for
the same construction (a verb cannot mean both ``captured`` and ``attacked``), a word given two classes in one
table of ``words.toml``, and a word-class name defined twice.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.records import PloverCoding

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


# ---------------------------------------------------------------------------------------------- PLOVER lexicon
PLOVER_LEXICON_PATH = ONTOLOGY_DIR / "plover-lexicon.toml"
WORD_SPLIT = re.compile(r"[\w'’.]+|-")


def lexicon_words(text: str) -> tuple[str, ...]:
    """A lexicon entry as the tokens spaCy makes of it: 'machine-gun fire' → ('machine', '-', 'gun', 'fire')."""
    return tuple(WORD_SPLIT.findall(text.lower()))


@dataclass(frozen=True)
class PloverTrigger:
    """One sense of a trigger word or phrase: its coding and where its arguments are (see plover-lexicon.toml)."""

    coding: PloverCoding
    words: tuple[str, ...]  # the whole trigger, as token forms (lemmas)
    source: tuple[str, ...]
    target: tuple[str, ...]
    objects: frozenset[str] = frozenset()  # `with`: the verb's object head must be one of these
    subjects: frozenset[str] = frozenset()  # `subj_with`
    modifiers: frozenset[str] = frozenset()  # `noun_with`
    bare: bool = False  # `bare`: a conditional verb sense that also holds with no object ("the army withdrew")

    @property
    def conditional(self) -> bool:
        return bool(self.objects or self.subjects or self.modifiers)


@dataclass(frozen=True)
class Embedding:
    """A verb or noun whose complement is the event it reports: 'threatened to attack', 'demanded the release'."""

    type: str
    complement: dict[str, str]  # complement type ("FIGHT") or type and mode ("FIGHT.occupy") -> this event's mode

    def mode_for(self, coding: PloverCoding | None) -> str | None:
        """This event's mode for a complement coded ``coding`` (None: no complement event); None if it does not
        embed that kind of event."""
        table = self.complement
        if coding is None:
            return table.get("*")
        for key in (f"{coding.type}.{coding.mode}", coding.type, "*"):
            if key in table:
                return table[key]
        return None


@dataclass(frozen=True)
class FamilyCoding:
    """How a relation family of lexicon.toml is coded in PLOVER: the types its triggers may take, else a default."""

    types: frozenset[str]
    default: PloverCoding


@dataclass
class PloverLexicon:
    verbs: dict[str, list[PloverTrigger]] = field(default_factory=dict)  # lemma -> senses, conditional first
    nouns: dict[str, list[PloverTrigger]] = field(default_factory=dict)  # first word -> senses, longest first
    phrases: dict[str, list[PloverTrigger]] = field(default_factory=dict)  # verb lemma -> senses, longest first
    embeddings: dict[str, Embedding] = field(default_factory=dict)  # by table name
    embedding_verbs: dict[str, list[Embedding]] = field(default_factory=dict)
    embedding_nouns: dict[str, list[Embedding]] = field(default_factory=dict)
    cameo: dict[str, str] = field(default_factory=dict)  # "TYPE.mode" or "TYPE" -> the first CAMEO code given
    light_verbs: frozenset[str] = frozenset()  # verbs whose subject is the agent of their event-noun object
    statement_nouns: frozenset[str] = frozenset()  # "issued a statement condemning ...": the issuer condemns
    negative_phrases: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # first word -> sequences
    negative_objects: dict[str, frozenset[str]] = field(default_factory=dict)  # verb -> object heads
    families: dict[str, FamilyCoding] = field(default_factory=dict)  # relation predicate -> coding
    future: dict = field(default_factory=dict)  # the [future] table as read
    modality: dict = field(default_factory=dict)  # the [modality] table as read

    def cameo_for(self, type_code: str, mode: str = "") -> str:
        """The CAMEO code the triggers give a type and mode (for events read off an embedding or a future)."""
        return self.cameo.get(f"{type_code}.{mode}") or self.cameo.get(type_code, "")

    def words(self) -> set[str]:
        """Every word that can start a trigger or an embedding."""
        return set(self.verbs) | set(self.nouns) | set(self.phrases) | set(self.embedding_verbs) | set(
            self.embedding_nouns)


def _both_numbers(words: list[str]) -> set[str]:
    """A condition word in both numbers: a token matches by its lemma ("troop") or its form ("troops"), so "troops"
    in the lexicon must also match the singular "the peacekeeping force" of a text."""
    out = set(words)
    for w in words:
        if w.endswith("s") and not w.endswith("ss") and " " not in w:
            out.add(w[:-1])
        elif " " not in w:
            out.add(w + "s")
    return out


def _coding(entry: dict) -> PloverCoding:
    return PloverCoding(entry["type"], entry.get("mode", ""), tuple(entry.get("context", ())), entry.get("cameo", ""))


@functools.cache
def load_plover_lexicon(path: Path = PLOVER_LEXICON_PATH) -> PloverLexicon:
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"invalid TOML: {exc}") from None
    lex = PloverLexicon()
    defaults = data["defaults"]
    for n, entry in enumerate(data["trigger"], 1):
        coding = _coding(entry)
        if coding.cameo:
            lex.cameo.setdefault(f"{coding.type}.{coding.mode}" if coding.mode else coding.type, coding.cameo)
        conds = {k: frozenset(_both_numbers(_words(where, f"trigger {n} {k}", entry.get(k, []))))
                 for k in ("with", "subj_with", "noun_with")}
        for kind, table in (("verbs", lex.verbs), ("nouns", lex.nouns), ("phrases", lex.phrases)):
            frame = defaults["noun" if kind == "nouns" else "verb"]
            for text in _words(where, f"trigger {n} ({entry['type']}) {kind}", entry.get(kind, [])):
                words = lexicon_words(text)
                trig = PloverTrigger(coding, words, tuple(entry.get("source", frame["source"])),
                                     tuple(entry.get("target", frame["target"])),
                                     objects=conds["with"] if kind == "verbs" else frozenset(),
                                     subjects=conds["subj_with"] if kind == "verbs" else frozenset(),
                                     modifiers=conds["noun_with"] if kind == "nouns" else frozenset(),
                                     bare=bool(entry.get("bare")) and kind == "verbs")
                table.setdefault(words[0], []).append(trig)
    for table in (lex.verbs, lex.nouns, lex.phrases):
        for senses in table.values():  # the most specific sense is tried first
            senses.sort(key=lambda t: (-len(t.words), not t.conditional))
    for name, emb in data["embedding"].items():
        e = lex.embeddings[name] = Embedding(emb["type"], dict(emb["complement"]))
        for w in _words(where, f"embedding.{name}.verbs", emb.get("verbs", [])):
            lex.embedding_verbs.setdefault(w, []).append(e)
        for w in _words(where, f"embedding.{name}.nouns", emb.get("nouns", [])):
            lex.embedding_nouns.setdefault(w, []).append(e)
    nominal = data.get("nominal", {})
    lex.light_verbs = frozenset(_words(where, "nominal.light_verbs", nominal.get("light_verbs", [])))
    lex.statement_nouns = frozenset(_words(where, "nominal.statement_nouns", nominal.get("statement_nouns", [])))
    neg = data["negative"]
    for text in _words(where, "negative.phrases", neg.get("phrases", [])):
        words = lexicon_words(text)
        lex.negative_phrases.setdefault(words[0], []).append(words)
    lex.negative_objects = {verb: frozenset(_words(where, f"negative.verb_objects.{verb}", objs))
                            for verb, objs in neg.get("verb_objects", {}).items()}
    for pred, fam in data.get("families", {}).items():
        lex.families[pred] = FamilyCoding(frozenset(fam["types"]), _coding(fam["default"]))
    lex.future = dict(data["future"])
    lex.modality = {k: frozenset(_words(where, f"modality.{k}", v)) for k, v in data["modality"].items()}
    for key in ("hostile_as", "obligation_as"):
        if lex.future[key] not in lex.embeddings:
            raise InputError(where, f"future.{key}: no embedding table {lex.future[key]!r}")
    return lex
