"""Decision quantities from the joint draws (EVPI, frontier, resolution of P(CE)) and MNAR deltas."""

from __future__ import annotations

import numpy as np
import pytest

from pfc_econ.cea.decisions import compute_decision_curves, compute_population_multiplier, format_probability
from pfc_econ.cea.estimates import estimate_incremental
from pfc_econ.cea.mi_boot import analyse_with_multiple_imputation
from pfc_econ.cea.mnar import analyse_delta, build_tipping_point_table
from test_cea_stats import simulate_trial


@pytest.mark.parametrize("sign", [1, -1])
def test_evpi_is_zero_when_one_option_is_best_in_every_draw(sign):
    rng = np.random.default_rng(1)
    # IPS cheaper and better in every draw (sign 1), or dearer and worse (sign −1): no uncertainty
    # about the decision at any threshold, so perfect information is worth nothing.
    cost = -sign * rng.uniform(10, 500, 1000)
    effect = sign * rng.uniform(0.001, 0.05, 1000)
    curves = compute_decision_curves(cost, effect, [0, 20_000, 50_000], population_multiplier=5000)
    assert np.all(curves.evpi_per_family == 0) and np.all(curves.evpi_population == 0)
    assert set(curves.frontier_option) == {"IPS" if sign == 1 else "SAU"}
    assert np.all(curves.frontier_probability == 1.0)


def test_evpi_and_frontier_by_hand():
    # Four draws, λ = £20,000: INB = 20,000 ΔE − ΔC = 100, −100, 300, 100.
    # E[INB] = 100 (IPS on the frontier), P(INB > 0) = 3/4; E[max(INB, 0)] = (100 + 0 + 300 + 100)/4 = 125;
    # EVPI = 125 − max(100, 0) = £25 per family. Population: 1,000 families a year for 3 years at 3.5%:
    # 1000 × (1 + 1/1.035 + 1/1.035²) = 2,899.694 discounted families; EVPI = 25 × 2,899.694 = £72,492.36.
    multiplier = compute_population_multiplier(1000, 3, 0.035)
    assert multiplier == pytest.approx(2899.6943, abs=1e-3)
    curves = compute_decision_curves([100, 100, 100, 100], [0.01, 0.0, 0.02, 0.01], [20_000], multiplier)
    assert curves.evpi_per_family[0] == pytest.approx(25.0)
    assert curves.evpi_population[0] == pytest.approx(72_492.36, abs=0.01)
    assert curves.frontier_option[0] == "IPS" and curves.frontier_probability[0] == pytest.approx(0.75)
    assert curves.probability_cost_effective[0] == pytest.approx(0.75)
    # At λ = 0 SAU is cheaper in every draw: SAU on the frontier with certainty, EVPI 0.
    at_zero = compute_decision_curves([100, 100, 100, 100], [0.01, 0.0, 0.02, 0.01], [0])
    assert at_zero.frontier_option[0] == "SAU" and at_zero.evpi_per_family[0] == 0


def test_probability_is_never_reported_finer_than_the_draws_resolve():
    # One rule (formatting.py): the decimals of 1/n; 0 of n as "<1/n" rounded up, n of n as
    # ">1 - 1/n" rounded down; a share of at least one draw is never written as zero.
    assert format_probability(0.0, 10_000) == "<0.0001"
    assert format_probability(1.0, 10_000) == ">0.9999"
    assert format_probability(3 / 10_000, 10_000) == "0.0003"
    assert format_probability(9_999 / 10_000, 10_000) == "0.9999"
    assert format_probability(0.0, 300) == "<0.004"      # 1/300 = 0.00333 rounded up
    assert format_probability(1.0, 300) == ">0.996"      # 299/300 = 0.99667 rounded down
    assert format_probability(1 / 300, 300) == "0.003"
    assert format_probability(0.1234, 10_000) == "0.1234"
    assert format_probability(0.5, 300) == "0.500"


@pytest.fixture(scope="module")
def mar_result():
    data = simulate_trial(n_families=300, seed=31)
    rng = np.random.default_rng(32)
    data.loc[rng.random(len(data)) < 0.25, "cost"] = np.nan
    data.loc[rng.random(len(data)) < 0.2, "effect"] = np.nan
    return data, analyse_with_multiple_imputation(data, n_imputations=4, n_replicates=200, seed=33, n_cycles=3,
                                                  is_stratified_by_site=True)


def test_delta_zero_reproduces_the_mar_analysis(mar_result):
    _, mi = mar_result
    zero = analyse_delta(mi, "SAU", 0.0, 0.0, 20_000)
    assert zero.incremental_cost == pytest.approx(mi.cost.estimate, rel=1e-12)
    assert zero.incremental_effect == pytest.approx(mi.effect.estimate, rel=1e-12)
    assert zero.inb == pytest.approx(mi.net_benefit[0].estimate, rel=1e-12)
    draws = 20_000 * mi.delta_effect_replicates - mi.delta_cost_replicates
    assert zero.probability_cost_effective == pytest.approx((draws > 0).mean())
    assert not zero.conclusion_changes


def test_delta_shift_equals_re_analysing_the_shifted_imputed_data(mar_result):
    # IPS imputed costs 50% higher and imputed effects 0.03 lower, re-analysed from scratch.
    data, mi = mar_result
    shifted = analyse_delta(mi, "IPS", 0.5, -0.03, 20_000)
    is_ips = (data["arm"] == "IPS").to_numpy()
    estimates = []
    for m in range(4):
        completed = data.assign(cost=mi.imputed.values["cost"][m] + 0.5 * mi.imputed.imputed_cost[m] * is_ips,
                                effect=mi.imputed.values["effect"][m] - 0.03 * (mi.imputed.is_effect_imputed & is_ips),
                                baseline_cost=mi.imputed.values["baseline_cost"][m],
                                baseline_effect=mi.imputed.values["baseline_effect"][m])
        estimates.append(estimate_incremental(completed))
    assert shifted.incremental_cost == pytest.approx(np.mean([e.delta_cost for e in estimates]), rel=1e-9)
    assert shifted.incremental_effect == pytest.approx(np.mean([e.delta_effect for e in estimates]), rel=1e-9)
    assert shifted.incremental_cost > mi.cost.estimate and shifted.incremental_effect < mi.effect.estimate
    table = build_tipping_point_table(mi, 20_000, [0.0, 0.5], [0.0, -0.03])
    assert len(table) == 8
    mar_rows = table[(table["delta_cost_ips"] == 0) & (table["delta_cost_sau"] == 0)
                     & (table["delta_effect_ips"] == 0) & (table["delta_effect_sau"] == 0)]
    assert np.allclose(mar_rows["inb_gbp"], mi.net_benefit[0].estimate)


def test_icer_interval_only_where_the_ratio_is_meaningful():
    from pfc_econ.cea.analysis import AnalysisResult, compute_icer_interval
    from pfc_econ.cea.specs import AnalysisSpec
    spec = AnalysisSpec("base_case", "nhs_pss", "child_qaly", "complete_case")
    rng = np.random.default_rng(5)
    # Every draw dearer and better: the interval is the percentile interval of the ratios.
    cost, effect = rng.normal(1000, 50, 4000), rng.normal(0.05, 0.005, 4000)
    result = AnalysisResult(spec, "ok", "", 100, 50, 50, 0, delta_cost=1000, delta_effect=0.05, quadrant="north-east",
                            replicate_cost=cost, replicate_effect=effect)
    interval, note = compute_icer_interval(result)
    assert interval == pytest.approx(list(np.quantile(cost / effect, [0.025, 0.975])))
    # Effects straddling zero: the ratio of the draws is not ordered, no interval.
    straddling = AnalysisResult(spec, "ok", "", 100, 50, 50, 0, delta_cost=1000, delta_effect=0.002,
                                quadrant="north-east", replicate_cost=cost, replicate_effect=rng.normal(0.002, 0.01, 4000))
    interval, note = compute_icer_interval(straddling)
    assert interval == [None, None] and "not ordered" in note
