"""Read input paths into :class:`~kg.records.Document` records.

Accepts files (.txt, .html/.htm, .jsonl), folders (recursively) and ``-`` (stdin: plain text,
or JSONL when every line is a JSON object). Problems with one input never stop the others:
:func:`read_documents` yields an :class:`~kg.errors.InputError` naming the file (and line) in
place of the document, and the caller decides how to report it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError
from .records import Document

__all__ = ["SUFFIXES", "MAX_BYTES", "read_documents", "iter_paths"]

SUFFIXES = {".txt": "text", ".text": "text", ".md": "text", ".html": "html", ".htm": "html",
            ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_BYTES = 20 * 1024 * 1024  # one article is never this big; larger inputs are a mistake


def iter_paths(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    for raw in paths:
        p = Path(raw)
        if str(raw) == "-":
            yield p
        elif p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES and not child.name.startswith("."):
                    yield child
        elif p.is_file():
            yield p
        else:
            yield InputError(str(raw), "no such file or folder")


def read_documents(paths: Iterable[str | Path]) -> Iterator[Document | InputError]:
    for p in iter_paths(paths):
        if isinstance(p, InputError):
            yield p
            continue
        try:
            yield from _read_one(p)
        except InputError as e:
            yield e


def _read_one(path: Path) -> Iterator[Document | InputError]:
    if str(path) == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
        lines = [ln for ln in data.splitlines() if ln.strip()]
        if lines and all(ln.lstrip().startswith(b"{") for ln in lines):
            yield from _read_jsonl(data, name)
        else:
            yield _text_document(_decode(data, name), name, "stdin")
        return
    kind = SUFFIXES.get(path.suffix.lower(), "text")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(str(path), f"file is {size / 1e6:.0f} MB, over the {MAX_BYTES // 1_000_000} MB limit")
    data = path.read_bytes()
    if kind == "jsonl":
        yield from _read_jsonl(data, str(path))
    elif kind == "html":
        yield _html_document(data, path)
    else:
        yield _text_document(_decode(data, str(path)), str(path), path.stem)


def _decode(data: bytes, where: str) -> str:
    if b"\x00" in data[:8192]:
        raise InputError(where, "binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(where, f"not UTF-8 text (byte {e.start})") from None
    if not text.strip():
        raise InputError(where, "empty document")
    return text.replace("\r\n", "\n")


def _text_document(text: str, path: str, doc_id: str) -> Document:
    return Document(id=doc_id, text=text, path=path)


def _html_document(data: bytes, path: Path) -> Document:
    import trafilatura  # slow import, only when HTML is read

    html = _decode(data, str(path))
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise InputError(str(path), "no article text found in this HTML page")
    meta = trafilatura.extract_metadata(html)
    return Document(
        id=path.stem, text=text, path=str(path),
        title=getattr(meta, "title", None), date=getattr(meta, "date", None),
        url=getattr(meta, "url", None), source=getattr(meta, "sitename", None),
        author=getattr(meta, "author", None),
    )


def _read_jsonl(data: bytes, where: str) -> Iterator[Document | InputError]:
    text = _decode(data, where)
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        loc = f"{where}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(loc, f"malformed JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
            yield InputError(loc, 'each line must be a JSON object with a non-empty "text" field')
            continue
        doc_id = str(obj.get("id") or f"{Path(where).stem}-{n}")
        yield Document(
            id=doc_id, text=obj["text"], path=where, line=n,
            title=_opt(obj, "title"), date=_opt(obj, "date"), url=_opt(obj, "url"),
            source=_opt(obj, "source"), author=_opt(obj, "author"),
        )


def _opt(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return str(value) if value not in (None, "") else None
