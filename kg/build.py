"""The one straight pipeline: read → extract → map → reason → store.

Each document is committed in its own transaction as soon as it is mapped, so an interrupted
build keeps every whole document it finished and the next build resumes after them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .errors import InputError
from .mapping import map_extraction
from .reasoning import load_ontology, owlrl_closure
from .records import Document, Extraction
from .sources import read_documents
from .store import Store

__all__ = ["BuildReport", "build", "reason", "DocumentExtractor"]


class DocumentExtractor(Protocol):
    def pipe(self, docs: Iterable[Document], n_process: int = 1, batch_size: int = 64) -> Iterator[Extraction]: ...


@dataclass
class BuildReport:
    ingested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[InputError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "extract": 0.0, "map": 0.0,
                                                                "store": 0.0, "reason": 0.0})
    triples_asserted: int = 0
    triples_inferred: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (f"ingested {len(self.ingested)}, skipped {len(self.skipped)} (already stored), "
                f"failed {len(self.failed)}; {self.triples_asserted} triples asserted, "
                f"{self.triples_inferred} inferred")


class _Timer:
    def __init__(self, seconds: dict[str, float], stage: str):
        self.seconds, self.stage = seconds, stage

    def __enter__(self):
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        self.seconds[self.stage] += time.perf_counter() - self.t0


def build(paths: Iterable[str | Path], store: Store, extractor: DocumentExtractor, *,
          workers: int = 1, batch_size: int = 32, run_reasoner: bool = True,
          on_error: Callable[[InputError], None] | None = None,
          on_document: Callable[[Document], None] | None = None) -> BuildReport:
    report = BuildReport()
    t = report.seconds

    def new_documents() -> Iterator[Document]:
        it = iter(read_documents(paths))
        while True:
            with _Timer(t, "read"):
                item = next(it, None)
            if item is None:
                return
            if isinstance(item, InputError):
                report.failed.append(item)
                if on_error:
                    on_error(item)
            elif store.has_document(item.key, item.content_hash):
                report.skipped.append(item.path or item.id)
                if on_document:
                    on_document(item)
            else:
                yield item

    extractions = extractor.pipe(new_documents(), n_process=workers, batch_size=batch_size)
    while True:
        with _Timer(t, "extract"):
            ex = next(extractions, None)
        if ex is None:
            break
        with _Timer(t, "map"):
            triples = map_extraction(ex, store.iris)
        with _Timer(t, "store"):
            report.triples_asserted += store.put_graph(store.iris.document_graph(ex.document.key), triples)
        report.ingested.append(ex.document.path or ex.document.id)
        if on_document:
            on_document(ex.document)

    if run_reasoner and (report.ingested or not store.ox.contains_named_graph(_ox_graph(store.iris.inferred_graph))):
        with _Timer(t, "reason"):
            report.triples_inferred = reason(store)
    store.flush()
    return report


def reason(store: Store) -> int:
    """Recompute the inferred graph from the ontology and every document graph."""
    ontology = load_ontology()
    store.put_graph(store.iris.ontology_graph, ontology)
    asserted = (t for key in store.document_keys() for t in store.graph_triples(store.iris.document_graph(key)))
    inferred = owlrl_closure(ontology, asserted)
    return store.put_graph(store.iris.inferred_graph, inferred)


def _ox_graph(iri):
    import pyoxigraph as ox
    return ox.NamedNode(str(iri))
