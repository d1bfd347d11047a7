"""Throughput of extraction on a local Dask cluster, and what it takes to build 200,000 articles a day.

One corpus of generated articles (:mod:`bench.corpus`; 200, quick 30), built into fresh stores:

- in this process with the plain extractor (``workers=1``): the reference;
- with ``--cluster local:K`` for K in 1, 2 and N (N = CPUs + 2, oversubscribed on purpose: where the curve
  flattens), reasoning left out so the figure is the extraction pipeline's.

Reported per run: documents per second (and its ratio to the reference measured in this run), CPU-seconds
per article (workers and client together), the workers' resident memory. From the reference store, after
reasoning: quads per article (asserted and inferred) and bytes per quad on disk. Then, from those figures,
the cores needed for 200,000 articles a day (86,400 s) at the measured CPU-seconds per article, assuming
extraction parallelises across machines as it does across local workers (the client's commit rate is given
too: it must keep up on its own).

    python -m bench.bench_cluster [--quick] [--n N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import psutil

from bench.corpus import write_corpus

ARTICLES_PER_DAY = 200_000
DAY_S = 86_400


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cpu_s(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def plain(corpus: Path, tmp: Path) -> dict:
    from kg.build import build
    from kg.nlp import Extractor
    from kg.store import Store

    extractor = Extractor()
    path = tmp / "plain"
    cpu0, t0 = time.process_time(), time.perf_counter()
    with Store(path) as store:
        report = build([corpus], store, extractor, run_reasoner=False)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        asserted = len(store)
        r0 = time.perf_counter()
        from kg.build import reason
        reason(store)
        reason_s = time.perf_counter() - r0
        total = len(store) - store.graph_size(store.iris.ontology_graph)  # the ontology is there once per store
        store.flush()
    n = len(report.ingested)
    return {"documents": n, "docs_per_s": round(n / seconds, 2), "cpu_s_per_article": round(cpu / n, 3),
            "commit_s_per_article": round(report.seconds["store"] / n, 4), "reason_s": round(reason_s, 1),
            "quads_per_article": round(total / n, 1), "asserted_quads_per_article": round(asserted / n, 1),
            "bytes_per_quad": round(dir_bytes(path) / total, 1), "client_peak_rss_mb": _hwm_mb()}


def on_cluster(corpus: Path, tmp: Path, workers: int) -> dict:
    from kg.build import build
    from kg.cluster import Cluster
    from kg.store import Store

    t0 = time.perf_counter()
    with Cluster(f"local:{workers}") as cluster:
        ready = time.perf_counter() - t0
        pids = list(cluster.worker_pids().values())
        cpu0, client0 = cpu_s(pids), time.process_time()
        t1 = time.perf_counter()
        with Store(tmp / f"cluster-{workers}") as store:
            report = build([corpus], store, None, cluster=cluster, run_reasoner=False)
        seconds = time.perf_counter() - t1
        cpu = cpu_s(pids) - cpu0 + time.process_time() - client0
        rss = sorted(round(psutil.Process(p).memory_info().rss / 1e6) for p in pids)
    n = len(report.ingested)
    return {"workers": workers, "ready_s": round(ready, 1), "docs_per_s": round(n / seconds, 2),
            "cpu_s_per_article": round(cpu / n, 3), "worker_rss_mb": rss}


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1000, 1)
    return 0.0


def main(quick: bool = False, n: int | None = None) -> dict:
    n = n or (30 if quick else 200)
    cpus = len(os.sched_getaffinity(0))
    sizes = sorted({1, 2, cpus + 2})
    with tempfile.TemporaryDirectory(prefix="kg-bench-cluster-") as d:
        tmp = Path(d)
        corpus = write_corpus(tmp / "corpus", n, seed=5)
        reference = plain(corpus, tmp)
        print(json.dumps({"plain": reference}), flush=True)
        runs = []
        for k in sizes:
            runs.append(on_cluster(corpus, tmp, k))
            runs[-1]["vs_plain"] = round(runs[-1]["docs_per_s"] / reference["docs_per_s"], 2)
            print(json.dumps(runs[-1]), flush=True)
    best_cpu = min(r["cpu_s_per_article"] for r in runs)
    cores = ARTICLES_PER_DAY * best_cpu / DAY_S
    summary = {
        "docs_per_s": {f"local:{r['workers']}": r["docs_per_s"] for r in runs} | {"plain": reference["docs_per_s"]},
        "cpu_s_per_article": best_cpu,
        "quads_per_article": reference["quads_per_article"],
        "bytes_per_quad": reference["bytes_per_quad"],
        "worker_rss_mb": max(max(r["worker_rss_mb"]) for r in runs),
        "client_peak_rss_mb": reference["client_peak_rss_mb"],
        "cores_for_200k_a_day": round(cores, 1),
        "disk_gb_per_day": round(ARTICLES_PER_DAY * reference["quads_per_article"] * reference["bytes_per_quad"] / 1e9,
                                 1),
        "client_commit_share_of_day": round(ARTICLES_PER_DAY * reference["commit_s_per_article"] / DAY_S, 2),
    }
    return {"summary": summary, "plain": reference, "runs": runs, "articles": n, "cpus": cpus}


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.bench_cluster", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int)
    a = p.parse_args()
    print(json.dumps(main(a.quick, a.n)["summary"], indent=2))
