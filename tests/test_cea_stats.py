"""Worked examples for the cost-effectiveness statistics (pfc_econ.cea).

Each test states the arithmetic or the source it checks against, so a failure says which
formula broke. Replicate and imputation counts are small to keep the suite fast.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from pfc_econ.cea import (
    analyse_with_multiple_imputation,
    bootstrap_incremental,
    build_threshold_grid,
    compute_acceptability_curve,
    compute_decision_curves,
    compute_icer,
    compute_net_monetary_benefit,
    compute_percentile_interval,
    estimate_incremental,
    impute_within_arm,
    pool_rubin,
    summarise_by_arm,
)
from pfc_econ.cea.bootstrap import draw_resample_counts
from pfc_econ.cea.estimates import build_design_matrices


def simulate_trial(n_families=400, seed=0, delta_cost=300.0, delta_effect=0.02, noise=1.0, n_sites=2):
    """A two-arm trial with known arm effects: cost and effect linear in baseline and site."""
    rng = np.random.default_rng(seed)
    arm = np.array(["IPS", "SAU"] * (n_families // 2))
    sites = np.array(["Bromley", "Glasgow"][:n_sites])
    site = sites[rng.integers(0, n_sites, n_families)]
    baseline_cost = rng.gamma(2.0, 1000.0, n_families)
    baseline_effect = rng.normal(0.7, 0.1, n_families)
    is_ips = arm == "IPS"
    is_glasgow = site == "Glasgow"
    cost = 500 + delta_cost * is_ips + 0.6 * baseline_cost + 200 * is_glasgow + noise * rng.normal(0, 400, n_families)
    effect = 0.1 + delta_effect * is_ips + 0.5 * baseline_effect - 0.01 * is_glasgow + noise * rng.normal(0, 0.05, n_families)
    return pd.DataFrame({
        "arm": arm, "site": site, "cost": cost, "effect": effect,
        "baseline_cost": baseline_cost, "baseline_effect": baseline_effect,
    })


# ---------------------------------------------------------------- ICER and net benefit

def test_icer_in_north_east_is_cost_over_effect():
    # £500 more for 0.025 QALYs more: 500 / 0.025 = £20,000 per QALY.
    result = compute_icer(500.0, 0.025)
    assert result.icer == pytest.approx(20_000.0)
    assert result.quadrant == "north-east"


@pytest.mark.parametrize(
    "delta_cost, delta_effect, quadrant, icer",
    [
        (-500.0, -0.025, "south-west", 20_000.0),  # £500 saved per 0.025 QALY lost
        (-100.0, 0.01, "dominant", None),
        (0.0, 0.01, "dominant", None),
        (100.0, -0.01, "dominated", None),
        (0.0, -0.01, "dominated", None),
        (100.0, 0.0, "undefined", None),
        (0.0, 0.0, "undefined", None),
    ],
)
def test_icer_quadrants(delta_cost, delta_effect, quadrant, icer):
    result = compute_icer(delta_cost, delta_effect)
    assert result.quadrant == quadrant
    if icer is None:
        assert np.isnan(result.icer)
    else:
        assert result.icer == pytest.approx(icer)


def test_icer_rejects_non_finite_input():
    with pytest.raises(ValueError, match="delta_effect"):
        compute_icer(100.0, float("nan"))


def test_net_monetary_benefit_by_hand():
    # 20,000 × 0.03 − 500 = 600 − 500 = 100; 30,000 × 0.03 − 500 = 900 − 500 = 400.
    assert compute_net_monetary_benefit(500.0, 0.03, 20_000) == pytest.approx(100.0)
    grid = compute_net_monetary_benefit(500.0, 0.03, np.array([20_000.0, 30_000.0]))
    np.testing.assert_allclose(grid, [100.0, 400.0])
    with pytest.raises(ValueError, match="threshold"):
        compute_net_monetary_benefit(500.0, 0.03, -1.0)


# ---------------------------------------------------------------- point estimates

def test_unadjusted_incremental_is_difference_in_means():
    data = simulate_trial(seed=1)
    result = estimate_incremental(data, is_adjusted=False)
    means = data.groupby("arm")[["cost", "effect"]].mean()
    assert result.delta_cost == pytest.approx(means.loc["IPS", "cost"] - means.loc["SAU", "cost"], rel=1e-12)
    assert result.delta_effect == pytest.approx(means.loc["IPS", "effect"] - means.loc["SAU", "effect"], rel=1e-12)
    assert result.cost_columns == ("intercept", "arm[IPS]")


def test_adjusted_incremental_recovers_known_coefficient_without_noise():
    # cost = 500 + 300·IPS + 0.6·baseline_cost + 200·Glasgow exactly, so the arm coefficient is 300.
    data = simulate_trial(seed=2, noise=0.0)
    result = estimate_incremental(data)
    assert result.delta_cost == pytest.approx(300.0, abs=1e-8)
    assert result.delta_effect == pytest.approx(0.02, abs=1e-12)
    assert "site[Glasgow]" in result.cost_columns


def test_one_site_drops_site_dummy_and_still_recovers_coefficient():
    data = simulate_trial(seed=3, noise=0.0, n_sites=1)
    result = estimate_incremental(data)
    assert result.cost_columns == ("intercept", "arm[IPS]", "baseline_cost")
    assert result.delta_cost == pytest.approx(300.0, abs=1e-8)


def test_adjusted_incremental_matches_statsmodels_ols():
    data = simulate_trial(seed=4)
    result = estimate_incremental(data)
    fit = smf.ols("cost ~ C(arm, Treatment('SAU')) + baseline_cost + site", data).fit()
    assert result.delta_cost == pytest.approx(fit.params.iloc[1], rel=1e-9)
    assert result.se_cost == pytest.approx(fit.bse.iloc[1], rel=1e-9)


def test_summary_by_arm_gives_n_mean_sd():
    data = simulate_trial(seed=5)
    data.loc[0, "cost"] = np.nan  # family 0 is IPS
    summary = summarise_by_arm(data).set_index(["arm", "variable"])
    observed = data.loc[data["arm"] == "IPS", "cost"].dropna()
    row = summary.loc[("IPS", "cost")]
    assert (row["n"], row["n_missing"]) == (len(observed), 1)
    assert row["mean"] == pytest.approx(observed.mean())
    assert row["sd"] == pytest.approx(observed.std(ddof=1))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.drop(columns="baseline_cost"), "baseline_cost"),
        (lambda d: d.assign(arm=d["arm"].replace("SAU", "usual care")), "arm"),
        (lambda d: d.assign(arm="IPS"), "SAU"),
        (lambda d: d.assign(cost=np.where(d.index == 3, np.nan, d["cost"])), "cost"),
    ],
)
def test_estimate_validates_input(change, message):
    with pytest.raises(ValueError, match=message):
        estimate_incremental(change(simulate_trial(n_families=20)))


def test_accepts_mapping_of_arrays():
    data = simulate_trial(n_families=40, seed=6)
    from_arrays = estimate_incremental({name: data[name].to_numpy() for name in data.columns})
    assert from_arrays == estimate_incremental(data)


# ---------------------------------------------------------------- bootstrap

def test_vectorised_fit_equals_ols_on_each_explicit_resample():
    data = simulate_trial(n_families=60, seed=7)
    design = build_design_matrices(data, ("baseline_cost", "site"), ("baseline_effect", "site"))
    codes = (data["arm"] == "IPS").to_numpy().astype(int)
    counts = draw_resample_counts(codes, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(counts[:, codes == 1].sum(axis=1), np.full(5, (codes == 1).sum()))
    from pfc_econ.cea.estimates import fit_weighted_least_squares
    batched = fit_weighted_least_squares(design.cost_design, design.cost, counts)
    for row, weights in zip(batched, counts):
        rows = np.repeat(np.arange(len(data)), weights.astype(int))
        explicit = np.linalg.lstsq(design.cost_design[rows], design.cost[rows], rcond=None)[0]
        np.testing.assert_allclose(row, explicit, rtol=1e-8, atol=1e-8)


def test_bootstrap_of_a_mean_matches_normal_interval():
    # SAU costs are all 0, so each replicate's incremental cost is the mean of a resample of the
    # IPS costs: the percentile 95% interval should match mean ± 1.96 s/√n (Efron & Tibshirani
    # 1993, §13.3). Monte Carlo SD of a 2.5% quantile with 4,000 replicates ≈ 0.04 SE.
    rng = np.random.default_rng(8)
    n = 400
    ips = rng.normal(1000.0, 200.0, n)
    data = pd.DataFrame({"arm": ["IPS"] * n + ["SAU"] * n, "cost": np.r_[ips, np.zeros(n)],
                         "effect": np.zeros(2 * n)})
    result = bootstrap_incremental(data, n_replicates=4_000, seed=9, is_adjusted=False)
    standard_error = ips.std(ddof=1) / np.sqrt(n)
    z = stats.norm.ppf(0.975)
    assert result.cost_interval[0] == pytest.approx(ips.mean() - z * standard_error, abs=0.2 * standard_error)
    assert result.cost_interval[1] == pytest.approx(ips.mean() + z * standard_error, abs=0.2 * standard_error)


def test_ceac_is_one_when_ips_is_cheaper_and_better_in_every_family():
    # Every IPS family costs less and gains more than every SAU family, so every resample has
    # ΔC < 0 and ΔE > 0 and net benefit > 0 at every threshold ≥ 0.
    rng = np.random.default_rng(10)
    n = 30
    data = pd.DataFrame({
        "arm": ["IPS"] * n + ["SAU"] * n,
        "cost": np.r_[rng.uniform(0, 10, n), rng.uniform(100, 110, n)],
        "effect": np.r_[rng.uniform(0.8, 0.9, n), rng.uniform(0.1, 0.2, n)],
    })
    result = bootstrap_incremental(data, n_replicates=500, seed=11, is_adjusted=False)
    curve = compute_acceptability_curve(result.delta_cost, result.delta_effect)
    assert np.all(curve.probability_cost_effective == 1.0)
    assert result.probability_cost_effective == (1.0, 1.0)
    # And the mirror image, IPS dearer and worse everywhere: 0 at every threshold.
    swapped = data.assign(arm=data["arm"].map({"IPS": "SAU", "SAU": "IPS"}))
    mirror = bootstrap_incremental(swapped, n_replicates=500, seed=11, is_adjusted=False)
    assert np.all(compute_acceptability_curve(mirror.delta_cost, mirror.delta_effect).probability_cost_effective == 0.0)


def test_same_seed_gives_identical_replicates_and_other_seeds_agree_within_monte_carlo_error():
    data = simulate_trial(seed=12)
    replicates = 2_000
    first = bootstrap_incremental(data, n_replicates=replicates, seed=1)
    again = bootstrap_incremental(data, n_replicates=replicates, seed=1)
    other = bootstrap_incremental(data, n_replicates=replicates, seed=2)
    np.testing.assert_array_equal(first.delta_cost, again.delta_cost)
    np.testing.assert_array_equal(first.delta_effect, again.delta_effect)
    assert not np.array_equal(first.delta_cost, other.delta_cost)
    # Difference of two independent replicate means: SD = √2·σ/√B; allow 4 SD.
    sd = first.delta_cost.std()
    assert abs(first.delta_cost.mean() - other.delta_cost.mean()) < 4 * np.sqrt(2) * sd / np.sqrt(replicates)
    for p, q in zip(first.probability_cost_effective, other.probability_cost_effective):
        assert abs(p - q) < 4 * np.sqrt(2 * max(p * (1 - p), 1 / replicates) / replicates)
    assert first.cost_interval == pytest.approx(other.cost_interval, abs=0.25 * sd)


def test_bootstrap_survives_a_site_missing_from_some_resamples():
    data = simulate_trial(n_families=40, seed=13, n_sites=1)
    data.loc[0, "site"] = "Glasgow"  # a single Glasgow family: absent from ~37% of resamples
    result = bootstrap_incremental(data, n_replicates=300, seed=14)
    assert result.n_replicates_with_empty_level > 0
    assert np.all(np.isfinite(result.delta_cost)) and np.all(np.isfinite(result.delta_effect))


def test_bootstrap_point_is_the_adjusted_estimate_and_validates_arguments():
    data = simulate_trial(seed=15)
    result = bootstrap_incremental(data, n_replicates=50, seed=0)
    assert result.point == estimate_incremental(data)
    assert result.net_benefit[0] == pytest.approx(20_000 * result.point.delta_effect - result.point.delta_cost)
    with pytest.raises(ValueError, match="n_replicates"):
        bootstrap_incremental(data, n_replicates=0)
    with pytest.raises(ValueError, match="confidence_level"):
        compute_percentile_interval(result.delta_cost, 1.5)
    assert build_threshold_grid(2_000, 1_000).tolist() == [0.0, 1_000.0, 2_000.0]


# ---------------------------------------------------------------- Rubin's rules and MI

def test_rubin_rules_by_hand():
    # Rubin 1987 eqs 3.1.2–3.1.6; van Buuren, FIMP 2nd ed., §2.3. M = 3, Q = (1, 2, 3), U = 0.5 each:
    # Q̄ = 2; Ū = 0.5; B = ((1−2)² + 0 + (3−2)²)/2 = 1; T = 0.5 + (1 + 1/3)·1 = 11/6;
    # r = (4/3)/0.5 = 8/3; λ = (4/3)/(11/6) = 8/11; ν_old = 2·(1 + 3/8)² = 121/32.
    pooled = pool_rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    assert pooled.estimate == pytest.approx(2.0)
    assert pooled.within_variance == pytest.approx(0.5)
    assert pooled.between_variance == pytest.approx(1.0)
    assert pooled.total_variance == pytest.approx(11 / 6)
    assert pooled.relative_increase_in_variance == pytest.approx(8 / 3)
    assert pooled.fraction_missing_information == pytest.approx(8 / 11)
    assert pooled.degrees_of_freedom == pytest.approx(121 / 32)
    half_width = stats.t.ppf(0.975, 121 / 32) * np.sqrt(11 / 6)
    assert pooled.interval == pytest.approx((2 - half_width, 2 + half_width))
    # Barnard & Rubin 1999 with ν_com = 10: ν_obs = (11/13)·10·(1 − 8/11) = 30/13;
    # ν = ν_old·ν_obs / (ν_old + ν_obs).
    adjusted = pool_rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], complete_data_df=10)
    nu_old, nu_obs = 121 / 32, 30 / 13
    assert adjusted.degrees_of_freedom == pytest.approx(nu_old * nu_obs / (nu_old + nu_obs))


def test_rubin_rules_without_between_imputation_variance():
    pooled = pool_rubin([5.0, 5.0], [4.0, 4.0])
    assert (pooled.between_variance, pooled.total_variance) == (0.0, 4.0)
    assert np.isinf(pooled.degrees_of_freedom)
    assert pooled.interval == pytest.approx((5 - 1.959964 * 2, 5 + 1.959964 * 2), abs=1e-5)
    with pytest.raises(ValueError, match="estimates"):
        pool_rubin([1.0], [1.0])
    with pytest.raises(ValueError, match="variances"):
        pool_rubin([1.0, 2.0], [1.0])


def test_multiple_imputation_without_missing_values_returns_complete_case_estimate():
    data = simulate_trial(n_families=100, seed=16)
    result = analyse_with_multiple_imputation(data, n_imputations=3, n_replicates=200, seed=17, threshold_grid=[0, 20_000])
    complete = estimate_incremental(data)
    assert result.cost.estimate == pytest.approx(complete.delta_cost, rel=1e-12)
    assert result.effect.estimate == pytest.approx(complete.delta_effect, rel=1e-12)
    assert result.cost.between_variance == pytest.approx(0.0, abs=1e-9)
    assert result.n_missing == {"cost": 0, "effect": 0, "baseline_cost": 0, "baseline_effect": 0}
    with pytest.raises(ValueError, match="n_imputations"):
        impute_within_arm(data, n_imputations=1)


def test_imputation_draws_donors_from_the_same_arm():
    # IPS costs lie in [0, 10] and SAU costs in [1000, 1010]: PMM within arm can only
    # fill an IPS gap with an observed IPS cost.
    data = simulate_trial(n_families=80, seed=18)
    data["cost"] = np.where(data["arm"] == "IPS", data["cost"] % 10, 1000 + data["cost"] % 10)
    data.loc[data.index[:20], "cost"] = np.nan
    imputed = impute_within_arm(data, n_imputations=2, seed=19, n_cycles=3)
    for completed in imputed.datasets:
        assert completed["cost"].notna().all()
        for arm in ("IPS", "SAU"):
            filled = completed.loc[data["cost"].isna() & (data["arm"] == arm), "cost"]
            observed = data.loc[data["cost"].notna() & (data["arm"] == arm), "cost"]
            assert filled.isin(observed).all()
    # Without site as a predictor, a family with every column missing has nothing to match on.
    blank = data.assign(**{c: np.where(data.index == 1, np.nan, data[c])
                           for c in ("cost", "effect", "baseline_cost", "baseline_effect")})
    with pytest.raises(ValueError, match="every column"):
        impute_within_arm(blank, n_imputations=2, site_column=None)


def test_numpy_chains_impute_exactly_as_statsmodels_micedata():
    from statsmodels.imputation.mice import MICEData
    data = simulate_trial(n_families=60, seed=23)
    data.loc[data.index[::4], "cost"] = np.nan
    data.loc[data.index[1::5], "effect"] = np.nan
    fast = impute_within_arm(data, n_imputations=2, seed=24, n_cycles=2)
    reference = impute_within_arm(data, n_imputations=2, seed=24, n_cycles=2, chain_class=MICEData)
    for ours, theirs in zip(fast.datasets, reference.datasets):
        pd.testing.assert_frame_equal(ours, theirs)


def test_multiple_imputation_interval_covers_the_truth_on_simulated_data():
    # Outcomes missing at random given baseline cost (about 25%); truth ΔC = 300, ΔE = 0.02.
    data = simulate_trial(n_families=600, seed=20)
    rng = np.random.default_rng(21)
    is_missing = rng.random(len(data)) < np.where(data["baseline_cost"] > data["baseline_cost"].median(), 0.35, 0.15)
    data.loc[is_missing, ["cost", "effect"]] = np.nan
    result = analyse_with_multiple_imputation(
        data, n_imputations=5, n_replicates=300, seed=22, n_cycles=5, threshold_grid=[0, 20_000, 40_000]
    )
    assert result.cost.interval[0] < 300 < result.cost.interval[1]
    assert result.effect.interval[0] < 0.02 < result.effect.interval[1]
    assert result.cost.between_variance > 0 and np.isfinite(result.cost.degrees_of_freedom)
    assert result.delta_cost_replicates.shape == (5, 300)
    curves = compute_decision_curves(result.delta_cost_replicates, result.delta_effect_replicates, [0, 20_000, 40_000])
    assert len(curves.probability_cost_effective) == 3 and curves.n_draws == 1500
    # Truth at £20,000: 20,000 × 0.02 − 300 = 100.
    assert result.net_benefit[0].interval[0] < 100 < result.net_benefit[0].interval[1]
