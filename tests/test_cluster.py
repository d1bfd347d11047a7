"""Extraction on a local Dask cluster: the same graphs as a plain build, through lost workers and a killed client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from bench.corpus import write_corpus
from kg.build import build
from kg.cluster import Cluster, ClusterError, parse_address
from kg.layout import document_statements
from kg.store import Store
from kg.store.terms import Triple

N_DOCS = 10


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"), N_DOCS, seed=7)


@pytest.fixture(scope="module")
def plain_store(tmp_path_factory, corpus):
    """The reference: the same corpus built in this process, without a cluster."""
    from kg.nlp import Extractor

    path = tmp_path_factory.mktemp("plain") / "store"
    with Store(path) as store:
        report = build([corpus], store, Extractor(), run_reasoner=False)
    assert len(report.ingested) == N_DOCS
    return path


@pytest.fixture(scope="module")
def cluster():
    with Cluster("local:2") as c:
        yield c


def document_statements_of(path) -> dict[str, set[str]]:
    """What each stored document states (its own triples and its entity record) as N-Triples lines: which
    document's graph holds a shared entity triple depends on the order in which documents were committed."""
    with Store(path, read_only=True) as store:
        return {key: {str(Triple(*t)) for t in document_statements(store, key)} for key in store.document_keys()}


def assert_same_documents(path, reference) -> None:
    got, want = document_statements_of(path), document_statements_of(reference)
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key] == want[key], key


def test_addresses():
    assert parse_address("local:3") == 3
    assert parse_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:x", "scheduler"):
        with pytest.raises(ClusterError, match="--cluster"):
            parse_address(bad)


def test_cli_names_a_bad_cluster_address_in_one_line(tmp_path, capsys):
    from kg.cli import main

    assert main(["build", str(tmp_path), "--store", str(tmp_path / "store"), "--cluster", "local:none"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--cluster local:none" in err[0]


def test_killing_a_worker_mid_build_loses_and_duplicates_nothing(tmp_path, corpus, plain_store, cluster):
    before = cluster.worker_pids()
    victim = sorted(before.values())[0]
    stored = []

    def on_document(doc):
        stored.append(doc.key)
        if len(stored) == 1:  # the other documents are queued on both workers: one of them dies with its share
            os.kill(victim, signal.SIGKILL)

    with Store(tmp_path / "store") as store:
        report = build([corpus], store, None, cluster=cluster, run_reasoner=False, on_document=on_document)
    assert report.ok and len(report.ingested) == N_DOCS == len(set(stored))
    assert victim not in cluster.worker_pids().values()  # it really died (its nanny started another)
    assert_same_documents(tmp_path / "store", plain_store)


KILL_SCRIPT = """
from kg.build import build
from kg.cluster import Cluster
from kg.store import Store
from kg.store.terms import Triple

if __name__ == "__main__":  # worker processes are spawned: they import this file
    with Cluster("local:2") as cluster, Store({store!r}) as store:
        print("workers", *cluster.worker_pids().values(), flush=True)
        build([{corpus!r}], store, None, cluster=cluster, run_reasoner=False,
              on_document=lambda d: print("stored", d.key, flush=True))
    print("done", flush=True)
"""


def test_kill_9_of_the_client_then_a_rerun_resumes(tmp_path, corpus, plain_store, cluster):
    store_path = tmp_path / "store"
    script = tmp_path / "client.py"
    script.write_text(KILL_SCRIPT.format(store=str(store_path), corpus=str(corpus)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=str(tmp_path))
    workers: list[int] = []
    try:
        seen, deadline = 0, time.monotonic() + 240
        while seen < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("workers"):
                workers = [int(x) for x in line.split()[1:]]
            seen += line.startswith("stored")
        assert seen == 2 and workers, proc.stderr.read() if proc.poll() is not None else "no progress"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # the client's worker processes follow it: none is left running
    gone, alive = psutil.wait_procs([p for p in map(_process, workers) if p], timeout=30)
    for p in alive:
        p.kill()
    assert not alive

    with Store(store_path) as store:
        stored = set(store.document_keys())
        assert 2 <= len(stored) < N_DOCS
        report = build([corpus], store, None, cluster=cluster, run_reasoner=False)
        assert report.ok and len(report.skipped) == len(stored) and len(report.ingested) == N_DOCS - len(stored)
    assert_same_documents(store_path, plain_store)


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
