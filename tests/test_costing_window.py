"""Costing methods (issue 10): one window, the edge cases, two respondents. Each test is worked by
hand and cites the rule of docs/costing.md it checks. Unit costs are read from the run's own library
(int_unit_costs_inflated), so the arithmetic, not a rate, is under test.

Randomisation (tests/conftest.py): PFC-B-001 IPS 2023-07-01; PFC-B-002 SAU 2023-07-05.
"""

from __future__ import annotations

import pytest

from conftest import NSPCC, SAU, response
from test_costing import all_no


def rate(con, code: str) -> float:
    return con.execute("select unit_cost_gbp from int_unit_costs_inflated where unit_cost_code = ? and is_selected",
                       [code]).fetchone()[0]


def items(con, where: str) -> list[tuple]:
    return con.execute(f"""select source_record_id, quantity, prorate_factor, extrapolation_factor, is_extrapolated,
                                  cost_gbp, is_selected from fct_resource_use where {where} order by source_record_id""").fetchall()


BASELINES = [response("R_b001t1", "PFC-B-001", "T1", "2023-06-20", **all_no()),
             response("R_b002t1", "PFC-B-002", "T1", "2023-06-25", **all_no())]
# PFC-B-001: follow-up 2023-11-20, 'last 3 months' from 2023-08-20 (92 days); its window is
# 2023-07-02 to 2023-11-20 (142 days): the recall is SHORTER than the window.
SHORT = response("R_b001t2", "PFC-B-001", "T2", "2023-11-20", **all_no(su_gp_surgery_any="1", su_gp_surgery_contacts="4"))
# PFC-B-002: follow-up 2023-09-05 with a 6-month recall from 2023-03-05 (184 days); its window is
# 2023-07-06 to 2023-09-05 (62 days): the recall is LONGER than the window and starts before randomisation.
LONG = response("R_b002t2", "PFC-B-002", "T2", "2023-09-05", recall_months="6",
                **all_no(su_gp_surgery_any="1", su_gp_surgery_contacts="6"))


@pytest.fixture
def run(make_study, run_study):
    def go(questionnaire, nspcc=NSPCC, sau=SAU, toml="", out="results"):
        return run_study(make_study(questionnaire=questionnaire, nspcc=nspcc, sau=sau, extra_toml="\n" + toml), out=out)
    return go


def test_recall_shorter_and_longer_than_the_window(run):
    # docs/costing.md "One window": a follow-up recall is pro-rated to the part inside the window and
    # extrapolated to the whole window only when the config says so, each such item flagged.
    con = run(BASELINES + [SHORT, LONG])
    gp = rate(con, "gp_consultation")
    short = items(con, "source_record_id = 'R_b001t2:su_gp_surgery_contacts'")
    assert short == [("R_b001t2:su_gp_surgery_contacts", 4.0, 1.0, 1.0, False, pytest.approx(4 * gp), True)]
    # longer: 62 of its 184 days fall in the window -> 6 × 62 / 184 contacts; nothing before randomisation
    long = items(con, "source_record_id = 'R_b002t2:su_gp_surgery_contacts'")
    assert long == [("R_b002t2:su_gp_surgery_contacts", pytest.approx(6 * 62 / 184), pytest.approx(62 / 184), 1.0,
                     False, pytest.approx(6 * 62 / 184 * gp), True)]
    days = con.execute("""select family_id, days_covered, period_days, extrapolated_cost_gbp from fct_family_costs
                          where period = 'follow_up' and perspective = 'nhs_pss' and family_id <> 'PFC-G-001'
                          order by 1""").fetchall()
    assert days == [("PFC-B-001", 92, 142, 0.0), ("PFC-B-002", 62, 62, 0.0)]

    con = run(BASELINES + [SHORT, LONG], toml="[costing]\nextrapolate_follow_up_recall = true\n", out="extrapolated")
    # extrapolated: 4 × 142 / 92 contacts; the added part is 4 × gp × (142/92 − 1)
    short = items(con, "source_record_id = 'R_b001t2:su_gp_surgery_contacts'")
    assert short == [("R_b001t2:su_gp_surgery_contacts", pytest.approx(4 * 142 / 92), 1.0, pytest.approx(142 / 92),
                      True, pytest.approx(4 * 142 / 92 * gp), True)]
    assert items(con, "source_record_id = 'R_b002t2:su_gp_surgery_contacts'")[0][4] is False   # covers its window
    row = con.execute("""select days_covered, extrapolated_cost_gbp from fct_family_costs
                         where family_id = 'PFC-B-001' and period = 'follow_up' and perspective = 'nhs_pss'""").fetchone()
    assert row == (142, pytest.approx(round(4 * gp * (142 / 92 - 1), 2), abs=0.006))


def test_fixed_horizon_applies_to_costs_and_outcomes(run):
    # docs/costing.md "One window": analysis_horizon = "fixed" ends every window at randomisation + N months.
    # PFC-B-001: 2023-07-02 to 2023-10-01 (92 days); the recall 2023-08-20 to 2023-11-20 overlaps it by 42 days.
    con = run(BASELINES + [SHORT], toml="[periods]\nanalysis_horizon = \"fixed\"\nanalysis_horizon_months = 3\n")
    got = items(con, "source_record_id = 'R_b001t2:su_gp_surgery_contacts'")[0]
    assert got[1:3] == (pytest.approx(4 * 42 / 92), pytest.approx(42 / 92))
    assert con.execute("select window_days from fct_family_outcomes where family_id = 'PFC-B-001'").fetchone() == (92,)
    # the NSPCC contact of 2023-07-10 (staff and travel rows) and the taxi of 2023-07-12 are inside the window
    assert con.execute("""select count(*) from fct_resource_use where family_id = 'PFC-B-001'
                          and source = 'nspcc_activity' and period = 'follow_up'""").fetchone() == (3,)


def test_record_on_the_randomisation_day_is_not_follow_up(run):
    # docs/costing.md "Periods": follow-up starts the day after randomisation.
    nspcc = [NSPCC[0] | {"contact_date": "2023-07-01"}, NSPCC[1] | {"contact_date": "2023-07-02"}]
    con = run(BASELINES + [SHORT], nspcc=nspcc)
    got = dict(con.execute("select source_record_id, period from fct_resource_use where source = 'nspcc_activity'").fetchall())
    assert got == {"N1": None, "N1:travel": None, "N2": "follow_up"}


def test_failed_child_block_keeps_the_child_unknown(run):
    # docs/costing.md "Edge cases": a child block that fails its checks does not take the child's
    # service use with it: its services are items of unknown quantity and the family is partial.
    bad = response("R_b001t2", "PFC-B-001", "T2", "2023-11-20", **all_no(**{
        "2_child_id": "PFC-B-999-C1", "2_child_age_months": "20", "2_su_gp_surgery_any": "1",
        "2_su_gp_surgery_contacts": "3"}))
    con = run(BASELINES + [bad])
    n_child_services = con.execute("""select count(distinct service) from contract_columns
                                      where source = 'questionnaire' and block = 'service_use' and level = 'child'""").fetchone()[0]
    got = con.execute("""select count(*), count(*) filter (where missing_reason = 'child_block_rejected')
                         from fct_resource_use where record_group_id = 'R_b001t2' and source_record_id like 'R_b001t2:2\\_%' escape '\\'""").fetchone()
    assert got == (n_child_services, n_child_services)
    status = con.execute("""select cost_status, cost_status_reason from fct_family_costs
                            where family_id = 'PFC-B-001' and period = 'follow_up' and perspective = 'nhs_pss'""").fetchone()
    assert status[0] == "partial" and "unknown quantity" in status[1]


def test_decimal_hours_are_accepted(run):
    # docs/costing.md "Edge cases": hours are decimals in the contract (questionnaire_services.csv
    # quantity_type); 7.5 nursery hours cost 7.5 × the early-years hourly rate.
    row = response("R_b001t1", "PFC-B-001", "T1", "2023-06-20", **all_no(**{
        "1_su_early_years_setting_any": "1", "1_su_early_years_setting_hours": "7.5"}))
    con = run([row, BASELINES[1]])
    got = con.execute("""select quantity, cost_gbp from fct_resource_use
                         where source_record_id = 'R_b001t1:1_su_early_years_setting_hours'""").fetchone()
    assert got == (7.5, pytest.approx(7.5 * rate(con, "early_years_hour")))
    assert con.execute("select count(*) from audit_issues where value = '7.5'").fetchone() == (0,)


def test_sau_log_attendance_rule(run):
    # docs/costing.md "DNA / cancellation": the SAU log's attendance field takes the same shares as
    # NSPCC contacts: DNA costs contact and travel; cancelled costs no contact, the recorded travel.
    sau = [SAU[0] | {"log_id": "S1", "contact_type": "home_visit", "duration_minutes": "60", "travel_minutes": "30",
                     "attendees": "social_worker", "attendance": "dna"},
           SAU[0] | {"log_id": "S2", "contact_type": "home_visit", "duration_minutes": "60", "travel_minutes": "30",
                     "attendees": "social_worker", "attendance": "cancelled_late"},
           SAU[0] | {"log_id": "S3", "contact_type": "home_visit", "duration_minutes": "60", "travel_minutes": "",
                     "attendees": "social_worker", "attendance": ""}]
    con = run(BASELINES + [LONG], sau=sau)
    sw = rate(con, "childrens_social_worker_hour")
    got = dict(con.execute("select source_record_id, cost_gbp from fct_resource_use where source = 'sau_log'").fetchall())
    assert got == {"S1:1": pytest.approx(sw), "S1:travel": pytest.approx(sw / 2),
                   "S2:1": 0.0, "S2:travel": pytest.approx(sw / 2), "S3:1": pytest.approx(sw)}


def test_allowance_on_contact_rows_only_and_ratios_per_role(run):
    # docs/costing.md "Non-contact allowance": the allowance multiplies face-to-face minutes only; the
    # role's recorded non-contact work and travel are then inside it (cost 0). With non_contact_ratios,
    # settings.toml apply_clinical_psychologist_ratio_to gives 2.03 ([UC24] Table 12.5.1) and
    # apply_community_ahp_ratio_to gives 0.91 ([UC24] §8.1) to the roles listed.
    nspcc = [NSPCC[0],                                                                   # 60 min home visit + 30 travel
             NSPCC[0] | {"record_id": "N3", "contact_id": "C3", "activity_type": "report_writing",
                         "contact_minutes": "30", "travel_minutes": "0", "mode": ""},
             NSPCC[0] | {"record_id": "N4", "contact_id": "C4", "staff_role": "family_engagement_worker",
                         "contact_minutes": "60", "travel_minutes": "20"}]
    con = run(BASELINES + [SHORT], nspcc=nspcc, toml="[costing]\nnon_contact_ratios = true\n")
    psych, few = rate(con, "ips_clinical_psychologist_hour"), rate(con, "ips_family_engagement_worker_hour")
    got = dict(con.execute("""select source_record_id, cost_gbp from fct_resource_use
                              where source = 'nspcc_activity' and item_kind <> 'payment'""").fetchall())
    assert got == {"N1": pytest.approx(psych * 3.03), "N1:travel": 0.0, "N3": 0.0,
                   "N4": pytest.approx(few * 1.91), "N4:travel": 0.0}
    # without an allowance (the default) every recorded minute costs at the working-hour rate
    con = run(BASELINES + [SHORT], nspcc=nspcc, out="default")
    got = dict(con.execute("""select source_record_id, cost_gbp from fct_resource_use
                              where source = 'nspcc_activity' and item_kind <> 'payment'""").fetchall())
    assert got == {"N1": pytest.approx(psych), "N1:travel": pytest.approx(psych / 2), "N3": pytest.approx(psych / 2),
                   "N4": pytest.approx(few), "N4:travel": pytest.approx(few / 3)}


def two_parents(p1_extra: dict, p2_extra: dict) -> list[dict]:
    p1 = response("R_p1", "PFC-B-001", "T2", "2023-11-20", **all_no(
        su_gp_surgery_any="1", su_gp_surgery_contacts="1", su_social_worker_visit_any="1",
        su_social_worker_visit_contacts="2", **{"1_su_gp_surgery_any": "1", "1_su_gp_surgery_contacts": "2"}, **p1_extra))
    p2 = response("R_p2", "PFC-B-001", "T2", "2023-11-22", parent_id="PFC-B-001-P2", **all_no(
        su_gp_surgery_any="1", su_gp_surgery_contacts="1", su_social_worker_visit_any="1",
        su_social_worker_visit_contacts="3", **{"1_su_gp_surgery_any": "1", "1_su_gp_surgery_contacts": "3"}, **p2_extra))
    return BASELINES + [p1, p2]


def test_two_parents_reporting_one_child(run):
    # docs/costing.md "Two respondents": a child's services are counted once per child, family services
    # once per family, each parent's own services for each parent; the duplicate is reported, not costed.
    con = run(two_parents({}, {}))
    gp, sw = rate(con, "gp_consultation"), rate(con, "social_worker_visit")
    got = {r[0]: (r[1], r[6]) for r in items(con, "family_id = 'PFC-B-001' and period = 'follow_up' and source = 'questionnaire' "
                                                  "and resource_code in ('gp_surgery', 'social_worker_visit') and quantity > 0")}
    # first_response: the child's 2 GP contacts and the family's 2 social-worker contacts from R_p1
    # (2023-11-20), the first response, which also ends the window; the parents' own GP contacts from both.
    assert got["R_p1:su_gp_surgery_contacts"] == (1.0, True)
    assert got["R_p1:1_su_gp_surgery_contacts"] == (2.0, True)
    assert got["R_p1:su_social_worker_visit_contacts"] == (2.0, True)
    assert got["R_p2:1_su_gp_surgery_contacts"][1] is False
    assert got["R_p2:su_social_worker_visit_contacts"][1] is False
    # R_p2 recall 2023-08-22 to 2023-11-22 (92 days), 90 of them in the window (to 2023-11-20)
    assert got["R_p2:su_gp_surgery_contacts"] == (pytest.approx(90 / 92), True)
    audit = con.execute("""select rule, severity, record_id, n_items from audit_costing
                           where rule in ('duplicate_report', 'later_follow_up') order by rule""").fetchall()
    n_dupes = con.execute("select count(*) from fct_resource_use where is_duplicate_report").fetchone()[0]
    assert audit == [("duplicate_report", "info", "R_p2", n_dupes), ("later_follow_up", "info", "R_p2", 1)]
    assert n_dupes == con.execute("""select count(*) from contract_columns where source = 'questionnaire'
        and block = 'service_use' and counted_per in ('family', 'child') and slot <= 1 and field like '%\\_any' escape '\\'""").fetchone()[0]


def test_respondent_rule_most_complete(run):
    # docs/costing.md "Two respondents": respondent_rule = "most_complete" costs the family's and the
    # child's services from the response with fewer unknown answers: R_p1 left a 'yes' count blank.
    con = run(two_parents({"su_food_bank_any": "1"}, {}), toml="[costing]\nrespondent_rule = \"most_complete\"\n")
    got = {r[0]: r[6] for r in items(con, "family_id = 'PFC-B-001' and source = 'questionnaire' and period = 'follow_up'")}
    assert got["R_p2:1_su_gp_surgery_contacts"] and got["R_p2:su_social_worker_visit_contacts"]
    assert not got["R_p1:1_su_gp_surgery_contacts"] and not got["R_p1:su_food_bank_parcels"]
    assert got["R_p1:su_gp_surgery_contacts"]                     # a parent's own use: counted for each parent


def test_voucher_and_taxi_under_each_perspective(run):
    # docs/costing.md "Transfers": a voucher is a transfer (code_map.csv is_transfer), counted in the
    # payer's perspectives and cancelled in the societal one by default; a taxi fare is a resource,
    # counted in every perspective. Cash is deflated from the financial year of its payment date:
    # with target 2024/25 and the GDP deflator (2023/24 = 96.11, 2024/25 = 100.00, inflation_indices.csv)
    # £20 paid on 2023-07-20 is 20 × 100 / 96.11 and £12.50 on 2023-07-12 is 12.50 × 100 / 96.11.
    nspcc = [NSPCC[1], NSPCC[1] | {"record_id": "N3", "contact_id": "C3", "contact_date": "2023-07-20",
                                   "support_type": "vouchers", "support_amount_gbp": "20"}]
    con = run(BASELINES + [SHORT], nspcc=nspcc)
    # target price year 2023/24 (default): both paid in 2023/24, no deflation
    got = dict(con.execute("""select source_record_id, (cost_gbp, is_transfer, cost_price_year) from fct_resource_use
                              where source = 'nspcc_activity'""").fetchall())
    assert got == {"N2": (12.5, False, "2023/24"), "N3": (20.0, True, "2023/24")}
    by_perspective = dict(con.execute("""select perspective, cost_gbp from fct_family_cost_breakdown
        where family_id = 'PFC-B-001' and period = 'follow_up' and category = 'direct_support'""").fetchall())
    assert by_perspective == {"nhs_pss": 32.5, "public_sector": 32.5, "societal": 12.5}
    # the alternative rule (a sensitivity): transfers counted in every perspective
    con = run(BASELINES + [SHORT], nspcc=nspcc, toml="[costing]\ntransfers_cancel_in = []\n", out="everywhere")
    by_perspective = dict(con.execute("""select perspective, cost_gbp from fct_family_cost_breakdown
        where family_id = 'PFC-B-001' and period = 'follow_up' and category = 'direct_support'""").fetchall())
    assert by_perspective == {"nhs_pss": 32.5, "public_sector": 32.5, "societal": 32.5}


def test_cash_is_deflated_from_its_payment_date(make_study, run_study):
    # docs/costing.md "Transfers": see the test above for the index values.
    nspcc = [NSPCC[1], NSPCC[1] | {"record_id": "N3", "contact_id": "C3", "contact_date": "2023-07-20",
                                   "support_type": "vouchers", "support_amount_gbp": "20"}]
    config = make_study(questionnaire=BASELINES + [SHORT], nspcc=nspcc)
    config.write_text(config.read_text().replace('name = "test"', 'name = "test"\ntarget_price_year = "2024/25"'))
    con = run_study(config)
    got = dict(con.execute("""select source_record_id, (cost_gbp, cost_price_year) from fct_resource_use
                              where source = 'nspcc_activity'""").fetchall())
    assert got == {"N2": (pytest.approx(12.5 * 100 / 96.11), "2023/24"), "N3": (pytest.approx(20 * 100 / 96.11), "2023/24")}
