"""Dask distributed and Ray on this workload, side by side: the measurement behind ``kg build --cluster``'s engine.

For each engine: a local cluster of N worker processes, each loading the spaCy pipeline once (a Dask worker
plugin, a Ray actor), then N generated articles parsed, extracted and mapped on the workers with their
triples sent back. Reported: seconds until the workers are ready (pipeline loaded), documents per second
after that, resident memory per worker, and the client's memory. Ray is not a dependency of the project:
run this file with a Python that has it installed (``pip install ray``) to include it.

    python -m bench.cluster_engines --engine dask --workers 2 --n 200
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import psutil

from bench.corpus import articles
from kg.records import Document


def documents(n: int) -> list[Document]:
    return [Document(id=a.id, text=a.text, url=a.url, date=a.date) for a in articles(n, seed=11)]


def rss_mb(pid: int | None = None) -> float:
    return round(psutil.Process(pid).memory_info().rss / 1e6, 1)


def run_dask(docs: list[Document], workers: int) -> dict:
    from kg.cluster import Cluster
    from kg.namespaces import IRIs

    t0 = time.perf_counter()
    with Cluster(f"local:{workers}") as cluster:
        ready = time.perf_counter() - t0
        t1 = time.perf_counter()
        quads = sum(len(triples) for _doc, triples in cluster.map_documents(docs, IRIs()))
        seconds = time.perf_counter() - t1
        worker_rss = sorted(rss_mb(pid) for pid in cluster.worker_pids().values())
    return {"engine": "dask", "workers": workers, "ready_s": round(ready, 2),
            "docs_per_s": round(len(docs) / seconds, 2),
            "worker_rss_mb": worker_rss, "client_rss_mb": rss_mb(), "quads": quads}


def run_ray(docs: list[Document], workers: int) -> dict:
    import ray
    from ray.util import ActorPool

    from kg.mapping import map_extraction
    from kg.namespaces import IRIs

    @ray.remote(num_cpus=1)
    class Mapper:
        def __init__(self):
            from kg.nlp import Extractor
            self.extractor = Extractor()

        def pid(self) -> int:
            return os.getpid()

        def map(self, doc: Document):
            return doc, map_extraction(self.extractor.extract(doc), IRIs())

    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="ray-"))
    try:
        actors = [Mapper.remote() for _ in range(workers)]
        pids = ray.get([a.pid.remote() for a in actors])  # returns once every actor has loaded the pipeline
        ready = time.perf_counter() - t0
        t1 = time.perf_counter()
        pool = ActorPool(actors)
        quads = sum(len(triples) for _doc, triples in pool.map_unordered(lambda a, d: a.map.remote(d), docs))
        seconds = time.perf_counter() - t1
        worker_rss = sorted(rss_mb(pid) for pid in pids)
        raylet = sum(rss_mb(p.pid) for p in psutil.Process().children(recursive=True) if p.pid not in pids)
    finally:
        ray.shutdown()
    return {"engine": "ray", "workers": workers, "ready_s": round(ready, 2),
            "docs_per_s": round(len(docs) / seconds, 2),
            "worker_rss_mb": worker_rss, "client_rss_mb": rss_mb(), "ray_services_rss_mb": round(raylet, 1),
            "quads": quads}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.cluster_engines", description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", choices=["dask", "ray"], default="dask")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--n", type=int, default=200)
    args = p.parse_args(argv)
    docs = documents(args.n)
    result = (run_dask if args.engine == "dask" else run_ray)(docs, args.workers)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
