"""The SPARQL endpoint and pages, as a Flask application factory.

- ``app``       :func:`create_app`: configuration, the store, the query workers, the blueprints
- ``common``    what the others share: the format table, content negotiation, request helpers, page queries,
                the error handlers (the other modules import from it, never from one another but ``sparql``
                → ``pages`` for the query page)
- ``sparql``    SPARQL 1.1 Protocol on /sparql (query, update, service description)
- ``gsp``       SPARQL 1.1 Graph Store Protocol on /store
- ``pages``     the query page (/), entity (/entity/…), document (/doc/…), event and statement pages
- ``downloads`` dataset dumps on the dataset IRI (/dataset)
- ``executor``  the pool of killable, fairly shared query worker processes (``_worker`` is the process itself;
                ``_dump`` a dataset dump's process; ``_sandbox`` confines both: no network, no files but the
                store, a memory cap)
- ``remote``    the query pool's stand-in for a remote store: its queries go to its own server
- ``wsgi``      the waitress server with read deadlines and per-client connection caps (``kg serve``)
- ``testing``   :class:`LiveServer` (that server on 127.0.0.1 in a thread) for tests and benchmarks
"""

from .app import create_app

__all__ = ["create_app"]
