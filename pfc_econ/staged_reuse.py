"""Re-using the staged sources of a previous run whose inputs did not change.

Reading the sources and running the contract checks and staging models is most of a run, and it
depends only on the input files, the contracts, the staging SQL and the code that reads them; a
change of price year, perspective, costing setting or outcome mapping changes nothing there.
A run therefore records a staging key (SHA-256 over the inputs' own SHA-256, the contracts, the
staging SQL and macros, the package's code and version, and how each source is read) in its
manifest. A later run with the same key copies the raw, check and staging tables from that run's
database instead of reading and staging again, and its manifest says so (``reused``).

The cache is the previous results folder itself, a folder pfc-econ wrote (its manifest names the
key): nothing is written anywhere else. ``pfc-econ run --out DIR`` looks in DIR; the CEA's
re-runs pass the results folder they start from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .paths import CONTRACTS_DIR, SQL_DIR

STAGED_LAYERS = ("checks", "staging")
READ_TABLES = ("raw_sources", "raw_read_findings", "raw_rejects")


@dataclass(frozen=True)
class Reused:
    """What a run copied from a previous run's database."""

    database: Path
    tables: tuple[str, ...]
    inputs: dict


def _hash_files(digest, paths) -> None:
    for path in sorted(paths):
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")


def staging_key(sources: dict, input_hashes: dict[str, str], code_version: str) -> str:
    """SHA-256 of everything the staged tables depend on. ``sources`` maps source name to its
    config (format, sheet, enabled); ``input_hashes`` maps source/table to the file's SHA-256."""
    from . import __file__ as package_init
    digest = hashlib.sha256()
    settings = {name: [s.format, s.sheet, s.is_enabled] for name, s in sorted(sources.items())}
    digest.update(json.dumps([settings, sorted(input_hashes.items()), code_version]).encode())
    _hash_files(digest, list(CONTRACTS_DIR.glob("*.toml")) + list(CONTRACTS_DIR.glob("*.csv")))
    _hash_files(digest, list((SQL_DIR / "staging").glob("*.sql")) + [SQL_DIR / "macros.sql"])
    _hash_files(digest, Path(package_init).parent.glob("*.py"))
    return digest.hexdigest()


def find_reusable(candidates: list[Path], key: str) -> Path | None:
    """The database of the first results folder whose manifest has this staging key."""
    for folder in candidates:
        manifest, database = Path(folder) / "manifest.json", Path(folder) / "pfc.duckdb"
        if not (manifest.is_file() and database.is_file()):
            continue
        try:
            if json.loads(manifest.read_text(encoding="utf-8")).get("staging_key") == key:
                return database
        except (OSError, ValueError):
            continue
    return None


def copy_staged(con, database: Path, staged_models: list) -> tuple[str, ...] | None:
    """Copy the read tables and every staged model's table (temporary ones excepted: their readers
    are staged models too; views are made again by the run) from ``database``; None, and nothing
    copied, if any is missing."""
    con.execute(f"attach '{database}' as _pfc_previous (read_only)")
    try:
        present = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = '_pfc_previous'").fetchall()}
        raw = sorted(t for t in present if t.startswith("raw_") and t not in READ_TABLES)
        kept = [m.name for m in staged_models if not (m.is_temporary or m.is_view)]
        wanted = [*READ_TABLES, *raw, *kept]
        if any(t not in present for t in wanted) or not raw:
            return None
        for table in wanted:
            con.execute(f'create or replace table "{table}" as select * from _pfc_previous."{table}"')
        return tuple(wanted)
    finally:
        con.execute("detach _pfc_previous")
