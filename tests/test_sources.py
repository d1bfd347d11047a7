"""Reading inputs: each kind of input, and each kind of bad input named in the ingest issue."""

from __future__ import annotations

import io
import json
import sys
import types

import pytest

from kg.errors import InputError
from kg.records import Document
from kg.sources import MAX_BYTES, count_documents, iter_paths, read_documents

ARTICLE = "Rebels captured the town of Kafr Nabl on Monday, the group said."

HTML_ARTICLE = """<!DOCTYPE html><html><head>
<title>Rebels capture Kafr Nabl | Example News</title>
<meta property="og:title" content="Rebels capture Kafr Nabl">
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-12-02T10:00:00Z">
<link rel="canonical" href="https://news.example.org/2024/12/kafr-nabl">
</head><body><nav>Home | World | Sport</nav>
<article><h1>Rebels capture Kafr Nabl</h1>
<p>Rebels captured the town of Kafr Nabl in Idlib province on Monday, the group said in a statement
published on its channels, a claim that state media denied later in the evening.</p>
<p>Turkey backs the rebels, who have advanced quickly through the countryside of Idlib and Hama in the past
week, according to a war monitor based in the United Kingdom that tracks the fighting closely.</p>
<p>Government forces withdrew from several villages south of the town, residents told reporters by phone.</p>
</article><footer>Copyright Example News</footer></body></html>"""

HTML_NO_ARTICLE = """<html><head><title>Login</title></head><body>
<form><input name="user"><input type="password" name="pw"><button>Sign in</button></form></body></html>"""


def read_all(*paths):
    return list(read_documents([str(p) for p in paths]))


def docs_and_errors(items):
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, InputError)]


# ------------------------------------------------------------------------------------ good inputs
def test_txt_file(tmp_path):
    p = tmp_path / "a1.txt"
    p.write_text(ARTICLE + "\r\n", encoding="utf-8")
    [doc] = read_all(p)
    assert doc.id == "a1" and doc.path == str(p) and doc.text == ARTICLE + "\n"


def test_utf8_bom_is_dropped(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeff".encode() + ARTICLE.encode())
    [doc] = read_all(p)
    assert doc.text == ARTICLE


def test_folder_is_recursive_sorted_and_skips_hidden_and_unknown(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text(ARTICLE + " z")
    (tmp_path / "a.txt").write_text(ARTICLE + " a")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04junk")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("hidden")
    (tmp_path / ".hidden.txt").write_text("hidden")
    docs, errors = docs_and_errors(read_all(tmp_path))
    assert not errors
    assert [d.id for d in docs] == ["a", "z"]


def test_html_article_text_and_metadata(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML_ARTICLE)
    [doc] = read_all(p)
    assert isinstance(doc, Document), doc
    assert "Kafr Nabl" in doc.text and "Sign in" not in doc.text and "Copyright" not in doc.text
    assert doc.title == "Rebels capture Kafr Nabl"
    assert doc.date == "2024-12-02"
    assert doc.url == "https://news.example.org/2024/12/kafr-nabl"
    assert doc.source == "Example News"
    assert doc.author == "Jane Reporter"


def test_jsonl_with_metadata_and_default_ids(tmp_path):
    p = tmp_path / "feed.jsonl"
    rows = [{"id": "x1", "text": ARTICLE, "title": "T", "date": "2024-12-02", "url": "https://e.org/1",
             "source": "E"}, {"text": ARTICLE + " Two."}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    d1, d2 = read_all(p)
    assert (d1.id, d1.title, d1.date, d1.url, d1.source, d1.line) == ("x1", "T", "2024-12-02", "https://e.org/1",
                                                                     "E", 1)
    assert (d2.id, d2.url, d2.line, d2.path) == ("feed-2", None, 2, str(p))


def test_stdin_text(monkeypatch):
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(ARTICLE.encode())))
    [doc] = read_all("-")
    assert doc.id == "stdin" and doc.text == ARTICLE and doc.path == "<stdin>"


def test_stdin_jsonl(monkeypatch):
    data = "\n".join(json.dumps({"id": f"s{i}", "text": f"{ARTICLE} {i}"}) for i in range(3))
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(data.encode())))
    docs = read_all("-")
    assert [d.id for d in docs] == ["s0", "s1", "s2"]
    assert count_documents(["-"]) is None


def test_count_documents_matches_reader(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE)
    (tmp_path / "f.jsonl").write_text("\n".join(json.dumps({"text": f"{ARTICLE} {i}"}) for i in range(5)) + "\n")
    (tmp_path / "bad.txt").write_bytes(b"")
    items = read_all(tmp_path, tmp_path / "missing.txt")
    assert count_documents([tmp_path, tmp_path / "missing.txt"]) == len(items) == 8


# ------------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("name,content,message", [
    ("binary.txt", b"\x00\x01\x02\x03" * 100, "binary file"),
    ("report.pdf", b"%PDF-1.7\n\xe2\xe3\xcf\xd3 rest", "PDF file"),
    ("latin1.txt", "Les rebelles ont pris la ville de Kafr Nabl à l'aube.".encode("latin-1"), "not UTF-8"),
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\n \t\n", "empty"),
    ("login.html", HTML_NO_ARTICLE.encode(), "no article text"),
    ("empty.jsonl", b"\n\n", "empty"),
])
def test_bad_file_is_one_error_naming_it_and_the_rest_are_read(tmp_path, name, content, message):
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE)
    bad = tmp_path / name
    bad.write_bytes(content)
    docs, errors = docs_and_errors(read_all(bad, good))
    assert [d.id for d in docs] == ["good"]
    [err] = errors
    assert err.where == str(bad) and str(err).startswith(str(bad) + ": ")
    assert message in str(err)
    assert "\n" not in str(err)


def test_file_over_the_limit(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # sparse: 50 MB on paper, instant to make
        f.truncate(50 * 1024 * 1024)
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE)
    docs, errors = docs_and_errors(read_all(big, good))
    assert [d.id for d in docs] == ["good"]
    [err] = errors
    assert err.where == str(big) and "52 MB" in str(err) and "limit" in str(err)
    assert 50 * 1024 * 1024 > MAX_BYTES


def test_jsonl_bad_lines_name_the_line_and_others_are_read(tmp_path):
    p = tmp_path / "feed.jsonl"
    lines = [json.dumps({"text": ARTICLE}).encode(), b'{"text": "unterminated', b'["not", "an", "object"]',
             b'{"title": "no text"}', b'{"text": "caf\xe9"}', json.dumps({"id": "ok5", "text": ARTICLE + "!"}).encode()]
    p.write_bytes(b"\n".join(lines) + b"\n")
    docs, errors = docs_and_errors(read_all(p))
    assert [d.line for d in docs] == [1, 6]
    assert [e.where for e in errors] == [f"{p}:2", f"{p}:3", f"{p}:4", f"{p}:5"]
    assert "malformed JSON" in str(errors[0]) and '"text"' in str(errors[1]) and "not UTF-8" in str(errors[3])


def test_missing_path():
    items = list(iter_paths(["/no/such/thing.txt"]))
    assert len(items) == 1 and isinstance(items[0], InputError) and "no such file" in str(items[0])


def test_unreadable_file_is_an_error_not_a_crash(tmp_path, monkeypatch):
    p = tmp_path / "locked.txt"
    p.write_text(ARTICLE)

    def deny(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(p), "read_bytes", deny)
    [err] = read_all(p)
    assert isinstance(err, InputError) and err.where == str(p) and "Permission denied" in str(err)
