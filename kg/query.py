"""Running SPARQL against a store, checking it is safe to run, and rendering results for the terminal.

Safety, in two layers. Oxigraph can reach the network (``SERVICE <http://…>``, ``LOAD <http://…>``) and
``LOAD`` can read local files. :func:`analyze` parses every query and update with a real SPARQL grammar
(tree-sitter-sparql) and refuses, before evaluation, text that does not parse, is too long or too deeply
nested, and the ``SERVICE`` and ``LOAD`` operations and ``file:`` IRIs found in the parse tree — so
``"SERVICE"`` in a string, ``ex:service`` or ``?service`` pass, a SERVICE after ``"x"@en.`` does not. And
queries run in worker processes that cannot open sockets or files outside the store (``server/_sandbox.py``):
``kg query`` uses the same worker as the endpoint. FROM / FROM NAMED / default-graph-uri only *select* stored
graphs in Oxigraph (nothing is fetched), so they are allowed.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

from .errors import ForbiddenOperationError, QueryError
from .namespaces import PREFIXES
from .store import Store
from .store import terms as rdf

__all__ = ["run_query", "format_results", "DEFAULT_PREFIXES", "check_safe", "analyze", "QueryInfo",
           "add_using_clauses", "MAX_QUERY_CHARS", "MAX_NESTING"]

DEFAULT_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items()}

RESULT_FORMATS = {"json": rdf.QueryResultsFormat.JSON, "csv": rdf.QueryResultsFormat.CSV,
                  "tsv": rdf.QueryResultsFormat.TSV, "xml": rdf.QueryResultsFormat.XML}

# --------------------------------------------------------------------------------- the check
MAX_QUERY_CHARS = 10 * 1024 * 1024  # as the endpoint's default body cap: a longer text is refused unread
MAX_NESTING = 64  # brackets ({ ( [) inside one another; Oxigraph's recursive parser dies of a stack overflow
_NESTING_NODES = frozenset({"group_graph_pattern", "bracketted_expression", "arg_list", "expression_list",
                            "collection", "blank_node_property_list", "quads", "construct_template",
                            "data_block", "path_element", "sub_select", "triples_template", "quads_not_triples"})
_FORMS = {"select_query": "SELECT", "construct_query": "CONSTRUCT", "describe_query": "DESCRIBE",
          "ask_query": "ASK"}
# \uXXXX and \UXXXXXXXX are decoded anywhere in a query before it is parsed (SPARQL 1.1 § 19.2), as Oxigraph does
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class QueryInfo:
    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None for an update
    has_from: bool  # FROM / FROM NAMED: the query names its own dataset


@lru_cache(maxsize=1)
def _grammar():
    """tree-sitter's SPARQL 1.1 grammar: a C LR parser (microseconds per query) with a heap stack, so deep
    nesting costs time, never the C stack."""
    import tree_sitter
    import tree_sitter_sparql

    with warnings.catch_warnings():  # the grammar package hands over an int pointer, which tree-sitter deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        language = tree_sitter.Language(tree_sitter_sparql.language())
    found = tree_sitter.Query(language, "(service_graph_pattern) @service (load) @load (iri_reference) @iri")
    return tree_sitter.Parser(language), tree_sitter.QueryCursor(found)


def _decode_codepoints(text: str) -> str:
    def sub(m: re.Match) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except ValueError:
            return m.group()
    return _CODEPOINT.sub(sub, text) if "\\u" in text or "\\U" in text else text


def _nesting(node) -> int:
    """How deep bracketed constructs nest under ``node`` (iterative: the tree may be a million levels deep)."""
    deepest = 0
    stack = [(node, 0)]
    while stack:
        n, depth = stack.pop()
        if n.type in _NESTING_NODES:
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((c, depth) for c in n.children)
    return deepest


def _refuse(message: str) -> ForbiddenOperationError:
    return ForbiddenOperationError(f"refused: {message}; this endpoint does not reach other servers or files")


@lru_cache(maxsize=4096)
def analyze(text: str) -> QueryInfo:
    """Parse a SPARQL query or update with a real grammar and refuse what must never run: text that does not
    parse, text longer than :data:`MAX_QUERY_CHARS` or nested deeper than :data:`MAX_NESTING`, ``SERVICE``,
    ``LOAD``, and any ``file:`` IRI (also as a BASE or PREFIX). Returns the query form and whether it has
    FROM clauses. Cached by text: a repeated query costs a dictionary lookup.

    The query workers cannot reach the network or files anyway (``server/_sandbox.py``): this check gives a
    clear 400 and keeps a parser gap from being more than a refused query."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"refused: the query is {len(text)} characters long, over the limit of {MAX_QUERY_CHARS}")
    decoded = _decode_codepoints(text)
    parser, cursor = _grammar()
    tree = parser.parse(decoded.encode("utf-8"))
    root = tree.root_node
    if sum(decoded.count(c) for c in "{([") > MAX_NESTING and _nesting(root) > MAX_NESTING:
        raise QueryError(f"refused: brackets nest more than {MAX_NESTING} deep")
    found = cursor.captures(root)
    if found.get("service"):
        raise _refuse(f"SERVICE (federated query) would make an outbound request "
                      f"(at byte {found['service'][0].start_byte})")
    if found.get("load"):
        raise _refuse("LOAD would fetch a document from the network or read a local file")
    for iri in found.get("iri", []):
        value = iri.text.decode("utf-8", "replace")
        if value[1:].lstrip().lower().startswith("file:"):
            raise _refuse(f"file: IRI {value}; local files are not readable")
    if root.has_error:
        raise SyntaxError(_first_error(root, decoded))
    form, has_from = None, False
    for child in root.children:
        if child.type in _FORMS:
            form = _FORMS[child.type]
            has_from = any(c.type == "dataset_clause" for c in child.children)
    return QueryInfo(form, has_from)


def _first_error(root, text: str) -> str:
    """Where the grammar gave up, in Oxigraph's message shape (``error at LINE:COL: …``)."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_missing:
            return f"error at {n.start_point[0] + 1}:{n.start_point[1] + 1}: expected {n.type}"
        if n.is_error:
            if n.end_byte >= len(text.encode("utf-8").rstrip()):
                line, col = root.end_point
                return f"error at {line + 1}:{col + 1}: the query ends before it is complete"
            bad = n.text.decode("utf-8", "replace").split()
            return (f"error at {n.start_point[0] + 1}:{n.start_point[1] + 1}: unexpected "
                    f"{bad[0][:40]!r}" if bad else "unexpected text")
        stack.extend(reversed([c for c in n.children if c.has_error or c.is_missing]))
    return "error at 1:1: the text does not parse as SPARQL"


def check_safe(text: str) -> None:
    """Raise :class:`ForbiddenOperationError` for SERVICE, LOAD or any ``file:`` IRI, :class:`QueryError` for
    an over-long or over-nested text, SyntaxError when it does not parse (see :func:`analyze`)."""
    analyze(text)


def add_using_clauses(update: str, using: list[str], using_named: list[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to every DELETE/INSERT … WHERE operation.

    Oxigraph has no API for them, so ``USING <g>`` clauses are inserted before the WHERE of each ``modify``
    operation of the parse tree (not the DELETE WHERE short form). An update that already has USING or WITH
    conflicts (protocol § 2.2.3)."""
    if not using and not using_named:
        return update
    decoded = _decode_codepoints(update)
    analyze(decoded)
    parser, _ = _grammar()
    data = decoded.encode("utf-8")
    inserts: list[int] = []
    for op in parser.parse(data).root_node.children:
        if op.type != "modify":
            continue
        for c in op.children:
            if c.type == "using_clause" or c.type.upper() == "WITH":
                raise QueryError("the update has a USING or WITH clause and the request gives using-graph-uri or "
                                 "using-named-graph-uri: the protocol forbids both (SPARQL 1.1 Protocol 2.2.3)")
            if c.type.upper() == "WHERE":
                inserts.append(c.start_byte)
    clause = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    for pos in reversed(inserts):
        data = data[:pos] + clause.encode("utf-8") + data[pos:]
    return data.decode("utf-8")


# --------------------------------------------------------------------------------- evaluation
def run_query(store: Store, sparql: str, *, union_default_graph: bool = True, timeout: float | None = None,
              memory_bytes: int | None = None):
    """Evaluate in a sandboxed query worker (the endpoint's: no network, no files but the store, a memory cap)
    and return pyoxigraph results (solutions, boolean or triples). The well-known prefixes (ck:, rdfs:, ...)
    are predeclared, and the default graph is the union of all graphs so simple queries see every document
    and inference. The text is checked first (:func:`analyze`)."""
    # the worker pool lives with the endpoint; imported here so that the library does not load it otherwise
    from server.executor import QueryPool, QueryTask, default_memory_bytes

    try:
        info = analyze(sparql)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from None
    if info.form is None:
        raise QueryError("kg query runs queries (SELECT, CONSTRUCT, DESCRIBE, ASK); write with kg load or the "
                         "endpoint's SPARQL Update")
    result_format = "ntriples" if info.form in ("CONSTRUCT", "DESCRIBE") else "tsv"
    if info.form == "ASK":
        result_format = "json"
    task = QueryTask(query=sparql, result_format=result_format, prefixes=DEFAULT_PREFIXES,
                     union_default_graph=union_default_graph and not info.has_from, max_rows=2**62)
    if not store.local:
        # a remote store evaluates the query on its own server; this process only sends the checked text
        try:
            return store.query(sparql, prefixes=DEFAULT_PREFIXES,
                               use_default_graph_as_union=union_default_graph and not info.has_from)
        except SyntaxError as e:
            raise QueryError(f"SPARQL syntax error: {e}") from None
    pool = QueryPool(store.path, size=1, timeout=timeout if timeout is not None else 10**7,
                     memory_bytes=memory_bytes if memory_bytes is not None else default_memory_bytes())
    try:
        out = pool.run(task)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from None
    finally:
        pool.close()
    if out.kind == "boolean":
        return rdf.parse_query_results(out.body, format=rdf.QueryResultsFormat.JSON)
    if out.kind == "graph":
        return QueryTriplesResult(out.body)
    return rdf.parse_query_results(out.body, format=rdf.QueryResultsFormat.TSV)


@dataclass(frozen=True)
class QueryTriplesResult:
    """A CONSTRUCT or DESCRIBE result from a worker: its triples as N-Triples."""
    ntriples: bytes

    def __iter__(self):
        return (q.triple for q in rdf.parse(self.ntriples, format=rdf.RdfFormat.N_TRIPLES))


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, rdf.Literal):
        return term.value
    if isinstance(term, rdf.NamedNode):
        return term.value
    return str(term)


def format_results(results, fmt: str = "table") -> str:
    if isinstance(results, rdf.QueryBoolean):
        return ("true" if bool(results) else "false") + "\n"
    if isinstance(results, QueryTriplesResult):
        return results.ntriples.decode()
    if isinstance(results, rdf.QueryTriples):
        return results.serialize(format=rdf.RdfFormat.N_TRIPLES).decode()
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
