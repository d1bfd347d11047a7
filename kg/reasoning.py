"""OWL 2 RL reasoning: asserted graphs + ontology → the inferred named graph.

Two engines compute the same thing:

- :func:`owlrl_closure` runs owlrl's ``OWLRL_Semantics`` (a naive fixpoint over every triple, every
  round). It is the reference semantics and the fallback.
- :class:`Reasoner` is a semi-naive forward chainer for exactly the OWL 2 RL rules this ontology uses.
  The schema (TBox) is closed once with owlrl (a few hundred triples, ~0.5 s) and compiled into
  per-predicate rule tables; instance triples then only meet dictionary look-ups. Adding a document
  derives only what its triples cause; removing one uses DRed (over-delete what a removed triple
  helped derive, then re-derive what still has another derivation).

Keeping the store up to date (:func:`update_inferences`): a reasoner kept in memory since the last
:func:`materialize` in this process is updated incrementally; in a fresh process, added documents are
reasoned against the store itself (every join is a pattern look-up, :meth:`kg.store.Store.quads`);
anything else is a full recompute. Only the difference of the inferred graph is written. Memory is bounded:
past :data:`IN_MEMORY_MAX` documents no closure is held; a recompute is the ontology's closure followed by
batches of documents reasoned against the store, each an exact addition. Everything goes
through the :class:`~kg.store.Store` interface, so any backend works.

The inferred graph is what owlrl derives from the ontology plus all asserted document graphs, minus
what is already asserted and minus owlrl's junk (:func:`is_junk`: literal subjects, reflexive
owl:sameAs, datatype axioms, statements about the built-in vocabulary). owlrl's inconsistency
messages (blank nodes typed ``err:ErrorMessage``) are not written there: :meth:`Reasoner.inconsistencies`
and ``kg validate`` report them instead.

Rules (W3C OWL 2 RL names): cax-sco, cax-eqc1/2, prp-dom, prp-rng, prp-spo1, prp-eqp1/2, prp-inv1/2,
prp-symp, prp-trp, prp-spo2 (property chains of any length), and the checks cax-dw, cls-nothing2,
prp-irp, prp-asyp. Everything owlrl derives at the schema level (scm-*) comes from owlrl itself, run on
the ontology alone. Whatever else would be needed (owl:sameAs from functional properties, class
expressions such as owl:someValuesFrom, schema triples inside documents) raises :class:`Unsupported`,
and :func:`materialize` then falls back to owlrl.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from .store import Store, terms
from .store.terms import from_ox, to_ox

ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "conflict.ttl"
NOT_OWL_MODEL = {"shapes.ttl"}  # SHACL shapes are checked by kg validate, not reasoned with

Triple = tuple[Node, Node, Node]
OxTriple = terms.TripleTerms  # (subject, predicate, object) of store terms

__all__ = ["ONTOLOGY_FILE", "Reasoner", "Unsupported", "closure", "is_junk", "load_ontology", "materialize",
           "owlrl_closure", "update_inferences"]


def load_ontology(path: Path | None = None) -> Graph:
    """The OWL model: every ``ontology/*.ttl`` except the SHACL shapes (or the one file ``path``)."""
    g = Graph()
    paths = [path] if path else sorted(p for p in ONTOLOGY_DIR.glob("*.ttl") if p.name not in NOT_OWL_MODEL)
    for p in paths:
        g.parse(p, format="turtle")
    return g


def is_junk(t: Triple) -> bool:
    s, p, o = t
    if isinstance(s, Literal):
        return True
    if p == OWL.sameAs and s == o:
        return True
    if p == RDF.type and o in (RDFS.Datatype, RDFS.Resource, OWL.Thing):
        return True
    # owlrl axiomatic triples about built-in vocabulary are noise for users
    if isinstance(s, URIRef) and str(s).startswith(_BUILTIN):
        return True
    return False


_BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))


def owlrl_closure(ontology: Graph, asserted: Iterable[Triple]) -> set[Triple]:
    """What owlrl's OWL 2 RL semantics derives beyond the ontology and asserted triples, minus junk."""
    g = Graph()
    for t in ontology:
        g.add(t)
    for t in asserted:
        g.add(t)
    before = set(g)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)
    return {t for t in g if t not in before and not is_junk(t)}


# ------------------------------------------------------------------------------------------ rules
class Unsupported(Exception):
    """The ontology or the data needs an OWL 2 RL rule the fast reasoner does not implement."""


def _ox(iri: URIRef) -> terms.NamedNode:
    return terms.NamedNode(str(iri))


TYPE = _ox(RDF.type)
SAME_AS = _ox(OWL.sameAs)
_JUNK_TYPES = {_ox(RDFS.Datatype), _ox(RDFS.Resource), _ox(OWL.Thing)}
_NOTHING = _ox(OWL.Nothing)

# Schema vocabulary whose presence in the TBox needs rules we do not implement.
_UNSUPPORTED_TBOX = {OWL.hasValue, OWL.someValuesFrom, OWL.allValuesFrom, OWL.intersectionOf, OWL.unionOf,
                     OWL.complementOf, OWL.oneOf, OWL.hasKey, OWL.maxCardinality, OWL.maxQualifiedCardinality,
                     OWL.sourceIndividual, OWL.propertyDisjointWith, OWL.members, OWL.distinctMembers,
                     OWL.differentFrom}
# Annotation properties of the built-in vocabulary that may appear in documents.
_DATA_OK = {str(RDF.type), str(RDFS.label), str(RDFS.comment), str(RDFS.seeAlso), str(RDFS.isDefinedBy)}


def _is_builtin(term) -> bool:
    return isinstance(term, terms.NamedNode) and term.value.startswith(_BUILTIN)


class Rules:
    """The OWL 2 RL rules of one ontology, compiled from its owlrl schema closure into look-up tables."""

    def __init__(self, ontology: Graph):
        self.ontology = ontology
        schema, concepts = _split_concepts(ontology)
        raw = _owlrl_raw(schema)  # the schema closure, junk included (it may feed rules)
        full = Graph()
        for t in raw:
            full.add(t)
        for s, p, o in full:
            if p in _UNSUPPORTED_TBOX or (p == OWL.sameAs and s != o):
                raise Unsupported(f"the ontology uses {p} ({s}), which the fast reasoner does not implement")
        self.ontology_triples: set[OxTriple] = {(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in ontology}
        # The concept triples are in the TBox as given; what they cause comes from the rules below when a
        # Reasoner saturates the TBox, exactly as for document triples (hence the same check).
        self.tbox: set[OxTriple] = self.ontology_triples | {(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in raw}

        def table(pred: URIRef, *, both: bool = False, strict: bool = True) -> dict:
            out: dict = defaultdict(set)
            for s, o in full.subject_objects(pred):
                if strict and s == o:
                    continue
                out[to_ox(s)].add(to_ox(o))
                if both:
                    out[to_ox(o)].add(to_ox(s))
            return out

        sup_c = table(RDFS.subClassOf)
        for c, ds in table(OWL.equivalentClass, both=True).items():  # cax-eqc1/2
            sup_c[c] |= ds
        sup_p = table(RDFS.subPropertyOf)
        for p, qs in table(OWL.equivalentProperty, both=True).items():  # prp-eqp1/2
            sup_p[p] |= qs
        self.sup_c = _freeze(sup_c)
        self.sup_p = _freeze(sup_p)
        self.dom = _freeze(table(RDFS.domain, strict=False))
        self.rng = _freeze(table(RDFS.range, strict=False))
        self.inv = _freeze(table(OWL.inverseOf, both=True, strict=False))
        self.disjoint = _freeze(table(OWL.disjointWith, both=True, strict=False))
        self.sub_c = _invert(self.sup_c)
        self.sub_p = _invert(self.sup_p)
        self.dom_inv = _invert(self.dom)
        self.rng_inv = _invert(self.rng)

        def typed(cls: URIRef) -> frozenset:
            return frozenset(to_ox(s) for s in full.subjects(RDF.type, cls))

        self.sym = typed(OWL.SymmetricProperty)
        self.trans = typed(OWL.TransitiveProperty)
        self.func = typed(OWL.FunctionalProperty)
        self.ifp = typed(OWL.InverseFunctionalProperty)
        self.irreflexive = typed(OWL.IrreflexiveProperty)
        self.asymmetric = typed(OWL.AsymmetricProperty)
        chains: list[tuple[terms.NamedNode, tuple]] = []
        for head, lst in full.subject_objects(OWL.propertyChainAxiom):
            items = tuple(to_ox(x) for x in full.items(lst))
            if items:
                chains.append((to_ox(head), items))
        self.chains = chains
        for t in concepts:
            self.check_data((to_ox(t[0]), to_ox(t[1]), to_ox(t[2])))
        chain_pos: dict = defaultdict(list)
        for head, items in chains:
            for i, p in enumerate(items):
                chain_pos[p].append((head, items, i))
        self.chain_pos = {p: tuple(v) for p, v in chain_pos.items()}
        self.chains_by_head: dict = defaultdict(list)
        for head, items in chains:
            self.chains_by_head[head].append(items)
        # predicates whose triples can fire a rule or be derived by one; other triples never matter
        self.relevant: frozenset = frozenset(
            {TYPE} | set(self.sup_p) | {q for qs in self.sup_p.values() for q in qs} | set(self.dom)
            | set(self.rng) | set(self.inv) | self.sym | self.trans | self.func | self.ifp | self.irreflexive
            | self.asymmetric | set(self.chain_pos) | {h for h, _ in chains})

    def check_data(self, t: OxTriple) -> None:
        """Refuse document triples that would need schema-level or equality rules."""
        s, p, o = t
        if p.value.startswith(_BUILTIN) and p.value not in _DATA_OK:
            raise Unsupported(f"a document uses the schema property {p}")
        if p == TYPE and _is_builtin(o):
            raise Unsupported(f"a document types {s} as {o}")


_CONCEPT_CLASSES = (SKOS.Concept, SKOS.ConceptScheme)


def _split_concepts(ontology: Graph) -> tuple[Graph, list[Triple]]:
    """The ontology without its SKOS concept data (the PLOVER and CAMEO code lists), and that data.

    Those triples describe individuals (notations, labels, skos:broader, ck:ploverType ...) and state no
    schema; yet owlrl's naive fixpoint over them is three quarters of the schema closure's time. The rules
    compiled from the rest treat them as instance data (:meth:`Rules.check_data` refuses any that would
    not be), which derives exactly what owlrl derives from them. Blank nodes stay in the schema: they belong
    to class expressions and lists.
    """
    concepts = {s for c in _CONCEPT_CLASSES for s in ontology.subjects(RDF.type, c) if isinstance(s, URIRef)}
    schema, data = Graph(), []
    for t in ontology:
        s, p, o = t
        annotation = isinstance(o, Literal) and (not str(p).startswith(_BUILTIN) or str(p) in _DATA_OK)
        about_concept = s in concepts and not isinstance(o, BNode) and (
            not str(p).startswith(_BUILTIN) or (p == RDF.type and not str(o).startswith(_BUILTIN)))
        if isinstance(s, URIRef) and (annotation or about_concept):
            data.append(t)
        else:
            schema.add(t)
    return schema, data


def _owlrl_raw(ontology: Graph) -> set[Triple]:
    """owlrl's closure of the ontology alone, including its junk (literal subjects excepted)."""
    g = Graph()
    for t in ontology:
        g.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    return {t for t in g if not isinstance(t[0], Literal) and not isinstance(t[1], Literal)}


def _freeze(d: dict) -> dict:
    return {k: tuple(sorted(v, key=str)) for k, v in d.items() if v}


def _invert(d: dict) -> dict:
    out: dict = defaultdict(set)
    for k, vs in d.items():
        for v in vs:
            out[v].add(k)
    return _freeze(out)


_RULES_CACHE: dict[str, Rules] = {}


def compile_rules(ontology: Graph) -> Rules:
    """The compiled rules of ``ontology`` (cached by content: the schema closure costs ~0.5 s)."""
    key = hashlib.sha256("\n".join(sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in ontology
                                          if not isinstance(s, BNode) and not isinstance(o, BNode))
                                   ).encode()).hexdigest() + str(len(ontology))
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = Rules(ontology)
    return _RULES_CACHE[key]


def ox_is_junk(t: OxTriple) -> bool:
    s, p, o = t
    if isinstance(s, terms.Literal):
        return True
    if p == SAME_AS and s == o:
        return True
    if p == TYPE and o in _JUNK_TYPES:
        return True
    return isinstance(s, terms.NamedNode) and s.value.startswith(_BUILTIN)


# ------------------------------------------------------------------------------------------ engine
def _without_gc(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _no_gc():
            return fn(*args, **kwargs)
    return wrapper


@contextmanager
def _no_gc() -> Iterator[None]:
    """Millions of small tuples and no reference cycles: the cyclic GC would only rescan them, quadratically."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Reasoner:
    """The closure of the ontology plus a set of documents, kept up to date as documents come and go.

    State: the closure's facts (only triples whose predicate takes part in some rule, indexed by
    (predicate, subject) and (predicate, object)), and each document's such triples, counted so that
    a triple asserted by two documents survives the removal of one.
    """

    def __init__(self, ontology: Graph | None = None):
        self.rules = compile_rules(ontology if ontology is not None else load_ontology())
        self.facts: set[OxTriple] = set()
        self.sp: dict = defaultdict(set)
        self.po: dict = defaultdict(set)
        self.docs: dict[str, frozenset[OxTriple]] = {}
        self.asserted: dict[OxTriple, int] = {}
        self._touched: dict[OxTriple, bool] | None = None
        self.n_inferred: int | None = None  # size of the inferred graph written from this reasoner, if known
        self._saturate(self.rules.tbox)

    # ---------------------------------------------------------------- public API
    @_without_gc
    def add(self, key: str, triples: Iterable[OxTriple]) -> None:
        """Add (or replace) one document's asserted triples; derive what they cause (semi-naive)."""
        if key in self.docs:
            self.remove(key)
        rules, relevant = self.rules, self.rules.relevant
        mine = set()
        for t in triples:
            if t[1] in relevant:
                rules.check_data(t)
                mine.add(t)
            elif t[1].value.startswith(_BUILTIN) and t[1].value not in _DATA_OK:
                rules.check_data(t)
        self.docs[key] = frozenset(mine)
        new = []
        for t in mine:
            n = self.asserted.get(t, 0)
            if n == 0:
                self._touch(t)
                new.append(t)
            self.asserted[t] = n + 1
        self._saturate(new)

    @_without_gc
    def remove(self, key: str) -> None:
        """Remove one document; keep exactly the closure of what remains (DRed: delete, re-derive)."""
        mine = self.docs.pop(key, frozenset())
        gone = []
        for t in mine:
            n = self.asserted[t] - 1
            if n:
                self.asserted[t] = n
            else:
                self._touch(t)
                del self.asserted[t]
                gone.append(t)
        tbox = self.rules.tbox
        # 1. over-delete everything with a derivation that uses a deleted fact
        doomed = {t for t in gone if t not in tbox}
        stack = list(doomed)
        while stack:
            for u in self._consequences(stack.pop()):
                if u in self.facts and u not in doomed and u not in self.asserted and u not in tbox:
                    doomed.add(u)
                    stack.append(u)
        for t in doomed:
            self._delete(t)
        # 2. re-derive what still has a derivation from what is left
        self._saturate([t for t in doomed if self._derivable(t)])

    def inferred(self) -> Iterator[OxTriple]:
        """Every derived triple that is not asserted (in a document or the ontology) and not junk."""
        asserted, ontology = self.asserted, self.rules.ontology_triples
        for t in self.facts:
            if t not in asserted and t not in ontology and not ox_is_junk(t):
                yield t

    def is_inferred(self, t: OxTriple) -> bool:
        return (t in self.facts and t not in self.asserted and t not in self.rules.ontology_triples
                and not ox_is_junk(t))

    def inconsistencies(self) -> list[tuple[terms.NamedNode, str]]:
        """What owlrl reports as errors, as (entity, message): cax-dw, cls-nothing2, prp-irp, prp-asyp."""
        out = []
        for c, ds in self.rules.disjoint.items():
            for s in self.po.get((TYPE, c), ()):
                for d in ds:
                    if str(c) < str(d) and (s, TYPE, d) in self.facts:
                        out.append((s, f"Disjoint classes {c.value} and {d.value} have a common individual {s}"))
        for s in self.po.get((TYPE, _NOTHING), ()):
            out.append((s, f"{s} is defined of type 'Nothing'"))
        for p in self.rules.irreflexive:
            for (pp, s), os_ in self.sp.items():
                if pp == p and s in os_:
                    out.append((s, f"Irreflexive property used on {s} with {p.value}"))
        for p in self.rules.asymmetric:
            for (pp, s), os_ in list(self.sp.items()):
                if pp == p:
                    for o in os_:
                        if (o, p, s) in self.facts:
                            out.append((s, f"Erroneous usage of asymmetric property {p.value} on {s} and {o}"))
        return sorted(out, key=lambda e: (str(e[0]), e[1]))

    def begin(self) -> None:
        """Start recording which triples change their inferred status (see :meth:`changes`)."""
        self._touched = {}

    def changes(self) -> tuple[list[OxTriple], list[OxTriple]]:
        """(inserted, deleted) triples of the inferred graph since :meth:`begin`."""
        touched, self._touched = self._touched or {}, None
        ins, dels = [], []
        for t, was in touched.items():
            now = self.is_inferred(t)
            if now and not was:
                ins.append(t)
            elif was and not now:
                dels.append(t)
        return ins, dels

    # ---------------------------------------------------------------- internals
    def _touch(self, t: OxTriple) -> None:
        if self._touched is not None and t not in self._touched:
            self._touched[t] = self.is_inferred(t)

    def _insert(self, t: OxTriple) -> None:
        if self._touched is not None and t not in self._touched:
            self._touched[t] = False
        self.facts.add(t)
        s, p, o = t
        self.sp[(p, s)].add(o)
        self.po[(p, o)].add(s)

    def _delete(self, t: OxTriple) -> None:
        self._touch(t)
        self.facts.discard(t)
        s, p, o = t
        for index, key, v in ((self.sp, (p, s), o), (self.po, (p, o), s)):
            vs = index.get(key)
            if vs is not None:
                vs.discard(v)
                if not vs:
                    del index[key]

    def _saturate(self, new: Iterable[OxTriple]) -> None:
        """Insert ``new`` and everything it causes: each new fact is joined once with all facts."""
        with _no_gc():
            self._saturate_loop(new)

    def _saturate_loop(self, new: Iterable[OxTriple]) -> None:
        facts, insert, consequences = self.facts, self._insert, self._consequences
        stack = []
        for t in new:
            if t not in facts:
                insert(t)
                stack.append(t)
        while stack:
            for u in consequences(stack.pop()):
                if u not in facts:
                    insert(u)
                    stack.append(u)

    def _consequences(self, t: OxTriple) -> list[OxTriple]:
        """Every triple one rule application derives from ``t`` and the current facts."""
        r = self.rules
        s, p, o = t
        out = []
        if p == TYPE:
            out.extend((s, TYPE, d) for d in r.sup_c.get(o, ()))  # cax-sco, cax-eqc
        if p in r.dom:
            out.extend((s, TYPE, c) for c in r.dom[p])  # prp-dom
        if p in r.rng:
            out.extend((o, TYPE, c) for c in r.rng[p])  # prp-rng
        if p in r.sup_p:
            out.extend((s, q, o) for q in r.sup_p[p])  # prp-spo1, prp-eqp
        if p in r.inv:
            out.extend((o, q, s) for q in r.inv[p])  # prp-inv1/2
        if p in r.sym:
            out.append((o, p, s))  # prp-symp
        if p in r.trans:  # prp-trp
            out.extend((s, p, z) for z in self.sp.get((p, o), ()))
            out.extend((w, p, o) for w in self.po.get((p, s), ()))
        if p in r.func and len(self.sp.get((p, s), ())) > 1:  # prp-fp
            raise Unsupported(f"{p.value} is functional: owl:sameAs would be derived for the values of {s}")
        if p in r.ifp and len(self.po.get((p, o), ())) > 1:  # prp-ifp
            raise Unsupported(f"{p.value} is inverse functional: owl:sameAs would be derived for the subjects of {o}")
        if p in r.chain_pos:  # prp-spo2
            sp, po = self.sp, self.po
            for head, items, i in r.chain_pos[p]:
                left = {s}
                for q in reversed(items[:i]):
                    left = {w for n in left for w in po.get((q, n), ())}
                right = {o}
                for q in items[i + 1:]:
                    right = {z for n in right for z in sp.get((q, n), ())}
                out.extend((u, head, v) for u in left for v in right)
        return out

    def _derivable(self, t: OxTriple) -> bool:
        """Whether one rule application over the current facts derives ``t`` (DRed's re-derive step)."""
        r, facts, sp, po = self.rules, self.facts, self.sp, self.po
        s, p, o = t
        if t in self.asserted or t in r.tbox:
            return True
        if p == TYPE:
            if any((s, TYPE, c) in facts for c in r.sub_c.get(o, ())):
                return True
            if any(sp.get((q, s)) for q in r.dom_inv.get(o, ())):
                return True
            if any(po.get((q, s)) for q in r.rng_inv.get(o, ())):
                return True
        if any((s, q, o) in facts for q in r.sub_p.get(p, ())):
            return True
        if any((o, q, s) in facts for q in r.inv.get(p, ())):
            return True
        if p in r.sym and (o, p, s) in facts:
            return True
        if p in r.trans and any((z, p, o) in facts for z in sp.get((p, s), ())):
            return True
        for items in r.chains_by_head.get(p, ()):
            ends = {s}
            for q in items:
                ends = {z for n in ends for z in sp.get((q, n), ())}
            if o in ends:
                return True
        return False

    # ---------------------------------------------------------------- store I/O
    @classmethod
    @_without_gc
    def from_store(cls, store: Store, ontology: Graph | None = None) -> Reasoner:
        """The closure of the store's documents (reads only the triples that take part in rules)."""
        r = cls(ontology)
        prefix = store.iris.document_graph_prefix
        by_doc: dict[str, list[OxTriple]] = defaultdict(list)
        for p in r.rules.relevant:
            for q in store.quads(None, p, None, None):
                g = q.graph_name
                if isinstance(g, terms.NamedNode) and g.value.startswith(prefix):
                    by_doc[g.value[len(prefix):]].append((q.subject, p, q.object))
        _check_store_schema(store, prefix, r.rules)
        for key in store.document_keys():
            r.add(key, by_doc.get(key, ()))
        return r


class _DirectLookups:
    """Pattern look-ups straight on a store whose reads are calls into this process (the embedded one).
    Each answer is kept: the same patterns come back many times (every document types the same places),
    and the store does not change while a :class:`_StoreReasoner` (one batch) runs."""

    def __init__(self, store: Store):
        self.quads = store.quads
        self.by_subject: dict = {}
        self.by_object: dict = {}

    def objects(self, s, p) -> Iterator[tuple]:
        found = self.by_subject.get((s, p))
        if found is None:
            found = self.by_subject[(s, p)] = tuple((q.object, q.graph_name) for q in self.quads(s, p, None, None))
        return iter(found)

    def subjects(self, p, o) -> Iterator[tuple]:
        found = self.by_object.get((p, o))
        if found is None:
            found = self.by_object[(p, o)] = tuple((q.subject, q.graph_name) for q in self.quads(None, p, o, None))
        return iter(found)

    def graphs_of(self, s, p, o) -> Iterator:
        return (g for x, g in self.objects(s, p) if x == o)

    def prefetch(self, nodes: Iterable) -> None:
        pass


class _BatchedLookups(_DirectLookups):
    """Pattern look-ups on a store whose every read is a network round trip (a remote one): the quads of a
    subject with a predicate the rules use are fetched once, many subjects per SPARQL query, and kept;
    look-ups by object are kept per pattern. The store does not change while the reasoner runs. A blank
    node cannot be named in a query (the server's labels are not identifiers): nothing is found about one,
    which is right for documents (they have none; the ontology's are in the rules)."""

    BATCH = 200  # subjects per query

    def __init__(self, store: Store, predicates: Iterable):
        super().__init__(store)
        self.store = store
        self.predicates = " ".join(sorted(str(p) for p in predicates))
        self.by_subject: dict = {}
        self.by_object: dict = {}

    def prefetch(self, nodes: Iterable) -> None:
        todo = [n for n in dict.fromkeys(nodes) if n not in self.by_subject and isinstance(n, terms.NamedNode)]
        for i in range(0, len(todo), self.BATCH):
            chunk = todo[i:i + self.BATCH]
            for n in chunk:
                self.by_subject[n] = defaultdict(list)
            rows = self.store.query(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {' '.join(map(str, chunk))} }} "
                                    f"VALUES ?p {{ {self.predicates} }} GRAPH ?g {{ ?s ?p ?o }} }}")
            for row in rows:
                self.by_subject[row["s"]][row["p"]].append((row["o"], row["g"]))

    def objects(self, s, p) -> Iterator[tuple]:
        if not isinstance(s, terms.NamedNode):
            return iter(())
        if s not in self.by_subject:
            self.prefetch([s])
        return iter(self.by_subject[s].get(p, ()))

    def subjects(self, p, o) -> Iterator[tuple]:
        if isinstance(o, terms.BlankNode):
            return iter(())
        found = self.by_object.get((p, o))
        if found is None:
            found = self.by_object[(p, o)] = list(super().subjects(p, o))
        return iter(found)

    def graphs_of(self, s, p, o) -> Iterator:
        return (g for x, g in self.objects(s, p) if x == o)


class _StoreIndex:
    """``Reasoner.sp`` / ``Reasoner.po`` over the store: look-ups go to the store, insertions to memory."""

    def __init__(self, view: _StoreReasoner, by_subject: bool):
        self.view, self.by_subject = view, by_subject
        self.overlay: dict = defaultdict(set)

    def get(self, key, default=()):
        p, x = key
        found = set(self.overlay.get(key, ()))
        found |= self.view.tbox_index[self.by_subject].get(key, set())
        visible = self.view.visible
        if self.by_subject:
            if not isinstance(x, terms.Literal):
                found.update(o for o, g in self.view.lookups.objects(x, p) if visible(g))
        else:
            found.update(s for s, g in self.view.lookups.subjects(p, x) if visible(g))
        return found or default

    def __getitem__(self, key):
        return self.overlay[key]


class _StoreFacts:
    """``Reasoner.facts`` over the store: the ontology, the inferred graph, the documents not being added."""

    def __init__(self, view: _StoreReasoner):
        self.view = view
        self.overlay: set = set()

    def __contains__(self, t) -> bool:
        if t in self.overlay or t in self.view.rules.tbox:
            return True
        s, p, o = t
        if isinstance(s, terms.Literal):
            return False
        return any(self.view.visible(g) for g in self.view.lookups.graphs_of(s, p, o))

    def add(self, t) -> None:
        self.overlay.add(t)


class _StoreReasoner(Reasoner):
    """Adds documents to a store whose inferred graph is up to date, without loading the closure.

    The store itself is the state: each rule's join is a pattern look-up on the store (batched and kept
    when the store is remote), and only the new document's triples (the semi-naive delta) and what they
    cause are held in memory. Additions only: removal needs the deleted triples, which are gone from the
    store by then.
    """

    def __init__(self, store: Store, adding: Iterable[str], ontology: Graph, unreasoned: Iterable[str] = ()):
        """``unreasoned``: other documents the inferred graph does not reflect yet (later batches); they are
        invisible here, so that the inferred graph is the closure of exactly what is visible."""
        self.rules = compile_rules(ontology)
        self.store = store
        self.lookups = _DirectLookups(store) if store.local else _BatchedLookups(store, self.rules.relevant)
        self.prefix = store.iris.document_graph_prefix
        self.hidden = {self.prefix + k for k in (*adding, *unreasoned)}
        self.ontology_graph = str(store.iris.ontology_graph)
        self.inferred_graph = _ox(store.iris.inferred_graph)
        self.facts = _StoreFacts(self)  # type: ignore[assignment]
        self.sp = _StoreIndex(self, True)  # type: ignore[assignment]
        self.po = _StoreIndex(self, False)  # type: ignore[assignment]
        self.docs, self.asserted = {}, {}
        self._touched = None
        self.tbox_index = _tbox_index(self.rules)

    def visible(self, g) -> bool:
        if not isinstance(g, terms.NamedNode):
            return False
        v = g.value
        return (v.startswith(self.prefix) and v not in self.hidden) or v == self.ontology_graph \
            or g == self.inferred_graph

    def _touch(self, t: OxTriple) -> None:
        if self._touched is not None and t not in self._touched:
            self._touched[t] = self._in_graph(t, self.inferred_graph)

    def _in_graph(self, t: OxTriple, g) -> bool:
        s, p, o = t
        return not isinstance(s, terms.Literal) and any(x == g for x in self.lookups.graphs_of(s, p, o))

    def is_inferred(self, t: OxTriple) -> bool:
        if t not in self.facts or t in self.rules.ontology_triples or ox_is_junk(t):
            return False
        s, p, o = t
        return not any(isinstance(g, terms.NamedNode) and g.value.startswith(self.prefix)
                       for g in self.lookups.graphs_of(s, p, o))

    @_without_gc
    def add_documents(self, keys: Iterable[str]) -> None:
        rules, relevant = self.rules, self.rules.relevant
        new = []
        for key in keys:
            for q in self.store.quads(None, None, None, _ox(self.store.iris.document_graph(key))):
                t = (q.subject, q.predicate, q.object)
                if q.predicate in relevant or q.predicate.value.startswith(_BUILTIN):
                    rules.check_data(t)
                if q.predicate in relevant:
                    new.append(t)
        # what the new triples touch is mostly about their own nodes: fetch those in a few requests
        self.lookups.prefetch(x for s, _p, o in new for x in (s, o))
        for t in new:
            self._touch(t)
        self._saturate(new)


def _tbox_index(rules: Rules) -> tuple[dict, dict]:
    by_object: dict = defaultdict(set)
    by_subject: dict = defaultdict(set)
    for s, p, o in rules.tbox:
        by_subject[(p, s)].add(o)
        by_object[(p, o)].add(s)
    return by_object, by_subject


def _check_store_schema(store: Store, prefix: str, rules: Rules) -> None:
    """Documents must not carry schema triples (owl:sameAs, rdfs:subClassOf, ...): see :class:`Unsupported`."""
    for p in _SCHEMA_PREDICATES:
        for q in store.quads(None, p, None, None):
            if isinstance(q.graph_name, terms.NamedNode) and q.graph_name.value.startswith(prefix):
                rules.check_data((q.subject, q.predicate, q.object))
    for c in _SCHEMA_CLASSES:
        for q in store.quads(None, TYPE, c, None):
            if isinstance(q.graph_name, terms.NamedNode) and q.graph_name.value.startswith(prefix):
                rules.check_data((q.subject, q.predicate, q.object))


_SCHEMA_PREDICATES = [_ox(x) for x in (
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, RDF.first, RDF.rest, OWL.sameAs,
    OWL.equivalentClass, OWL.equivalentProperty, OWL.inverseOf, OWL.propertyChainAxiom, OWL.disjointWith,
    OWL.onProperty, OWL.differentFrom, OWL.members, OWL.hasKey, OWL.intersectionOf, OWL.unionOf)]
_SCHEMA_CLASSES = [_ox(x) for x in (
    OWL.Class, RDFS.Class, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.TransitiveProperty,
    OWL.SymmetricProperty, OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.Restriction,
    OWL.AllDifferent, OWL.AllDisjointClasses)]


# ------------------------------------------------------------------------------------------ API
def closure(ontology: Graph, asserted: Iterable[Triple]) -> set[Triple]:
    """Same contract as :func:`owlrl_closure`, computed by :class:`Reasoner` (rdflib terms in and out)."""
    r = Reasoner(ontology)
    triples = [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in asserted]
    r.add("asserted", triples)
    return {(from_ox(s), from_ox(p), from_ox(o)) for s, p, o in r.inferred()}


# The reasoner kept in memory for each open Store object. Only for a store no other process can write
# (the embedded store's lock), so nothing changes the documents behind its reasoner's back.
_LIVE: weakref.WeakKeyDictionary[Store, Reasoner] = weakref.WeakKeyDictionary()


def _live_key(store: Store) -> Store:
    return store


def _write_ontology(store: Store, ontology: Graph) -> None:
    if not _ontology_stored(store, ontology):
        store.put_graph(store.iris.ontology_graph, ontology)


def _ontology_stored(store: Store, ontology: Graph) -> bool:
    """Whether the store's ontology graph is ``ontology`` (blank nodes aside: they are renamed on the way)."""
    if not store.contains_graph(store.iris.ontology_graph):
        return False
    stored = set(store.graph_triples(store.iris.ontology_graph))
    if len(stored) != len(ontology):
        return False

    def ground(triples: Iterable[Triple]) -> set[Triple]:
        return {t for t in triples if not any(isinstance(x, BNode) for x in t)}

    return ground(stored) == ground(ontology)


def _sync_graph(store: Store, graph: URIRef, triples: Iterable[OxTriple]) -> int:
    """Make a named graph hold exactly ``triples``, writing only the difference.

    Re-materialising an unchanged closure then writes nothing. The writes need not be atomic (the store's
    bulk paths, ~8× faster at a million triples): a crash in the middle leaves the build note stale, so
    the next build reasons again. A difference that deletes more than half the graph rewrites it whole.
    """
    store._check_writable()
    new = set(triples)
    if not store.contains_graph(graph):
        return store.put_graph(graph, new, atomic=False)
    old = {(q.subject, q.predicate, q.object) for q in store.quads(None, None, None, _ox(graph))}
    ins, dels = new - old, old - new
    if len(ins) + len(dels) > _REWRITE_MIN and len(dels) > len(new) // 2:
        store.put_graph(graph, new, atomic=False)
    else:
        store.change_graph(graph, ins, dels, atomic=False)
    return len(new)


_REWRITE_MIN = 50_000


def materialize(store: Store) -> int:
    """Recompute the inferred graph from the ontology and every document graph; returns its size.

    Also writes the ontology graph. Falls back to owlrl when the ontology or the data need rules the
    fast reasoner lacks (:class:`Unsupported`).
    """
    ontology = load_ontology()
    _write_ontology(store, ontology)
    _LIVE.pop(_live_key(store), None)
    try:
        keys = store.document_keys()
        if len(keys) > IN_MEMORY_MAX:
            return _materialize_in_batches(store, ontology, keys)
        r = Reasoner.from_store(store, ontology)
    except Unsupported:
        asserted = (t for key in store.document_keys() for t in store.graph_triples(store.iris.document_graph(key)))
        return store.put_graph(store.iris.inferred_graph, owlrl_closure(ontology, asserted))
    n = _sync_graph(store, store.iris.inferred_graph, r.inferred())
    r.n_inferred = n
    if store.exclusive:
        _LIVE[_live_key(store)] = r
    return n


IN_MEMORY_MAX = 1000
"""Documents whose closure :func:`materialize` computes in memory (and keeps for incremental updates).
Past this it reasons in batches against the store, so that memory does not grow with the corpus."""
_BATCH = 100  # documents per batch reasoned against the store: their triples and what they cause are in memory


def _materialize_in_batches(store: Store, ontology: Graph, keys: list[str]) -> int:
    """The closure as a sequence of exact additions: the ontology's closure alone, then each batch of documents
    reasoned against the store (:class:`_StoreReasoner`) with the later batches kept out of sight. Memory holds
    one batch and what it causes; the inferred graph is the state."""
    base = Reasoner(ontology)
    _check_store_schema(store, store.iris.document_graph_prefix, base.rules)
    # rewritten, not diffed: a difference would read the whole old graph into memory
    store.put_graph(store.iris.inferred_graph, list(base.inferred()), atomic=False)
    del base
    _add_in_batches(store, ontology, keys)
    return store.graph_size(store.iris.inferred_graph)


def _add_in_batches(store: Store, ontology: Graph, added: list[str]) -> None:
    current = set(store.document_keys())
    todo = [k for k in added if k in current]
    for i in range(0, len(todo), _BATCH):
        view = _StoreReasoner(store, todo[i:i + _BATCH], ontology, unreasoned=todo[i + _BATCH:])
        view.begin()
        view.add_documents(todo[i:i + _BATCH])
        ins, dels = view.changes()
        # not atomic: a crash in the middle leaves the build note stale, and the next build reasons again
        store.change_graph(store.iris.inferred_graph, ins, dels, atomic=False)


def update_inferences(store: Store, added: list[str], removed: list[str]) -> int:
    """Bring the inferred graph up to date after documents were added, replaced (a key in both lists) or
    removed; returns the inferred graph's size.

    - A :class:`Reasoner` kept alive from the last :func:`materialize` or update of this store in this
      process (``kg serve``, a long build, the benchmark) is updated incrementally: semi-naive for
      additions, DRed for removals.
    - Else, when documents were only added and the inferred graph is current, the new documents are
      reasoned against the store itself in batches (pattern look-ups; nothing is loaded), unless they are
      many and the store is small enough for a recompute in memory.
    - Else the closure is recomputed from the store (:func:`materialize`: in memory up to
      :data:`IN_MEMORY_MAX` documents, else in batches against the store).
    Only the difference is written.
    """
    live_key = _live_key(store)
    r = _LIVE.get(live_key)
    current = set(store.document_keys())
    try:
        if r is not None and set(r.docs) == (current - set(added)) | set(removed):
            try:
                r.begin()
                for key in removed:
                    r.remove(key)
                for key in added:
                    if key in current:
                        graph = _ox(store.iris.document_graph(key))
                        r.add(key, [(q.subject, q.predicate, q.object)
                                    for q in store.quads(None, None, None, graph)])
                ins, dels = r.changes()
            except BaseException:
                _LIVE.pop(live_key, None)  # half-updated: rebuild next time
                raise
        else:
            _LIVE.pop(live_key, None)
            ontology = load_ontology()
            if removed or not _inferences_current(store, ontology) or (
                    len(added) > _COLD_ADD_MAX and len(current) <= IN_MEMORY_MAX):
                return materialize(store)
            # e.g. owl:sameAs anywhere: owlrl fallback
            _check_store_schema(store, store.iris.document_graph_prefix, compile_rules(ontology))
            _add_in_batches(store, ontology, added)
            return store.graph_size(store.iris.inferred_graph)
    except Unsupported:
        return materialize(store)
    # not atomic: a crash in the middle leaves the build note stale, and the next build reasons again
    store.change_graph(store.iris.inferred_graph, ins, dels, atomic=False)
    if r is not None and len(r.docs) > IN_MEMORY_MAX:
        _LIVE.pop(live_key, None)  # grown past what memory should hold: the store is the state from now on
    elif r is not None and r.n_inferred is not None and _LIVE.get(live_key) is r:
        r.n_inferred += len(ins) - len(dels)
        return r.n_inferred
    return store.graph_size(store.iris.inferred_graph)


_COLD_ADD_MAX = 200  # documents; past this, joining against the store costs more than a recompute


def _inferences_current(store: Store, ontology: Graph) -> bool:
    """Whether the store holds an inferred graph made with this ontology."""
    return store.contains_graph(store.iris.inferred_graph) and _ontology_stored(store, ontology)

