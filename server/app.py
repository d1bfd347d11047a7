"""Flask application factory: wires configuration, the store and the blueprints."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from kg.store import Store

from .sparql import bp as sparql_bp


def create_app(store_path: str | None = None, *, store: Store | None = None, base_iri: str | None = None,
               config: dict[str, Any] | None = None) -> Flask:
    """Create the endpoint app over ``store`` (an open Store) or the store at ``store_path``."""
    app = Flask(__name__)
    app.config.update(
        KG_STORE_PATH=store_path or os.environ.get("KG_STORE", "kg-data"),
        KG_TIMEOUT=float(os.environ.get("KG_TIMEOUT", 30)),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    if config:
        app.config.update(config)
    app.extensions["kg_store"] = store or Store(app.config["KG_STORE_PATH"], read_only=True, base_iri=base_iri)
    app.register_blueprint(sparql_bp)
    return app
