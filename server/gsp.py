"""SPARQL 1.1 Graph Store HTTP Protocol on /store: read for everyone, write with the update token.

Indirect identification: ``/store?graph=IRI`` or ``/store?default``; direct identification: ``/store/<path>``
names the graph whose IRI is that URL. ``GET /store`` without a graph returns the whole dataset (N-Quads or
TriG); ``POST /store`` without a graph creates a new graph and answers 201 with its IRI in ``Location``.

Reads and upload parsing run in the query workers, under their time limit, memory cap and sandbox, never in
the server process. Uploads are parsed with pyoxigraph (no remote JSON-LD contexts are loaded: pyoxigraph has
no loader set); RDF/XML with a DOCTYPE or entity declarations is refused (entity expansion attacks).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from kg.errors import InputError, ProtocolError
from kg.store.terms import DefaultGraph, GraphName, NamedNode, RdfFormat, Triple, parse
from kg.xmlguard import refuse_dtd

from .common import (
    DATASET_OFFERS,
    GRAPH_OFFERS,
    MEDIA_OF,
    client_key,
    kg_pool,
    kg_store,
    negotiate,
    require_write_token,
    run_page_query,
)
from .executor import QueryTask

bp = Blueprint("gsp", __name__)

Graph = GraphName


@bp.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
def store_root() -> Response:
    has_default = "default" in request.args
    graph_iri = request.args.get("graph")
    if has_default and graph_iri is not None:
        raise ProtocolError(400, "give either ?default or ?graph=IRI, not both")
    if has_default:
        return _handle(DefaultGraph())
    if graph_iri is not None:
        try:
            graph = NamedNode(graph_iri)
        except ValueError as e:
            raise ProtocolError(400, f"invalid graph IRI {graph_iri!r}: {e}") from None
        return _handle(graph)
    if request.method in ("GET", "HEAD"):
        return _get_dataset()
    if request.method == "POST":
        new = NamedNode(f"{request.host_url}store/{uuid.uuid4().hex}")
        resp = _write(new, replace=False)
        resp.headers["Location"] = new.value
        resp.status_code = 201
        return resp
    raise ProtocolError(400, f"{request.method} needs ?graph=IRI or ?default")


@bp.route("/store/<path:rest>", methods=["GET", "PUT", "POST", "DELETE"])
def store_direct(rest: str) -> Response:
    try:
        graph = NamedNode(request.base_url)
    except ValueError as e:
        raise ProtocolError(400, f"this URL is not a valid graph IRI: {e}") from None
    return _handle(graph)


def _exists(g: Graph) -> bool:
    return isinstance(g, DefaultGraph) or kg_store().contains_graph(g)


def _handle(g: Graph) -> Response:
    if request.method in ("GET", "HEAD"):
        return _get_graph(g)
    if request.method == "PUT":
        return _write(g, replace=True)
    if request.method == "POST":
        return _write(g, replace=False)
    return _delete(g)


def _get_graph(g: Graph) -> Response:
    if not _exists(g):
        raise ProtocolError(404, f"no graph {g}")
    fmt = negotiate(GRAPH_OFFERS)
    if fmt is None:
        raise ProtocolError(406, f"not acceptable: graphs are offered as {', '.join(GRAPH_OFFERS)}",
                            {"Vary": "Accept"})
    body = b""
    if request.method != "HEAD":
        where = "{ ?s ?p ?o }" if isinstance(g, DefaultGraph) else f"{{ GRAPH {g} {{ ?s ?p ?o }} }}"
        body = run_page_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}", fmt, union=False).body
    return Response(body, content_type=f"{MEDIA_OF[fmt]}; charset=utf-8", headers={"Vary": "Accept"})


def _get_dataset() -> Response:
    best = request.accept_mimetypes.best_match(list(DATASET_OFFERS)) if request.accept_mimetypes \
        else MEDIA_OF["nquads"]
    if best is None:
        raise ProtocolError(406, "the whole dataset is offered as application/n-quads or application/trig")
    fmt = DATASET_OFFERS[best]
    body = b""
    if request.method != "HEAD":
        task = QueryTask(query="", result_format=fmt, dump=True)
        body = kg_pool().run(task, client=client_key()).body
    return Response(body, content_type=f"{MEDIA_OF[fmt]}; charset=utf-8", headers={"Vary": "Accept"})


def _parse_upload(g: Graph) -> list[Triple]:
    base = g.value if isinstance(g, NamedNode) else request.base_url
    parts: list[tuple[bytes, str | None, str | None]] = []
    if request.mimetype == "multipart/form-data":
        for f in request.files.values():
            parts.append((f.read(), f.mimetype, f.filename))
        if not parts:
            raise ProtocolError(400, "multipart upload without files")
    else:
        parts.append((request.get_data(cache=True), request.mimetype, None))
    triples: list[Triple] = []
    for data, media, filename in parts:
        fmt = RdfFormat.from_media_type(media) if media else None
        if fmt is None and filename and "." in filename:
            fmt = RdfFormat.from_extension(filename.rsplit(".", 1)[1])
        if fmt is None:
            raise ProtocolError(415, f"unsupported RDF media type {media!r}: send text/turtle, "
                                "application/n-triples, application/ld+json, application/rdf+xml, "
                                "application/n-quads or application/trig")
        if fmt == RdfFormat.RDF_XML:
            try:
                refuse_dtd(data, "the upload")
            except InputError as e:
                raise ProtocolError(400, str(e)) from None
        task = QueryTask(query="", result_format="ntriples", parse=data, media_type=fmt.media_type, base_iri=base)
        try:
            # parsed in a worker (time, memory, sandbox); the answer is flat N-Triples, cheap to read here
            out = kg_pool().run(task, client=client_key())
            triples.extend(q.triple for q in parse(out.body, format=RdfFormat.N_TRIPLES))
        except SyntaxError as e:
            if "remote context" in str(e).lower():
                raise ProtocolError(400, "refused: the JSON-LD upload names a remote @context; this server does "
                                    "not fetch documents, inline the context instead") from None
            raise ProtocolError(400, f"cannot parse the {fmt.name} upload: {e}") from None
        except ValueError as e:
            raise ProtocolError(400, f"cannot parse the {fmt.name} upload: {e}") from None
    return triples


def _graph_sparql(g: Graph) -> str:
    return "DEFAULT" if isinstance(g, DefaultGraph) else f"GRAPH {g}"


def _write(g: Graph, *, replace: bool) -> Response:
    require_write_token()
    triples = _parse_upload(g)
    store = kg_store()
    body = "\n".join(f"{t} ." for t in triples)
    data = f"INSERT DATA {{ {body} }}" if isinstance(g, DefaultGraph) else \
        f"INSERT DATA {{ GRAPH {g} {{ {body} }} }}"
    with kg_pool().writing():
        existed = _exists(g)
        ops = []
        if replace:
            ops.append(f"DROP SILENT {_graph_sparql(g)}")
        if isinstance(g, NamedNode):
            ops.append(f"CREATE SILENT GRAPH {g}")
        if triples:
            ops.append(data)
        try:
            store.update(" ;\n".join(ops))
        except (SyntaxError, OSError) as e:
            raise ProtocolError(500, f"write failed: {e}") from None
        store.flush()
    return Response(status=204 if existed else 201)


def _delete(g: Graph) -> Response:
    require_write_token()
    store = kg_store()
    with kg_pool().writing():
        if not _exists(g):
            raise ProtocolError(404, f"no graph {g}")
        store.update(f"DROP SILENT {_graph_sparql(g)}" if isinstance(g, NamedNode) else "CLEAR DEFAULT")
        store.flush()
    return Response(status=204)
