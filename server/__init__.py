"""The SPARQL endpoint and pages, as a Flask application factory."""

from .app import create_app

__all__ = ["create_app"]
