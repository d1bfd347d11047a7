"""The fork server that makes the query workers (``server/_worker.py``): a forked worker inherits every
confinement the fork server applied to itself, reads snapshots made after the fork server started, is replaced
when killed (and so is the fork server), and no worker outlives the server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import build_sample_store
from test_safety import Listener

from kg.errors import ForbiddenOperationError, QueryError
from kg.store import Store
from server.executor import QueryPool, QueryTask

ROOT = Path(__file__).resolve().parents[1]
ASK = QueryTask(query="ASK { ?s ?p ?o }", result_format="json")
LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return build_sample_store(tmp_path_factory.mktemp("forkserver"))


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _ended(pid: int) -> bool:
    try:
        return _status(pid)["State"].startswith(("Z", "X"))  # a zombie has ended; its parent may be slow to reap
    except FileNotFoundError:
        return True


def test_forked_workers_inherit_the_confinement(tmp_path, store_path):
    outside = tmp_path / "outside"
    shutil.copytree(store_path, outside)
    listener = Listener()
    pool = QueryPool(store_path, size=1, timeout=10, memory_bytes=512 << 20)
    try:
        assert json.loads(pool.run(ASK).body)["boolean"] is True
        pids = [w.process.pid for w in pool._all]  # the one that answered and a spare
        for pid in pids:
            status = _status(pid)
            assert int(status["PPid"]) == pool._forks._process.pid  # forked by the fork server, not started anew
            assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"  # 2: a filter
            assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
            data = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines() if "data" in line)
            assert data.split()[3:5] == [str(512 << 20)] * 2
        # Landlock: the same store, copied outside the folders the fork server allowed, cannot be opened
        with pytest.raises(QueryError, match="Permission denied"):
            pool.run(ASK, path=str(outside))
        # seccomp: a SERVICE kills the worker, whose exit status the fork server reports
        with pytest.raises(ForbiddenOperationError):
            pool.run(QueryTask(query=f"SELECT * {{ SERVICE <{listener.url}/> {{ ?s ?p ?o }} }}", result_format="json"))
        assert any(_ended(pid) for pid in pids)
        assert json.loads(pool.run(ASK).body)["boolean"] is True
    finally:
        pool.close()
        time.sleep(0.2)
        listener.close()
    assert listener.connections == []


def test_snapshots_made_after_the_fork_server_started_are_readable(tmp_path):
    store = Store(build_sample_store(tmp_path))
    pool = QueryPool(store.path, size=1, timeout=10, store=store)
    count = QueryTask(query="SELECT (COUNT(*) AS ?n) { GRAPH <http://example.org/later> { ?s ?p ?o } }",
                      result_format="csv")
    try:
        assert pool.run(count).body.splitlines()[1] == b"0"
        with pool.writing():  # a trial copy, then a new snapshot: both made after the fork server confined itself
            update = "INSERT DATA { GRAPH <http://example.org/later> { <http://e/a> <http://e/b> 1 } }"
            pool.trial_update(update, None, {})
            store.ox.update(update)
        assert pool.run(count).body.splitlines()[1] == b"1"
        for w in list(pool._all):  # fresh forks read it too
            w.process.kill()
            w.process.wait(timeout=5)
        assert pool.run(count).body.splitlines()[1] == b"1"
    finally:
        pool.close()
        store.close()


def test_a_killed_fork_server_is_replaced_and_its_workers_go_on(store_path):
    pool = QueryPool(store_path, size=2, timeout=10)
    try:
        pool.run(ASK)
        first = pool._forks._process.pid
        pool._forks._process.kill()
        pool._forks._process.wait(timeout=5)
        assert json.loads(pool.run(ASK).body)["boolean"] is True  # served by a worker it forked before
        for w in list(pool._all):
            w.process.kill()
            w.process.wait(timeout=5)
        for _ in range(3):
            assert json.loads(pool.run(ASK).body)["boolean"] is True
        assert pool._forks._process.pid != first
    finally:
        pool.close()


def test_no_worker_outlives_the_server(store_path):
    """A server that dies without closing its pool (SIGKILL, a crash): the fork server sees its control socket
    close and kills its workers, the one evaluating a long query too."""
    code = f"""
import os, sys, threading, time
sys.path.insert(0, {str(ROOT)!r})
from server.executor import QueryPool, QueryTask
pool = QueryPool({str(store_path)!r}, size=2, timeout=60)
pool.run(QueryTask(query="ASK {{}}", result_format="json"))
threading.Thread(target=pool.run, args=(QueryTask(query={LONG!r}, result_format="json"),), daemon=True).start()
time.sleep(0.5)
print(pool._forks._process.pid, *[w.process.pid for w in pool._all], flush=True)
os._exit(0)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pids = [int(p) for p in res.stdout.split()]
    assert len(pids) >= 3, res.stdout + res.stderr
    deadline = time.monotonic() + 10
    while not all(_ended(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in pids if not _ended(pid)] == []
