"""Report sections fed by the CEA's summary.json keys: rendered when present, "not run" when absent.

The key shapes are those ``pfc_econ/cea/outputs.py`` writes (interfaces.md, "cea ↔ report").
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pfc_econ.cea.formatting import format_money, format_probability, infer_kind
from pfc_econ.cea.report_sections import (render_composition, render_regressions, render_thresholds,
                                          render_tipping_point, render_value_of_information)
from pfc_econ.cea.tables import disclose_table, pivot_arms

SUMMARY = {
    "thresholds_gbp": [20000.0, 30000.0],
    "thresholds": {"child_qaly": {"values_gbp": [20000.0, 30000.0], "label": "GBP per QALY gained (NICE range)"},
                   "parent_yfc": {"values_gbp": [10000.0, 50000.0], "label": "illustrative range"}},
    "evpi": {"20000": {"per_family_gbp": 12.345, "population_gbp": 98765.4},
             "population": {"families_per_year": 1000.0, "horizon_years": 5, "discount_rate": 0.035,
                            "discounted_families": 4673.0, "note": "illustrative settings"}},
    "frontier": {"20000": {"option": "SAU", "probability": 0.99, "probability_display": "0.9900"}},
    "cost_composition": {"base_case": {"method": "component_imputation", "by_arm": {
        "IPS": {"n_families": 40, "cells_observed": 0.7, "cells_structurally_zero": 0.2, "cells_imputed": 0.1,
                "cost_share_observed": 0.8, "cost_share_imputed": 0.2, "mean_cost_observed_gbp": 2000.4,
                "mean_cost_imputed_gbp": 500.6},
        "SAU": {"n_families": 3, "cells_observed": 0.5, "cells_structurally_zero": 0.3, "cells_imputed": 0.2,
                "cost_share_observed": 0.6, "cost_share_imputed": 0.4, "mean_cost_observed_gbp": 1500.0,
                "mean_cost_imputed_gbp": 1000.0}}},
        "missing_data:complete_case": {"method": "complete_case", "note": "complete case: only observed costs are used"}},
    "tipping_point": {"analysis": "base_case", "threshold_gbp": 20000.0, "note": "one arm's imputed costs shifted",
                      "rows": [{"shifted_arm": "IPS", "delta_cost_ips": 0.0, "delta_cost_sau": 0.0,
                                "delta_effect_ips": 0.0, "delta_effect_sau": 0.0, "incremental_cost_gbp": 1000.0,
                                "incremental_effect": 0.01, "threshold_gbp": 20000.0, "inb_gbp": -800.0,
                                "inb_ci_lower": -1200.0, "inb_ci_upper": -400.0, "prob_cost_effective": 0.01,
                                "prob_cost_effective_display": "0.0100", "conclusion_changes": False},
                               {"shifted_arm": "IPS", "delta_cost_ips": -0.5, "delta_cost_sau": 0.0,
                                "delta_effect_ips": 0.0, "delta_effect_sau": 0.0, "incremental_cost_gbp": -100.0,
                                "incremental_effect": 0.01, "threshold_gbp": 20000.0, "inb_gbp": 300.0,
                                "inb_ci_lower": -100.0, "inb_ci_upper": 700.0, "prob_cost_effective": 0.8,
                                "prob_cost_effective_display": "0.8000", "conclusion_changes": True}],
                      "first_change": {"IPS": {"delta_cost_ips": -0.5, "delta_effect_ips": 0.0}, "SAU": None}},
    "regression_tables": ["regression_cost_model_glm.csv"],
}


def context_of(summary, folder=None):
    return {"summary": summary, "n_draws": 10000, "folder": folder,
            "disclose": lambda name, frame: disclose_table(name, frame, 5)}


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_sections_say_not_run_when_the_keys_are_absent():
    context = context_of({"thresholds_gbp": [20000.0, 30000.0]})
    for page in (render_composition(context), render_tipping_point(context), render_regressions(context),
                 render_value_of_information(context, [], None)):
        assert "not run" in page
    assert "£20,000, £30,000 per QALY" in text_of(render_thresholds(context))


def test_thresholds_are_per_outcome_with_their_labels():
    page = text_of(render_thresholds(context_of(SUMMARY)))
    assert "£10,000, £50,000 per year of full capability" in page and "illustrative range" in page
    assert "£20,000, £30,000 per QALY" in page and "NICE range" in page and "not run" not in page


def test_cost_composition_shares_read_as_percentages_and_a_small_arm_is_withheld():
    page = render_composition(context_of(SUMMARY))
    ips_row = re.search(r"<tr><td>base_case</td><td>IPS</td><td>component imputation</td>(.*?)</tr>", page).group(1)
    assert "70%" in ips_row and "£2,000" in ips_row and ">40<" in ips_row
    sau_row = re.search(r"<td>SAU</td>(.*?)</tr>", page).group(1)
    assert "&lt;5" in sau_row and "60%" not in sau_row and "£1,500" not in sau_row
    assert "only observed costs are used" in page


def test_tipping_point_flags_the_first_change():
    page = text_of(render_tipping_point(context_of(SUMMARY)))
    assert "IPS: the conclusion first changes at delta cost ips −50%" in page
    assert "SAU: no shift in the grid changes the conclusion" in page
    assert "0.8000" in page and "yes" in page and "−£800" in page


def test_value_of_information_table():
    page = text_of(render_value_of_information(context_of(SUMMARY), [], None))
    assert "£20,000 per QALY SAU 0.9900 £12 £98,765" in page
    assert "1,000 families a year for 5 years" in page


def test_regression_tables_are_read_from_the_results_folder(tmp_path):
    pd.DataFrame({"term": ["arm[T.IPS]", "baseline_cost"], "coefficient": [0.2, 0.001], "se": [0.05, 0.0002],
                  "n": [120, 120]}).to_csv(tmp_path / "regression_cost_model_glm.csv", index=False)
    page = text_of(render_regressions(context_of(SUMMARY, tmp_path)))
    assert "arm[T.IPS]" in page and "120" in page and "not run" not in page


@pytest.mark.parametrize("value, draws, expected", [
    (0.0, 10000, "<0.0001"), (1.0, 10000, ">0.9999"), (0.01234, 10000, "0.0123"), (0.5, 500, "0.500"),
    (2.2e-13, 10000, "<0.0001"), (None, 10000, "—"), (0.0003, 10000, "0.0003"), (0.0, None, "<0.001"),
    (0.0004, None, "<0.001"), (0.9996, None, ">0.999")])
def test_probabilities_are_shown_to_the_draws_resolution(value, draws, expected):
    assert format_probability(value, draws) == expected


@pytest.mark.parametrize("value, expected", [(1310.4, "£1,310"), (-42.6, "−£43"), (float("nan"), "—")])
def test_money_reads_in_whole_pounds(value, expected):
    assert format_money(value) == expected


def test_column_kinds_follow_the_naming_rules():
    assert [infer_kind(c) for c in ("n_ips", "incremental_cost_gbp", "prob_ce_20000", "cost_share_imputed",
                                    "incremental_effect")] == ["count", "money", "probability", "share", "qaly"]


def test_arms_side_by_side_keep_row_order_and_only_the_rows_that_exist():
    long = pd.DataFrame({"period": ["follow_up"] * 4 + ["baseline"] * 2, "category": ["b", "b", "a", "a", "b", "b"],
                         "arm": ["IPS", "SAU"] * 3, "n": [10, 12, 10, 12, 9, 11], "mean": [1.0, 2, 3, 4, 5, 6],
                         "sd": [0.1] * 6})
    wide = pivot_arms(long, ["period", "category"])
    assert wide[["period", "category"]].values.tolist() == [["follow_up", "b"], ["follow_up", "a"], ["baseline", "b"]]
    assert wide.loc[1, ["ips_mean", "sau_mean"]].tolist() == [3.0, 4.0] and wide["sau_n"].tolist() == [12, 12, 11]


def test_decision_tables_in_the_workbook_go_through_disclosure_control(tmp_path):
    from openpyxl import load_workbook

    from pfc_econ.cea.run import build_workbook_sheets
    from pfc_econ.cea.workbook import write_workbook
    composition = pd.DataFrame([{"analysis": "base_case", "arm": arm, **shares} for arm, shares in
                                SUMMARY["cost_composition"]["base_case"]["by_arm"].items()])
    sensitivity = disclose_table("sensitivity", pd.DataFrame(
        {"analysis": ["base_case"], "n_families": [43], "n_ips": [40], "n_sau": [3], "n_excluded": [0],
         "incremental_cost_gbp": [12.5], "message": ["ok"]}).assign(
        **{c: [None] for c in ("cost_ci_lower", "cost_ci_upper", "incremental_effect", "effect_ci_lower",
                               "effect_ci_upper", "icer", "quadrant")}), 5)
    sheets = build_workbook_sheets({"sensitivity": sensitivity}, pd.DataFrame({"source_id": ["S1"]}),
                                   pd.DataFrame({"setting": ["seed"], "value": ["1"]}),
                                   {"cost_composition": composition}, threshold=5)
    book = load_workbook(write_workbook(tmp_path / "w.xlsx", sheets, ["note"]))
    ws = book["cost_composition"]
    header = [c.value for c in ws[1]]
    sau = [c for c in ws[3]]
    assert sau[header.index("n_families")].value is None and sau[header.index("n_families")].comment is not None
    assert sau[header.index("cost_share_observed")].value is None
    assert ws.cell(row=2, column=header.index("cost_share_observed") + 1).number_format == "0%"
    assert book["Contents"]["A2"].value == "Notes" and "cost_composition" in [r[0].value for r in book["Contents"]]
