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

For CSV the second pass finds each cell's line by its row's place in the parse: both passes skip
the same malformed lines, so the n-th row parsed is the n-th row of the narrow pass in line order
(an integer join; the response id's string join cost more than the unpivot); Parquet has row
numbers of its own; SPSS and Excel arrive in batches through Arrow, converted only in the columns
the contract keeps. Direct identifiers are never selected.
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
    """DuckDB estimates the unpivoted cells (millions) as fewer than the responses they join (tens of
    thousands) and builds its hash table on the cells: at 20,000 families the read's peak was
    1.1 GB instead of 0.55 GB. With its side-swapping optimizer off, the join builds on the side
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


def _unpivot_sql(select_sql: str, cell_columns: dict[str, int], key: str, keyed: str | None) -> str:
    """Insert the non-blank cells of ``select_sql`` (which selects ``key`` and ``_cell_select``)."""
    columns = ", ".join(f'"{position}"' for position in cell_columns.values())
    join = f"join {keyed} as k using ({key})" if keyed else ""
    row = "k.source_row" if keyed else f"u.{key}"
    return f"""
        insert into {CELLS}
        select {row}, u.column_id::integer, u.raw_value
        from (unpivot ({select_sql}) on {columns} into name column_id value raw_value) as u
        {join}"""


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
            # Both passes skip the same malformed lines, so the n-th row parsed is the n-th row of
            # raw_questionnaire in line order; a response id that is blank or repeated is quarantined
            # in chk_questionnaire, so its cells are not needed.
            con.execute(f"""create or replace temp table _pfc_response_rows as
                select _parse_index, source_row
                from (select row_number() over (order by source_row) as _parse_index, source_row, "ResponseId"
                      from {raw})
                where "ResponseId" is not null qualify count(*) over (partition by "ResponseId") = 1""")
            source = (f"select row_number() over () as _parse_index, {cell_select} "
                      f"from read_csv({sql_str(path)}, {csv_options(file_names, header_lines, None)})")
            with _joins_build_on_the_right(con):
                execute_read(con, _unpivot_sql(source, cell_columns, "_parse_index", "_pfc_response_rows"), path,
                             "cannot be read as CSV")
            con.execute("drop table _pfc_response_rows")
    elif fmt == "parquet":
        from_parquet = f"from read_parquet({sql_str(path)}, file_row_number = true)"
        unreadable = "not a readable Parquet file"
        execute_read(con, f"create table {raw} as select file_row_number + 1 as source_row, {resp_select} {from_parquet}",
                     path, unreadable)
        if cell_columns:
            execute_read(con, _unpivot_sql(f"select file_row_number + 1 as source_row, {cell_select} {from_parquet}",
                                           cell_columns, "source_row", None), path, unreadable)
    else:
        create_empty_raw(con, table)
        batches, first_row = column_batches(path, fmt, sheet, [file_name_of.get(n, n) for n in names],
                                            {k: file_name_of[k] for k in keep})
        kept_respondent = [c for c in respondent if c in kept]
        insert = (f"insert into {raw} by name select source_row, {', '.join(q(c) for c in kept_respondent)} "
                  f"from _pfc_batch;")
        if cell_columns:
            insert += _unpivot_sql(f"select source_row, {_cell_select(cell_columns, q)} from _pfc_batch",
                                   cell_columns, "source_row", None)
        load_batches(con, raw, keep, batches, first_row, insert)
    result.rows_read = con.execute(f"select count(*) from {raw}").fetchone()[0]
    return result
