"""Map one document's extraction records to RDF triples for its named graph.

Each relation becomes an n-ary node (a ck:Event such as ck:Capture, or a ck:Relationship such as
ck:Leadership) with role properties; the reasoner derives the binary shortcuts (ck:captured, ...)
from those roles through owl:propertyChainAxiom. Non-asserted relations (negated, hypothetical, ...)
use only the generic ck:target role, so no shortcut is ever derived from them.

PLOVER: an event node is typed with the class of its PLOVER type (``kg.plover``, read from the data plover.ttl
is generated from) and carries ``ck:ploverMode``, ``ck:ploverContext`` and ``ck:cameoCode``. A relation of a
family keeps its class and role and gains its PLOVER class where that is not implied (an attack coded FIGHT is
also a ck:Fight; backing coded AID a ck:Aid, with the ck:aidRecipient role beside ck:beneficiary). A PLOVER event
of another type has every source as ``ck:agent`` and every target in its type's role (``ck:threatenedParty``;
the mode's role where there is one: ``ck:detainee`` for COERCE/arrest), so the shortcuts (``ck:threatened``,
``ck:arrested`` ...) are derived; in a joint event (AGREE, CONSULT, COOPERATE, FIGHT: a symmetric shortcut) the
first party is the agent and the others take the role, as plover.ttl defines.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from .namespaces import CK, GAF, GEO, GEONAMES, NIF, IRIs
from .plover import CAMEO_NS, CONTEXT_NS, load_plover_types
from .records import Attribution, Document, Event, Extraction, PloverCoding, Relation

__all__ = ["EVENT_MODEL", "GENERIC_MODEL", "EventModel", "event_model", "map_document", "map_extraction"]

Triple = tuple[URIRef, URIRef, object]
WIKIDATA = "http://www.wikidata.org/entity/"


@dataclass(frozen=True)
class EventModel:
    """How one relation property is reified: the node's class and the object's role."""

    event_class: URIRef
    object_role: URIRef


EVENT_MODEL: dict[str, EventModel] = {
    "captured": EventModel(CK.Capture, CK.capturedPlace),
    "recaptured": EventModel(CK.Recapture, CK.recapturedPlace),
    "backs": EventModel(CK.Support, CK.beneficiary),
    "eliminated": EventModel(CK.Killing, CK.victim),
    "attacked": EventModel(CK.Attack, CK.attackTarget),
    "invaded": EventModel(CK.Invasion, CK.invadedPlace),
    "leads": EventModel(CK.Leadership, CK.ledUnit),
    "memberOf": EventModel(CK.Membership, CK.group),
    "alliedWith": EventModel(CK.Alliance, CK.ally),
    "opposes": EventModel(CK.Opposition, CK.opponent),
}

GENERIC_MODEL = EventModel(CK.Event, CK.target)  # a relation the ontology has no chain for: no shortcut derived


@functools.cache
def event_model(predicate: str) -> EventModel:
    """How ``predicate`` is reified: its :data:`EVENT_MODEL` entry, else read from the ontology — the role of
    the chain ``ck:PREDICATE owl:propertyChainAxiom ( ck:agentOf ROLE )`` and the role's ``rdfs:domain`` — else
    :data:`GENERIC_MODEL`. A relation type added to the ontology and the lexicon needs no entry here, and an
    unknown one never raises."""
    if predicate in EVENT_MODEL:
        return EVENT_MODEL[predicate]
    return _model_from_ontology(predicate) or GENERIC_MODEL


def _model_from_ontology(predicate: str) -> EventModel | None:
    g = _ontology()
    for chain in g.objects(CK[predicate], OWL.propertyChainAxiom):
        steps = list(Collection(g, chain))
        if len(steps) == 2 and steps[0] == CK.agentOf:
            domain = g.value(steps[1], RDFS.domain)
            if isinstance(domain, URIRef) and isinstance(steps[1], URIRef):
                return EventModel(domain, steps[1])
    return None


@functools.cache
def _ontology() -> Graph:
    from .reasoning import load_ontology  # the OWL model (every ontology file), parsed once

    return load_ontology()


STATEMENT_CLASS = {"claimed": CK.Claim, "denied": CK.Denial, "confirmed": CK.Confirmation, "reported": CK.Report}
ATTRIBUTION_SHORTCUT = {"claimed": CK.claimedBy, "denied": CK.deniedBy, "confirmed": CK.confirmedBy,
                        "reported": CK.reportedBy}
MODALITY = {"asserted": CK.Asserted, "negated": CK.Negated, "hypothetical": CK.Hypothetical,
            "conditional": CK.Conditional, "intended": CK.Intended, "question": CK.Question}


def _date_literal(value: str) -> Literal:
    """'2024' → xsd:gYear, '2024-12' → xsd:gYearMonth, '2024-12-03' → xsd:date."""
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth}.get(len(value), XSD.date)
    return Literal(value, datatype=datatype)


def map_extraction(ex: Extraction, iris: IRIs) -> list[Triple]:
    """All triples one document states."""
    own, shared = map_document(ex, iris)
    return own + shared


def map_document(ex: Extraction, iris: IRIs) -> tuple[list[Triple], list[Triple]]:
    """One document's triples in two parts: (its own, shared).

    Its own triples are about nodes only this document mints (the document, its events, statements and
    mentions, and which mentions denote an entity), so no other document states them. The shared ones
    describe entities (label, type, aliases, coordinates, links): every document that mentions an entity
    states them again, and the store keeps each once (:mod:`kg.build`).
    """
    own = list(_document_triples(ex.document, iris)) + list(_mention_links(ex, iris)) + [
        t for rel in ex.relations for t in _relation_triples(ex, rel, iris)
    ] + [t for ev in ex.events for t in _event_triples(ex, ev, iris)]
    return own, list(_entity_descriptions(ex, iris))


def _document_triples(doc: Document, iris: IRIs) -> Iterator[Triple]:
    d = iris.document(doc.key)
    yield d, RDF.type, CK.Document
    yield d, CK.contentHash, Literal(doc.content_hash)
    yield d, NIF.isString, Literal(doc.text)
    yield d, DCTERMS.identifier, Literal(doc.id)
    if doc.path:
        yield d, PROV.hadPrimarySource, Literal(doc.path)
    if doc.title:
        yield d, DCTERMS.title, Literal(doc.title)
        yield d, RDFS.label, Literal(doc.title)
    else:
        yield d, RDFS.label, Literal(doc.id)
    if doc.date:
        yield d, DCTERMS.date, _date_literal(doc.date[:10])
    if doc.url:
        yield d, DCTERMS.source, URIRef(doc.url)
    if doc.source:
        yield d, DCTERMS.publisher, Literal(doc.source)
    if doc.author:
        yield d, DCTERMS.creator, Literal(doc.author)


def _entity_descriptions(ex: Extraction, iris: IRIs) -> Iterator[Triple]:
    for ent in ex.entities.values():
        e = iris.entity(ent.key)
        yield e, RDF.type, CK[ent.type]
        yield e, RDFS.label, Literal(ent.label)
        for alias in sorted(ent.aliases - {ent.label}):
            yield e, SKOS.altLabel, Literal(alias)
        if ent.geonames_id:
            yield e, SKOS.exactMatch, URIRef(f"{GEONAMES}{ent.geonames_id}/")
            yield e, CK.geonamesId, Literal(ent.geonames_id)
        if ent.latitude is not None and ent.longitude is not None:
            yield e, GEO.lat, Literal(Decimal(f"{ent.latitude:.5f}"))
            yield e, GEO.long, Literal(Decimal(f"{ent.longitude:.5f}"))
        if ent.located_in and ent.located_in in ex.entities:
            yield e, CK.locatedIn, iris.entity(ent.located_in)
        if ent.wikidata:
            # skos:exactMatch, not owl:sameAs: sameAs would merge our IRI with Wikidata's under OWL RL (and
            # push reasoning to owlrl's slow fallback); an exact match is a link a client can follow
            yield e, SKOS.exactMatch, URIRef(f"{WIKIDATA}{ent.wikidata}")
        for prop, target in sorted(ent.links.items()):
            if target in ex.entities:
                yield e, CK[prop], iris.entity(target)


def _mention_links(ex: Extraction, iris: IRIs) -> Iterator[Triple]:
    doc_key = ex.document.key
    for ent in ex.entities.values():
        e = iris.entity(ent.key)
        for span in ent.mentions:
            m = iris.mention(doc_key, span.start, span.end)
            yield e, GAF.denotedBy, m
            yield from _mention_triples(m, span.start, span.end, span.text, doc_key, iris)


def _mention_triples(m: URIRef, start: int, end: int, text: str, doc_key: str, iris: IRIs) -> Iterator[Triple]:
    yield m, RDF.type, CK.Mention
    yield m, NIF.beginIndex, Literal(start)
    yield m, NIF.endIndex, Literal(end)
    yield m, NIF.anchorOf, Literal(text)
    yield m, NIF.referenceContext, iris.document(doc_key)


def _relation_triples(ex: Extraction, rel: Relation, iris: IRIs) -> Iterator[Triple]:
    model = event_model(rel.predicate)
    if rel.predicate == "leads" and rel.object in ex.entities and not ex.entities[rel.object].named:
        # "the jihadist rebels, led by HTS": what the described group does is reachable from its leader
        model = EventModel(CK.Leadership, CK.directedGroup)
    doc_key = ex.document.key
    event = iris.event(doc_key, rel.predicate, rel.subject, rel.object, rel.trigger.start)
    subj, obj = iris.entity(rel.subject), iris.entity(rel.object)
    yield event, RDF.type, model.event_class
    yield event, CK.agent, subj
    yield event, model.object_role if rel.is_fact else CK.target, obj
    if rel.plover is not None:
        yield from _coding_triples(event, rel.plover)
        if rel.is_fact and model.event_class == CK.Support:  # endorsed or aided, besides backs
            yield event, CK[load_plover_types().role(rel.plover.type, rel.plover.mode)], obj
    subj_label = ex.entities[rel.subject].label if rel.subject in ex.entities else rel.subject
    obj_label = ex.entities[rel.object].label if rel.object in ex.entities else rel.object
    yield event, RDFS.label, Literal(f"{subj_label} {rel.predicate} {obj_label}")
    yield from _evidence_triples(ex, rel, event, iris)


def _event_triples(ex: Extraction, ev: Event, iris: IRIs) -> Iterator[Triple]:
    types = load_plover_types()
    doc_key = ex.document.key
    event = iris.event(doc_key, ev.predicate, ev.sources[0], ev.targets[0] if ev.targets else "", ev.trigger.start)
    yield from _coding_triples(event, ev.coding)
    joint = types.types[ev.coding.type].joint and ev.is_fact
    agents = ev.sources[:1] if joint else ev.sources
    role = CK[types.role(ev.coding.type, ev.coding.mode)] if ev.is_fact else CK.target
    for key in agents:
        yield event, CK.agent, iris.entity(key)
    for key in (ev.sources[1:] if joint else []) + ev.targets:
        yield event, role, iris.entity(key)

    def labels(keys: list[str]) -> str:
        return " and ".join(ex.entities[k].label if k in ex.entities else k for k in keys)

    yield event, RDFS.label, Literal(f"{labels(ev.sources)} {ev.predicate} {labels(ev.targets)}".strip())
    yield from _evidence_triples(ex, ev, event, iris)


def _coding_triples(event: URIRef, coding: PloverCoding) -> Iterator[Triple]:
    types = load_plover_types()
    yield event, RDF.type, CK[types.types[coding.type].cls]
    mode = types.mode_iri(coding.type, coding.mode) if coding.mode else None
    if mode:
        yield event, CK.ploverMode, URIRef(mode)
    for context in coding.context:
        yield event, CK.ploverContext, URIRef(f"{CONTEXT_NS}{context}")
    if coding.cameo:
        yield event, CK.cameoCode, URIRef(f"{CAMEO_NS}{coding.cameo}")


def _evidence_triples(ex: Extraction, fact: Relation | Event, event: URIRef, iris: IRIs) -> Iterator[Triple]:
    """Modality, document, sentence, confidence, date, place, provenance and attribution of an event node."""
    doc_key = ex.document.key
    yield event, CK.modality, MODALITY[fact.modality]
    yield event, CK.source, iris.document(doc_key)
    yield event, CK.sentence, Literal(fact.sentence.text)
    yield event, CK.confidence, Literal(Decimal(f"{fact.confidence:.2f}"))
    if fact.date:
        yield event, CK.date, _date_literal(fact.date)
    if fact.date_text:
        yield event, CK.dateText, Literal(fact.date_text)
    if fact.place and fact.place in ex.entities:
        yield event, CK.place, iris.entity(fact.place)
    if fact.quantity is not None:  # a counted, unnamed target: "captured seven villages"
        yield event, CK.quantity, Literal(fact.quantity)
    if fact.quantity_qualifier:
        yield event, CK.quantityQualifier, Literal(fact.quantity_qualifier)
    if fact.target_description:
        yield event, CK.targetDescription, Literal(fact.target_description)
    # Provenance: the trigger mention denotes the event; the sentence is what it was derived from.
    trigger = iris.mention(doc_key, fact.trigger.start, fact.trigger.end)
    sentence = iris.mention(doc_key, fact.sentence.start, fact.sentence.end)
    yield event, GAF.denotedBy, trigger
    yield from _mention_triples(trigger, fact.trigger.start, fact.trigger.end, fact.trigger.text, doc_key, iris)
    yield event, PROV.wasDerivedFrom, sentence
    yield from _mention_triples(sentence, fact.sentence.start, fact.sentence.end, fact.sentence.text, doc_key, iris)
    yield sentence, RDF.type, NIF.Sentence
    for att in fact.attributions:
        yield from _attribution_triples(event, fact, att, doc_key, iris)


def _attribution_triples(event: URIRef, rel: Relation | Event, att: Attribution, doc_key: str,
                         iris: IRIs) -> Iterator[Triple]:
    stmt = iris.statement(doc_key, att.kind, att.source_key, str(event))
    yield stmt, RDF.type, STATEMENT_CLASS[att.kind]
    yield stmt, CK.about, event
    yield stmt, CK.source, iris.document(doc_key)
    # a statement is evidenced by the same sentence as the fact it is about
    yield stmt, CK.sentence, Literal(rel.sentence.text)
    yield stmt, PROV.wasDerivedFrom, iris.mention(doc_key, rel.sentence.start, rel.sentence.end)
    if att.source_key:
        yield stmt, CK.agent, iris.entity(att.source_key)
        yield event, ATTRIBUTION_SHORTCUT[att.kind], iris.entity(att.source_key)
    if att.trigger:
        m = iris.mention(doc_key, att.trigger.start, att.trigger.end)
        yield stmt, GAF.denotedBy, m
        yield from _mention_triples(m, att.trigger.start, att.trigger.end, att.trigger.text, doc_key, iris)


