"""Helpers to run the app on a real socket (tests, benchmarks): waitress in a thread on 127.0.0.1."""

from __future__ import annotations

import http.client
import logging
import threading
from urllib.parse import urlsplit

from flask import Flask

from .wsgi import ServerLimits, make_server

__all__ = ["LiveServer", "http_request"]


class LiveServer:
    """``with LiveServer(app) as srv: srv.url`` — the hardened waitress server of ``kg serve``
    (:func:`server.wsgi.make_server`) on a free port of 127.0.0.1, stopped on exit (the app's query workers
    too). ``host`` may be another loopback address; ``limits`` overrides the server's defaults."""

    def __init__(self, app: Flask, threads: int = 16, *, host: str = "127.0.0.1", limits: ServerLimits | None = None):
        self.app = app
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" under load tests
        limits = limits or ServerLimits(threads=threads)
        self.server = make_server(app, host=host, port=0, limits=limits, ident="conflict-kg-test")
        self.port = self.server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="waitress", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):
            # closing the listening socket from another thread can wake the loop on a dead descriptor
            if not self._closing:
                raise

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing = True
        self.server.task_dispatcher.shutdown(timeout=5)
        self.server.close()
        self._thread.join(timeout=5)
        close = self.app.extensions.get("kg_close")
        if close:
            close()


def http_request(url: str, method: str = "GET", body: bytes | str | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """One request with exactly the given headers (no Content-Type is added): (status, headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path or "/", body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()
