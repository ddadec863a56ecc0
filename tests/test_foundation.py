"""The foundation: config errors, readers of every format, quarantine, reconciliation, atomic runs."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NSPCC, QUESTIONNAIRE, RANDOMISATION, SAU, response, write_csv, write_survey
from pfc_econ.cli import main
from pfc_econ.config import load_config
from pfc_econ.errors import ConfigError, ContractError, SourceReadError
from pfc_econ.pipeline import run_pipeline


def quarantine(con, source):
    return con.execute("select source_row, rules, reasons from stg_quarantine where source_table = ? "
                       "order by source_row", [source]).fetchall()


def reconciliation(con, table):
    return con.execute("select rows_in, rows_staged, rows_quarantined, is_balanced from audit_reconciliation "
                       "where source_table = ?", [table]).fetchone()


# --- config ------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    ("\n[periods]\nbaseline_recal_months = 3\n", "[periods] unknown key 'baseline_recal_months'"),
    ("\n[periods]\nbaseline_recall_months = 'three'\n", "[periods] baseline_recall_months = 'three': expected int"),
    ("\n[periods]\nfollowup_min_months = 9\n", "[periods] followup_min_months is greater than followup_max_months"),
    ("\n[sources.unit_costs]\npath = 'nowhere'\n", "[sources.unit_costs] path = 'nowhere': no such file or folder"),
    ("\n[sources.hospital]\npath = 'x.csv'\n", "[sources.hospital] unknown source"),
    ("\n[colour]\nx = 1\n", "unknown section [colour]"),
])
def test_config_errors_name_the_key(make_study, extra, message):
    with pytest.raises(ConfigError) as err:
        load_config(make_study(extra_toml=extra))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_price_year_is_one_line_error(make_study, capsys):
    path = make_study()
    path.write_text(path.read_text().replace('name = "test"', 'name = "test"\ntarget_price_year = "2023"'))
    assert main(["run", "--config", str(path), "--out", str(path.parent / "out")]) == 1  # config mistakes exit 1 (issue 9: 1 data/config, 2 unreadable file)
    err = capsys.readouterr().err
    assert err.startswith("pfc-econ: error: [study] target_price_year = '2023'") and err.count("\n") == 1


# --- a clean run -------------------------------------------------------------------------------

def test_clean_run_balances_and_drops_identifiers(make_study, run_study):
    con = run_study(make_study())
    rows = con.execute("select source_table, rows_in, rows_staged, rows_quarantined, is_balanced "
                       "from audit_reconciliation where source != 'unit_costs' order by 1").fetchall()
    assert rows == [("nspcc_activity", 2, 2, 0, True), ("questionnaire", 3, 3, 0, True),
                    ("randomisation", 3, 3, 0, True), ("sau_log", 1, 1, 0, True)]
    dropped = {r[0] for r in con.execute("select column_name from audit_identifiers").fetchall()}
    assert dropped == {"IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                       "LocationLatitude", "LocationLongitude"}
    # The identifiers never reach the database, in any table.
    columns = {r[0] for r in con.execute("select column_name from duckdb_columns()").fetchall()}
    assert not columns & dropped
    values = con.execute("select count(*) from raw_questionnaire where list_contains(["
                         "columns(*)::varchar], 'parent@example.org')").fetchone()[0]
    assert values == 0
    assert con.execute("select count(*) from dim_family").fetchone()[0] == 3
    assert con.execute("select index_child_id from dim_family where family_id = 'PFC-B-001'").fetchone()[0] == "PFC-B-001-C1"


def test_sau_attendees_are_a_list_and_answers_are_long(make_study, run_study):
    con = run_study(make_study())
    assert con.execute("select attendees, n_attendees from stg_sau_log").fetchone() == (
        ["social_worker", "health_visitor", "teacher"], 3)
    answers = dict(con.execute("select field, answer_code from stg_questionnaire_answers "
                               "where response_id = 'R_b001t1' and person_id = 'PFC-B-001-P1'").fetchall())
    assert answers == {"ghq_1": 2, "su_gp_surgery_any": 1, "su_gp_surgery_contacts": 2, "su_food_bank_any": 2}
    child = con.execute("select field, answer_code from stg_questionnaire_answers where person_id = 'PFC-B-001-C1' "
                        "order by field").fetchall()
    assert child == [("pedsql_tod_1", 0), ("sdq_1", 2)]


# --- defects in the sources: quarantine rows, never lost rows -------------------------------------

def test_text_in_number_column_and_negative_minutes_are_quarantined(make_study, run_study):
    nspcc = [dict(NSPCC[0]), dict(NSPCC[0], record_id="N3", contact_minutes="sixty"),
             dict(NSPCC[0], record_id="N4", contact_minutes="-5")]
    con = run_study(make_study(nspcc=nspcc))
    # An unparseable value is also a missing one for the row rule that needs it.
    assert quarantine(con, "nspcc_activity") == [
        (3, ["invalid_type", "contact_minutes_missing"],
         "contact_minutes: contact_minutes is not a whole number (value sixty); "
         "contact_minutes: minutes of contact are required for staff activity"),
        (4, ["out_of_range"], "contact_minutes: contact_minutes is below 0 (value -5)")]
    assert reconciliation(con, "nspcc_activity") == (3, 1, 2, True)


def test_duplicated_ids_and_unknown_family_are_quarantined(make_study, run_study):
    nspcc = [NSPCC[0], dict(NSPCC[0], contact_minutes="45"), dict(NSPCC[1], family_id="PFC-X-999")]
    con = run_study(make_study(nspcc=nspcc))
    rows = quarantine(con, "nspcc_activity")
    assert [(r[0], r[1]) for r in rows] == [(2, ["duplicate_id"]), (3, ["duplicate_id"]), (4, ["unknown_family"])]
    assert "record_id N1 appears 2 times" in rows[0][2]
    assert reconciliation(con, "nspcc_activity") == (3, 0, 3, True)


def test_truncated_csv_keeps_every_line(make_study, run_study, tmp_path):
    config = make_study()
    path = config.parent / "sau_log.csv"
    text = path.read_text()
    extra = "S2,PFC-B-002,2023-08-01,home_visit,60,20,social_worker,none,\nS3,PFC-B-002,2023-08-0"
    path.write_text(text + extra)  # the last line is cut off mid-field
    con = run_study(config)
    assert quarantine(con, "sau_log") == [(4, ["malformed_line"], "line cannot be parsed: MISSING COLUMNS")]
    assert reconciliation(con, "sau_log") == (3, 2, 1, True)


def test_bad_dates_codes_and_row_rules(make_study, run_study):
    rand = [dict(RANDOMISATION[0]), dict(RANDOMISATION[1], randomised_date="2023-02-30"),
            dict(RANDOMISATION[2], arm="Control"),
            dict(RANDOMISATION[0], family_id="PFC-B-009", withdrawn_date="2023-01-01", withdrawal_reason="other")]
    con = run_study(make_study(randomisation=rand, questionnaire=[QUESTIONNAIRE[0]], sau=[]))
    assert [(r[0], r[1]) for r in quarantine(con, "randomisation")] == [
        (3, ["invalid_type"]), (4, ["not_allowed"]), (5, ["withdrawn_before_randomised"])]


def test_implausible_parent_age_stays_and_is_reported(make_study, run_study):
    q = [response("R_x", "PFC-B-001", "T1", "2023-06-20", parent_age="4")]
    con = run_study(make_study(questionnaire=q))
    assert con.execute("select parent_age_years from stg_questionnaire").fetchone() == (4,)
    assert con.execute("select rule, severity, value from audit_issues where field = 'parent_age'").fetchall() == [
        ("implausible", "warning", "4")]


def test_bad_answer_codes_are_reported_not_staged(make_study, run_study):
    q = [response("R_x", "PFC-B-001", "T1", "2023-06-20", ghq_1="7", ghq_2="x", **{"2_sdq_1": "1"})]
    con = run_study(make_study(questionnaire=q))
    issues = con.execute("select field, rule from audit_issues where source_table = 'questionnaire_answers' "
                         "order by field").fetchall()
    assert issues == [("2_sdq_1", "answer_without_child"), ("ghq_1", "not_allowed"), ("ghq_2", "invalid_type")]
    assert con.execute("select count(*) from stg_questionnaire_answers").fetchone()[0] == 0
    assert reconciliation(con, "questionnaire") == (1, 1, 0, True)


def test_unknown_family_and_duplicate_response_in_questionnaire(make_study, run_study):
    q = [QUESTIONNAIRE[0], dict(QUESTIONNAIRE[0], ResponseId="R_again"),
         response("R_y", "PFC-Z-001", "T1", "2023-06-20")]
    con = run_study(make_study(questionnaire=q))
    assert [(r[0], r[1]) for r in quarantine(con, "questionnaire")] == [
        (4, ["duplicate_response"]), (5, ["duplicate_response"]), (6, ["unknown_family"])]


def test_identifier_column_in_a_provider_extract_is_dropped(make_study, run_study):
    nspcc = [dict(r, child_postcode="BR1 1AA", mother_name="Synthetic") for r in NSPCC]
    config = make_study()
    write_csv(config.parent / "nspcc_activity.csv", nspcc)
    con = run_study(config)
    assert con.execute("select column_name from audit_identifiers where source = 'nspcc_activity' order by 1").fetchall() == [
        ("child_postcode",), ("mother_name",)]
    assert con.execute("select count(*) from duckdb_columns() where column_name in ('child_postcode', 'mother_name')").fetchone()[0] == 0


def test_survey_export_with_one_header_row_is_a_clear_error(make_study, tmp_path):
    config = make_study()
    write_survey(config.parent / "questionnaire.csv", QUESTIONNAIRE, header_rows=1)
    with pytest.raises(SourceReadError, match=r"questionnaire.csv: row 3 should hold the platform's import ids"):
        run_pipeline(load_config(config), tmp_path / "out")


def test_missing_required_column_names_file_and_column(make_study, tmp_path):
    config = make_study()
    write_csv(config.parent / "sau_log.csv", [{k: v for k, v in SAU[0].items() if k != "contact_date"}])
    with pytest.raises(ContractError, match=r"sau_log.csv: required column 'contact_date' is missing"):
        run_pipeline(load_config(config), tmp_path / "out")


# --- formats -----------------------------------------------------------------------------------

def test_xlsx_parquet_and_sav_readers(make_study, run_study):
    from openpyxl import Workbook
    import pandas as pd
    import pyreadstat
    config = make_study()
    folder = config.parent
    wb = Workbook()
    ws = wb.active
    ws.append(list(NSPCC[0]))
    for r in NSPCC:
        ws.append([int(v) if v.isdigit() else (float(v) if v.replace(".", "").isdigit() else (v or None))
                   for v in r.values()])
    wb.save(folder / "nspcc_activity.xlsx")
    pq.write_table(pa.Table.from_pylist(SAU), folder / "sau_log.parquet")
    frame = pd.DataFrame(RANDOMISATION).replace("", None)
    pyreadstat.write_sav(frame, str(folder / "randomisation.sav"))
    text = config.read_text().replace("nspcc_activity.csv", "nspcc_activity.xlsx").replace(
        "sau_log.csv", "sau_log.parquet").replace("randomisation.csv", "randomisation.sav")
    config.write_text(text)
    con = run_study(config)
    assert con.execute("select record_id, contact_minutes, support_amount_gbp, source_row from stg_nspcc_activity "
                       "order by 1").fetchall() == [("N1", 60, None, 2), ("N2", None, 12.5, 3)]
    assert con.execute("select count(*) from stg_sau_log").fetchone()[0] == 1
    assert con.execute("select family_id, randomised_date::varchar from stg_randomisation order by 1").fetchall()[0] == (
        "PFC-B-001", "2023-07-01")
    assert con.execute("select bool_and(is_balanced) from audit_reconciliation").fetchone()[0]


# --- runs --------------------------------------------------------------------------------------

def test_absent_optional_sources_complete_and_say_so(make_study, run_study):
    con = run_study(make_study(nspcc=None, sau=None))
    assert con.execute("select source_table, is_present, rows_in from audit_reconciliation "
                       "where source in ('nspcc_activity', 'sau_log') order by 1").fetchall() == [
        ("nspcc_activity", False, 0), ("sau_log", False, 0)]
    assert con.execute("select count(*) from audit_issues where rule = 'source_absent'").fetchone()[0] == 2


def test_failed_run_leaves_previous_results_intact(make_study, tmp_path):
    config = make_study()
    out = tmp_path / "out"
    run_pipeline(load_config(config), out)
    before = (out / "manifest.json").read_bytes()
    write_csv(config.parent / "sau_log.csv", [{"log_id": "S9"}])  # required columns missing
    with pytest.raises(ContractError):
        run_pipeline(load_config(config), out)
    assert (out / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "study"]


def test_manifest_and_exports(make_study, tmp_path):
    config = make_study()
    result = run_pipeline(load_config(config), tmp_path / "out")
    manifest = json.loads(result.manifest.read_text())
    assert manifest["inputs"]["randomisation/randomisation"]["sha256"] and manifest["row_counts"]["dim_family"] == 3
    assert manifest["unit_cost_library"] and manifest["config"]["study"]["name"] == "test"
    assert (tmp_path / "out" / "exports" / "dim_family.parquet").is_file()
    con = duckdb.connect(str(result.database), read_only=True)
    assert con.execute("select comment from duckdb_tables() where table_name = 'dim_family'").fetchone()[0].startswith(
        "one row per randomised family")


def test_upstream_header_stops_where_the_list_stops():
    from pfc_econ.models import _upstream
    sql = ("-- stg_x: one row per thing. upstream: raw_a, raw_b,\n"
           "-- raw_c\n"
           "-- This step is wide, so each row carries only what it needs.\n"
           "create table stg_x as select 1 -- upstream: not_a_header\n")
    assert _upstream(sql) == ("raw_a", "raw_b", "raw_c")


def test_a_temporary_table_is_dropped_after_its_last_reader_even_through_a_view():
    """pfc_econ/models.py run_models: a temporary table goes once no later model reads it, directly
    or through a view, and its row count is kept; one that no model reads stays."""
    from pfc_econ.models import Model, run_models
    con = duckdb.connect()
    con.execute("create temp table raw_cells as select range as x from range(5)")
    con.execute("create temp table kept_tmp as select 1 as x")
    models = [
        Model("chk_a", "create or replace temp table chk_a as select x from raw_cells", ("raw_cells",), "staging"),
        Model("v_a", "create or replace view v_a as select x from chk_a", ("chk_a",), "staging"),
        Model("stg_a", "create or replace table stg_a as select x from raw_cells", ("raw_cells",), "staging"),
        Model("fct_a", "create or replace table fct_a as select count(*) as n from v_a", ("v_a",), "marts"),
    ]
    seen: list[set[str]] = []

    def temporary_tables(_message: str) -> None:
        seen.append({r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()})

    counts: dict[str, int] = {}
    run_models(con, models, temporary_tables, counts)
    # after chk_a both temp tables are still read later; raw_cells goes after stg_a, chk_a after
    # fct_a (which reads it through the view v_a)
    assert seen == [{"raw_cells", "kept_tmp", "chk_a"}, {"raw_cells", "kept_tmp", "chk_a"}, {"kept_tmp", "chk_a"},
                    {"kept_tmp"}]
    assert counts == {"raw_cells": 5, "chk_a": 5}
    assert con.execute("select n from fct_a").fetchone() == (5,)
