"""The shape of the code: no import cycle in server/, every server module importable alone, no function over
80 lines outside tests and kg/nlp, and errors turned into HTTP answers in one place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from kg.errors import (
    ForbiddenOperationError,
    InputError,
    KGError,
    ProtocolError,
    QueryTimeoutError,
    StoreError,
)

ROOT = Path(__file__).resolve().parents[1]
SERVER_MODULES = sorted(p.stem for p in (ROOT / "server").glob("*.py") if p.stem != "__init__")
MAX_FUNCTION_LINES = 80


def _server_imports(module: str) -> set[str]:
    """The server modules ``module`` imports, at the top or inside functions (relative or absolute)."""
    tree = ast.parse((ROOT / "server" / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
            elif node.level == 0 and node.module and node.module.startswith("server."):
                names = [node.module.split(".")[1]]
            else:
                continue
            found |= {n.split(".")[0] for n in names if n and n.split(".")[0] in SERVER_MODULES}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("server.")}
    return found - {module}


def test_no_import_cycle_in_server():
    graph = {m: _server_imports(m) for m in SERVER_MODULES}
    assert graph["sparql"] and "common" in graph["pages"], "the graph was read"
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> None:
        if m in path:
            raise AssertionError("import cycle: " + " → ".join(path[path.index(m):] + [m]))
        if m in done:
            return
        for n in sorted(graph[m]):
            visit(n, path + [m])
        done.add(m)

    for m in SERVER_MODULES:
        visit(m, [])


def test_each_server_module_imports_alone():
    """Each module imported first, in a process where no other server module is loaded yet (a cycle shows up
    as a partly initialised module)."""
    script = (f"import importlib, sys\nfor m in {SERVER_MODULES!r}:\n"
              "    for k in [k for k in sys.modules if k == 'server' or k.startswith('server.')]:\n"
              "        del sys.modules[k]\n"
              "    importlib.import_module('server.' + m)\n")
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def _long_functions(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*.py")):
        if "nlp" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return out


def test_no_function_over_80_lines_outside_tests_and_nlp():
    long = [f for folder in ("kg", "server", "bench") for f in _long_functions(ROOT / folder)]
    assert long == []


def test_the_length_check_finds_a_long_function(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n", encoding="utf-8")
    assert _long_functions(tmp_path) == [f"long.py:1 long ({MAX_FUNCTION_LINES + 1} lines)"]


@pytest.mark.parametrize("error,status", [
    (ProtocolError(415, "unsupported media type"), 415), (QueryTimeoutError("too slow"), 503),
    (ForbiddenOperationError("refused: SERVICE"), 400), (InputError("request", "bad"), 400),
    (StoreError("http://store.example/sparql: cannot reach the SPARQL server"), 502), (KGError("broken"), 500),
])
def test_errors_become_one_line_answers_in_one_place(error, status):
    from server.common import register_error_handlers

    app = Flask(__name__)
    register_error_handlers(app)

    @app.route("/fails")
    def fails():
        raise error

    r = app.test_client().get("/fails")
    assert r.status_code == status and r.mimetype == "text/plain"
    assert r.get_data(as_text=True) == f"{error}\n"
    assert ("Retry-After" in r.headers) == (status == 503)


def test_an_unexpected_error_is_not_dressed_as_a_known_one():
    from server.common import register_error_handlers

    app = Flask(__name__)
    register_error_handlers(app)

    @app.route("/fails")
    def fails():
        raise RuntimeError("a bug")

    app.testing = False
    r = app.test_client().get("/fails")
    assert r.status_code == 500 and "a bug" not in r.get_data(as_text=True)


def test_only_the_store_package_imports_pyoxigraph():
    # server/_worker.py is the exception: the query worker is standalone (stdlib and pyoxigraph only) so that
    # the fork server never imports the project
    found = []
    for folder in ("kg", "server"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("kg/store/") or rel == "server/_worker.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(n.split(".")[0] == "pyoxigraph" for n in names):
                    found.append(rel)
    assert found == []


def test_one_name_per_format():
    # the standalone query worker keeps its own tables (it imports nothing of the project): they must agree
    from server import _worker
    from server.common import FORMATS, MEDIA_OF

    worker = {**_worker.RESULT_FORMATS, **_worker.RDF_FORMATS}
    assert worker == {name: f.engine for name, f in FORMATS.items()}
    assert MEDIA_OF["rdfxml"] == "application/rdf+xml" and MEDIA_OF["xml"] == "application/sparql-results+xml"
    assert MEDIA_OF["tsv"] == "text/tab-separated-values"  # no parameters: they are added per response
