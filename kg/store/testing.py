"""A throw-away Virtuoso on loopback, for tests and benchmarks (Debian's ``virtuoso-opensource-7``).

``with LocalVirtuoso(folder) as v:`` copies the packaged ``virtuoso.ini``, points its database, log, lock
and transaction files into ``folder``, gives the SQL and HTTP servers free loopback ports, allows bulk
loading from ``folder`` and starts ``virtuoso-t +foreground``; leaving the block stops it. The account is
Virtuoso's default ``dba``/``dba``: ``v.store_url`` is the ``--store`` value that writes through
``/sparql-auth`` (HTTP Digest). ``v.isql(sql)`` runs SQL through ``isql-vt`` (bulk loading).
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["LocalVirtuoso", "VirtuosoUnavailable", "virtuoso_missing"]

PACKAGED_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
SERVER = "virtuoso-t"
ISQL = "isql-vt"


class VirtuosoUnavailable(RuntimeError):
    """Virtuoso is not installed here, or would not start."""


def virtuoso_missing() -> str | None:
    """Why a local Virtuoso cannot run here (None when it can)."""
    if shutil.which(SERVER) is None or shutil.which(ISQL) is None:
        return f"{SERVER} / {ISQL} not installed (Debian package virtuoso-opensource-7)"
    if not PACKAGED_INI.exists():
        return f"{PACKAGED_INI} is missing (Debian package virtuoso-opensource-7)"
    return None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies, so that a killed test run
    leaves no server behind (Linux prctl PR_SET_PDEATHSIG)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalVirtuoso:
    """One Virtuoso server process with its own database in ``folder``.

    ``buffers``: ``NumberOfBuffers`` (8 KB pages of cache; the packaged 10000 is 80 MB); bulk loads of
    millions of quads want more (Virtuoso's guide: about 2/3 of the memory it may use). ``max_rows``:
    ``[SPARQL] ResultSetMaxRows``, the most rows one answer may hold (packaged: 10000)."""

    def __init__(self, folder: str | os.PathLike[str], *, buffers: int = 10_000, max_rows: int = 10_000,
                 start_timeout: float = 120.0):
        why = virtuoso_missing()
        if why:
            raise VirtuosoUnavailable(why)
        self.folder = Path(folder).resolve()
        self.buffers = buffers
        self.max_rows = max_rows
        self.start_timeout = start_timeout
        self.sql_port = self.http_port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def store_url(self) -> str:
        """The ``--store`` value for writing through the Digest-protected endpoint."""
        return f"http://dba:dba@127.0.0.1:{self.http_port}/sparql-auth"

    def _write_ini(self) -> Path:
        ini = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
        ini.optionxform = str  # type: ignore[assignment,method-assign]  # Virtuoso's keys are case-sensitive
        ini.read(PACKAGED_INI)
        f = self.folder
        ini["Database"].update(DatabaseFile=str(f / "virtuoso.db"), ErrorLogFile=str(f / "virtuoso.log"),
                               LockFile=str(f / "virtuoso.lck"), TransactionFile=str(f / "virtuoso.trx"),
                               xa_persistent_file=str(f / "virtuoso.pxa"))
        ini["TempDatabase"].update(DatabaseFile=str(f / "virtuoso-temp.db"),
                                   TransactionFile=str(f / "virtuoso-temp.trx"))
        self.sql_port, self.http_port = _free_port(), _free_port()
        ini["Parameters"].update(ServerPort=f"127.0.0.1:{self.sql_port}", DirsAllowed=f"., {f}",
                                 NumberOfBuffers=str(self.buffers),
                                 MaxDirtyBuffers=str(max(6000, self.buffers * 3 // 4)))
        ini["HTTPServer"]["ServerPort"] = f"127.0.0.1:{self.http_port}"
        ini["SPARQL"]["ResultSetMaxRows"] = str(self.max_rows)
        path = f / "virtuoso.ini"
        with open(path, "w", encoding="utf-8") as out:
            ini.write(out)
        return path

    def start(self) -> LocalVirtuoso:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self._write_ini()
        log = open(self.folder / "stdout.log", "wb")
        self.process = subprocess.Popen([SERVER, "+configfile", str(ini), "+foreground"], cwd=self.folder,
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.folder / "stdout.log").read_text(errors="replace")[-600:]
                raise VirtuosoUnavailable(f"virtuoso-t exited with {self.process.returncode}: {tail}")
            if self._answers():
                return self
            time.sleep(0.2)
        self.stop()
        raise VirtuosoUnavailable(f"virtuoso-t did not answer on 127.0.0.1:{self.http_port} "
                                  f"within {self.start_timeout:g} s")

    def _answers(self) -> bool:
        import httpx

        try:
            r = httpx.get(f"{self.url}/sparql", params={"query": "ASK {}"}, timeout=2,
                          headers={"Accept": "application/sparql-results+json"})
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    def isql(self, sql: str, timeout: float = 3600) -> str:
        """Run SQL statements (each ending with ';') as dba; returns isql's output, raises on an error."""
        proc = subprocess.run([ISQL, str(self.sql_port), "dba", "dba", "VERBOSE=OFF", "BANNER=OFF",
                               "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT"], input=sql, capture_output=True,
                              text=True, timeout=timeout)
        out = proc.stdout + proc.stderr
        if proc.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql-vt failed: {out.strip()[-600:]}")
        return out

    def bulk_load(self, name: str) -> None:
        """Load the RDF file ``name`` of the server's folder with Virtuoso's bulk loader (N-Quads keep their
        graphs; the graph given to ``ld_dir`` is only for triple files) and checkpoint."""
        self.isql(f"ld_dir('{self.folder}', '{name}', 'http://example.org/unused');\nrdf_loader_run();\ncheckpoint;\n")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # virtuoso-t checkpoints and exits
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> LocalVirtuoso:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
