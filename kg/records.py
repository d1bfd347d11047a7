"""The typed records passed between pipeline stages: read → extract → map.

They are deliberately small and free of spaCy and rdflib objects, so each stage can be
tested alone with hand-made records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Modality", "AttributionKind", "Document", "Span", "Entity", "Attribution", "PloverCoding", "Relation",
           "Event", "Extraction"]

Modality = Literal["asserted", "negated", "hypothetical", "conditional", "intended", "question"]
AttributionKind = Literal["claimed", "denied", "confirmed", "reported"]


@dataclass(frozen=True)
class Document:
    """One input article. ``id`` is the file stem (or jsonl ``id``); ``path`` where it came from."""

    id: str
    text: str
    path: str = ""
    title: str | None = None
    date: str | None = None  # ISO 8601 publication date when the input gives one
    url: str | None = None
    source: str | None = None  # publisher / site name
    author: str | None = None
    line: int | None = None  # line number inside a .jsonl file

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def key(self) -> str:
        """Stable identity: the URL when known (re-crawls replace), else the content hash."""
        basis = self.url or self.content_hash
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Span:
    """Character offsets into ``Document.text`` (end exclusive) and the covered text."""

    start: int
    end: int
    text: str


@dataclass
class Entity:
    """A canonical actor or place within one document.

    ``key`` is a stable slug shared across documents for the same real-world entity
    (gazetteer id when known, else a normalised label), so documents merge on it.
    ``type`` is the local name of an ontology class (Person, ArmedGroup, City, ...).
    """

    key: str
    label: str
    type: str
    aliases: set[str] = field(default_factory=set)
    mentions: list[Span] = field(default_factory=list)
    geonames_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    country_code: str | None = None
    located_in: str | None = None  # key of another Entity
    named: bool = True  # False for a description ("jihadist rebels"): its key is scoped to the document
    wikidata: str | None = None  # Wikidata QID from the gazetteer ("Q858")
    links: dict[str, str] = field(default_factory=dict)  # ontology property -> key: governmentOf, armedForcesOf, ...


@dataclass(frozen=True)
class Attribution:
    """Who asserts a relation and how ("claimed by X", "denied by Y")."""

    kind: AttributionKind
    source_key: str | None  # entity key of the claimant, None when only a verb is known
    source_label: str | None
    trigger: Span | None = None


@dataclass(frozen=True)
class PloverCoding:
    """How PLOVER codes an event: its type as ``ck:ploverCode`` writes it ("ASSAULT"), a mode of that type
    ("firearms", or ""), contexts ("military", ...) and a CAMEO code ("193", or "")."""

    type: str
    mode: str = ""
    context: tuple[str, ...] = ()
    cameo: str = ""


@dataclass
class Relation:
    """One extracted fact: ``subject`` --predicate--> ``object``, with its evidence.

    ``predicate`` is the local name of an ontology property (captured, backs, ...).
    Subject and object are entity keys into ``Extraction.entities``.
    """

    subject: str
    predicate: str
    object: str
    sentence: Span
    trigger: Span
    modality: Modality = "asserted"
    attributions: list[Attribution] = field(default_factory=list)
    date: str | None = None  # ISO date (YYYY, YYYY-MM or YYYY-MM-DD) when resolved
    date_text: str | None = None  # the time expression as written
    place: str | None = None  # entity key of where it happened
    confidence: float = 0.5
    plover: PloverCoding | None = None  # the PLOVER coding when the relation is an event (not leads, memberOf ...)
    subject_name: str | None = None  # the subject as the sentence names it, when that is a proper name of it
    object_name: str | None = None
    # a counted, unnamed object ("seven villages", "about 50 soldiers"): how many, how hedged, what they are
    quantity: int | None = None
    quantity_qualifier: str | None = None  # "about", "at least", "more than"
    target_description: str | None = None  # "villages"

    @property
    def is_fact(self) -> bool:
        return self.modality == "asserted"


@dataclass
class Event:
    """A PLOVER event outside the relation families ("X threatened Y", "talks between X, Y and Z"): several
    source actors and targets (entity keys). In a joint event (talks, agreements, clashes) every party is a
    source."""

    coding: PloverCoding
    predicate: str  # the ontology shortcut it derives (threatened, metWith, arrested ...)
    sources: list[str]
    targets: list[str]
    sentence: Span
    trigger: Span
    joint: bool = False
    modality: Modality = "asserted"
    attributions: list[Attribution] = field(default_factory=list)
    date: str | None = None
    date_text: str | None = None
    place: str | None = None
    confidence: float = 0.5
    names: dict[str, str] = field(default_factory=dict)  # entity key -> the proper name this sentence uses
    quantity: int | None = None  # a counted, unnamed target, as on Relation ("arrested 30 protesters")
    quantity_qualifier: str | None = None
    target_description: str | None = None

    @property
    def is_fact(self) -> bool:
        return self.modality == "asserted"


@dataclass
class Extraction:
    """Everything extracted from one document."""

    document: Document
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
