"""Who asserts a relation (claimed / denied / confirmed / reported by X) and whether it is asserted at all.

Both are read off the dependency path from the trigger word up to the sentence root: statement verbs on
that path attribute the fact to their subject; modal auxiliaries, "if", purpose clauses, intention verbs
and negation on the path (below the first statement verb) make it a non-fact.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Span, Token

from kg.records import Attribution, Modality
from kg.records import Span as CharSpan

from .entities import DocEntities, Mention
from .lexicon import Lexicon, load_words

# "so it can attack" is a purpose (intended) more than an ability (hypothetical)
WORDS = load_words()  # word classes: kg/nlp/words.toml
MODALITY_RANK: dict[str, int] = {"question": 5, "negated": 4, "conditional": 3, "intended": 2,
                                 "hypothetical": 1, "asserted": 0}


DEPLOY_VERBS = WORDS.deploy_verbs
CONTENT_NOUNS = WORDS.content_nouns


def _content_clause(node: Token) -> bool:
    """'a statement that they captured X': the clause is what the statement says."""
    return node.dep_ == "acl" and node.head.lemma_.lower() in CONTENT_NOUNS and any(
        c.dep_ == "mark" and c.lower_ == "that" for c in node.children)


def modality(trigger: Token, sent: Span, lex: Lexicon) -> Modality:
    if sent.text.rstrip().endswith("?"):
        return "question"
    cues: set[str] = set()
    node = trigger
    while True:
        lemma = node.lemma_.lower()
        if node.i != trigger.i and (lemma in lex.statements):
            break
        for c in node.children:
            dep, low = c.dep_, c.lower_
            if dep == "neg" or (dep in ("advmod", "det") and low in ("never", "no") and c.i < node.i):
                cues.add("negated")
            elif dep == "aux" and low in lex.hypothetical_aux:
                cues.add("hypothetical")
            elif dep == "mark" and low in lex.conditional_marks:
                cues.add("conditional")
            elif dep == "advcl" and any(m.dep_ == "mark" and m.lower_ in lex.conditional_marks
                                        for m in c.children):
                cues.add("conditional")  # "would send troops if asked"
            elif dep == "mark" and low in lex.purpose_marks:
                cues.add("intended")
        if node.dep_ == "advcl" and node.tag_ == "VB" and any(c.dep_ == "aux" and c.lower_ == "to"
                                                                for c in node.children):
            if not (lex.verbs.get(lemma) == "backs" and node.head.lemma_.lower() in DEPLOY_VERBS
                    and node.head.tag_ in ("VBD", "VBN", "VBZ")):
                cues.add("intended")  # purpose infinitive: "... to help the Syrian government"
            # but "crossed into Syria to reinforce the army": the deployment is the support
        head = node.head
        if node.dep_ in ("nsubj", "nsubjpass", "csubj") and node.i != trigger.i:
            break  # the subject phrase is presupposed: "Egypt, an ally, would ..." keeps the apposition
        if node.dep_ in ("relcl", "acl", "appos") and not (node.dep_ == "acl" and head.lemma_.lower()
                                                            in lex.intention_nouns):
            break  # a relative clause or participle is presupposed, whatever the main clause says
        if node.dep_ in ("xcomp", "ccomp", "pcomp") and head.lemma_.lower() in lex.intention_verbs:
            cues.add("intended")
            if head.lemma_.lower() == "consider":
                cues.add("hypothetical")
        if node.dep_ in ("acl", "pcomp") and head.lemma_.lower() in lex.intention_nouns:
            cues.add("intended")
        if node.dep_ == "pcomp" and head.dep_ == "prep" and head.head.lemma_.lower() in lex.intention_nouns:
            cues.add("intended")
        if head.i == node.i or node.dep_ == "ccomp":
            break  # "It should be noted that X invaded Y": the embedding clause's modals stay there
        if lemma in lex.appeals and node.i != trigger.i:
            cues.add("intended")
            break
        node = head
    return max(cues, key=MODALITY_RANK.__getitem__, default="asserted")  # type: ignore[return-value]


def _presupposed(trigger: Token) -> bool:
    """True inside a relative clause, participle or apposition: background, not the reported news."""
    node = trigger
    while True:
        if node.dep_ in ("relcl", "acl", "appos", "amod") and not _content_clause(node):
            return True
        if node.pos_ in ("NOUN", "PROPN") and node.i == trigger.i and node.dep_ != "ROOT":
            return True  # role nouns and event nouns ("envoy of", "support for") describe
        if node.head.i == node.i or node.dep_ in ("ccomp", "xcomp", "advcl", "conj", "ROOT"):
            return False
        node = node.head


class Attributor:
    def __init__(self, ents: DocEntities, lex: Lexicon,
                 pronoun_resolver: Callable[[Token, Token], Mention | None]):
        self.ents = ents
        self.lex = lex
        self.pronoun = pronoun_resolver
        self._sent_cache: dict[int, list[tuple[int, Attribution]]] = {}

    def _source(self, tok: Token, verb: Token) -> tuple[str | None, str | None]:
        if tok.pos_ == "PRON":
            m = self.pronoun(tok, verb)
        else:
            m = self.ents.resolve(tok)
        if m is not None:
            return self.ents.use(m), m.label
        text = " ".join(t.text for t in tok.doc[tok.left_edge.i:tok.i + 1] if t.dep_ != "det" and not t.is_punct)
        return None, text or None

    def _kind(self, lemma: str, source_key: str | None) -> str:
        kind = self.lex.statements[lemma]
        if kind == "claimed" and source_key and source_key in self.ents.entities:
            if self.ents.entities[source_key].type in self.lex.reporter_types:
                return "reported"
        return kind

    def _speaker(self, verb: Token) -> Token | None:
        for c in verb.children:
            if c.dep_ in ("nsubj", "csubj"):
                return c
            if c.dep_ == "agent":
                return next((p for p in c.children if p.dep_ == "pobj"), None)
        if verb.dep_ in ("acl", "relcl") and verb.head.lower_ not in self.lex.statement_anaphors:
            return verb.head
        return None

    def attributions(self, trigger: Token, sent: Span) -> list[Attribution]:
        out: list[Attribution] = []
        seen: set[tuple[str, str | None]] = set()

        def add(kind: str, key: str | None, label: str | None, verb: Token) -> None:
            if (kind, key or label) in seen:
                return
            seen.add((kind, key or label))
            out.append(Attribution(kind, key, label, CharSpan(verb.idx, verb.idx + len(verb), verb.text)))  # type: ignore[arg-type]

        # statement verbs that govern the trigger: "the jihadists said they captured ..."
        node = trigger
        # a subject noun phrase ("Rwanda's President Kagame denied ...") is not what its verb states
        while node.head.i != node.i and (node.dep_ not in ("relcl", "acl", "appos", "nsubj", "nsubjpass", "csubj")
                                         or _content_clause(node)):
            node = node.head
            lemma = node.lemma_.lower()
            if lemma in self.lex.statements:
                speaker = self._speaker(node)
                if speaker is not None:
                    key, label = self._source(speaker, node)
                    add(self._kind(lemma, key), key, label, node)
                    # the nearest statement governs: in "X bombed Y, aid groups say; Moscow denies Z" the
                    # denial has its own object
                    break
        # sentence-level: "..., the AP agency reported", "which was confirmed by X", "according to X"
        presupposed = _presupposed(trigger)
        for tok, att in self._sentence_level(sent):
            if att.kind in ("denied", "confirmed") and (tok < trigger.i or presupposed):
                continue  # "..., something denied by X" denies the main clause, not a "led by" aside
            add(att.kind, att.source_key, att.source_label, sent.doc[tok])
        return out

    def _sentence_level(self, sent: Span) -> list[tuple[int, Attribution]]:
        if sent.start in self._sent_cache:
            return self._sent_cache[sent.start]
        found: list[tuple[int, Attribution]] = []
        lex = self.lex
        for tok in sent:
            lemma = tok.lemma_.lower()
            if tok.lower_ in lex.according:
                for prep in tok.children:
                    for p in prep.children if prep.lower_ == "to" else []:
                        if p.dep_ == "pobj":
                            for src in [p, *p.conjuncts]:
                                key, label = self._source(src, tok)
                                found.append((tok.i, Attribution("reported", key, label)))
            elif lemma in lex.statements and tok.pos_ in ("VERB", "AUX"):
                anaphoric = tok.head.lower_ in lex.statement_anaphors or any(
                    c.lower_ in lex.statement_anaphors and c.dep_ in ("nsubjpass", "dobj", "nsubj")
                    for c in tok.children if c.i < tok.i)
                inverted = (tok.dep_ in ("ccomp", "parataxis", "conj", "ROOT")
                            and not any(c.dep_ in ("ccomp", "xcomp") for c in tok.children)
                            and tok.i > sent.start + 2 and sent.doc[tok.i - 1].dep_ in ("nsubj",))
                if anaphoric or inverted:
                    speaker = self._speaker(tok)
                    if speaker is not None and speaker.lower_ not in lex.statement_anaphors:
                        key, label = self._source(speaker, tok)
                        found.append((tok.i, Attribution(self._kind(lemma, key), key, label)))  # type: ignore[arg-type]
        self._sent_cache[sent.start] = found
        return found
