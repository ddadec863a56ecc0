"""The CEA analysis layer, `pfc-econ cea` outputs, and recovery of the synthetic trial's true effect."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from pfc_econ.cea.analysis import STATUS_NOT_ESTIMABLE, STATUS_OK, analyse_table, summarise_result
from pfc_econ.cea.run import run_cea
from pfc_econ.cea.specs import AnalysisSpec, build_analysis_specs, parse_sensitivity
from pfc_econ.config import load_config, parse_cea_settings
from pfc_econ.errors import ConfigError
from pfc_econ.pipeline import run_pipeline
from pfc_econ.synth import generate_scenario

FAST = {"n_bootstrap": 300, "n_imputations": 3}
COMPLETE_CASE = AnalysisSpec("base_case", "nhs_pss", "child_qaly", "complete_case")
STABLE_KEYS = ["name", "n_families", "incremental_cost_gbp", "incremental_cost_ci", "incremental_qaly",
               "incremental_qaly_ci", "icer", "nmb", "prob_cost_effective"]


def settings(**overrides) -> dict:
    return parse_cea_settings({"cea": {**FAST, **overrides}})


def family_table(ips_cost, ips_effect, sau_cost, sau_effect) -> pd.DataFrame:
    """Per-family table with constant baselines and one site, so the adjusted model reduces to
    the difference in arm means (covariates with no variation carry no information)."""
    n_ips, n_sau = len(ips_cost), len(sau_cost)
    return pd.DataFrame({
        "family_id": [f"F{i}" for i in range(n_ips + n_sau)],
        "arm": ["IPS"] * n_ips + ["SAU"] * n_sau, "site": "Bromley",
        "cost": np.r_[ips_cost, sau_cost].astype(float), "effect": np.r_[ips_effect, sau_effect].astype(float),
        "baseline_cost": 50.0, "baseline_effect": 0.6})


def test_hand_computed_icer_and_nmb():
    # ΔC = mean(300, 500) − mean(100, 300) = 200; ΔE = mean(.6, .8) − mean(.5, .7) = 0.1
    # ICER = 200 / 0.1 = 2,000; NMB = λ ΔE − ΔC: 20,000 × 0.1 − 200 = 1,800 and 30,000 × 0.1 − 200 = 2,800
    table = family_table([300, 500], [0.6, 0.8], [100, 300], [0.5, 0.7])
    entry = summarise_result(analyse_table(table, COMPLETE_CASE, settings()))
    assert entry["n_families"] == 4
    assert entry["incremental_cost_gbp"] == pytest.approx(200)
    assert entry["incremental_qaly"] == pytest.approx(0.1)
    assert entry["icer"] == pytest.approx(2000)
    assert entry["nmb"] == pytest.approx({"20000": 1800, "30000": 2800})


@pytest.mark.parametrize("ips_cheaper_and_better, expected", [(True, 1.0), (False, 0.0)])
def test_acceptability_is_certain_when_every_replicate_agrees(ips_cheaper_and_better, expected):
    good = ([100, 110, 105], [0.90, 0.91, 0.92])
    bad = ([500, 510, 505], [0.50, 0.51, 0.52])
    ips, sau = (good, bad) if ips_cheaper_and_better else (bad, good)
    result = analyse_table(family_table(*ips, *sau), COMPLETE_CASE, settings())
    assert result.status == STATUS_OK
    assert set(result.ceac_probability) == {expected}
    assert result.probability_cost_effective == (expected, expected)


def test_too_few_families_is_not_estimable_not_an_error():
    table = family_table([300], [0.6], [100, 300], [0.5, 0.7])
    result = analyse_table(table, COMPLETE_CASE, settings())
    assert result.status == STATUS_NOT_ESTIMABLE and "1 IPS" in result.message
    assert summarise_result(result)["icer"] is None


def test_same_seed_same_results_under_multiple_imputation():
    rng = np.random.default_rng(3)
    n = 40
    table = family_table(rng.gamma(2, 500, n // 2), rng.normal(0.5, 0.05, n // 2),
                         rng.gamma(2, 400, n // 2), rng.normal(0.48, 0.05, n // 2))
    table["baseline_cost"] = rng.gamma(2, 300, n)
    table["baseline_effect"] = rng.normal(0.6, 0.05, n)
    table.loc[rng.random(n) < 0.2, "cost"] = np.nan
    spec = AnalysisSpec("base_case", "nhs_pss", "child_qaly", "multiple_imputation")
    first, second = (summarise_result(analyse_table(table, spec, settings())) for _ in range(2))
    assert first == second and first["status"] == STATUS_OK
    other = summarise_result(analyse_table(table, spec, settings(seed=99)))
    assert other["incremental_cost_gbp"] != first["incremental_cost_gbp"]


def test_sensitivity_names_and_config():
    assert parse_sensitivity("rerun:index_child_rule=all_under_5_mean").config_changes == (
        ("outcomes", "index_child_rule", "all_under_5_mean"),)
    assert parse_sensitivity("rerun:unit_cost_variant=camhs_contact:uc23_mhcc").needs_rerun
    specs = build_analysis_specs(settings())
    assert [s.name for s in specs][0] == "base_case" and specs[0].perspective == "nhs_pss"
    with pytest.raises(ConfigError, match="sensitivity"):
        parse_cea_settings({"cea": {"sensitivity": ["perspective:moon"]}})


@pytest.fixture(scope="module")
def trial_results(tmp_path_factory):
    """A small synthetic trial run through the pipeline, then `pfc-econ cea` with few replicates."""
    root = tmp_path_factory.mktemp("cea_trial")
    synth = generate_scenario("trial", root / "data", families=60, seed=11)
    # At 60 families the like-for-like base case (SAU social work from parent report, docs/costing.md)
    # leaves 4 of 30 SAU follow-up costs complete, too few for MICE; this fixture tests the CEA
    # machinery, so it costs social work by the arm-specific-log sensitivity (as before issue 10).
    with open(synth.config_path, "a", encoding="utf-8") as fh:
        fh.write("\n[costing]\narm_specific_logs = true\n")
    run_pipeline(load_config(synth.config_path), root / "results")
    return run_cea(root / "results", {**FAST, "suppress_below": 5})


def test_summary_json_has_the_stable_shape(trial_results):
    summary = json.loads((trial_results.folder / "summary.json").read_text())
    names = [entry["name"] for entry in summary["analyses"]]
    assert names == ["base_case", "perspective:public_sector", "perspective:societal", "effect:parent_yfc",
                     "missing_data:multiple_imputation", "missing_data:complete_case", "cost_model:glm_gamma",
                     "cost_model:two_part", "subgroup:site=Bromley", "subgroup:site=Glasgow", "subgroup:age=0-23",
                     "subgroup:age=24-59"]
    # Keys agreed with the report (helpers/interfaces.md), present whatever the analyses' status.
    for key in ("cost_composition", "evpi", "frontier", "thresholds", "regression_tables"):
        assert key in summary
    for entry in summary["analyses"]:
        assert list(entry)[: len(STABLE_KEYS)] == STABLE_KEYS
        # QALY analyses use the NICE thresholds; capability has its own labelled range.
        expected = {"10000", "30000", "50000"} if entry["effect"] == "parent_yfc" else {"20000", "30000"}
        assert set(entry["nmb"]) == set(entry["prob_cost_effective"]) == expected
        has_draws = entry["status"] == "ok" and not entry["name"].startswith("cost_model:")
        assert entry["n_draws"] == (300 if has_draws else 0)  # FAST: 3 imputations × 100 replicates, or 300 complete-case replicates
        assert ("capability" if entry["effect"] == "parent_yfc" else "QALY") in entry["threshold_label"]
        assert len(entry["incremental_cost_ci"]) == len(entry["incremental_qaly_ci"]) == 2
    base = summary["analyses"][0]
    assert base["status"] == "ok" and base["n_families"] > 20
    assert base["incremental_cost_ci"][0] <= base["incremental_cost_gbp"] <= base["incremental_cost_ci"][1]
    assert summary["is_shareable"] is False
    assert "NaN" not in (trial_results.folder / "summary.json").read_text()


def test_shareable_outputs_suppress_small_cells(trial_results):
    folder = trial_results.folder
    consequences = pd.read_csv(folder / "cost_consequences.csv", dtype=str, keep_default_na=False)
    for arm in ("ips", "sau"):
        counts = consequences[f"{arm}_n"]
        assert all(c == "" or int(c) == 0 or int(c) >= 5 for c in counts)
        assert (consequences.loc[counts == "", f"{arm}_mean"] == "").all()
    cost_by_arm = pd.read_csv(folder / "cost_by_arm.csv", dtype=str, keep_default_na=False)
    assert all(c == "" or int(c) >= 5 for c in cost_by_arm["n"])
    workbook = pd.read_excel(folder / "summary.xlsx", sheet_name=None)
    assert {"Contents", "Notes", "sensitivity", "cost_by_arm", "cost_consequences"} <= set(workbook)
    assert "withheld" in " ".join(workbook["Notes"]["note"])


def test_report_is_written_and_self_contained(trial_results):
    text = (trial_results.folder / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "href=\"http" not in text and "<link" not in text
    for needle in ("CHEERS 2022", "60 randomised families: intervals are wide", "GBP", "Cost-consequence",
                   "summary.json is for scripts", "illustrative_linear"):
        assert needle in text
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", text.split('id="cheers"')[1])) == 28
    for png in ("ce_plane.png", "ceac.png", "cost_distributions.png"):
        assert (trial_results.folder / png).stat().st_size > 1000


def test_workbook_has_the_evpi_curve_with_its_chart_and_thresholds_per_outcome(trial_results):
    from openpyxl import load_workbook

    folder = trial_results.folder
    book = load_workbook(folder / "summary.xlsx")
    ws = book["evpi_curve"]
    header = [c.value for c in ws[1]]
    rows = pd.DataFrame(list(ws.iter_rows(min_row=2, values_only=True)), columns=header)
    evpi = pd.read_csv(folder / "evpi.csv")
    base = rows[rows["analysis"] == "base_case"]
    # The whole threshold range of evpi.csv (default grid £0 to £50,000 by £1,000), base case first.
    assert rows["analysis"].iloc[0] == "base_case" and len(base) == 51
    expected = evpi[evpi["analysis"] == "base_case"]["evpi_per_family_gbp"].to_numpy()
    np.testing.assert_allclose(base["evpi_per_family_gbp"].astype(float), expected)
    np.testing.assert_allclose(base["evpi_population_gbp"].astype(float),
                               base["evpi_per_family_gbp"].astype(float) * base["discounted_families"].astype(float))
    assert set(base["frontier_option"]) <= {"IPS", "SAU"}
    # Which threshold applies to which outcome: QALYs the NICE range, capability labelled illustrative.
    units = dict(zip(rows["effect"], rows["threshold_unit"]))
    assert "NICE" in units["child_qaly"] and "illustrative" in units["parent_yfc"]
    # A native chart of the base case's EVPI per family over exactly its rows.
    (chart,) = ws._charts
    assert len(chart.series) == 1
    assert chart.series[0].xVal.numRef.f.endswith(f"$2:${get_column(header, 'threshold_gbp')}${len(base) + 1}")
    # Probabilities stay numbers; the number format shows 0 and all of the 300 draws as the report does.
    column = header.index("frontier_probability") + 1
    assert isinstance(ws.cell(row=2, column=column).value, (int, float))
    assert '"<0.004"' in ws.cell(row=2, column=column).number_format
    assert '">0.996"' in ws.cell(row=2, column=column).number_format


def get_column(header, name):
    from openpyxl.utils import get_column_letter
    return get_column_letter(header.index(name) + 1)


@pytest.mark.slow
def test_cea_recovers_the_true_effect_of_the_trial_scenario(tmp_path):
    """The base case's 95% intervals cover truth.json's counterfactual effect (300 families)."""
    synth = generate_scenario("trial", tmp_path / "data", families=300, seed=7, include_true_effect=True)
    truth = json.loads(synth.truth_path.read_text())
    assert truth["method"].startswith("counterfactual simulation")
    run_pipeline(load_config(synth.config_path), tmp_path / "results")
    run = run_cea(tmp_path / "results", {"n_bootstrap": 1000, "n_imputations": 10, "sensitivity": []})
    base = run.summary["analyses"][0]
    low, high = base["incremental_cost_ci"]
    assert low <= truth["incremental_cost_gbp"] <= high
    low, high = base["incremental_qaly_ci"]
    assert low <= truth["incremental_qaly"] <= high


def test_rerun_config_changes_one_setting_and_keeps_the_rest():
    from pfc_econ.cea.rerun import build_modified_config
    raw = {"outcomes": {"mapping": "illustrative_linear"}, "costing": {"unit_cost_variants": {"a": "x"}}}
    spec = parse_sensitivity("rerun:unit_cost_variant=camhs_contact:uc23_mhcc")
    assert build_modified_config(raw, spec)["costing"]["unit_cost_variants"] == {"a": "x", "camhs_contact": "uc23_mhcc"}
    spec = parse_sensitivity("rerun:parent_report_only")
    modified = build_modified_config(raw, spec)
    assert modified["costing"]["parent_report_only"] is True and modified["outcomes"] == raw["outcomes"]
    assert "parent_report_only" not in raw["costing"]


def test_rerun_sensitivity_runs_the_pipeline_with_the_change(make_study, tmp_path):
    """End to end on the small hand-made study: the re-run reads the run's own config from the
    manifest, changes one setting, and its analysis table differs exactly where it should."""
    import duckdb
    from conftest import QUESTIONNAIRE, response
    from pfc_econ.cea.inputs import open_results_folder
    from pfc_econ.cea.rerun import read_rerun_table
    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    # PFC-B-002 follow-up: only the gate of one service left blank (with its count): partial by default
    follow_up = response("R_b002t2", "PFC-B-002", "T2", "2023-12-01", **{
        f"su_{s}_any": "2" for s in ("police_contact", "gp_phone", "practice_nurse", "midwife", "nhs111",
                                     "walk_in_centre", "ae_attendance", "ambulance", "outpatient", "inpatient",
                                     "adult_mental_health", "talking_therapies", "social_worker_visit",
                                     "family_support_worker", "cin_meeting", "child_protection_conference",
                                     "food_bank", "parenting_programme", "home_start_volunteer",
                                     "domestic_abuse_service")})  # the GP gate left blank
    follow_up.update({f"1_su_{s}_any": "2" for s in ("gp_surgery", "gp_phone", "health_visitor", "nhs111",
                                                      "walk_in_centre", "ae_attendance", "ambulance", "outpatient",
                                                      "inpatient", "camhs", "speech_language_therapy",
                                                      "early_years_setting", "educational_psychologist")})
    # social work from the SAU log: the arm-specific-log sensitivity (docs/costing.md "Like for like")
    config = make_study(questionnaire=QUESTIONNAIRE[:2] + [follow_up], extra_toml="\n[costing]\narm_specific_logs = true\n")
    results = run_pipeline(load_config(config), tmp_path / "results")
    with duckdb.connect(str(results.database), read_only=True) as con:
        assert con.execute("""select cost_status from fct_family_costs where family_id = 'PFC-B-002'
                              and period = 'follow_up' and perspective = 'nhs_pss'""").fetchone() == ("partial",)
    folder = open_results_folder(tmp_path / "results")
    table, _ = read_rerun_table(folder, parse_sensitivity("rerun:blank_gate_as_zero"))
    cost = table.set_index("family_id")["cost"]
    # with the blank gate read as not used, the family's follow-up cost is complete: its SAU log
    # social work only: the hand-made log's CIN meeting, 60 min, at the shipped hourly rates —
    # social worker £51.60 (unit_costs 2026.12.0, [UC24] Table 10.1.1 components) + health visitor £58;
    # the teacher is education, outside NHS & PSS
    assert cost["PFC-B-002"] == pytest.approx(51.60 + 58.0)
