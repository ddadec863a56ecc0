"""Opening the run's DuckDB database with bounded memory and a spill folder of the run's own.

DuckDB keeps its buffers within ``memory_limit`` and writes what does not fit to
``temp_directory`` (DuckDB documentation, "Configuration": memory_limit, temp_directory); by
default it would take 80% of the machine's RAM and spill beside the database. A run sets the
study config's ``[run] memory_limit`` (default 2GB, validated in pfc_econ/config.py) and spills
into a folder inside the build folder, which it removes when the database is closed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb

SPILL_FOLDER = "duckdb_spill"


def open_database(database: Path, run: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Connect to ``database`` with the run's threads, memory limit and spill folder."""
    spill = Path(database).parent / SPILL_FOLDER
    con = duckdb.connect(str(database))
    if run.get("threads"):
        con.execute(f"set threads = {int(run['threads'])}")
    if run.get("memory_limit"):
        con.execute(f"set memory_limit = '{run['memory_limit']}'")
    con.execute(f"set temp_directory = '{spill}'")
    return con


def close_database(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Close the connection and remove the spill folder the run made beside its database."""
    con.close()
    shutil.rmtree(Path(database).parent / SPILL_FOLDER, ignore_errors=True)
