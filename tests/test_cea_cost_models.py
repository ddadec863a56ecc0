"""Cost models as sensitivity analyses (issue 11, Build 6): the GLM and two-part model match
statsmodels' own formula fits, and their incremental cost is the recycled-prediction difference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from pfc_econ.cea.cost_models import fit_cost_model, pool_cost_model
from test_cea_stats import simulate_trial

GAMMA_LOG = sm.families.Gamma(link=sm.families.links.Log())


def recycled_difference(data: pd.DataFrame, predict) -> float:
    return float(np.mean(predict(data.assign(arm="IPS")) - predict(data.assign(arm="SAU"))))


def test_gamma_glm_matches_statsmodels_formula_fit():
    data = simulate_trial(n_families=400, seed=41)
    assert (data["cost"] > 0).all()
    ours = fit_cost_model(data, "glm_gamma")
    theirs = smf.glm("cost ~ C(arm, Treatment('SAU')) + baseline_cost + site", data, family=GAMMA_LOG).fit()
    arm = ours.coefficients.set_index("term").loc["arm[IPS]"]
    assert arm["coefficient"] == pytest.approx(theirs.params["C(arm, Treatment('SAU'))[T.IPS]"], rel=1e-6)
    assert arm["se"] == pytest.approx(theirs.bse["C(arm, Treatment('SAU'))[T.IPS]"], rel=1e-6)
    site = ours.coefficients.set_index("term").loc["site[Glasgow]"]
    assert site["coefficient"] == pytest.approx(theirs.params["site[T.Glasgow]"], rel=1e-6)
    assert ours.incremental_cost == pytest.approx(recycled_difference(data, theirs.predict), rel=1e-6)
    # Truth of the simulation: IPS adds £300 to the mean cost.
    assert abs(ours.incremental_cost - 300) < 4 * np.sqrt(ours.variance)


def test_two_part_model_matches_statsmodels_logit_and_gamma_fits():
    data = simulate_trial(n_families=400, seed=42)
    data["cost"] = data["cost"].clip(lower=50.0)
    data.loc[np.random.default_rng(43).random(len(data)) < 0.2, "cost"] = 0.0
    ours = fit_cost_model(data, "two_part")
    formula = "C(arm, Treatment('SAU')) + baseline_cost + site"
    logit = smf.glm(f"any_cost ~ {formula}", data.assign(any_cost=(data["cost"] > 0).astype(float)),
                    family=sm.families.Binomial()).fit()
    gamma = smf.glm(f"cost ~ {formula}", data[data["cost"] > 0], family=GAMMA_LOG).fit()
    table = ours.coefficients.set_index(["part", "term"])
    term = "C(arm, Treatment('SAU'))[T.IPS]"
    assert table.loc[("logit_any_cost", "arm[IPS]"), "coefficient"] == pytest.approx(logit.params[term], rel=1e-6)
    assert table.loc[("gamma_log", "arm[IPS]"), "coefficient"] == pytest.approx(gamma.params[term], rel=1e-6)
    expected = recycled_difference(data, lambda d: logit.predict(d) * gamma.predict(d))
    assert ours.incremental_cost == pytest.approx(expected, rel=1e-6)
    assert ours.n_zero == int((data["cost"] == 0).sum())
    with pytest.raises(ValueError, match="zero costs"):
        fit_cost_model(data, "glm_gamma")


def test_pooled_regression_table_has_rubin_intervals():
    data = simulate_trial(n_families=200, seed=44)
    data["cost"] = data["cost"].clip(lower=50.0)
    fits = [fit_cost_model(data.assign(cost=data["cost"] * factor), "glm_gamma") for factor in (0.95, 1.0, 1.05)]
    pooled, table = pool_cost_model(fits)
    assert pooled.estimate == pytest.approx(np.mean([f.incremental_cost for f in fits]))
    assert pooled.between_variance > 0
    arm = table.set_index("term").loc["arm[IPS]"]
    assert arm["ci_lower"] < arm["coefficient"] < arm["ci_upper"]
    assert list(table.columns[:7]) == ["model", "part", "term", "coefficient", "se", "ci_lower", "ci_upper"]
