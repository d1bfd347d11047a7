"""Virtuoso benchmark: the same corpus in the embedded store and in Virtuoso, and how fast Virtuoso loads.

1. N generated articles (:mod:`bench.corpus`; 1000, quick 100) built into the embedded store, then into a
   Virtuoso started here (:class:`kg.store.testing.LocalVirtuoso`) through the remote backend, exactly as
   ``kg build --store http://…`` does: seconds per stage, quads. Extraction runs once, first and alone
   (2 worker processes); both builds replay its output, so each shows what its store costs.
2. The equality check: both datasets exported as N-Quads, canonicalised (RDFC-1.0) and compared.
3. The README's example queries on both stores, as written and with ``SELECT DISTINCT`` (median latency of
   3 runs after a warm-up, or the first run alone when it took over 1 s; 20 s at most; same rows).
4. Virtuoso's load rate in quads per second, by method, each into a fresh server, from the embedded
   build's N-Quads: its bulk loader (``ld_dir`` + ``rdf_loader_run`` through ``isql-vt``, files on the
   server's disk), Graph Store HTTP Protocol POSTs (one per graph, ``batch`` triples at most), SPARQL
   ``INSERT DATA`` batches (a sample: Virtuoso compiles them slowly), and one atomic commit per document
   (staging graph + MOVE: what the build does).
5. The arithmetic: quads per article, bytes per quad on disk (Virtuoso's database after a checkpoint, the
   embedded folder), projected to 100 thousand, 10 million and 100 million articles.

    python -m bench.bench_virtuoso [--quick] [--n N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

N_FULL, N_QUICK = 1000, 100
BUFFERS = 100_000  # 800 MB of Virtuoso page cache
INSERT_SAMPLE, INSERT_BATCH = 20_000, 1000  # Virtuoso's SPARQL compiler gives up past about 5000 lines
COMMIT_SAMPLE = 200  # documents committed one by one

README_QUERIES = {
    "captured (with date, sentence)": """SELECT ?who ?place ?date ?sentence WHERE {
  ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p ; ck:sentence ?sentence .
  ?a rdfs:label ?who . ?p rdfs:label ?place
  OPTIONAL { ?e ck:date ?date } }""",
    "backs": "SELECT ?backer ?backed WHERE { ?x ck:backs ?y . ?x rdfs:label ?backer . ?y rdfs:label ?backed }",
    "eliminated (killings, sources)": """SELECT ?killer ?victim ?doc WHERE { ?e a ck:Killing ; ck:agent ?k ;
  ck:victim ?v ; ck:source ?doc . ?k rdfs:label ?killer . ?v rdfs:label ?victim }""",
    "attacked": "SELECT ?attacker ?target WHERE { ?a ck:attacked ?t . ?a rdfs:label ?attacker . "
                "?t rdfs:label ?target }",
    "invaded": "SELECT ?invader ?country WHERE { ?a ck:invaded ?c . ?a rdfs:label ?invader . ?c rdfs:label ?country }",
    "leads": "SELECT ?leader ?org WHERE { ?l ck:leads ?o . ?l rdfs:label ?leader . ?o rdfs:label ?org }",
    "memberOf": "SELECT ?member ?org WHERE { ?m ck:memberOf ?o . ?m rdfs:label ?member . ?o rdfs:label ?org }",
    "alliedWith": "SELECT ?a ?b WHERE { ?x ck:alliedWith ?y . ?x rdfs:label ?a . ?y rdfs:label ?b }",
    "opposes": "SELECT ?a ?b WHERE { ?x ck:opposes ?y . ?x rdfs:label ?a . ?y rdfs:label ?b }",
    "denied claims": """SELECT ?fact ?claimant ?denier WHERE {
  ?e ck:claimedBy ?c ; ck:deniedBy ?d ; rdfs:label ?fact . ?c rdfs:label ?claimant . ?d rdfs:label ?denier }""",
    "captured places (inferred)": "SELECT ?place ?by WHERE { ?p a ck:Place ; ck:capturedBy ?a . "
                                  "?p rdfs:label ?place . ?a rdfs:label ?by }",
    "hostileTo (inferred)": "SELECT ?a ?b WHERE { ?x ck:hostileTo ?y . ?x rdfs:label ?a . ?y rdfs:label ?b }",
    "SEM view (inferred)": "SELECT ?event ?type ?who WHERE { ?event a sem:Event , ?type ; sem:hasActor ?x . "
                           "?x rdfs:label ?who }",
    "locatedIn Syria (transitive)": 'SELECT ?place WHERE { ?p ck:locatedIn ?c . ?c rdfs:label "Syria" . '
                                    "?p rdfs:label ?place }",
}


class _Recording:
    """The real extractor, keeping each document's extraction so that a second build can replay it."""

    def __init__(self, extractor):
        self.extractor, self.kept = extractor, {}

    def pipe(self, docs, n_process=1, batch_size=64):
        for ex in self.extractor.pipe(docs, n_process=n_process, batch_size=batch_size):
            self.kept[ex.document.content_hash] = ex
            yield ex


class _Replay:
    def __init__(self, kept):
        self.kept = kept

    def pipe(self, docs, n_process=1, batch_size=64):
        for d in docs:
            yield self.kept[d.content_hash]


def _folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _virtuoso_db_mb(folder: Path) -> float:
    return sum((folder / name).stat().st_size for name in ("virtuoso.db", "virtuoso.trx")
               if (folder / name).exists()) / 1e6


def build_both(corpus: Path, tmp: Path, server, base: str) -> dict:
    from kg.build import build
    from kg.nlp import Extractor
    from kg.sources import read_documents
    from kg.store import Store

    # extraction first, on its own (2 processes): both builds then replay it, so neither competes with
    # spaCy's worker processes for the CPU while it writes
    t0 = time.perf_counter()
    recording = _Recording(Extractor())
    docs = [d for d in read_documents([corpus]) if not isinstance(d, Exception)]
    for _ in recording.pipe(docs, n_process=2, batch_size=32):
        pass
    out: dict = {"extract_s": round(time.perf_counter() - t0, 2), "extract_processes": 2}
    for name, location in (("embedded", str(tmp / "embedded")), ("virtuoso", server.store_url)):
        t0 = time.perf_counter()
        with Store(location, base_iri=base) as store:
            report = build([corpus], store, _Replay(recording.kept))
            quads = len(store)
        seconds = {k: round(v, 2) for k, v in report.seconds.items() if k != "extract"}
        out[name] = {"docs": len(report.ingested), "seconds_total": round(time.perf_counter() - t0, 2),
                     "seconds_by_stage": seconds, "triples_asserted": report.triples_asserted,
                     "triples_inferred": report.triples_inferred, "quads": quads}
        print(f"  build into {name}: {json.dumps(out[name])}", flush=True)
    return out


def equality(tmp: Path, server, base: str) -> dict:
    from kg.export import export
    from kg.store import Store
    from kg.store.terms import CanonicalizationAlgorithm, Dataset, RdfFormat, parse

    out: dict = {}
    canon = {}
    for name, location in (("embedded", str(tmp / "embedded")), ("virtuoso", server.store_url)):
        path = tmp / f"{name}.nq"
        t0 = time.perf_counter()
        with Store(location, read_only=True, base_iri=base) as store, open(path, "wb") as f:
            export(store, "nquads", f)
        out[f"export_{name}_s"] = round(time.perf_counter() - t0, 2)
        ds = Dataset(parse(path=str(path), format=RdfFormat.N_QUADS))
        ds.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
        canon[name] = {str(q) for q in ds}
    a, b = canon["embedded"], canon["virtuoso"]
    out.update(equal=a == b, quads_embedded=len(a), quads_virtuoso=len(b), only_embedded=len(a - b),
               only_virtuoso=len(b - a), examples=sorted(a ^ b)[:3])
    return out


def _rows(res) -> tuple[int, str]:
    """(number of rows, a digest of the sorted rows): answers compared without holding two copies."""
    import hashlib

    rows = sorted("\t".join(str(sol[v]) for v in res.variables) for sol in res)
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _time_query(location: str, base: str, query: str, runs: int, conn) -> None:
    """In a child process (the only way to stop a query in time): time ``query`` on the store at
    ``location``; send (median seconds, (rows, digest)) or an error message."""
    from kg.errors import KGError
    from kg.query import DEFAULT_PREFIXES
    from kg.store import Store

    try:
        with Store(location, read_only=True, base_iri=base) as store:
            conn.send(_timed(lambda: _rows(store.query(query, prefixes=DEFAULT_PREFIXES,
                                                       use_default_graph_as_union=True)), runs))
    except KGError as e:
        conn.send(str(e)[:200])


def _timed(run, runs: int) -> tuple[float, tuple]:
    """(median seconds of ``runs`` runs after a warm-up — the warm-up alone when it took over 1 s, what the
    last run returned)."""
    t0 = time.perf_counter()
    out = run()
    first = time.perf_counter() - t0
    if first > 1:
        return first, out
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def query_latency(tmp: Path, server, base: str, runs: int = 3, budget_s: float = 20) -> dict:
    """Median latency of each README query (after a warm-up) on both stores, and whether they give the same
    rows; a query still running after ``budget_s`` is stopped. Both stores' union default graph is a bag: a
    label held by N document graphs matches N times, so these queries' answers grow with the square of the
    number of documents that name an entity."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    out: dict = {}
    variants = {name: q for name, q in README_QUERIES.items()}
    # the same queries without repeated rows: what a reader wants, and what a set default graph would give
    variants.update({f"{name} [DISTINCT]": q.replace("SELECT ", "SELECT DISTINCT ", 1)
                     for name, q in README_QUERIES.items()})
    for name, query in variants.items():
        row: dict = {}
        answers = {}
        for side, location in (("embedded", str(tmp / "embedded")), ("virtuoso", server.store_url)):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_time_query, args=(location, base, query, runs, child))
            proc.start()
            if parent.poll(budget_s):
                got = parent.recv()
                if isinstance(got, str):
                    row[f"{side}_error"] = got
                else:
                    seconds, answers[side] = got
                    row[f"{side}_ms"] = round(seconds * 1000, 1)
                    row[f"{side}_rows"] = answers[side][0]
            else:
                row[f"{side}_ms"] = f"> {budget_s * 1000:.0f}"
            proc.kill()
            proc.join()
        if len(answers) == 2:
            row["same_rows"] = answers["embedded"] == answers["virtuoso"]
        out[name] = row
        print(f"  {name}: {row}", flush=True)
    return out


def _by_graph(nquads: Path) -> dict:
    from kg.store.terms import RdfFormat, parse

    graphs: dict = defaultdict(list)
    for q in parse(path=str(nquads), format=RdfFormat.N_QUADS):
        graphs[q.graph_name].append(q.triple)
    return graphs


def load_rates(tmp: Path, nquads: Path, base: str) -> dict:
    """Quads per second into a fresh Virtuoso, by method."""
    from kg.store import Store
    from kg.store.testing import LocalVirtuoso

    graphs = _by_graph(nquads)
    total = sum(len(ts) for ts in graphs.values())
    doc_prefix = f"{base}graph/doc/"
    docs = [g for g in graphs if g.value.startswith(doc_prefix)]
    out: dict = {"quads": total}

    def fresh(name: str) -> LocalVirtuoso:
        return LocalVirtuoso(tmp / f"load-{name}", buffers=BUFFERS)

    # 1. the bulk loader, from the N-Quads file on the server's disk
    with fresh("bulk") as v:
        shutil.copy(nquads, v.folder / "data.nq")
        v.isql("checkpoint;\n")
        empty_mb = _virtuoso_db_mb(v.folder)
        t0 = time.perf_counter()
        v.bulk_load("data.nq")
        s = time.perf_counter() - t0
        with Store(v.store_url, read_only=True, base_iri=base) as check:
            loaded = len(check)
        grown_mb = _virtuoso_db_mb(v.folder) - empty_mb
        out["bulk_loader"] = {"seconds": round(s, 2), "quads_per_s": round(total / s), "loaded": loaded,
                              "db_growth_mb": round(grown_mb, 1)}
        out["bytes_per_quad_virtuoso"] = round(grown_mb * 1e6 / max(loaded, 1), 1)
        print(f"  bulk loader: {out['bulk_loader']}", flush=True)

    # 2. Graph Store Protocol POSTs (non-atomic bulk path), 3. INSERT DATA batches, 4. one commit per document
    with fresh("protocol") as v, Store(v.store_url, base_iri=base) as store:
        t0 = time.perf_counter()
        for g, triples in graphs.items():
            store.put_graph(g, triples, atomic=False)  # one POST per graph, `batch` triples at most each
        s = time.perf_counter() - t0
        out["graph_store_post"] = {"seconds": round(s, 2), "quads_per_s": round(total / s), "requests_max_triples":
                                   store.options.batch_size, "loaded": len(store)}
        print(f"  graph store POSTs: {out['graph_store_post']}", flush=True)
        store.update(f"DROP SILENT GRAPH <{docs[0].value}>")

        sample = [(g, t) for g in docs for t in graphs[g]][:INSERT_SAMPLE]
        t0 = time.perf_counter()
        for i in range(0, len(sample), INSERT_BATCH):
            body = defaultdict(list)
            for g, t in sample[i:i + INSERT_BATCH]:
                body[g].append(f"{t} .")
            text = " ".join(f"GRAPH <{g.value}x> {{ {' '.join(lines)} }}" for g, lines in body.items())
            store.update(f"INSERT DATA {{ {text} }}")
        s = time.perf_counter() - t0
        out["insert_data"] = {"seconds": round(s, 2), "quads_per_s": round(len(sample) / s), "sample": len(sample),
                              "batch": INSERT_BATCH}
        print(f"  INSERT DATA: {out['insert_data']}", flush=True)

        chosen = docs[:COMMIT_SAMPLE]
        n = sum(len(graphs[g]) for g in chosen)
        t0 = time.perf_counter()
        for g in chosen:
            store.put_graph(f"{g.value}-again", graphs[g])
        s = time.perf_counter() - t0
        out["atomic_commit_per_document"] = {"seconds": round(s, 2), "quads_per_s": round(n / s),
                                             "documents": len(chosen), "ms_per_document": round(s * 1000 / len(chosen))}
        print(f"  one commit per document: {out['atomic_commit_per_document']}", flush=True)
    return out


def projections(articles: int, quads: int, embedded_mb: float, virtuoso_bytes_per_quad: float,
                rates: dict, build: dict) -> dict:
    per_article = quads / articles
    out = {"quads_per_article": round(per_article, 1),
           "bytes_per_quad_embedded": round(embedded_mb * 1e6 / quads, 1),
           "bytes_per_quad_virtuoso": virtuoso_bytes_per_quad}
    store_s = build["virtuoso"]["seconds_by_stage"]["store"] / build["virtuoso"]["docs"]
    for n in (100_000, 10_000_000, 100_000_000):
        q = per_article * n
        out[f"{n:,} articles"] = {
            "quads": f"{q:.3g}",
            "virtuoso_disk_gb": round(q * virtuoso_bytes_per_quad / 1e9, 1),
            "embedded_disk_gb": round(q * embedded_mb * 1e6 / quads / 1e9, 1),
            "bulk_loader_hours": round(q / rates["bulk_loader"]["quads_per_s"] / 3600, 2),
            "graph_store_post_hours": round(q / rates["graph_store_post"]["quads_per_s"] / 3600, 2),
            "kg_build_store_stage_hours": round(n * store_s / 3600, 1),
        }
    return out


def main(quick: bool = False, n: int | None = None) -> dict:
    from kg.store.testing import LocalVirtuoso, virtuoso_missing

    why = virtuoso_missing()
    if why:
        return {"skipped": why}
    from .corpus import article

    n = n or (N_QUICK if quick else N_FULL)
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-virtuoso-"))
    old_state = os.environ.get("KG_STATE_DIR")
    os.environ["KG_STATE_DIR"] = str(tmp / "notes")
    base = "http://127.0.0.1:5000/"
    result: dict = {"articles": n}
    try:
        corpus = tmp / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as f:
            for i in range(n):
                f.write(json.dumps(article(i).as_json(), ensure_ascii=False) + "\n")
        with LocalVirtuoso(tmp / "virtuoso", buffers=BUFFERS) as server:
            result["build"] = build_both(corpus, tmp, server, base)
            result["equality"] = eq = equality(tmp, server, base)
            print(f"  equality: {json.dumps(eq)}", flush=True)
            result["queries"] = query_latency(tmp, server, base)
        result["load_rates"] = rates = load_rates(tmp, tmp / "embedded.nq", base)
        result["projections"] = projections(n, eq["quads_embedded"], _folder_mb(tmp / "embedded"),
                                            rates["bytes_per_quad_virtuoso"], rates, result["build"])
    finally:
        if old_state is None:
            os.environ.pop("KG_STATE_DIR", None)
        else:
            os.environ["KG_STATE_DIR"] = old_state
        shutil.rmtree(tmp, ignore_errors=True)
    b = result["build"]
    result["summary"] = {
        "articles": n,
        "extraction s (once, 2 processes)": b["extract_s"],
        "embedded build s (by stage)": f"{b['embedded']['seconds_total']} {b['embedded']['seconds_by_stage']}",
        "virtuoso build s (by stage)": f"{b['virtuoso']['seconds_total']} {b['virtuoso']['seconds_by_stage']}",
        "quads (embedded / virtuoso)": f"{b['embedded']['quads']} / {b['virtuoso']['quads']}",
        "same dataset (canonical N-Quads)": result["equality"]["equal"],
        "README queries with the same rows": sum(bool(r.get("same_rows")) for r in result["queries"].values()),
        "README query ms (embedded / virtuoso)": {k: f"{r.get('embedded_ms')} / {r.get('virtuoso_ms')}"
                                                  for k, r in result["queries"].items()},
        "Virtuoso load quads/s": {k: v["quads_per_s"] for k, v in rates.items() if isinstance(v, dict)},
    }
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int, default=None)
    a = p.parse_args()
    print(json.dumps(main(quick=a.quick, n=a.n), indent=2, default=str))
