"""Peak memory of a build as the corpus grows: does it stay flat?

A child process runs :func:`kg.build.build` (read → map → store → reason, the real code) over N documents whose
extraction records are synthetic (:mod:`bench.synthetic`, sized to about the quads of a generated article), so
that corpora of thousands of documents fit in minutes on two cores; spaCy's share of memory does not grow
with the corpus (bench_cluster measures it per worker). The parent reads the child's high-water mark
(VmHWM). Sizes double; the result gives peak RSS per size and the ratio of the largest to the one before:
1.0 is flat, 2.0 would be linear in the corpus.

    python -m bench.bench_memory [--quick] [--sizes 1100 2200 4400]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL_SIZES = [1100, 2200, 4400]  # past IN_MEMORY_MAX (1000): the batched path; 10k+ takes hours on 2 cores
QUICK_SIZES = [300, 600]
RELATIONS = 24  # per synthetic document: about 930 quads, the size of a generated article's graph

CHILD = """
import json, random, sys, time
sys.path.insert(0, {root!r})
from bench.synthetic import synthetic_extraction
from kg.build import build
from kg.records import Extraction
from kg.store import Store

class SyntheticExtractor:
    def pipe(self, docs, n_process=1, batch_size=64):
        for i, d in enumerate(docs):
            ex = synthetic_extraction(i, random.Random(i), relations={relations})
            yield Extraction(d, ex.entities, ex.relations, ex.events)

t0 = time.perf_counter()
with Store({store!r}) as store:
    report = build([{feed!r}], store, SyntheticExtractor())
    quads = len(store)
print(json.dumps({{"ingested": len(report.ingested), "quads": quads, "inferred": report.triples_inferred,
                  "seconds": {{k: round(v, 1) for k, v in report.seconds.items()}},
                  "wall_s": round(time.perf_counter() - t0, 1)}}))
"""


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1000
    except OSError:
        return None
    return None


def one_size(n: int, tmp: Path) -> dict:
    feed = tmp / f"feed-{n}.jsonl"
    with feed.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"doc-{i}", "text": f"Report number {i} on the fighting."}) + "\n")
    script = tmp / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), store=str(tmp / f"store-{n}"), feed=str(feed),
                                   relations=RELATIONS))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, vm_hwm_mb(proc.pid) or 0.0)
        time.sleep(0.2)
    out = proc.stdout.read()
    proc.stdout.close()
    if proc.returncode != 0:
        raise RuntimeError(f"build of {n} documents failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(documents=n, peak_rss_mb=round(peak, 1))
    return result


def main(quick: bool = False, sizes: list[int] | None = None) -> dict:
    sizes = sizes or (QUICK_SIZES if quick else FULL_SIZES)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-memory-") as d:
        for n in sizes:
            rows.append(one_size(n, Path(d)))
            print(json.dumps(rows[-1]), flush=True)
    peaks = [r["peak_rss_mb"] for r in rows]
    summary = {"peak_rss_mb": dict(zip(map(str, sizes), peaks, strict=True)),
               "quads_per_doc": round(rows[-1]["quads"] / sizes[-1], 1),
               "largest_over_previous": round(peaks[-1] / peaks[-2], 2) if len(peaks) > 1 else None}
    return {"summary": summary, "runs": rows}


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.bench_memory", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", type=int, nargs="+")
    a = p.parse_args()
    print(json.dumps(main(a.quick, a.sizes)["summary"], indent=2))
