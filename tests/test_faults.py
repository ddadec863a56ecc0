"""Fault injection (issue 9): damaged copies of every source, each with its exact outcome.

Damage to single rows is planted all at once in one small study per format family (CSV and
survey CSV; xlsx, Parquet and .sav), run once (module fixtures), and each kind is then asserted
on its own: the row is in ``stg_quarantine`` with exactly the expected rules, never reaches a
staged or costed table, and ``audit_reconciliation`` balances against a count of the file's own
rows made with Python's csv module (independent of DuckDB's reader). Damage that stops a run
(config, unreadable files, output folders) is one parametrized case each: the exact one-line
message and exit code. Reading damage (sheets, line counts, broken quotes, child blocks, corrupt
.sav/Parquet) is in tests/test_faults_reading.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from conftest import NSPCC, QUESTIONNAIRE, RANDOMISATION, SAU, response, write_csv, write_survey
from pfc_econ.cli import main
from pfc_econ.config import load_config
from pfc_econ.pipeline import run_pipeline


def _nspcc(record_id: str, family: str, **changes) -> dict:
    row = dict(NSPCC[0], record_id=record_id, contact_id=f"C-{record_id}", family_id=family)
    return row | changes


def _sau(log_id: str, family: str, **changes) -> dict:
    return dict(SAU[0], log_id=log_id, family_id=family) | changes


def _family(family: str, **changes) -> dict:
    return dict(RANDOMISATION[0], family_id=family) | changes


# kind of damage: (source, the damaged row (or rows), the contract rules each breaks, as stg_quarantine lists them)
ROW_DAMAGE = {
    "randomisation_blank_family_id": ("randomisation", _family(""), ["missing_required"]),
    "randomisation_duplicate_family": ("randomisation", [_family("PFC-B-020"), _family("PFC-B-020", arm="SAU")],
                                       ["duplicate_id"]),
    "randomisation_unknown_site": ("randomisation", _family("PFC-B-010", site="Leeds"), ["not_allowed"]),
    "randomisation_unknown_arm": ("randomisation", _family("PFC-B-011", arm="control"), ["not_allowed"]),
    "randomisation_impossible_date": ("randomisation", _family("PFC-B-012", randomised_date="2023-02-30"),
                                      ["invalid_type"]),
    "randomisation_withdrawn_before": ("randomisation", _family("PFC-B-013", withdrawn_date="2023-06-01",
                                                                withdrawal_reason="moved_away"),
                                       ["withdrawn_before_randomised"]),
    "randomisation_future_date": ("randomisation", _family("PFC-B-014", randomised_date="2099-01-01"),
                                  ["randomised_in_future"]),
    "randomisation_bad_id_pattern": ("randomisation", _family("pfc b 15"), ["bad_pattern"]),
    "nspcc_family_not_randomised": ("nspcc_activity", _nspcc("N10", "PFC-X-999"), ["unknown_family"]),
    "nspcc_family_of_sau_arm": ("nspcc_activity", _nspcc("N11", "PFC-B-002"), ["family_of_other_arm"]),
    "nspcc_minutes_inf": ("nspcc_activity", _nspcc("N12", "PFC-B-001", contact_minutes="inf"),
                          ["invalid_type", "contact_minutes_missing"]),
    "nspcc_minutes_nan": ("nspcc_activity", _nspcc("N13", "PFC-B-001", contact_minutes="NaN"),
                          ["invalid_type", "contact_minutes_missing"]),
    "nspcc_travel_minus_infinity": ("nspcc_activity", _nspcc("N14", "PFC-B-001", travel_minutes="-Infinity"),
                                    ["invalid_type"]),
    "nspcc_amount_overflow": ("nspcc_activity", _nspcc("N15", "PFC-B-001", **{
        "activity_type": "direct_support", "staff_role": "", "contact_minutes": "", "travel_minutes": "",
        "mode": "", "attendance": "", "support_type": "taxi", "support_amount_gbp": "1e999"}),
        ["invalid_type", "support_amount_missing"]),
    "nspcc_amount_infinity": ("nspcc_activity", _nspcc("N16", "PFC-B-001", **{
        "activity_type": "direct_support", "staff_role": "", "contact_minutes": "", "travel_minutes": "",
        "mode": "", "attendance": "", "support_type": "food", "support_amount_gbp": "Infinity"}),
        ["invalid_type", "support_amount_missing"]),
    "nspcc_minutes_text": ("nspcc_activity", _nspcc("N17", "PFC-B-001", contact_minutes="sixty"),
                           ["invalid_type", "contact_minutes_missing"]),
    "nspcc_minutes_negative": ("nspcc_activity", _nspcc("N18", "PFC-B-001", contact_minutes="-30"),
                               ["out_of_range"]),
    "nspcc_minutes_over_a_day": ("nspcc_activity", _nspcc("N19", "PFC-B-001", contact_minutes="1500"),
                                 ["out_of_range"]),
    "nspcc_unknown_activity": ("nspcc_activity", _nspcc("N20", "PFC-B-001", activity_type="coffee"), ["not_allowed"]),
    "nspcc_staff_role_missing": ("nspcc_activity", _nspcc("N21", "PFC-B-001", staff_role=""), ["staff_role_missing"]),
    "nspcc_duplicate_record_id": ("nspcc_activity", [_nspcc("N30", "PFC-B-001"), _nspcc("N30", "PFC-B-001")],
                                  ["duplicate_id"]),
    "nspcc_impossible_date": ("nspcc_activity", _nspcc("N22", "PFC-B-001", contact_date="2023-13-01"),
                              ["invalid_type"]),
    "sau_family_of_ips_arm": ("sau_log", _sau("S10", "PFC-B-001"), ["family_of_other_arm"]),
    "sau_family_not_randomised": ("sau_log", _sau("S11", "PFC-Z-001"), ["unknown_family"]),
    "sau_duration_infinity": ("sau_log", _sau("S12", "PFC-B-002", duration_minutes="Infinity"),
                              ["invalid_type", "contact_without_duration"]),
    "sau_unknown_attendee": ("sau_log", _sau("S13", "PFC-B-002", attendees="social_worker;wizard"), ["not_allowed"]),
    "sau_unknown_contact_type": ("sau_log", _sau("S14", "PFC-B-002", contact_type="party"), ["not_allowed"]),
    "sau_blank_log_id": ("sau_log", _sau("", "PFC-B-002"), ["missing_required"]),
    "questionnaire_family_not_randomised": ("questionnaire", response("R_x1", "PFC-Q-404", "T1", "2023-06-20"),
                                            ["unknown_family"]),
    "questionnaire_unknown_timepoint": ("questionnaire", response("R_x2", "PFC-B-002", "T9", "2023-06-20"),
                                        ["not_allowed"]),
    "questionnaire_email_in_coded_field": ("questionnaire", response("R_x3", "PFC-B-002", "T2", "2023-11-20",
                                                                     recall_months="jo@example.org"),
                                           ["invalid_type"]),
}
SOURCES = ("randomisation", "questionnaire", "nspcc_activity", "sau_log")
BASE = {"randomisation": RANDOMISATION, "questionnaire": QUESTIONNAIRE, "nspcc_activity": NSPCC, "sau_log": SAU}


def _file_rows(path: Path, header_rows: int) -> int:
    """Data rows of a CSV counted with Python's csv module: the independent count."""
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - header_rows


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """One run over every source with every row damage planted: (connection, {kind: source_row})."""
    folder = tmp_path_factory.mktemp("damaged")
    rows = {s: [dict(r) for r in BASE[s]] for s in SOURCES}
    where = {}
    header = {"randomisation": 1, "questionnaire": 3, "nspcc_activity": 1, "sau_log": 1}
    for kind, (source, damage, _) in ROW_DAMAGE.items():
        for row in damage if isinstance(damage, list) else [damage]:
            rows[source].append(row)
            where.setdefault(kind, (source, []))[1].append(len(rows[source]) + header[source])  # file line
    write_csv(folder / "randomisation.csv", rows["randomisation"])
    write_survey(folder / "questionnaire.csv", rows["questionnaire"])
    write_csv(folder / "nspcc_activity.csv", rows["nspcc_activity"], list(NSPCC[0]))
    write_csv(folder / "sau_log.csv", rows["sau_log"], list(SAU[0]))
    toml = ['[study]', 'name = "faults"']
    for s in SOURCES:
        toml += [f'[sources.{s}]', f'path = "{s}.csv"'] + (['format = "survey_csv"'] if s == "questionnaire" else [])
    (folder / "study.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    result = run_pipeline(load_config(folder / "study.toml"), folder / "results")
    con = duckdb.connect(str(result.database), read_only=True)
    counts = {s: _file_rows(folder / f"{s}.csv", header[s]) for s in SOURCES}
    yield con, where, counts
    con.close()


@pytest.mark.parametrize("kind", list(ROW_DAMAGE))
def test_damaged_row_is_quarantined_with_its_rules(damaged, kind):
    con, where, _ = damaged
    source, source_rows = where[kind]
    rules = con.execute("select source_row, rules from stg_quarantine where source = ? and source_row in ? "
                        "order by 1", [source, source_rows]).fetchall()
    assert rules == [(row, ROW_DAMAGE[kind][2]) for row in source_rows]
    staged = {"randomisation": "stg_randomisation", "questionnaire": "stg_questionnaire",
              "nspcc_activity": "stg_nspcc_activity", "sau_log": "stg_sau_log"}[source]
    assert con.execute(f"select count(*) from {staged} where source_row in ?", [source_rows]).fetchone()[0] == 0


def test_reconciliation_balances_against_the_files_own_row_counts(damaged):
    con, where, counts = damaged
    rows = con.execute("select source, rows_in, rows_staged, rows_quarantined, is_balanced from audit_reconciliation "
                       "where source_table = source and source <> 'unit_costs' order by 1").fetchall()
    quarantined = {s: sum(len(rows) for src, rows in where.values() if src == s) for s in SOURCES}
    assert rows == [(s, counts[s], counts[s] - quarantined[s], quarantined[s], True) for s in sorted(SOURCES)]


def test_no_cost_is_infinite_or_nan(damaged):
    con, _, _ = damaged
    assert con.execute("select count(*) from fct_resource_use where not isfinite(cost_gbp)").fetchone()[0] == 0
    assert con.execute("select count(*) from fct_family_costs where not isfinite(total_cost_gbp)").fetchone()[0] == 0


# --- formats: the same kinds of damage in xlsx, Parquet and SPSS .sav --------------------------

@pytest.fixture(scope="module")
def damaged_formats(tmp_path_factory):
    """NSPCC as xlsx with text where numbers go, the SAU log as Parquet with real float inf/NaN,
    the randomisation list as .sav with a future date and a family of an unknown arm."""
    import math

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyreadstat
    from openpyxl import Workbook
    folder = tmp_path_factory.mktemp("formats")
    wb = Workbook()
    ws = wb.active
    ws.append(list(NSPCC[0]))
    for row in NSPCC + [_nspcc("N40", "PFC-B-001", contact_minutes="inf"), _nspcc("N41", "PFC-B-002")]:
        ws.append([v or None for v in row.values()])
    wb.save(folder / "nspcc_activity.xlsx")
    sau = [dict(SAU[0]), _sau("S40", "PFC-B-002"), _sau("S41", "PFC-B-002")]
    table = pa.Table.from_pylist(sau).set_column(4, "duration_minutes", pa.array([60.0, math.inf, math.nan]))
    pq.write_table(table, folder / "sau_log.parquet")
    families = [dict(r) for r in RANDOMISATION] + [_family("PFC-B-050", randomised_date="2099-05-01"),
                                                   _family("PFC-B-051", arm="")]
    pyreadstat.write_sav(pd.DataFrame(families).replace("", None), str(folder / "randomisation.sav"))
    write_survey(folder / "questionnaire.csv", QUESTIONNAIRE)
    files = {"randomisation": "randomisation.sav", "questionnaire": "questionnaire.csv",
             "nspcc_activity": "nspcc_activity.xlsx", "sau_log": "sau_log.parquet"}
    toml = ['[study]', 'name = "formats"']
    for s, name in files.items():
        toml += [f'[sources.{s}]', f'path = "{name}"'] + (['format = "survey_csv"'] if s == "questionnaire" else [])
    (folder / "study.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    result = run_pipeline(load_config(folder / "study.toml"), folder / "results")
    con = duckdb.connect(str(result.database), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("source, source_row, rules", [
    ("nspcc_activity", 4, ["invalid_type", "contact_minutes_missing"]),   # xlsx: 'inf' in a number column
    ("nspcc_activity", 5, ["family_of_other_arm"]),                       # xlsx: an SAU family's record
    ("sau_log", 2, ["invalid_type", "contact_without_duration"]),                                     # Parquet: float inf minutes
    ("sau_log", 3, ["invalid_type", "contact_without_duration"]),                                     # Parquet: float NaN minutes
    ("randomisation", 4, ["randomised_in_future"]),                       # .sav: 2099 randomisation
    ("randomisation", 5, ["missing_required"]),                           # .sav: arm left blank
])
def test_damage_in_other_formats_is_quarantined(damaged_formats, source, source_row, rules):
    assert damaged_formats.execute("select rules from stg_quarantine where source = ? and source_row = ?",
                                   [source, source_row]).fetchall() == [(rules,)]


def test_other_formats_reconcile_and_cost_nothing_infinite(damaged_formats):
    con = damaged_formats
    assert con.execute("select source, rows_in, rows_quarantined from audit_reconciliation where source_table = source "
                       "and source in ('nspcc_activity', 'randomisation', 'sau_log') order by 1").fetchall() == [
        ("nspcc_activity", 4, 2), ("randomisation", 5, 2), ("sau_log", 3, 2)]
    assert con.execute("select count(*) from fct_resource_use where not isfinite(cost_gbp) "
                       "or source_record_id in ('N40', 'N41', 'S40', 'S41')").fetchone()[0] == 0


# --- damage that stops a run: one line, an exit code, nothing written --------------------------

def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


STOPPING = {
    # kind: (file to damage, how, exit code, the exact message after "pfc-econ: error: ")
    "config_not_toml": ("study.toml", lambda t: t + "\n[[[", 1, r"study.toml: not valid TOML: .*"),
    "config_unknown_section": ("study.toml", lambda t: t + "\n[colour]\nx = 1\n", 1,
                               r"unknown section \[colour\] \(expected one of: .*\)"),
    "config_price_year_format": ("study.toml", lambda t: _replace(t, 'name = "test"', 'name = "test"\n'
                                 'target_price_year = "2023"'), 1,
                                 r"\[study\] target_price_year = '2023': expected a financial year like '2023/24'"),
    "config_price_year_no_index": ("study.toml", lambda t: _replace(t, 'name = "test"', 'name = "test"\n'
                                   'target_price_year = "2041/42"'), 1,
                                   r"\[study\] target_price_year = '2041/42': no inflation index of the unit-cost "
                                   r"library reaches it \(indices cover \d{4}/\d\d to \d{4}/\d\d: "
                                   r".*inflation_indices.csv\)"),
    "config_source_path_missing": ("study.toml", lambda t: _replace(t, 'path = "sau_log.csv"',
                                                                    'path = "sau_log_march.csv"'), 1,
                                   r"\[sources.sau_log\] path = 'sau_log_march.csv': no such file or folder \(.*\)"),
    "config_required_source_off": ("study.toml", lambda t: _replace(t, 'path = "randomisation.csv"',
                                                                    'path = "randomisation.csv"\nenabled = false'), 1,
                                   r"\[sources.randomisation\] enabled = false: this source is required"),
    "config_threads_negative": ("study.toml", lambda t: t + "\n[run]\nthreads = -2\n", 1,
                                r"\[run\] threads = -2: expected 0 \(all cores\) or more"),
    "csv_required_column_missing": ("sau_log.csv", lambda t: t.replace("contact_date,", "date,", 1), 1,
                                    r"sau_log.csv: required column 'contact_date' is missing \(see docs/sources/"
                                    r"sau_log.md\)"),
    "csv_column_twice": ("nspcc_activity.csv", lambda t: t.replace("mode,", "family_id,", 1), 1,
                         r"nspcc_activity.csv: column 'family_id' appears twice in the header"),
    "csv_not_utf8": ("randomisation.csv", lambda t: "\x00\xff\xfe garbage".encode("latin-1"), 2,
                     r"randomisation.csv: not a UTF-8 text file \(is it really CSV\?\)"),
    "csv_empty_file": ("sau_log.csv", lambda t: "", 2, r"sau_log.csv: the file is empty \(no header row\)"),
    "csv_blank_first_row": ("sau_log.csv", lambda t: "\n" + t, 2,
                            r"sau_log.csv: row 1 is blank; the first row must hold the column names"),
    "survey_one_header_row": ("questionnaire.csv", lambda t: "\n".join(l for i, l in enumerate(t.splitlines())
                                                                       if i not in (1, 2)) + "\n", 2,
                              r"questionnaire.csv: row 3 should hold the platform's import ids.*"),
    "unit_cost_infinite": None,  # below: a library row is quarantined, not a stop
}


@pytest.mark.parametrize("kind", [k for k, v in STOPPING.items() if v])
def test_damage_that_stops_the_run_is_one_line(kind, make_study, tmp_path, capsys):
    import re
    config = make_study()
    name, damage, code, message = STOPPING[kind]
    path = config.parent / name
    damaged = damage(path.read_text(encoding="utf-8"))
    path.write_bytes(damaged if isinstance(damaged, bytes) else damaged.encode("utf-8"))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.fullmatch(r"pfc-econ: error: (\S*/)?" + message + "\n", err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no results folder, no build left


def test_an_infinite_unit_cost_is_quarantined_not_used(make_study, run_study, tmp_path):
    """A copy of the unit-cost library whose first cost is 'inf': the row is quarantined and the
    code it priced is reported as without a unit cost (audit_unit_cost_coverage), never costed."""
    import shutil
    from pfc_econ.paths import UNIT_COSTS_DIR
    library = tmp_path / "library"
    shutil.copytree(UNIT_COSTS_DIR, library)
    with open(library / "unit_costs.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    victim = next(r for r in rows if r["unit_cost_code"] == "ips_clinical_psychologist_hour" and r["variant"] == "base")
    victim["cost_gbp"] = "inf"
    write_csv(library / "unit_costs.csv", rows)
    con = run_study(make_study(extra_toml=f'\n[sources.unit_costs]\npath = "{library}"\nformat = "folder"\n'))
    assert con.execute("select rules from stg_quarantine where source_table = 'unit_costs' and record_id = ?",
                       [victim["unit_cost_id"]]).fetchall() == [(["invalid_type"],)]
    assert con.execute("select count(*) from fct_resource_use where not isfinite(cost_gbp)").fetchone()[0] == 0
    assert con.execute("select count(*) from fct_resource_use where unit_cost_id = ?",
                       [victim["unit_cost_id"]]).fetchone()[0] == 0
