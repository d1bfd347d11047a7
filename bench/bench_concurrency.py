"""Concurrency benchmark: readers during a build, and 50 HTTP clients against ``kg serve``.

1. One process, one store: reader threads run a simple SPARQL query in a loop, first with the store idle,
   then while a writer thread runs :func:`kg.build.build` adding documents (synthetic extractions, so the
   writer is the map → store → reason path rather than spaCy) — per-query latency p50/p99/max in both
   phases. Oxigraph reads a snapshot, so readers are never blocked by the writer's transactions.
2. ``kg serve`` in a subprocess on a free loopback port; 50 client threads with keep-alive connections send
   a simple SPARQL query for a bounded time: request count, error count (goal 0), latency p50/p99, req/s.

    python -m bench.bench_concurrency [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.build import build, catch_up_inferences
from kg.records import Document, Extraction
from kg.store import Store

from .synthetic import fill_store, synthetic_extraction

ROOT = Path(__file__).resolve().parents[1]
QUERY = """PREFIX ck: <https://w3id.org/conflict-kg/ontology#>
SELECT ?event ?agent WHERE { GRAPH ?g { ?event a ck:Capture ; ck:agent ?agent } } LIMIT 10"""
FULL = {"prefill_triples": 200_000, "write_docs": 800, "readers": 4, "idle_s": 5.0, "clients": 50, "http_s": 20.0}
QUICK = {"prefill_triples": 30_000, "write_docs": 300, "readers": 4, "idle_s": 2.0, "clients": 50, "http_s": 5.0}


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    s = sorted(samples)

    def pct(p: float) -> float:
        return round(s[min(len(s) - 1, int(p * len(s)))] * 1000, 2)

    return {"n": len(s), "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": round(s[-1] * 1000, 2),
            "mean_ms": round(statistics.fmean(s) * 1000, 2)}


# ------------------------------------------------------------------------------------ in-process
class SyntheticExtractor:
    """Extraction records without spaCy: the writer exercises map, store and reasoning only."""

    def pipe(self, docs: Iterable[Document], n_process: int = 1, batch_size: int = 64) -> Iterator[Extraction]:
        rng = random.Random(11)
        for i, d in enumerate(docs):
            ex = synthetic_extraction(100_000 + i, rng)
            yield Extraction(d, ex.entities, [r for r in ex.relations if r.sentence.end <= len(d.text)])


def _reader(store: Store, stop: threading.Event, out: list[float], errors: list[str]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            rows = list(store.query(QUERY))
            assert len(rows) <= 10
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors.append(f"{type(e).__name__}: {e}")
            continue
        out.append(time.perf_counter() - t0)


def readers_during_build(tmp: Path, cfg: dict) -> dict:
    store_path = tmp / "rw-store"
    feed = tmp / "writer.jsonl"
    with feed.open("w") as f:
        for i in range(cfg["write_docs"]):
            text = f"Synthetic report {100_000 + i}. " + " ".join(f"Sentence {k} about the fighting." for k in range(8))
            f.write(json.dumps({"id": f"w{i}", "text": text}) + "\n")
    with Store(store_path) as store:
        prefilled = fill_store(store, cfg["prefill_triples"])
        catch_up_inferences(store)

        def phase(with_writer: bool) -> tuple[dict, dict]:
            stop = threading.Event()
            lat: list[float] = []
            errors: list[str] = []
            threads = [threading.Thread(target=_reader, args=(store, stop, lat, errors)) for _ in range(cfg["readers"])]
            for t in threads:
                t.start()
            writer: dict = {}
            t0 = time.perf_counter()
            if with_writer:
                report = build([feed], store, SyntheticExtractor(), batch_size=16)
                writer = {"docs": len(report.ingested), "seconds": round(time.perf_counter() - t0, 2),
                          "docs_per_s": round(len(report.ingested) / (time.perf_counter() - t0), 1),
                          "seconds_by_stage": {k: round(v, 2) for k, v in report.seconds.items()}}
            else:
                time.sleep(cfg["idle_s"])
            stop.set()
            for t in threads:
                t.join()
            return {**percentiles(lat), "errors": len(errors), "first_error": errors[0] if errors else None,
                    "queries_per_s": round(len(lat) / (time.perf_counter() - t0), 1)}, writer

        idle, _ = phase(False)
        during, writer = phase(True)
    return {"prefilled_docs": prefilled, "readers": cfg["readers"], "idle": idle, "during_build": during,
            "writer": writer}


# ------------------------------------------------------------------------------------ HTTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    path = "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kg serve exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            if c.getresponse().status == 200:
                c.close()
                return
            c.close()
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"kg serve did not answer on port {port} within {timeout:.0f}s")


def _client(port: int, until: float, out: list[float], errors: list[str]) -> None:
    path = "/sparql?" + urllib.parse.urlencode({"query": QUERY})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < until:
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                errors.append(f"HTTP {resp.status}: {body[:120]!r}")
                continue
            json.loads(body)
            out.append(time.perf_counter() - t0)
        except (OSError, http.client.HTTPException, ValueError) as e:
            errors.append(f"{type(e).__name__}: {e}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def http_clients(tmp: Path, cfg: dict) -> dict:
    store_path = tmp / "http-store"
    with Store(store_path) as store:
        docs = fill_store(store, cfg["prefill_triples"])
        catch_up_inferences(store)
    port = free_port()
    log = (tmp / "serve.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", str(store_path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT),
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        try:
            _wait_ready(port, proc)
        except RuntimeError as e:
            log.seek(0)
            raise RuntimeError(f"{e}\n{log.read()[-2000:]}") from None
        lat: list[float] = []
        errors: list[str] = []
        until = time.monotonic() + cfg["http_s"]
        t0 = time.perf_counter()
        threads = [threading.Thread(target=_client, args=(port, until, lat, errors)) for _ in range(cfg["clients"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its query worker processes
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        log.close()
    return {"store_docs": docs, "clients": cfg["clients"], "seconds": round(elapsed, 1), "requests": len(lat),
            "errors": len(errors), "first_errors": sorted(set(errors))[:3],
            "requests_per_s": round(len(lat) / elapsed, 1), **percentiles(lat)}


def main(quick: bool = False) -> dict:
    cfg = QUICK if quick else FULL
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-conc-"))
    results: dict = {"config": cfg, "query": " ".join(QUERY.split())}
    try:
        results["readers_during_build"] = r = readers_during_build(tmp, cfg)
        print(f"readers during build: {json.dumps(r)}", flush=True)
        results["http"] = h = http_clients(tmp, cfg)
        print(f"http: {json.dumps(h)}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    idle, during = r["idle"], r["during_build"]
    results["summary"] = {
        "reader p50/p99 ms idle": f"{idle.get('p50_ms')} / {idle.get('p99_ms')}",
        "reader p50/p99 ms during build": f"{during.get('p50_ms')} / {during.get('p99_ms')}",
        "reader errors during build": during["errors"],
        "writer docs/s while read": r["writer"].get("docs_per_s"),
        f"http {h['clients']} clients × {cfg['http_s']:.0f}s: requests / errors": f"{h['requests']} / {h['errors']}",
        "http p50/p99 ms": f"{h.get('p50_ms')} / {h.get('p99_ms')}",
        "http req/s": h["requests_per_s"],
    }
    return results


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    print(json.dumps(main(quick=p.parse_args().quick)["summary"], indent=2))
