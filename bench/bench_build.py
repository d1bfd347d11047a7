"""Build benchmark: time split by stage, peak RSS and store size on disk.

1. The seed article replicated ×200 (quick ×40), each copy made distinct by a last line (identical texts
   would be skipped as duplicates), built in this process with the real extractor and reasoner.
2. N generated articles (:mod:`bench.corpus`; 10,000, quick 500) built in a child process with
   ``--workers 2``, in chunks of one JSONL file each. The child stops taking new chunks once the ingest
   budget is spent, then reasons once; the parent kills it if reasoning overruns its budget. So the
   full benchmark stays bounded, and when 10k does not fit the result says how many documents did.
   Peak RSS is the child's high-water mark (main process, and separately its spaCy workers).

    python -m bench.bench_build [--quick] [--n N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = next(iter(sorted((ROOT / "seeds").glob("*.txt"))), None)

# Budgets keep `make bench` (all benchmarks) within about 25 minutes on a 2-CPU machine.
FULL = {"n": 10_000, "chunk": 1000, "ingest_s": 600, "reason_s": 200, "seed_copies": 200}
MAX_RSS_MB = 12_000  # the child is killed past this (the machine is shared); reported as the cap hit
QUICK = {"n": 500, "chunk": 250, "ingest_s": 120, "reason_s": 120, "seed_copies": 40}


def dir_size_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 2)


def _stages(seconds: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in seconds.items()}


# ------------------------------------------------------------------------------------ seed ×N
def seed_build(copies: int, tmp: Path) -> dict:
    from kg.build import build
    from kg.nlp import Extractor
    from kg.store import Store

    text = SEED.read_text(encoding="utf-8")
    corpus = tmp / "seed-copies"
    corpus.mkdir()
    for i in range(copies):
        (corpus / f"seed-{i:03d}.txt").write_text(f"{text.rstrip()}\n\nCopy {i}.\n", encoding="utf-8")
    store_path = tmp / "seed-store"
    extractor = Extractor()
    t0 = time.perf_counter()
    with Store(store_path) as store:
        report = build([corpus], store, extractor)
        quads = len(store)
    total = time.perf_counter() - t0
    return {"docs": len(report.ingested), "failed": len(report.failed), "seconds_total": round(total, 2),
            "seconds_by_stage": _stages(report.seconds), "docs_per_s": round(len(report.ingested) / total, 2),
            "triples_asserted": report.triples_asserted, "triples_inferred": report.triples_inferred,
            "quads_in_store": quads, "store_mb": dir_size_mb(store_path)}


# ------------------------------------------------------------------------------------ generated ×N (child)
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from kg.build import build, catch_up_inferences
from kg.nlp import Extractor
from kg.store import Store

store_path, chunks, ingest_budget, workers = sys.argv[1], sys.argv[2:-2], float(sys.argv[-2]), int(sys.argv[-1])

def emit(**kw):
    kw["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kw["workers_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(kw), flush=True)

extractor = Extractor()
t0 = time.perf_counter()
totals = {}
docs = failed = asserted = 0
with Store(store_path) as store:
    for chunk in chunks:
        report = build([chunk], store, extractor, workers=workers, batch_size=64, run_reasoner=False)
        docs += len(report.ingested); failed += len(report.failed); asserted += report.triples_asserted
        for k, v in report.seconds.items():
            totals[k] = totals.get(k, 0.0) + v
        emit(event="chunk", docs=docs, failed=failed, elapsed=time.perf_counter() - t0, seconds=totals)
        if time.perf_counter() - t0 > ingest_budget:
            break
    emit(event="ingested", docs=docs, asserted=asserted, elapsed=time.perf_counter() - t0, seconds=totals)
    t1 = time.perf_counter()
    inferred = catch_up_inferences(store)
    totals["reason"] = time.perf_counter() - t1
    store.flush()
    elapsed = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in Path(store_path).rglob("*") if p.is_file()) / 1e6
    t2 = time.perf_counter()
    store.optimize()
    emit(event="done", docs=docs, asserted=asserted, inferred=inferred, elapsed=elapsed,
         seconds=totals, quads=len(store), store_mb=size, optimize_s=time.perf_counter() - t2)
"""


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (spaCy workers), summed."""
    total = _rss_mb(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(_rss_mb(int(c)) for c in children)


class _Watchdog(threading.Thread):
    """Kills the child past its deadline or memory cap (reasoning prints nothing for minutes)."""

    def __init__(self, proc: subprocess.Popen, deadline: float, max_rss_mb: float):
        super().__init__(daemon=True)
        self.proc, self.deadline, self.max_rss_mb = proc, deadline, max_rss_mb
        self.peak_tree_mb, self.killed = 0.0, ""

    def run(self) -> None:
        while self.proc.poll() is None:
            rss = _tree_rss_mb(self.proc.pid)
            self.peak_tree_mb = max(self.peak_tree_mb, rss)
            if time.monotonic() > self.deadline:
                self.killed = "time budget"
            elif rss > self.max_rss_mb:
                self.killed = f"memory cap {self.max_rss_mb:.0f} MB"
            if self.killed:
                self.proc.kill()
                return
            time.sleep(0.5)


def generated_build(n: int, chunk: int, ingest_s: float, reason_s: float, tmp: Path, workers: int = 2,
                    max_rss_mb: float = MAX_RSS_MB) -> dict:
    corpus = tmp / "generated"
    corpus.mkdir()
    t0 = time.perf_counter()
    paths = []
    for start in range(0, n, chunk):
        p = corpus / f"chunk-{start // chunk:03d}.jsonl"
        write_chunk(p, start, min(chunk, n - start))
        paths.append(str(p))
    gen_s = time.perf_counter() - t0
    store_path = tmp / "generated-store"
    cmd = [sys.executable, "-c", CHILD, str(store_path), *paths, str(ingest_s), str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=str(ROOT),
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    # + one chunk that started just before the ingest budget ran out
    dog = _Watchdog(proc, time.monotonic() + ingest_s + reason_s + 180, max_rss_mb)
    dog.start()
    last: dict = {}
    ingested: dict = {}
    try:
        for line in proc.stdout:
            msg = json.loads(line)
            last = msg
            if msg["event"] == "ingested":
                ingested = msg
                dog.deadline = min(dog.deadline, time.monotonic() + reason_s)
            print(f"  build: {msg['event']} {msg['docs']} docs, {msg['elapsed']:.0f}s, "
                  f"rss {msg['rss_mb']:.0f} MB", flush=True)
    finally:
        proc.wait()
        dog.join()
        proc.stdout.close()
    result = {"requested_docs": n, "workers": workers, "corpus_generation_s": round(gen_s, 2),
              "docs": last.get("docs", 0), "failed": last.get("failed", 0)}
    if last.get("event") == "done":
        result.update(seconds_total=round(last["elapsed"], 2), seconds_by_stage=_stages(last["seconds"]),
                      docs_per_s=round(last["docs"] / last["elapsed"], 2), triples_asserted=last["asserted"],
                      triples_inferred=last["inferred"], quads_in_store=last["quads"],
                      store_mb_before_optimize=last["store_mb"], optimize_s=round(last["optimize_s"], 2))
    else:
        result["seconds_by_stage"] = _stages(last.get("seconds", {}))
        what = f"reasoning over {ingested['docs']} docs" if ingested else "the build"
        result["note"] = f"{what} was stopped by the {dog.killed or 'child exiting'} (exit {proc.returncode})"
    if result["docs"] < n:
        result["capped"] = (f"ingest budget {ingest_s:.0f}s reached after {result['docs']} of {n} documents "
                            "(the largest N that fits the cap)")
    result["peak_rss_mb"] = round(last.get("rss_mb", 0.0), 1)
    result["peak_rss_spacy_worker_mb"] = round(last.get("workers_rss_mb", 0.0), 1)
    result["peak_rss_all_processes_mb"] = round(dog.peak_tree_mb, 1)
    result["store_mb"] = dir_size_mb(store_path)
    if result["docs"]:
        result["store_kb_per_doc"] = round(result["store_mb"] * 1000 / result["docs"], 1)
    if result["docs"] < n and last.get("event") == "done":
        # linear projection from what was measured (labelled as such; reasoning and RSS grow at least linearly)
        f = n / result["docs"]
        result[f"projected_{n}_linear"] = {
            "ingest_s": round((last["elapsed"] - last["seconds"].get("reason", 0.0)) * f),
            "reason_s": round(last["seconds"].get("reason", 0.0) * f),
            "peak_rss_mb": round(result["peak_rss_mb"] * f), "store_mb": round(result["store_mb"] * f)}
    return result


def write_chunk(path: Path, start: int, count: int) -> None:
    from .corpus import article

    with path.open("w", encoding="utf-8") as f:
        for i in range(start, start + count):
            f.write(json.dumps(article(i).as_json(), ensure_ascii=False) + "\n")


def main(quick: bool = False, n: int | None = None) -> dict:
    cfg = dict(QUICK if quick else FULL)
    if n:
        cfg["n"] = n
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-build-"))
    results: dict = {"config": cfg}
    try:
        if SEED is not None:
            results["seed"] = r = seed_build(cfg["seed_copies"], tmp)
            print(f"seed ×{cfg['seed_copies']}: {json.dumps(r)}", flush=True)
        results["generated"] = g = generated_build(cfg["n"], cfg["chunk"], cfg["ingest_s"], cfg["reason_s"], tmp)
        print(f"generated: {json.dumps(g)}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seed = results.get("seed", {})
    results["summary"] = {
        f"seed ×{cfg['seed_copies']} total s": seed.get("seconds_total"),
        "seed by stage s": seed.get("seconds_by_stage"),
        "seed store MB": seed.get("store_mb"),
        f"generated docs built (of {cfg['n']})": g["docs"],
        "generated total s": g.get("seconds_total"),
        "generated by stage s": g.get("seconds_by_stage"),
        "generated peak RSS MB (main / spaCy worker)": f"{g['peak_rss_mb']} / {g['peak_rss_spacy_worker_mb']}",
        "generated store MB (after optimize)": g["store_mb"],
        "generated store MB before optimize": g.get("store_mb_before_optimize"),
        "note": g.get("capped") or g.get("note"),
        f"projection to {cfg['n']} (linear)": g.get(f"projected_{cfg['n']}_linear"),
    }
    results["summary"] = {k: v for k, v in results["summary"].items() if v is not None}
    return results


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int, default=None)
    a = p.parse_args()
    print(json.dumps(main(quick=a.quick, n=a.n)["summary"], indent=2))
