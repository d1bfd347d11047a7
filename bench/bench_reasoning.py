"""Reasoning benchmark: full OWL 2 RL closure time of our reasoner ÷ owlrl and ÷ reasonable, and the time
to add one article to the largest graph.

Graphs are generated to size with :mod:`bench.synthetic` (the real mapping) plus the ontology. Every
engine gets the same triples in memory; the times are of the closure itself (owlrl ``expand``,
reasonable ``reason()``, our :class:`kg.reasoning.Reasoner` adding every document). Loading is shown
apart. reasonable runs in a child process with a memory cap (it needs ~20 GB at 1M triples) and owlrl
only up to 100k triples (~1 ms per triple). Usage: ``python -m bench.bench_reasoning [--quick]``.
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time

from bench.synthetic import synthetic_documents, synthetic_extraction
from kg.mapping import map_extraction
from kg.namespaces import IRIs
from kg.reasoning import _LIVE, Reasoner, compile_rules, load_ontology, materialize, owlrl_closure, update_inferences
from kg.store import Store, to_ox, triples_to_quads

SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [10_000, 100_000]
OWLRL_MAX = 100_000
QUICK_OWLRL_MAX = 10_000
UNIQUE_PER_DOC = 215  # distinct triples per synthetic document (mentions repeat within a document)
REASONABLE_TIMEOUT = 300


def corpus(n_triples: int, seed: int = 7) -> list[tuple[str, list]]:
    iris = IRIs()
    return [(ex.document.key, map_extraction(ex, iris))
            for ex in synthetic_documents(max(1, n_triples // UNIQUE_PER_DOC), seed)]


def _reasonable_child(n_triples: int, queue) -> None:
    try:
        import psutil

        cap = int(min(24e9, psutil.virtual_memory().available * 0.7))
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # a Rust out-of-memory abort prints a long backtrace: the parent reports it in one line
        import reasonable
        from rdflib import Graph

        g = Graph()
        for t in load_ontology():
            g.add(t)
        for _key, triples in corpus(n_triples):
            for t in triples:
                g.add(t)
        t0 = time.perf_counter()
        r = reasonable.PyReasoner()
        r.from_graph(g)
        t1 = time.perf_counter()
        out = r.reason()
        queue.put({"load_s": t1 - t0, "reason_s": time.perf_counter() - t1, "triples_out": len(out)})
    except BaseException as e:  # noqa: BLE001 - reported, never raised: the parent goes on
        queue.put({"error": f"{type(e).__name__}: {e}"[:200]})


def time_reasonable(n_triples: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_reasonable_child, args=(n_triples, queue))
    proc.start()
    deadline = time.monotonic() + REASONABLE_TIMEOUT
    result = None
    while result is None and time.monotonic() < deadline:
        try:
            result = queue.get(timeout=1)
        except Exception:  # noqa: BLE001 - queue.Empty: still running, or dead without a word (Rust OOM abort)
            if not proc.is_alive():
                result = {"error": f"child died (exit code {proc.exitcode}; out of memory under the cap?)"}
    if result is None:
        result = {"error": f"no result within {REASONABLE_TIMEOUT} s"}
    proc.join(5)
    if proc.is_alive():
        proc.kill()
    return result


def time_ours(ontology, docs: list[tuple[str, list]]) -> tuple[float, float, Reasoner]:
    gc.collect()
    t0 = time.perf_counter()
    ox_docs = [(key, [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]) for key, triples in docs]
    t1 = time.perf_counter()
    r = Reasoner(ontology)
    for key, triples in ox_docs:
        r.add(key, triples)
    return t1 - t0, time.perf_counter() - t1, r


def time_owlrl(ontology, docs: list[tuple[str, list]]) -> tuple[float, set]:
    t0 = time.perf_counter()
    out = owlrl_closure(ontology, [t for _k, ts in docs for t in ts])
    return time.perf_counter() - t0, out


def add_one_article(docs: list[tuple[str, list]]) -> dict:
    """Fill a store with ``docs``, materialise, then add one article incrementally (warm reasoner)."""
    with tempfile.TemporaryDirectory(prefix="bench-reasoning-") as tmp, Store(tmp) as store:
        t0 = time.perf_counter()
        store.ox.bulk_extend(q for key, triples in docs
                             for q in triples_to_quads(triples, store.iris.document_graph(key)))
        t1 = time.perf_counter()
        n_inferred = materialize(store)
        t2 = time.perf_counter()
        article = synthetic_extraction(10**7, random.Random(99))
        key = article.document.key
        t3 = time.perf_counter()
        triples = map_extraction(article, store.iris)
        store.put_graph(store.iris.document_graph(key), triples)
        after = update_inferences(store, [key], [])
        t4 = time.perf_counter()
        store.remove_graph(store.iris.document_graph(key))
        update_inferences(store, [], [key])
        t5 = time.perf_counter()
        _LIVE.clear()  # as in a new `kg build` process: no reasoner in memory, the store is the state
        t6 = time.perf_counter()
        store.put_graph(store.iris.document_graph(key), triples)
        cold = update_inferences(store, [key], [])
        t7 = time.perf_counter()
        return {"store_quads": len(store.ox), "load_s": t1 - t0,
                "materialize_store_s": t2 - t1, "inferred": n_inferred, "article_triples": len(triples),
                "add_article_s": t4 - t3, "remove_article_s": t5 - t4, "add_article_cold_s": t7 - t6,
                "inferred_after_add": after, "same_after_cold_add": cold == after}


def main(quick: bool = False) -> dict:
    sizes = QUICK_SIZES if quick else SIZES
    owlrl_max = QUICK_OWLRL_MAX if quick else OWLRL_MAX
    ontology = load_ontology()
    t0 = time.perf_counter()
    compile_rules(ontology)
    compile_s = time.perf_counter() - t0
    rows = []
    print(_HEAD, flush=True)
    for size in sizes:
        docs = corpus(size)
        n_asserted = len({t for _k, ts in docs for t in ts})
        convert_s, ours_s, r = time_ours(ontology, docs)
        row = {"size": size, "asserted": n_asserted, "docs": len(docs), "ours_s": ours_s,
               "ours_convert_s": convert_s, "inferred": sum(1 for _ in r.inferred())}
        if size <= owlrl_max:
            row["owlrl_s"], reference = time_owlrl(ontology, docs)
            row["equal_to_owlrl"] = reference == {tuple(map(_rdflib, t)) for t in r.inferred()}
        del r
        rz = time_reasonable(size)
        row["reasonable_s"] = rz.get("reason_s")
        row["reasonable_load_s"] = rz.get("load_s")
        row["reasonable_error"] = rz.get("error")
        row["ours_div_reasonable"] = ours_s / row["reasonable_s"] if row["reasonable_s"] else None
        row["ours_div_owlrl"] = ours_s / row["owlrl_s"] if row.get("owlrl_s") else None
        rows.append(row)
        print(_row_text(row), flush=True)
    add = add_one_article(docs)
    result = {"compile_tbox_s": compile_s, "sizes": rows, "add_one_article": add | {"graph": sizes[-1]}}
    print(_table(result))
    return result


def _rdflib(term):
    from kg.store import from_ox

    return from_ox(term)


def _fmt(x, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def _row_text(row: dict) -> str:
    return (f"{row['size']:>9,} {row['asserted']:>9,} {row['inferred']:>9,} {_fmt(row['ours_s']):>8} "
            f"{_fmt(row.get('owlrl_s')):>8} {_fmt(row['reasonable_s']):>10} "
            f"{_fmt(row['ours_div_reasonable'], '.3f'):>10} {_fmt(row['ours_div_owlrl'], '.4f'):>10}"
            + (f"  equal={row['equal_to_owlrl']}" if "equal_to_owlrl" in row else "")
            + (f"  reasonable: {row['reasonable_error']}" if row.get("reasonable_error") else ""))


_HEAD = (f"{'target':>9} {'asserted':>9} {'inferred':>9} {'ours s':>8} {'owlrl s':>8} {'reasonable':>10} "
         f"{'÷reason.':>10} {'÷owlrl':>10}")


def _table(result: dict) -> str:
    lines = ["", "Full OWL 2 RL closure (in memory, same triples; owlrl skipped above its size limit)", _HEAD]
    lines += [_row_text(r) for r in result["sizes"]]
    a = result["add_one_article"]
    lines += ["", f"schema closure + rule compilation (once per ontology): {result['compile_tbox_s']:.2f} s",
              f"store of {a['graph']:,} target triples: bulk load {a['load_s']:.1f} s, materialize into the "
              f"store {a['materialize_store_s']:.1f} s ({a['inferred']:,} inferred)",
              f"add one article ({a['article_triples']} triples) incrementally: {a['add_article_s']:.3f} s "
              f"(put_graph + update_inferences, reasoner in memory); remove it again (DRed): "
              f"{a['remove_article_s']:.3f} s",
              f"add it again in a fresh process (no reasoner in memory, rules joined against the store): "
              f"{a['add_article_cold_s']:.3f} s (same inferred count: {a['same_after_cold_add']})"]
    return "\n".join(lines)


if __name__ == "__main__":
    out = main(quick="--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps(out, indent=2, default=str))
