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

import threading

from flask import Blueprint, Response, current_app, request

from kg.errors import ForbiddenOperationError, ProtocolError, QueryError, QueryTimeoutError
from kg.query import DEFAULT_PREFIXES, add_using_clauses, analyze, check_safe
from kg.store.terms import RdfFormat, parse, serialize

from .common import (
    BOOLEAN_OFFERS,
    FORM,
    FORMAT_ALIASES,
    GRAPH_OFFERS,
    HTML,
    MEDIA_OF,
    SOLUTION_OFFERS,
    accept_header,
    base_url,
    check_graph_iri,
    client_key,
    format_name,
    kg_pool,
    kg_store,
    negotiate,
    require_write_token,
    syntax_message,
    text_response,
)
from .executor import QueryOutput, QueryTask
from .pages import render_index

# shared helpers once lived here: names kept for modules that import them from this one
__all__ = ["bp", "ProtocolError", "text_response", "kg_store", "kg_pool", "client_key", "negotiate",
           "require_write_token", "accept_header", "base_url", "syntax_message", "MEDIA_OF", "GRAPH_OFFERS",
           "SOLUTION_OFFERS", "BOOLEAN_OFFERS", "FORMAT_ALIASES", "results_response", "service_description"]

bp = Blueprint("sparql", __name__)

QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"
SD_FORMATS = {"text/turtle": RdfFormat.TURTLE, "application/rdf+xml": RdfFormat.RDF_XML,
              "application/ld+json": RdfFormat.JSON_LD, "application/n-triples": RdfFormat.N_TRIPLES,
              "application/xml": RdfFormat.RDF_XML, "text/plain": RdfFormat.N_TRIPLES}


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
        raise ProtocolError(400, syntax_message("SPARQL", query, str(e))) from None
    except QueryError as e:  # refused: SERVICE, LOAD, file: IRIs, too long, too deeply nested
        raise ProtocolError(400, str(e)) from None
    form = info.form
    offers = {"ASK": BOOLEAN_OFFERS, "CONSTRUCT": GRAPH_OFFERS, "DESCRIBE": GRAPH_OFFERS}.get(form or "",
                                                                                             SOLUTION_OFFERS)
    fmt = negotiate(offers, html=True)
    if fmt is None:
        raise ProtocolError(406, f"not acceptable: this {form or 'query'} result is offered as "
                            f"{', '.join(offers)}", {"Vary": "Accept"})
    if fmt == "html":
        return render_index(query=query)
    default_graph = params.get("default-graph-uri") or None
    named_graphs = params.get("named-graph-uri") or None
    task = QueryTask(query=query, result_format=fmt, base_iri=base_url(), prefixes=DEFAULT_PREFIXES,
                     union_default_graph=not info.has_from, default_graph=default_graph,
                     named_graphs=named_graphs, max_rows=int(current_app.config["KG_MAX_ROWS"]))
    for g in (default_graph or []) + (named_graphs or []):
        check_graph_iri(g)
    try:
        out = kg_pool().run(task, client=client_key())
    except SyntaxError as e:
        raise ProtocolError(400, syntax_message("SPARQL", query, str(e))) from None
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


# ------------------------------------------------------------------------------------------ update
def run_update_request(update: str, params: dict[str, list[str]]) -> Response:
    require_write_token()
    using = params.get("using-graph-uri", [])
    using_named = params.get("using-named-graph-uri", [])
    for g in using + using_named:
        check_graph_iri(g)
    try:
        check_safe(update)
        update = add_using_clauses(update, using, using_named)
    except SyntaxError as e:
        raise ProtocolError(400, syntax_message("SPARQL Update", update, str(e))) from None
    except QueryError as e:
        raise ProtocolError(400, str(e)) from None
    store = kg_store()
    pool = kg_pool()
    try:
        with pool.writing():
            # first on a throw-away snapshot in a killable worker, under the time limit; then for real
            pool.trial_update(update, request.base_url, DEFAULT_PREFIXES, client=client_key())
            store.update(update, base_iri=request.base_url, prefixes=DEFAULT_PREFIXES)
            store.flush()
    except SyntaxError as e:
        raise ProtocolError(400, syntax_message("SPARQL Update", update, str(e))) from None
    except ForbiddenOperationError as e:  # the trial worker tried to reach the network and was killed
        raise ProtocolError(400, f"update {e}; nothing was changed") from None
    except QueryTimeoutError as e:
        raise ProtocolError(503, f"update refused: {e}; nothing was changed", {"Retry-After": "5"}) from None
    except OSError as e:
        raise ProtocolError(500, f"update failed: {e}") from None
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
        name = format_name(request.args["format"], {MEDIA_OF[n]: n for n in ("turtle", "rdfxml", "jsonld", "ntriples")})
        fmt_media = MEDIA_OF[name] if name else None
        if fmt_media is None:
            raise ProtocolError(400, "service description formats: turtle, rdfxml, jsonld, ntriples")
    if fmt_media is None:
        raise ProtocolError(406, f"not acceptable: offer {', '.join(SD_FORMATS)}", {"Vary": "Accept"})
    if fmt_media == HTML and accept[HTML] >= accept["text/turtle"]:
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
    quads = list(parse(ttl.encode(), format=RdfFormat.TURTLE))
    prefixes = {"sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
                "dcterms": "http://purl.org/dc/terms/", "formats": "http://www.w3.org/ns/formats/"}
    fmt = SD_FORMATS[fmt_media]
    body = serialize([q.triple for q in quads], format=fmt,
                     prefixes=prefixes if fmt in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None)
    media = fmt.media_type.split(";")[0]
    return Response(body, content_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})
