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
from array import array
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from .contracts import SourceContract, TableContract
from .errors import ContractError, SourceReadError
from .file_rows import count_csv_records
from .identifiers import identifier_reason
from .resources import is_exhaustion

BATCH_ROWS = 50_000


@dataclass
class ReadResult:
    """What reading one table of a source found."""

    source: str
    table: str
    file: Path
    format: str
    rows_read: int = 0
    rows_in_file: int | None = None  # data rows counted in the file itself (CSV: pfc_econ/file_rows.py)
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


def _header(path: Path, fmt: str, header_rows: int, sheet: str | None = None) -> tuple[list[str], int]:
    """(column names, number of physical header lines) of a source file."""
    if fmt == "survey_csv":
        return _survey_header(path, header_rows)
    if fmt == "csv":
        records, lines = _csv_records(path, 1)
        if not records:
            raise SourceReadError(f"{path.name}: the file is empty (no header row)")
        if not any(records[0]):
            raise SourceReadError(f"{path.name}: row 1 is blank; the first row must hold the column names")
        return records[0], lines
    if fmt == "parquet":
        con = duckdb.connect()
        try:
            rel = con.sql(f"select * from read_parquet({sql_str(path)}) limit 0")
        except duckdb.Error as exc:
            raise SourceReadError(f"{path.name}: not a readable Parquet file ({exc})") from None
        return list(rel.columns), 0
    if fmt == "xlsx":
        first = next(_xlsx_batches(path, sheet, header_only=True), None)
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


def _sheet_has_rows(ws) -> bool:
    return any(any(v is not None for v in row) for row in ws.iter_rows(values_only=True))


def _open_sheet(wb, path: Path, sheet: str | None):
    """The worksheet holding the extract: the one named, or the only one with data. Rows on any
    other sheet would never be read, so a workbook with data on several sheets is refused."""
    if sheet:
        if sheet not in wb.sheetnames:
            raise SourceReadError(f"{path.name}: no sheet named {sheet!r} (the workbook has: "
                                  f"{', '.join(wb.sheetnames)})")
        return wb[sheet]
    with_data = [ws for ws in wb.worksheets if _sheet_has_rows(ws)]
    if len(with_data) > 1:
        raise SourceReadError(
            f"{path.name}: {len(with_data)} sheets hold data ({', '.join(ws.title for ws in with_data)}); "
            f"put the extract on one sheet, or name it with sheet = \"...\" in the source's section of "
            f"the study config")
    return with_data[0] if with_data else wb.worksheets[0]


def _xlsx_batches(path: Path, sheet: str | None = None, header_only: bool = False) -> Iterator[list]:
    """The header (cell text), then batches of raw row tuples; cells are converted later, only
    in the columns the contract keeps."""
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise SourceReadError(f"{path.name}: not a readable Excel .xlsx file ({exc})") from None
    try:
        ws = _open_sheet(wb, path, sheet)
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SourceReadError(f"{path.name}: sheet {ws.title!r} is empty (no header row)")
        if not any(_cell_text(v) for v in header):
            raise SourceReadError(f"{path.name}: row 1 is blank; the first row must hold the column names")
        yield [_cell_text(v) or f"column_{i + 1}" for i, v in enumerate(header)]
        if header_only:
            return
        batch = []
        try:
            for row in rows:
                if row is None or all(v is None for v in row):
                    continue  # trailing blank rows Excel keeps
                batch.append(row)
                if len(batch) >= BATCH_ROWS:
                    yield batch
                    batch = []
        except Exception as exc:  # a damaged sheet inside a readable zip
            raise SourceReadError(f"{path.name}: sheet {ws.title!r} cannot be read ({exc})") from None
        if batch:
            yield batch
    finally:
        wb.close()


def _xlsx_columns(path: Path, sheet: str | None, names: list[str], keep: dict[str, str]) -> Iterator[dict]:
    """Batches of {contract column: cell texts}, converting only the kept columns, one at a time."""
    index = {k: names.index(f) for k, f in keep.items()}
    batches = _xlsx_batches(path, sheet)
    next(batches)  # the header
    for batch in batches:
        yield {k: [_cell_text(r[i]) if i < len(r) else None for r in batch] for k, i in index.items()}


def _column_text(values) -> list:
    """Cell texts of one column (as _cell_text), vectorised for float columns (most SPSS cells)."""
    import numpy as np
    arr = values.to_numpy()
    if arr.dtype.kind != "f":
        return [_cell_text(v) for v in values.tolist()]
    out = np.full(len(arr), None, dtype=object)
    whole = np.isfinite(arr) & (np.floor(arr) == arr) & (np.abs(arr) < 2.0 ** 53)
    out[whole] = arr[whole].astype(np.int64).astype(str)
    rest = ~np.isnan(arr) & ~whole
    out[rest] = [_cell_text(float(v)) for v in arr[rest]]
    return out.tolist()


def _sav_columns(path: Path, keep: dict[str, str]) -> Iterator[dict]:
    """Batches of {contract column: cell texts}: pyreadstat reads only the kept columns."""
    import pyreadstat
    try:
        for frame, _ in pyreadstat.read_file_in_chunks(pyreadstat.read_sav, str(path), chunksize=BATCH_ROWS,
                                                       usecols=list(keep.values())):
            yield {k: _column_text(frame[f]) for k, f in keep.items()}
    except (SourceReadError, ContractError):
        raise
    except Exception as exc:  # pyreadstat.ReadstatError and friends: a damaged file
        raise SourceReadError(f"{path.name}: not a readable SPSS .sav file ({str(exc).splitlines()[0]})") from None


def column_batches(path: Path, fmt: str, sheet: str | None, names: list[str], keep: dict[str, str]) -> tuple[Iterator[dict], int]:
    """(batches of kept columns, source_row of the first data row) for xlsx and sav files."""
    if fmt == "xlsx":
        return _xlsx_columns(path, sheet, names, keep), 2
    return _sav_columns(path, keep), 1


def load_batches(con, target: str, columns: list[str], batches: Iterator[dict], first_row: int,
                 insert_sql: str | None = None) -> int:
    """Insert column batches into ``target`` via Arrow (``insert_sql`` reads ``_pfc_batch``)."""
    n = 0
    for batch in batches:
        size = len(next(iter(batch.values()))) if batch else 0
        arrays = {"source_row": pa.array(range(first_row + n, first_row + n + size), pa.int64())}
        arrays.update({c: pa.array(batch[c], pa.string()) for c in columns})
        con.register("_pfc_batch", pa.table(arrays))
        con.execute(insert_sql or f"insert into {q(target)} by name select * from _pfc_batch")
        con.unregister("_pfc_batch")
        n += size
    return n


def execute_read(con, sql: str, path: Path, what: str) -> None:
    """Run a statement that reads ``path``; a DuckDB error is one line naming the file."""
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        if is_exhaustion(exc):  # the machine's memory or disk, not the file: pfc_econ/resources.py
            raise
        raise SourceReadError(f"{path.name}: {what} ({str(exc).splitlines()[0]})") from None


def csv_options(names: list[str], header_lines: int, rejects: str) -> str:
    """read_csv options: the header is ours (no sniffing), every column text; malformed lines go
    to ``rejects`` (line number and error only). Never ``ignore_errors`` alone: after a line with a
    stray quote it read no further record, where ``store_rejects`` reads them all."""
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    options = (f"header=false, skip={header_lines}, auto_detect=false, columns={columns}, "
               f"delim=',', quote='\"', escape='\"', strict_mode=true")
    return options + f", store_rejects=true, rejects_table='{rejects}', rejects_scan='{rejects}_scan'"


def count_file_rows(path: Path, fmt: str, header_lines: int) -> tuple[int | None, array | None]:
    """(data rows counted in the file itself, independently of the reader; for CSV the first line
    of each record). CSV: a line scan (an error names the line where a quote opens and never
    closes); Parquet: the row count in the file's footer; SPSS: the case count in its header.
    Excel has no such count."""
    if fmt in ("csv", "survey_csv"):
        found = count_csv_records(path, header_lines)
        if found.unterminated_line is not None:
            raise SourceReadError(
                f"{path.name}: line {found.unterminated_line}: a quoted field opens here and never closes, "
                f"so every line after it would be read as part of it; close the quote and export again")
        return found.n_records, found.start_lines
    if fmt == "parquet":
        try:
            return int(duckdb.connect().execute(
                f"select coalesce(sum(num_rows), 0) from parquet_file_metadata({sql_str(path)})").fetchone()[0]), None
        except duckdb.Error as exc:
            raise SourceReadError(f"{path.name}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    if fmt == "sav":
        import pyreadstat
        try:
            rows = pyreadstat.read_sav(str(path), metadataonly=True)[1].number_rows
        except Exception as exc:  # pyreadstat.ReadstatError: a damaged file
            raise SourceReadError(f"{path.name}: not a readable SPSS .sav file ({str(exc).splitlines()[0]})") from None
        return (None if rows is None or rows < 0 else int(rows)), None
    return None, None


def read_csv_into(con, raw: str, path: Path, names: list[str], header_lines: int, select_list: str,
                  start_lines: array | None = None) -> list:
    """``raw`` from a CSV file, each row numbered by the file line it starts on; returns the
    malformed lines (line number and error only)."""
    rejects = f"_rej_{raw}"
    con.execute(f"drop table if exists {rejects}; drop table if exists {rejects}_scan")
    execute_read(con, f"create table {q(raw)} as select row_number() over () + {header_lines} as source_row, "
                      f"{select_list} from read_csv({sql_str(path)}, {csv_options(names, header_lines, rejects)})",
                 path, "cannot be read as CSV")
    rejected = [(int(line), error) for line, error in con.execute(
        f"select line, string_agg(distinct error_type, '; ' order by error_type) from {rejects} group by line order by line").fetchall()]
    bad = {line for line, _ in rejected}
    lines = [line for line in (start_lines or []) if line not in bad]
    n_rows = con.execute(f"select count(*) from {q(raw)}").fetchall()[0][0]
    if len(lines) == n_rows and lines != list(range(header_lines + 1, header_lines + 1 + n_rows)):
        # blank lines, line breaks inside quotes or rejected lines: number each row by its own line
        con.register("_pfc_lines", pa.table({"row": pa.array(range(header_lines + 1, header_lines + 1 + n_rows),
                                                              pa.int64()), "line": pa.array(lines, pa.int64())}))
        con.execute(f"update {q(raw)} set source_row = m.line from _pfc_lines as m where {q(raw)}.source_row = m.row")
        con.unregister("_pfc_lines")
    elif rejected:
        # Rows were numbered among the parsed ones; shift each past the rejected lines before it.
        con.execute(f"""
            update {q(raw)} set source_row = source_row + (
                select count(*) from (select line - row_number() over (order by line) as before
                                      from (select distinct line from {rejects}))
                where before < {q(raw)}.source_row - {header_lines})""")
    con.execute(f"drop table {rejects}; drop table {rejects}_scan")
    return rejected


# --- the reader --------------------------------------------------------------------------------

def _kept_columns(result: ReadResult, table: TableContract, names: list[str], path: Path,
                  contract: SourceContract) -> list[str]:
    """The contract columns to read (identifiers never; unknown and missing ones reported)."""
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
    return keep


def read_table(con: duckdb.DuckDBPyConnection, contract: SourceContract, table: TableContract,
               path: Path, fmt: str, sheet: str | None = None) -> ReadResult:
    """Read one source file into ``raw_<table>`` (text columns in contract order + source_row).
    The questionnaire is read in long form instead (pfc_econ/read_survey.py)."""
    if not path.is_file():
        raise SourceReadError(f"{path}: file not found")
    result = ReadResult(contract.source, table.table, path, fmt)
    sheet = sheet or contract.extra.get("sheet")
    file_names, header_lines = _header(path, fmt, contract.header_rows, sheet)
    names = file_names
    if contract.source == "questionnaire":
        from .survey_columns import describe_unrecognised, match_child_columns
        children = match_child_columns(contract, table, file_names)
        if children.unrecognised:
            raise ContractError(f"{path.name}: {describe_unrecognised(contract, children.unrecognised)}")
        names = [children.renamed.get(n, n) for n in file_names]
    keep = _kept_columns(result, table, names, path, contract)
    file_name_of = dict(zip(names, file_names))
    result.rows_in_file, start_lines = count_file_rows(path, fmt, header_lines)
    if contract.source == "questionnaire":
        from .read_survey import read_questionnaire
        return read_questionnaire(con, table, path, fmt, sheet, names, file_name_of, keep, header_lines, result,
                                  start_lines)

    raw = f"raw_{table.table}"
    out_columns = [c.name for c in table.columns if not c.is_identifier]
    select_list = ", ".join(
        f"{q(file_name_of[c])}::varchar as {q(c)}" if c in keep else f"null::varchar as {q(c)}" for c in out_columns)
    con.execute(f"drop table if exists {q(raw)}")
    if fmt in ("csv", "survey_csv") and result.rows_in_file == 0:
        create_empty_raw(con, table)  # a header and no data rows: a valid, empty extract
    elif fmt in ("csv", "survey_csv"):
        result.rejected = read_csv_into(con, raw, path, file_names, header_lines, select_list, start_lines)
    elif fmt == "parquet":
        execute_read(con, f"create table {q(raw)} as select file_row_number + 1 as source_row, {select_list} "
                          f"from read_parquet({sql_str(path)}, file_row_number = true)", path, "not a readable Parquet file")
    else:
        create_empty_raw(con, table)
        batches, first_row = column_batches(path, fmt, sheet, file_names, {k: file_name_of[k] for k in keep})
        load_batches(con, raw, keep, batches, first_row)
    result.rows_read = con.execute(f"select count(*) from {q(raw)}").fetchone()[0]
    return result


def create_empty_raw(con: duckdb.DuckDBPyConnection, table: TableContract) -> None:
    """An empty raw table for an absent source, so every model downstream still runs (for the
    questionnaire, its respondent columns: the answers are read in long form)."""
    columns = [c.name for c in table.columns if not c.is_identifier and c.level in ("record", "respondent")]
    con.execute(f"drop table if exists {q('raw_' + table.table)}")
    con.execute(f"create table {q('raw_' + table.table)} (source_row bigint, "
                + ", ".join(f"{q(c)} varchar" for c in columns) + ")")
