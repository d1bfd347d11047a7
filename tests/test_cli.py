"""The `kg` command line: help everywhere, one-line errors with a non-zero exit, no tracebacks."""

from __future__ import annotations

import pytest

from kg.cli import main, make_parser

COMMANDS = sorted(make_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: kg " + command in capsys.readouterr().out


def test_required_commands_exist():
    assert {"build", "extract", "query", "serve", "load", "eval", "export", "validate", "remove"} <= set(COMMANDS)


def test_query_on_a_missing_store_is_one_clear_line(tmp_path, capsys):
    code = main(["query", "ASK {}", "--store", str(tmp_path / "missing")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("kg: error: ") and "missing" in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_sparql_names_the_problem(tmp_path, capsys, fake_extractor, monkeypatch):
    from kg.store import Store

    Store(tmp_path / "s").close()
    code = main(["query", "SELEC ?x WHERE {}", "--store", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 1 and "syntax error" in err.lower()


def test_load_then_query_roundtrip(tmp_path, capsys):
    data = tmp_path / "d.nt"
    data.write_text('<http://example.org/a> <http://example.org/p> "v" .\n')
    assert main(["load", str(data), "--graph", "http://example.org/g", "--store", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    assert main(["query", "SELECT ?o WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }", "--format", "csv",
                 "--store", str(tmp_path / "s")]) == 0
    assert capsys.readouterr().out.splitlines() == ["o", "v"]


def test_build_reports_missing_input_and_exits_non_zero(tmp_path, capsys, monkeypatch, fake_extractor):
    import kg.nlp

    monkeypatch.setattr(kg.nlp, "Extractor", lambda model=None: fake_extractor)
    good = tmp_path / "good.txt"
    good.write_text("Some article text.")
    code = main(["build", str(good), str(tmp_path / "nope.txt"), "--store", str(tmp_path / "s"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "nope.txt" in err and "ingested 1" in err and "failed 1" in err
