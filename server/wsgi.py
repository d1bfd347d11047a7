"""The HTTP server: waitress, hardened against slow and greedy clients.

waitress alone stops accepting connections at ``connection_limit`` (100) and has no deadline for reading a
request: about a hundred connections that each send one header line every few seconds lock every other client
out for as long as they go on. Here:

- a request's headers must arrive within ``header_timeout`` seconds of its first byte and its body within
  ``body_timeout`` (checked every second): a dripping client is disconnected;
- one client address holds at most ``client_connections`` connections at once (more are closed at accept);
- the connection limit is raised to ``connection_limit`` (the open-files limit is raised to fit) and
  waitress polls with ``poll()`` rather than ``select()`` (no 1024-descriptor ceiling);
- request headers are capped at ``max_header_bytes`` in all (the app caps each header too);
- idle keep-alive connections close after ``idle_timeout`` seconds.

Behind a reverse proxy, name it with ``trusted_proxy`` so that the client address (for these caps and the query
pool's fairness) comes from ``X-Forwarded-For``; the README has the recommended setup.
"""

from __future__ import annotations

import logging
import resource
import time

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

__all__ = ["make_server", "ServerLimits"]

_log = logging.getLogger(__name__)


class ServerLimits:
    """The knobs, with the defaults ``kg serve`` uses."""

    def __init__(self, *, threads: int = 32, header_timeout: float = 10.0, body_timeout: float = 60.0,
                 client_connections: int = 32, connection_limit: int = 1000, max_header_bytes: int = 64 * 1024,
                 idle_timeout: int = 30, trusted_proxy: str | None = None):
        self.threads = threads
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.client_connections = client_connections
        self.connection_limit = connection_limit
        self.max_header_bytes = max_header_bytes
        self.idle_timeout = idle_timeout
        self.trusted_proxy = trusted_proxy


class _Channel(HTTPChannel):  # type: ignore[misc]  # waitress has no type hints
    """Remembers when the request being read began, for the read deadlines."""

    request_started = 0.0

    def received(self, data: bytes) -> int:
        if self.request is None and data:
            self.request_started = time.time()
        return int(super().received(data))


class _Server(TcpWSGIServer):  # type: ignore[misc]  # waitress has no type hints
    channel_class = _Channel
    limits: ServerLimits

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
            if pair is None:
                return
            conn, addr = pair
            self.set_socket_options(conn)
        except OSError:
            return
        addr = self.fix_addr(addr)
        cap = self.limits.client_connections
        if cap and sum(1 for c in list(self._map.values())
                       if isinstance(c, _Channel) and c.addr and c.addr[0] == addr[0]) >= cap:
            conn.close()  # this address already holds its share of connections
            return
        self.channel_class(self, conn, addr, self.adj, map=self._map)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        for channel in list(self._map.values()):
            request = getattr(channel, "request", None)
            if not isinstance(channel, _Channel) or request is None or request.completed:
                continue
            limit = self.limits.body_timeout if request.headers_finished else self.limits.header_timeout
            if now - channel.request_started > limit:
                channel.will_close = True  # too slow: closed by the loop on its next turn


def _raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError) as e:
            _log.warning("cannot raise the open-files limit to %d: %s", target, e)


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 5000, limits: ServerLimits | None = None,
                ident: str = "conflict-kg") -> _Server:
    """A waitress server for ``app`` on ``host:port`` (0: a free port), not yet running (call ``.run()``)."""
    limits = limits or ServerLimits()
    _raise_open_files(limits.connection_limit + 256)
    extra = {}
    if limits.trusted_proxy:
        extra = {"trusted_proxy": limits.trusted_proxy, "trusted_proxy_headers": {"x-forwarded-for"},
                 "clear_untrusted_proxy_headers": True}
    server = _Server(app, host=host, port=port, threads=limits.threads, ident=ident,
                     connection_limit=limits.connection_limit, asyncore_use_poll=True, cleanup_interval=1,
                     channel_timeout=limits.idle_timeout, max_request_header_size=limits.max_header_bytes, **extra)
    server.limits = limits
    return server
