"""SQL models: the files under sql/ and the generated contract checks, run in dependency order.

Each SQL file makes one table named as the file, and its header names the tables it reads
(``-- upstream: a, b``). The runner sorts the models so that every model runs after the models
it reads, and times each one.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Callable

import duckdb

from .paths import SQL_DIR

LAYERS = ("staging", "intermediate", "marts", "audits")


@dataclass(frozen=True)
class Model:
    """One table-making SQL statement and the tables it reads."""

    name: str
    sql: str
    upstream: tuple[str, ...]
    layer: str
    path: Path | None = None

    @property
    def is_view(self) -> bool:
        """A view stores nothing: it is made again wherever the tables it reads are."""
        return "create or replace view" in self.sql

    @property
    def is_temporary(self) -> bool:
        """The model's own table is temporary (kept for the run, not in the database); a helper temp
        table of another name inside the model does not count."""
        return re.search(rf"temp table {re.escape(self.name)}\b", self.sql) is not None


def _upstream(sql: str) -> tuple[str, ...]:
    """The tables named after ``upstream:`` in the leading comment block. The list runs on to the
    next comment line only while a line ends with a comma, so prose after it is not read as names."""
    lines = sql.splitlines()
    end = next((i for i, line in enumerate(lines) if not line.startswith("--")), len(lines))
    header = [line.lstrip("- ").rstrip() for line in lines[:end]]
    start = next((i for i, line in enumerate(header) if "upstream:" in line), None)
    if start is None:
        return ()
    listed = [header[start].split("upstream:", 1)[1]]
    while listed[-1].endswith(",") and start + len(listed) < len(header):
        listed.append(header[start + len(listed)])
    names = " ".join(listed).replace(",", " ").split()
    return tuple(n for n in names if re.fullmatch(r"[a-z_][a-z0-9_]*", n))


def sql_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """The models in sql/<layer>/*.sql."""
    models = []
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            models.append(Model(path.stem, sql, _upstream(sql), layer, path))
    return models


def order_models(models: list[Model], available: set[str]) -> list[Model]:
    """Models sorted so each runs after what it reads; ``available`` tables already exist."""
    by_name = {m.name: m for m in models}
    graph = {}
    for m in models:
        missing = [u for u in m.upstream if u not in by_name and u not in available]
        if missing:
            raise ValueError(f"model {m.name} reads {', '.join(missing)}, which no model makes")
        graph[m.name] = {u for u in m.upstream if u in by_name}
    try:
        return [by_name[n] for n in TopologicalSorter(graph).static_order()]
    except CycleError as exc:
        raise ValueError(f"models read each other in a cycle: {exc.args[1]}") from None


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model],
               progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Run each model; return seconds per model."""
    timings = {}
    for m in models:
        start = time.perf_counter()
        try:
            con.execute(m.sql)
        except duckdb.Error as exc:
            where = m.path.relative_to(m.path.parents[2]) if m.path else f"generated {m.name}"
            raise RuntimeError(f"model {m.name} ({where}) failed: {exc}") from exc
        timings[m.name] = time.perf_counter() - start
        if progress:
            progress(f"  {m.layer:<12} {m.name:<34} {timings[m.name]:7.2f} s")
    return timings


def run_macros(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> None:
    con.execute((sql_dir / "macros.sql").read_text(encoding="utf-8"))
