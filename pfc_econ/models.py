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


def _last_readers(models: list[Model]) -> dict[str, int]:
    """For each table, the position of the last model that reads it, directly or through views
    (a view reads its tables whenever it is read)."""
    views = {m.name: m.upstream for m in models if m.is_view}

    def reads(names, seen=()):
        for name in names:
            yield name
            if name in views and name not in seen:
                yield from reads(views[name], (*seen, name))

    return {name: i for i, m in enumerate(models) for name in reads(m.upstream)}


class ModelError(RuntimeError):
    """A model's SQL failed; ``model`` names it (a full disk or memory limit is then reported as such)."""

    def __init__(self, model: str, message: str):
        super().__init__(message)
        self.model = model


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model],
               progress: Callable[[str], None] | None = None,
               dropped_counts: dict[str, int] | None = None) -> dict[str, float]:
    """Run each model; return seconds per model.

    A temporary table (a model's own, or the survey reader's cells) is dropped after the last model
    that reads it: the survey's cells and checked answers otherwise held about 2 GB of the memory
    limit for the rest of a 100,000-family run, and were spilled to disk at 1,000,000. Its row count
    is kept in ``dropped_counts``. A temporary table no model reads is left as it is."""
    timings = {}
    last_reader = _last_readers(models)
    temporary = {r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()}
    for i, m in enumerate(models):
        start = time.perf_counter()
        try:
            con.execute(m.sql)
        except duckdb.Error as exc:
            where = m.path.relative_to(m.path.parents[2]) if m.path else f"generated {m.name}"
            raise ModelError(m.name, f"model {m.name} ({where}) failed: {exc}") from exc
        if m.is_temporary:
            temporary.add(m.name)
        for name in sorted(t for t in temporary if last_reader.get(t) == i):
            if dropped_counts is not None:
                dropped_counts[name] = con.execute(f'select count(*) from temp."{name}"').fetchone()[0]
            con.execute(f'drop table temp."{name}"')
            temporary.discard(name)
        timings[m.name] = time.perf_counter() - start
        if progress:
            progress(f"  {m.layer:<12} {m.name:<34} {timings[m.name]:7.2f} s")
    return timings


def run_macros(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> None:
    con.execute((sql_dir / "macros.sql").read_text(encoding="utf-8"))
