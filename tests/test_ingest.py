"""The questionnaire read in long form: the answers staged are exactly the file's cells.

The reference here is an independent melt of the survey export with Python's csv module: every
non-blank answer cell of a staged response is either a row of stg_questionnaire_answers with the
same code, or an answer error in audit_issues naming its column. The other formats (Parquet, and
SPSS .sav with the letter-prefixed loop spelling an SPSS variable name needs) must stage the same
answers and children as the CSV export.
"""

from __future__ import annotations

import csv
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pfc_econ.contracts import contract_table
from pfc_econ.paths import DATA_DIR

ANSWERS = "select response_id, slot, field, answer_code from stg_questionnaire_answers"
CHILDREN = "select response_id, slot, person_id, age_months, pedsql_form, sdq_form from stg_questionnaire_children"


def _melt(path):
    """(response_id, column, text) for every non-blank answer cell of the export."""
    table = contract_table("questionnaire")
    answer_columns = {c.name: c for c in table.columns if c.block in ("service_use", "instrument")}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    names, data = rows[0], rows[3:]
    rid = names.index("ResponseId")
    return [(row[rid], name, value.strip()) for row in data for name, value in zip(names, row)
            if name in answer_columns and value.strip()], answer_columns


def _staged_answers(database):
    """(staged response ids, (response, column) of each answer error, the staged answers) of a run."""
    import duckdb
    with duckdb.connect(str(database), read_only=True) as con:
        staged = {r[0] for r in con.execute("select response_id from stg_questionnaire").fetchall()}
        flagged = {(r[0], r[1]) for r in con.execute(
            "select record_id, field from audit_issues where source_table = 'questionnaire_answers' "
            "and severity = 'error'").fetchall()}
        return staged, flagged, con.execute(ANSWERS).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import duckdb

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    folder = tmp_path_factory.mktemp("demo")
    shutil.copytree(DATA_DIR / "feasibility", folder / "data")
    result = run_pipeline(load_config(folder / "data" / "study.toml"), folder / "results")
    con = duckdb.connect(str(result.database), read_only=True)
    yield folder, con
    con.close()


def test_staged_answers_are_the_files_cells(demo):
    folder, con = demo
    cells, columns = _melt(folder / "data" / "questionnaire.csv")
    staged = {r[0] for r in con.execute("select response_id from stg_questionnaire").fetchall()}
    flagged = {(r[0], r[1]) for r in con.execute(
        "select record_id, field from audit_issues where source_table = 'questionnaire_answers' "
        "and severity = 'error'").fetchall()}
    expected = {(rid, columns[name].slot, columns[name].field, int(float(text)))
                for rid, name, text in cells if rid in staged and (rid, name) not in flagged}
    got = con.execute(ANSWERS).fetchall()
    assert len(got) == len(set(got)) == len(expected) > 1000
    assert set(got) == expected
    # every flagged answer is a real cell of the file, never an invented one
    assert flagged <= {(rid, name) for rid, name, _ in cells}


def test_cells_find_their_response_past_a_line_break_a_bad_line_and_a_blank_line(tmp_path):
    """The cells pass numbers rows by their place in the parse: a quoted line break (one record on
    two lines), a malformed line (quarantined) and a blank line must not shift any answer onto
    another response."""
    import duckdb

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    shutil.copytree(DATA_DIR / "feasibility", tmp_path / "data")
    path = tmp_path / "data" / "questionnaire.csv"
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    email = rows[0].index("RecipientEmail")
    rows[5][email] = "line one\nline two"  # a direct identifier (never read), spread over two lines
    bad_response = rows[9][rows[0].index("ResponseId")]
    rows[9].append("surplus")  # one field too many: the record is quarantined
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerows(rows[:15])
        fh.write("\n")  # a blank line is not a record
        writer.writerows(rows[15:])
    result = run_pipeline(load_config(tmp_path / "data" / "study.toml"), tmp_path / "results")
    staged, flagged, got = _staged_answers(result.database)
    with duckdb.connect(str(result.database), read_only=True) as con:
        lines = dict(con.execute("select response_id, source_row from stg_questionnaire").fetchall())
    assert bad_response not in staged and len(staged) == len(rows) - 3 - 1
    cells, columns = _melt(path)
    expected = {(rid, columns[name].slot, columns[name].field, int(float(text)))
                for rid, name, text in cells if rid in staged and (rid, name) not in flagged}
    assert len(got) == len(expected) > 500 and set(got) == expected
    # the record after the line break starts a line later; the one after the blank line, two
    assert lines[rows[6][rows[0].index("ResponseId")]] == 8
    assert lines[rows[15][rows[0].index("ResponseId")]] == 18


def test_a_stray_quote_quarantines_its_record_and_no_other_response_loses_an_answer(tmp_path):
    """A field that opens with a doubled quote ('""2023-...') makes its record malformed: that record
    is quarantined and every other response keeps exactly the answers of the clean file. (The cells
    pass once read the file with ignore_errors, which read no record after such a line while the
    narrow pass read them all: 16 of the demo's 23 staged responses lost every answer.)"""
    import duckdb

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    shutil.copytree(DATA_DIR / "feasibility", tmp_path / "data")
    path = tmp_path / "data" / "questionnaire.csv"
    clean_cells, columns = _melt(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[10] = lines[10].replace(",", ',"', 1)  # the 8th response's second field opens with ""
    path.write_text("".join(lines), encoding="utf-8")
    result = run_pipeline(load_config(tmp_path / "data" / "study.toml"), tmp_path / "results")
    staged, flagged, got = _staged_answers(result.database)
    with duckdb.connect(str(result.database), read_only=True) as con:
        quarantined = con.execute("select source_row from stg_quarantine where source = 'questionnaire'").fetchall()
    assert len(staged) == len(lines) - 3 - 1 and quarantined == [(11,)]
    expected = {(rid, columns[name].slot, columns[name].field, int(float(text)))
                for rid, name, text in clean_cells if rid in staged and (rid, name) not in flagged}
    assert len(got) == len(expected) > 3000 and set(got) == expected


def test_no_wide_raw_table_no_answer_check_table_and_narrow_answers(demo):
    _, con = demo
    width = con.execute("select count(*) from duckdb_columns() where table_name = 'raw_questionnaire'").fetchone()[0]
    respondent = [c for c in contract_table("questionnaire").columns if c.level == "respondent" and not c.is_identifier]
    assert width == len(respondent) + 1  # + source_row
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert "chk_questionnaire_answers" not in tables and "raw_questionnaire_cells" not in tables
    # the answers are stored narrow, without a string per answer; the named table is a view over them
    stored = con.execute("select column_name, data_type from duckdb_columns() "
                         "where table_name = 'stg_questionnaire_answer_values' order by column_index").fetchall()
    assert [name for name, _ in stored] == ["source_row", "column_id", "answer_code", "answer_value"]
    assert not [name for name, dtype in stored if dtype == "VARCHAR"]
    views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    assert "stg_questionnaire_answers" in views


def _other_format_run(tmp_path, make_study, run_study, fmt):
    import pandas as pd
    import pyreadstat
    source = DATA_DIR / "feasibility"
    config = make_study()
    folder = config.parent
    with open(source / "questionnaire.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    names, data = rows[0], rows[3:]
    # direct identifiers stay out of the test files too: drop them as a data manager would
    keep = [i for i, n in enumerate(names) if not contract_table("questionnaire").column(n).is_identifier]
    if fmt == "sav":  # an SPSS name has no spaces either: the optional duration column is left out
        keep = [i for i in keep if " " not in names[i]]
        spelt = [("v" + names[i]) if names[i][0].isdigit() else names[i] for i in keep]
        frame = pd.DataFrame([[row[i] or None for i in keep] for row in data], columns=spelt)
        for column in frame.columns:  # SPSS stores codes as numbers
            numeric = pd.to_numeric(frame[column], errors="coerce")
            if numeric.notna().sum() == frame[column].notna().sum():
                frame[column] = numeric
        pyreadstat.write_sav(frame, str(folder / "questionnaire.sav"))
    else:
        pq.write_table(pa.table({names[i]: [row[i] or None for row in data] for i in keep}),
                       folder / "questionnaire.parquet")
    for name in ("randomisation.csv", "sau_log.csv"):
        shutil.copy(source / name, folder / name)
    text = config.read_text().replace('path = "questionnaire.csv"\nformat = "survey_csv"',
                                      f'path = "questionnaire.{fmt}"\nformat = "{fmt}"')
    config.write_text(text.replace('[sources.nspcc_activity]\npath = "nspcc_activity.csv"\n',
                                   '[sources.nspcc_activity]\npath = "nspcc_activity.csv"\nenabled = false\n'))
    return run_study(config, out=f"results_{fmt}"), len(data)


@pytest.mark.parametrize("fmt", ["sav", "parquet"])
def test_other_formats_stage_the_same_answers(demo, tmp_path, make_study, run_study, fmt):
    _, reference = demo
    con, n_rows = _other_format_run(tmp_path, make_study, run_study, fmt)
    assert sorted(con.execute(ANSWERS).fetchall()) == sorted(reference.execute(ANSWERS).fetchall())
    assert sorted(con.execute(CHILDREN).fetchall()) == sorted(reference.execute(CHILDREN).fetchall())
    row = con.execute("select rows_in, rows_staged + rows_quarantined, is_balanced from audit_reconciliation "
                      "where source_table = 'questionnaire'").fetchone()
    assert row == (n_rows, n_rows, True)


def _tables(con) -> dict[str, list[str]]:
    rows = con.execute("select table_name, column_name from duckdb_columns() where database_name = current_database() "
                       "order by table_name, column_index").fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def test_warm_rerun_gives_the_tables_of_a_cold_run(make_study, tmp_path):
    """A changed price year re-uses the staged sources (manifest says so) and every table equals
    a cold run's of the same config (raw_sources.seconds apart: the time the first run took)."""
    import json

    import duckdb

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    config = make_study()
    first = run_pipeline(load_config(config), tmp_path / "results")
    assert json.loads(first.manifest.read_text())["reused"] == {}
    config.write_text(config.read_text().replace('name = "test"', 'name = "test"\ntarget_price_year = "2022/23"'))
    warm = run_pipeline(load_config(config), tmp_path / "results")
    reused = json.loads(warm.manifest.read_text())["reused"]
    assert "stg_questionnaire_answer_values" in reused["tables"] and "raw_questionnaire" in reused["tables"]
    assert "int_resource_use" not in reused["tables"]
    cold = run_pipeline(load_config(config), tmp_path / "cold")
    assert json.loads(cold.manifest.read_text())["reused"] == {}
    with duckdb.connect(str(warm.database), read_only=True) as w, duckdb.connect(str(cold.database), read_only=True) as c:
        warm_tables, cold_tables = _tables(w), _tables(c)
        assert warm_tables == cold_tables
        assert c.execute("select count(distinct price_year) from fct_family_costs").fetchone()[0] == 1
        assert w.execute("select any_value(price_year) from fct_family_costs").fetchone()[0] == "2022/23"
        w.execute(f"attach '{cold.database}' as cold (read_only)")
        for table, columns in warm_tables.items():
            cols = ", ".join(f'"{c}"' for c in columns if not (table == "raw_sources" and c == "seconds"))
            for a, b in ((table, f"cold.{table}"), (f"cold.{table}", table)):
                diff = w.execute(f'select count(*) from (select {cols} from {a} except all select {cols} from {b})')
                assert diff.fetchone()[0] == 0, table
