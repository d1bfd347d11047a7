"""``kg validate``: SHACL shapes and OWL consistency of a stored knowledge graph.

Two checks, both on the asserted document graphs plus the inferred graph (and the derived control intervals):

- SHACL (pyshacl) with ``ontology/shapes.ttl``: what every extracted event must carry (an agent, the
  sentence it came from, its document, a modality, ...). The ontology is passed as ``ont_graph``.
- OWL 2 RL consistency: entities in two disjoint classes (cax-dw, e.g. typed Person and, through the
  range of ck:capturedPlace, Place), entities typed owl:Nothing, and owlrl error triples if a fallback
  wrote any. When the store has no inferred graph yet, inferences are computed in memory first.

Each violation names the entity, its label and the sentence(s) it was extracted from, so a user can
find the text that misled the extractor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from .control import derived_graph
from .namespaces import CK, GAF, NIF
from .reasoning import ONTOLOGY_DIR, Reasoner, load_ontology
from .store import Store
from .store.terms import from_ox

__all__ = ["SHAPES_FILE", "ValidationReport", "Violation", "validate", "validate_graph"]

SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
SH = Namespace("http://www.w3.org/ns/shacl#")
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")  # owlrl's error vocabulary
PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
MAX_SENTENCES = 3


@dataclass
class Violation:
    kind: str  # "shacl" or "owl"
    entity: str
    label: str | None
    message: str
    sentences: list[str] = field(default_factory=list)
    severity: str = "violation"  # or "warning" (does not fail validation)

    def format(self) -> str:
        label = f" ({self.label})" if self.label else ""
        lines = [f"[{self.kind} {self.severity}] <{self.entity}>{label}: {self.message}"]
        lines += [f"    from: \"{s}\"" for s in self.sentences]
        return "\n".join(lines)


@dataclass
class ValidationReport:
    violations: list[Violation] = field(default_factory=list)
    entities_checked: int = 0
    triples_checked: int = 0

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity != "violation"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def format(self) -> str:
        head = (f"{'OK' if self.ok else 'INVALID'}: {len(self.errors)} violation(s), {len(self.warnings)} "
                f"warning(s) in {self.triples_checked} triples (SHACL shapes and OWL consistency)")
        return "\n".join([head] + [v.format() for v in self.errors + self.warnings])


def validate(store: Store) -> ValidationReport:
    """Validate the store's asserted and inferred graphs (read-only: nothing is written)."""
    with store.read_view() as view:
        return _validate(view)


def _validate(store: Store) -> ValidationReport:
    data = Graph()
    for key in store.document_keys():
        for t in store.graph_triples(store.iris.document_graph(key)):
            data.add(t)
    if store.contains_graph(store.iris.inferred_graph):
        for t in store.graph_triples(store.iris.inferred_graph):
            data.add(t)
    else:
        for s, p, o in Reasoner.from_store(store).inferred():
            data.add((from_ox(s), from_ox(p), from_ox(o)))
    if store.contains_graph(derived_graph(store.iris)):  # control intervals
        for t in store.graph_triples(derived_graph(store.iris)):
            data.add(t)
    ontology = store.graph(store.iris.ontology_graph) if store.contains_graph(store.iris.ontology_graph) else None
    return validate_graph(data, ontology if ontology is not None and len(ontology) else load_ontology())


def validate_graph(data: Graph, ontology: Graph, shapes: Path = SHAPES_FILE) -> ValidationReport:
    """Validate ``data`` (asserted plus inferred triples) against the shapes and the ontology's axioms."""
    report = ValidationReport(triples_checked=len(data))
    report.violations += _shacl(data, ontology, shapes)
    report.violations += _owl(data, ontology)
    report.entities_checked = len(set(data.subjects(RDF.type, None)))
    report.violations.sort(key=lambda v: (v.severity != "violation", v.kind, v.entity, v.message))
    return report


def _shacl(data: Graph, ontology: Graph, shapes_path: Path) -> list[Violation]:
    import pyshacl  # slow to import: only when validating

    shapes = Graph().parse(shapes_path, format="turtle")
    _conforms, results, _text = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                                 abort_on_first=False, allow_warnings=True)
    out = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        message = results.value(r, SH.resultMessage)
        severity = "violation" if results.value(r, SH.resultSeverity) == SH.Violation else "warning"
        where = f" on {_short(path)}" if isinstance(path, URIRef) else ""
        value = results.value(r, SH.value)
        got = f" (value {value})" if value is not None else ""
        out.append(Violation("shacl", str(focus), _label(data, focus), f"{message}{where}{got}",
                             _sentences(data, focus), severity))
    return out


def _owl(data: Graph, ontology: Graph) -> list[Violation]:
    out = []
    pairs = {tuple(sorted((c1, c2), key=str)) for c1, c2 in ontology.subject_objects(OWL.disjointWith)}
    for c1, c2 in sorted(pairs, key=str):
        for x in sorted(set(data.subjects(RDF.type, c1)) & set(data.subjects(RDF.type, c2)), key=str):
            out.append(Violation("owl", str(x), _label(data, x),
                                 f"inconsistent: typed both {_short(c1)} and {_short(c2)}, which are disjoint"
                                 f"{_why(data, x, (c1, c2))}", _sentences(data, x)))
    for x in sorted(data.subjects(RDF.type, OWL.Nothing), key=str):
        out.append(Violation("owl", str(x), _label(data, x), "inconsistent: typed owl:Nothing", _sentences(data, x)))
    for msg in data.subjects(RDF.type, ERR.ErrorMessage):
        for text in data.objects(msg, ERR.error):
            out.append(Violation("owl", str(msg), None, f"owlrl: {text}"))
    return out


def _why(data: Graph, x: Node, classes: Iterable[Node]) -> str:
    """Which asserted statements give ``x`` its types: its own type and the roles it plays."""
    roles = sorted({_short(p) for _s, p in data.subject_predicates(x) if str(p).startswith(str(CK))})
    asserted = sorted({_short(c) for c in data.objects(x, RDF.type) if str(c).startswith(str(CK))})
    del classes
    parts = []
    if asserted:
        parts.append("types " + ", ".join(asserted))
    if roles:
        parts.append("object of " + ", ".join(roles))
    return f" ({'; '.join(parts)})" if parts else ""


def _label(data: Graph, x: Node) -> str | None:
    v = data.value(x, RDFS.label)
    return str(v) if v is not None else None


def _sentences(data: Graph, x: Node) -> list[str]:
    """The sentences ``x`` was extracted from: its own ck:sentence, the sentences of events it takes part in,
    else the text of its mentions."""
    found: list[str] = []

    def add(values: Iterable[Node]) -> None:
        for v in values:
            if isinstance(v, Literal) and str(v) not in found:
                found.append(str(v))

    add(data.objects(x, CK.sentence))
    for m in data.objects(x, PROV_DERIVED):
        add(data.objects(m, NIF.anchorOf))
    for event, _p in sorted(data.subject_predicates(x), key=str):
        add(data.objects(event, CK.sentence))
    if not found:
        for m in data.objects(x, GAF.denotedBy):
            add(data.objects(m, NIF.anchorOf))
    return found[:MAX_SENTENCES]


def _short(term: Node) -> str:
    s = str(term)
    for prefix, ns in (("ck:", CK), ("owl:", OWL), ("rdfs:", RDFS), ("nif:", NIF)):
        if s.startswith(str(ns)):
            return prefix + s[len(str(ns)):]
    return f"<{s}>"
