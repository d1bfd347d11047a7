"""Vocabularies and the IRI scheme. Every IRI the tool mints is made here, so they stay stable:
the same input and base IRI always give the same IRIs."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

CK = Namespace("https://w3id.org/conflict-kg/ontology#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
GAF = Namespace("http://groundedannotationframework.org/gaf#")
TIME = Namespace("http://www.w3.org/2006/time#")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
GEONAMES = "https://sws.geonames.org/"

PREFIXES: dict[str, Namespace | str] = {
    "ck": CK, "sem": SEM, "nif": NIF, "gaf": GAF, "prov": PROV, "skos": SKOS, "dcterms": DCTERMS,
    "time": TIME, "schema": SCHEMA, "geo": GEO, "owl": OWL, "rdf": RDF, "rdfs": RDFS, "xsd": XSD,
}

DEFAULT_BASE_IRI = "http://127.0.0.1:5000/"

__all__ = [
    "CK", "SEM", "NIF", "GAF", "TIME", "SCHEMA", "GEO", "GEONAMES", "PREFIXES", "DEFAULT_BASE_IRI",
    "IRIs", "slugify", "sparql_prologue",
]


def slugify(text: str) -> str:
    """ASCII slug for IRIs: 'Bashar al-Assad' -> 'bashar-al-assad'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text.lower()).strip("-")
    return text or "x"


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def sparql_prologue() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


class IRIs:
    """Mints the IRIs of one knowledge graph under a base IRI (``--base-iri`` / ``KG_BASE_IRI``)."""

    def __init__(self, base: str | None = None):
        base = base or os.environ.get("KG_BASE_IRI") or DEFAULT_BASE_IRI
        # Resources are paths under the base and mentions use fragments (#char=…), so the base
        # must be hierarchical: a trailing '#' would give IRIs with two fragments.
        base = base.rstrip("#")
        self.base = base if base.endswith("/") else base + "/"

    def entity(self, key: str) -> URIRef:
        return URIRef(f"{self.base}entity/{key}")

    def document(self, doc_key: str) -> URIRef:
        return URIRef(f"{self.base}doc/{doc_key}")

    def document_graph(self, doc_key: str) -> URIRef:
        return URIRef(f"{self.document_graph_prefix}{doc_key}")

    def mention(self, doc_key: str, start: int, end: int) -> URIRef:
        # RFC 5147 style fragment, as NIF recommends
        return URIRef(f"{self.base}doc/{doc_key}#char={start},{end}")

    def event(self, doc_key: str, predicate: str, subject: str, obj: str, start: int) -> URIRef:
        return URIRef(f"{self.base}event/{_hash(doc_key, predicate, subject, obj, start)}")

    def statement(self, doc_key: str, kind: str, source: str | None, event: str) -> URIRef:
        return URIRef(f"{self.base}statement/{_hash(doc_key, kind, source, event)}")

    @property
    def document_graph_prefix(self) -> str:
        """Every document graph's IRI is this prefix followed by the document key."""
        return f"{self.base}graph/doc/"

    @property
    def ontology_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/ontology")

    @property
    def inferred_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/inferred")

    @property
    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}dataset")

    def is_document_graph(self, iri: str) -> bool:
        return str(iri).startswith(self.document_graph_prefix)
