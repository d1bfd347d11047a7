"""Run every benchmark (``bench/bench_*.py``) in order, print a summary, write ``bench/out/results.json``.

    python -m bench [--quick] [--only NAME ...]

Each module exposes ``main(quick: bool = False) -> dict``. One benchmark failing (or not importing)
is reported in the summary and does not stop the others; the exit status is 1 when any failed.
With ``--only`` the results file keeps the other benchmarks' last entries (each says when and
whether quick).
Figures are ratios and timings measured in this one run on this machine, never asserted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


# Pipeline order first (extract → build → reason → concurrent use → serve → export), then any others.
ORDER = ["extraction", "build", "reasoning", "concurrency", "endpoint", "export"]


def discover() -> list[str]:
    found = {p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py")}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def _short(value, depth: int = 0) -> str:
    """A compact one-line rendering of a result dict for the summary."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        if depth >= 1:
            return "{" + ", ".join(f"{k}: {_short(v, depth + 1)}" for k, v in list(value.items())[:6]) + (
                ", …}" if len(value) > 6 else "}")
        return "\n".join(f"    {k}: {_short(v, depth + 1)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_short(v, depth + 1) for v in value[:6]) + (", …]" if len(value) > 6 else "]")
    return str(value)


def run(names: list[str], quick: bool, keep: dict | None = None) -> dict:
    """Run ``names``; ``keep`` holds earlier entries (of other benchmarks) to carry over into the results file."""
    results: dict = {"quick": quick, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "python": platform.python_version(), "machine": platform.machine(),
                     "cpus": _cpus(), "benchmarks": dict(keep or {})}
    for name in names:
        print(f"\n=== bench {name}{' (quick)' if quick else ''} ===", flush=True)
        t0 = time.perf_counter()
        entry: dict = {}
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            entry["result"] = module.main(quick=quick)
            entry["status"] = "ok"
        except Exception as e:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            entry["status"] = "error"
            entry["error"] = f"{type(e).__name__}: {e}"
        entry["seconds"] = round(time.perf_counter() - t0, 2)
        entry["quick"] = quick
        entry["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        results["benchmarks"][name] = entry
        _write(results)  # keep what we have if a later benchmark is interrupted
    return results


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _write(results: dict) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / "results.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def summary(results: dict, names: list[str]) -> str:
    lines = [f"\n=== summary ({'quick' if results['quick'] else 'full'}; {results['cpus']} CPUs, "
             f"Python {results['python']}) ==="]
    for name in names:
        entry = results["benchmarks"][name]
        lines.append(f"{name}: {entry['status']} in {entry['seconds']:.1f}s")
        if entry["status"] == "ok" and isinstance(entry.get("result"), dict):
            headline = entry["result"].get("summary", entry["result"])
            lines.append(_short(headline))
        elif entry["status"] != "ok":
            lines.append(f"    {entry['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every benchmark")
    p.add_argument("--only", nargs="+", metavar="NAME", help=f"run only these (of: {', '.join(discover())})")
    args = p.parse_args(argv)
    names = discover()
    if args.only:
        unknown = [n for n in args.only if n.removeprefix("bench_") not in names]
        if unknown:
            p.error(f"unknown benchmark {', '.join(unknown)} (have: {', '.join(names)})")
        names = [n for n in names if n in {o.removeprefix("bench_") for o in args.only}]
    keep = {}
    if args.only:  # a partial run updates its entries and keeps the other benchmarks' last figures
        try:
            keep = json.loads((OUT / "results.json").read_text())["benchmarks"]
        except (OSError, ValueError, KeyError):
            keep = {}
    results = run(names, args.quick, keep)
    print(summary(results, names))
    print(f"\nwrote {_write(results)}")
    return 0 if all(results["benchmarks"][n]["status"] == "ok" for n in names) else 1


if __name__ == "__main__":
    sys.exit(main())
