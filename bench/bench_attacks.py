"""Attack benchmark: a real ``kg serve`` on loopback under the attacks of the hardening issue.

Counts, per category, the attempts made and how many *held* (refused cleanly, nothing reached the listener,
the server kept answering), and measures the latency of a cheap ``ASK`` from another client address while
the slow-client, long-query, one-client flood and memory attacks run — the worst case and p50, as a ratio to
the same ASK on the idle server measured in this run. Every loop is bounded in count and time; all traffic
stays on 127.0.0.0/8.

Before the server starts, ``worker_replacement`` measures what a killed query worker costs the next query: an
ASK sent right after a query was stopped at its time limit (its worker killed and replaced), idle and while
two long queries keep both cores busy, against the same ASK on a warm worker.

    python -m bench --only attacks [--quick]
"""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

from kg.build import catch_up_inferences
from kg.store import Store

from .synthetic import fill_store

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-attacks"
CHEAP = "ASK { ?s ?p ?o }"
LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CROSS_SORT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1"
FULL = {"triples": 20_000, "phase_s": 10.0, "slow_clients": 150, "long_clients": 20, "flood": 30, "memory": 4}
QUICK = {"triples": 5_000, "phase_s": 5.0, "slow_clients": 150, "long_clients": 20, "flood": 30, "memory": 3}


# ------------------------------------------------------------------------------------------ helpers
class Listener:
    """Counts connections to a loopback port (where a disguised SERVICE or LOAD would go)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def request(port: int, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
            source: str = "127.0.0.1", timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except OSError as e:
        return 0, str(e).encode()
    finally:
        conn.close()


def q(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def update(port: int, text: str) -> tuple[int, bytes]:
    return request(port, "POST", "/sparql", text, {"Content-Type": "application/sparql-update",
                                                    "Authorization": f"Bearer {TOKEN}"})


def alive(port: int) -> bool:
    return request(port, "GET", q(CHEAP), source="127.0.0.200", timeout=30)[0] == 200


class Prober:
    """A cheap ASK from its own address, in a loop, while an attack runs: latencies and failures."""

    def __init__(self, port: int, source: str = "127.0.0.99"):
        self.port, self.source = port, source
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            status, body = request(self.port, "GET", q(CHEAP), source=self.source, timeout=30)
            if status == 200:
                self.latencies.append(time.perf_counter() - t0)
            else:
                self.failures.append(f"{status} after {time.perf_counter() - t0:.1f} s: {body[:80].decode()}")
            self._stop.wait(0.2)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=40)

    def summary(self) -> dict:
        s = sorted(self.latencies)
        return {"probes": len(s) + len(self.failures), "failed": len(self.failures), "failures": self.failures[:3],
                "p50_ms": round(statistics.median(s) * 1000, 1) if s else None,
                "worst_ms": round(s[-1] * 1000, 1) if s else None}


def in_threads(n: int, target: Callable[[int], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads


# ------------------------------------------------------------------------------------------ categories
def ssrf(port: int, listener: Listener) -> dict:
    u = listener.url
    queries = [f"SELECT * WHERE {{ ?s ?p \"x\"@en.SERVICE <{u}/> {{ ?a ?b ?c }} }}",
               f"PREFIX ex: <http://e/> SELECT * WHERE {{ OPTIONAL {{ ?x ?y ex:a\\' }} SERVICE <{u}/> {{?a ?b ?c}} }}",
               f"SELECT * WHERE {{ SERVICE <{u}/sparql> {{ ?s ?p ?o }} }}",
               f"select * {{ service silent <{u}/> {{ ?s ?p ?o }} }}",
               f"SELECT * WHERE {{ \\u0053ERVICE <{u}/> {{ ?s ?p ?o }} }}",
               f"SELECT * WHERE {{ BIND(<{u}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
               f"SELECT * WHERE {{ ?s ?p ?o }} #\n SERVICE <{u}/> {{ }}",
               f"SELECT * FROM <{u}/a.ttl> WHERE {{ ?s ?p ?o }}",
               f"SELECT * FROM NAMED <{u}/b.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"]
    updates = [f"LOAD <{u}/data.ttl>", f"LOAD SILENT <{u}/data.ttl> INTO GRAPH <http://g>",
               f"INSERT DATA {{ <http://a> <http://b> 1 }} ; LOAD <{u}/x.ttl>",
               f"\\u004cOAD <{u}/x.ttl>", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{u}/> {{ ?s ?p ?o }} }}"]
    before = listener.connections
    statuses = [request(port, "GET", q(x))[0] for x in queries] + [update(port, x)[0] for x in updates]
    # the OS layer alone: the pool called directly, no parse check in front
    from server.executor import QueryPool, QueryTask

    direct = []
    pool = QueryPool(STORE, size=1, timeout=10)
    try:
        with socket.socket() as closed:  # a port nothing listens on (any more)
            closed.bind(("127.0.0.1", 0))
            closed_port = closed.getsockname()[1]
        for target in (u, f"http://127.0.0.1:{closed_port}"):
            try:
                pool.run(QueryTask(query=f"SELECT * {{ SERVICE <{target}/> {{ ?s ?p ?o }} }}", result_format="json"))
                direct.append("answered")
            except Exception as e:  # noqa: BLE001 - recorded
                direct.append(f"{type(e).__name__}: {e}")
    finally:
        pool.close()
    time.sleep(0.3)
    reached = listener.connections - before
    held = sum(1 for s in statuses if s in (200, 400)) + sum(1 for d in direct if d.startswith("Forbidden"))
    return {"attempts": len(statuses) + len(direct), "held": held if reached == 0 else 0,
            "listener_connections": reached, "direct_errors_identical": len(set(direct)) == 1, "direct": direct,
            "statuses": statuses}


def files(port: int) -> dict:
    attempts = ["SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
                "BASE <file:///etc/> SELECT * { <passwd> ?p ?o }",
                "PREFIX f: <FILE:///etc/> SELECT * { f:passwd ?p ?o }",
                "SELECT * { <\\u0066ile:///etc/passwd> ?p ?o }"]
    statuses = [request(port, "GET", q(x))[0] for x in attempts]
    statuses.append(update(port, "LOAD <file:///etc/hostname> INTO GRAPH <http://g>")[0])
    return {"attempts": len(statuses), "held": sum(1 for s in statuses if s == 400), "statuses": statuses}


def nesting(port: int) -> dict:
    deep = "{" * 50_000 + "}" * 50_000
    direct = {"Content-Type": "application/sparql-query"}
    statuses = [request(port, "POST", "/sparql", f"SELECT * WHERE {deep}", direct)[0],
                request(port, "POST", "/sparql", "SELECT * WHERE { FILTER(" + "(" * 50_000 + "1" + ")" * 50_000 + ") }",
                        direct)[0],
                update(port, f"INSERT {{ <http://a> <http://b> 1 }} WHERE {deep}")[0]]
    ok = alive(port)
    return {"attempts": len(statuses), "held": sum(1 for s in statuses if s == 400) if ok else 0, "statuses": statuses}


def uploads(port: int) -> dict:
    laughs = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
              '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
              '<rdf:Description rdf:about="http://e/x"><e:p>&d;</e:p></rdf:Description></rdf:RDF>')
    ns = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
    depth = 20_000
    nested = (f'<rdf:RDF {ns}>' + '<rdf:Description><ex:p rdf:parseType="Resource">' * depth
              + '</ex:p></rdf:Description>' * depth + '</rdf:RDF>')
    remote = json.dumps({"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://e/x", "name": "x"})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    path = f"/store?graph={quote('http://example.org/upload')}"
    results = []
    for body, media in ((laughs, "application/rdf+xml"), (nested, "application/rdf+xml"),
                        (remote, "application/ld+json")):
        t0 = time.perf_counter()
        status, _ = request(port, "PUT", path, body, {**auth, "Content-Type": media})
        results.append((status, round(time.perf_counter() - t0, 2)))
    ok = alive(port)
    return {"attempts": len(results), "held": sum(1 for s, _ in results if s in (400, 503)) if ok else 0,
            "status_seconds": results}


def headers_and_xss(port: int) -> dict:
    t0 = time.perf_counter()
    status, _ = request(port, "GET", q(CHEAP), headers={"Accept": "text/csv, " * 25_000})
    header_ms = round((time.perf_counter() - t0) * 1000, 1)
    evil = "javascript:alert(document.domain)"
    update(port, f"INSERT DATA {{ GRAPH <http://example.org/x> {{ <http://127.0.0.1:5000/entity/e1> "
                 f"<http://schema.org/url> <{evil}> }} }}")
    page_status, page = request(port, "GET", "/entity/e1", headers={"Accept": "text/html"})
    head_status, head_body = request(port, "HEAD", "/sparql?query=ASK%7B%7D")
    held = [status == 431, page_status in (200, 404) and b'href="javascript:' not in page,
            head_status == 200 and head_body == b""]
    return {"attempts": len(held), "held": sum(held), "big_accept_status": status, "big_accept_ms": header_ms}


def slow_clients(port: int, cfg: dict) -> dict:
    socks: list[socket.socket] = []
    with Prober(port) as probe:
        for i in range(cfg["slow_clients"]):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(f"127.0.0.{2 + i % 10}", 0))
                s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
                socks.append(s)
            except OSError:
                pass
        end = time.monotonic() + cfg["phase_s"]
        while time.monotonic() < end:
            for s in socks:
                try:
                    s.sendall(b"X-Drip: 1\r\n")
                except OSError:
                    pass
            time.sleep(2)
    cut = 0
    for s in socks:
        s.settimeout(0.01)
        try:
            cut += s.recv(1) == b""
        except OSError:
            pass
        s.close()
    out = probe.summary()
    return {"attempts": len(socks), "held": len(socks) if out["failed"] == 0 else 0,
            "cut_off_by_deadline": cut, "ask_under_attack": out}


def long_queries(port: int, cfg: dict) -> dict:
    statuses: list[int] = []
    with Prober(port) as probe:
        end = time.monotonic() + cfg["phase_s"]

        def client(i: int) -> None:
            while time.monotonic() < end:
                statuses.append(request(port, "GET", q(LONG), source=f"127.0.1.{10 + i}")[0])

        for t in in_threads(cfg["long_clients"], client):
            t.join(timeout=cfg["phase_s"] + 40)
    out = probe.summary()
    return {"attempts": len(statuses), "held": len(statuses) if out["failed"] == 0 and alive(port) else 0,
            "statuses": sorted(set(statuses)), "ask_under_attack": out}


def one_client_flood(port: int, cfg: dict) -> dict:
    statuses: list[int] = []
    with Prober(port) as probe:
        end = time.monotonic() + cfg["phase_s"]

        def client(_: int) -> None:
            while time.monotonic() < end:
                statuses.append(request(port, "GET", q(LONG), source="127.0.2.1")[0])

        for t in in_threads(cfg["flood"], client):
            t.join(timeout=cfg["phase_s"] + 40)
    out = probe.summary()
    return {"attempts": len(statuses), "held": len(statuses) if out["failed"] == 0 else 0,
            "statuses": sorted(set(statuses)), "ask_under_attack": out}


def memory(port: int, cfg: dict) -> dict:
    replies: list[tuple[int, bytes]] = []
    with Prober(port) as probe:
        def client(i: int) -> None:
            replies.append(request(port, "GET", q(CROSS_SORT), source=f"127.0.3.{i + 1}"))

        for t in in_threads(cfg["memory"], client):
            t.join(timeout=60)
    out = probe.summary()
    clean = sum(1 for s, b in replies if s == 503 and (b"memory" in b or b"time limit" in b or b"busy" in b))
    return {"attempts": len(replies), "held": clean if out["failed"] == 0 and alive(port) else 0,
            "memory_503": sum(1 for s, b in replies if s == 503 and b"memory" in b), "ask_under_attack": out}


def worker_replacement(rounds: int) -> dict:
    """An ASK right after a query stopped at its time limit, in a one-worker pool: the ASK waits for the
    replacement worker (and its opening of the store). Idle, and with two long queries running in another
    pool."""
    from server.executor import QueryPool, QueryTask

    ask = QueryTask(query=CHEAP, result_format="json")

    def after_kills(pool: QueryPool) -> list[float]:
        out = []
        for _ in range(rounds):
            try:
                pool.run(QueryTask(query=LONG, result_format="json"), timeout=0.05)
            except Exception:  # noqa: BLE001 - stopped at the limit: that is the point
                pass
            t0 = time.perf_counter()
            pool.run(ask)
            out.append(time.perf_counter() - t0)
        return out

    def ms(values: list[float]) -> dict:
        return {"p50_ms": round(statistics.median(values) * 1000, 1), "worst_ms": round(max(values) * 1000, 1)}

    pool = QueryPool(STORE, size=1, max_workers=1, timeout=30)
    load = QueryPool(STORE, size=2, timeout=30)
    stop = threading.Event()

    def busy(_: int) -> None:
        while not stop.is_set():
            try:
                load.run(QueryTask(query=LONG, result_format="json"), timeout=3)
            except Exception:  # noqa: BLE001 - stopped at the limit
                pass

    try:
        pool.run(ask)
        warm = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            pool.run(ask)
            warm.append(time.perf_counter() - t0)
        idle = after_kills(pool)
        threads = in_threads(2, busy)
        time.sleep(1.0)
        loaded = after_kills(pool)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        stop.set()
        pool.close()
        load.close()
    return {"warm_ask": ms(warm), "ask_after_kill_idle": ms(idle), "ask_after_kill_two_long_queries": ms(loaded),
            "after_kill_ratio_to_warm_p50": round(statistics.median(idle) / statistics.median(warm), 1)}


# ------------------------------------------------------------------------------------------ main
STORE = ""


def main(quick: bool = False) -> dict:
    global STORE
    cfg = QUICK if quick else FULL
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-attacks-"))
    STORE = str(tmp / "store")
    with Store(STORE) as store:
        fill_store(store, cfg["triples"])
        catch_up_inferences(store)
    replacement = worker_replacement(10)
    print(f"  worker replacement: {replacement}", flush=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", STORE, "--port", str(port),
                             "--timeout", "5", "--update-token", TOKEN, "--max-query-memory", "400M"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listener = Listener()
    try:
        deadline = time.monotonic() + 60
        while not alive(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("kg serve did not start")
            time.sleep(0.3)
        with Prober(port) as idle:
            time.sleep(3)
        reference = idle.summary()
        # SSRF first: the pool it starts reads the store, which the server holds read-write (snapshots)
        results = {"ssrf": ssrf_snapshot(port, listener), "files": files(port), "nesting": nesting(port),
                   "uploads": uploads(port), "headers_xss_head": headers_and_xss(port),
                   "slow_clients": slow_clients(port, cfg), "long_queries": long_queries(port, cfg),
                   "one_client_flood": one_client_flood(port, cfg), "memory": memory(port, cfg)}
        worst = {k: v["ask_under_attack"]["worst_ms"] for k, v in results.items() if "ask_under_attack" in v}
        ref = reference["worst_ms"] or 1
        summary = {"attempts": sum(v["attempts"] for v in results.values()),
                   "held": sum(v["held"] for v in results.values()),
                   "idle_ask_p50_ms": reference["p50_ms"], "idle_ask_worst_ms": reference["worst_ms"],
                   "worst_ask_ms_under": worst,
                   "worst_ask_ratio_to_idle_worst": {k: round(v / ref, 1) for k, v in worst.items() if v}}
        for name, r in results.items():
            print(f"  {name}: {r['held']}/{r['attempts']} held", flush=True)
        return {"summary": summary, "reference": reference, "worker_replacement": replacement,
                "categories": results}
    finally:
        listener.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def ssrf_snapshot(port: int, listener: Listener) -> dict:
    """:func:`ssrf`, with the direct pool reading a copy of the server's current snapshot (the server holds
    the store itself read-write)."""
    global STORE
    copy = Path(STORE).parent / "direct-copy"
    snapshots = sorted(Path(STORE).parent.glob(f".{Path(STORE).name}-snapshots-*/gen-*"))
    shutil.copytree(snapshots[-1], copy)
    original, STORE = STORE, str(copy)
    try:
        return ssrf(port, listener)
    finally:
        STORE = original


if __name__ == "__main__":
    print(json.dumps(main(quick="--quick" in sys.argv), indent=2))
