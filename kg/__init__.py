"""conflict-kg: news articles about armed conflicts → an OWL knowledge graph served over SPARQL.

The pipeline is read → extract → map → reason → store → serve/export; see README.md.
"""

from .build import BuildReport, build, reason
from .errors import InputError, KGError, QueryError, StoreError
from .graphtools import to_networkx
from .namespaces import CK, IRIs
from .notebook import KnowledgeGraph
from .notebook import open_graph as open  # noqa: F401  (kg.open; not in __all__: `import *` keeps builtin open)
from .records import Attribution, Document, Entity, Extraction, Relation, Span
from .sources import read_documents
from .store import Store

__all__ = [
    "Attribution", "BuildReport", "CK", "Document", "Entity", "Extraction", "IRIs", "InputError", "KnowledgeGraph",
    "KGError", "QueryError", "Relation", "Span", "Store", "StoreError", "build", "read_documents", "reason",
    "to_networkx",
]
