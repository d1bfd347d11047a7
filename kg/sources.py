"""Read input paths into :class:`~kg.records.Document` records.

Accepts files (.txt, .html/.htm, .jsonl), folders (recursively) and ``-`` (stdin: plain text,
or JSONL when every line is a JSON object). Problems with one input never stop the others:
:func:`read_documents` yields an :class:`~kg.errors.InputError` naming the file (and line) in
place of the document, and the caller decides how to report it.

Limits: one article (a text or HTML file, one JSONL line, stdin text) may be at most
:data:`MAX_BYTES`; a JSONL file is streamed line by line, so a corpus file can be any size.

Metadata is checked here, so the build never sees a bad value: a document whose ``url`` is not an absolute
http(s) IRI (a JSONL ``"url"``, an HTML page's canonical link), whose ``date`` is not an ISO 8601 date
(``2024``, ``2024-12``, ``2024-12-03``, optionally with a time), or whose ``id``, ``title``, ``source``,
``publisher`` or ``author`` is not a string (an ``id`` may be a number) is refused with one error naming the
file, line and field; the other documents are read.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError
from .records import Document
from .store.terms import NamedNode

__all__ = ["SUFFIXES", "MAX_BYTES", "read_documents", "iter_paths", "count_documents"]

SUFFIXES = {".txt": "text", ".text": "text", ".md": "text", ".html": "html", ".htm": "html",
            ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_BYTES = 20 * 1024 * 1024  # one article is never this big; larger inputs are a mistake

# Leading bytes of common binary formats, so the error says what the file is.
_MAGIC = {b"%PDF": "PDF", b"PK\x03\x04": "ZIP/Office", b"\x1f\x8b": "gzip", b"\x89PNG": "PNG",
          b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"\x7fELF": "executable", b"BZh": "bzip2",
          b"\xfd7zXZ": "xz", b"SQLite format 3": "SQLite"}


def iter_paths(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Input files in order: named files as given, folders expanded recursively (sorted, known suffixes,
    hidden files and folders skipped), ``-`` for stdin."""
    for raw in paths:
        p = Path(raw)
        if str(raw) == "-":
            yield p
        elif p.is_dir():
            yield from _walk(p)
        elif p.is_file():
            yield p
        elif p.exists():
            yield InputError(str(raw), "not a regular file or folder")
        else:
            yield InputError(str(raw), "no such file or folder")


def _walk(folder: Path) -> Iterator[Path | InputError]:
    """Files with a known suffix beneath ``folder``, sorted, hidden ones skipped; a subfolder that cannot be
    read is an error (never silently skipped)."""
    found: list[tuple[str, Path | InputError]] = []

    def unreadable(e: OSError) -> None:
        where = e.filename or str(folder)
        found.append((str(where), InputError(str(where), f"cannot read folder: {e.strerror or e}")))

    for top, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            child = Path(top) / name
            if not name.startswith(".") and child.suffix.lower() in SUFFIXES and child.is_file():
                found.append((str(child), child))
    for _, item in sorted(found, key=lambda f: f[0]):
        yield item


def count_documents(paths: Iterable[str | Path]) -> int | None:
    """How many documents :func:`read_documents` will yield (errors included), or None when unknown (stdin).

    Cheap: one stat per file, and a byte count of line breaks for JSONL files.
    """
    total = 0
    for p in iter_paths(paths):
        if isinstance(p, InputError):
            total += 1
        elif str(p) == "-":
            return None
        elif SUFFIXES.get(p.suffix.lower()) == "jsonl":
            try:
                with p.open("rb") as f:
                    total += sum(1 for line in f if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


def read_documents(paths: Iterable[str | Path]) -> Iterator[Document | InputError]:
    for p in iter_paths(paths):
        if isinstance(p, InputError):
            yield p
            continue
        try:
            yield from _read_one(p)
        except InputError as e:
            yield e
        except OSError as e:  # permission denied, vanished mid-run, I/O error
            yield InputError(str(p), f"cannot read: {e.strerror or e}")


def _read_one(path: Path) -> Iterator[Document | InputError]:
    if str(path) == "-":
        yield from _read_stdin()
        return
    kind = SUFFIXES.get(path.suffix.lower(), "text")
    if kind == "jsonl":
        with path.open("rb") as f:
            yield from _read_jsonl(f, str(path))
        return
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(str(path), f"file is {size / 1e6:.0f} MB, over the {MAX_BYTES // 1_000_000} MB "
                                    "limit for one article (split it, or use .jsonl with one article a line)")
    data = path.read_bytes()
    if kind == "html":
        yield _html_document(data, path)
    else:
        yield _text_document(_decode(data, str(path)), str(path), path.stem)


def _read_stdin() -> Iterator[Document | InputError]:
    name = "<stdin>"
    stream = sys.stdin.buffer
    first = stream.peek(1)[:1] if hasattr(stream, "peek") else b""
    data = stream.read(MAX_BYTES + 1) if first != b"{" else b""
    if first == b"{":
        yield from _read_jsonl(stream, name)
        return
    lines = [ln for ln in data.splitlines() if ln.strip()]
    if lines and all(ln.lstrip().startswith(b"{") for ln in lines):
        import io
        yield from _read_jsonl(io.BytesIO(data), name)
        return
    if len(data) > MAX_BYTES:
        raise InputError(name, f"input is over the {MAX_BYTES // 1_000_000} MB limit for one article "
                               "(send JSONL, one article a line)")
    yield _text_document(_decode(data, name), name, "stdin")


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    if b"\x00" in data[:8192]:
        return "binary"
    return None


def _decode(data: bytes, where: str) -> str:
    kind = _binary_kind(data)
    if kind:
        raise InputError(where, f"{kind} file, not text" if kind != "binary" else "binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(where, f"not UTF-8 text (invalid byte 0x{data[e.start]:02x} at offset {e.start}); "
                                "convert it with iconv -t UTF-8") from None
    if not text.strip():
        raise InputError(where, "empty document" if data else "empty file")
    return text.replace("\r\n", "\n")


def _text_document(text: str, path: str, doc_id: str) -> Document:
    return Document(id=doc_id, text=text, path=path)


def _html_document(data: bytes, path: Path) -> Document:
    import trafilatura  # slow import, only when HTML is read

    kind = _binary_kind(data)
    if kind:
        raise InputError(str(path), f"{kind} file, not HTML")
    if not data.strip():
        raise InputError(str(path), "empty file")
    try:
        html: str | bytes = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        html = data  # trafilatura detects the page's declared or guessed encoding from bytes
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise InputError(str(path), "no article text found in this HTML page")
    meta = trafilatura.extract_metadata(html)
    fields = {"title": getattr(meta, "title", None), "date": getattr(meta, "date", None),
              "url": getattr(meta, "url", None), "source": getattr(meta, "sitename", None),
              "author": getattr(meta, "author", None)}
    fields = {k: v or None for k, v in fields.items()}
    problem = _field_problem(fields)
    if problem:
        raise InputError(str(path), f"the page's {problem}")
    return Document(id=path.stem, text=text, path=str(path), **fields)


def _read_jsonl(stream: BinaryIO, where: str) -> Iterator[Document | InputError]:
    """One document per line; a bad line is reported with its number and the others still read."""
    seen_any = False
    for n, raw in enumerate(stream, start=1):
        if n == 1 and _binary_kind(raw):
            yield InputError(where, "binary file, not JSONL")
            return
        if not raw.strip():
            continue
        seen_any = True
        loc = f"{where}:{n}"
        if len(raw) > MAX_BYTES:
            yield InputError(loc, f"line is over the {MAX_BYTES // 1_000_000} MB limit for one article")
            continue
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError as e:
            yield InputError(loc, f"not UTF-8 text (invalid byte 0x{raw[e.start]:02x} at column {e.start + 1})")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(loc, f"malformed JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
            yield InputError(loc, 'each line must be a JSON object with a non-empty "text" field')
            continue
        problem = _field_problem(obj)
        if problem:
            yield InputError(loc, problem)
            continue
        doc_id = str(obj.get("id") or f"{Path(where).stem}-{n}")
        yield Document(
            id=doc_id, text=obj["text"].replace("\r\n", "\n"), path=where, line=n,
            title=_opt(obj, "title"), date=_opt(obj, "date"), url=_opt(obj, "url"),
            source=_opt(obj, "source") or _opt(obj, "publisher"), author=_opt(obj, "author"),
        )
    if not seen_any:
        yield InputError(where, "empty file (no JSON lines)")


_STRING_FIELDS = ("title", "source", "publisher", "author", "url", "date")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _field_problem(obj: dict) -> str | None:
    """What is wrong with a document's metadata (``field "url": …``), or None."""
    doc_id = obj.get("id")
    if doc_id is not None and (isinstance(doc_id, bool) or not isinstance(doc_id, str | int)):
        return f'field "id": must be a string or a number, not {type(doc_id).__name__}'
    for key in _STRING_FIELDS:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            return f'field "{key}": must be a string, not {type(value).__name__}'
    url = obj.get("url")
    if url:
        problem = _url_problem(url)
        if problem:
            return f'field "url": {url!r} {problem}'
    date = obj.get("date")
    if date and not _valid_date(date):
        return f'field "date": {date!r} is not an ISO 8601 date (2024, 2024-12, 2024-12-03, 2024-12-03T10:00Z)'
    return None


def _url_problem(url: str) -> str | None:
    if not url.lower().startswith(("http://", "https://")):
        return "is not an http(s) URL"
    try:
        NamedNode(url)
    except ValueError as e:
        return f"is not a valid IRI ({e})"
    return None


def _valid_date(value: str) -> bool:
    m = _DATE.match(value)
    if not m:
        return False
    head, rest = m.group(), value[m.end():]
    try:
        if len(head) == 10:
            datetime.date.fromisoformat(head)
            if rest:
                return rest[0] in "T " and bool(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))
            return True
        if len(head) == 7 and not 1 <= int(head[5:]) <= 12:
            return False
    except ValueError:
        return False
    return not rest


def _opt(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return str(value) if value not in (None, "") else None
