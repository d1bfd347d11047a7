"""Extraction stage: Document → entities and relations (see ``extractor``)."""

from .extractor import Extractor, relation_rows
from .model import load_model

__all__ = ["Extractor", "load_model", "relation_rows"]
