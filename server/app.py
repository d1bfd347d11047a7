"""Flask application factory: wires configuration, the store, the query workers and the blueprints.

Configuration keys (``config=`` or environment):

``KG_TIMEOUT``        seconds per query and per update (default 30, env KG_TIMEOUT); the worker running it is
                      killed past that (an update is first tried on a throw-away snapshot in a worker)
``KG_UPDATE_TOKEN``   enables SPARQL Update and Graph Store writes for ``Authorization: Bearer TOKEN``
                      (env KG_UPDATE_TOKEN; default none: the endpoint is read-only and writes get 403)
``KG_CORS_ORIGIN``    ``Access-Control-Allow-Origin`` value (an origin or ``*``); default none (no CORS)
``KG_MAX_ROWS``       cap on result rows / triples (default 100000); a capped result has ``X-KG-Truncated: true``
``MAX_CONTENT_LENGTH``cap on request bodies in bytes (default 10 MiB): 413 beyond
``KG_WORKERS``        query worker processes kept running (default min(4, CPUs), env KG_WORKERS)
``KG_MAX_WORKERS``    how far the pool may grow while workers are busy (default: as many as half the machine's
                      memory holds at KG_MAX_QUERY_MEMORY each, at most 2 × CPUs + 2 and 16; env KG_MAX_WORKERS)
``KG_MAX_QUERY_MEMORY`` bytes of memory one query worker may use (default 2 GiB or an eighth of the machine's
                      memory; env KG_MAX_QUERY_MEMORY, e.g. ``512M``, ``2G``): a query over it gets a 503
``KG_CLIENT_QUERIES`` queries one client address may run at once (default 2; env KG_CLIENT_QUERIES)
``KG_PREEMPT_AFTER``  seconds after which a running query is a long one, which a light client waiting may stop
                      once the pool is at KG_MAX_WORKERS (default 0.25; env KG_PREEMPT_AFTER; see executor.py)
``KG_MAX_HEADER``     cap on one request header's length in bytes (default 8192): 431 beyond
``KG_TILES``          map tile URL template (env KG_TILES; default OpenStreetMap's; ``none``: the bundled basemap
                      only); its host is the one image source the pages' CSP adds

HTML responses carry a Content-Security-Policy (scripts and styles only from this server, no inline script,
no framing) and X-Frame-Options: DENY.
"""

from __future__ import annotations

import os
import re
from typing import Any

from flask import Config, Flask, Response, request

from kg.errors import KGError
from kg.store import Store, looks_like_url
from kg.store.oxigraph import OxigraphStore

from .common import register_error_handlers, text_response
from .downloads import bp as downloads_bp
from .executor import QueryPool, default_memory_bytes
from .gsp import bp as gsp_bp
from .pages import bp as pages_bp
from .remote import RemoteQueries
from .research import DEFAULT_TILES, content_security_policy, tile_url
from .research import bp as research_bp
from .sparql import bp as sparql_bp

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*$")


def parse_size(text: str | int) -> int:
    """``512M``, ``2G``, ``1.5GiB`` or a byte count → bytes (ValueError otherwise)."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. 512M or 2G)")
    return int(float(m.group(1)) * 1024 ** " KMGT".index((m.group(2) or " ").upper()))


def default_max_workers(size: int, memory_bytes: int) -> int:
    """As many workers as half the machine's memory holds at ``memory_bytes`` each, and no more than two per
    CPU plus two (more CPU-bound workers than that only share the cores thinner), at most 16."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 16 << 30
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(size, min(16, 2 * cpus + 2, total // 2 // max(1, memory_bytes)))


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def create_app(store_path: str | None = None, *, store: Store | None = None, base_iri: str | None = None,
               config: dict[str, Any] | None = None) -> Flask:
    """Create the endpoint app over ``store`` (an open Store) or the store at ``store_path`` (a folder or the
    URL of a remote SPARQL server: :class:`kg.store.Store`).

    Without an update token the store is opened read-only; with one the server holds it read-write (the
    single writer) and query workers read it read-only between writes. A remote store is served read-only,
    its queries sent to its server (:mod:`server.remote`)."""
    app = Flask(__name__)
    app.config.update(
        KG_STORE_PATH=store_path or os.environ.get("KG_STORE", "kg-data"),
        KG_TIMEOUT=_env_float("KG_TIMEOUT", 30.0),
        KG_UPDATE_TOKEN=os.environ.get("KG_UPDATE_TOKEN") or None,
        KG_CORS_ORIGIN=None,
        KG_MAX_ROWS=100_000,
        KG_WORKERS=int(_env_float("KG_WORKERS", min(4, os.cpu_count() or 1))),
        KG_MAX_WORKERS=int(_env_float("KG_MAX_WORKERS", 0)) or None,
        KG_MAX_QUERY_MEMORY=parse_size(os.environ.get("KG_MAX_QUERY_MEMORY") or default_memory_bytes()),
        KG_CLIENT_QUERIES=int(_env_float("KG_CLIENT_QUERIES", 2)),
        KG_PREEMPT_AFTER=_env_float("KG_PREEMPT_AFTER", 0.25),
        KG_MAX_HEADER=8192,
        KG_TILES=os.environ.get("KG_TILES") or DEFAULT_TILES,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    if config:
        app.config.update({k: v for k, v in config.items() if v is not None or k == "KG_CORS_ORIGIN"})
    if store is None:
        writable = bool(app.config["KG_UPDATE_TOKEN"]) and not looks_like_url(str(app.config["KG_STORE_PATH"]))
        # Store(location) opens the backend the location names (a folder or a URL)
        store = Store(app.config["KG_STORE_PATH"], read_only=not writable,  # type: ignore[abstract]
                      base_iri=base_iri)
    app.extensions["kg_store"] = store
    app.extensions["kg_pool"] = _query_pool(app.config, store)

    app.register_blueprint(sparql_bp)
    app.register_blueprint(gsp_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(research_bp)
    app.register_blueprint(downloads_bp)
    register_error_handlers(app)

    @app.before_request
    def _header_caps() -> Response | None:
        # werkzeug's Accept parsing is quadratic-ish: a 250 KB header cost over a second per request
        cap = int(app.config["KG_MAX_HEADER"])
        for name, value in request.headers.items():
            if len(value) > cap:
                return text_response(f"request header {name!r} is {len(value)} bytes, over the limit of {cap}", 431)
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if resp.mimetype == "text/html":
            resp.headers["Content-Security-Policy"] = content_security_policy(CONTENT_SECURITY_POLICY, tile_url())
            resp.headers["X-Frame-Options"] = "DENY"
        origin = app.config.get("KG_CORS_ORIGIN")
        if origin:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
            resp.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
            resp.headers["Access-Control-Expose-Headers"] = "X-KG-Truncated, Location"
            if origin != "*":
                resp.vary.add("Origin")
        return resp

    app.extensions["kg_close"] = lambda: app.extensions["kg_pool"].close()
    return app


def _query_pool(config: Config, store: Store) -> QueryPool | RemoteQueries:
    """The query workers of an embedded store, or the stand-in that sends a remote store's queries to it."""
    size = int(config["KG_WORKERS"])
    memory = parse_size(config["KG_MAX_QUERY_MEMORY"])
    max_workers = config["KG_MAX_WORKERS"] or default_max_workers(size, memory)
    if isinstance(store, OxigraphStore):
        # the workers open the store's files themselves: a light path-based entry, confined to that folder
        return QueryPool(store.spec.location, size=size, timeout=float(config["KG_TIMEOUT"]),
                         store=None if store.read_only else store, max_workers=max_workers, memory_bytes=memory,
                         per_client=int(config["KG_CLIENT_QUERIES"]), preempt_after=float(config["KG_PREEMPT_AFTER"]))
    if config["KG_UPDATE_TOKEN"]:
        raise KGError(f"{store}: a remote store is served read-only; write to it with kg build / kg load, or at its "
                      "own endpoint with its own accounts")
    return RemoteQueries(store, timeout=float(config["KG_TIMEOUT"]), max_workers=max_workers,
                         per_client=int(config["KG_CLIENT_QUERIES"]))
