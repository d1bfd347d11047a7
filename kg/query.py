"""Running SPARQL against a store, checking it is safe to run, and rendering results for the terminal.

Safety: Oxigraph can reach the network (``SERVICE <http://…>``, ``LOAD <http://…>``) and ``LOAD`` can read
local files. :func:`check_safe` refuses those operations *before* evaluation. It works on tokens, after
comments, string literals and ``<IRIs>`` are recognised, so ``"SERVICE"`` in a string, ``ex:service`` or
``?service`` do not trigger it, while a ``file:`` IRI anywhere (also as a BASE or PREFIX) does.
FROM / FROM NAMED / default-graph-uri only *select* stored graphs in Oxigraph (nothing is fetched), so they
are allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import ForbiddenOperationError, QueryError
from .namespaces import PREFIXES
from .store import Store

__all__ = ["run_query", "format_results", "DEFAULT_PREFIXES", "check_safe", "analyze", "QueryInfo", "tokenize",
           "Token", "add_using_clauses", "query_form"]

DEFAULT_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items()}

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                  "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}

# --------------------------------------------------------------------------------- lexer
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>[^\W\d][\w.\-]*(?::[\w.\-:%\\]*)?|:[\w.\-:%\\]*|_:[\w.\-]+)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str  # comment, string, iri, var, word, punct
    text: str
    start: int


def tokenize(text: str) -> Iterator[Token]:
    """SPARQL tokens, enough to find keywords and IRIs reliably (not a full parser)."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind == "ws":
            continue
        if kind == "punct" and m.group() in "\"'":
            # an unterminated string: the rest is one string token (the parser will report the error)
            yield Token("string", text[m.start():], m.start())
            return
        yield Token(kind, m.group(), m.start())


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_FORBIDDEN_KEYWORDS = {"SERVICE": "SERVICE (federated query) would make an outbound request",
                       "LOAD": "LOAD would fetch a document from the network or read a local file"}
_SCHEME = re.compile(r"^<\s*([A-Za-z][A-Za-z0-9+.\-]*):")


def _unescape(text: str) -> str:
    def sub(m: re.Match) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except ValueError:
            return m.group()
    return _ESCAPE.sub(sub, text)


@dataclass(frozen=True)
class QueryInfo:
    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK (None: not found, e.g. a syntax error)
    has_from: bool  # FROM / FROM NAMED: the query names its own dataset


_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}


# a refusal needs one of these words in the text (or in its \\u-decoded variant): without them only the
# query form and FROM are looked for (non-ASCII text always takes the full scan: "ſervice".upper() is SERVICE)
_QUOTES = frozenset("\"'")
# a prologue of PREFIX / BASE declarations (and comments): skipped in one C-level match in the fast path. Each
# alternative consumes whole tokens, as :func:`tokenize` cuts them, so tokenizing resumes on a token boundary.
_PROLOGUE = re.compile(r"""(?:\s+|\#[^\n\r]*
    |(?:PREFIX\s+(?:[^\W\d][\w.\-]*)?:|BASE)\s*<[^<>"{}|^`\\\x00-\x20]*>)*""", re.IGNORECASE | re.VERBOSE)


def _suspicious(text: str) -> bool:
    if not text.isascii():
        return True
    low = text.lower()
    return "service" in low or "load" in low or "file" in low


def analyze(text: str) -> QueryInfo:
    """One pass over the tokens: refuse what :func:`check_safe` refuses, and return the query form and
    whether the query has a FROM clause.

    Fast path (most queries): when every variant of the text is ASCII without "service", "load" or "file" in any case,
    nothing can be refused (every refusal needs such a word or IRI scheme), so only the query form and FROM
    are looked for, stopping at the form keyword when the text has no "from" at all."""
    variants = [text]
    if "\\u" in text or "\\U" in text:
        variants.append(_unescape(text))
    if not any(_suspicious(v) for v in variants):
        return _form_and_from(text, "from" in text.lower())
    form = None
    has_from = False
    for n, variant in enumerate(variants):
        for m in _TOKEN.finditer(variant):
            kind = m.lastgroup
            if kind == "word":
                word = m.group().upper()
                if n == 0:
                    if form is None and word in _FORMS:
                        form = word
                    elif word == "FROM":
                        has_from = True
                if word in _FORBIDDEN_KEYWORDS:
                    raise ForbiddenOperationError(
                        f"refused: {_FORBIDDEN_KEYWORDS[word]} (at character {m.start()}); "
                        "this endpoint does not reach other servers or files")
            elif kind == "iri":
                s = _SCHEME.match(m.group())
                if s and s.group(1).lower() == "file":
                    raise ForbiddenOperationError(
                        f"refused: file: IRI {m.group()} (at character {m.start()}); local files are not readable")
            elif kind == "punct" and m.group() in _QUOTES:
                break  # an unterminated string: the rest is one string token (see tokenize)
    return QueryInfo(form, has_from)


def _form_and_from(text: str, look_for_from: bool) -> QueryInfo:
    form = None
    has_from = False
    for m in _TOKEN.finditer(text, _PROLOGUE.match(text).end()):
        kind = m.lastgroup
        if kind == "word":
            word = m.group().upper()
            if form is None and word in _FORMS:
                form = word
                if not look_for_from:
                    break
            elif word == "FROM":
                has_from = True
        elif kind == "punct" and m.group() in _QUOTES:
            break
    return QueryInfo(form, has_from)


def check_safe(text: str) -> None:
    """Raise :class:`ForbiddenOperationError` for SERVICE, LOAD, or any ``file:`` IRI.

    SPARQL allows ``\\uXXXX`` escapes anywhere, so the text is also checked with them decoded."""
    analyze(text)


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first query-form keyword after the prologue."""
    for tok in tokenize(text):
        if tok.kind == "word" and tok.text.upper() in {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}:
            return tok.text.upper()
    return None


def add_using_clauses(update: str, using: list[str], using_named: list[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to every DELETE/INSERT … WHERE operation.

    Oxigraph has no API for them, so ``USING <g>`` clauses are inserted before each top-level WHERE (not
    the DELETE WHERE short form). An update that already has USING or WITH conflicts (protocol § 2.2.3)."""
    if not using and not using_named:
        return update
    depth = 0
    prev: Token | None = None
    inserts: list[int] = []
    for tok in tokenize(update):
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth -= 1
        elif tok.kind == "word" and depth == 0:
            word = tok.text.upper()
            if word in {"USING", "WITH"}:
                raise QueryError(f"the update has a {word} clause and the request gives using-graph-uri or "
                                 "using-named-graph-uri: the protocol forbids both (SPARQL 1.1 Protocol 2.2.3)")
            if word == "WHERE" and not (prev is not None and prev.kind == "word" and prev.text.upper() == "DELETE"):
                inserts.append(tok.start)
        if tok.kind != "comment":
            prev = tok
    clause = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    for pos in reversed(inserts):
        update = update[:pos] + clause + update[pos:]
    return update


# --------------------------------------------------------------------------------- evaluation
def run_query(store: Store, sparql: str, *, union_default_graph: bool = True):
    """Evaluate with Oxigraph. The well-known prefixes (ck:, rdfs:, ...) are predeclared, and the
    default graph is the union of all graphs so simple queries see every document and inference.
    SERVICE and file: IRIs are refused before evaluation (:func:`check_safe`)."""
    check_safe(sparql)
    try:
        return store.query(sparql, prefixes=DEFAULT_PREFIXES, use_default_graph_as_union=union_default_graph)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from None
    except OSError as e:
        raise QueryError(f"query failed: {e}") from None


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def format_results(results, fmt: str = "table") -> str:
    if isinstance(results, ox.QueryBoolean):
        return ("true" if bool(results) else "false") + "\n"
    if isinstance(results, ox.QueryTriples):
        return results.serialize(format=ox.RdfFormat.N_TRIPLES).decode()
    if fmt in RESULT_FORMATS:
        return results.serialize(format=RESULT_FORMATS[fmt]).decode()
    names = [v.value for v in results.variables]
    rows = [[_cell(sol[n]) for n in names] for sol in results]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    widths = [min(w, 60) for w in widths]
    line = lambda cells: "  ".join(c[:w].ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
