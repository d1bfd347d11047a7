"""Shared fixtures: hand-made records (no spaCy needed) and temporary stores."""

from __future__ import annotations

import pytest

from kg.records import Attribution, Document, Entity, Extraction, Relation, Span

SAMPLE_TEXT = ("Rebels captured the town of Kafr Nabl on Monday, the group said, "
               "a claim denied by state media. Turkey backs the rebels.")


def span_of(text: str, needle: str, start: int = 0) -> Span:
    i = text.index(needle, start)
    return Span(i, i + len(needle), needle)


def make_extraction(text: str = SAMPLE_TEXT, doc_id: str = "sample") -> Extraction:
    doc = Document(id=doc_id, text=text, path=f"{doc_id}.txt", date="2024-12-02")
    s1 = span_of(text, text.split(". ")[0])
    s2 = span_of(text, "Turkey backs the rebels.")
    entities = {
        "rebels": Entity("rebels", "Rebels", "ArmedGroup", {"Rebels", "the rebels"},
                         [span_of(text, "Rebels"), span_of(text, "the rebels")]),
        "kafr-nabl": Entity("kafr-nabl", "Kafr Nabl", "Town", set(), [span_of(text, "Kafr Nabl")]),
        "turkey": Entity("turkey", "Turkey", "Country", set(), [span_of(text, "Turkey")],
                         geonames_id=298795, latitude=39.0, longitude=35.0),
        "state-media": Entity("state-media", "state media", "MediaOutlet", set(), [span_of(text, "state media")]),
    }
    relations = [
        Relation("rebels", "captured", "kafr-nabl", s1, span_of(text, "captured"), date="2024-12-02",
                 date_text="on Monday", confidence=0.9,
                 attributions=[Attribution("claimed", "rebels", "Rebels", span_of(text, "said")),
                               Attribution("denied", "state-media", "state media", span_of(text, "denied"))]),
        Relation("turkey", "backs", "rebels", s2, span_of(text, "backs"), confidence=0.8),
    ]
    return Extraction(doc, entities, relations)


class FakeExtractor:
    """Stands in for the spaCy extractor where a test is about the later stages."""

    def pipe(self, docs, n_process=1, batch_size=64):
        for d in docs:
            ex = make_extraction(d.text, d.id) if d.text == SAMPLE_TEXT else Extraction(d)
            yield Extraction(d, ex.entities, ex.relations)


@pytest.fixture
def extraction() -> Extraction:
    return make_extraction()


@pytest.fixture
def fake_extractor() -> FakeExtractor:
    return FakeExtractor()


def build_sample_store(directory):
    """A reasoned store at ``directory/store`` holding SAMPLE_TEXT, built without spaCy; returns its path."""
    from kg.build import build
    from kg.store import Store

    (directory / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    with Store(directory / "store") as store:
        build([directory / "sample.txt"], store, FakeExtractor())
    return directory / "store"


VIRTUOSO_MAX_ROWS = 300  # far below Virtuoso's packaged 10000, so that every read of the remote store pages


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A Virtuoso server (Debian's virtuoso-opensource-7) on loopback for the test session, with its own
    database in a temporary folder and a small row limit (VIRTUOSO_MAX_ROWS)."""
    from kg.store.testing import LocalVirtuoso, VirtuosoUnavailable, virtuoso_missing

    why = virtuoso_missing()
    if why:
        pytest.skip(f"no Virtuoso to test the remote store against: {why}")
    server = LocalVirtuoso(tmp_path_factory.mktemp("virtuoso"), max_rows=VIRTUOSO_MAX_ROWS)
    try:
        server.start()
    except VirtuosoUnavailable as e:
        pytest.skip(f"Virtuoso would not start here: {e}")
    yield server
    server.stop()


def isomorphic(a, b) -> bool:
    """Whether two rdflib graphs are the same up to blank-node names, decided by RDF Dataset Canonicalization
    (pyoxigraph, RDFC-1.0). rdflib.compare's search is exponential on graphs with many alike blank nodes, such
    as the ontology's property-chain lists."""
    from kg.store.terms import CanonicalizationAlgorithm, Dataset, Quad, to_ox

    def canonical(graph) -> set[str]:
        ds = Dataset(Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph)
        ds.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
        return {str(q) for q in ds}

    return len(a) == len(b) and canonical(a) == canonical(b)
