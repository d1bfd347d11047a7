"""Synthetic knowledge graphs of a chosen size, built from random extraction records.

No spaCy is involved: records are generated and mapped with the real :func:`kg.mapping.map_extraction`,
so the graph has exactly the shape `kg build` produces. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from kg.mapping import map_extraction
from kg.namespaces import IRIs
from kg.records import Attribution, Document, Entity, Extraction, Relation, Span
from kg.store import Store

PREDICATES = ["captured", "recaptured", "backs", "eliminated", "attacked", "invaded", "leads", "memberOf",
              "alliedWith", "opposes"]
PLACE_OBJECT = {"captured", "recaptured", "invaded"}
ACTOR_TYPES = ["ArmedGroup", "Government", "MilitaryForce", "Person", "Country", "Organization"]
PLACE_TYPES = ["City", "Town", "Village", "Province"]


def synthetic_extraction(i: int, rng: random.Random, n_actors: int = 2000, n_places: int = 5000,
                         relations: int = 8) -> Extraction:
    text = f"Synthetic report {i}. " + " ".join(f"Sentence {k} about the fighting." for k in range(relations))
    doc = Document(id=f"synthetic-{i:07d}", text=text, path=f"synthetic/{i}.txt", date="2024-12-01")
    entities: dict[str, Entity] = {}
    rels: list[Relation] = []

    def entity(kind: str) -> str:
        if kind == "place":
            n = rng.randrange(n_places)
            key, label, typ = f"place-{n}", f"Place {n}", PLACE_TYPES[n % len(PLACE_TYPES)]
        else:
            n = rng.randrange(n_actors)
            key, label, typ = f"actor-{n}", f"Actor {n}", ACTOR_TYPES[n % len(ACTOR_TYPES)]
        if key not in entities:
            entities[key] = Entity(key, label, typ, {label}, [Span(0, 9, "Synthetic")])
        return key

    for k in range(relations):
        pred = rng.choice(PREDICATES)
        subj = entity("actor")
        obj = entity("place" if pred in PLACE_OBJECT else "actor")
        start = text.index(f"Sentence {k} ")
        sent = Span(start, start + len(f"Sentence {k} about the fighting."), f"Sentence {k} about the fighting.")
        atts = [Attribution("claimed", subj, entities[subj].label, None)] if rng.random() < 0.2 else []
        rels.append(Relation(subj, pred, obj, sent, Span(start, start + 8, "Sentence"), attributions=atts,
                             date=f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}",
                             confidence=0.8))
    return Extraction(doc, entities, rels)


def synthetic_documents(n_docs: int, seed: int = 7, **kw) -> Iterator[Extraction]:
    rng = random.Random(seed)
    for i in range(n_docs):
        yield synthetic_extraction(i, rng, **kw)


def triples_per_document(**kw) -> int:
    return len(map_extraction(synthetic_extraction(0, random.Random(0), **kw), IRIs()))


def fill_store(store: Store, n_triples: int, seed: int = 7, **kw) -> int:
    """Add synthetic documents until about ``n_triples`` asserted triples; returns the document count."""
    n_docs = max(1, n_triples // triples_per_document(**kw))
    for ex in synthetic_documents(n_docs, seed, **kw):
        store.put_graph(store.iris.document_graph(ex.document.key), map_extraction(ex, store.iris))
    store.flush()
    return n_docs
