"""Opening the run's DuckDB database with bounded memory and a spill folder of the run's own.

DuckDB keeps its buffers within ``memory_limit`` and writes what does not fit to
``temp_directory`` (DuckDB documentation, "Configuration": memory_limit, temp_directory); by
default it would take 80% of the machine's RAM and spill beside the database. A run sets the
study config's ``[run] memory_limit`` (default 2GB, validated in pfc_econ/config.py), uses every core but no
more threads than that limit holds (``default_threads``) unless ``[run] threads`` says, and spills
into a folder of its own: inside the build folder, or, with ``[run] temp_directory`` (a scratch
disk), a new ``pfc-econ-spill-<pid>-<token>`` folder inside that one. Closing the database removes
that folder, after a failed run too. A run that is killed outright (SIGKILL, the kernel's
out-of-memory killer) cannot: its folder, tens of GB at 1,000,000 families, would stay. So the
folder holds a lock file, locked (``fcntl.flock``) for as long as its run lives; the next run into
the same ``temp_directory`` removes a folder whose lock is free (``remove_abandoned_spills``). A
folder without that lock file, and anything else in ``temp_directory``, is never touched.

Work outside a run (``pfc-econ check``) uses ``scratch_database``: an in-memory database with the
same memory limit and threads, spilling into a temporary folder of its own instead of DuckDB's
default ``.tmp`` in the current folder, which may be the user's.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb

from .config import DEFAULT_MEMORY_LIMIT, memory_bytes

SPILL_FOLDER = "duckdb_spill"
SPILL_PREFIX = "pfc-econ-spill-"
SPILL_LOCK = ".pfc-econ-spill.lock"  # in a temp_directory spill folder, locked while its run lives
MEMORY_PER_THREAD = 300e6
_SPILL_LOCKS: dict[str, tuple[Path, int]] = {}  # database -> its spill folder, descriptor of the locked lock file


def make_spill_folder(database: Path, run: dict[str, Any]) -> Path:
    """Where this run's DuckDB spills: a folder only this run uses. In ``temp_directory`` it is made
    here, with its lock file locked; in the build folder DuckDB makes it when it first spills."""
    if not run.get("temp_directory"):
        return Path(database).parent / SPILL_FOLDER
    folder = Path(run["temp_directory"]) / f"{SPILL_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir()
    # locked under another name, then renamed: a run looking for abandoned folders never sees the
    # lock file before it is locked
    pending = folder / f"{SPILL_LOCK}.pending"
    fd = os.open(pending, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(pending, folder / SPILL_LOCK)
    _SPILL_LOCKS[str(database)] = (folder, fd)
    return folder


def remove_abandoned_spills(temp_directory: str | None) -> list[tuple[Path, int]]:
    """Remove the spill folders in ``temp_directory`` whose run is dead (their lock is free), and
    return each with the bytes it held. Only folders named and locked as this module makes them."""
    if not temp_directory:
        return []
    removed = []
    for folder in sorted(Path(temp_directory).glob(f"{SPILL_PREFIX}*")):
        lock = folder / SPILL_LOCK
        if folder.is_symlink() or not folder.is_dir() or lock.is_symlink() or not lock.is_file():
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:  # removed by its run as it ended
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its run is alive
            os.close(fd)
            continue
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
        removed.append((folder, size))
    return removed


def default_threads(cores: int, memory_limit: str | None) -> int:
    """Threads for ``[run] threads = 0``: every core, but no more than the memory limit holds at
    MEMORY_PER_THREAD each. DuckDB needs at least 125 MB per thread and does best with 1-4 GB (DuckDB
    documentation, "Environment": Memory); the survey reader needs about 250 MB per thread, measured
    at 20,000 families (2GB: 8 threads read the export, 16 ran out of memory; 1GB: 4 ran out, 900MB:
    2 read it). Without the cap a 16-core machine ran out of memory under the default 2GB."""
    if not memory_limit:
        return cores
    return max(1, min(cores, int(memory_bytes(memory_limit) // MEMORY_PER_THREAD)))


def open_database(database: Path, run: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Connect to ``database`` with the run's threads, memory limit and spill folder."""
    spill = make_spill_folder(database, run)
    try:
        con = duckdb.connect(str(database))
    except BaseException:
        _release_spill(database)
        raise
    _bound(con, run, spill)
    return con


def _bound(con: duckdb.DuckDBPyConnection, run: dict[str, Any], spill: Path) -> None:
    if run.get("memory_limit"):
        con.execute(f"set memory_limit = '{run['memory_limit']}'")
    cores = int(con.execute("select current_setting('threads')").fetchone()[0])  # DuckDB's default: every core
    con.execute(f"set threads = {int(run.get('threads') or default_threads(cores, run.get('memory_limit')))}")
    con.execute("set temp_directory = ?", [str(spill)])


@contextmanager
def scratch_database(run: dict[str, Any] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory database bounded as a run's is (the study's ``[run]``, else the default memory
    limit), spilling into a new folder in ``[run] temp_directory`` or the system's temporary
    folder; the folder is removed when the block ends."""
    run = {"memory_limit": DEFAULT_MEMORY_LIMIT, **(run or {})}
    spill = Path(tempfile.mkdtemp(prefix="pfc-econ-scratch-", dir=run.get("temp_directory") or None))
    try:
        con = duckdb.connect()
        try:
            _bound(con, run, spill)
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def close_database(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Close the connection to a build folder's ``database`` and remove the spill folder the run
    made (never any other folder)."""
    con.close()
    shutil.rmtree(Path(database).parent / SPILL_FOLDER, ignore_errors=True)
    _release_spill(database)


def _release_spill(database: Path) -> None:
    """Remove the temp_directory spill folder made for ``database``, then unlock it."""
    if str(database) in _SPILL_LOCKS:
        folder, fd = _SPILL_LOCKS.pop(str(database))
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)  # released only once the folder is gone
