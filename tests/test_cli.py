"""The `pfc-econ` command line: version, help for every option, RESULTS positional, the run's output."""

from __future__ import annotations

import argparse

import pytest

from pfc_econ import __version__
from pfc_econ.cli import build_parser, main
from pfc_econ.progress import TerminalProgress, stage


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"pfc-econ {__version__}"


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_option_has_help_and_the_help_ends_with_an_example(name):
    parser = _subcommands()[name]
    undocumented = [a.dest for a in parser._actions if not a.help or a.help == argparse.SUPPRESS]
    assert not undocumented, f"{name}: options without help: {undocumented}"
    text = parser.format_help().rstrip()
    assert text.splitlines()[-2].strip() == "Example:" and text.splitlines()[-1].strip().startswith(f"pfc-econ {name}")


def test_results_folder_is_positional_and_out_still_works_with_a_warning(make_study, run_study, tmp_path, capsys):
    run_study(make_study())
    results = str(tmp_path / "results")
    assert main(["audit", results]) == 0
    captured = capsys.readouterr()
    assert "families expected and received" in captured.out and not captured.err
    assert main(["audit", "--out", results]) == 0
    captured = capsys.readouterr()
    assert "families expected and received" in captured.out
    assert "deprecated" in captured.err and f"pfc-econ audit {results}" in captured.err
    assert main(["audit"]) != 0
    assert "give the results folder" in capsys.readouterr().err


def test_run_prints_one_line_per_stage_and_what_next(make_study, tmp_path, capsys):
    config = make_study()
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) < 20, "\n".join(out)  # not one line per model
    assert [line.split()[0] for line in out[:3]] == ["read", "ran", "wrote"]
    assert any(line.strip().startswith("pfc-econ audit") for line in out)
    assert any(line.strip().startswith("pfc-econ cea") for line in out)
    assert not any("planted" in line for line in out)  # only the demo says its faults are planted
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out"), "--verbose"]) == 0
    verbose = capsys.readouterr().out
    assert "fct_family_costs" in verbose and "rows in = staged + quarantined, per source table" in verbose


def test_a_stage_reports_to_a_plain_callable_and_to_the_terminal(capsys):
    lines = []
    reading = stage(lines.append, "reading", 2)
    reading.step("  one")
    reading.step("  two")
    reading.done("read 2")
    assert lines == ["reading", "  one", "  two", "read 2"]
    quiet = stage(TerminalProgress(verbose=False), "reading", 2)
    quiet.step("  one")
    quiet.done("read 2")
    loud = stage(TerminalProgress(verbose=True), "reading", 1)
    loud.step("  one")
    loud.done("read 1")
    assert capsys.readouterr().out.splitlines() == ["read 2", "  one", "read 1"]
