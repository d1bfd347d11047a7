"""store: the on-disk Oxigraph store — named graphs, atomic replacement, read-only access."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from kg.errors import StoreError, StoreLockedError
from kg.store import Store

G = URIRef("http://example.org/graph/doc/a")
T1 = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("one"))
T2 = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("two", lang="en"))


def test_put_graph_replaces_and_persists(tmp_path):
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
        store.put_graph(G, [T2])
    with Store(tmp_path / "s", read_only=True) as store:
        assert set(store.graph_triples(G)) == {T2}


def test_second_writer_gets_a_clear_error(tmp_path):
    with Store(tmp_path / "s"):
        with pytest.raises(StoreLockedError, match="another process"):
            Store(tmp_path / "s")


def test_read_only_store_refuses_writes_and_missing_store_is_named(tmp_path):
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
    with Store(tmp_path / "s", read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            store.put_graph(G, [T2])
    with pytest.raises(StoreError, match="nowhere"):
        Store(tmp_path / "nowhere", read_only=True)


def test_document_keys_and_has_document(tmp_path, extraction):
    from kg.mapping import map_extraction

    with Store(tmp_path / "s") as store:
        key = extraction.document.key
        store.put_graph(store.iris.document_graph(key), map_extraction(extraction, store.iris))
        assert store.document_keys() == [key]
        assert store.has_document(key, extraction.document.content_hash)
        assert not store.has_document(key, "0" * 64)
        assert not store.has_document("nope")


def test_load_named_graph_and_bad_file(tmp_path):
    f = tmp_path / "data.nt"
    f.write_text('<http://example.org/s> <http://example.org/p> "x" .\n')
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle")
    with Store(tmp_path / "s") as store:
        store.load(f, "http://example.org/g1")
        assert store.graph_size(URIRef("http://example.org/g1")) == 1
        with pytest.raises(StoreError, match="bad.ttl"):
            store.load(bad, "http://example.org/g2")
        assert store.graph_size(URIRef("http://example.org/g1")) == 1


def test_a_served_store_refuses_a_writer_and_a_written_store_refuses_readers(tmp_path):
    # RocksDB readers in other processes break while a writer compacts: the store lock keeps them apart
    with Store(tmp_path / "s") as store:
        store.put_graph(G, [T1])
        with pytest.raises(StoreLockedError, match="being written"):
            Store(tmp_path / "s", read_only=True)
    with Store(tmp_path / "s", read_only=True), Store(tmp_path / "s", read_only=True):  # readers share
        with pytest.raises(StoreLockedError, match="kg serve"):
            Store(tmp_path / "s")
    Store(tmp_path / "s").close()  # released on close
