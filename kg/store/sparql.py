"""A remote store: any SPARQL 1.1 server, spoken to with the standards only.

Reads are SPARQL 1.1 Query requests (``application/sparql-results+json``, N-Triples for graphs); writes are
SPARQL 1.1 Update requests and, when the server has one, the Graph Store HTTP Protocol (GSP). Nothing here
needs a vendor API; tested against Virtuoso 7.2 (Debian's ``virtuoso-opensource-7``). The ``--store`` URL
syntax (endpoints, credentials, options) is in :mod:`kg.store.spec`.

How the Store interface maps onto the protocols:

- Atomic replacement of one graph (:meth:`SparqlStore.put_graph`): the new triples go to a *staging* graph
  (``<base>staging/<hash of the graph IRI>``; a GSP PUT, or SPARQL ``INSERT DATA`` when the server
  has no GSP), then one ``MOVE SILENT <staging> TO <graph>`` request replaces the graph. An upload that
  fails half-way never touches the document graph (the next put of that graph overwrites the staging
  graph). One Update request of ``DROP`` + ``INSERT DATA`` would be a single request too, but Virtuoso 7.2
  runs the operations of a request one by one — an operation that fails leaves the earlier ones applied —
  its ``INSERT DATA`` takes about 1 s per thousand triples and fails past about 5000 lines, and its GSP
  PUT and POST keep the part of a body read before an error. A single ``MOVE`` is one operation.
- Bulk writes (``atomic=False``: the inferred graph) are batched GSP POSTs (``batch`` triples each) and
  batched ``DELETE DATA`` requests.
- Reads page: a stock Virtuoso answers at most 10000 rows (``ResultSetMaxRows``) — silently for CONSTRUCT
  and GSP GET. Streams fetch ``page`` rows at a time (:meth:`SparqlStore._page_results`: LIMIT / OFFSET in
  the server's order, checked against a COUNT). A whole graph is read with GSP GET (5× faster on Virtuoso)
  and its triples counted against the graph's size; a short answer is read again by pages. With only the
  predicate bound, Virtuoso answers in index order, so the copies of one triple in several graphs come one
  after another, as :meth:`Store.quads` promises; a server that does not may repeat triples in an export's
  triple formats. A result the server says it cut (``X-SPARQL-MaxRows``) or stopped at its time limit
  (``X-SQL-State: S1TAT``, Virtuoso's partial "anytime" answers) is never taken for a whole one.
- Literals: Virtuoso stores numbers, booleans and dates as values. What the project writes round-trips
  exactly, with two corrections made here: an ``xsd:decimal`` without a fractional part is sent as
  ``N.0`` (sent as ``N`` it comes back as ``xsd:integer``) and decimals read are put in Oxigraph's
  canonical form; booleans read as ``1``/``0`` become ``true``/``false``; Virtuoso's blank node labels
  (``nodeID://b1``) become valid ones. Not corrected (documented in the README): ``xsd:double`` and
  ``xsd:float`` values come back rounded to 6 significant digits, ill-typed literals (``"x"^^xsd:integer``),
  integers past 64 bits, ``xsd:duration`` and ``xsd:time`` are refused, years before 1000 lose their
  leading zeros. The project writes none of these.
- Consistency: the protocols have no snapshots. A read view checks, when it closes, that the store's size
  and graphs did not change while it was read, and raises if they did. The embedded store's write lock has
  no remote counterpart: one writer at a time is up to the user.
- Transient failures (connection errors, 429, 502, 503, 504) are retried with exponential backoff for
  idempotent requests only (every read, GSP PUT/DELETE, ``DROP``, and the data writes of this module, which
  are idempotent on a set of triples); an arbitrary SPARQL Update from a user is sent once.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from ..errors import StoreError
from ..namespaces import IRIs
from ..xmlguard import refuse_dtd_file
from .base import GraphRef, Store
from .spec import RemoteOptions, StoreSpec, parse_location
from .terms import (
    XSD_DECIMAL,
    BlankNode,
    DefaultGraph,
    GraphName,
    Literal,
    NamedNode,
    Quad,
    QueryResult,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    as_ox_triple,
    canonical_decimal,
    graph_name,
    parse,
    parse_query_results,
    serialize,
)

__all__ = ["SparqlStore"]

_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
_TRANSIENT = {429, 502, 503, 504}
# triples per SPARQL Update request (INSERT DATA / DELETE DATA): Virtuoso's SPARQL compiler runs out of
# memory past about 5000 lines, and takes about 1 s per thousand triples anyway
_UPDATE_BATCH = 1000
_USER_AGENT = "conflict-kg (SPARQL 1.1 client)"
# The prologue (comments, PREFIX and BASE declarations) and the query form keyword: the grammar of a
# prologue is regular, so this is the grammar, not a guess.
_FORM = re.compile(r"""(?:\s+|\#[^\n\r]*|PREFIX\s+(?:[^\W\d][\w.\-]*)?:\s*<[^<>"{}|^`\\\x00-\x20]*>
    |BASE\s*<[^<>"{}|^`\\\x00-\x20]*>)*(SELECT|CONSTRUCT|DESCRIBE|ASK)\b""", re.IGNORECASE | re.VERBOSE)


class SparqlStore(Store):
    """A knowledge graph kept on a SPARQL 1.1 server. ``Store("http://…")`` opens one."""

    exclusive = False  # other clients may write the server at any time
    local = False

    def __init__(self, location: str | StoreSpec, *, read_only: bool = False, base_iri: str | None = None):
        spec = location if isinstance(location, StoreSpec) else parse_location(location)
        if spec.kind != "sparql" or spec.remote is None:
            raise StoreError(f"{spec}: not a SPARQL endpoint URL")
        self.options: RemoteOptions = spec.remote
        self.read_only = read_only or spec.read_only
        self.iris = IRIs(base_iri or spec.base_iri)
        self.spec = replace(spec, read_only=self.read_only, base_iri=base_iri or spec.base_iri)
        self.page_size = self.options.page_size
        self._client = httpx.Client(timeout=httpx.Timeout(self.options.timeout, connect=min(10.0,
                                                                                          self.options.timeout)),
                                    auth=_auth(self.options), headers={"User-Agent": _USER_AGENT},
                                    follow_redirects=False)
        self._scope = f"{self.iris.base}graph/"  # the graphs of this knowledge graph
        self._staging = f"{self.iris.base}staging/"  # where put_graph uploads before its MOVE
        if read_only:
            self._post_query([("query", "ASK {}")], _RESULTS_JSON)  # fail now, in one line, if unreachable
        else:
            # a store opened for writing must accept writes: learn it before the first document is extracted
            self._post_update(f"DROP SILENT GRAPH <{self._staging}probe>", idempotent=True)

    def __str__(self) -> str:
        return self.options.query_url

    # ------------------------------------------------------------------ reading
    def query(self, sparql: str, *, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None,
              use_default_graph_as_union: bool = False, default_graph: Sequence[GraphName] | None = None,
              named_graphs: Sequence[NamedNode] | None = None) -> QueryResult:
        # use_default_graph_as_union: the server decides what its default graph is (Virtuoso: the union)
        text = _prologue(prefixes, base_iri) + sparql
        params: list[tuple[str, str]] = [("query", text)]
        params += [("default-graph-uri", g.value) for g in default_graph or () if isinstance(g, NamedNode)]
        params += [("named-graph-uri", g.value) for g in named_graphs or ()]
        m = _FORM.match(sparql)
        form = m.group(1).upper() if m else "SELECT"
        if form in ("CONSTRUCT", "DESCRIBE"):
            r = self._post_query(params, _NTRIPLES)
            return _query_triples(r.content)
        r = self._post_query(params, _RESULTS_JSON)
        results = _parse_results(r.content)
        if _capped(r) is not None and m is not None and m.group(0).lstrip().upper().startswith("SELECT"):
            # the server cut the answer at its row limit: fetch it page by page (a query with its own
            # prologue cannot become a subquery, and is refused below)
            return _merged_results(self._page_results(_prologue(prefixes, base_iri), sparql, params[1:]))
        if _capped(r) is not None:
            raise StoreError(f"{self}: the server returned its maximum of {_capped(r)} rows, so the answer is "
                             "cut; narrow the query or raise the server's limit (Virtuoso: ResultSetMaxRows)")
        return results

    def quads(self, subject=None, predicate=None, object=None, graph=None) -> Iterator[Quad]:
        if (subject is None and predicate is None and object is None and isinstance(graph, NamedNode)
                and self.options.graph_store_url):
            quads = self._gsp_get(graph)
            if quads is not None:
                return iter(quads)
        return self._select_quads(subject, predicate, object, graph)

    def graphs(self) -> Iterator[NamedNode]:
        for row in self._pages("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            g = row[0]
            if isinstance(g, NamedNode):
                yield g

    def contains_graph(self, graph: GraphRef) -> bool:
        r = self._post_query([("query", f"ASK {{ GRAPH {graph_name(graph)} {{ ?s ?p ?o }} }}")], _RESULTS_JSON)
        return bool(_parse_results(r.content))

    def graph_size(self, graph: GraphRef) -> int:
        return self._count(f"GRAPH {graph_name(graph)} {{ ?s ?p ?o }}")

    def __len__(self) -> int:
        return self._get_count()

    def _get_count(self) -> int:
        """Quads in the graphs of this knowledge graph (``<base>graph/…``): a remote server is shared, and
        holds other graphs too (Virtuoso keeps its own configuration in some)."""
        return self._count(f'GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{_escape(self._scope)}"))')

    def _count(self, pattern: str) -> int:
        r = self._post_query([("query", f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")], _RESULTS_JSON)
        for row in _parse_results(r.content):
            return int(row["n"].value)
        return 0

    @contextmanager
    def read_view(self) -> Iterator[SparqlStore]:
        view = SparqlStore(replace(self.spec, read_only=True))
        before = view._fingerprint()
        try:
            yield view
            if view._fingerprint() != before:
                raise StoreError(f"{self}: the store changed while it was being read (another client wrote "
                                 "to it); run the command again")
        finally:
            view.close()

    def _fingerprint(self) -> tuple[int, str]:
        graphs = sorted(g.value for g in self.graphs() if g.value.startswith(self._scope))
        return self._get_count(), hashlib.sha256("\n".join(graphs).encode()).hexdigest()

    # ------------------------------------------------------------------ writing
    def put_graph(self, graph: GraphRef, triples: Iterable, *, atomic: bool = True) -> int:
        self._check_writable()
        g = graph_name(graph)
        if not isinstance(g, NamedNode):
            raise StoreError(f"{self}: put_graph needs a named graph")
        batch = [_outgoing(as_ox_triple(t)) for t in triples]
        if not batch:
            self.remove_graph(g)
            return 0
        if not atomic:
            self.remove_graph(g)
            self._add(g, batch)
            return len(batch)
        staging = NamedNode(f"{self._staging}{hashlib.sha256(g.value.encode()).hexdigest()[:24]}")
        self._add(staging, batch, replace=True)
        self._move(staging, g)
        return len(batch)

    def remove_graph(self, graph: GraphRef) -> None:
        self._check_writable()
        self._post_update(f"DROP SILENT GRAPH {graph_name(graph)}", idempotent=True)

    def change_graph(self, graph: GraphRef, insert: Iterable, delete: Iterable, *, atomic: bool = True) -> None:
        self._check_writable()
        g = graph_name(graph)
        ins = [_outgoing(as_ox_triple(t)) for t in insert]
        dels = [as_ox_triple(t) for t in delete]
        if not ins and not dels:
            return
        if any(isinstance(x, BlankNode) for t in dels for x in t):
            # the protocols cannot name a stored blank node: rewrite the graph instead
            gone = set(dels)
            keep = [(q.subject, q.predicate, q.object) for q in self.quads(None, None, None, g)
                    if (q.subject, q.predicate, q.object) not in gone]
            self.put_graph(graph, keep + ins, atomic=atomic)
            return
        if atomic:
            parts = [f"DELETE DATA {{ GRAPH {g} {{\n{_lines(dels)}\n}} }}"] if dels else []
            if ins:
                parts.append(_insert(g, ins))
            self._post_update(" ;\n".join(parts), idempotent=True)
            return
        for i in range(0, len(dels), _UPDATE_BATCH):
            chunk = dels[i:i + _UPDATE_BATCH]
            self._post_update(f"DELETE DATA {{ GRAPH {g} {{\n{_lines(chunk)}\n}} }}", idempotent=True)
        self._add(g, ins)

    def update(self, sparql: str, *, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None) -> None:
        self._check_writable()
        self._post_update(_prologue(prefixes, base_iri) + sparql, idempotent=False)

    def load(self, path: str | os.PathLike[str], graph_iri: str | None) -> None:
        self._check_writable()
        fmt = RdfFormat.from_extension(Path(path).suffix.lstrip(".") or "nt")
        if fmt is None:
            raise StoreError(f"{path}: unknown RDF format (use .ttl, .nt, .nq, .trig, .rdf, .jsonld)")
        target = NamedNode(graph_iri) if graph_iri else DefaultGraph()
        if fmt == RdfFormat.RDF_XML:
            refuse_dtd_file(path)  # entity expansion ("billion laughs") would exhaust memory
        by_graph: dict[Any, list] = {}
        try:  # parse it all first: a malformed file adds nothing
            for q in parse(path=str(path), format=fmt):
                g = q.graph_name if fmt.supports_datasets else target
                by_graph.setdefault(g, []).append(_outgoing((q.subject, q.predicate, q.object)))
        except (SyntaxError, OSError) as e:
            raise StoreError(f"{path}: {e}") from e
        for g, triples in by_graph.items():
            self._add(g, triples)

    # ------------------------------------------------------------------ bookkeeping
    def _note_path(self, name: str) -> Path:
        # Notes stay on this machine (the protocols have nowhere to keep them outside the RDF), one folder
        # per endpoint and base IRI.
        root = os.environ.get("KG_STATE_DIR") or os.path.join(
            os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state"),
            "conflict-kg")
        key = hashlib.sha256(f"{self.options.query_url}\n{self.iris.base}".encode()).hexdigest()[:16]
        return Path(root) / key / name

    def read_note(self, name: str) -> str | None:
        try:
            return self._note_path(name).read_text(encoding="utf-8")
        except OSError:
            return None

    def write_note(self, name: str, text: str) -> None:
        path = self._note_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    def flush(self) -> None:
        pass  # a write is durable on the server once its request has been answered

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ protocol
    def _post_query(self, params: list[tuple[str, str]], accept: str) -> httpx.Response:
        form: dict[str, list[str]] = {}
        for key, value in params:
            form.setdefault(key, []).append(value)
        r = self._send("POST", self.options.query_url, idempotent=True, data=form, headers={"Accept": accept})
        if r.status_code == 400:
            raise SyntaxError(f"the server rejected the query: {_error_text(r)}")
        if r.status_code >= 300:
            raise StoreError(f"{self}: the query failed ({_status(r)}): {_error_text(r)}")
        state = r.headers.get("x-sql-state", "")
        if state.upper() == "S1TAT":
            raise StoreError(f"{self}: the server stopped the query at its time limit and sent a partial answer "
                             f"({r.headers.get('x-sql-message', 'anytime query')}); narrow the query")
        return r

    def _post_update(self, text: str, *, idempotent: bool) -> None:
        r = self._send("POST", self.options.update_url, idempotent=idempotent, data={"update": text},
                       headers={"Accept": "*/*"})
        if r.status_code >= 300:
            raise StoreError(f"{self.options.update_url}: the server refused the update ({_status(r)}): "
                             f"{_error_text(r)}")

    def _gsp(self, method: str, graph: GraphName, *, body: bytes | None = None, idempotent: bool = True,
             accept: str | None = None) -> httpx.Response:
        assert self.options.graph_store_url
        params = {"graph": graph.value} if isinstance(graph, NamedNode) else {"default": ""}
        headers = {"Content-Type": _NTRIPLES} if body is not None else {}
        if accept:
            headers["Accept"] = accept
        r = self._send(method, self.options.graph_store_url, idempotent=idempotent, params=params, content=body,
                       headers=headers)
        if r.status_code >= 300 and not (method == "GET" and r.status_code == 404):
            verb = "read" if method == "GET" else "write"
            raise StoreError(f"{self.options.graph_store_url}: the server refused to {verb} graph {graph} "
                             f"({_status(r)}): {_error_text(r)}")
        return r

    def _send(self, method: str, url: str, *, idempotent: bool, **kwargs: Any) -> httpx.Response:
        """One request; an idempotent one is retried with exponential backoff after a transient failure."""
        attempts = 1 + (self.options.retries if idempotent else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            wait = min(8.0, 0.25 * 2 ** attempt)
            try:
                r = self._client.request(method, url, **kwargs)
            except httpx.TimeoutException:
                if last:
                    raise StoreError(f"{url}: no answer within {self.options.timeout:g} s (raise it with "
                                     f"#timeout=SECONDS after the store URL)") from None
            except httpx.TransportError as e:
                if last:
                    raise StoreError(f"{url}: cannot reach the SPARQL server ({_reason(e)})") from None
            else:
                if r.status_code == 401:
                    raise StoreError(f"{url}: the server wants credentials it did not get or refused (401); "
                                     "give them in the URL (http://USER:PASSWORD@host/…) or in KG_STORE_USER "
                                     "and KG_STORE_PASSWORD")
                if r.status_code == 403:
                    raise StoreError(f"{url}: the server refused this account the request (403 Forbidden): "
                                     f"{_error_text(r)}")
                if r.status_code not in _TRANSIENT or last:
                    return r
                wait = _retry_after(r) or wait
            time.sleep(wait)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ helpers
    def _add(self, graph: GraphName, triples: list, *, replace: bool = False) -> None:
        """Add triples to a graph in batches (a GSP PUT first when ``replace``); idempotent, not atomic."""
        size = self.options.batch_size if self.options.graph_store_url else _UPDATE_BATCH
        first = True
        for chunk in _batches(triples, size):
            if self.options.graph_store_url:
                body = serialize([Triple(*t) for t in chunk], format=RdfFormat.N_TRIPLES) or b""
                self._gsp("PUT" if replace and first else "POST", graph, body=body)
            else:
                drop = f"DROP SILENT {_graph_ref(graph)} ;\n" if replace and first else ""
                self._post_update(drop + _insert(graph, chunk), idempotent=True)
            first = False

    def _move(self, source: NamedNode, target: NamedNode) -> None:
        """``MOVE SILENT source TO target``. Not blindly retried: a MOVE whose answer was lost has happened,
        and a second one would empty the target; while the source is still there, it has not."""
        for attempt in range(1 + self.options.retries):
            try:
                self._post_update(f"MOVE SILENT {source} TO {target}", idempotent=False)
                return
            except StoreError:
                if not self.contains_graph(source):
                    return
                if attempt == self.options.retries:
                    raise
            time.sleep(min(8.0, 0.25 * 2 ** attempt))

    def _gsp_get(self, graph: NamedNode) -> list[Quad] | None:
        """One named graph by GSP GET (the fastest read), or None when the answer is not the whole graph: a
        server may cut a GSP answer at its row limit without a word (Virtuoso does), so the triples are
        counted against the graph's size."""
        size = self.graph_size(graph)
        if size == 0:
            return []
        r = self._gsp("GET", graph, accept=_NTRIPLES)
        ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
        fmt = RdfFormat.from_media_type(ctype) if ctype and r.status_code == 200 else None
        if fmt is None or fmt.supports_datasets:
            return None
        out = [Quad(*_incoming_triple(q.subject, q.predicate, q.object), graph)  # type: ignore[call-arg]
               for q in parse(r.content, format=fmt)]
        return out if len(out) == size else None

    def _select_quads(self, s, p, o, g) -> Iterator[Quad]:
        if any(isinstance(t, BlankNode) for t in (s, o)):
            # in a query, _:x is a variable: a stored blank node cannot be named through the protocol
            raise StoreError(f"{self}: a blank node cannot be looked up in a remote store")
        terms = {"s": s, "p": p, "o": o}
        variables = [f"?{k}" for k, v in terms.items() if v is None]
        pattern = " ".join(str(v) if v is not None else f"?{k}" for k, v in terms.items())
        if g is None:
            where, variables = f"GRAPH ?g {{ {pattern} }}", [*variables, "?g"]
        elif isinstance(g, DefaultGraph):
            where = pattern
        else:
            where = f"GRAPH {g} {{ {pattern} }}"
        if not variables:  # a fully bound pattern: does it exist?
            r = self._post_query([("query", f"ASK {{ {where} }}")], _RESULTS_JSON)
            if _parse_results(r.content):
                yield Quad(s, p, o, g if g is not None else DefaultGraph())
            return
        select = f"SELECT {' '.join(variables)} WHERE {{ {where} }}"
        for row in self._pages(select):
            bound = dict(zip(variables, row, strict=True))
            subject = bound.get("?s", s)
            predicate = bound.get("?p", p)
            obj = bound.get("?o", o)
            subject, predicate, obj = _incoming_triple(subject, predicate, obj)
            yield Quad(subject, predicate, obj, bound.get("?g", g if g is not None else DefaultGraph()))

    def _pages(self, select: str) -> Iterator[list]:
        """The rows of a SELECT query (lists of terms in the order of its variables), page by page."""
        for _content, names, solutions in self._page_results("", select):
            for sol in solutions:
                yield [sol[name] for name in names]

    def _page_results(self, prologue: str, select: str,
                      dataset: list[tuple[str, str]] | None = None) -> Iterator[tuple[bytes, list[str], list]]:
        """A SELECT query's answer, at most ``page_size`` rows at a time, as (SPARQL JSON, variable names,
        solutions): ``SELECT * { { query } } LIMIT page OFFSET k`` in the server's own order.

        Not ``ORDER BY``: Virtuoso refuses one with an OFFSET past its row limit, and as an ordered subquery
        it re-sorts the whole answer for every page (7.5 s a page at 200k rows, against 0.6 s). The order of
        an unchanged store's answer is stable on Virtuoso (it follows an index); an answer of several pages is
        checked against a COUNT of the same query, and a read view checks the store did not change."""
        offset = 0
        while True:
            text = f"{prologue}SELECT * WHERE {{ {{ {select} }} }} LIMIT {self.page_size} OFFSET {offset}"
            r = self._post_query([("query", text), *(dataset or [])], _RESULTS_JSON)
            cap = _capped(r)
            if cap is not None and cap < self.page_size:
                self.page_size = cap  # the server allows fewer rows than we asked for: page by its limit
                continue
            parsed = _parse_results(r.content)
            names = [v.value for v in parsed.variables]
            solutions = list(parsed)
            yield r.content, names, solutions
            offset += len(solutions)
            if len(solutions) < self.page_size:
                break
        if offset > len(solutions):  # more than one page: did the pages add up to the answer?
            r = self._post_query([("query", f"{prologue}SELECT (COUNT(*) AS ?n) WHERE {{ {{ {select} }} }}"),
                                  *(dataset or [])], _RESULTS_JSON)
            total = next((int(row["n"].value) for row in _parse_results(r.content)), None)
            if total != offset:
                raise StoreError(f"{self}: the pages of an answer do not add up ({offset} rows read, {total} "
                                 "counted): the store changed while it was read, or the server does not keep "
                                 "the order of its answers; read again")


# ---------------------------------------------------------------------- terms on the wire
def _outgoing(t: tuple) -> tuple:
    """A triple as sent: an integral xsd:decimal gets ".0" (Virtuoso reads "3"^^xsd:decimal as an integer)."""
    o = t[2]
    if isinstance(o, Literal) and o.datatype.value == XSD_DECIMAL and "." not in o.value:
        return t[0], t[1], Literal(o.value + ".0", datatype=o.datatype)
    return t


def _incoming(term):
    if isinstance(term, Literal) and not term.language:
        dt = term.datatype.value
        if dt == XSD_DECIMAL:
            value = canonical_decimal(term.value)
            if value != term.value:
                return Literal(value, datatype=term.datatype)
        elif dt == _XSD_BOOLEAN and term.value in ("0", "1"):
            return Literal("true" if term.value == "1" else "false", datatype=term.datatype)
    return term


def _incoming_triple(s, p, o) -> tuple:
    return s, p, _incoming(o)


def _lines(triples: Iterable) -> str:
    return "\n".join(f"{s} {p} {o} ." for s, p, o in triples)


def _graph_ref(g: GraphName) -> str:
    return "DEFAULT" if isinstance(g, DefaultGraph) else f"GRAPH {g}"


def _batches(triples: list, size: int) -> Iterator[list]:
    """``triples`` cut into requests of ``size``, except that every triple with a blank node goes in the first
    one: a blank node label is scoped to one request (an INSERT or a Graph Store POST), so the triples of an
    ``owl:propertyChainAxiom`` list split over two requests would no longer be joined."""
    linked = [t for t in triples if isinstance(t[0], BlankNode) or isinstance(t[2], BlankNode)]
    plain = [t for t in triples if not (isinstance(t[0], BlankNode) or isinstance(t[2], BlankNode))]
    first = linked + plain[:max(0, size - len(linked))]
    yield first
    rest = plain[len(first) - len(linked):]
    for i in range(0, len(rest), size):
        yield rest[i:i + size]


def _insert(g: GraphName, triples: list) -> str:
    body = _lines(triples)
    if isinstance(g, NamedNode):
        body = f"GRAPH {g} {{\n{body}\n}}"
    if any(isinstance(x, BlankNode) for t in triples for x in (t[0], t[2])):
        return f"INSERT {{ {body} }} WHERE {{}}"  # Virtuoso refuses blank nodes in INSERT DATA
    return f"INSERT DATA {{ {body} }}"


def _prologue(prefixes: Mapping[str, str] | None, base_iri: str | None) -> str:
    """The declarations put before a query, on one line: the server's line numbers stay the user's."""
    out = f"BASE <{base_iri}> " if base_iri else ""
    return out + "".join(f"PREFIX {p}: <{ns}> " for p, ns in (prefixes or {}).items())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# ---------------------------------------------------------------------- results
def _capped(r: httpx.Response) -> int | None:
    """The row limit the server says it applied (Virtuoso's X-SPARQL-MaxRows), when it did."""
    raw = r.headers.get("x-sparql-maxrows")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _parse_results(content: bytes):
    if b'"bnode"' in content or b"XMLSchema#boolean" in content or b"XMLSchema#decimal" in content:
        content = _fix_json(content)
    try:
        return parse_query_results(content, format=QueryResultsFormat.JSON)
    except SyntaxError as e:
        raise StoreError(f"the server sent SPARQL results that cannot be read: {e}") from None


def _fix_json(content: bytes) -> bytes:
    """SPARQL JSON results with Virtuoso's blank node labels (``nodeID://b1``) and booleans (``1``) made
    valid, and decimals in canonical form."""
    try:
        doc = json.loads(content)
    except ValueError:
        return content
    for row in doc.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = re.sub(r"[^A-Za-z0-9_\-.]", "_", term["value"].removeprefix("nodeID://")) or "b"
            elif term.get("datatype") == _XSD_BOOLEAN and term.get("value") in ("0", "1"):
                term["value"] = "true" if term["value"] == "1" else "false"
            elif term.get("datatype") == XSD_DECIMAL and isinstance(term.get("value"), str):
                term["value"] = canonical_decimal(term["value"])
    return json.dumps(doc).encode()


def _query_triples(content: bytes):
    """N-Triples → pyoxigraph's QueryTriples, the type a CONSTRUCT returns for every backend."""
    from pyoxigraph import Store as _MemoryStore  # an in-memory store turns parsed triples into QueryTriples

    mem = _MemoryStore()
    try:
        mem.extend(Quad(*_incoming_triple(q.subject, q.predicate, q.object), DefaultGraph())  # type: ignore[call-arg]
                   for q in parse(content, format=RdfFormat.N_TRIPLES))
    except SyntaxError as e:
        raise StoreError(f"the server sent N-Triples that cannot be read: {e}") from None
    return mem.query("CONSTRUCT WHERE { ?s ?p ?o }")


def _merged_results(pages: Iterable[tuple[bytes, list[str], list]]):
    """Pages of SPARQL JSON results → one pyoxigraph QuerySolutions."""
    head: dict = {}
    bindings: list = []
    for page, _names, _solutions in pages:
        doc = json.loads(page)
        head = head or doc.get("head", {})
        bindings += doc.get("results", {}).get("bindings", [])
    return _parse_results(json.dumps({"head": head, "results": {"bindings": bindings}}).encode())


# ---------------------------------------------------------------------- errors
class _TextOf(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _error_text(r: httpx.Response) -> str:
    """The server's explanation, as one short line."""
    text = r.text
    if "html" in r.headers.get("content-type", ""):
        parser = _TextOf()
        parser.feed(text)
        text = "\n".join(parser.parts)
    lines = []
    for ln in text.splitlines():
        if ln.strip().lower().startswith("sparql query:"):
            break  # Virtuoso echoes the query after this
        if ln.strip():
            lines.append(ln.strip())
    line = " ".join(lines[:3]) if lines else r.reason_phrase
    return line[:300] + ("…" if len(line) > 300 else "")


def _status(r: httpx.Response) -> str:
    return f"{r.status_code} {r.reason_phrase}".strip()


def _reason(e: Exception) -> str:
    text = str(e) or type(e).__name__
    if "refused" in text.lower():
        return "connection refused: is it running, and is the host and port right?"
    return text


def _retry_after(r: httpx.Response) -> float | None:
    try:
        seconds = float(r.headers.get("retry-after", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 30 else None


# ---------------------------------------------------------------------- authentication
class _ChallengeAuth(httpx.Auth):
    """User and password for whichever scheme the server asks for (RFC 7235): Digest or Basic."""

    def __init__(self, user: str, password: str):
        self._digest = httpx.DigestAuth(user, password)
        self._basic = httpx.BasicAuth(user, password)
        self._scheme: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request):
        if self._scheme is not None:
            yield from self._scheme.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = {h.split(None, 1)[0].lower() for h in response.headers.get_list("www-authenticate") if h.strip()}
        if "digest" in offered:
            self._scheme = self._digest
        elif "basic" in offered:
            self._scheme = self._basic
        else:
            return
        yield from self._scheme.auth_flow(request)


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str):
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = self._header
        yield request


def _auth(options: RemoteOptions) -> httpx.Auth | None:
    if options.token:
        return _BearerAuth(options.token)
    if options.user:
        return _ChallengeAuth(options.user, options.password or "")
    return None
