"""The results folder's `exports/`: files that load cleanly in R, Stata, Excel and pandas.

- Parquet of every mart (`dim_*`, `fct_*`) and audit (`audit_*`), lists as native Parquet lists.
- CSV of the same tables. With ``[exports] csv = "auto"`` (the default) a table with more rows
  than an Excel worksheet holds (1,048,576 rows including the header; Microsoft, "Excel
  specifications and limits") is written as Parquet only, and the run says so: at trial scale
  that is `fct_resource_use` (725 MB of CSV at 20,000 families). ``"all"`` writes every CSV,
  ``"none"`` none. In CSV a list is its elements joined with ``;`` and money has two decimals.
- `fct_cea_input.dta`, the family-level analysis table for Stata (format 118, Stata 14 or later).
- Rows are in a fixed order (``order by all``), so identical inputs give identical files; a table
  with a unique key (``ORDER_KEYS``) is sorted by that key alone, the same total order at a
  fraction of the cost (`fct_resource_use`: 50 columns, millions of rows).
- Except a table with more rows than ``[exports] sort_max_rows`` (default 10,000,000): it is
  written in the order the database holds it, with the same rows, and the manifest lists it in
  ``exports_unsorted``. That order can differ between runs of the same inputs (DuckDB builds
  `fct_resource_use` in parallel), so such a file is the same rows but not the same bytes.
  Sorting `fct_resource_use` at 1,000,000 families (about 134 million rows) spilled more than
  28 GB beside a 17 GB database (docs/scale.md, "Export order"); sort the file when you read it
  (``order by source, source_record_id``), or raise the threshold.
- Money (a numeric column named ``*_gbp``) is rounded to pence; every other floating-point
  column to 12 significant digits, which removes binary noise (0.6910000000000001 is 0.691)
  and keeps far more precision than any input has.

Stata variable names (Stata User's Guide [U] 11.3): at most 32 characters of letters, digits and
``_``, not starting with a digit, not a reserved word (the list pandas' Stata writer checks).
A column breaking a rule is renamed, in column order: other characters become ``_``; a leading
digit or a reserved word gets a ``_`` prefix; a name longer than 32 characters is cut to 32, and
one that then repeats an earlier name is cut to 29 and given ``_2``, ``_3``, ...; each renamed
variable's label starts with its full column name, and the manifest lists the renaming.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .readers import q, sql_str

EXPORT_PREFIXES = ("dim_", "fct_", "audit_")
CSV_CHOICES = ("auto", "all", "none")
EXCEL_MAX_DATA_ROWS = 1_048_576 - 1  # one worksheet row is the header
SORT_MAX_ROWS = 10_000_000
SIGNIFICANT_DIGITS = 12
STATA_TABLE = "fct_cea_input"
STATA_NAME_LENGTH = 32
STATA_LABEL_LENGTH = 80
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# Unique by construction (int_resource_use: a questionnaire item is response:column, a log item its
# record id, with :travel or :attendee for the rows one record makes; duplicate ids are quarantined);
# tests/test_docs_and_demo.py checks the key is unique on the demo run.
# The family totals and their breakdown are one row per the columns they are grouped by, which lead
# their columns, so sorting by them alone gives the order of ``order by all`` (the same file) with
# fewer sort keys (at 100,000 families the breakdown's export, 5.5 million rows, 4.0 s against 4.9).
ORDER_KEYS = {"fct_resource_use": ("source", "source_record_id"),
              "fct_family_costs": ("family_id", "period", "perspective"),
              "fct_family_cost_breakdown": ("family_id", "period", "perspective", "category", "source")}


@dataclass(frozen=True)
class ExportResult:
    """What `export_tables` wrote: table names, files (relative to the results folder), the
    tables left as Parquet only and those written unsorted because of their size, and the Stata
    renaming (column -> name)."""

    tables: tuple[str, ...]
    files: tuple[str, ...]
    parquet_only: tuple[str, ...] = ()
    stata_renamed: dict[str, str] = field(default_factory=dict)
    unsorted: tuple[str, ...] = ()


def _columns(con, table: str) -> list[tuple[str, str]]:
    return con.execute("select column_name, data_type from duckdb_columns() where schema_name = 'main' "
                       "and table_name = ? order by column_index", [table]).fetchall()


def _rounded(name: str, dtype: str) -> str:
    """The export expression of one column: money to pence, other floats to 12 significant digits."""
    col = q(name)
    is_float = dtype in FLOAT_TYPES
    if name.endswith("_gbp") and (is_float or dtype.startswith("DECIMAL")):
        return f"round({col}, 2)::double as {col}" if is_float else f"round({col}, 2) as {col}"
    if is_float:
        return (f"case when {col} = 0 or not isfinite({col}) then {col}::double else round({col}::double, "
                f"{SIGNIFICANT_DIGITS - 1} - floor(log10(abs({col})))::integer) end as {col}")
    return col


def _csv_expression(name: str, dtype: str) -> str:
    """How a column of the (already rounded) Parquet file is written in CSV."""
    col = q(name)
    if dtype.endswith("[]"):
        return f"array_to_string(list_transform({col}, lambda x: x::varchar), ';') as {col}"
    if dtype.startswith(("STRUCT", "MAP")) or re.search(r"\[\d+\]$", dtype):
        return f"{col}::varchar as {col}"
    if name.endswith("_gbp") and (dtype in FLOAT_TYPES or dtype.startswith("DECIMAL")):
        return f"{col}::decimal(38, 2) as {col}"
    return col


def exported_table_names(con) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' order by 1").fetchall()
        if r[0].startswith(EXPORT_PREFIXES)]


def export_tables(con: duckdb.DuckDBPyConnection, out: Path, csv: str = "auto",
                  sort_max_rows: int = SORT_MAX_ROWS) -> ExportResult:
    """Write `out/exports/`: Parquet (and CSV per ``csv``) of every mart and audit, and the .dta.
    A table longer than ``sort_max_rows`` is written in stored order (this module's docstring)."""
    if csv not in CSV_CHOICES:
        raise ValueError(f"csv = {csv!r}: expected one of {', '.join(CSV_CHOICES)}")
    folder = out / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    names = exported_table_names(con)
    files, parquet_only, unsorted = [], [], []
    for name in names:
        columns = _columns(con, name)
        rows = con.execute(f"select count(*) from {q(name)}").fetchone()[0]
        parquet = folder / f"{name}.parquet"
        select = ", ".join(_rounded(c, t) for c, t in columns)
        if rows > sort_max_rows:
            unsorted.append(name)
            order = ""
        else:
            order = " order by " + (", ".join(q(c) for c in ORDER_KEYS[name]) if name in ORDER_KEYS else "all")
        con.execute(f"copy (select {select} from {q(name)}{order}) to {sql_str(str(parquet))} (format parquet)")
        files.append(f"exports/{parquet.name}")
        if csv == "none":
            continue
        if csv == "auto" and rows > EXCEL_MAX_DATA_ROWS:
            parquet_only.append(name)
            continue
        target = folder / f"{name}.csv"
        rounded = dict(_columns_of_parquet(con, parquet))
        select = ", ".join(_csv_expression(c, rounded[c]) for c, _ in columns)
        con.execute(f"copy (select {select} from read_parquet({sql_str(str(parquet))})) "
                    f"to {sql_str(str(target))} (header)")
        files.append(f"exports/{target.name}")
    renamed = {}
    if STATA_TABLE in names:
        renamed = write_stata(con, folder / f"{STATA_TABLE}.parquet", folder / f"{STATA_TABLE}.dta", STATA_TABLE)
        files.append(f"exports/{STATA_TABLE}.dta")
    return ExportResult(tuple(names), tuple(files), tuple(parquet_only), renamed, tuple(unsorted))


def _columns_of_parquet(con, path: Path) -> list[tuple[str, str]]:
    return con.execute(f"select column_name, column_type from (describe select * from read_parquet({sql_str(str(path))}))").fetchall()


def stata_names(columns: list[str]) -> dict[str, str]:
    """Column -> Stata variable name, by the rules in this module's docstring (unchanged names too)."""
    from pandas.io.stata import StataParser
    reserved = StataParser().RESERVED_WORDS
    out: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", column)
        if name[:1].isdigit() or name in reserved:
            name = "_" + name
        if len(name) > STATA_NAME_LENGTH or name in taken:
            stem, n = name[:STATA_NAME_LENGTH], 1
            while stem in taken:
                n += 1
                stem = f"{name[:STATA_NAME_LENGTH - 1 - len(str(n))]}_{n}"
            name = stem
        taken.add(name)
        out[column] = name
    return out


def write_stata(con, parquet: Path, target: Path, table: str) -> dict[str, str]:
    """Write one exported table as a Stata .dta with variable labels from the column comments.

    Lists become ``;``-joined strings, booleans 0/1 bytes, dates Stata daily dates (%td).
    Returns the columns that were renamed (column -> Stata name)."""
    import pandas as pd
    columns = dict(_columns_of_parquet(con, parquet))
    select = ", ".join(_csv_expression(c, t) if t.endswith("[]") or t.startswith(("STRUCT", "MAP"))
                       else q(c) for c, t in columns.items())
    frame = con.execute(f"select {select} from read_parquet({sql_str(str(parquet))})").df()
    comments = dict(con.execute("select column_name, comment from duckdb_columns() where schema_name = 'main' "
                                "and table_name = ?", [table]).fetchall())
    names = stata_names(list(frame.columns))
    dates = {}
    for column, dtype in columns.items():
        if dtype == "BOOLEAN":
            frame[column] = frame[column].astype("Int8").astype("float64") if frame[column].isna().any() \
                else frame[column].astype("int8")
        elif dtype == "DATE":
            frame[column] = pd.to_datetime(frame[column])
            dates[names[column]] = "td"
        elif dtype in ("VARCHAR",) or dtype.endswith("[]"):
            frame[column] = frame[column].fillna("").astype(str)
    labels = {}
    for column, name in names.items():
        text = " ".join((comments.get(column) or "").split())
        labels[name] = (f"{column}: {text}" if name != column else text)[:STATA_LABEL_LENGTH]
    frame = frame.rename(columns=names)
    # a fixed time stamp (Stata's epoch) so that identical inputs give an identical file
    frame.to_stata(target, write_index=False, version=118, convert_dates=dates, variable_labels=labels,
                   data_label=f"pfc-econ {table}"[:STATA_LABEL_LENGTH], time_stamp=dt.datetime(1960, 1, 1))
    return {c: n for c, n in names.items() if c != n}
