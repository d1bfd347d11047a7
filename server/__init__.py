"""The SPARQL endpoint and pages, as a Flask application factory.

- ``app``       :func:`create_app`: configuration, the store, the query workers, the blueprints
- ``sparql``    SPARQL 1.1 Protocol on /sparql (query, update, service description)
- ``gsp``       SPARQL 1.1 Graph Store Protocol on /store
- ``pages``     the query page (/), entity (/entity/…), document (/doc/…), event and statement pages
- ``downloads`` dataset dumps on the dataset IRI (/dataset)
- ``executor``  killable query worker processes (``_worker`` is the process itself)
- ``testing``   :class:`LiveServer` (waitress on 127.0.0.1 in a thread) for tests and benchmarks
"""

from .app import create_app

__all__ = ["create_app"]
