"""Imputation at the level where data are missing (issue 11, Build 1): planted totals recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pfc_econ.cea.component_imputation import impute_components
from pfc_econ.cea.components import CostComponents
from pfc_econ.cea.mi_boot import impute_totals

N_PER_ARM = 10


def build_case(b_quantity, has_questionnaire, unknown_a):
    """Families F0..F19 (IPS first). Questionnaire items: 'a' (always 2 units at £10) and 'b'
    (``b_quantity[i]`` units at £5); a record cost of £100 × (i + 1). Returns the per-family table,
    the components and the planted (true) totals."""
    n = 2 * N_PER_ARM
    ids = [f"F{i:02d}" for i in range(n)]
    record = 100.0 * (np.arange(n) + 1)
    items, truth = [], []
    for i, family in enumerate(ids):
        questionnaire = 2 * 10.0 + b_quantity[i] * 5.0
        truth.append(record[i] + questionnaire)
        if not has_questionnaire[i]:
            continue
        quantity_a = np.nan if unknown_a[i] else 2.0
        items.append((family, "parent", "a", quantity_a, 10.0, quantity_a * 10.0, "primary_care"))
        items.append((family, "parent", "b", float(b_quantity[i]), 5.0, b_quantity[i] * 5.0, "hospital"))
    items = pd.DataFrame(items, columns=["family_id", "person_id", "resource_code", "quantity", "price_gbp",
                                         "cost_gbp", "category"])
    is_complete = np.asarray(has_questionnaire) & ~np.asarray(unknown_a)
    families = pd.DataFrame({"family_id": ids, "has_questionnaire": has_questionnaire, "record_cost_gbp": record,
                             "n_cells_observed": np.where(is_complete, 3, 2), "n_cells_structural_zero": 1,
                             "n_cells_imputed": np.where(is_complete, 0, 1)})
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"family_id": ids, "arm": ["IPS"] * N_PER_ARM + ["SAU"] * N_PER_ARM, "site": "Bromley",
                          "cost": np.where(is_complete, truth, np.nan), "effect": rng.normal(0.5, 0.05, n),
                          "baseline_cost": rng.gamma(2, 100, n), "baseline_effect": rng.normal(0.6, 0.05, n)})
    return table, CostComponents(items.astype({"family_id": object}), families), np.array(truth)


def test_component_imputation_recovers_a_planted_total_from_the_known_part():
    # F00 and F10 left item 'a' unknown; every family used 2 units of 'a', so its imputed cost is
    # exactly 2 × £10 and the total is the planted one: record + known 'b' + 20.
    b = np.arange(2 * N_PER_ARM) % 7
    unknown = np.zeros(2 * N_PER_ARM, bool)
    unknown[[0, 10]] = True
    table, components, truth = build_case(b, np.ones(2 * N_PER_ARM, bool), unknown)
    imputed = impute_components(table, components, 5, np.random.default_rng(1), n_cycles=3)
    assert np.allclose(imputed.values["cost"], truth[None, :])
    assert np.allclose(imputed.imputed_cost[:, [0, 10]], 20.0)
    assert np.allclose(np.delete(imputed.imputed_cost, [0, 10], axis=1), 0.0)
    # Imputing the totals instead throws the known part away and misses the planted value.
    totals = impute_totals(table, 5, np.random.default_rng(1), n_cycles=3)
    assert not np.allclose(totals.values["cost"][:, 0], truth[0])
    # Composition: 1 imputed family in 10 per arm; F00's imputed £20 of the IPS arm's mean cost.
    ips = imputed.composition["IPS"]
    assert ips["cells_imputed"] == pytest.approx(1 / 40)
    assert ips["cells_structurally_zero"] == pytest.approx(10 / 40)
    assert ips["cost_share_imputed"] == pytest.approx(20.0 / truth[:N_PER_ARM].sum())


def test_missing_questionnaire_part_is_imputed_on_top_of_the_known_record_cost():
    # F03 and F15 returned no follow-up questionnaire. Every family's questionnaire part is £20 + £5 × 3:
    # whichever donor is drawn, the total is the family's own record cost + £35.
    b = np.full(2 * N_PER_ARM, 3)
    has_questionnaire = np.ones(2 * N_PER_ARM, bool)
    has_questionnaire[[3, 15]] = False
    table, components, truth = build_case(b, has_questionnaire, np.zeros(2 * N_PER_ARM, bool))
    imputed = impute_components(table, components, 4, np.random.default_rng(2), n_cycles=3)
    assert np.allclose(imputed.values["cost"], truth[None, :])
    assert np.allclose(imputed.imputed_cost[:, [3, 15]], 35.0)
    totals = impute_totals(table, 4, np.random.default_rng(2), n_cycles=3)
    assert not np.allclose(totals.values["cost"][:, [3, 15]], truth[[3, 15]][None, :])


def test_a_quantity_left_blank_after_yes_is_drawn_from_positive_reports_only():
    # Item 'b': 6 of 9 other IPS families reported 0 units, 3 reported 4 units (£5 each). F00 said
    # 'yes' and left the quantity blank, so it used some: every imputation gives it 4 units (£20),
    # never 0. F01 left gate and quantity blank: zero is possible, so its donors are all reports
    # and over 40 imputations both 0 and 4 units are drawn.
    b = np.zeros(2 * N_PER_ARM)
    b[[2, 3, 4]] = 4.0
    table, components, _ = build_case(b, np.ones(2 * N_PER_ARM, bool), np.zeros(2 * N_PER_ARM, bool))
    items = components.items.assign(missing_reason=None)
    for family, reason in (("F00", "blank_after_yes"), ("F01", "gate_and_quantity_blank")):
        row = (items["family_id"] == family) & (items["resource_code"] == "b")
        items.loc[row, ["quantity", "cost_gbp", "missing_reason"]] = [np.nan, np.nan, reason]
    table.loc[[0, 1], "cost"] = np.nan
    imputed = impute_components(table, CostComponents(items, components.families), 40, np.random.default_rng(5),
                                n_cycles=3)
    assert np.allclose(imputed.imputed_cost[:, 0], 20.0)
    assert set(np.round(imputed.imputed_cost[:, 1], 6)) == {0.0, 20.0}
