"""A dataset dump in its own confined process: ``python -I -m server._dump CONFIG_JSON`` writes
``kg.export.export(store, format, stdout, graphs=…)`` to its standard output.

The endpoint streams that output to the client (``downloads.py``), so a slow or huge export (JSON-LD
compaction, a 9 M-quad dump) costs this process, not the server: it runs under the same time limit, memory
cap and sandbox as a query worker (no network; files: the store read-only, plus the installed code, which
rdflib's plugins import lazily).
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from pathlib import Path


def _code_folders() -> list[str]:
    import kg

    folders = {Path(kg.__file__).resolve().parent, Path(kg.__file__).resolve().parents[1] / "ontology"}
    folders.update(Path(p) for p in sysconfig.get_paths().values())
    folders.update(Path(p) for p in sys.path if p)
    return sorted(str(p) for p in folders if p.is_dir())


def main() -> int:
    config = json.loads(sys.argv[1])
    from kg.export import export
    from kg.store import Store
    from server import _sandbox

    for line in _sandbox.confine(readable=[config["store"], *_code_folders()], writable=[],
                                 memory_bytes=config.get("memory_bytes")):
        print(f"dump sandbox: {line}", file=sys.stderr)
    out = os.fdopen(sys.stdout.fileno(), "wb", closefd=False)
    with Store(config["store"], read_only=True,  # type: ignore[abstract]  # opens the backend the path names
               base_iri=config.get("base_iri")) as store:
        export(store, config["format"], out, graphs=config["graphs"])
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
