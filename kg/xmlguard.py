"""Refuse XML document type declarations before RDF/XML is parsed.

pyoxigraph's RDF/XML parser expands internal entities: a 971-byte file with nine levels of nested entities
("billion laughs") makes it allocate until the kernel kills the process. RDF/XML never needs a DTD, so any
``<!DOCTYPE`` or ``<!ENTITY`` declaration is refused. The check is a real XML parse (expat) that stops at
the document type declaration or at the first element, whichever comes first: it costs a few bytes of
reading, whatever the file's size.
"""

from __future__ import annotations

import os
import xml.parsers.expat
from typing import BinaryIO

from .errors import InputError

__all__ = ["refuse_dtd", "refuse_dtd_file"]

_CHUNK = 64 * 1024


class _Stop(Exception):
    pass


def _scan(chunks, where: str) -> None:
    parser = xml.parsers.expat.ParserCreate()
    found: list[str] = []

    def declaration(kind: str):
        def handler(*_args) -> None:
            found.append(kind)
            raise _Stop
        return handler

    def element(*_args) -> None:
        raise _Stop  # the root element: no declaration can come after it

    parser.StartDoctypeDeclHandler = declaration("DOCTYPE")
    parser.EntityDeclHandler = declaration("ENTITY")
    parser.StartElementHandler = element
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop:
        pass
    except xml.parsers.expat.ExpatError:
        pass  # not well-formed: the RDF/XML parser reports that with its own message
    if found:
        raise InputError(where, f"refused: RDF/XML with a {found[0]} declaration (entity expansion is not "
                                "allowed; RDF/XML needs no DTD)")


def refuse_dtd(data: bytes | BinaryIO, where: str) -> None:
    """Raise :class:`InputError` naming ``where`` when ``data`` (bytes or a binary stream, read from its
    current position) declares a DOCTYPE or an entity."""
    if isinstance(data, bytes | bytearray | memoryview):
        _scan([bytes(data)], where)
    else:
        _scan(iter(lambda: data.read(_CHUNK), b""), where)


def refuse_dtd_file(path: str | os.PathLike[str]) -> None:
    with open(path, "rb") as f:
        refuse_dtd(f, str(path))
