"""Readers: each source file lands in DuckDB as a raw table of text columns, plus source_row.

DuckDB reads CSV and Parquet itself; Excel (openpyxl, read-only streaming) and SPSS (pyreadstat,
in chunks) are read in batches through Arrow, so no whole table passes through pandas.
Direct identifiers are never selected, unknown columns are reported and left out, and lines that
cannot be parsed are kept as reject rows (line number and error only, never the line's text,
which may hold identifiers) so that rows in = rows staged + rows quarantined.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from .contracts import SourceContract, TableContract
from .errors import ContractError, SourceReadError
from .identifiers import identifier_reason

BATCH_ROWS = 50_000


@dataclass
class ReadResult:
    """What reading one table of a source found."""

    source: str
    table: str
    file: Path
    format: str
    rows_read: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (source_row, error)
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (column, reason)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)


def q(name: str) -> str:
    """Quote an identifier for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# --- header inspection -------------------------------------------------------------------------

def _csv_records(path: Path, n: int) -> tuple[list[list[str]], int]:
    """The first ``n`` CSV records and how many physical lines they took."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            records = []
            for record in reader:
                records.append(record)
                if len(records) == n:
                    break
            return records, reader.line_num
    except UnicodeDecodeError:
        raise SourceReadError(f"{path.name}: not a UTF-8 text file (is it really CSV?)") from None


def _survey_header(path: Path, header_rows: int) -> tuple[list[str], int]:
    """Column names of a survey-platform export, after checking its three header rows."""
    records, lines = _csv_records(path, header_rows)
    if len(records) < header_rows:
        raise SourceReadError(
            f"{path.name}: expected {header_rows} header rows (column names, question text, "
            f"import ids) but the file has only {len(records)} line(s)")
    names = records[0]
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(names):
            raise SourceReadError(
                f"{path.name}: header row {number} has {len(record)} fields but row 1 has {len(names)}")
    import_ids = records[header_rows - 1]
    share = sum(v.startswith('{"ImportId"') for v in import_ids) / max(len(import_ids), 1)
    if share < 0.9:
        raise SourceReadError(
            f"{path.name}: row {header_rows} should hold the platform's import ids "
            f'({{"ImportId":"QID1"}}, …) but does not: export the survey with all three header '
            f"rows (column names, question text, import ids)")
    for value in import_ids:
        if value.startswith('{"ImportId"'):
            try:
                json.loads(value)
            except json.JSONDecodeError:
                raise SourceReadError(f"{path.name}: row {header_rows}: malformed import id {value!r}") from None
    return names, lines


def _header(path: Path, fmt: str, header_rows: int) -> tuple[list[str], int]:
    """(column names, number of physical header lines) of a source file."""
    if fmt == "survey_csv":
        return _survey_header(path, header_rows)
    if fmt == "csv":
        records, lines = _csv_records(path, 1)
        if not records or not any(records[0]):
            raise SourceReadError(f"{path.name}: the file is empty (no header row)")
        return records[0], lines
    if fmt == "parquet":
        con = duckdb.connect()
        try:
            rel = con.sql(f"select * from read_parquet({sql_str(path)}) limit 0")
        except duckdb.Error as exc:
            raise SourceReadError(f"{path.name}: not a readable Parquet file ({exc})") from None
        return list(rel.columns), 0
    if fmt == "xlsx":
        first = next(_xlsx_batches(path, header_only=True), None)
        return (first or []), 1
    if fmt == "sav":
        import pyreadstat
        try:
            _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
        except Exception as exc:  # pyreadstat raises its own ReadstatError and others
            raise SourceReadError(f"{path.name}: not a readable SPSS .sav file ({exc})") from None
        return list(meta.column_names), 0
    raise SourceReadError(f"{path.name}: format {fmt!r} cannot be read for this source")


# --- batch readers for formats DuckDB does not read itself --------------------------------------

def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN from SPSS system-missing
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _xlsx_batches(path: Path, header_only: bool = False) -> Iterator[list]:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise SourceReadError(f"{path.name}: not a readable Excel .xlsx file ({exc})") from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SourceReadError(f"{path.name}: the first sheet is empty (no header row)")
        names = [_cell_text(v) or f"column_{i + 1}" for i, v in enumerate(header)]
        yield names
        if header_only:
            return
        batch = []
        for row in rows:
            if row is None or all(v is None for v in row):
                continue  # trailing blank rows Excel keeps
            batch.append([_cell_text(v) for v in row[: len(names)]])
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        wb.close()


def _sav_batches(path: Path) -> Iterator[list]:
    import pyreadstat
    for frame, _ in pyreadstat.read_file_in_chunks(pyreadstat.read_sav, str(path), chunksize=BATCH_ROWS):
        yield [[_cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _load_batches(con, target: str, names: list[str], keep: list[str], batches: Iterator[list],
                  first_row: int) -> int:
    """Insert Python row batches (lists of text cells) into ``target`` via Arrow."""
    index = [names.index(k) for k in keep]
    n = 0
    for batch in batches:
        columns = {"source_row": pa.array(range(first_row + n, first_row + n + len(batch)), pa.int64())}
        for k, i in zip(keep, index):
            columns[k] = pa.array([r[i] if i < len(r) else None for r in batch], pa.string())
        arrow_batch = pa.table(columns)
        con.register("_pfc_batch", arrow_batch)
        con.execute(f"insert into {q(target)} select * from _pfc_batch")
        con.unregister("_pfc_batch")
        n += len(batch)
    return n


# --- the reader --------------------------------------------------------------------------------

def read_table(con: duckdb.DuckDBPyConnection, contract: SourceContract, table: TableContract,
               path: Path, fmt: str) -> ReadResult:
    """Read one source file into ``raw_<table>`` (text columns in contract order + source_row)."""
    if not path.is_file():
        raise SourceReadError(f"{path}: file not found")
    result = ReadResult(contract.source, table.table, path, fmt)
    names, header_lines = _header(path, fmt, contract.header_rows)
    seen = set()
    for name in names:
        if name in seen:
            raise ContractError(f"{path.name}: column {name!r} appears twice in the header")
        seen.add(name)
    by_name = {c.name: c for c in table.columns}
    keep = []
    for name in names:
        column = by_name.get(name)
        reason = ("contract marks it a direct identifier" if column is not None and column.is_identifier
                  else identifier_reason(name))
        if reason:
            result.identifiers.append((name, reason))
        elif column is None:
            result.unknown_columns.append(name)
        else:
            keep.append(name)
    for column in table.columns:
        if column.name not in seen and not column.is_identifier:
            if column.is_required:
                raise ContractError(
                    f"{path.name}: required column {column.name!r} is missing "
                    f"(see docs/sources/{contract.source}.md)")
            result.missing_columns.append(column.name)

    raw = f"raw_{table.table}"
    out_columns = [c.name for c in table.columns if not c.is_identifier]
    select_list = ", ".join(
        f"{q(c)}::varchar as {q(c)}" if c in keep else f"null::varchar as {q(c)}" for c in out_columns)
    con.execute(f"drop table if exists {q(raw)}")
    header_records = contract.header_rows if fmt == "survey_csv" else 1
    if fmt in ("csv", "survey_csv") and len(_csv_records(path, header_records + 1)[0]) <= header_records:
        create_empty_raw(con, table)  # a header and no data rows: a valid, empty extract
    elif fmt in ("csv", "survey_csv"):
        rejects, scans = f"_rej_{table.table}", f"_rejscan_{table.table}"
        name_list = "[" + ", ".join(sql_str(n) for n in names) + "]"
        options = (f"header=false, skip={header_lines}, names={name_list}, all_varchar=true, "
                   f"delim=',', quote='\"', escape='\"', store_rejects=true, "
                   f"rejects_table='{rejects}', rejects_scan='{scans}', strict_mode=true")
        con.execute(f"drop table if exists {rejects}; drop table if exists {scans}")
        try:
            con.execute(
                f"create table {q(raw)} as select row_number() over () + {header_lines} as source_row, "
                f"{select_list} from read_csv({sql_str(path)}, {options})")
        except duckdb.Error as exc:
            raise SourceReadError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
        result.rejected = [(int(line), error) for line, error in con.execute(
            f"select line, string_agg(distinct error_type, '; ' order by error_type) from {rejects} group by line order by line").fetchall()]
        if result.rejected:
            # Rows were numbered among the parsed ones; shift each past the rejected lines before it.
            con.execute(f"""
                update {q(raw)} set source_row = source_row + (
                    select count(*) from (select line - row_number() over (order by line) as before
                                          from (select distinct line from {rejects}))
                    where before < {q(raw)}.source_row - {header_lines})""")
        con.execute(f"drop table {rejects}; drop table {scans}")
    elif fmt == "parquet":
        con.execute(
            f"create table {q(raw)} as select row_number() over () as source_row, {select_list} "
            f"from read_parquet({sql_str(path)})")
    else:
        con.execute(f"create table {q(raw)} (source_row bigint, "
                    + ", ".join(f"{q(c)} varchar" for c in out_columns) + ")")
        con.execute(f"create temp table _pfc_load (source_row bigint, "
                    + ", ".join(f"{q(k)} varchar" for k in keep) + ")")
        if fmt == "xlsx":
            batches = _xlsx_batches(path)
            next(batches)  # the header
            first_row = 2
        else:
            batches, first_row = _sav_batches(path), 1
        _load_batches(con, "_pfc_load", names, keep, batches, first_row)
        con.execute(f"insert into {q(raw)} select source_row, {select_list} from _pfc_load")
        con.execute("drop table _pfc_load")
    result.rows_read = con.execute(f"select count(*) from {q(raw)}").fetchone()[0]
    return result


def create_empty_raw(con: duckdb.DuckDBPyConnection, table: TableContract) -> None:
    """An empty raw table for an absent source, so every model downstream still runs."""
    columns = [c.name for c in table.columns if not c.is_identifier]
    con.execute(f"drop table if exists {q('raw_' + table.table)}")
    con.execute(f"create table {q('raw_' + table.table)} (source_row bigint, "
                + ", ".join(f"{q(c)} varchar" for c in columns) + ")")
