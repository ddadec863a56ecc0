"""Costing (issue 3): a small hand-made study whose every family's cost is worked out by hand here.

Unit-cost rows used (unit_costs/unit_costs.csv, target price year 2023/24):
  UC24_GP_CONSULT_10MIN              gp_consultation            £37 per contact,       2023/24, nhs
  BMJO_NHS111_CALL                   nhs111_call                £8 per call,           2015/16, nhs, nhscii_pp_uc25
  ASSUMP_POLICE_INCIDENT_VWOI        police_incident            £470 per contact,      2022/23, police, gdp_deflator
  DERIVED_DFE_EY_FUNDING_3TO4_FY2324 early_years_hour           £5.48 per hour,        2023/24, education
  ASSUMP_HOMESTART_VISIT_2H          home_start_visit           £60 per contact,       2023/24, third_sector
  ASSUMP_SW_VISIT_60MIN_UC24_COMPONENTS social_worker_visit     £51.60 per contact,    2023/24, la_social_care
  UC24_IPS_CLIN_PSYCH_B7             ips_clinical_psychologist_hour  £68 per hour,     2023/24, intervention (excl travel)
  ASSUMP_IPS_FEW_HOUR                ips_family_engagement_worker_hour £30 per hour,   2023/24, intervention (excl travel)
  IPS_DIRECT_SUPPORT_GBP             direct_support_cash        £1 per £,              2023/24, intervention
  ASSUMP_CHILDRENS_SW_HOUR_UC24_COMPONENTS childrens_social_worker_hour £51.60 per hour, 2023/24, la_social_care (excl travel)
  ASSUMP_HV_HOUR_BAND6               health_visitor_hour        £58 per hour,          2023/24, nhs
  ASSUMP_TEACHER_HOUR_UC24_COMPONENTS teacher_hour              £51.60 per hour,       2023/24, education
Indices (unit_costs/inflation_indices.csv): nhscii_pp_uc25 2015/16 = 100, 2023/24 = 124.0071;
gdp_deflator 2022/23 = 91.30, 2023/24 = 96.11.
Perspectives (unit_costs/perspectives.csv): nhs_pss = nhs + la_social_care + intervention;
public_sector adds education and police; societal adds third_sector and out_of_pocket.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RANDOMISATION, response
from pfc_econ.paths import UNIT_COSTS_DIR
from pfc_econ.unit_cost_library import inflate_cost

SERVICES = list(csv.DictReader(open(Path(__file__).parent.parent / "contracts" / "questionnaire_services.csv")))
ROOT = Path(__file__).parent.parent


def all_no(**answers) -> dict:
    """Every service gate answered 'no' (2) for the parent and child 1, then ``answers`` on top."""
    gates = {("1_" if s["asked_of"] == "child" else "") + f"su_{s['service']}_any": "2" for s in SERVICES}
    gates.update(answers)
    return gates


QUESTIONNAIRE = [
    # PFC-B-001 baseline: GP 2 contacts, NHS 111 3 calls, police 1 incident, Home-Start 1 visit,
    # child 10 hours early years; food bank 'no' with a blank count (blank after no = 0).
    response("R_b001t1", "PFC-B-001", "T1", "2023-06-20", **all_no(
        su_gp_surgery_any="1", su_gp_surgery_contacts="2", su_nhs111_any="1", su_nhs111_calls="3",
        su_police_contact_any="1", su_police_contact_incidents="1",
        su_home_start_volunteer_any="1", su_home_start_volunteer_visits="1",
        **{"1_su_early_years_setting_any": "1", "1_su_early_years_setting_hours": "10"})),
    # PFC-B-001 follow-up: nothing used.
    response("R_b001t2", "PFC-B-001", "T2", "2023-11-20", **all_no()),
    # PFC-B-002 baseline: GP 'yes' with a blank count (blank after yes = missing); 4 social-worker contacts.
    response("R_b002t1", "PFC-B-002", "T1", "2023-06-25", **all_no(
        su_gp_surgery_any="1", su_social_worker_visit_any="1", su_social_worker_visit_contacts="4")),
    # PFC-B-002 follow-up: parent reports 5 social-worker contacts; the SAU log wins by default.
    response("R_b002t2", "PFC-B-002", "T2", "2023-12-01", **all_no(
        su_social_worker_visit_any="1", su_social_worker_visit_contacts="5")),
]

def nspcc(record_id, date, role, minutes, travel, attendance, activity="home_visit", support="", amount=""):
    return {"record_id": record_id, "contact_id": "C" + record_id, "family_id": "PFC-B-001", "contact_date": date,
            "activity_type": activity, "staff_role": role, "contact_minutes": minutes, "travel_minutes": travel,
            "mode": "home" if role else "", "attendance": attendance, "support_type": support,
            "support_amount_gbp": amount}


NSPCC = [
    nspcc("N1", "2023-07-10", "clinical_psychologist", "60", "30", "attended"),
    nspcc("N2", "2023-07-12", "", "", "", "", activity="direct_support", support="taxi", amount="12.50"),
    nspcc("N3", "2023-08-01", "family_engagement_worker", "45", "20", "dna"),          # a DNA
    nspcc("N4", "2023-08-08", "clinical_psychologist", "0", "0", "cancelled_notice"),
    nspcc("N5", "2024-03-01", "clinical_psychologist", "60", "0", "attended"),         # after follow-up
]

SAU = [
    # a child-in-need meeting with three attendees, and the social worker's 30 minutes of travel
    {"log_id": "S1", "family_id": "PFC-B-002", "contact_date": "2023-07-20", "contact_type": "cin_meeting",
     "duration_minutes": "60", "travel_minutes": "30", "attendees": "social_worker;health_visitor;teacher",
     "referral_to": "none"},
    # a home visit with a housing officer, whose code the test library leaves unmapped
    {"log_id": "S2", "family_id": "PFC-B-002", "contact_date": "2023-08-10", "contact_type": "home_visit",
     "duration_minutes": "45", "travel_minutes": "", "attendees": "social_worker;housing_officer",
     "referral_to": "none"},
]

NHS111 = 8 * 124.0071 / 100.0          # BMJO_NHS111_CALL inflated 2015/16 -> 2023/24 = 9.920568
POLICE = 470 * 96.11 / 91.30           # ASSUMP_POLICE_INCIDENT_VWOI inflated 2022/23 -> 2023/24 = 494.761227
SW = 51.60                             # [UC24] Table 10.1.1: (93,011 - 10,082) / 1,607, the social-worker proxy rate

# family, period, perspective -> (known_cost_gbp, cost_status)
EXPECTED = {
    # PFC-B-001 baseline: GP 2 × £37 = 74; NHS 111 3 × 9.920568 = 29.761704 -> nhs_pss 103.761704.
    # public_sector adds police 494.761227 and early years 10 × £5.48 = 54.80 -> 653.322931.
    # societal adds Home-Start 1 × £60 -> 714.722931. Food bank 'no' + blank = 0.
    ("PFC-B-001", "pre_baseline", "nhs_pss"): (74 + 3 * NHS111, "complete"),
    ("PFC-B-001", "pre_baseline", "public_sector"): (74 + 3 * NHS111 + POLICE + 54.80, "complete"),
    ("PFC-B-001", "pre_baseline", "societal"): (74 + 3 * NHS111 + POLICE + 54.80 + 60, "complete"),
    # PFC-B-001 follow-up (intervention counts in every perspective):
    #   N1 clinical psychologist 60 min × £68/h = 68, travel 30 min × £68/h = 34        -> 102
    #   N2 taxi £12.50 × £1                                                           -> 12.50
    #   N3 DNA: family engagement worker 45 min × £30/h = 22.50, travel 20 min = 10.00 -> 32.50
    #   N4 cancelled with notice: 0 minutes -> 0; N5 is after the follow-up assessment: not costed
    #   = 147.00; the parent reported no other use.
    ("PFC-B-001", "follow_up", "nhs_pss"): (147.00, "complete"),
    ("PFC-B-001", "follow_up", "public_sector"): (147.00, "complete"),
    ("PFC-B-001", "follow_up", "societal"): (147.00, "complete"),
    # PFC-B-002 baseline: 4 social-worker contacts × £51.60 = 206.40; GP 'yes' with no count -> partial.
    ("PFC-B-002", "pre_baseline", "nhs_pss"): (4 * SW, "partial"),
    ("PFC-B-002", "pre_baseline", "public_sector"): (4 * SW, "partial"),
    ("PFC-B-002", "pre_baseline", "societal"): (4 * SW, "partial"),
    # PFC-B-002 follow-up, social work from the SAU log (the parent's 5 contacts are not costed):
    #   S1 CIN meeting 60 min: social worker £51.60 + health visitor £58 + teacher £51.60 (education),
    #      social worker's travel 30 min × £51.60/h = 25.80
    #   S2 home visit 45 min: social worker 45/60 × £51.60 = 38.70; housing officer unmapped -> partial
    #   nhs_pss = 51.60 + 58 + 25.80 + 38.70 = 174.10; public_sector and societal add the teacher: 225.70.
    ("PFC-B-002", "follow_up", "nhs_pss"): (SW + 58 + SW / 2 + 0.75 * SW, "partial"),
    ("PFC-B-002", "follow_up", "public_sector"): (2 * SW + 58 + SW / 2 + 0.75 * SW, "partial"),
    ("PFC-B-002", "follow_up", "societal"): (2 * SW + 58 + SW / 2 + 0.75 * SW, "partial"),
    # PFC-G-001 withdrew and returned nothing: missing in both periods, known cost 0.
    **{("PFC-G-001", p, s): (0.0, "missing") for p in ("pre_baseline", "follow_up")
       for s in ("nhs_pss", "public_sector", "societal")},
}


@pytest.fixture
def library(tmp_path):
    """A copy of the shipped library with the SAU housing_officer mapping removed (an unmapped code)."""
    folder = tmp_path / "lib"
    shutil.copytree(UNIT_COSTS_DIR, folder)
    rows = (folder / "code_map.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "code_map.csv").write_text("".join(r for r in rows if not r.startswith("sau_log,housing_officer,")),
                                         encoding="utf-8")
    return folder


@pytest.fixture
def costed(make_study, run_study, library):
    """EXPECTED is worked under the arm-specific-log sensitivity (the SAU log costs SAU social work,
    docs/costing.md "Like for like"); ``costing_keys`` are further [costing] lines."""
    def run(costing_keys="", arm_specific=True):
        toml = (f'\n[sources.unit_costs]\npath = "{library}"\n\n[costing]\n'
                f'arm_specific_logs = {str(arm_specific).lower()}\n' + costing_keys)
        return run_study(make_study(questionnaire=QUESTIONNAIRE, nspcc=NSPCC, sau=SAU, extra_toml=toml),
                         out=f"results{abs(hash((costing_keys, arm_specific)))}")
    return run


def family_costs(con) -> dict:
    return {(f, p, s): (k, st, t) for f, p, s, k, st, t in con.execute(
        "select family_id, period, perspective, known_cost_gbp, cost_status, total_cost_gbp from fct_family_costs").fetchall()}


def test_every_family_costed_to_the_penny(costed):
    got = family_costs(costed())
    assert set(got) == set(EXPECTED)
    for key, (known, status) in EXPECTED.items():
        assert got[key][0] == pytest.approx(round(known, 2), abs=0.005), key
        assert got[key][1] == status, key
        # blank is not zero: a total exists only when the cost is complete
        assert got[key][2] == (pytest.approx(round(known, 2), abs=0.005) if status == "complete" else None), key


def test_one_row_per_family_period_perspective_withdrawn_marked(costed):
    con = costed()
    n = con.execute("select count(*), count(distinct (family_id, period, perspective)) from fct_family_costs").fetchone()
    families = con.execute("select count(*) from dim_family").fetchone()[0]
    assert n == (families * 2 * 3, families * 2 * 3)
    withdrawn = con.execute("select distinct family_id from fct_family_costs where is_withdrawn").fetchall()
    assert withdrawn == [("PFC-G-001",)]
    assert {r["family_id"] for r in RANDOMISATION} == {r[0] for r in con.execute("select family_id from fct_family_costs").fetchall()}


def test_no_negative_or_nan_cost_and_every_cost_traceable(costed):
    con = costed()
    for table, column in (("fct_resource_use", "cost_gbp"), ("fct_family_costs", "known_cost_gbp"),
                          ("fct_family_costs", "total_cost_gbp"), ("fct_family_cost_breakdown", "cost_gbp")):
        bad = con.execute(f"select count(*) from {table} where {column} < 0 or isnan({column})").fetchone()[0]
        assert bad == 0, table
    untraced = con.execute("""select count(*) from fct_resource_use as f
        left join stg_unit_costs as u using (unit_cost_id)
        where f.cost_gbp is not null and (u.unit_cost_id is null or f.source_record_id is null)""").fetchone()[0]
    assert untraced == 0


def test_meeting_costs_every_attendee_and_dna_and_blanks(costed):
    con = costed()
    meeting = con.execute("""select resource_code, item_kind, cost_gbp from fct_resource_use
        where source_record_id like 'S1:%' order by source_record_id""").fetchall()
    assert meeting == [("social_worker", "contact", pytest.approx(SW)), ("health_visitor", "contact", 58.0),
                       ("teacher", "contact", pytest.approx(SW)), ("social_worker", "travel", pytest.approx(SW / 2))]
    dna = con.execute("select sum(cost_gbp) from fct_resource_use where source_record_id like 'N3%'").fetchone()[0]
    assert dna == pytest.approx(32.50)
    blanks = dict(con.execute("""select source_record_id, coalesce(missing_reason, quantity::varchar) from fct_resource_use
        where source_record_id in ('R_b001t1:su_food_bank_parcels', 'R_b002t1:su_gp_surgery_contacts')""").fetchall())
    assert blanks == {"R_b001t1:su_food_bank_parcels": "0.0", "R_b002t1:su_gp_surgery_contacts": "blank_after_yes"}


def test_unmapped_code_is_reported_not_zero(costed):
    con = costed()
    row = con.execute("""select cost_gbp, cost_problem from fct_resource_use where source_record_id = 'S2:2'""").fetchone()
    assert row == (None, "unmapped_code")
    audit = con.execute("""select severity, family_id, resource_code from audit_costing where rule = 'unmapped_code'""").fetchall()
    assert audit == [("error", "PFC-B-002", "housing_officer")]
    outside = con.execute("select record_id from audit_costing where rule = 'outside_window'").fetchall()
    assert outside == [("N5",)]


def test_source_agreement_keeps_the_parent_report(costed):
    con = costed()
    row = con.execute("""select parent_reported_contacts, logged_contacts, chosen_source from fct_source_agreement
        where family_id = 'PFC-B-002' and period = 'follow_up' and category = 'social_work'""").fetchone()
    assert row == (5, 2, "sau_log")


def test_like_for_like_base_case_costs_social_work_from_parent_report(costed):
    # docs/costing.md "Like for like": the SAU log covers SAU families only ([sources.sau_log] arms,
    # default ["SAU"]), so the base case costs social work from parent report in both arms: PFC-B-002's
    # 5 reported social-worker contacts × £51.60 = 258.00, complete (its SAU log entries, with the
    # unmapped housing officer, are not costed but compared in fct_source_agreement).
    con = costed(arm_specific=False)
    got = family_costs(con)
    assert got[("PFC-B-002", "follow_up", "nhs_pss")] == (pytest.approx(5 * SW), "complete", pytest.approx(5 * SW))
    assert got[("PFC-B-001", "follow_up", "nhs_pss")][0] == pytest.approx(147.00)   # IPS delivery: NSPCC log
    sources = con.execute("""select distinct analysis, arm, priority_group, source, source_rule, sources_not_costed
                             from fct_costing_sources where period = 'follow_up' order by all""").fetchall()
    assert sources == [
        ("base_case", "IPS", "children_in_care", "questionnaire", "source covers both arms", []),
        ("base_case", "IPS", "ips_intervention", "nspcc_activity", "source covers the arm", []),
        ("base_case", "IPS", "other", "questionnaire", "source covers both arms", []),
        ("base_case", "IPS", "social_work", "questionnaire", "source covers both arms", []),
        ("base_case", "SAU", "children_in_care", "questionnaire", "source covers both arms", []),
        ("base_case", "SAU", "other", "questionnaire", "source covers both arms", []),
        ("base_case", "SAU", "social_work", "questionnaire", "source covers both arms", ["sau_log"])]
    agreement = con.execute("""select parent_reported_contacts, logged_contacts, chosen_source from fct_source_agreement
        where family_id = 'PFC-B-002' and period = 'follow_up' and category = 'social_work'""").fetchone()
    assert agreement == (5, 2, "questionnaire")
    # the named sensitivity: the SAU log costs social work in the arm it covers, parent report in the other
    sensitivity = costed(arm_specific=True).execute("""select distinct analysis, arm, source, source_rule
        from fct_costing_sources where period = 'follow_up' and priority_group = 'social_work' order by all""").fetchall()
    assert sensitivity == [("arm_specific_logs", "IPS", "questionnaire", "source covers the arm"),
                           ("arm_specific_logs", "SAU", "sau_log", "source covers the arm")]


def test_parent_report_only_sensitivity(costed):
    got = family_costs(costed("parent_report_only = true\n"))
    # social work from the parent's 5 contacts × £51.60 = 258.00; the SAU log (and its unmapped code) is not costed
    assert got[("PFC-B-002", "follow_up", "nhs_pss")][:2] == (pytest.approx(5 * SW), "complete")
    assert got[("PFC-B-001", "follow_up", "nhs_pss")][0] == pytest.approx(147.00)  # IPS still from NSPCC


def test_site_multiplier_and_non_contact_allowance(costed):
    got = family_costs(costed("non_contact_allowance = 1.0\nsite_multipliers = { Bromley = 1.5, Glasgow = 1.0 }\n"))
    # docs/costing.md "Non-contact allowance": contact time of face-to-face activities × 1.5 × (1 + 1.0);
    # the allowance stands for all other time, so travel costs nothing (no double count); taxi unadjusted:
    # N1 home visit 68 × 3 = 204, travel 0; N3 home visit (DNA) 22.50 × 3 = 67.50, travel 0; taxi 12.50 -> 284.00
    assert got[("PFC-B-001", "follow_up", "societal")][0] == pytest.approx(284.00)


def test_unit_cost_without_index_path_is_an_error(costed, library):
    with open(library / "unit_costs.csv", "a", encoding="utf-8") as fh:
        fh.write("TEST_GP_OLD,gp_consultation,old,test row,contact,20,2010/11,nhs,nhscii_pp_uc25,false,test,assumption,\n")
    con = costed('unit_cost_variants = { gp_consultation = "old" }\n')
    assert con.execute("select cost_gbp, cost_problem from fct_resource_use where source_record_id = 'R_b001t1:su_gp_surgery_contacts'"
                       ).fetchone() == (None, "no_index_path")
    assert con.execute("select severity from audit_costing where rule = 'no_index_path' and record_id = 'TEST_GP_OLD'"
                       ).fetchone() == ("error",)
    assert family_costs(con)[("PFC-B-001", "pre_baseline", "nhs_pss")][1] == "partial"


def test_inflate_matches_hand_calculation():
    # £100 at 2019/20 prices to 2023/24 with nhscii_pp_uc25: 100 × 124.0071 / 107.2568 = 115.6173...
    result = inflate_cost(100, "2019/20", "2023/24", "nhscii_pp_uc25")
    assert result.inflated_gbp == pytest.approx(100 * 124.0071 / 107.2568)
    assert round(result.inflated_gbp, 2) == 115.62
    out = subprocess.run([sys.executable, "-m", "pfc_econ.cli", "unit-costs", "--inflate", "100", "--from", "2019/20",
                          "--to", "2023/24"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "£115.62 in 2023/24 prices" in out.stdout
    shown = subprocess.run([sys.executable, "-m", "pfc_econ.cli", "unit-costs", "--code", "police_incident"],
                           capture_output=True, text=True, cwd=ROOT)
    assert "ASSUMP_POLICE_INCIDENT_VWOI" in shown.stdout and "Home Office" in shown.stdout


def test_follow_up_recall_coverage_is_recorded_not_scaled(costed):
    con = costed()
    # randomised 2023-07-01, follow-up 2023-11-20 (142 days); 'last 3 months' starts 2023-08-20 (92 days)
    row = con.execute("""select distinct covered_days, period_days, is_extrapolated from fct_resource_use
        where family_id = 'PFC-B-001' and period = 'follow_up' and source = 'questionnaire'""").fetchall()
    assert row == [(92, 142, False)]


@pytest.mark.parametrize("toml, message", [
    ("[costing]\ndna_contact_share = 1.5\n", "dna_contact_share"),
    ("[costing]\nsource_priority = { social_work = ['sau'] }\n", "source_priority.social_work"),
    ("[costing]\nsite_multipliers = { Bromley = -1 }\n", "site_multipliers.Bromley"),
])
def test_costing_config_is_validated(make_study, toml, message):
    from pfc_econ.config import load_config
    from pfc_econ.errors import ConfigError
    with pytest.raises(ConfigError, match=message):
        load_config(make_study(extra_toml="\n" + toml))


def test_blank_gate_as_zero_is_a_sensitivity_not_the_default(make_study, run_study, library):
    # PFC-B-002 baseline with the GP gate AND count left blank (completion fatigue) instead of 'yes'.
    questionnaire = [dict(r) for r in QUESTIONNAIRE]
    questionnaire[2]["su_gp_surgery_any"] = ""
    toml = f'\n[sources.unit_costs]\npath = "{library}"\n'
    default = family_costs(run_study(make_study(questionnaire=questionnaire, nspcc=NSPCC, sau=SAU, extra_toml=toml),
                                     out="default"))
    # design rule: no gate answered and no count -> missing, so the cost is partial
    assert default[("PFC-B-002", "pre_baseline", "nhs_pss")][:2] == (pytest.approx(4 * SW), "partial")
    assumed = run_study(make_study(questionnaire=questionnaire, nspcc=NSPCC, sau=SAU,
                                   extra_toml=toml + "\n[costing]\nblank_gate_as_zero = true\n"), out="assumed")
    # sensitivity: read as not used -> 4 social-worker contacts × £51.60 = 206.40, complete
    assert family_costs(assumed)[("PFC-B-002", "pre_baseline", "nhs_pss")] == (
        pytest.approx(4 * SW), "complete", pytest.approx(4 * SW))
    assert assumed.execute("""select quantity, missing_reason from fct_resource_use
                              where source_record_id = 'R_b002t1:su_gp_surgery_contacts'""").fetchone() == (
        0.0, "gate_and_quantity_blank_assumed_zero")


def test_money_totals_are_exact_and_do_not_depend_on_the_order_of_the_items():
    """sql/macros.sql pfc_exact_sum: totals are summed in fixed point, exactly, so the order in which
    parallel aggregation adds the items cannot change a penny; £239.825 and £1.005 (doubles just
    below the half penny) round to £239.83 and £1.01, where rounding the double gives £239.82, £1.00."""
    from decimal import Decimal

    import duckdb

    from pfc_econ.models import run_macros

    con = duckdb.connect()
    run_macros(con)
    one = "select round(pfc_exact_sum(x), 2)::double, round(sum(x), 2) from (values (?::double)) t(x)"
    assert con.execute(one, [239.825]).fetchone() == (239.83, 239.82)
    assert con.execute(one, [1.005]).fetchone() == (1.01, 1.0)
    exact = con.execute("select pfc_exact_sum(x) from (values (0.1::double), (0.2), (0.305)) t(x)").fetchone()[0]
    assert exact == Decimal("0.605")
