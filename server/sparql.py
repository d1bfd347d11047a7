"""SPARQL 1.1 Protocol: /sparql (query via GET, POST form, POST direct)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from kg.errors import QueryError
from kg.query import run_query

bp = Blueprint("sparql", __name__)

JSON = "application/sparql-results+json"


def _query_text() -> str | None:
    if request.method == "GET":
        return request.args.get("query")
    if request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    return request.form.get("query")


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    query = _query_text()
    if not query:
        return Response("missing 'query' parameter\n", status=400, mimetype="text/plain")
    store = current_app.extensions["kg_store"]
    try:
        results = run_query(store, query)
    except QueryError as e:
        return Response(f"{e}\n", status=400, mimetype="text/plain")
    import pyoxigraph as ox

    if isinstance(results, ox.QueryTriples):
        return Response(results.serialize(format=ox.RdfFormat.N_TRIPLES), mimetype="application/n-triples")
    return Response(results.serialize(format=ox.QueryResultsFormat.JSON), mimetype=JSON)
