"""SPARQL 1.1 Protocol on /sparql: query (GET, POST form, POST direct), update (POST, with a token) and the
service description (GET without a query).

Status codes: 400 for a malformed request or query (the message gives the syntax error position) or a refused
operation (SERVICE, LOAD, file: IRIs, too long or too deeply nested), 401/403 for an update without the right
token, 405 for other methods, 406 when no offered format is acceptable, 413 for a body over the cap, 415 for an
unsupported body media type or charset, 503 when a query or update ran past the time limit or the memory cap,
or was refused or stopped to keep the service fair to other clients (its worker is killed; nothing changed).
HEAD answers as GET does, without the body.

Updates: the token is checked, the text is parsed and refused if it has LOAD/SERVICE/file: IRIs, using-graph-uri /
using-named-graph-uri become USING clauses, then under the write lock the update is tried on a throw-away
snapshot in a killable worker within the time limit, and only then applied to the store (one Oxigraph
transaction), after which query workers move to a new snapshot.
"""

from __future__ import annotations

import hmac
import re
import threading
from functools import lru_cache

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.sansio.utils import get_current_url

from kg.errors import ForbiddenOperationError, QueryError, QueryTimeoutError
from kg.query import DEFAULT_PREFIXES, add_using_clauses, analyze, check_safe
from kg.store import Store

from .executor import QueryOutput, QueryPool, QueryTask

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"
HTML = "text/html"

# format name → canonical media type
MEDIA_OF = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ntriples": "application/n-triples",
    "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml", "nquads": "application/n-quads",
    "trig": "application/trig",
}
# what each query form offers, media type → format name, preferred first (the default for */*)
SOLUTION_OFFERS = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
                   "text/csv": "csv", "text/tab-separated-values": "tsv", "application/json": "json",
                   "application/xml": "xml", "text/xml": "xml"}
BOOLEAN_OFFERS = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
                  "application/json": "json", "application/xml": "xml", "text/xml": "xml"}
GRAPH_OFFERS = {"text/turtle": "turtle", "application/n-triples": "ntriples", "application/ld+json": "jsonld",
                "application/rdf+xml": "rdfxml", "application/n-quads": "nquads", "application/trig": "trig",
                "application/x-turtle": "turtle", "text/plain": "ntriples", "application/json": "jsonld",
                "application/xml": "rdfxml"}
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld",
                  "rdf": "rdfxml", "rdf+xml": "rdfxml", "nq": "nquads", "n-quads": "nquads"}
SD_FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/rdf+xml": ox.RdfFormat.RDF_XML,
              "application/ld+json": ox.RdfFormat.JSON_LD, "application/n-triples": ox.RdfFormat.N_TRIPLES,
              "application/xml": ox.RdfFormat.RDF_XML, "text/plain": ox.RdfFormat.N_TRIPLES}


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


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


def text_response(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain", headers=headers)


def kg_store() -> Store:
    return current_app.extensions["kg_store"]


def kg_pool() -> QueryPool:
    return current_app.extensions["kg_pool"]


def client_key() -> str:
    """Who is asking, for the pool's per-client fairness: the peer address (behind a reverse proxy, waitress
    sets it from X-Forwarded-For when ``--trusted-proxy`` names the proxy)."""
    return request.remote_addr or ""


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
        fmt = fmt.strip().lower()
        fmt = FORMAT_ALIASES.get(fmt, fmt)
        if fmt in offers.values():
            return fmt
        if fmt in offers:
            return offers[fmt]
        # "json"/"xml" for a graph mean JSON-LD / RDF/XML
        if fmt == "json" and "jsonld" in offers.values():
            return "jsonld"
        if fmt == "xml" and "rdfxml" in offers.values():
            return "rdfxml"
        raise ProtocolError(400, f"unknown or inapplicable format {fmt!r}: use one of "
                            f"{', '.join(sorted(set(offers.values())))}")
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


def base_url() -> str:
    """``request.base_url`` (the query's base IRI), computed once per distinct scheme/host/path."""
    return _base_url(request.scheme, request.host, request.root_path, request.path)


@lru_cache(maxsize=256)
def _base_url(scheme: str, host: str, root: str, path: str) -> str:
    return get_current_url(scheme, host, root, path)


# ------------------------------------------------------------------------------------------ parameters
def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(400, f"more than one {name!r} parameter")
    return values[0] if values else None


def _body_text() -> str:
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
        raise ProtocolError(415, f"unsupported charset {charset!r}: SPARQL request bodies must be UTF-8")
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError(400, f"request body is not valid UTF-8: {e}") from None


def _params() -> dict[str, list[str]]:
    """URL parameters, plus form fields for a form POST."""
    out: dict[str, list[str]] = {k: request.args.getlist(k) for k in request.args}
    if request.method == "POST" and request.mimetype == FORM:
        charset = request.mimetype_params.get("charset")
        if charset and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
            raise ProtocolError(415, f"unsupported charset {charset!r}: forms must be UTF-8")
        for k in request.form:
            out.setdefault(k, []).extend(request.form.getlist(k))
    return out


# ------------------------------------------------------------------------------------------ the endpoint
@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    try:
        return _sparql()
    except ProtocolError as e:
        return text_response(str(e), e.status, e.headers)


def _sparql() -> Response:
    params = _params()
    if request.method in ("GET", "HEAD"):
        if "update" in params:
            raise ProtocolError(400, "SPARQL Update must be sent with POST (form field 'update' or "
                                "application/sparql-update)")
        query = _single(params.get("query", []), "query")
        if query is None:
            return service_description()
        return run_query_request(query, params)
    # POST
    mimetype = request.mimetype
    if mimetype == FORM:
        query = _single(params.get("query", []), "query")
        update = _single(params.get("update", []), "update")
        if query is not None and update is not None:
            raise ProtocolError(400, "a request carries either 'query' or 'update', not both")
        if query is not None:
            return run_query_request(query, params)
        if update is not None:
            return run_update_request(update, params)
        raise ProtocolError(400, "missing 'query' or 'update' form field")
    if mimetype == QUERY_MEDIA:
        return run_query_request(_body_text(), params)
    if mimetype == UPDATE_MEDIA:
        return run_update_request(_body_text(), params)
    if not mimetype:
        raise ProtocolError(415, "POST needs a Content-Type: application/x-www-form-urlencoded, "
                            "application/sparql-query or application/sparql-update")
    raise ProtocolError(415, f"unsupported media type {mimetype!r}: use application/x-www-form-urlencoded, "
                        "application/sparql-query or application/sparql-update")


def run_query_request(query: str, params: dict[str, list[str]]) -> Response:
    try:
        info = analyze(query)
    except SyntaxError as e:
        return text_response(syntax_message("SPARQL", query, str(e)), 400)
    except QueryError as e:  # refused: SERVICE, LOAD, file: IRIs, too long, too deeply nested
        return text_response(str(e), 400)
    form = info.form
    offers = {"ASK": BOOLEAN_OFFERS, "CONSTRUCT": GRAPH_OFFERS, "DESCRIBE": GRAPH_OFFERS}.get(form or "",
                                                                                             SOLUTION_OFFERS)
    fmt = negotiate(offers, html=True)
    if fmt is None:
        return text_response(f"not acceptable: this {form or 'query'} result is offered as "
                             f"{', '.join(offers)}", 406, {"Vary": "Accept"})
    if fmt == "html":
        from .pages import render_index

        return render_index(query=query)
    default_graph = params.get("default-graph-uri") or None
    named_graphs = params.get("named-graph-uri") or None
    task = QueryTask(query=query, result_format=fmt, base_iri=base_url(), prefixes=DEFAULT_PREFIXES,
                     union_default_graph=not info.has_from, default_graph=default_graph,
                     named_graphs=named_graphs, max_rows=int(current_app.config["KG_MAX_ROWS"]))
    try:
        for g in (default_graph or []) + (named_graphs or []):
            _check_graph_iri(g)
        out = kg_pool().run(task, client=client_key())
    except ProtocolError:
        raise
    except ForbiddenOperationError as e:
        return text_response(str(e), 400)
    except QueryTimeoutError as e:  # time limit, memory cap, or fairness (QueryMemoryError, QueryBusyError)
        return text_response(str(e), 503, {"Retry-After": "5"})
    except SyntaxError as e:
        return text_response(syntax_message("SPARQL", query, str(e)), 400)
    except QueryError as e:
        return text_response(str(e), 500)
    except RuntimeError as e:
        return text_response(f"query failed: {e}", 500)
    return results_response(out, fmt)


def results_response(out: QueryOutput, fmt: str) -> Response:
    media = MEDIA_OF[fmt]
    if out.kind == "boolean" and fmt not in ("json", "xml"):
        media = MEDIA_OF["json"]
    headers = {"Vary": "Accept", "X-KG-Rows": str(out.rows)}
    if out.truncated:
        headers["X-KG-Truncated"] = "true"
        headers["Warning"] = f'199 - "result truncated to {out.rows} rows (server row limit)"'
    return Response(out.body, status=200, content_type=f"{media}; charset=utf-8", headers=headers)


def _check_graph_iri(g: str) -> None:
    try:
        ox.NamedNode(g)
    except ValueError as e:
        raise ProtocolError(400, f"invalid graph IRI {g!r}: {e}") from None
    if g.lower().startswith("file:"):
        raise ProtocolError(400, f"refused: file: IRI {g!r}; local files are not readable")


# ------------------------------------------------------------------------------------------ update
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


def run_update_request(update: str, params: dict[str, list[str]]) -> Response:
    require_write_token()
    using = params.get("using-graph-uri", [])
    using_named = params.get("using-named-graph-uri", [])
    try:
        check_safe(update)
        for g in using + using_named:
            _check_graph_iri(g)
        update = add_using_clauses(update, using, using_named)
    except SyntaxError as e:
        return text_response(syntax_message("SPARQL Update", update, str(e)), 400)
    except QueryError as e:
        return text_response(str(e), 400)
    store = kg_store()
    pool = kg_pool()
    try:
        with pool.writing():
            # first on a throw-away snapshot in a killable worker, under the time limit; then for real
            pool.trial_update(update, request.base_url, DEFAULT_PREFIXES, client=client_key())
            store.ox.update(update, base_iri=request.base_url, prefixes=DEFAULT_PREFIXES)
            store.flush()
    except SyntaxError as e:
        return text_response(syntax_message("SPARQL Update", update, str(e)), 400)
    except ForbiddenOperationError as e:  # the trial worker tried to reach the network and was killed
        return text_response(f"update {e}; nothing was changed", 400)
    except QueryTimeoutError as e:
        return text_response(f"update refused: {e}; nothing was changed", 503)
    except (OSError, RuntimeError, QueryError) as e:
        return text_response(f"update failed: {e}", 500)
    return Response(status=204)


# ------------------------------------------------------------------------------------------ service description
_SD_CACHE: dict[tuple[int, int], int] = {}
_SD_LOCK = threading.Lock()


def store_size() -> int:
    """Quad count, cached per store generation (counting a big store scans it)."""
    pool = kg_pool()
    key = (id(kg_store()), pool.generation)
    with _SD_LOCK:
        if key not in _SD_CACHE:
            _SD_CACHE.clear()
            _SD_CACHE[key] = len(kg_store())
        return _SD_CACHE[key]


def service_description() -> Response:
    accept = accept_header()
    fmt_media = accept.best_match([*SD_FORMATS, HTML]) if accept else "text/turtle"
    if request.args.get("format"):
        name = FORMAT_ALIASES.get(request.args["format"].lower(), request.args["format"].lower())
        fmt_media = {"turtle": "text/turtle", "rdfxml": "application/rdf+xml", "xml": "application/rdf+xml",
                     "jsonld": "application/ld+json", "json": "application/ld+json",
                     "ntriples": "application/n-triples"}.get(name)
        if fmt_media is None:
            return text_response("service description formats: turtle, rdfxml, jsonld, ntriples", 400)
    if fmt_media is None:
        return text_response(f"not acceptable: offer {', '.join(SD_FORMATS)}", 406, {"Vary": "Accept"})
    if fmt_media == HTML and accept[HTML] >= accept["text/turtle"]:
        from .pages import render_index

        return render_index()
    if fmt_media == HTML:
        fmt_media = "text/turtle"
    endpoint = request.base_url
    store = kg_store()
    n = store_size()
    update = "sd:SPARQL11Update" if current_app.config.get("KG_UPDATE_TOKEN") else ""
    languages = ", ".join(x for x in ("sd:SPARQL11Query", update) if x)
    ttl = f"""
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix formats: <http://www.w3.org/ns/formats/> .
[] a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage {languages} ;
  sd:feature sd:UnionDefaultGraph ;
  sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
    formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:JSON-LD, formats:RDF_XML,
    formats:N-Quads, formats:TriG ;
  sd:defaultDataset <{store.iris.dataset}> .
<{store.iris.dataset}> a sd:Dataset, void:Dataset ;
  dcterms:title "Conflict-news knowledge graph" ;
  void:sparqlEndpoint <{endpoint}> ;
  void:triples {n} ;
  sd:defaultGraph [ a sd:Graph ;
    dcterms:description "the union of all named graphs (documents, ontology, inferences)" ;
    void:triples {n} ] .
"""
    quads = list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE))
    prefixes = {"sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
                "dcterms": "http://purl.org/dc/terms/", "formats": "http://www.w3.org/ns/formats/"}
    fmt = SD_FORMATS[fmt_media]
    body = ox.serialize([q.triple for q in quads], format=fmt,
                        prefixes=prefixes if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None)
    media = {ox.RdfFormat.TURTLE: "text/turtle", ox.RdfFormat.RDF_XML: "application/rdf+xml",
             ox.RdfFormat.JSON_LD: "application/ld+json", ox.RdfFormat.N_TRIPLES: "application/n-triples"}[fmt]
    return Response(body, content_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})
