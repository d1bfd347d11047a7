"""Export benchmark: time and peak memory of every `kg export` format on a generated store.

Generates a store of about 1M asserted triples (quick: 100k) with :func:`bench.synthetic.fill_store`, then
runs each export as its own `python -m kg export` process and records that process's peak RSS (the
kernel's high-water mark, VmHWM). Two references run in the same way: a process that only opens the store
(baseline) and one that copies every quad into a Python list before serializing (what a non-streaming
export costs). Streaming exports should stay near the baseline whatever the store size.

    python -m bench.bench_export [--quick] [--store DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg.export import EXPORTERS
from kg.mapping import map_extraction
from kg.namespaces import IRIs
from kg.store import Store

from .synthetic import fill_store, synthetic_extraction

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ["nquads", "ntriples", "trig", "turtle", "xml", "jsonld", "void", "graphml", "gexf", "cytoscape", "neo4j"]

BASELINE = """
import sys
from kg.store import Store
with Store(sys.argv[1], read_only=True) as s:
    print(len(s))
"""

WHOLE_COPY = """
import sys
import pyoxigraph as ox
from kg.store import Store
with Store(sys.argv[1], read_only=True) as s:
    quads = list(s.ox)
    with open(sys.argv[2], "wb") as out:
        ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
"""


def _hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _run(argv: list[str]) -> tuple[float, float]:
    """Run ``argv``; return (seconds, peak RSS in MB) of that process alone.

    Peak RSS is the kernel's high-water mark VmHWM of the process, read every 10 ms until it exits (it is
    monotonic, so only growth in the last 10 ms can be missed). Not ``ru_maxrss``: on Linux a child's
    ru_maxrss starts from the parent's RSS at fork, which here holds the generated store."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _hwm_mb(proc.pid))
        time.sleep(0.01)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err.strip()[-2000:]}")
    return seconds, peak


def _size_mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def main(quick: bool = False, store_dir: str | None = None) -> dict:
    n_target = 100_000 if quick else 1_000_000
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-export-"))
    store_path = Path(store_dir) if store_dir else tmp / "store"
    try:
        t0 = time.perf_counter()
        with Store(store_path) as store:
            if len(store) == 0:
                # fill_store counts mapped triples; a synthetic document repeats some (same mention spans)
                mapped = map_extraction(synthetic_extraction(0, random.Random(0)), IRIs())
                docs = fill_store(store, int(n_target * len(mapped) / len(set(mapped))))
            else:
                docs = len(store.document_keys())
            triples = len(store)
        fill_seconds = time.perf_counter() - t0
        py = sys.executable
        results: dict[str, dict[str, float]] = {}

        seconds, rss = _run([py, "-c", BASELINE, str(store_path)])
        results["(baseline: open store)"] = {"seconds": seconds, "peak_rss_mb": rss, "output_mb": 0.0}
        out = tmp / "whole-copy.nq"
        seconds, rss = _run([py, "-c", WHOLE_COPY, str(store_path), str(out)])
        results["(reference: list all quads + serialize)"] = {"seconds": seconds, "peak_rss_mb": rss,
                                                              "output_mb": _size_mb(out)}
        out.unlink(missing_ok=True)
        for fmt in FORMATS:
            out = tmp / f"export.{EXPORTERS[fmt].extension}"
            seconds, rss = _run([py, "-m", "kg", "export", "--format", fmt, "-o", str(out), "--graphs", "all",
                                 "--store", str(store_path)])
            results[fmt] = {"seconds": seconds, "peak_rss_mb": rss, "output_mb": _size_mb(out)}
            out.unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    baseline = results["(baseline: open store)"]["peak_rss_mb"]
    for r in results.values():
        r["rss_over_baseline_mb"] = r["peak_rss_mb"] - baseline
    print(f"export benchmark: {triples} triples in {docs} documents (store filled in {fill_seconds:.1f} s)")
    print(f"{'format':<42}{'seconds':>9}{'peak RSS MB':>13}{'over baseline':>15}{'output MB':>11}")
    for name, r in results.items():
        print(f"{name:<42}{r['seconds']:>9.2f}{r['peak_rss_mb']:>13.1f}{r['rss_over_baseline_mb']:>15.1f}"
              f"{r['output_mb']:>11.1f}")
    rdf = ["nquads", "ntriples", "trig", "turtle", "xml", "jsonld"]
    copy = results["(reference: list all quads + serialize)"]["rss_over_baseline_mb"]
    worst = max(results[f]["rss_over_baseline_mb"] for f in rdf)
    summary = {"rdf_exports_max_rss_over_baseline_mb": round(worst, 1),
               "whole_copy_rss_over_baseline_mb": round(copy, 1),
               "whole_copy_over_streaming_memory_ratio": round(copy / worst, 1) if worst > 0 else None,
               "nquads_seconds_per_million_triples": round(results["nquads"]["seconds"] * 1e6 / triples, 1)}
    print(f"RDF exports peak at {worst:.1f} MB over baseline; a whole-graph copy needs {copy:.1f} MB "
          f"({summary['whole_copy_over_streaming_memory_ratio']}x)")
    return {"triples": triples, "documents": docs, "fill_seconds": round(fill_seconds, 1), "summary": summary,
            "formats": {k: {m: round(v, 2) for m, v in r.items()} for k, r in results.items()}}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k triples instead of 1M")
    ap.add_argument("--store", default=None, help="reuse (or create) the generated store in DIR")
    args = ap.parse_args()
    main(args.quick, args.store)
