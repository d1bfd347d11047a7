"""The research pages over real HTTP: who held a place on a date (the place page's control section), contested
facts, the events feed, the Content-Security-Policy with and without map tiles, and — in headless Chromium — the
map (vendored Leaflet over the bundled Natural Earth basemap, no tiles fetched) and the timeline on the index,
place and actor pages, screenshotted."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from control_corpus import CaptureExtractor, write_docs
from test_control import DOCS
from test_pages import CHROMIUM, WIDTH, chromium, decode_png

from kg.build import build
from kg.cli import make_parser
from kg.store import Store
from server import create_app
from server.research import DEFAULT_TILES, tile_origin, valid_tile_url
from server.testing import LiveServer, http_request

STATIC = Path(__file__).resolve().parent.parent / "server" / "static" / "vendor"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("map")
    docs = write_docs(tmp / "docs.jsonl", DOCS)
    with Store(tmp / "store") as store:
        build([docs], store, CaptureExtractor())
    return tmp / "store"


@pytest.fixture(scope="module")
def srv(store_path):
    app = create_app(str(store_path), config={"KG_TIMEOUT": 10, "KG_WORKERS": 2, "KG_TILES": "none"})
    with LiveServer(app) as s:
        yield s
    app.extensions["kg_store"].close()


def get(url: str) -> tuple[int, dict[str, str], str]:
    status, headers, body = http_request(url)
    return status, headers, body.decode()


# ------------------------------------------------------------------------------------------ over HTTP
def test_place_page_says_who_held_it_on_a_date(srv):
    status, _, html = get(srv.url + "/entity/aleppo?at=2024-12-01")
    assert status == 200
    held = html[html.index('id="held-on"'):html.index('class="control-intervals"')]
    assert "the sources disagree" in held
    assert "Hayat Tahrir al-Sham" in held and "Syrian Democratic Forces" in held and "Syrian Army" not in held
    assert "the monitoring group" in held  # according to whom
    later = get(srv.url + "/entity/aleppo?at=2024-12-07")[2]
    held = later[later.index('id="held-on"'):later.index('class="control-intervals"')]
    assert "Syrian Army" in held and "disputed by" in held and "Hayat Tahrir al-Sham" in held
    before = get(srv.url + "/entity/aleppo?at=2024-01-01")[2]
    assert "No capture reported in the store says who held it" in before
    bad = get(srv.url + "/entity/aleppo?at=yesterday")
    assert bad[0] == 200 and "is not a date (YYYY-MM-DD)" in bad[2]
    # the whole sequence, with statuses
    table = html[html.index('class="control-intervals"'):]
    assert table.count('class="interval"') == 3 and "denied by" in table and "confirmed by" in table
    # an actor's page has no control section
    assert 'id="control"' not in get(srv.url + "/entity/hts")[2]


def test_contested_page_lists_denials_and_conflicting_holders(srv):
    status, _, html = get(srv.url + "/contested")
    assert status == 200
    rows = re.findall(r'<tr class="contested-fact">(.*?)</tr>', html, re.S)
    assert len(rows) == 3
    assert any("denied" in r and "Syrian Army recaptured Aleppo" in r for r in rows)
    assert sum("other holder" in r for r in rows) == 2
    assert "ck:deniedBy" in html  # the documented query is shown
    index = get(srv.url + "/")[2]
    assert "Who controlled Aleppo on 1 December 2024" in index and "Contested facts" in index


def test_events_feed_gives_types_dates_and_coordinates(srv):
    status, headers, body = get(srv.url + "/events.json?entity=aleppo")
    assert status == 200 and headers["content-type"].startswith("application/json")
    events = json.loads(body)["events"]
    assert sorted((e["type"], e["date"]) for e in events) == [
        ("Capture", "2024-11-29"), ("Capture", "2024-11-29"), ("Recapture", "2024-12-05")]
    assert all(e["place"]["label"] == "Aleppo" and e["place"]["lat"] > 36 for e in events)
    everything = json.loads(get(srv.url + "/events.json")[2])["events"]
    assert len(everything) == 6
    hama = next(e for e in everything if e["place"] and e["place"]["label"] == "Hama")
    assert hama["date"] == "2024-12-03" and hama["reported"]  # dated by its report
    assert get(srv.url + "/events.json?entity=%3Cbad%3E")[0] == 404


def test_content_security_policy_admits_the_tile_host_only(srv, store_path):
    csp = get(srv.url + "/")[1]["content-security-policy"]
    assert "img-src 'self' data:;" in csp and "script-src 'self';" in csp
    app = create_app(str(store_path), config={"KG_TIMEOUT": 10, "KG_WORKERS": 1,
                                              "KG_TILES": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"})
    with LiveServer(app) as other:
        status, headers, html = get(other.url + "/entity/aleppo")
    app.extensions["kg_store"].close()
    assert status == 200
    assert "img-src 'self' data: https://*.tiles.example.org;" in headers["content-security-policy"]
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "https://{s}.tiles.example.org/{z}/{x}/{y}.png" in html


def test_tile_urls_are_checked():
    assert tile_origin(DEFAULT_TILES) == "https://tile.openstreetmap.org"
    assert tile_origin("javascript:alert(1)//{z}") is None
    assert tile_origin("https://evil.example.org; script-src *") is None
    with pytest.raises(ValueError, match="--tiles"):
        valid_tile_url("ftp://tiles.example.org/{z}/{x}/{y}.png")
    args = make_parser().parse_args(["serve", "--tiles", "none"])
    assert args.tiles == "none"
    with pytest.raises(SystemExit):
        make_parser().parse_args(["serve", "--tiles", "data:text/html,x"])


def test_vendored_libraries_keep_their_licences():
    for folder in ("leaflet", "topojson-client", "world-atlas"):
        assert (STATIC / folder / "LICENSE").stat().st_size > 100
    assert "public domain" in (STATIC / "world-atlas" / "ATTRIBUTION").read_text(encoding="utf-8")
    topo = json.loads((STATIC / "world-atlas" / "countries-110m.json").read_text(encoding="utf-8"))
    assert topo["type"] == "Topology" and len(topo["objects"]["countries"]["geometries"]) > 150


# ------------------------------------------------------------------------------------------ in Chromium
TALL = 2000
BASEMAP_FILL = bytes.fromhex("ebe6d9")
PALETTE = {bytes.fromhex(c) for c in ("b23a2b", "1f4fa0", "1f6f43", "a35a00", "7a2fa0", "0d6b6b")}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("path, markers, bars", [("/", 5, 5), ("/entity/aleppo", 3, 3), ("/entity/hts", 4, 4)])
def test_map_and_timeline_are_drawn_offline(srv, tmp_path, path, markers, bars):
    res = chromium(tmp_path, srv.url + path, "--virtual-time-budget=8000", "--dump-dom")
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    dom = res.stdout.decode()
    # Leaflet draws circle markers as SVG paths with our class; the timeline has one rect per dated event
    assert len(re.findall(r'<path[^>]*class="[^"]*kg-marker', dom)) == markers
    assert len(re.findall(r'<rect[^>]*class="kg-bar', dom)) == bars
    basemap = dom[dom.index("leaflet-basemap-pane"):]
    assert len(re.findall(r"<path", basemap[:basemap.index("leaflet-control-container")])) > 100  # countries
    assert "leaflet-tile" not in dom.replace("leaflet-tile-pane", "")  # no tile was requested
    assert "Natural Earth" in dom

    # a window tall enough for the control section, the map and the timeline (screenshots stay in tmp_path)
    png = tmp_path / f"{path.strip('/').replace('/', '-') or 'index'}.png"
    res = chromium(tmp_path, f"{srv.url}{path}", "--virtual-time-budget=8000", f"--window-size={WIDTH},{TALL}",
                   f"--screenshot={png}")
    assert png.exists(), res.stderr.decode()[-2000:]
    width, height, pixels = decode_png(png)
    assert (width, height) == (WIDTH, TALL)
    assert pixels.count(BASEMAP_FILL) > 500, "the basemap is not visible"
    assert sum(pixels.count(c) for c in PALETTE) > 20, "no timeline bar is visible"
    assert len(set(pixels)) > 20


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_filters_narrow_the_map_and_the_timeline(srv, tmp_path):
    dom = chromium(tmp_path, srv.url + "/", "--virtual-time-budget=8000", "--dump-dom").stdout.decode()
    actor = dom[dom.index('id="filter-actor"'):dom.index("</select>", dom.index('id="filter-actor"'))]
    assert "Hayat Tahrir al-Sham" in actor and "Syrian Army" in actor
    types = dom[dom.index('id="filter-type"'):dom.index("</select>", dom.index('id="filter-type"'))]
    assert ">Capture<" in types and ">Recapture<" in types
    assert "6 events · 5 on the map · 1 undated" in dom
    sdf = quote("http://127.0.0.1:5000/entity/sdf", safe="")
    for query, markers, bars in (("events_type=Recapture", 1, 1), (f"events_actor={sdf}", 1, 1),
                                 ("events_from=2024-12-01&events_to=2024-12-04", 1, 1),
                                 ("events_from=2024-11-29&events_type=Capture", 3, 3)):
        dom = chromium(tmp_path, f"{srv.url}/?{query}", "--virtual-time-budget=8000", "--dump-dom").stdout.decode()
        assert len(re.findall(r'<path[^>]*class="[^"]*kg-marker', dom)) == markers, query
        assert len(re.findall(r'<rect[^>]*class="kg-bar', dom)) == bars, query


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_kg_serve_tiles_option_draws_tiles_over_the_basemap(store_path, tmp_path):
    # tiles from a loopback port where nothing listens: the tile layer is there, nothing is fetched, and the
    # basemap still shows
    tiles = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--store", str(store_path), "--port", str(port),
                             "--tiles", tiles], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                status, headers, _ = http_request(url + "/entity/aleppo", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"kg serve did not start: {proc.stderr.read().decode() if proc.poll() is not None else ''}")
        assert status == 200 and "img-src 'self' data: http://127.0.0.1:9;" in headers["content-security-policy"]
        dom = chromium(tmp_path, url + "/entity/aleppo", "--virtual-time-budget=8000", "--dump-dom").stdout.decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()
    assert re.search(r'<img[^>]*class="leaflet-tile', dom) and "127.0.0.1:9/" in dom
    assert len(re.findall(r'<path[^>]*class="[^"]*kg-marker', dom)) == 3
    basemap = dom[dom.index("leaflet-basemap-pane"):]
    assert len(re.findall(r"<path", basemap[:basemap.index("leaflet-control-container")])) > 100
