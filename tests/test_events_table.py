"""Events of our own sentences — relation families and PLOVER events: the event table (`kg export --format
events`, /dataset?format=events) column by column, from the embedded store and over SPARQL; and the index and
entity pages filtering events by PLOVER type, over real HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from html.parser import HTMLParser

import pytest
from conftest import SAMPLE_TEXT, FakeExtractor

from kg.build import build
from kg.cli import main as cli_main
from kg.events_table import COLUMNS, EventFilter, event_rows
from kg.nlp import Extractor
from kg.store import Store
from server import create_app
from server.testing import LiveServer, http_request

TEXT = ("On 3 March 2025, the Syrian army recaptured the town of Khanaser, the Syrian Observatory for Human Rights "
        "said. Turkey threatened the Syrian Democratic Forces on 5 March 2025. Hezbollah said it killed two Israeli "
        "soldiers in Lebanon, a claim denied by Israel. Iran backs Hezbollah. The Syrian Democratic Forces said in a "
        "statement that they had seized nine villages in Raqqa province, something denied by Syrian state media.")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("events")
    (d / "story.txt").write_text(TEXT, encoding="utf-8")
    with Store(d / "store") as s:
        build([d / "story.txt"], s, Extractor())
    return d / "store"


@pytest.fixture(scope="module")
def rows(store_dir):
    with Store(store_dir, read_only=True) as s:
        return event_rows(s)


def by_trigger(rows, trigger: str) -> dict:
    found = [r for r in rows if r["trigger_text"] == trigger]
    assert len(found) == 1, [(r["trigger_text"], r["label"]) for r in rows]
    return found[0]


def sentence_span(sentence: str) -> tuple[int, int]:
    start = TEXT.index(sentence)
    return start, start + len(sentence)


def test_relation_family_event_columns(rows):
    r = by_trigger(rows, "recaptured")
    assert (r["event_date"], r["date_precision"], r["date_text"]) == ("2025-03-03", "day", "3 March 2025")
    assert (r["event_type"], r["event_mode"], r["contexts"], r["cameo_code"], r["event_class"]) == \
        ("FIGHT", "occupy", "military", "192", "Recapture")
    assert (r["actor_name"], r["actor_country"]) == ("Syrian Army", "Syria")
    assert r["actor_iri"].endswith("/entity/syrian-army")
    assert r["recipient_name"] == "Khanaser"
    # the captured place is where a capture happened when no other place is named
    assert (r["placename"], r["place_iri"]) == ("Khanaser", r["recipient_iri"])
    assert r["modality"] == "asserted" and r["story_id"] == "story"
    assert (r["sentence_start"], r["sentence_end"]) == sentence_span(
        "On 3 March 2025, the Syrian army recaptured the town of Khanaser, the Syrian Observatory for Human "
        "Rights said.")
    assert (r["trigger_start"], r["trigger_end"]) == (TEXT.index("recaptured"), TEXT.index("recaptured") + 10)
    assert isinstance(r["confidence"], float) and 0 < r["confidence"] <= 1


def test_plover_event_columns(rows):
    r = by_trigger(rows, "threatened")
    assert (r["event_type"], r["event_class"], r["event_mode"], r["cameo_code"]) == \
        ("THREATEN", "Threaten", "violence", "138")
    assert (r["event_date"], r["date_precision"]) == ("2025-03-05", "day")
    assert (r["actor_name"], r["actor_wikidata_id"], r["actor_country"]) == ("Turkey", "Q43", "Turkey")
    assert r["recipient_name"] == "Syrian Democratic Forces"
    assert r["sentence"] == "Turkey threatened the Syrian Democratic Forces on 5 March 2025."
    assert r["placename"] is None and r["claimed_by"] is None


def test_place_and_attributions(rows):
    r = by_trigger(rows, "killed")
    assert (r["event_type"], r["event_class"]) == ("ASSAULT", "Killing")
    assert (r["actor_name"], r["actor_wikidata_id"]) == ("Hezbollah", "Q41053")
    assert (r["claimed_by"], r["denied_by"], r["confirmed_by"]) == ("Hezbollah", "Israel", None)
    assert (r["placename"], r["country"]) == ("Lebanon", "Lebanon")
    assert r["geonames_id"] == 272103 and r["event_date"] is None and r["date_precision"] is None


def test_counted_capture_claimed_and_denied(rows):
    r = by_trigger(rows, "seized")
    assert (r["event_type"], r["event_class"], r["actor_name"]) == ("FIGHT", "Capture", "Syrian Democratic Forces")
    assert (r["quantity"], r["quantity_qualifier"], r["recipient_description"]) == (9, None, "villages")
    assert (r["claimed_by"], r["denied_by"]) == ("Syrian Democratic Forces", "Syrian state media")
    assert r["placename"].startswith("Raqqa") and r["place_iri"] != r["recipient_iri"]
    killed = by_trigger(rows, "killed")  # "killed two Israeli soldiers"
    assert (killed["quantity"], killed["recipient_description"]) == (2, "Israeli soldiers")
    assert by_trigger(rows, "threatened")["quantity"] is None


def test_support_and_row_set(rows):
    r = by_trigger(rows, "backs")
    assert (r["event_type"], r["actor_name"], r["recipient_name"], r["recipient_wikidata_id"]) == \
        ("SUPPORT", "Iran", "Hezbollah", "Q41053")
    assert len(rows) == 5 and len({r["event_id"] for r in rows}) == 5
    assert all(set(r) == set(COLUMNS) for r in rows)
    # dated events first, in date order
    assert [r["trigger_text"] for r in rows[:2]] == ["recaptured", "threatened"]


def test_filters(rows, store_dir):
    with Store(store_dir, read_only=True) as s:
        assert [r["trigger_text"] for r in event_rows(s, EventFilter(type="threaten"))] == ["threatened"]
        assert [r["trigger_text"] for r in event_rows(s, EventFilter(type="Killing"))] == ["killed"]
        assert sorted(r["trigger_text"] for r in event_rows(s, EventFilter(actor="hezbollah"))) == ["backs", "killed"]
        assert [r["trigger_text"] for r in event_rows(s, EventFilter(type="FIGHT", actor="Syrian Democratic Forces"))
                ] == ["seized"]
        assert [r["trigger_text"] for r in event_rows(s, EventFilter(start="2025-03-04"))] == ["threatened"]
        assert [r["trigger_text"] for r in event_rows(s, EventFilter(start="2025-03", end="2025-03-03"))] == \
            ["recaptured"]


def test_cli_export_csv(store_dir, tmp_path, rows):
    out = tmp_path / "events.csv"
    assert cli_main(["export", "--format", "events", "--store", str(store_dir), "-o", str(out)]) == 0
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(table[0]) == COLUMNS
    assert [t["event_id"] for t in table] == [r["event_id"] for r in rows]
    killed = next(t for t in table if t["trigger_text"] == "killed")
    assert killed["denied_by"] == "Israel" and killed["event_date"] == "" and killed["sentence"].startswith("Hezbollah")


@pytest.fixture(scope="module")
def srv(store_dir):
    app = create_app(str(store_dir), config={"KG_TIMEOUT": 20, "KG_WORKERS": 1})
    with LiveServer(app) as s:
        yield s
    app.extensions["kg_store"].close()


def test_dataset_download_and_remote_store(srv, rows):
    """The same table from /dataset over HTTP, and from the endpoint read as a remote store (SPARQL only)."""
    status, headers, body = http_request(srv.url + "/dataset?format=events")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert [t["event_id"] for t in table] == [r["event_id"] for r in rows]
    status, _, page = http_request(srv.url + "/dataset", headers={"Accept": "text/html"})
    assert status == 200 and "/dataset?format=events" in Page(page).hrefs()
    with Store(srv.url + "/sparql", read_only=True) as remote:
        assert event_rows(remote) == rows


# ------------------------------------------------------------------------------------------ filter by type on pages
class Page(HTMLParser):
    """Links (href → text) and the event labels a page shows (links inside rows of class "event" or "fact")."""

    def __init__(self, body: bytes):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.rows: list[list[str]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self.feed(body.decode("utf-8"))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("class") in ("event", "fact"):
            self.rows.append([])
        elif tag == "a":
            self._href, self._text = a.get("href"), []
        elif tag == "tr":
            self.rows.append(None)

    def handle_data(self, data):
        self._text.append(data)
        if self.rows and self.rows[-1] is not None:
            self.rows[-1].append(data.strip())

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None

    def hrefs(self) -> list[str]:
        return [h for h, _ in self.links]

    def events(self) -> list[str]:
        return [" ".join(t for t in row if t) for row in self.rows if row is not None]


def test_index_links_each_type_with_its_count_and_filters(srv, rows):
    status, _, body = http_request(srv.url + "/", headers={"Accept": "text/html"})
    assert status == 200
    links = dict(Page(body).links)
    counts = {}
    for r in rows:
        counts[r["event_type"]] = counts.get(r["event_type"], 0) + 1
    for code, n in counts.items():
        assert links[f"/?type={code}"] == f"{code} {n}"
    status, _, body = http_request(srv.url + "/?type=THREATEN", headers={"Accept": "text/html"})
    shown = Page(body).events()
    assert status == 200 and len(shown) == 1 and "Turkey threatened Syrian Democratic Forces" in shown[0]
    status, _, body = http_request(srv.url + "/?type=assault", headers={"Accept": "text/html"})
    assert [e for e in Page(body).events() if "Hezbollah eliminated" in e] and len(Page(body).events()) == 1
    assert http_request(srv.url + "/?type=NOPE", headers={"Accept": "text/html"})[0] == 400


def test_entity_page_filters_its_events_by_type(srv):
    status, _, body = http_request(srv.url + "/entity/hezbollah", headers={"Accept": "text/html"})
    page = Page(body)
    assert status == 200 and len(page.events()) == 2
    links = dict(page.links)
    assert links["/entity/hezbollah?type=ASSAULT"] == "ASSAULT 1"
    assert links["/entity/hezbollah?type=SUPPORT"] == "SUPPORT 1"
    status, _, body = http_request(srv.url + "/entity/hezbollah?type=SUPPORT", headers={"Accept": "text/html"})
    shown = Page(body).events()
    assert status == 200 and len(shown) == 1 and "Iran backs Hezbollah" in shown[0]


@pytest.mark.slow
def test_a_remote_store_gives_the_same_table(tmp_path, virtuoso, monkeypatch, capsys):
    """Virtuoso as the store: the same rows as the embedded store, and only this knowledge graph's events."""
    monkeypatch.setenv("KG_STATE_DIR", str(tmp_path / "notes"))
    base = f"http://kg-test-{uuid.uuid4().hex[:8]}.example/"
    (tmp_path / "sample.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    for location in (str(tmp_path / "local"), virtuoso.store_url):
        with Store(location, base_iri=base) as s:
            build([tmp_path / "sample.txt"], s, FakeExtractor())
    with Store(virtuoso.store_url, base_iri=f"http://kg-test-{uuid.uuid4().hex[:8]}.example/") as other:
        build([tmp_path / "sample.txt"], other, FakeExtractor())  # another knowledge graph on the same server
    with Store(tmp_path / "local", read_only=True, base_iri=base) as local, \
            Store(virtuoso.store_url, read_only=True, base_iri=base) as remote:
        expected = event_rows(local)
        assert len(expected) == 2 and event_rows(remote, base=base) == expected
    capsys.readouterr()
    outputs = []
    for location in (str(tmp_path / "local"), virtuoso.store_url):
        assert cli_main(["export", "-f", "events", "--store", location, "--base-iri", base]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 3
