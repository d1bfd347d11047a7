"""The editable data behind extraction: ``ontology/lexicon.toml`` and ``ontology/gazetteer.toml``.

Both are read once into plain lookup tables so the per-token rules are dictionary hits.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
LEXICON_PATH = ONTOLOGY_DIR / "lexicon.toml"

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


@functools.cache
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lex = Lexicon()
    for pred, spec in data["relations"].items():
        for w in spec.get("verbs", []):
            lex.verbs.setdefault(w, pred)
        for w in spec.get("control_verbs", []):
            lex.control_verbs.setdefault(w, pred)
        for w in spec.get("nouns", []):
            lex.nouns.setdefault(w, pred)
        lex.noun_preps[pred] = set(spec.get("noun_preps", []))
        lex.light_verbs.update(spec.get("light_verbs", []))
        lex.transfer_verbs.update(spec.get("transfer_verbs", []))
        lex.transfer_objects.update(spec.get("transfer_objects", []))
        lex.receive_verbs.update(spec.get("receive_verbs", []))
        for word, prep in spec.get("participles", []):
            lex.participles.setdefault(word, (pred, prep))
        for verb, obj, prep in spec.get("phrases", []):
            lex.phrases.setdefault(verb, []).append((pred, obj, prep))
        for w in spec.get("role_nouns", []):
            lex.role_nouns.setdefault(w, pred)
        lex.titles.update(spec.get("titles", []))
        lex.inverse_participles.update(spec.get("inverse_participles", []))
        lex.place_only.update(spec.get("place_only", []))
        lex.fall_verbs.update(spec.get("fall_verbs", []))
        lex.expel_verbs.update(spec.get("expel_verbs", []))
    st = data["statements"]
    for kind in ("reported", "confirmed", "denied", "claimed"):
        for w in st.get(kind, []):
            lex.statements.setdefault(w, kind)
    lex.appeals = set(st.get("appeals", []))
    lex.statement_anaphors = set(st.get("anaphors", []))
    lex.according = set(st.get("according", []))
    lex.reporter_types = set(st.get("reporter_types", []))
    lex.lemma_fixes = dict(data.get("lemma_fixes", {}))
    mod = data["modality"]
    for name in ("negation", "hypothetical_aux", "conditional_marks", "purpose_marks", "intention_verbs",
                 "intention_nouns"):
        setattr(lex, name, set(mod.get(name, [])))
    return lex
