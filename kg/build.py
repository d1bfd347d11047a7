"""The one straight pipeline: read → extract → map → store → reason.

Each document is committed in its own transaction as soon as it is mapped, so an interrupted
build (even ``kill -9``) keeps every whole document it finished and no partial one; the next build
skips what is stored and resumes after it.

Identity: a document's graph is named after :attr:`Document.key` (its URL when known, else its
content hash). Rebuilding the same input changes nothing; the same URL with new text replaces the
document in one transaction; the same text under another path or URL is skipped.

Reasoning runs once at the end of a build, over what changed since the inferred graph was last
brought up to date. That bookkeeping is a small note kept with the store (:data:`STATE_NOTE`): the
content hash of every document version the inferences reflect. Comparing it with the document graphs
gives the added and removed documents, so a build killed before reasoning is caught up by the next
one, even when the next one has nothing new to ingest.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV

from .control import update_control
from .errors import InputError
from .layout import CONTENT_HASH, document_hashes, put_document, remove_documents
from .mapping import map_document
from .namespaces import IRIs
from .reasoning import materialize, update_inferences
from .records import Document, Extraction
from .sources import count_documents, read_documents
from .store import Store
from .store.terms import Literal, NamedNode

__all__ = ["BuildReport", "DocumentExtractor", "DocumentMapper", "STATE_NOTE", "build", "catch_up_inferences",
           "find_documents", "inferred_fingerprint", "pending_inferences", "reason", "remove_document"]


class DocumentExtractor(Protocol):
    def pipe(self, docs: Iterable[Document], n_process: int = 1, batch_size: int = 64) -> Iterator[Extraction]: ...


class DocumentMapper(Protocol):
    """Extracts and maps documents elsewhere (:class:`kg.cluster.Cluster`): each document with its triples."""

    def map_documents(self, docs: Iterable[Document], iris: IRIs) -> Iterator[tuple[Document, list, list]]: ...


@dataclass
class BuildReport:
    ingested: list[str] = field(default_factory=list)  # new or replaced documents, by path[:line] or id
    replaced: list[str] = field(default_factory=list)  # the subset of ``ingested`` that replaced a stored version
    skipped: list[str] = field(default_factory=list)  # already stored (same key and text, or same text)
    failed: list[InputError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "extract": 0.0, "map": 0.0,
                                                                "store": 0.0, "reason": 0.0})
    triples_asserted: int = 0
    triples_inferred: int = 0
    reasoned: bool = False  # whether the inferred graph was updated by this build

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def summary(self) -> str:
        replaced = f" ({len(self.replaced)} replaced)" if self.replaced else ""
        inferred = f"{self.triples_inferred} inferred" if self.reasoned else "inferences unchanged"
        return (f"ingested {len(self.ingested)}{replaced}, skipped {len(self.skipped)} (already stored), "
                f"failed {len(self.failed)}; {self.triples_asserted} triples asserted, {inferred}")


def _label(doc: Document) -> str:
    if doc.path and doc.line:
        return f"{doc.path}:{doc.line}"
    return doc.path or doc.id


def build(paths: Iterable[str | Path], store: Store, extractor: DocumentExtractor | None, *,
          workers: int = 1, batch_size: int = 32, run_reasoner: bool = True, cluster: DocumentMapper | None = None,
          on_error: Callable[[InputError], None] | None = None,
          on_document: Callable[[Document], None] | None = None,
          on_total: Callable[[int | None], None] | None = None) -> BuildReport:
    """Ingest ``paths`` into ``store``: every new document in its own transaction, then reason once.

    ``cluster`` (instead of ``extractor``) extracts and maps on other machines; committing stays here.
    ``on_error`` gets each unreadable input, ``on_document`` each document ingested or skipped,
    ``on_total`` the number of documents expected (None when reading a stream) before the first one.
    """
    paths = list(paths)
    report = BuildReport()
    t = report.seconds

    if on_total is not None:
        with _Timer(t, "read"):
            on_total(count_documents(paths))

    seen_hashes: set[str] = set()  # texts already yielded in this run (not yet stored)

    def new_documents() -> Iterator[Document]:
        it = iter(read_documents(paths))
        while True:
            with _Timer(t, "read"):
                item = next(it, None)
                verdict = None if item is None or isinstance(item, InputError) else _verdict(store, item, seen_hashes)
            if item is None:
                return
            if isinstance(item, InputError):
                report.failed.append(item)
                if on_error:
                    on_error(item)
            elif verdict == "skip":
                report.skipped.append(_label(item))
                if on_document:
                    on_document(item)
            else:
                seen_hashes.add(item.content_hash)
                if verdict == "replace":
                    report.replaced.append(_label(item))
                yield item

    def mapped_here() -> Iterator[tuple[Document, list, list]]:
        for ex in extractor.pipe(new_documents(), n_process=workers, batch_size=batch_size):
            with _Timer(t, "map"):
                own, shared = map_document(ex, store.iris)
            yield ex.document, own, shared

    mapped = cluster.map_documents(new_documents(), store.iris) if cluster is not None else mapped_here()
    gained: set[str] = set()  # documents whose graphs took over triples a replaced version held
    while True:
        t0, read0, map0 = time.perf_counter(), t["read"], t["map"]
        item = next(mapped, None)
        # the extractor pulls documents from new_documents() inside this call: that part is reading
        t["extract"] += time.perf_counter() - t0 - (t["read"] - read0) - (t["map"] - map0)
        if item is None:
            break
        document, own, shared = item
        with _Timer(t, "store"):
            n, moved_to = put_document(store, document.key, own, shared)
            report.triples_asserted += n
            gained.update(moved_to)
        report.ingested.append(_label(document))
        if on_document:
            on_document(document)

    if run_reasoner:
        with _Timer(t, "reason"):
            inferred = catch_up_inferences(store, changed=gained)
            update_control(store)  # who held which place when: after the inferences it reads
        if inferred is not None:
            report.reasoned, report.triples_inferred = True, inferred
    store.flush()
    return report


def _verdict(store: Store, doc: Document, seen_hashes: set[str]) -> str:
    """'new', 'replace' (same key, other text: a re-crawled URL) or 'skip' (this text is stored)."""
    h = doc.content_hash
    if h in seen_hashes:
        return "skip"
    stored = store.document_hash(doc.key)
    if stored == h:
        return "skip"
    if _graphs_with_hash(store, h):
        return "skip"  # the same text under another URL or path
    return "new" if stored is None else "replace"


def _graphs_with_hash(store: Store, content_hash: str) -> list[str]:
    prefix = store.iris.document_graph_prefix
    quads = store.quads(None, CONTENT_HASH, Literal(content_hash), None)
    return [q.graph_name.value for q in quads
            if isinstance(q.graph_name, NamedNode) and q.graph_name.value.startswith(prefix)]


# ------------------------------------------------------------------------------------------ reasoning
STATE_NOTE = "kg-build-state.json"
"""The note (:meth:`Store.read_note`: a file in the store folder, or on this machine for a remote store)
recording which document versions the inferred graph reflects.

Kept out of the RDF data on purpose: SPARQL, VoID statistics and exports see only documents, ontology
and inferences. It is written after the inferred graph is committed, so a crash between the two only
makes the next build redo that update; a missing or unreadable note means "nothing reasoned yet" (one
full update). It also records the inferred graph's size: a store other clients may write (a remote one)
whose inferred graph no longer has that size was changed behind the note's back, and is reasoned again.
"""


def _reasoned_hashes(store: Store) -> dict[str, str]:
    try:
        state = json.loads(store.read_note(STATE_NOTE) or "")
        return {str(k): str(v) for k, v in state["reasoned"].items()}
    except (ValueError, KeyError, AttributeError, TypeError):
        return {}


def _recorded_fingerprint(store: Store) -> str | None:
    try:
        return str(json.loads(store.read_note(STATE_NOTE) or "")["inferred"])
    except (ValueError, KeyError, TypeError):
        return None


def inferred_fingerprint(store: Store) -> str:
    """Whether the inferred graph is still exactly what the last reasoning wrote (a ``CLEAR GRAPH`` or an edit
    through an endpoint changes it): its size and an order-free digest of its triples. On a store other
    processes can write (a remote one), reading the whole graph back on every build would cost more than the
    build, so there it is the size alone."""
    graph = store.iris.inferred_graph
    if not store.exclusive:
        return str(store.graph_size(graph))
    total, n = 0, 0
    for q in store.quads(None, None, None, NamedNode(str(graph))):
        total = (total + int.from_bytes(hashlib.blake2b(str(q.triple).encode(), digest_size=8).digest(), "big")) \
            % (1 << 64)
        n += 1
    return f"{n}:{total:016x}"


def _record_reasoned(store: Store) -> None:
    state = {"reasoned": document_hashes(store), "inferred": inferred_fingerprint(store)}
    store.write_note(STATE_NOTE, json.dumps(state, sort_keys=True))


def pending_inferences(store: Store) -> tuple[list[str], list[str]]:
    """Document keys added and removed since the inferred graph was last updated.

    A replaced document (same key, new text) is in both lists.
    """
    current, reasoned = document_hashes(store), _reasoned_hashes(store)
    added = sorted(k for k, h in current.items() if reasoned.get(k) != h)
    removed = sorted(k for k, h in reasoned.items() if current.get(k) != h)
    return added, removed


def catch_up_inferences(store: Store, *, force: bool = False, changed: Iterable[str] = ()) -> int | None:
    """Bring the inferred graph up to date with the document graphs; None when it already was.

    ``changed``: documents whose graphs changed under the same content hash (they took over shared triples
    from a removed or replaced document, :mod:`kg.layout`)."""
    added, removed = pending_inferences(store)
    stored = set(store.document_keys()) if changed else set()
    for key in sorted(set(changed) & stored):
        if key not in added:
            added.append(key)
            removed.append(key)
    if _recorded_fingerprint(store) != inferred_fingerprint(store):
        # missing, cleared or edited since the last reasoning (or no state recorded): an incremental update
        # would build on a wrong graph and miss the schema-level inferences, so recompute it whole
        return reason(store)
    if not (added or removed or force):
        return None
    n = update_inferences(store, added, removed)  # falls back to a full closure by itself
    store.flush()  # the inferred graph is on disk before the note says so
    _record_reasoned(store)
    return n


def reason(store: Store) -> int:
    """Recompute the inferred graph from the ontology and every document graph."""
    n = materialize(store)  # also (re)writes the ontology graph
    store.flush()
    _record_reasoned(store)
    update_control(store)
    return n


# ------------------------------------------------------------------------------------------ removal
_KEY = re.compile(r"[0-9a-f]{16}")


def find_documents(store: Store, doc_ref: str) -> list[str]:
    """Keys of the stored documents ``doc_ref`` names: a key, a URL, a path (all documents read from that
    file), or an id (file stem / jsonl ``id``; an error when several documents share it)."""
    prefix = store.iris.document_graph_prefix
    if _KEY.fullmatch(doc_ref) and store.contains_graph(prefix + doc_ref):
        return [doc_ref]

    def graphs(predicate: URIRef, values: Iterable[NamedNode | Literal]) -> list[str]:
        keys: set[str] = set()
        for v in values:
            for q in store.quads(None, NamedNode(str(predicate)), v, None):
                g = q.graph_name
                if isinstance(g, NamedNode) and g.value.startswith(prefix):
                    keys.add(g.value[len(prefix):])
        return sorted(keys)

    url_terms: list[NamedNode | Literal] = [Literal(doc_ref)]
    if "://" in doc_ref:
        try:
            url_terms.insert(0, NamedNode(doc_ref))
        except ValueError:
            pass
    if found := graphs(DCTERMS.source, url_terms):
        return found
    paths = {doc_ref, str(Path(doc_ref))}
    if found := graphs(PROV.hadPrimarySource, [Literal(p) for p in sorted(paths)]):
        return found
    if found := graphs(DCTERMS.identifier, [Literal(doc_ref)]):
        if len(found) > 1:
            raise InputError(doc_ref, f"{len(found)} stored documents have this id; name one by path, URL "
                                      f"or key ({', '.join(found[:5])}{', …' if len(found) > 5 else ''})")
        return found
    return []


def remove_document(store: Store, doc_ref: str) -> str:
    """Remove a document (by id, path, key or URL) and what was inferred only from it; one-line message."""
    keys = find_documents(store, doc_ref)
    if not keys:
        raise InputError(doc_ref, "no such document in the store")
    triples, gained = remove_documents(store, keys)
    inferred = catch_up_inferences(store, changed=gained)
    update_control(store)
    store.flush()
    what = f"document {keys[0]}" if len(keys) == 1 else f"{len(keys)} documents"
    after = f"; {inferred} inferred triples" if inferred is not None else ""
    return f"removed {what} ({doc_ref}): {triples} triples{after}"


class _Timer:
    def __init__(self, seconds: dict[str, float], stage: str):
        self.seconds, self.stage = seconds, stage

    def __enter__(self):
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        self.seconds[self.stage] += time.perf_counter() - self.t0
