"""Reading faults: damaged copies of each source format, each with its exact outcome.

An unreadable file is one line on stderr naming the file (and the line, where there is one) and
exit 2; a file that breaks its contract is one line and exit 1 (pfc_econ/errors.py); a damaged
row is quarantined and the reconciliation balances against the number of data rows counted here,
independently, from the file itself.
"""

from __future__ import annotations

import csv
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NSPCC, QUESTIONNAIRE, SAU, questionnaire_columns, write_csv, write_survey
from pfc_econ.cli import main
from pfc_econ.errors import ConfigError, ContractError, SourceReadError

SAU_COLUMNS = list(SAU[0])


def exit_code(error: type) -> int:
    """The exit code the CLI gives an error type (1 data or config, 2 unreadable file)."""
    return getattr(error, "exit_code", 2)


def run_cli(config, tmp_path, capsys) -> tuple[int, str]:
    code = main(["run", "--config", str(config), "--out", str(tmp_path / "out")])
    return code, capsys.readouterr().err


def assert_one_line(err: str, *parts: str) -> None:
    assert err.startswith("pfc-econ: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, (part, err)


def data_rows(path, header_lines: int = 1) -> int:
    """Records after the header, counted with Python's csv module (not the engine's reader)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for record in list(csv.reader(fh))[header_lines:] if record)


def reconciliation(con, table: str):
    return con.execute("select rows_in, rows_staged, rows_quarantined, is_balanced from audit_reconciliation "
                       "where source_table = ?", [table]).fetchone()


def quarantined(con, table: str):
    return con.execute("select source_row, rules from stg_quarantine where source_table = ? order by 1",
                       [table]).fetchall()


SAU_LINE = "S{n},PFC-B-002,2023-08-0{n},home_visit,60,20,social_worker,none,attended\n"


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_unterminated_quote_names_its_line(make_study, tmp_path, capsys):
    config = make_study()
    path = config.parent / "sau_log.csv"
    path.write_text(path.read_text() + SAU_LINE.format(n=2) + 'S3,PFC-B-002,"2023-08-03,home_visit,60\n'
                    + SAU_LINE.format(n=4))
    code, err = run_cli(config, tmp_path, capsys)
    assert code == exit_code(SourceReadError) == 2
    assert_one_line(err, "sau_log.csv: line 4: a quoted field opens here and never closes")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("line, error", [
    ("S2,PFC-B-002,2023-08-01,home_visit,60,20,social_worker,none,attended,extra\n", "TOO MANY COLUMNS"),
    ("S2,PFC-B-002,2023-08-01,home_visit\n", "MISSING COLUMNS"),
])
def test_csv_line_with_wrong_field_count_is_quarantined(make_study, run_study, line, error):
    config = make_study()
    path = config.parent / "sau_log.csv"
    path.write_text(path.read_text() + line + SAU_LINE.format(n=3))
    con = run_study(config)
    assert quarantined(con, "sau_log") == [(3, ["malformed_line"])]
    assert con.execute("select message from audit_issues where rule = 'malformed_line'").fetchone()[0] == (
        f"line cannot be parsed: {error}")
    n = data_rows(path)
    assert n == 3 and reconciliation(con, "sau_log") == (n, 2, 1, True)


def test_csv_blank_lines_are_not_rows(make_study, run_study):
    config = make_study()
    path = config.parent / "sau_log.csv"
    path.write_text(path.read_text() + "\n" + SAU_LINE.format(n=2) + "\n\n" + SAU_LINE.format(n=3))
    con = run_study(config)
    n = data_rows(path)
    assert n == 3 and reconciliation(con, "sau_log") == (3, 3, 0, True)
    assert con.execute("select record_id, source_row from stg_sau_log order by 1").fetchall() == [
        ("S1", 2), ("S2", 4), ("S3", 7)]


def test_csv_quoted_line_break_and_crlf_are_one_row(make_study, run_study):
    config = make_study()
    path = config.parent / "sau_log.csv"
    rows = [SAU[0], dict(SAU[0], log_id="S2", referral_to="none"), dict(SAU[0], log_id="S3")]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, SAU_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    text = path.read_text(encoding="utf-8").replace("S2,PFC-B-002", 'S2,"PFC-B-\n002"', 1)
    path.write_text(text, encoding="utf-8")
    con = run_study(config)
    n = data_rows(path)
    assert n == 3 and reconciliation(con, "sau_log")[0] == 3
    assert reconciliation(con, "sau_log")[3]


def test_csv_that_is_not_text_is_unreadable(make_study, tmp_path, capsys):
    config = make_study()
    (config.parent / "sau_log.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "sau_log.csv: not a UTF-8 text file")


def test_csv_header_only_is_an_empty_extract(make_study, run_study):
    config = make_study()
    write_csv(config.parent / "sau_log.csv", [], SAU_COLUMNS)
    con = run_study(config)
    assert reconciliation(con, "sau_log") == (0, 0, 0, True)


# --- survey CSV ----------------------------------------------------------------------------------

def _survey_with_child_columns(config, rename: dict[str, str]):
    columns = [rename.get(c, c) for c in questionnaire_columns()]
    rows = [{rename.get(k, k): v for k, v in row.items()} for row in QUESTIONNAIRE]
    write_survey(config.parent / "questionnaire.csv", rows, columns)


@pytest.mark.parametrize("prefix", ["child1_", "c1_"])
def test_survey_child_block_under_an_unknown_prefix_is_an_error_naming_it(make_study, tmp_path, capsys, prefix):
    config = make_study()
    _survey_with_child_columns(config, {"1_child_id": prefix + "child_id", "1_child_sex": prefix + "child_sex",
                                        "1_pedsql_tod_1": prefix + "pedsql_tod_1"})
    code, err = run_cli(config, tmp_path, capsys)
    assert code == exit_code(ContractError)
    assert_one_line(err, "questionnaire.csv: child block(s)", f"'{prefix}'", f"{prefix}child_id", "not recognised")


def test_survey_child_block_beyond_the_contracts_last_is_an_error(make_study, tmp_path, capsys):
    config = make_study()
    columns = questionnaire_columns() + ["7_child_id", "7_child_age_months"]
    write_survey(config.parent / "questionnaire.csv", QUESTIONNAIRE, columns)
    code, err = run_cli(config, tmp_path, capsys)
    assert code == exit_code(ContractError)
    assert_one_line(err, "'7_' (7_child_id, 7_child_age_months)", "blocks 1 to 6")


@pytest.mark.parametrize("letter", ["v", "X", "A"])
def test_survey_child_blocks_spelt_as_spss_needs_are_staged(make_study, run_study, letter):
    config = make_study()
    children = [c for c in questionnaire_columns() if c[0].isdigit()]
    _survey_with_child_columns(config, {c: letter + c for c in children})
    con = run_study(config)
    assert con.execute("select person_id, slot from stg_questionnaire_children order by 1").fetchall() == [
        ("PFC-B-001-C1", 1), ("PFC-B-001-C1", 1), ("PFC-B-002-C1", 1)]
    assert con.execute("select field, answer_code from stg_questionnaire_answers where person_id = 'PFC-B-001-C1' "
                       "order by field").fetchall() == [("pedsql_tod_1", 0), ("sdq_1", 2)]
    assert con.execute("select count(*) from audit_issues where rule = 'unknown_column'").fetchone()[0] == 0


def test_survey_unterminated_quote_names_its_line(make_study, tmp_path, capsys):
    config = make_study()
    path = config.parent / "questionnaire.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].replace("R_b002t1", '"R_b002t1', 1)  # physical line 5: the second response
    path.write_text("".join(lines), encoding="utf-8")
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "questionnaire.csv: line 5: a quoted field opens here and never closes")


def test_survey_line_with_too_many_fields_is_quarantined_and_balances(make_study, run_study):
    config = make_study()
    path = config.parent / "questionnaire.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].rstrip("\n") + ",surplus\n"  # the third response, physical line 6
    path.write_text("".join(lines), encoding="utf-8")
    con = run_study(config)
    assert quarantined(con, "questionnaire") == [(6, ["malformed_line"])]
    n = data_rows(path, header_lines=3)
    assert n == 3 and reconciliation(con, "questionnaire") == (3, 2, 1, True)
    assert con.execute("select count(*) from stg_questionnaire_answers where response_id = 'R_b001t2'").fetchone()[0] == 0


def test_survey_without_import_id_row_is_unreadable(make_study, tmp_path, capsys):
    config = make_study()
    write_survey(config.parent / "questionnaire.csv", QUESTIONNAIRE, header_rows=2)
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "questionnaire.csv: row 3 should hold the platform's import ids")


# --- Excel ---------------------------------------------------------------------------------------

def _workbook(path, sheets: dict[str, list[dict] | None]):
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        if rows:
            ws.append(list(NSPCC[0]))
            for r in rows:
                ws.append([v or None for v in r.values()])
    wb.save(path)


def _use_xlsx(config, extra: str = ""):
    config.write_text(config.read_text().replace('path = "nspcc_activity.csv"',
                                                 'path = "nspcc_activity.xlsx"' + extra))


def test_xlsx_with_data_on_two_sheets_is_refused_naming_them(make_study, tmp_path, capsys):
    config = make_study()
    _workbook(config.parent / "nspcc_activity.xlsx", {"2023": NSPCC[:1], "2024": NSPCC[1:]})
    _use_xlsx(config)
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "nspcc_activity.xlsx: 2 sheets hold data (2023, 2024)", 'sheet = "..."')


def test_xlsx_sheet_named_in_the_config_is_read(make_study, run_study):
    config = make_study()
    _workbook(config.parent / "nspcc_activity.xlsx", {"notes": NSPCC[:1], "extract": NSPCC})
    _use_xlsx(config, '\nsheet = "extract"')
    con = run_study(config)
    assert reconciliation(con, "nspcc_activity") == (2, 2, 0, True)


def test_xlsx_unknown_sheet_name_is_an_error_listing_the_sheets(make_study, tmp_path, capsys):
    config = make_study()
    _workbook(config.parent / "nspcc_activity.xlsx", {"extract": NSPCC})
    _use_xlsx(config, '\nsheet = "Sheet1"')
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "nspcc_activity.xlsx: no sheet named 'Sheet1' (the workbook has: extract)")


def test_xlsx_blank_first_sheet_is_passed_over(make_study, run_study):
    config = make_study()
    _workbook(config.parent / "nspcc_activity.xlsx", {"cover": None, "extract": NSPCC})
    _use_xlsx(config)
    con = run_study(config)
    assert reconciliation(con, "nspcc_activity") == (2, 2, 0, True)
    assert con.execute("select record_id, source_row from stg_nspcc_activity order by 1").fetchall() == [
        ("N1", 2), ("N2", 3)]


def test_xlsx_whose_first_row_is_blank_says_so(make_study, tmp_path, capsys):
    # (before: "required column 'record_id' is missing", true but not where to look)
    from openpyxl import load_workbook
    config = make_study()
    _workbook(config.parent / "nspcc_activity.xlsx", {"extract": NSPCC})
    wb = load_workbook(config.parent / "nspcc_activity.xlsx")
    wb.active.insert_rows(1)
    wb.save(config.parent / "nspcc_activity.xlsx")
    _use_xlsx(config)
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == ("pfc-econ: error: nspcc_activity.xlsx: row 1 is blank; the first row must "
                                       "hold the column names\n")


def test_xlsx_that_is_not_a_workbook_is_unreadable(make_study, tmp_path, capsys):
    config = make_study()
    with zipfile.ZipFile(config.parent / "nspcc_activity.xlsx", "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    _use_xlsx(config)
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "nspcc_activity.xlsx: not a readable Excel .xlsx file")


# --- SPSS ----------------------------------------------------------------------------------------

def _randomisation_sav(config):
    import pandas as pd
    import pyreadstat
    from conftest import RANDOMISATION
    path = config.parent / "randomisation.sav"
    pyreadstat.write_sav(pd.DataFrame(RANDOMISATION).replace("", None), str(path))
    config.write_text(config.read_text().replace("randomisation.csv", "randomisation.sav"))
    return path


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_sav_is_one_line_naming_the_file(make_study, tmp_path, capsys, damage):
    config = make_study()
    path = _randomisation_sav(config)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"$FL2" + b"\x00" * 300)
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "randomisation.sav: not a readable SPSS .sav file")


def test_sav_rows_balance_against_its_case_count(make_study, run_study):
    import pyreadstat
    config = make_study()
    path = _randomisation_sav(config)
    con = run_study(config)
    n = pyreadstat.read_sav(str(path))[0].shape[0]
    assert n == 3 and reconciliation(con, "randomisation") == (n, 3, 0, True)


# --- Parquet -------------------------------------------------------------------------------------

def _sau_parquet(config):
    path = config.parent / "sau_log.parquet"
    pq.write_table(pa.Table.from_pylist(SAU * 3), path)
    config.write_text(config.read_text().replace("sau_log.csv", "sau_log.parquet"))
    return path


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_parquet_is_one_line_naming_the_file(make_study, tmp_path, capsys, damage):
    config = make_study()
    path = _sau_parquet(config)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20] if damage == "truncated" else b"PAR1" + b"\x07" * 100 + b"PAR1")
    code, err = run_cli(config, tmp_path, capsys)
    assert code == 2
    assert_one_line(err, "sau_log.parquet: not a readable Parquet file")


def test_parquet_rows_balance_against_its_footer(make_study, run_study):
    config = make_study()
    path = _sau_parquet(config)
    con = run_study(config)
    n = pq.ParquetFile(path).metadata.num_rows
    assert n == 3 and reconciliation(con, "sau_log") == (3, 0, 3, True)  # S1 three times: duplicate ids


# --- config ----------------------------------------------------------------------------------------

def test_memory_limit_that_is_not_a_size_is_a_config_error(make_study, tmp_path, capsys):
    config = make_study(extra_toml='\n[run]\nmemory_limit = "lots"\n')
    code, err = run_cli(config, tmp_path, capsys)
    assert code == exit_code(ConfigError)
    assert_one_line(err, "[run] memory_limit = 'lots': expected a size such as '2GB'")
