"""User mistakes end in one line and an exit code (issue 9, Build 5); --debug shows the traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pfc_econ.cli import main

PFC = [sys.executable, "-m", "pfc_econ.cli"]


def test_debug_shows_the_traceback_and_default_is_one_line(make_study, capsys):
    path = make_study()
    path.write_text(path.read_text().replace('name = "test"', 'name = "test"\ntarget_price_year = "2023"'))
    assert main(["run", "--config", str(path), "--out", str(path.parent / "out")]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    from pfc_econ.errors import ConfigError
    with pytest.raises(ConfigError, match="target_price_year = '2023'"):
        main(["--debug", "run", "--config", str(path), "--out", str(path.parent / "out")])


def test_missing_config_file_is_unreadable_exit_2(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"pfc-econ: error: config file not found: {tmp_path / 'nope.toml'}\n"


def test_output_folder_refusal_is_one_line_exit_1(make_study, tmp_path, capsys):
    path = make_study()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "data.xlsx").write_text("x")
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "mine")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"pfc-econ: error: refusing to write into {tmp_path / 'mine'}") and err.count("\n") == 1


def test_unit_costs_into_a_closed_pipe_is_quiet():
    out = subprocess.run(" ".join(PFC) + " unit-costs | head -n 1", shell=True, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.count("\n") == 1 and out.stderr == ""


def test_database_held_open_by_another_process_is_one_line(make_study, run_study, tmp_path):
    run_study(make_study()).close()
    database = tmp_path / "results" / "pfc.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(database)!r})
        print('open', flush=True)
        time.sleep(60)""")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "open\n"
        out = subprocess.run([*PFC, "audit", str(tmp_path / "results")], capture_output=True, text=True,
                             timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 2
    assert out.stderr == (f"pfc-econ: error: {database} is open for writing in another process (PID {holder.pid}); "
                          f"close it there, or open it with duckdb.connect(..., read_only=True), and try again\n")

