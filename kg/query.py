"""Running SPARQL against a store and rendering results for the terminal."""

from __future__ import annotations

import pyoxigraph as ox

from .errors import QueryError
from .namespaces import PREFIXES
from .store import Store

__all__ = ["run_query", "format_results", "DEFAULT_PREFIXES"]

DEFAULT_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items()}

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                  "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}


def run_query(store: Store, sparql: str, *, union_default_graph: bool = True):
    """Evaluate with Oxigraph. The well-known prefixes (ck:, rdfs:, ...) are predeclared, and the
    default graph is the union of all graphs so simple queries see every document and inference."""
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
