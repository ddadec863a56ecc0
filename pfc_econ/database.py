"""Opening the run's DuckDB database with bounded memory and a spill folder of the run's own.

DuckDB keeps its buffers within ``memory_limit`` and writes what does not fit to
``temp_directory`` (DuckDB documentation, "Configuration": memory_limit, temp_directory); by
default it would take 80% of the machine's RAM and spill beside the database. A run sets the
study config's ``[run] memory_limit`` (default 2GB, validated in pfc_econ/config.py), uses every core but no
more threads than that limit holds (``default_threads``) unless ``[run] threads`` says, and spills
into a folder of its own: inside the build folder, or, with ``[run] temp_directory`` (a scratch
disk), a new ``pfc-econ-spill-<pid>-<token>`` folder inside that one. Closing the database removes
that folder, after a failed run too; nothing else in ``temp_directory`` is touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import duckdb

from .config import memory_bytes

SPILL_FOLDER = "duckdb_spill"
SPILL_PREFIX = "pfc-econ-spill-"
MEMORY_PER_THREAD = 300e6


def spill_folder(database: Path, run: dict[str, Any]) -> Path:
    """Where this run's DuckDB spills: a folder only this run uses (DuckDB makes it when it first spills)."""
    if run.get("temp_directory"):
        return Path(run["temp_directory"]) / f"{SPILL_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    return Path(database).parent / SPILL_FOLDER


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
    spill = spill_folder(database, run)
    con = duckdb.connect(str(database))
    if run.get("memory_limit"):
        con.execute(f"set memory_limit = '{run['memory_limit']}'")
    cores = int(con.execute("select current_setting('threads')").fetchone()[0])  # DuckDB's default: every core
    con.execute(f"set threads = {int(run.get('threads') or default_threads(cores, run.get('memory_limit')))}")
    con.execute("set temp_directory = ?", [str(spill)])
    return con


def close_database(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Close the connection and remove the spill folder the run made (never any other folder)."""
    try:
        spill = Path(con.execute("select current_setting('temp_directory')").fetchone()[0])
    except duckdb.Error:  # a connection a failure left unusable: its own folder, at least, goes
        spill = Path(database).parent / SPILL_FOLDER
    con.close()
    if (spill.name == SPILL_FOLDER and spill.parent == Path(database).parent) or spill.name.startswith(SPILL_PREFIX):
        shutil.rmtree(spill, ignore_errors=True)
