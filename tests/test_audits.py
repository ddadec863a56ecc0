"""Audit models on small hand-made studies: completeness, instruments, fields, unit-cost coverage,
plausibility, the missingness map data and pictures, and the `pfc-econ audit` headline."""

from __future__ import annotations

import shutil

import pytest

from pfc_econ.cli import main
from pfc_econ.paths import UNIT_COSTS_DIR

from conftest import NSPCC, QUESTIONNAIRE, RANDOMISATION, response


def items(stem: str, n: int, code: int = 1, prefix: str = "") -> dict:
    return {f"{prefix}{stem}_{i}": str(code) for i in range(1, n + 1)}


def test_providers_switched_off_are_said_plainly(make_study, run_study, tmp_path, capsys):
    con = run_study(make_study(nspcc=None, sau=None))
    rows = con.execute("""select source, arm, count(*) filter (where is_expected), count(*) filter (where is_received),
                                 list(distinct status)
                          from audit_completeness where source in ('nspcc_activity', 'sau_log') and is_expected
                          group by all order by 1""").fetchall()
    assert rows == [("nspcc_activity", "IPS", 1, 0, ["source_absent"]), ("sau_log", "SAU", 2, 0, ["source_absent"])]
    assert main(["audit", "--out", str(tmp_path / "results")]) == 0
    out = capsys.readouterr().out
    assert "0 of 1 IPS families covered by NSPCC activity (source absent from this run)" in out
    assert "0 of 2 SAU families covered by the SAU log (source absent from this run)" in out
    # The costing marts exist in every run: their unknown share is reported per arm.
    assert "cost unknown" in out


def test_completeness_statuses(make_study, run_study):
    con = run_study(make_study())
    got = con.execute("select source, family_id, period, is_expected, is_received, status from audit_completeness "
                      "order by all").fetchall()
    assert got == [
        ("nspcc_activity", "PFC-B-001", "follow_up", True, True, "complete"),
        ("nspcc_activity", "PFC-B-002", "follow_up", False, False, "not_expected"),
        ("nspcc_activity", "PFC-G-001", "follow_up", False, False, "not_expected"),
        ("questionnaire", "PFC-B-001", "follow_up", True, True, "incomplete"),
        ("questionnaire", "PFC-B-001", "pre_baseline", True, True, "incomplete"),
        ("questionnaire", "PFC-B-002", "follow_up", True, False, "missing"),
        ("questionnaire", "PFC-B-002", "pre_baseline", True, True, "incomplete"),
        # withdrew 1 month after randomisation, before follow-up was due (3 months)
        ("questionnaire", "PFC-G-001", "follow_up", False, False, "not_expected"),
        ("questionnaire", "PFC-G-001", "pre_baseline", True, False, "missing"),
        ("sau_log", "PFC-B-001", "follow_up", False, False, "not_expected"),
        ("sau_log", "PFC-B-002", "follow_up", True, True, "complete"),
        ("sau_log", "PFC-G-001", "follow_up", True, False, "missing"),
    ]


INSTRUMENT_STUDY = [
    # B-001 baseline: GHQ-12 complete, ICECAP-A 3 of 5, BCAP 30 of 33, toddler PedsQL complete, SDQ 2 of 25
    response("R1", "PFC-B-001", "T1", "2023-06-20", **items("ghq", 12), **items("icecap", 3), **items("bcap", 30),
             **items("pedsql_tod", 21, 0, "1_"), **items("sdq", 2, 0, "1_")),
    # B-002 baseline: GHQ-12 11 of 12, nothing else; its child (30 months) was given no PedsQL item
    response("R2", "PFC-B-002", "T1", "2023-06-25", **items("ghq", 11)),
    # B-001 follow-up: GHQ-12 complete; the child's block says 10 months, infant form 1-12 months, 20 of 36 items
    response("R3", "PFC-B-001", "T2", "2023-11-20", **items("ghq", 12),
             **{"1_child_age_months": "10", "1_pedsql_form": "1", "1_sdq_form": ""}, **items("pedsql_inf1", 20, 1, "1_")),
]


def test_audit_instruments_counts(make_study, run_study):
    con = run_study(make_study(questionnaire=INSTRUMENT_STUDY))
    got = con.execute("""select instrument, form, timepoint, n_expected, n_administered, n_complete, n_scorable,
                                n_items_missing
                         from audit_instruments where instrument <> 'prem' order by all""").fetchall()
    assert got == [
        # 3 families expected at baseline (G-001 not returned); B-001 at follow-up only (B-002 not returned)
        # BCAP 30 of 33: not scorable — the scoring models' rule (instruments/bcap_rules.toml,
        # an assumption) needs every abuse-risk item answered
        ("bcap", "standard", "baseline", 3, 1, 0, 0, 3),
        ("bcap", "standard", "follow_up", 2, 0, 0, 0, 0),
        ("ghq12", "standard", "baseline", 3, 2, 1, 1, 1),
        ("ghq12", "standard", "follow_up", 2, 1, 1, 1, 0),
        ("icecap_a", "standard", "baseline", 3, 1, 0, 0, 2),
        ("icecap_a", "standard", "follow_up", 2, 0, 0, 0, 0),
        ("itsea", "standard", "follow_up", 1, 0, 0, 0, 0),          # the 10-month-old should have had ITSEA
        ("pedsql", "infant_1_12m", "follow_up", 1, 1, 0, 1, 16),    # 20 of 36, 18 needed
        ("pedsql", "toddler_2_4y", "baseline", 2, 1, 1, 1, 0),
        ("sdq", "2-4", "baseline", 2, 1, 0, 0, 23),
        ("sdq_impact", "2-4", "baseline", 2, 0, 0, 0, 0),
    ]
    reason = con.execute("""select reason_not_scorable from audit_instrument_responses
                            where instrument = 'icecap_a' and response_id = 'R1'""").fetchone()[0]
    assert reason == "only 3 of 5 items answered (5 needed)"
    bcap = con.execute("select reason_not_scorable from audit_instruments where instrument = 'bcap' "
                       "and timepoint = 'baseline'").fetchone()[0]
    assert bcap == ("1 questionnaire(s) not returned; 1 not administered (no item answered); "
                    "1 not scorable by the score's own rule (e.g. a BCAP 'not sure' or missing risk item)")


def test_fields_tell_structural_zero_from_missing(make_study, run_study):
    questionnaire = [
        response("R1", "PFC-B-001", "T1", "2023-06-20", su_food_bank_any="2"),           # no: structural zero
        response("R2", "PFC-B-002", "T1", "2023-06-25", su_food_bank_any="1"),           # yes, blank: missing
        response("R3", "PFC-B-001", "T2", "2023-11-20", su_food_bank_any="1", su_food_bank_parcels="2"),
    ]
    con = run_study(make_study(questionnaire=questionnaire))
    got = con.execute("""select breakdown, group_value, n_rows, n_missing, n_structural_zero from audit_fields
                         where source = 'questionnaire' and field = 'su_food_bank_parcels' order by all""").fetchall()
    assert got == [("arm", "IPS", 2, 0, 1), ("arm", "SAU", 1, 1, 0), ("overall", "all", 3, 1, 1),
                   ("site", "Bromley", 3, 1, 1), ("timepoint", "baseline", 2, 1, 1), ("timepoint", "follow_up", 1, 0, 0)]
    nspcc = con.execute("""select n_rows, n_missing from audit_fields where source = 'nspcc_activity'
                           and field = 'staff_role' and breakdown = 'overall'""").fetchone()
    assert nspcc == (2, 1)


def test_unit_cost_coverage_finds_unmapped_code_and_missing_inflation_path(make_study, run_study, tmp_path):
    library = tmp_path / "unit_costs"
    shutil.copytree(UNIT_COSTS_DIR, library)
    lines = (library / "code_map.csv").read_text().splitlines(keepends=True)
    (library / "code_map.csv").write_text("".join(l for l in lines if not l.startswith("sau_log,teacher,")))
    config = make_study(extra_toml=f'\n[sources.unit_costs]\npath = "{library}"\n')
    con = run_study(config)
    got = con.execute("""select source, source_code, n_records, n_families, problem from audit_unit_cost_coverage
                         where not is_covered""").fetchall()
    assert got == [("sau_log", "teacher", 1, 1, "no row in unit_costs/code_map.csv")]
    text = config.read_text().replace('name = "test"', 'name = "test"\ntarget_price_year = "2039/40"')
    config.write_text(text)
    con = run_study(config, out="results_2039")
    assert con.execute("select bool_or(is_covered), count(*) filter (where problem like 'no % index for %') "
                       "from audit_unit_cost_coverage").fetchone() == (False, 5)


def test_plausibility_rows_reach_audit_issues(make_study, run_study):
    questionnaire = QUESTIONNAIRE[:2] + [response("R_b001t2", "PFC-B-001", "T2", "2023-06-01")]
    nspcc = [NSPCC[0] | {"contact_minutes": "1200"},
             NSPCC[1] | {"contact_date": "2023-06-01"},
             NSPCC[0] | {"record_id": "N3", "family_id": "PFC-B-002"}]
    con = run_study(make_study(questionnaire=questionnaire, nspcc=nspcc))
    got = con.execute("""select source, record_id, rule, severity from audit_issues
                         where rule in ('implausible', 'follow_up_before_baseline', 'follow_up_before_randomisation',
                                        'outside_follow_up_window', 'family_of_other_arm')
                         order by all""").fetchall()
    assert got == [
        ("nspcc_activity", "N1", "implausible", "warning"),               # a contact of 20 hours
        # N1 stays inside: a follow-up questionnaire dated before randomisation is not a valid end of the
        # window (docs/costing.md "One window"), which then ends at randomisation + followup_max_months
        ("nspcc_activity", "N2", "outside_follow_up_window", "warning"),  # before randomisation
        ("nspcc_activity", "N3", "family_of_other_arm", "error"),
        ("questionnaire", "R_b001t2", "follow_up_before_baseline", "error"),
        ("questionnaire", "R_b001t2", "follow_up_before_randomisation", "error"),
    ]


def test_run_draws_the_audit_pictures_from_tables(make_study, run_study, tmp_path):
    con = run_study(make_study())
    for name in ("missingness_map.png", "instrument_completion.png"):
        assert (tmp_path / "results" / "report" / name).read_bytes()[:4] == b"\x89PNG"
    assert con.execute("select count(distinct family_id), count(distinct arm) from audit_missingness_map"
                       ).fetchone() == (len(RANDOMISATION), 2)
    assert con.execute("select status from audit_missingness_map where family_id = 'PFC-G-001' "
                       "and map_column = 'ghq12 · baseline'").fetchone() == ("missing",)


def test_audit_tables_are_documented(make_study, run_study):
    con = run_study(make_study())
    undocumented = con.execute("""
        select t.table_name, c.column_name from duckdb_tables() as t join duckdb_columns() as c using (table_name)
        where t.table_name like 'audit_%' and (t.comment is null or c.comment is null)""").fetchall()
    assert undocumented == []


def test_audit_without_results_exits_2(tmp_path, capsys):
    assert main(["audit", "--out", str(tmp_path / "nothing")]) == 2


def test_parent_instruments_listed_when_no_follow_up_came_back(make_study, run_study):
    con = run_study(make_study(questionnaire=QUESTIONNAIRE[:2]))
    got = con.execute("""select instrument, n_expected, n_administered, reason_not_scorable from audit_instruments
                         where timepoint = 'follow_up' order by all""").fetchall()
    assert got == [(name, 2, 0, "2 questionnaire(s) not returned") for name in ("bcap", "ghq12", "icecap_a", "prem")]


def test_headline_reports_unknown_cost_and_qaly_when_the_marts_exist(make_study, run_study, tmp_path, capsys):
    import duckdb
    run_study(make_study(), out="with_marts").close()
    con = duckdb.connect(str(tmp_path / "with_marts" / "pfc.duckdb"))
    con.execute("""create or replace table fct_family_costs as select * from (values
        ('PFC-B-001', 'follow_up', 'nhs_pss', 'complete'), ('PFC-B-002', 'follow_up', 'nhs_pss', 'partial'),
        ('PFC-G-001', 'follow_up', 'nhs_pss', 'missing')) as t(family_id, period, perspective, cost_status)""")
    con.execute("""create or replace table fct_family_outcomes as select * from (values
        ('PFC-B-001', 0.31), ('PFC-B-002', null)) as t(family_id, child_qaly)""")
    con.close()
    assert main(["audit", "--out", str(tmp_path / "with_marts")]) == 0
    out = capsys.readouterr().out
    assert "follow-up cost unknown, IPS nhs_pss: 0 of 1 families (0%; 0 partial, 0 with no data)" in out
    assert "follow-up cost unknown, SAU nhs_pss: 2 of 2 families (100%; 1 partial, 1 with no data)" in out
    assert "child QALY unknown, IPS: 0 of 1 families (0%)" in out
    assert "child QALY unknown, SAU: 2 of 2 families (100%)" in out
