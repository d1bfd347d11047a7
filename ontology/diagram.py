"""Draw the ontology: class hierarchy and property hierarchy as Graphviz pictures.

``python ontology/diagram.py`` writes ``ontology/ontology.svg`` (the terms of conflict.ttl) and
``ontology/plover.svg`` (the PLOVER module, plover.ttl: event types, their roles and shortcuts; its concept
schemes are counted, not drawn). Needs Graphviz ``dot``; without it, the DOT sources (``.dot``).
:func:`to_dot` is pure Python, so tests do not need Graphviz.

Legend: solid arrows are rdfs:subClassOf / rdfs:subPropertyOf (towards the more general term), red dashed
lines owl:disjointWith, blue dotted lines owl:inverseOf; grey boxes are terms of aligned vocabularies
(SEM, PROV-O, NIF, GAF, Dublin Core). A property shows its domain → range and, when it is a shortcut, the
property chain it is derived from. Terms of the other picture show as grey boxes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

HERE = Path(__file__).resolve().parent
CK = "https://w3id.org/conflict-kg/ontology#"
PREFIXES = {CK: "", "http://semanticweb.cs.vu.nl/2009/11/sem/": "sem:", "http://www.w3.org/ns/prov#": "prov:",
            "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#": "nif:",
            "http://groundedannotationframework.org/gaf#": "gaf:", "http://purl.org/dc/terms/": "dcterms:",
            "http://www.w3.org/2001/XMLSchema#": "xsd:", "http://www.w3.org/2004/02/skos/core#": "skos:"}
MODE_OF, PLOVER_CODE = URIRef(CK + "modeOf"), URIRef(CK + "ploverCode")
EXTERNAL = 'shape=box, style="rounded,filled", fillcolor="#eeeeee", color="#999999", fontcolor="#555555"'


PICTURES = {"ontology.svg": ("conflict.ttl", "Conflict-news ontology (ck:)"),
            "plover.svg": ("plover.ttl", "PLOVER event types in the conflict-news ontology (ck:)")}


def load(paths: list[Path] | None = None) -> Graph:
    g = Graph()
    for p in paths or sorted(x for x in HERE.glob("*.ttl") if x.name != "shapes.ttl"):
        g.parse(p, format="turtle")
    return g


def short(term: URIRef) -> str:
    s = str(term)
    for ns, prefix in PREFIXES.items():
        if s.startswith(ns):
            return prefix + s[len(ns):]
    return s


def _id(term: URIRef) -> str:
    return '"' + short(term).replace('"', "'") + '"'


def to_dot(g: Graph, terms: set[URIRef] | None = None, title: str = "Conflict-news ontology (ck:)") -> str:
    """The DOT source of the class and property hierarchy of ``terms`` (default: every ck: term of ``g``).

    Subclasses from outside ``terms`` are drawn too (grey), so a picture shows what sits under its classes.
    """
    def drawn(s: URIRef) -> bool:
        return str(s).startswith(CK) and (terms is None or s in terms)

    classes = sorted({s for s in g.subjects(RDF.type, OWL.Class) if drawn(s)}, key=str)
    props = sorted({s for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for s in g.subjects(RDF.type, t)
                    if drawn(s)}, key=str)
    out = ["digraph ontology {",
           '  rankdir=RL; newrank=true; ranksep=0.35; nodesep=0.12; fontname="Helvetica"; compound=true;',
           '  node [fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=9];',
           f'  label="{title} — arrows point to the more general term"; labelloc=t;']
    external: set[URIRef] = set()
    modes: dict[URIRef, int] = {}
    for _mode, c in g.subject_objects(MODE_OF):
        modes[c] = modes.get(c, 0) + 1

    out.append('  subgraph cluster_classes { label="Classes"; style=rounded; color="#88aa88";')
    for c in classes:
        notation = ", ".join(sorted(str(n) for n in g.objects(c, SKOS.notation)))
        label = short(c) + (f"\\nCAMEO {notation}" if notation else "")
        code = g.value(c, PLOVER_CODE)
        if code is not None:
            label += f"\\nPLOVER {code}" + (f" · {modes[c]} modes" if c in modes else "")
        out.append(f'    {_id(c)} [label="{label}", shape=box, style="rounded,filled", fillcolor="#e8f4e8"];')
    out.append("  }")
    drawn_classes = set(classes)
    below = sorted({s for s, o in g.subject_objects(RDFS.subClassOf) if o in drawn_classes and s not in drawn_classes
                    and isinstance(s, URIRef)}, key=str)
    for c in classes + below:
        for sup in sorted(g.objects(c, RDFS.subClassOf), key=str):
            if isinstance(sup, URIRef) and (c in drawn_classes or sup in drawn_classes):
                for end in (c, sup):
                    if end not in drawn_classes:
                        external.add(end)
                out.append(f"  {_id(c)} -> {_id(sup)};")
    for a, b in sorted({tuple(sorted((a, b), key=str)) for a, b in g.subject_objects(OWL.disjointWith)}, key=str):
        if a not in drawn_classes and b not in drawn_classes:
            continue
        external.update(x for x in (a, b) if x not in drawn_classes)
        out.append(f'  {_id(a)} -> {_id(b)} [dir=none, style=dashed, color="#cc3333", constraint=false];')

    out.append('  subgraph cluster_properties { label="Properties"; style=rounded; color="#8888bb";')
    for p in props:
        parts = [short(p)]
        dom, rng = g.value(p, RDFS.domain), g.value(p, RDFS.range)
        if dom is not None or rng is not None:
            parts.append(f"{short(dom) if dom is not None else '·'} → {short(rng) if rng is not None else '·'}")
        chain = g.value(p, OWL.propertyChainAxiom)
        if chain is not None:
            parts.append("= " + " ∘ ".join(short(x) for x in g.items(chain)))
        kinds = [k for k, t in (("symmetric", OWL.SymmetricProperty), ("transitive", OWL.TransitiveProperty),
                                ("functional", OWL.FunctionalProperty)) if (p, RDF.type, t) in g]
        if kinds:
            parts.append("(" + ", ".join(kinds) + ")")
        fill = "#fff4e0" if chain is not None else "#e8ecf8"
        label = "\\n".join(parts)
        out.append(f'    {_id(p)} [label="{label}", shape=box, style="rounded,filled", fillcolor="{fill}"];')
    out.append("  }")
    for p in props:
        for sup in sorted(g.objects(p, RDFS.subPropertyOf), key=str):
            if isinstance(sup, URIRef):
                if sup not in props:
                    external.add(sup)
                out.append(f"  {_id(p)} -> {_id(sup)};")
        for inv in sorted(g.objects(p, OWL.inverseOf), key=str):
            if inv not in props:
                external.add(inv)
            out.append(f'  {_id(p)} -> {_id(inv)} [dir=both, style=dotted, color="#3355cc", '
                       f'label="inverse", constraint=false];')
    for e in sorted(external, key=str):
        out.append(f"  {_id(e)} [{EXTERNAL}];")
    out.append("}")
    return "\n".join(out) + "\n"


def picture(g: Graph, name: str) -> str:
    """The DOT source of one of :data:`PICTURES`: the terms its Turtle file defines."""
    source, title = PICTURES[name]
    terms = {s for s in Graph().parse(HERE / source, format="turtle").subjects(RDF.type, None)
             if isinstance(s, URIRef)}
    return to_dot(g, terms, title)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else HERE
    g = load()
    dot = shutil.which("dot")
    for name in PICTURES:
        target = folder / name
        dot_source = picture(g, name)
        if dot is None:
            target.with_suffix(".dot").write_text(dot_source, encoding="utf-8")
            print(f"wrote {target.with_suffix('.dot')}; install Graphviz (dot) to render {name}", file=sys.stderr)
            continue
        subprocess.run([dot, "-Tsvg", "-o", str(target)], input=dot_source.encode("utf-8"), check=True)
        print(f"wrote {target}")
    return 0 if dot else 1


if __name__ == "__main__":
    raise SystemExit(main())
