"""Query-mix benchmark: the queries researchers write, on `kg serve` and on Virtuoso, same data, same machine.

1. N generated articles (:mod:`bench.corpus`; 1000, quick 100) built into the embedded store with the real
   extractor (`kg build`), exported as N-Quads.
2. A Virtuoso on loopback (:class:`kg.store.testing.LocalVirtuoso`, Debian's ``virtuoso-opensource-7``)
   bulk-loads that file (``ld_dir`` + ``rdf_loader_run``); skipped with the reason where it is not installed.
3. The mix (:data:`MIX`: label joins with DISTINCT, an aggregate over types, OPTIONAL + FILTER, actor
   co-occurrence, a property path, cheap look-ups and the README's examples), sent over HTTP as SPARQL
   Protocol GETs (JSON results) to `kg serve` (its waitress server and query workers, in this process) and to
   Virtuoso's ``/sparql``: the median of ``runs`` runs after a warm-up (the warm-up alone past 2 s), rows
   compared, and the geometric mean of the per-query ratios ours ÷ Virtuoso (below 1: we are faster).

    python -m bench.bench_querymix [--quick] [--n N]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

N_FULL, N_QUICK = 1000, 100
BUFFERS = 100_000  # 800 MB of Virtuoso page cache
TIMEOUT_S = 60

# {actor}, {place}, {country}, {label}: IRIs and a label picked from the data (the busiest ones), the same
# for both stores
MIX = {
    "who captured what (DISTINCT, 2 label joins)": """SELECT DISTINCT ?who ?place ?date WHERE {
  ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p ; ck:date ?date FILTER(STR(?date) >= "2023")
  ?a rdfs:label ?who . ?p rdfs:label ?place }""",
    "events by type (GROUP BY)": """SELECT ?type (COUNT(?e) AS ?n) WHERE { ?e ck:modality ?m ; a ?type }
GROUP BY ?type ORDER BY DESC(?n)""",
    "undated attacks (OPTIONAL + FILTER)": """SELECT ?e ?who ?doc WHERE {
  ?e a ck:Attack ; ck:agent ?a ; ck:source ?doc . ?a rdfs:label ?who
  OPTIONAL { ?e ck:date ?d } FILTER(!BOUND(?d)) }""",
    "actor co-occurrence": """SELECT DISTINCT ?other WHERE {
  ?ev ck:agent {actor} ; ck:source ?doc . ?ev2 ck:source ?doc ; ck:agent ?other FILTER(?other != {actor}) }""",
    "places in a country (ck:locatedIn+)": """SELECT DISTINCT ?place WHERE {
  ?p ck:locatedIn+ {country} . ?p rdfs:label ?place }""",
    "entity look-up": "SELECT ?p ?o WHERE { {actor} ?p ?o }",
    "label look-up": "SELECT ?e ?type WHERE { ?e rdfs:label {label} ; a ?type }",
    "README: captured (date, sentence)": """SELECT ?who ?place ?date ?sentence WHERE {
  ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p ; ck:sentence ?sentence .
  ?a rdfs:label ?who . ?p rdfs:label ?place
  OPTIONAL { ?e ck:date ?date } }""",
    "README: backs": "SELECT ?backer ?backed WHERE { ?x ck:backs ?y . ?x rdfs:label ?backer . ?y rdfs:label ?backed }",
    "README: places inside a country": """SELECT ?place ?country WHERE {
  ?p ck:locatedIn ?c . ?c a ck:Country ; rdfs:label ?country . ?p rdfs:label ?place }""",
}

_PICK = {
    "actor": "SELECT ?x (COUNT(*) AS ?n) WHERE { ?e ck:agent ?x } GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1",
    "country": "SELECT ?x (COUNT(*) AS ?n) WHERE { ?p ck:locatedIn ?x . ?x a ck:Country } "
               "GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1",
}


def build(corpus: Path, store_path: Path, base: str) -> dict:
    from kg.build import build as kg_build
    from kg.nlp import Extractor
    from kg.store import Store

    t0 = time.perf_counter()
    with Store(store_path, base_iri=base) as store:
        report = kg_build([corpus], store, Extractor(), workers=2)
        quads = len(store)
    return {"docs": len(report.ingested), "seconds": round(time.perf_counter() - t0, 1),
            "seconds_by_stage": {k: round(v, 1) for k, v in report.seconds.items()}, "quads": quads,
            "triples_inferred": report.triples_inferred}


def export_nquads(store_path: Path, out: Path, base: str) -> float:
    from kg.export import export
    from kg.store import Store

    t0 = time.perf_counter()
    with Store(store_path, read_only=True, base_iri=base) as store, open(out, "wb") as f:
        export(store, "nquads", f)
    return round(time.perf_counter() - t0, 1)


def bulk_load(v, nquads: Path) -> dict:
    shutil.copy(nquads, v.folder / "data.nq")
    t0 = time.perf_counter()
    v.bulk_load("data.nq")
    return {"seconds": round(time.perf_counter() - t0, 1)}


class Endpoint:
    """One keep-alive HTTP client for a SPARQL endpoint: GET, JSON results."""

    def __init__(self, url: str):
        self.url = url
        self.client = httpx.Client(timeout=TIMEOUT_S)

    def rows(self, query: str) -> list[dict]:
        r = self.client.get(self.url, params={"query": query},
                            headers={"Accept": "application/sparql-results+json"})
        if r.status_code != 200:
            raise RuntimeError(f"{self.url}: {r.status_code} {r.text[:200]}")
        return r.json()["results"]["bindings"]

    def close(self) -> None:
        self.client.close()


def timed(endpoint: Endpoint, query: str, runs: int) -> tuple[float, int]:
    """(median seconds of ``runs`` runs after a warm-up, or the warm-up alone past 2 s; rows)."""
    t0 = time.perf_counter()
    n = len(endpoint.rows(query))
    first = time.perf_counter() - t0
    if first > 2:
        return first, n
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        n = len(endpoint.rows(query))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), n


def picks(endpoint: Endpoint, prologue: str) -> dict[str, str]:
    """The IRIs and label the mix names, chosen from the data."""
    out = {}
    for name, q in _PICK.items():
        out[name] = f"<{endpoint.rows(prologue + q)[0]['x']['value']}>"
    label = endpoint.rows(prologue + f"SELECT ?l WHERE {{ {out['actor']} rdfs:label ?l }} ORDER BY ?l LIMIT 1")
    out["label"] = json.dumps(label[0]["l"]["value"])
    return out


def run_mix(ours: Endpoint, theirs: Endpoint, runs: int) -> dict:
    from kg.namespaces import sparql_prologue

    prologue = sparql_prologue()
    chosen = picks(ours, prologue)
    table: dict = {}
    ratios = []
    for name, template in MIX.items():
        query = prologue + template.replace("{actor}", chosen["actor"]).replace(
            "{country}", chosen["country"]).replace("{label}", chosen["label"])
        row: dict = {}
        for side, endpoint in (("ours", ours), ("virtuoso", theirs)):
            try:
                seconds, n = timed(endpoint, query, runs)
                row[f"{side}_ms"], row[f"{side}_rows"] = round(seconds * 1000, 1), n
            except (httpx.HTTPError, RuntimeError) as e:
                row[f"{side}_error"] = str(e)[:200]
        if "ours_ms" in row and "virtuoso_ms" in row:
            row["same_rows"] = row["ours_rows"] == row["virtuoso_rows"]
            row["ratio"] = round(max(row["ours_ms"], 0.1) / max(row["virtuoso_ms"], 0.1), 3)
            ratios.append(row["ratio"])
        table[name] = row
        print(f"  {name}: {row}", flush=True)
    return {"picked": chosen, "queries": table,
            "geometric_mean_ours_over_virtuoso": round(math.exp(statistics.fmean(map(math.log, ratios))), 3)
            if ratios else None,
            "all_rows_agree": all(r.get("same_rows") for r in table.values()),
            "slowest_ratio": max(ratios) if ratios else None}


def main(quick: bool = False, n: int | None = None, runs: int = 5) -> dict:
    from kg.store.testing import LocalVirtuoso, virtuoso_missing

    why = virtuoso_missing()
    if why:
        return {"skipped": why}
    from server import create_app
    from server.testing import LiveServer

    from .corpus import article

    n = n or (N_QUICK if quick else N_FULL)
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-querymix-"))
    base = "http://127.0.0.1:5000/"
    result: dict = {"articles": n}
    try:
        corpus = tmp / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as f:
            for i in range(n):
                f.write(json.dumps(article(i).as_json(), ensure_ascii=False) + "\n")
        result["build"] = build(corpus, tmp / "store", base)
        print(f"  build: {result['build']}", flush=True)
        result["export_s"] = export_nquads(tmp / "store", tmp / "data.nq", base)
        with LocalVirtuoso(tmp / "virtuoso", buffers=BUFFERS) as v:
            result["virtuoso_load"] = bulk_load(v, tmp / "data.nq")
            app = create_app(str(tmp / "store"), base_iri=base,
                             config={"KG_TIMEOUT": TIMEOUT_S, "KG_UPDATE_TOKEN": None})
            with LiveServer(app, threads=4) as srv:
                ours, theirs = Endpoint(f"{srv.url}/sparql"), Endpoint(f"{v.url}/sparql")
                try:
                    result["mix"] = run_mix(ours, theirs, runs)
                finally:
                    ours.close()
                    theirs.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mix = result["mix"]
    result["summary"] = {
        "articles": n, "quads": result["build"]["quads"],
        "geometric mean ours / Virtuoso": mix["geometric_mean_ours_over_virtuoso"],
        "slowest ratio": mix["slowest_ratio"], "rows agree": mix["all_rows_agree"],
        "ms (ours / Virtuoso)": {k: f"{r.get('ours_ms')} / {r.get('virtuoso_ms')}" for k, r in mix["queries"].items()},
    }
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int, default=None)
    a = p.parse_args()
    print(json.dumps(main(quick=a.quick, n=a.n), indent=2, default=str))
