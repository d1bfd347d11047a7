"""The HTML pages in headless Chromium (Debian's /usr/bin/chromium): the query page runs a query and shows a
table, entity pages show facts with sources and a neighbourhood picture, document pages highlight mentions.
Each page is also screenshotted and the PNG is checked (size, not blank) with a tiny zlib PNG decoder."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import SAMPLE_TEXT, build_sample_store

from server import create_app
from server.testing import LiveServer, http_request

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
WIDTH, HEIGHT = 1280, 900


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    store_path = build_sample_store(tmp_path_factory.mktemp("pages"))
    app = create_app(str(store_path), config={"KG_TIMEOUT": 10, "KG_WORKERS": 2})
    with LiveServer(app) as s:
        yield s
    app.extensions["kg_store"].close()


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
           f"--window-size={WIDTH},{HEIGHT}", *args, url]
    return subprocess.run(cmd, capture_output=True, timeout=60, check=False)


def dump_dom(tmp_path: Path, url: str) -> str:
    res = chromium(tmp_path, url, "--virtual-time-budget=5000", "--dump-dom")
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return res.stdout.decode()


def screenshot(tmp_path: Path, url: str, name: str) -> Path:
    png = tmp_path / f"{name}.png"
    res = chromium(tmp_path, url, "--virtual-time-budget=5000", f"--screenshot={png}")
    assert png.exists(), res.stderr.decode()[-2000:]
    return png


def decode_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and raw (unfiltered) rows of an 8-bit RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour = header[:4]
    assert depth == 8 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i:i + 3]) for r in rows[::4] for i in range(0, len(r), bpp * 4)]


def assert_not_blank(png: Path) -> int:
    width, height, pixels = decode_png(png)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = set(pixels)
    assert len(colours) > 20, f"{png.name}: only {len(colours)} colours"
    # not dominated by a single colour: some content beyond the background
    background = max(colours, key=pixels.count)
    assert pixels.count(background) / len(pixels) < 0.97
    return len(colours)


def test_query_page_runs_example_and_shows_table(srv, tmp_path):
    html = http_request(srv.url + "/")[2].decode()
    assert "documents" in html and "entities" in html and "Capture" in html
    for title in ("Who captured what", "Who backs whom", "Claims that were denied", "Everything about"):
        assert title in html
    query = "SELECT ?who ?place WHERE { ?e a ck:Capture ; ck:agent ?a ; ck:capturedPlace ?p . " \
            "?a rdfs:label ?who . ?p rdfs:label ?place }"
    dom = dump_dom(tmp_path, f"{srv.url}/sparql?query={quote(query)}")
    assert 'id="results-table"' in dom
    table = dom[dom.index('id="results-table"'):]
    assert "?who" in table and "Rebels" in table and "Kafr Nabl" in table
    assert '<span class="tok-kw">SELECT</span>' in dom and '<span class="tok-var">?who</span>' in dom
    assert "1 result" in dom
    png = screenshot(tmp_path, f"{srv.url}/?query={quote(query)}", "index")
    assert_not_blank(png)


def test_query_page_shows_errors(srv, tmp_path):
    dom = dump_dom(tmp_path, f"{srv.url}/?query={quote('SELECT * WHERE { ?s ?p ')}")
    assert re.search(r'id="status"[^>]*class="error"|class="error"[^>]*id="status"', dom)
    assert "Error 400" in dom


def test_entity_page(srv, tmp_path):
    url = f"{srv.url}/entity/rebels"
    dom = dump_dom(tmp_path, url)
    assert "<h1>Rebels</h1>" in dom
    assert "ck:ArmedGroup" in dom
    assert "the rebels" in dom  # alias
    assert "Kafr Nabl" in dom and "Turkey" in dom  # relations both ways
    assert "Capture" in dom and "2024-12-02" in dom  # event with date
    assert "Rebels captured the town of Kafr Nabl" in dom  # source sentence
    assert "/doc/" in dom  # source document link
    assert "denied by" in dom and "state media" in dom
    assert "<svg" in dom and 'class="node center"' in dom
    png = screenshot(tmp_path, url, "entity")
    assert_not_blank(png)


def test_document_page_highlights_mentions(srv, tmp_path):
    key = srv.app.extensions["kg_store"].document_keys()[0]
    url = f"{srv.url}/doc/{key}"
    dom = dump_dom(tmp_path, url)
    text = dom[dom.index('id="doc-text"'):]
    text = text[:text.index("</div>")]
    assert re.search(r'<a class="mention entity" href="/entity/kafr-nabl"[^>]*>Kafr Nabl</a>', text)
    assert re.search(r'class="mention event"[^>]*>captured<', text)
    assert re.sub(r"<[^>]+>", "", text.split(">", 1)[1]).replace("&amp;", "&") == SAMPLE_TEXT
    png = screenshot(tmp_path, url, "doc")
    assert_not_blank(png)


def test_entity_page_links_out_to_geonames(srv, tmp_path):
    dom = dump_dom(tmp_path, f"{srv.url}/entity/turkey")
    assert re.search(r'<a href="https://sws.geonames.org/298795/" rel="external">GeoNames 298795</a>', dom)
