"""Replay of the W3C SPARQL 1.1 conformance manifests against the server on 127.0.0.1.

Manifests, vendored in tests/data/w3c-sparql11/: protocol/manifest.ttl (34 tests), service-description/manifest.ttl
(3) and graph-store-protocol/manifest-{direct,indirect}.ttl (14). The store is prepared with ``kg load FILE --graph
IRI`` for the protocol data files; the server runs with an update token, sent on every request, so the update tests
run too. Paths are mapped: ``/sparql/`` → ``/sparql`` and ``/gsp`` → ``/store`` (direct graph identification: the
graph IRI is the request URL under /store/).

Before each test the store is emptied (``DROP ALL``) and the test's ``ut:graphData`` files are PUT into the
named graphs they name: the manifests assume a fresh dataset per test (e.g. two GSP tests both expect
``201 Created`` for the same graph).

Service description tests have no HTTP description in the manifest; they are checked as their names say
(GET on the endpoint returns RDF; it has an sd:endpoint triple for the endpoint URL; the description uses the
sd: vocabulary as the schema requires: an sd:Service with sd:endpoint, sd:supportedLanguage, sd:resultFormat).

graph-store-protocol/manifest-direct.ttl defines head_non_existing_direct without listing it in mf:entries;
it is run too (14 GSP tests).

Skipped: none.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from conftest import isomorphic
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from kg.cli import main as kg_main
from server import create_app
from server.testing import LiveServer, http_request

W3C = Path(__file__).resolve().parent / "data" / "w3c-sparql11"  # vendored with its licence (ATTRIBUTION.md)

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

TOKEN = "w3c-test-token"
STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404},
          "StatusCode2xx": set(range(200, 300)), "StatusCode3xx": set(range(300, 400)),
          "StatusCode4xx": set(range(400, 500)), "StatusCode5xx": set(range(500, 600))}
RESULT_MEDIA = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
                "application/sparql-results+xml": ox.QueryResultsFormat.XML,
                "text/csv": ox.QueryResultsFormat.CSV, "text/tab-separated-values": ox.QueryResultsFormat.TSV}


def _load_manifest(path: Path) -> tuple[Graph, list[URIRef]]:
    g = Graph()
    g.parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    entries = list(Collection(g, g.value(manifest, MF.entries)))
    return g, entries


def _tests(path: Path) -> list[tuple[str, Path, URIRef]]:
    """The manifest's entries, then tests it defines but does not list (head_non_existing_direct)."""
    g, entries = _load_manifest(path)
    extra = sorted({t for t in g.subjects(RDF.type, MF.GraphStoreProtocolTest) if t not in entries})
    return [(str(e).rsplit("#", 1)[1], path, e) for e in entries + extra]


PROTOCOL = _tests(W3C / "protocol" / "manifest.ttl")
GSP = _tests(W3C / "graph-store-protocol" / "manifest-indirect.ttl") + \
    _tests(W3C / "graph-store-protocol" / "manifest-direct.ttl")
SERVICE_DESCRIPTION = _tests(W3C / "service-description" / "manifest.ttl")
_GRAPHS: dict[Path, Graph] = {}


def _graph(path: Path) -> Graph:
    if path not in _GRAPHS:
        _GRAPHS[path] = _load_manifest(path)[0]
    return _GRAPHS[path]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store_dir = tmp_path_factory.mktemp("w3c") / "store"
    for name in ("data1", "data2", "data3"):
        assert kg_main(["load", str(W3C / "protocol" / f"{name}.nt"), "--graph",
                        f"http://kasei.us/2009/09/sparql/data/{name}.rdf", "--store", str(store_dir)]) == 0
    app = create_app(str(store_dir), config={"KG_UPDATE_TOKEN": TOKEN, "KG_TIMEOUT": 20, "KG_WORKERS": 2})
    with LiveServer(app) as srv:
        yield srv
    app.extensions["kg_store"].close()


def _auth(headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "Authorization": f"Bearer {TOKEN}"}


def _reset(server, g: Graph, test: URIRef) -> None:
    status, _, body = http_request(f"{server.url}/sparql", "POST", "DROP ALL",
                                   _auth({"Content-Type": "application/sparql-update"}))
    assert status == 204, body
    for data in g.objects(test, UT.graphData):
        file = Path(str(g.value(data, UT.graph)).removeprefix("file://"))
        label = str(g.value(data, RDFS.label))
        status, _, body = http_request(f"{server.url}/store?graph={quote(label, safe='')}", "PUT",
                                       file.read_bytes(), _auth({"Content-Type": "application/n-triples"}))
        assert status in (201, 204), body


def _map_path(path: str) -> str:
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/"):]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp"):]
    return path


def _expected_statuses(g: Graph, resp) -> set[int]:
    codes: set[int] = set()
    for s in g.objects(resp, MF.expectedStatus):
        codes |= STATUS[str(s).rsplit("#", 1)[1]]
    return codes


def _check_boolean(body: bytes, ctype: str, expected: bool | None) -> None:
    media = ctype.split(";")[0].strip()
    if media in ("application/sparql-results+json", "application/json"):
        value = json.loads(body)["boolean"]
    else:
        assert media in ("application/sparql-results+xml", "application/xml"), ctype
        value = bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.XML))
    if expected is not None:
        assert value is expected


def _replay(server, g: Graph, test: URIRef) -> None:
    _reset(server, g, test)
    action = g.value(test, MF.action)
    requests = list(Collection(g, g.value(action, HT.requests)))
    template: dict[str, str] = {}
    for req in requests:
        method = str(g.value(req, HT.methodName))
        path = _map_path(str(g.value(req, HT.absolutePath)))
        headers = {}
        hl = g.value(req, HT.headers)
        if hl is not None:
            for h in Collection(g, hl):
                headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
        body = None
        b = g.value(req, HT.body)
        if b is not None:
            chars = str(g.value(b, CNT.chars))
            encoding = str(g.value(b, CNT.characterEncoding) or "UTF-8")
            for k, v in template.items():
                chars = chars.replace(k, v)
            body = chars.encode(encoding)
        for k, v in template.items():
            path = path.replace(k, v)
        status, rheaders, rbody = http_request(server.url + path, method, body, _auth(headers))
        resp = g.value(req, HT.resp)
        expected = _expected_statuses(g, resp)
        assert status in expected, f"{method} {path}: {status} {rbody[:300]!r}, expected {sorted(expected)[:3]}…"
        location = g.value(resp, MF.expectedLocation)
        if location is not None:
            assert "location" in rheaders
            template[str(location)] = rheaders["location"]
        fmt = g.value(resp, MF.expectedFormat)
        expected_bool = g.value(resp, MF.expectedBoolean)
        ctype = rheaders.get("content-type", "")
        if fmt is not None and str(fmt) == "boolean" or expected_bool is not None:
            _check_boolean(rbody, ctype, None if expected_bool is None else expected_bool.toPython())
        elif fmt is not None and str(fmt) == "tabular":
            media = ctype.split(";")[0].strip()
            assert media in RESULT_MEDIA, ctype
            list(ox.parse_query_results(rbody, format=RESULT_MEDIA[media]))
        elif fmt is not None and str(fmt) == "RDF":
            rdf = ox.RdfFormat.from_media_type(ctype.split(";")[0].strip())
            assert rdf is not None, ctype
            list(ox.parse(rbody, format=rdf))
        rh = g.value(resp, HT.headers)
        if rh is not None and method != "HEAD":
            for h in Collection(g, rh):
                name, value = str(g.value(h, HT.fieldName)).lower(), str(g.value(h, HT.fieldValue))
                if name == "content-type":
                    assert rheaders.get(name, "").replace(" ", "").lower() == value.replace(" ", "").lower()
        rb = g.value(resp, HT.body)
        if rb is not None and method != "HEAD":
            want = Graph().parse(data=str(g.value(rb, CNT.chars)), format="turtle")
            got = Graph().parse(data=rbody.decode(), format="turtle")
            assert isomorphic(want, got), rbody.decode()


@pytest.mark.parametrize("name,path,test", PROTOCOL, ids=[t[0] for t in PROTOCOL])
def test_protocol(server, name, path, test):
    _replay(server, _graph(path), test)


@pytest.mark.parametrize("name,path,test", GSP, ids=[t[0] for t in GSP])
def test_graph_store_protocol(server, name, path, test):
    _replay(server, _graph(path), test)


def _service_description(server, accept: str) -> Graph:
    status, headers, body = http_request(f"{server.url}/sparql", headers={"Accept": accept})
    assert status == 200
    media = headers["content-type"].split(";")[0]
    fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}[media]
    return Graph().parse(data=body.decode(), format=fmt)


@pytest.mark.parametrize("name,path,test", SERVICE_DESCRIPTION, ids=[t[0] for t in SERVICE_DESCRIPTION])
def test_service_description(server, name, path, test):
    endpoint = URIRef(f"{server.url}/sparql")
    for accept in ("text/turtle", "application/rdf+xml", "application/ld+json"):
        sd = _service_description(server, accept)
        if name == "returns-rdf":
            assert len(sd) > 5
        elif name == "has-endpoint-triple":
            assert (None, SD.endpoint, endpoint) in sd
        elif name == "conforms-to-schema":
            service = next(sd.subjects(RDF.type, SD.Service))
            assert sd.value(service, SD.endpoint) == endpoint
            assert SD.SPARQL11Query in set(sd.objects(service, SD.supportedLanguage))
            assert SD.SPARQL11Update in set(sd.objects(service, SD.supportedLanguage))
            assert len(set(sd.objects(service, SD.resultFormat))) >= 4
            dataset = sd.value(service, SD.defaultDataset)
            assert (dataset, RDF.type, SD.Dataset) in sd
        else:
            pytest.fail(f"unknown service description test {name}")


def test_manifests_were_found():
    assert len(PROTOCOL) == 34 and len(SERVICE_DESCRIPTION) == 3 and len(GSP) == 14
