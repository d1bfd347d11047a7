"""Flask application factory: wires configuration, the store, the query workers and the blueprints.

Configuration keys (``config=`` or environment):

``KG_TIMEOUT``        seconds per query and per update (default 30, env KG_TIMEOUT); the worker running it is
                      killed past that (an update is first tried on a throw-away snapshot in a worker)
``KG_UPDATE_TOKEN``   enables SPARQL Update and Graph Store writes for ``Authorization: Bearer TOKEN``
                      (env KG_UPDATE_TOKEN; default none: the endpoint is read-only and writes get 403)
``KG_CORS_ORIGIN``    ``Access-Control-Allow-Origin`` value (an origin or ``*``); default none (no CORS)
``KG_MAX_ROWS``       cap on result rows / triples (default 100000); a capped result has ``X-KG-Truncated: true``
``MAX_CONTENT_LENGTH``cap on request bodies in bytes (default 10 MiB): 413 beyond
``KG_WORKERS``        query worker processes (default min(4, CPUs), env KG_WORKERS)
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response

from kg.store import Store

from .executor import QueryPool


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def create_app(store_path: str | None = None, *, store: Store | None = None, base_iri: str | None = None,
               config: dict[str, Any] | None = None) -> Flask:
    """Create the endpoint app over ``store`` (an open Store) or the store at ``store_path``.

    Without an update token the store is opened read-only; with one the server holds it read-write (the
    single writer) and query workers read it read-only between writes."""
    app = Flask(__name__)
    app.config.update(
        KG_STORE_PATH=store_path or os.environ.get("KG_STORE", "kg-data"),
        KG_TIMEOUT=_env_float("KG_TIMEOUT", 30.0),
        KG_UPDATE_TOKEN=os.environ.get("KG_UPDATE_TOKEN") or None,
        KG_CORS_ORIGIN=None,
        KG_MAX_ROWS=100_000,
        KG_WORKERS=int(_env_float("KG_WORKERS", min(4, os.cpu_count() or 1))),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    if config:
        app.config.update({k: v for k, v in config.items() if v is not None or k == "KG_CORS_ORIGIN"})
    if store is None:
        writable = bool(app.config["KG_UPDATE_TOKEN"])
        store = Store(app.config["KG_STORE_PATH"], read_only=not writable, base_iri=base_iri)
    app.extensions["kg_store"] = store
    app.extensions["kg_pool"] = QueryPool(store.path, size=int(app.config["KG_WORKERS"]),
                                          timeout=float(app.config["KG_TIMEOUT"]),
                                          store=None if store.read_only else store.ox)

    from .gsp import bp as gsp_bp
    from .pages import bp as pages_bp
    from .sparql import bp as sparql_bp

    app.register_blueprint(sparql_bp)
    app.register_blueprint(gsp_bp)
    app.register_blueprint(pages_bp)
    try:
        from .downloads import bp as downloads_bp
    except ImportError:  # another module owns the downloads; the endpoint works without them
        downloads_bp = None
    if downloads_bp is not None:
        app.register_blueprint(downloads_bp)

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        origin = app.config.get("KG_CORS_ORIGIN")
        if origin:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
            resp.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
            resp.headers["Access-Control-Expose-Headers"] = "X-KG-Truncated, Location"
            if origin != "*":
                resp.vary.add("Origin")
        return resp

    @app.errorhandler(413)
    def _too_large(e) -> Response:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return Response(f"request body too large: the limit is {limit} bytes\n", status=413, mimetype="text/plain")

    app.extensions["kg_close"] = lambda: app.extensions["kg_pool"].close()
    return app
