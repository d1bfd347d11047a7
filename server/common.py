"""What every part of the server shares: the format table, content negotiation, request helpers, the page
queries and the error handlers.

The shared helpers live here so that no two server modules need each other: the imports only go one way
(``sparql`` and ``downloads`` use ``pages``, everything uses this module and ``executor``); a test checks that
the package has no import cycle.

Formats: one table, :data:`FORMATS`, built on pyoxigraph's ``RdfFormat`` and ``QueryResultsFormat`` (through
:mod:`kg.store.terms`), which know each format's media type. One name per format:
``json``, ``xml``, ``csv``, ``tsv`` for SPARQL results; ``turtle``, ``ntriples``, ``nquads``, ``trig``,
``jsonld``, ``rdfxml`` for RDF. :data:`FORMAT_ALIASES` keeps the other spellings the URLs accept (``ttl``,
``nt``, ``rdf`` …); for a graph, ``json`` and ``xml`` mean JSON-LD and RDF/XML.

Errors: views raise :class:`kg.errors.KGError` subclasses (:class:`~kg.errors.ProtocolError` carries its own
status); :func:`register_error_handlers` turns them into one-line ``text/plain`` answers with the codes of
:data:`STATUS_OF`.
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header
from werkzeug.sansio.utils import get_current_url

from kg.errors import (
    ForbiddenOperationError,
    InputError,
    KGError,
    ProtocolError,
    QueryError,
    QueryTimeoutError,
    StoreError,
)
from kg.query import DEFAULT_PREFIXES
from kg.store import Store
from kg.store.terms import NamedNode, Object, QueryResultsFormat, RdfFormat, parse_query_results

from .executor import QueryOutput, QueryPool, QueryTask

__all__ = ["BOOLEAN_OFFERS", "FORMATS", "FORMAT_ALIASES", "GRAPH_OFFERS", "HTML", "MEDIA_OF", "SOLUTION_OFFERS",
           "STATUS_OF", "Format", "ProtocolError", "accept_header", "ask", "base_url", "check_graph_iri",
           "client_key", "kg_pool", "kg_store", "negotiate", "register_error_handlers", "require_write_token",
           "rows", "run_page_query", "syntax_message", "text_response"]

HTML = "text/html"
FORM = "application/x-www-form-urlencoded"


# ------------------------------------------------------------------------------------------ formats
@dataclass(frozen=True)
class Format:
    """A serialization the server offers: its name in URLs (``?format=``) and pyoxigraph's format."""

    name: str
    engine: RdfFormat | QueryResultsFormat

    @property
    def media_type(self) -> str:
        return self.engine.media_type.split(";")[0]  # pyoxigraph adds "; charset=utf-8" to some


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("json", QueryResultsFormat.JSON), Format("xml", QueryResultsFormat.XML),
    Format("csv", QueryResultsFormat.CSV), Format("tsv", QueryResultsFormat.TSV),
    Format("turtle", RdfFormat.TURTLE), Format("ntriples", RdfFormat.N_TRIPLES), Format("nquads", RdfFormat.N_QUADS),
    Format("trig", RdfFormat.TRIG), Format("jsonld", RdfFormat.JSON_LD), Format("rdfxml", RdfFormat.RDF_XML),
)}
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml",
                  "rdf+xml": "rdfxml", "nq": "nquads", "n-quads": "nquads"}
MEDIA_OF = {name: f.media_type for name, f in FORMATS.items()}


def _offers(names: tuple[str, ...], extra: dict[str, str]) -> dict[str, str]:
    """Media type → format name, preferred first (the answer to ``*/*``), then the looser media types."""
    return {**{MEDIA_OF[n]: n for n in names}, **extra}


_GENERIC_RESULTS = {"application/json": "json", "application/xml": "xml", "text/xml": "xml"}
SOLUTION_OFFERS = _offers(("json", "xml", "csv", "tsv"), _GENERIC_RESULTS)
BOOLEAN_OFFERS = _offers(("json", "xml"), _GENERIC_RESULTS)
GRAPH_OFFERS = _offers(("turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig"),
                       {"application/x-turtle": "turtle", "text/plain": "ntriples", "application/json": "jsonld",
                        "application/xml": "rdfxml"})
# the whole dataset (quads) and one resource's triples
DATASET_OFFERS = {MEDIA_OF["nquads"]: "nquads", MEDIA_OF["trig"]: "trig", "text/plain": "nquads"}


def format_name(value: str, offers: dict[str, str]) -> str | None:
    """A ``?format=`` value → the offered format it names (aliases and media types too), else None."""
    name = value.strip().lower()
    name = FORMAT_ALIASES.get(name, name)
    if name in offers.values():
        return name
    if name in offers:
        return offers[name]
    rdf = {"json": "jsonld", "xml": "rdfxml"}.get(name)  # "json" / "xml" for a graph: JSON-LD / RDF/XML
    return rdf if rdf in offers.values() else None


# ------------------------------------------------------------------------------------------ negotiation
def accept_header() -> MIMEAccept:
    """The request's Accept, with media type parameters (charset=…) dropped so they don't prevent a match."""
    return _parse_accept(request.headers.get("Accept", ""))


@lru_cache(maxsize=256)
def _parse_accept(raw: str) -> MIMEAccept:
    return MIMEAccept([(value.split(";")[0].strip(), q) for value, q in parse_accept_header(raw, MIMEAccept)])


def negotiate(offers: dict[str, str], *, html: bool = False) -> str | None:
    """The format name for this request (``format=`` wins over Accept), "html", or None (406)."""
    fmt = request.args.get("format") or (request.form.get("format") if request.mimetype == FORM else None)
    if fmt:
        name = format_name(fmt, offers)
        if name is None:
            raise ProtocolError(400, f"unknown or inapplicable format {fmt.strip().lower()!r}: use one of "
                                f"{', '.join(sorted(set(offers.values())))}")
        return name
    # the answer depends only on the Accept text and the offers: computed once per distinct header
    return _negotiate_accept(request.headers.get("Accept", ""), tuple(offers.items()), html)


@lru_cache(maxsize=512)
def _negotiate_accept(raw: str, offer_items: tuple[tuple[str, str], ...], html: bool) -> str | None:
    offers = dict(offer_items)
    accept = _parse_accept(raw)
    if not accept:
        return next(iter(offers.values()))
    candidates = list(offers) + ([HTML] if html else [])
    best = accept.best_match(candidates)
    if best is None:
        return None
    if best == HTML:
        # a browser: only if it prefers HTML to what an RDF client would get
        first = next(iter(offers))
        if accept[HTML] >= accept[first]:
            return "html"
        return offers[first]
    return offers[best]


def wants_rdf(offers: dict[str, str] = GRAPH_OFFERS) -> str | None:
    """For a page that is also a resource: the RDF format name when the client prefers RDF to HTML, else None
    (an unknown ``?format=`` gets the page)."""
    if request.args.get("format"):
        return format_name(request.args["format"], offers)
    best = request.accept_mimetypes.best_match([HTML, *offers])  # */* (a browser, curl) gets the page
    return None if best is None or best == HTML else offers[best]


# ------------------------------------------------------------------------------------------ request helpers
def kg_store() -> Store:
    store: Store = current_app.extensions["kg_store"]
    return store


def kg_pool() -> QueryPool:
    pool: QueryPool = current_app.extensions["kg_pool"]
    return pool


def client_key() -> str:
    """Who is asking, for the pool's per-client fairness: the peer address (behind a reverse proxy, waitress
    sets it from X-Forwarded-For when ``--trusted-proxy`` names the proxy)."""
    return request.remote_addr or ""


def base_url() -> str:
    """``request.base_url`` (the query's base IRI), computed once per distinct scheme/host/path."""
    return _base_url(request.scheme, request.host, request.root_path, request.path)


@lru_cache(maxsize=256)
def _base_url(scheme: str, host: str, root: str, path: str) -> str:
    return get_current_url(scheme, host, root, path)


def text_response(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain", headers=headers)


_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


def syntax_message(kind: str, text: str, error: str) -> str:
    """Oxigraph's parse error made readable: position, the offending line with a caret, the expectation
    (its long lists of Unicode ranges cut short)."""
    m = _POSITION.match(error.strip())
    if not m:
        return f"{kind} syntax error: {error}"
    line, col, detail = int(m.group(1)), int(m.group(2)), " ".join(m.group(3).split())
    if len(detail) > 240:
        detail = detail[:240].rsplit(",", 1)[0] + ", …"
    lines = text.splitlines() or [""]
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * max(0, col - 1) + "^"
    return f"{kind} syntax error at line {line}, column {col}: {detail}\n  {src}\n  {caret}"


def check_graph_iri(iri: str) -> None:
    """400 unless ``iri`` is a valid IRI naming a stored graph (never a local file)."""
    try:
        NamedNode(iri)
    except ValueError as e:
        raise ProtocolError(400, f"invalid graph IRI {iri!r}: {e}") from None
    if iri.lower().startswith("file:"):
        raise ProtocolError(400, f"refused: file: IRI {iri!r}; local files are not readable")


def require_write_token() -> None:
    """Raise 403 when writes are disabled, 401 when the Bearer token is missing or wrong."""
    token = current_app.config.get("KG_UPDATE_TOKEN")
    if not token:
        raise ProtocolError(403, "writes are disabled on this endpoint (start it with --update-token or "
                            "KG_UPDATE_TOKEN to enable SPARQL Update and Graph Store writes)")
    auth = request.headers.get("Authorization", "")
    scheme, _, given = auth.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), str(token).encode()):
        raise ProtocolError(401, "this operation needs 'Authorization: Bearer <update token>'",
                            {"WWW-Authenticate": 'Bearer realm="conflict-kg"'})
    if kg_store().read_only:
        raise ProtocolError(503, "the store is open read-only in this server; restart it with an update token")


# ------------------------------------------------------------------------------------------ page queries
def run_page_query(sparql: str, result_format: str = "tsv", *, union: bool = True) -> QueryOutput:
    """One page query in a worker, within what is left of this request's time limit (one deadline for all the
    queries of a page). Raises what :meth:`QueryPool.run` raises (the error handlers answer 503 / 500)."""
    pool = kg_pool()
    if "kg_deadline" not in g:
        g.kg_deadline = time.monotonic() + pool.timeout
    task = QueryTask(query=sparql, result_format=result_format, prefixes=DEFAULT_PREFIXES,
                     union_default_graph=union, max_rows=2**62)
    return pool.run(task, max(0.0, g.kg_deadline - time.monotonic()), client=client_key())


def rows(sparql: str, *, union: bool = True) -> list[dict[str, Object | None]]:
    """A SELECT's solutions as dictionaries (unbound variables are None)."""
    res = parse_query_results(run_page_query(sparql, union=union).body, format=QueryResultsFormat.TSV)
    names = [v.value for v in res.variables]  # type: ignore[union-attr]
    return [{n: sol[n] for n in names} for sol in res]  # type: ignore[union-attr]


def ask(sparql: str) -> bool:
    return bool(parse_query_results(run_page_query(sparql, "json").body, format=QueryResultsFormat.JSON))


# ------------------------------------------------------------------------------------------ errors
# the most specific class listed first wins; a ProtocolError carries its own status
STATUS_OF: tuple[tuple[type[KGError], int], ...] = (
    (QueryTimeoutError, 503),  # the time limit, the memory cap, or fairness (QueryMemoryError, QueryBusyError)
    (ForbiddenOperationError, 400),  # SERVICE, LOAD, file: IRIs, or a worker killed reaching for the network
    (QueryError, 500),
    (InputError, 400),
    (StoreError, 502),  # a remote store that cannot be reached or refuses; an embedded one that fails
    (KGError, 500),
)


def status_of(error: KGError) -> int:
    if isinstance(error, ProtocolError):
        return error.status
    return next(status for cls, status in STATUS_OF if isinstance(error, cls))


def register_error_handlers(app: Flask) -> None:
    """Every error a view raises that the tool knows becomes a one-line text/plain answer here."""

    @app.errorhandler(KGError)
    def _kg_error(e: KGError) -> Response:
        status = status_of(e)
        headers: dict[str, Any] = dict(e.headers) if isinstance(e, ProtocolError) else {}
        if status == 503:
            headers.setdefault("Retry-After", "5")
        return text_response(str(e), status, headers)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return text_response(f"request body too large: the limit is {limit} bytes", 413)
