"""Exceptions raised by the public API.

KGError
 ├── InputError        an input file, line or request is unreadable or invalid (names it)
 ├── StoreError        the on-disk store cannot be opened, is locked, or a write failed
 │    └── StoreLockedError   another process holds the write lock
 ├── QueryError        a SPARQL query or update is invalid or refused
 │    ├── ForbiddenOperationError  SERVICE, LOAD, remote FROM …: would reach network or files
 │    └── QueryTimeoutError        the query ran past its time limit
 ├── ProtocolError     an HTTP request the endpoint refuses, with its status code (400, 401, 404, 406, 415 …)
 └── ModelError        the spaCy pipeline cannot be loaded

The CLI prints ``str(error)`` as one line and exits non-zero; the server turns them into responses with the
status codes of ``server.common.STATUS_OF`` (Flask error handlers registered in one place).
"""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error the tool reports to a user."""


class InputError(KGError):
    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


class StoreError(KGError):
    pass


class StoreLockedError(StoreError):
    pass


class QueryError(KGError):
    pass


class ForbiddenOperationError(QueryError):
    pass


class QueryTimeoutError(QueryError):
    pass


class ProtocolError(KGError):
    """A request the endpoint refuses: ``status`` is its HTTP status code, ``headers`` go with the answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class ModelError(KGError):
    pass
