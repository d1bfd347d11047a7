"""The knowledge graph from a notebook: ``kg.open(path_or_url)`` → query results and the event table as pandas
DataFrames.

``kg.open("kg-data")`` opens a store folder read-only; ``kg.open("http://127.0.0.1:5000/sparql")`` reads any
SPARQL 1.1 endpoint (``kg serve``, Virtuoso, Fuseki …) through the remote store, i.e. with SPARQL 1.1 Query
only. pandas is imported when a DataFrame is first asked for (``pip install 'conflict-kg[notebook]'``).

Column types follow the literals: a column whose values are all integers (``xsd:integer`` and its
sub-types) becomes a nullable ``Int64`` column, all decimals or doubles ``float64``, all booleans
``boolean``, all ``xsd:date`` / ``xsd:dateTime`` without a time zone ``datetime64``; anything else (IRIs,
strings, a mix, ``xsd:gYear``) stays text (``object``), and an unbound value is missing (``<NA>``, ``NaN``,
``NaT`` or None).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .events_table import COLUMNS, EventFilter, event_rows
from .namespaces import PREFIXES
from .store import Store
from .store import terms as rdf

if TYPE_CHECKING:
    import pandas

__all__ = ["KnowledgeGraph", "open_graph"]

_XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {f"{_XSD}{t}" for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
FLOAT_TYPES = {f"{_XSD}{t}" for t in ("decimal", "double", "float")}
DATE_TYPES = {f"{_XSD}date", f"{_XSD}dateTime"}
BOOLEAN = f"{_XSD}boolean"


class KnowledgeGraph:
    """A read-only view of one store for analysis. Use as a context manager, or call :meth:`close`. ``base``: the
    base IRI whose events :meth:`events` lists (None: every event the store holds)."""

    def __init__(self, store: Store, base: str | None = None):
        self.store = store
        self.base = base

    def query(self, sparql: str) -> pandas.DataFrame:
        """A SELECT's solutions as a DataFrame (one column per variable, typed by the literals); an ASK's answer
        as a one-cell ``ask`` column; a CONSTRUCT's or DESCRIBE's triples as ``subject``, ``predicate``,
        ``object``. The prefixes ``ck:``, ``rdfs:``, ``sem:`` … are predeclared, and the default graph is the
        union of all graphs, as at the endpoint."""
        import pandas as pd

        result = self.store.query(sparql, prefixes={p: str(ns) for p, ns in PREFIXES.items()},
                                  use_default_graph_as_union=True)
        if isinstance(result, rdf.QueryBoolean):
            return pd.DataFrame({"ask": [bool(result)]})
        if isinstance(result, rdf.QueryTriples):
            triples = [(t.subject, t.predicate, t.object) for t in result]
            return _frame(["subject", "predicate", "object"], triples)
        names = [v.value for v in result.variables]
        return _frame(names, [tuple(solution[n] for n in names) for solution in result])

    def events(self, type: str | None = None, actor: str | None = None, start: str | None = None,
               end: str | None = None) -> pandas.DataFrame:
        """The event table (README: The event table) as a DataFrame, one row per event. ``type``: a PLOVER type
        (``"ASSAULT"``) or ontology class (``"Capture"``); ``actor``: an IRI or label of a source or target;
        ``start`` / ``end``: ISO dates or prefixes (``"2024-12"``), inclusive; undated events are left out
        when a date bound is given."""
        import pandas as pd

        rows = event_rows(self.store, EventFilter(type=type, actor=actor, start=start, end=end), base=self.base)
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        for column in ("quantity", "geonames_id", "sentence_start", "sentence_end", "trigger_start", "trigger_end"):
            frame[column] = frame[column].astype("Int64")
        for column in ("latitude", "longitude", "confidence"):
            frame[column] = frame[column].astype("float64")
        return frame

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {self.store}>"


def open_graph(location: str | os.PathLike[str], *, base_iri: str | None = None) -> KnowledgeGraph:
    """Open a store folder or an http(s) SPARQL endpoint URL read-only (``kg.open``). At an endpoint that holds
    several knowledge graphs, ``base_iri`` picks the one whose events :meth:`KnowledgeGraph.events` lists."""
    store = Store(location, read_only=True, base_iri=base_iri)
    return KnowledgeGraph(store, base=store.iris.base if base_iri is not None and not store.local else None)


def _python(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, rdf.Literal):
        dt = term.datatype.value
        try:
            if dt in INTEGER_TYPES:
                return int(term.value)
            if dt in FLOAT_TYPES:
                return float(term.value)
            if dt == BOOLEAN:
                return term.value in ("true", "1")
        except ValueError:
            return term.value  # an ill-typed literal stays text
    return term.value


def _kind(term: Any) -> str | None:
    """The column type a term allows: int, float, bool, datetime or text (None for an unbound value)."""
    if term is None:
        return None
    if not isinstance(term, rdf.Literal):
        return "text"
    dt = term.datatype.value
    if dt in INTEGER_TYPES:
        return "int"
    if dt in FLOAT_TYPES:
        return "float"
    if dt == BOOLEAN:
        return "bool"
    if dt in DATE_TYPES:
        return "datetime"
    return "text"


def _frame(names: list[str], rows: list[tuple]) -> pandas.DataFrame:
    import pandas as pd

    columns: dict[str, Any] = {}
    for i, name in enumerate(names):
        terms = [row[i] for row in rows]
        kinds = {k for t in terms if (k := _kind(t)) is not None}
        values = [_python(t) for t in terms]
        if kinds == {"int"}:
            columns[name] = pd.array(values, dtype="Int64")
        elif kinds <= {"int", "float"} and kinds:
            columns[name] = pd.array([None if v is None else float(v) for v in values], dtype="float64")
        elif kinds == {"bool"}:
            columns[name] = pd.array(values, dtype="boolean")
        elif kinds == {"datetime"} and _naive(values):
            columns[name] = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce")
        else:
            columns[name] = pd.Series(values, dtype="object")
    return pd.DataFrame(columns, columns=names)


def _naive(values: list) -> bool:
    """Dates and times without a time zone: pandas cannot hold a column of mixed zones (they stay text)."""
    return all(v is None or not (v.endswith("Z") or "+" in v[10:] or v[10:].count("-")) for v in values)
