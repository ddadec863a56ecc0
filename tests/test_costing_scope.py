"""Costing scope (issue 10, Build 3): hospital stays, children in care, out-of-pocket spending and
time off work. Each test is worked by hand and cites the rule of docs/costing.md it checks; unit
costs are read from the run's own library (int_unit_costs_inflated), so the arithmetic and the
perspective rules, not a rate, are under test (the rates' own values are in test_unit_cost_library).

Randomisation (tests/conftest.py): PFC-B-001 IPS 2023-07-01; PFC-B-002 SAU 2023-07-05.
"""

from __future__ import annotations

import pytest

from conftest import NSPCC, SAU, response, write_csv
from test_costing import all_no
from test_costing_window import BASELINES, rate

# PFC-B-001 follow-up 2023-11-20, recall 2023-08-20 to 2023-11-20: all inside its window (prorate 1).
# PFC-B-002 follow-up 2023-10-05, recall 2023-07-05 to 2023-10-05 = its whole window (92 days).
B001_T2 = ("R_b001t2", "PFC-B-001", "T2", "2023-11-20")
B002_T2 = ("R_b002t2", "PFC-B-002", "T2", "2023-10-05")
SAU_COLUMNS = list(SAU[0]) + ["child_id", "end_date"]


@pytest.fixture
def run(make_study, run_study):
    def go(questionnaire, sau=SAU, toml="", out="results"):
        config = make_study(questionnaire=questionnaire, nspcc=NSPCC, sau=SAU, extra_toml="\n" + toml)
        write_csv(config.parent / "sau_log.csv", sau, SAU_COLUMNS)   # with the status-entry columns
        return run_study(config, out=out)
    return go


def costs(con, where: str) -> dict:
    return dict(con.execute(f"""select source_record_id, (quantity, cost_gbp, is_selected) from fct_resource_use
                                where {where}""").fetchall())


def by_perspective(con, family: str, category: str) -> dict:
    return dict(con.execute("""select perspective, cost_gbp from fct_family_cost_breakdown
                               where family_id = ? and period = 'follow_up' and category = ?""",
                            [family, category]).fetchall())


def test_hospital_stay_is_a_spell_per_admission_plus_excess_nights(run):
    # docs/costing.md "Hospital stays": cost = admissions × spell + max(nights − admissions, 0) × excess
    # bed day; an admission of 0 nights costs one spell; nights with an unknown admission count are unknown.
    t2 = response(*B001_T2, **all_no(
        su_hospital_admission_any="1", su_hospital_admission_admissions="2", su_inpatient_any="1", su_inpatient_nights="5",
        **{"1_su_hospital_admission_any": "1", "1_su_hospital_admission_admissions": "1", "1_su_inpatient_any": "2"}))
    t2_b002 = response(*B002_T2, **all_no(su_hospital_admission_any="1", su_inpatient_any="1", su_inpatient_nights="3"))
    con = run(BASELINES + [t2, t2_b002])
    spell, excess = rate(con, "inpatient_spell"), rate(con, "inpatient_excess_bed_day")
    got = costs(con, "resource_code in ('hospital_admission', 'inpatient') and period = 'follow_up'")
    # parent: 2 admissions, 5 nights -> 2 spells + 3 excess bed days
    assert got["R_b001t2:su_hospital_admission_admissions"] == (2.0, pytest.approx(2 * spell), True)
    assert got["R_b001t2:su_inpatient_nights"] == (3.0, pytest.approx(3 * excess), True)
    # child: 1 admission, 'no' nights -> one spell, no excess: a day admission is not free
    assert got["R_b001t2:1_su_hospital_admission_admissions"] == (1.0, pytest.approx(spell), True)
    assert got["R_b001t2:1_su_inpatient_nights"] == (0.0, 0.0, True)
    # PFC-B-002: admitted ('yes', count blank), 3 nights -> both unknown, never 3 excess days
    assert got["R_b002t2:su_hospital_admission_admissions"][:2] == (None, None)
    assert got["R_b002t2:su_inpatient_nights"][:2] == (None, None)
    reason = con.execute("""select missing_reason from fct_resource_use
                            where source_record_id = 'R_b002t2:su_inpatient_nights'""").fetchone()
    assert reason == ("net_of_answer_unknown",)
    assert spell == pytest.approx(792) and excess > 0    # [UC24] Table 6.1.1 short stay, already 2023/24


def test_nights_without_an_admission_are_reported(run):
    # docs/costing.md "Hospital stays": nights with 0 admissions cost the nights as excess bed days only,
    # and audit_costing reports the contradiction.
    t2 = response(*B001_T2, **all_no(su_inpatient_any="1", su_inpatient_nights="2"))   # admissions 'no'
    con = run(BASELINES + [t2])
    got = costs(con, "source_record_id = 'R_b001t2:su_inpatient_nights'")
    assert got == {"R_b001t2:su_inpatient_nights": (2.0, pytest.approx(2 * rate(con, "inpatient_excess_bed_day")), True)}
    audit = con.execute("""select severity, record_id from audit_costing where rule = 'nights_without_admission'""").fetchall()
    assert audit == [("warning", "R_b001t2:su_inpatient_nights")]


def test_placement_of_each_type_from_parent_report(run):
    # docs/costing.md "Children in care": a placement costs nights × the unit cost of its type (foster,
    # kinship, residential); sector la_social_care, so it counts in every perspective.
    t2 = response(*B001_T2, **all_no(**{
        "1_su_foster_care_any": "1", "1_su_foster_care_nights": "10",
        "1_su_kinship_care_any": "1", "1_su_kinship_care_nights": "20",
        "1_su_residential_care_any": "1", "1_su_residential_care_nights": "4"}))
    con = run(BASELINES + [t2])
    foster, kin, res = (rate(con, c) for c in ("foster_care_night", "kinship_care_night", "residential_care_night"))
    got = costs(con, "family_id = 'PFC-B-001' and category = 'children_in_care' and period = 'follow_up' and quantity > 0")
    assert got == {"R_b001t2:1_su_foster_care_nights": (10.0, pytest.approx(10 * foster), True),
                   "R_b001t2:1_su_kinship_care_nights": (20.0, pytest.approx(20 * kin), True),
                   "R_b001t2:1_su_residential_care_nights": (4.0, pytest.approx(4 * res), True)}
    total = 10 * foster + 20 * kin + 4 * res
    assert by_perspective(con, "PFC-B-001", "children_in_care") == {
        p: pytest.approx(round(total, 2), abs=0.01) for p in ("nhs_pss", "public_sector", "societal")}
    assert foster == pytest.approx(kin) and res > foster      # kinship costed as foster care (assumption row)


def test_child_protection_plan_days_and_care_proceedings(run):
    # docs/costing.md "Children in care": a plan costs days × child_protection_plan_day (la_social_care,
    # every perspective); proceedings one care_proceedings_case per set, sector justice: public sector
    # and societal, not nhs_pss.
    t2 = response(*B001_T2, **all_no(**{
        "1_su_child_protection_plan_any": "1", "1_su_child_protection_plan_days": "60",
        "1_su_care_proceedings_any": "1", "1_su_care_proceedings_cases": "1"}))
    con = run(BASELINES + [t2])
    plan, case = rate(con, "child_protection_plan_day"), rate(con, "care_proceedings_case")
    got = costs(con, "family_id = 'PFC-B-001' and resource_code in ('child_protection_plan', 'care_proceedings') "
                     "and period = 'follow_up'")
    assert got == {"R_b001t2:1_su_child_protection_plan_days": (60.0, pytest.approx(60 * plan), True),
                   "R_b001t2:1_su_care_proceedings_cases": (1.0, pytest.approx(case), True)}
    assert by_perspective(con, "PFC-B-001", "child_protection") == {
        p: pytest.approx(round(60 * plan, 2), abs=0.01) for p in ("nhs_pss", "public_sector", "societal")}
    # a perspective without the sector has no breakdown row for it
    assert by_perspective(con, "PFC-B-001", "care_proceedings") == {
        "public_sector": pytest.approx(round(case, 2), abs=0.01),
        "societal": pytest.approx(round(case, 2), abs=0.01)}


def test_out_of_pocket_and_time_off_work_count_in_societal_only(run):
    # docs/costing.md "Out-of-pocket spending and time off work": sector out_of_pocket, in societal
    # only. £40.50 spent, answered 2023-11-20 (financial year 2023/24 = the target year: 40.50 × 1);
    # 7.5 hours off work × the hourly earnings row. The voucher and the taxi are in test_costing_window.
    t2 = response(*B001_T2, **all_no(su_out_of_pocket_any="1", su_out_of_pocket_gbp="40.50",
                                      su_time_off_work_any="1", su_time_off_work_hours="7.5"))
    con = run(BASELINES + [t2])
    hour = rate(con, "parent_time_off_work_hour")
    got = costs(con, "family_id = 'PFC-B-001' and resource_code in ('out_of_pocket', 'time_off_work') and period = 'follow_up'")
    assert got == {"R_b001t2:su_out_of_pocket_gbp": (40.5, pytest.approx(40.5), True),
                   "R_b001t2:su_time_off_work_hours": (7.5, pytest.approx(7.5 * hour), True)}
    # a perspective without the sector has no breakdown row for it
    assert by_perspective(con, "PFC-B-001", "out_of_pocket") == {"societal": 40.5}
    assert by_perspective(con, "PFC-B-001", "time_off_work") == {"societal": pytest.approx(round(7.5 * hour, 2), abs=0.01)}
    totals = dict(con.execute("""select perspective, known_cost_gbp from fct_family_costs
                                 where family_id = 'PFC-B-001' and period = 'follow_up'""").fetchall())
    # societal = public sector + third sector (none here) + the two
    assert totals["societal"] - totals["public_sector"] == pytest.approx(40.5 + 7.5 * hour, abs=0.01)


def sau_status(log_id: str, kind: str, start: str, end: str = "", child: str = "PFC-B-002-C1") -> dict:
    return {"log_id": log_id, "family_id": "PFC-B-002", "contact_date": start, "contact_type": kind,
            "duration_minutes": "", "travel_minutes": "", "attendees": "", "referral_to": "", "attendance": "",
            "child_id": child, "end_date": end}


STATUS = [SAU[0],
          sau_status("S2", "placement_foster", "2023-06-20"),                     # open: 07-05 .. 10-05 = 92 nights
          sau_status("S3", "placement_kinship", "2023-08-01", "2023-08-11"),      # 10 nights
          sau_status("S4", "placement_residential", "2023-09-01", "2023-09-04"),  # 3 nights
          sau_status("S5", "child_protection_plan", "2023-07-15", "2023-12-31"),  # 07-15 .. 10-05 = 82 days
          sau_status("S6", "care_proceedings", "2023-08-20"),                     # one case, inside
          sau_status("S7", "care_proceedings", "2023-11-01"),                     # after the window: not costed
          sau_status("S8", "placement_foster", "2023-01-01", "2023-06-30")]       # ended before randomisation


def test_sau_log_status_entries_and_like_for_like(run):
    # docs/costing.md "Children in care": a logged placement or plan costs its nights or days inside the
    # window (contact_date to end_date, blank = open), proceedings one case if dated inside it. The log
    # covers SAU only, so the base case costs the group from parent report in both arms (the log is
    # compared, not costed); the arm-specific-log sensitivity costs it from the log for SAU families.
    t2 = response(*B002_T2, **all_no(**{"1_su_foster_care_any": "1", "1_su_foster_care_nights": "30"}))
    con = run(BASELINES + [t2], sau=STATUS)
    foster, kin, res, plan, case = (rate(con, c) for c in ("foster_care_night", "kinship_care_night", "residential_care_night",
                                                             "child_protection_plan_day", "care_proceedings_case"))
    logged = {"S2": (92.0, pytest.approx(92 * foster), False), "S3": (10.0, pytest.approx(10 * kin), False),
              "S4": (3.0, pytest.approx(3 * res), False), "S5": (82.0, pytest.approx(82 * plan), False),
              "S6": (1.0, pytest.approx(case), False)}
    got = costs(con, "source = 'sau_log' and item_kind = 'status' and period = 'follow_up'")
    assert got == logged
    outside = con.execute("""select source_record_id, person_id from fct_resource_use where source = 'sau_log'
                             and item_kind = 'status' and period is null order by 1""").fetchall()
    assert outside == [("S7", "PFC-B-002-C1"), ("S8", "PFC-B-002-C1")]
    coverage = con.execute("""select source_code, n_records, is_covered from audit_unit_cost_coverage
                              where source = 'sau_log' and source_code like 'placement%' order by 1""").fetchall()
    assert coverage == [("placement_foster", 2, True), ("placement_kinship", 1, True), ("placement_residential", 1, True)]
    parent = costs(con, "source_record_id = 'R_b002t2:1_su_foster_care_nights'")
    assert parent == {"R_b002t2:1_su_foster_care_nights": (30.0, pytest.approx(30 * foster), True)}

    con = run(BASELINES + [t2], sau=STATUS, toml="[costing]\narm_specific_logs = true\n", out="arm_specific")
    got = costs(con, "source = 'sau_log' and item_kind = 'status' and period = 'follow_up'")
    assert got == {k: v[:2] + (True,) for k, v in logged.items()}
    assert costs(con, "source_record_id = 'R_b002t2:1_su_foster_care_nights'")["R_b002t2:1_su_foster_care_nights"][2] is False
    sources = con.execute("""select arm, chosen_source from fct_resource_use where priority_group = 'children_in_care'
                             and period = 'follow_up' group by all order by all""").fetchall()
    assert sources == [("SAU", "sau_log")]          # PFC-B-001 (IPS) has no follow-up here


def test_sau_log_status_entry_rules(run):
    # contracts/sau_log.toml: a status entry names its child and has no contact time; a contact keeps
    # its duration and attendees; an end before the start is refused. Each is quarantined with its rule.
    bad = [SAU[0] | {"log_id": "S2", "duration_minutes": ""},
           sau_status("S3", "placement_foster", "2023-08-01", child=""),
           sau_status("S4", "child_protection_plan", "2023-08-01") | {"duration_minutes": "30"},
           sau_status("S5", "placement_kinship", "2023-08-10", "2023-08-01")]
    con = run(BASELINES, sau=SAU[:1] + bad)
    rules = con.execute("""select record_id, list_sort(list(distinct rule)) from audit_issues
                           where source = 'sau_log' and severity = 'error' group by 1 order by 1""").fetchall()
    assert rules == [("S2", ["contact_without_duration"]), ("S3", ["status_entry_without_child"]),
                     ("S4", ["status_entry_with_contact_time"]), ("S5", ["end_before_start"])]
    assert con.execute("select list_sort(list(record_id)) from stg_sau_log").fetchone() == (["S1"],)
