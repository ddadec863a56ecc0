"""The questionnaire, read straight into long form: no wide raw table of every exported column.

A survey export has about 1,500 columns, of which 28 describe the respondent and the rest are
answers (service use, instrument items, child blocks). Two passes over the file, both in DuckDB:

1. a narrow pass: the respondent columns and the file's line number, as ``raw_questionnaire``
   (the generated contract checks type it into ``chk_questionnaire``);
2. one generated ``UNPIVOT`` of the contract's answer and child-block columns, keeping only the
   cells that hold something, keyed by integers: ``raw_questionnaire_cells`` (source_row,
   column_id = the column's position in the contract, raw_value). It is a temporary table: the
   checks (sql/staging/chk_questionnaire_*.sql) join it to the contract and to the staged
   responses, and stg_questionnaire_answer_values is what the database keeps.

For CSV the second pass finds each row's line by its response id, joined per row before the
unpivot (a join per cell, after it, cost more than the unpivot), so the file is read on every
thread: numbering the rows as parsed, as the narrow pass does for the line numbers, keeps a read
on one. Parquet has row numbers of its own; SPSS and Excel arrive in batches through Arrow,
converted only in the columns the contract keeps. Direct identifiers are never selected.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from .contracts import TableContract
from .readers import (ReadResult, column_batches, create_empty_raw, csv_options, execute_read, load_batches,
                      q, read_csv_into, sql_str)

CELLS = "raw_questionnaire_cells"


def _create_cells(con) -> None:
    con.execute(f"create or replace temp table {CELLS} (source_row bigint, column_id integer, raw_value varchar)")


@contextmanager
def _joins_build_on_the_right(con):
    """The survey's second pass joins each row read from the file (about 1,400 columns) to the
    responses (two columns). DuckDB estimated the side read from the file as the smaller and built
    its hash table there (at 20,000 families the ingest took 5.9 s to read and peaked at 1.4 GB,
    against 3.5 s and 0.9 GB). With its side-swapping optimizer off, the join builds on the side
    written on the right (the responses); the session's own setting is put back afterwards."""
    before = con.execute("select current_setting('disabled_optimizers')").fetchone()[0]
    con.execute("set disabled_optimizers = ?", [",".join(filter(None, [before, "build_side_probe_side"]))])
    try:
        yield
    finally:
        con.execute("set disabled_optimizers = ?", [before])


def _cell_select(cell_columns: dict[str, int], expression) -> str:
    """Each cell column, read by ``expression(name)`` and named by its contract position: the
    unpivoted name is then the key itself (joining ~9 million names back to positions cost more
    than the unpivot)."""
    return ", ".join(f'{expression(name)} as "{position}"' for name, position in cell_columns.items())


def _unpivot_sql(select_sql: str, cell_columns: dict[str, int]) -> str:
    """Insert the non-blank cells of ``select_sql`` (which selects ``source_row`` and ``_cell_select``)."""
    columns = ", ".join(f'"{position}"' for position in cell_columns.values())
    return f"""
        insert into {CELLS}
        select u.source_row, u.column_id::integer, u.raw_value
        from (unpivot ({select_sql}) on {columns} into name column_id value raw_value) as u"""


def read_questionnaire(con, table: TableContract, path: Path, fmt: str, sheet: str | None,
                       names: list[str], file_name_of: dict[str, str], keep: list[str],
                       header_lines: int, result: ReadResult, start_lines=None) -> ReadResult:
    """Read a questionnaire export into raw_questionnaire (respondent columns) and the
    temporary raw_questionnaire_cells (one row per non-blank answer or child-block cell)."""
    kept = set(keep)
    respondent = [c.name for c in table.columns if c.level == "respondent" and not c.is_identifier]
    cell_columns = {c.name: position for position, c in enumerate(table.columns, start=1)
                    if c.level != "respondent" and c.name in kept}
    resp_select = ", ".join(f"{q(file_name_of[c])}::varchar as {q(c)}" if c in kept else f"null::varchar as {q(c)}"
                            for c in respondent)
    cell_select = _cell_select(cell_columns, lambda c: f"{q(file_name_of[c])}::varchar")
    raw = "raw_questionnaire"
    con.execute(f"drop table if exists {raw}")
    _create_cells(con)
    if fmt in ("csv", "survey_csv") and result.rows_in_file == 0:
        create_empty_raw(con, table)
    elif fmt in ("csv", "survey_csv"):
        file_names = [file_name_of.get(n, n) for n in names]
        result.rejected = read_csv_into(con, raw, path, file_names, header_lines, resp_select, start_lines)
        if cell_columns:
            # Each row of the second pass finds its line by its response id, joined per row (tens of
            # thousands) before the unpivot, not per cell: the pass then reads the file on every
            # thread (numbering the rows as parsed kept it on one). A response id that is blank or
            # repeated is quarantined in chk_questionnaire, so its cells are not needed.
            rid = table.record_id
            con.execute(f"""create or replace temp table _pfc_response_rows as
                select {q(rid)} as _response_id, source_row from {raw}
                where {q(rid)} is not null qualify count(*) over (partition by {q(rid)}) = 1""")
            # The same options as the narrow pass, rejects table included: with ignore_errors instead,
            # DuckDB read no record after a line with a stray quote, and every later response lost its
            # answers (tests/test_ingest.py).
            rejects = "_rej_raw_questionnaire_cells"
            source = (f"select k.source_row, {cell_select} "
                      f"from read_csv({sql_str(path)}, {csv_options(file_names, header_lines, rejects)}) as r "
                      f"join _pfc_response_rows as k on k._response_id = r.{q(file_name_of.get(rid, rid))}")
            with _joins_build_on_the_right(con):
                execute_read(con, _unpivot_sql(source, cell_columns), path, "cannot be read as CSV")
            con.execute(f"drop table _pfc_response_rows; drop table if exists {rejects}; drop table if exists {rejects}_scan")
    elif fmt == "parquet":
        from_parquet = f"from read_parquet({sql_str(path)}, file_row_number = true)"
        unreadable = "not a readable Parquet file"
        execute_read(con, f"create table {raw} as select file_row_number + 1 as source_row, {resp_select} {from_parquet}",
                     path, unreadable)
        if cell_columns:
            execute_read(con, _unpivot_sql(f"select file_row_number + 1 as source_row, {cell_select} {from_parquet}",
                                           cell_columns), path, unreadable)
    else:
        create_empty_raw(con, table)
        batches, first_row = column_batches(path, fmt, sheet, [file_name_of.get(n, n) for n in names],
                                            {k: file_name_of[k] for k in keep})
        kept_respondent = [c for c in respondent if c in kept]
        insert = (f"insert into {raw} by name select source_row, {', '.join(q(c) for c in kept_respondent)} "
                  f"from _pfc_batch;")
        if cell_columns:
            insert += _unpivot_sql(f"select source_row, {_cell_select(cell_columns, q)} from _pfc_batch",
                                   cell_columns)
        load_batches(con, raw, keep, batches, first_row, insert)
    result.rows_read = con.execute(f"select count(*) from {raw}").fetchone()[0]
    return result
