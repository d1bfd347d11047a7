"""Which store a ``--store`` value (or ``KG_STORE``) names, as a picklable :class:`StoreSpec`.

- An ``http://`` or ``https://`` URL is a remote SPARQL endpoint (:mod:`kg.store.sparql`)::

      http[s]://[USER:PASSWORD@]HOST[:PORT]/PATH[?QUERY][#OPTIONS]

  The URL without its user-info and fragment is the SPARQL 1.1 Query endpoint. Credentials come from the
  user-info, else from ``KG_STORE_USER`` / ``KG_STORE_PASSWORD``; a Bearer token from ``KG_STORE_TOKEN``.
  ``OPTIONS`` (``key=value`` pairs joined by ``&``; a fragment is never sent to the server) are:

  ``update=URL``       the SPARQL 1.1 Update endpoint (default: the query endpoint itself)
  ``graph-store=URL``  the Graph Store HTTP Protocol endpoint, or ``none`` (default: Virtuoso's
                       ``/sparql-graph-crud[-auth]`` next to a ``/sparql[-auth]`` path, else none: writes
                       then use SPARQL Update alone)
  ``timeout=S``        seconds allowed per request (default 60)
  ``page=N``           rows per read request (default 10000: a stock Virtuoso returns at most that many)
  ``batch=N``          triples per write request in bulk writes (default 20000)
  ``retries=N``        attempts after a transient failure of an idempotent request (default 4)

  Option URLs may be relative to the endpoint (``update=/sparql-auth``). ``KG_STORE_UPDATE`` and
  ``KG_STORE_GRAPH_STORE`` set the first two when the URL does not.
- Any other ``scheme://…`` value is refused: it is never taken for a folder name.
- Anything else is the folder of an embedded Oxigraph store (:mod:`kg.store.oxigraph`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit, urlunsplit

from ..errors import StoreError

if TYPE_CHECKING:
    from .base import Store

__all__ = ["DEFAULT_STORE", "RemoteOptions", "StoreSpec", "looks_like_url", "parse_location", "redacted"]

DEFAULT_STORE = "kg-data"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_VIRTUOSO_GSP = {"/sparql": "/sparql-graph-crud", "/sparql-auth": "/sparql-graph-crud-auth"}


def looks_like_url(value: str) -> bool:
    """``scheme://…``: a URL, never a folder name."""
    return bool(_URL.match(value))


@dataclass(frozen=True)
class RemoteOptions:
    """How to talk to a remote SPARQL store (see the module docstring for the ``--store`` syntax)."""

    query_url: str
    update_url: str
    graph_store_url: str | None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    page_size: int = 10_000
    batch_size: int = 20_000
    retries: int = 4


@dataclass(frozen=True)
class StoreSpec:
    """Everything needed to open a store again, in this or another process (it pickles).

    ``kind`` is ``"oxigraph"`` (``location`` is a folder) or ``"sparql"`` (``remote`` says how to reach
    it). ``snapshot``: an immutable copy of an embedded store (a read view), opened without the lock."""

    kind: str
    location: str
    read_only: bool = False
    base_iri: str | None = None
    remote: RemoteOptions | None = None
    snapshot: bool = False

    def open(self) -> Store:
        from .base import Store

        return Store(self)  # type: ignore[abstract]  # Store() opens the backend the spec names

    def __str__(self) -> str:
        return self.location


def parse_location(value: str | os.PathLike[str], *, read_only: bool = False, base_iri: str | None = None,
                   environ: dict[str, str] | None = None) -> StoreSpec:
    """The store a ``--store`` value names. Raises :class:`StoreError` for an unusable value."""
    if not isinstance(value, str):
        return StoreSpec("oxigraph", str(Path(value)), read_only, base_iri)
    if not looks_like_url(value):
        return StoreSpec("oxigraph", value, read_only, base_iri)
    env = os.environ if environ is None else environ
    remote = _remote_options(value, env)
    return StoreSpec("sparql", remote.query_url, read_only, base_iri, remote)


def _remote_options(value: str, env: Any) -> RemoteOptions:
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as e:
        raise StoreError(f"--store {redacted(value)}: not a valid URL ({e})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise StoreError(f"--store {redacted(value)}: only http:// and https:// SPARQL endpoints are supported "
                         "(a folder name has no '://')")
    if not parts.hostname:
        raise StoreError(f"--store {redacted(value)}: the URL has no host")
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    query_url = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
    opts = dict(parse_qsl(parts.fragment, keep_blank_values=True))
    known = {"update", "graph-store", "timeout", "page", "batch", "retries"}
    unknown = sorted(set(opts) - known)
    if unknown:
        raise StoreError(f"--store {redacted(value)}: unknown option {unknown[0]!r} after '#' "
                         f"(known: {', '.join(sorted(known))})")

    def url_option(name: str, env_name: str, default: str | None) -> str | None:
        raw = opts.get(name, env.get(env_name) or None)
        if raw is None:
            return default
        if raw.lower() == "none":
            return None
        resolved = urljoin(query_url, raw)
        if urlsplit(resolved).scheme not in ("http", "https"):
            raise StoreError(f"--store {redacted(value)}: option {name}={raw} is not an http(s) URL")
        return resolved

    def number(name: str, default: float, kind: type = int, minimum: float = 1) -> Any:
        raw = opts.get(name)
        if raw is None:
            return default
        try:
            n = kind(raw)
        except ValueError:
            n = None
        if n is None or n < minimum:
            raise StoreError(f"--store {redacted(value)}: option {name}={raw} must be a number ≥ {minimum}")
        return n

    path = parts.path.rstrip("/")
    gsp_default = urljoin(query_url, _VIRTUOSO_GSP[path]) if path in _VIRTUOSO_GSP else None
    user = unquote(parts.username) if parts.username else env.get("KG_STORE_USER") or None
    password = unquote(parts.password) if parts.password is not None else env.get("KG_STORE_PASSWORD")
    return RemoteOptions(
        query_url=query_url,
        update_url=url_option("update", "KG_STORE_UPDATE", query_url) or query_url,
        graph_store_url=url_option("graph-store", "KG_STORE_GRAPH_STORE", gsp_default),
        user=user, password=password if user else None, token=env.get("KG_STORE_TOKEN") or None,
        timeout=number("timeout", 60.0, float, 0.001), page_size=number("page", 10_000),
        batch_size=number("batch", 20_000), retries=number("retries", 4, int, 0))


def redacted(value: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = urlsplit(value)
        if parts.password is None:
            return value
        netloc = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, f"{quote(unquote(parts.username or ''))}:***@{netloc}", parts.path,
                           parts.query, parts.fragment))
    except ValueError:
        return "<the URL>"
