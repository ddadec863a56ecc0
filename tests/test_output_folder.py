"""Output safety (issue 9, Build 1): a run writes only into a new folder or a results folder it made.

Each test plants a user's file or a second run and asserts it is left exactly as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pfc_econ.config import load_config
from pfc_econ.errors import OutputFolderError
from pfc_econ.output_folder import MARKERS, check_target, open_output, read_marker
from pfc_econ.pipeline import run_pipeline


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_out_at_a_folder_holding_a_users_file_is_refused_and_untouched(make_study, tmp_path):
    config = make_study()
    mine = tmp_path / "my_documents"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"four years of work")
    with pytest.raises(OutputFolderError, match=rf"refusing to write into {mine}: it holds files pfc-econ did not "
                                                r"write \(thesis.docx\)"):
        run_pipeline(load_config(config), mine)
    assert _tree(mine) == {"thesis.docx": b"four years of work"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_documents", "study"]


def test_out_at_a_file_and_at_the_current_folder_is_refused(make_study, tmp_path, monkeypatch):
    config = make_study()
    note = tmp_path / "notes.txt"
    note.write_text("mine")
    with pytest.raises(OutputFolderError, match=rf"refusing to write to {note}: it exists and is not a folder"):
        run_pipeline(load_config(config), note)
    assert note.read_text() == "mine" and not list(tmp_path.glob(".notes*"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputFolderError, match="it is the current folder"):
        check_target(Path("."))
    with pytest.raises(OutputFolderError, match="it is the current folder"):
        check_target(Path(".."))


def test_rerun_replaces_its_own_entries_and_keeps_everything_else(make_study, tmp_path):
    config = make_study()
    out = tmp_path / "out"
    run_pipeline(load_config(config), out)
    assert read_marker(out)["entries"] == ["docs", "exports", "manifest.json", "pfc.duckdb", "report"]
    (out / "my_notes.txt").write_text("read the audit first")
    (out / "cea").mkdir()
    (out / "cea" / MARKERS["cea"]).write_text('{"kind": "cea", "entries": []}')
    (out / "exports" / "dim_family.csv").write_text("stale")
    messages = []
    run_pipeline(load_config(config), out, progress=messages.append)
    assert (out / "my_notes.txt").read_text() == "read the audit first" and (out / "cea").is_dir()
    assert (out / "exports" / "dim_family.csv").read_text().startswith("family_id")
    assert any(m.startswith("  kept         cea, my_notes.txt") and "re-run pfc-econ cea" in m for m in messages)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "study"]


def test_a_user_entry_named_like_an_output_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    with open_output(out) as build:
        (build.path / "manifest.json").write_text("{}")
    (out / "exports").write_text("the user's own file called exports")
    with pytest.raises(OutputFolderError, match=r"refusing to replace .*/out/exports: pfc-econ did not write it"):
        with open_output(out) as build:
            (build.path / "exports").mkdir()
            (build.path / "manifest.json").write_text("{}")
    assert (out / "exports").read_text() == "the user's own file called exports"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_build_leaves_the_target_and_its_parent_as_they_were(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with open_output(out) as build:
            (build.path / "pfc.duckdb").write_text("half")
            raise RuntimeError("model failed")
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_into_a_locked_target_fails_at_once(tmp_path):
    out = tmp_path / "out"
    with open_output(out) as build:
        (build.path / "manifest.json").write_text("first")
        with pytest.raises(OutputFolderError, match=rf"{out} is being written by another pfc-econ run "
                                                    rf"\(pid {os.getpid()}, since"):
            with open_output(out):
                pass
    assert (out / "manifest.json").read_text() == "first"
    assert sorted(p.name for p in out.iterdir()) == [MARKERS["results"], "manifest.json"]


def test_a_read_only_parent_is_one_line(tmp_path, monkeypatch):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    if os.geteuid() == 0:  # root writes into read-only folders: make the file system refuse instead
        real_open = os.open

        def refuse(path, *args, **kwargs):
            if str(path).startswith(str(parent)):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)
        monkeypatch.setattr("pfc_econ.output_folder.os.open", refuse)
    try:
        with pytest.raises(OutputFolderError, match=rf"^cannot write in {parent}: Permission denied$"):
            with open_output(parent / "out"):
                pass
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o755)


def test_two_pipelines_into_one_target_at_once(make_study, tmp_path):
    """Two `pfc-econ run` processes started together: each ends in success or the one-line lock
    refusal (exit 1), at least one succeeds, and the folder holds one complete run."""
    config = make_study()
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pfc_econ.cli", "run", "--config", str(config), "--out", str(out)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    finished = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    for code, stderr in finished:
        assert code == 0 or (code == 1 and stderr.count("\n") == 1 and "is being written by another pfc-econ run"
                             in stderr), stderr
    assert 0 in [code for code, _ in finished]
    assert read_marker(out)["entries"] == ["docs", "exports", "manifest.json", "pfc.duckdb", "report"]
    import duckdb
    with duckdb.connect(str(out / "pfc.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from dim_family").fetchone()[0] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "study"]
