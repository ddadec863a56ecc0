"""User mistakes end in one line and an exit code (issue 9, Build 5); --debug shows the traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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



# --- the machine's limits: a full disk, DuckDB's memory limit (pfc_econ/resources.py) ----------

def _no_build_left(folder) -> bool:
    return not [p.name for p in folder.iterdir() if ".build-" in p.name or p.name == "results"]


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_file_that_cannot_grow_ends_in_one_line_and_leaves_nothing(make_study, tmp_path):
    # Fault injection: under a 1 MB file-size limit the database's first writes fail with EFBIG,
    # the errno a quota gives; a full disk (ENOSPC) takes the same path (next test).
    config = make_study()
    script = textwrap.dedent("""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
        from pfc_econ.cli import main
        sys.exit(main(sys.argv[1:]))""")
    done = subprocess.run([sys.executable, "-c", script, "run", "--config", str(config), "--out",
                           str(tmp_path / "results")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"pfc-econ: error: a file grew past this process's file-size limit (ulimit -f) "
                                  f"in {tmp_path} writing pfc.duckdb")
    assert "no results were written" in done.stderr and _no_build_left(tmp_path)


def test_a_full_disk_names_the_file_by_its_place_in_the_results(tmp_path):
    import duckdb

    from pfc_econ.resources import Disk, describe_exhaustion
    disks = [Disk(tmp_path, 400_000_000, 1_000_000_000)]
    # DuckDB's own words when the export of a 20,000-family run filled a 365 MB disk (its JSON escapes)
    duck = duckdb.IOException(
        'IO Error: Async write failed for range [offset=14096932, size=14094678]: {"exception_type":"IO",'
        '"exception_message":"Could not write file \\"' + str(tmp_path) + '/.res.build-3011-00ea8a0e/exports/'
        'audit_instrument_responses.csv\\": No space left on device","errno":"28"}')
    error = describe_exhaustion(duck, disks, inputs=84_000_000, memory_limit="2GB")
    assert str(error).startswith(f"the disk of {tmp_path} is full writing exports/audit_instrument_responses.csv; "
                                 "no results were written")
    assert "(0.4 GB were free when it started)" in str(error) and "about 1.0 GB" in str(error)
    import errno
    py = OSError(errno.ENOSPC, "No space left on device", f"{tmp_path}/.res.build-7-ab12/report/costs.png")
    assert "is full writing report/costs.png;" in str(describe_exhaustion(py, disks, 1, "2GB"))
    assert describe_exhaustion(duckdb.BinderException("no column x"), disks, 1, "2GB") is None
    # a value quoted in a conversion error is data, never read as the disk's state
    quoted = duckdb.ConversionException("Could not convert string 'No space left on device' to INT32")
    assert describe_exhaustion(quoted, disks, 1, "2GB") is None
    assert describe_exhaustion(OSError(errno.EACCES, "Permission denied"), disks, 1, "2GB") is None
    # spilling into [run] temp_directory on another disk: the full disk named is that one
    scratch = [*disks, Disk(tmp_path / "scratch", 5_000_000, 588_000_000)]
    spill = OSError(errno.ENOSPC, "No space left on device", f"{tmp_path}/scratch/pfc-econ-spill-9-ab/t.tmp")
    assert str(describe_exhaustion(spill, scratch, 84_000_000, "2GB")).startswith(
        f"the disk of {tmp_path / 'scratch'} is full writing {tmp_path}/scratch/pfc-econ-spill-9-ab/t.tmp; ")
    # DuckDB's words when a 20,000-family run spilling into a 365 MB disk filled it (limit 1GB)
    offload = duckdb.OutOfMemoryException("Out of Memory Error: failed to offload data block of size 32.0 KiB "
                                          "(328.1 MiB/328.1 MiB used).\n\nPossible solutions: ...")
    assert str(describe_exhaustion(offload, scratch, 84_000_000, "1GB")) == (
        f"the disk of {tmp_path / 'scratch'} is full (DuckDB could not spill beyond the memory limit: Out of Memory "
        f"Error: failed to offload data block of size 32.0 KiB (328.1 MiB/328.1 MiB used).); no results were written "
        f"and the run's build folder was removed (5 MB were free when it started). A run of 84 MB of input files may "
        f"need about 0.6 GB there (docs/scale.md \"Disk\"): free space there, or choose --out (or [run] temp_directory, "
        f"where it spills) on a larger disk")


def test_out_of_memory_is_one_line_naming_the_limit_and_the_model(make_study, tmp_path, capsys):
    import duckdb

    from pfc_econ.models import ModelError
    from pfc_econ.resources import describe_exhaustion
    # 3 MB cannot hold the survey reader's buffers for ~1,500 columns: the read fails, not the file
    path = make_study(extra_toml='\n[run]\nmemory_limit = "3MB"\n')
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "results")]) == 1
    err = capsys.readouterr().err
    assert err.startswith('pfc-econ: error: DuckDB ran out of memory under [run] memory_limit = "3MB" (Out of '
                          'Memory Error: ') and err.count("\n") == 1
    assert "cannot be read" not in err and _no_build_left(tmp_path)
    try:
        raise ModelError("fct_resource_use", "model fct_resource_use failed") from duckdb.OutOfMemoryException(
            "Out of Memory Error: failed to allocate data of size 256.0 KiB (3.7 GiB/3.7 GiB used)\n\nPossible ...")
    except ModelError as exc:
        wrapped = exc
    from pfc_econ.resources import Disk
    assert str(describe_exhaustion(wrapped, [Disk(tmp_path, 1, 1)], 1, "4GB")).startswith(
        'DuckDB ran out of memory in model fct_resource_use under [run] memory_limit = "4GB" (Out of Memory Error: '
        'failed to allocate data of size 256.0 KiB (3.7 GiB/3.7 GiB used)); raise it')


def test_a_disk_with_too_little_free_is_warned_of_before_the_run(make_study, tmp_path, capsys, monkeypatch):
    from pfc_econ.resources import RESULTS_FACTOR, SPILL_FACTOR, Disk, disk_warnings, run_disks
    out = tmp_path / "results"
    assert disk_warnings([Disk(tmp_path, 14_000_000, 14_000_000)], 1_000_000) == []
    assert disk_warnings([Disk(tmp_path, 400_000_000, 1_176_000_000)], 84_000_000) == [
        f"  warning      0.4 GB free on the disk of {tmp_path}; a run of 84 MB of input files may need about "
        f"1.2 GB there (docs/scale.md \"Disk\")"]
    # on one disk a run needs room for its results and its spill; the spill's share is its own disk's
    assert [d.need for d in run_disks(out, "", 10)] == [(RESULTS_FACTOR + SPILL_FACTOR) * 10]
    assert [d.need for d in run_disks(out, str(tmp_path), 10)] == [(RESULTS_FACTOR + SPILL_FACTOR) * 10]
    monkeypatch.setattr("pfc_econ.resources.free_bytes", lambda folder: 0)
    assert main(["run", "--config", str(make_study()), "--out", str(out)]) == 0
    assert f"warning      0 kB free on the disk of {tmp_path}" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_stops_a_run_in_one_line_and_removes_its_build(make_study, tmp_path):
    # A batch scheduler's time limit sends SIGTERM: the run stops as Ctrl-C does, and DuckDB's
    # "Query interrupted" (the signal inside a query) is not reported as a failure of the SQL.
    import signal
    import time
    config = make_study()
    run = subprocess.Popen([*PFC, "run", "--config", str(config), "--out", str(tmp_path / "results")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".results.build-*")) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be stopped"
    run.send_signal(signal.SIGTERM)
    err = run.communicate(timeout=120)[1]
    assert run.returncode == 143, err
    assert err.endswith("pfc-econ: stopped by SIGTERM; no results were written\n") and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_a_stop_while_results_move_into_place_waits_for_the_renames(make_study, tmp_path, capsys, monkeypatch):
    # SIGTERM after the previous results were set aside and before the new ones were all in place
    # would have left the folder without either (the build folder, holding both, is removed)
    import json
    import os
    import signal

    from pfc_econ.output_folder import MARKERS
    path = make_study()
    results = tmp_path / "results"
    assert main(["run", "--config", str(path), "--out", str(results)]) == 0
    first = json.loads((results / MARKERS["results"]).read_text())["entries"]
    renames = []
    original = Path.rename

    def rename(self, target):
        renames.append(self)
        if len(renames) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next rename
        return original(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    assert main(["run", "--config", str(path), "--out", str(results)]) == 128 + signal.SIGTERM
    monkeypatch.undo()
    assert len(renames) > 3
    assert capsys.readouterr().err.endswith(f"pfc-econ: stopped by SIGTERM after {results} was written in full\n")
    assert sorted(p.name for p in results.iterdir()) == sorted([*first, MARKERS["results"]])
    assert (results / "pfc.duckdb").is_file() and (results / "exports" / "fct_family_costs.parquet").is_file()
    assert not [p.name for p in tmp_path.iterdir() if ".build-" in p.name]


def test_a_folder_where_a_file_belongs_is_a_config_error_naming_the_key(make_study, tmp_path, capsys):
    path = make_study()
    (path.parent / "sau_log.csv").unlink()
    (path.parent / "sau_log.csv").mkdir()
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "results")]) == 1
    assert capsys.readouterr().err == (f"pfc-econ: error: [sources.sau_log] path = 'sau_log.csv' is a folder; this source "
                                       f"is read from one file ({path.parent / 'sau_log.csv'})\n")


def test_a_file_that_cannot_be_opened_is_one_line_exit_2(make_study, tmp_path, capsys, monkeypatch):
    # (run as root, chmod 000 does not stop a read: the refusal is injected where the inputs are hashed)
    path = make_study()

    def refuse(file):
        raise PermissionError(13, "Permission denied", str(file))
    monkeypatch.setattr("pfc_econ.pipeline.file_sha256", refuse)
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pfc-econ: error: ") and err.endswith(": Permission denied\n") and err.count("\n") == 1
    assert not (tmp_path / "results").exists()


def test_temp_directory_takes_the_spill_into_a_folder_of_the_runs_own_and_removes_only_that(
        make_study, tmp_path, capsys, monkeypatch):
    import pfc_econ.pipeline
    from pfc_econ.config import load_config
    from pfc_econ.errors import ConfigError
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "someone_elses.tmp").write_text("keep")
    path = make_study(extra_toml='\n[run]\ntemp_directory = "../scratch"\n')  # relative to the study folder
    assert load_config(path).run["temp_directory"] == str(scratch)
    seen = []
    original = pfc_econ.pipeline.close_database
    monkeypatch.setattr(pfc_econ.pipeline, "close_database", lambda con, db: seen.append(Path(con.execute(
        "select current_setting('temp_directory')").fetchone()[0])) or original(con, db))
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "results")]) == 0
    assert seen[0].parent == scratch and seen[0].name.startswith("pfc-econ-spill-")
    assert [p.name for p in scratch.iterdir()] == ["someone_elses.tmp"]
    assert not (tmp_path / "results" / "duckdb_spill").exists()
    # a failed run (DuckDB out of memory while reading) removes its spill folder too
    path.write_text(path.read_text().replace('temp_directory = "../scratch"',
                                             'temp_directory = "../scratch"\nmemory_limit = "3MB"'))
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "again")]) == 1
    assert len(seen) == 2 and [p.name for p in scratch.iterdir()] == ["someone_elses.tmp"]
    path.write_text(path.read_text().replace("../scratch", "../nowhere"))
    with pytest.raises(ConfigError, match=r"\[run\] temp_directory = '../nowhere': no such folder"):
        load_config(path)


def test_a_killed_runs_spill_folder_is_removed_by_the_next_run_and_nothing_else(make_study, tmp_path, capsys):
    import subprocess
    import sys

    from pfc_econ.database import SPILL_LOCK, close_database, open_database
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # a run killed outright (SIGKILL: nothing of it runs after) while its DuckDB had spilled 5 MB
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from pfc_econ.database import open_database\n"
        "con = open_database(Path(sys.argv[1]) / 'pfc.duckdb', {'temp_directory': sys.argv[2]})\n"
        "folder = Path(con.execute(\"select current_setting('temp_directory')\").fetchone()[0])\n"
        "(folder / 'duckdb_temp_storage_S32K-0.tmp').write_bytes(bytes(5_000_000))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"), str(tmp_path), str(scratch)])
    assert killed.returncode == -9
    (abandoned,) = scratch.iterdir()
    assert (abandoned / SPILL_LOCK).is_file()
    # a live run's folder (locked by this process), a folder without the lock file, another file
    live = open_database(tmp_path / "live.duckdb", {"temp_directory": str(scratch)})
    (scratch / "pfc-econ-spill-1-unlocked").mkdir()
    (scratch / "someone_elses.tmp").write_text("keep")
    kept = sorted(p.name for p in scratch.iterdir() if p != abandoned)
    path = make_study(extra_toml='\n[run]\ntemp_directory = "../scratch"\n')
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "results")]) == 0
    said = capsys.readouterr()
    assert f"removed {abandoned} (5 MB): the spill folder of a run that was killed" in said.out + said.err
    assert sorted(p.name for p in scratch.iterdir()) == kept
    close_database(live, tmp_path / "live.duckdb")
    assert sorted(p.name for p in scratch.iterdir()) == ["pfc-econ-spill-1-unlocked", "someone_elses.tmp"]


def test_threads_by_default_are_the_cores_the_memory_limit_holds(tmp_path):
    from pfc_econ.database import close_database, default_threads, memory_bytes, open_database
    # measured at 20,000 families (pfc_econ/database.py): 16 threads ran out of memory reading the
    # survey export under 2GB, 8 did not; so 2GB gives 6 threads at 300 MB each, 4GB 13
    assert [default_threads(16, "2GB"), default_threads(16, "4GB"), default_threads(2, "2GB")] == [6, 13, 2]
    assert default_threads(64, "100MB") == 1 and default_threads(12, None) == 12
    assert memory_bytes("1.5GiB") == 1.5 * 2 ** 30 and memory_bytes("500 MB") == 5e8
    con = open_database(tmp_path / "a.duckdb", {"threads": 0, "memory_limit": "300MB"})
    assert con.execute("select current_setting('threads')").fetchone()[0] == 1
    close_database(con, tmp_path / "a.duckdb")
    con = open_database(tmp_path / "b.duckdb", {"threads": 3, "memory_limit": "300MB"})  # the user's choice
    assert con.execute("select current_setting('threads')").fetchone()[0] == 3
    close_database(con, tmp_path / "b.duckdb")


def test_a_full_disk_outside_a_run_is_one_line(tmp_path, capsys, monkeypatch):
    # pfc-econ cea (and init, score) write through the same atomic folders; a full disk there is
    # the machine's situation too: one line, exit 1, not a traceback (injected into a command)
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "results" / "cea" / "report.html"))
    monkeypatch.setattr("pfc_econ.unit_cost_library.list_unit_costs", full)
    assert main(["unit-costs"]) == 1
    assert capsys.readouterr().err == (f"pfc-econ: error: the disk is full writing {tmp_path}/results/cea/report.html; "
                                       f"nothing was written: free space there and run again\n")
