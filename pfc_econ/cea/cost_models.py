"""Cost models as sensitivity analyses: a gamma GLM with log link, and a two-part model (statsmodels).

Costs are skewed and often zero; the base case uses least squares on the cost scale (unbiased for
the mean difference with a non-parametric bootstrap). The alternatives peers report:

- GLM, gamma family, log link (Manning & Mullahy 2001, J Health Econ 20(4):461–494; Glick et al.
  2014, ch. 5): log E[cost] = Xβ. Needs every cost > 0.
- Two-part model (Duan, Manning, Morris & Newhouse 1983, J Bus Econ Stat 1:115–126): logit for
  P(cost > 0), gamma GLM (log link) for the positive costs; E[cost] = P(cost > 0) × E[cost | > 0].

Both use the base case's covariates (arm, baseline cost, site). The incremental cost is the
average marginal effect on the cost scale (recycled predictions: every family costed as IPS and
as SAU, mean difference; Glick et al. 2014, ch. 5), with its variance by the delta method from
the fitted covariance of β. Over M imputed data sets estimates and variances are pooled by
Rubin's rules (``imputation.pool_rubin``), and so are the coefficients of the regression tables.
Glick et al. chapter numbers are not verified here; docs/cea_references.md says what was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from pfc_econ.cea.estimates import ARM_COLUMN_INDEX, DEFAULT_COST_COVARIATES, build_design_matrices
from pfc_econ.cea.imputation import PooledEstimate, pool_rubin


@dataclass(frozen=True)
class CostModelFit:
    """One cost model fitted to one complete data set.

    Fields:
        model: 'glm_gamma' or 'two_part'.
        incremental_cost: average marginal effect of IPS on cost (GBP).
        variance: its delta-method variance.
        coefficients: rows of (part, term, coefficient, se).
        n_families: families fitted; n_zero: families with zero cost.
    """

    model: str
    incremental_cost: float
    variance: float
    coefficients: pd.DataFrame
    n_families: int
    n_zero: int


def fit_gamma(cost: np.ndarray, design: np.ndarray):
    """statsmodels GLM, gamma family, log link, fitted by IRLS."""
    return sm.GLM(cost, design, family=sm.families.Gamma(link=sm.families.links.Log())).fit()


def recycle(design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The design with every family as IPS (arm column 1) and as SAU (arm column 0)."""
    as_ips, as_sau = design.copy(), design.copy()
    as_ips[:, ARM_COLUMN_INDEX], as_sau[:, ARM_COLUMN_INDEX] = 1.0, 0.0
    return as_ips, as_sau


def coefficient_rows(part: str, names, fit) -> list[dict]:
    return [{"part": part, "term": name, "coefficient": float(b), "se": float(s)}
            for name, b, s in zip(names, np.asarray(fit.params), np.asarray(fit.bse))]


def fit_cost_model(data: pd.DataFrame, model: str, covariates=DEFAULT_COST_COVARIATES) -> CostModelFit:
    """Fit ``model`` to complete data (arm, cost, covariates); ValueError when it cannot be fitted."""
    design = build_design_matrices(data, covariates, ())
    x, cost, names = design.cost_design, design.cost, design.cost_columns
    if np.any(cost < 0):
        raise ValueError("negative costs: a gamma model needs costs of 0 or more")
    positive = cost > 0
    as_ips, as_sau = recycle(x)
    if model == "glm_gamma":
        if not positive.all():
            raise ValueError(f"{int((~positive).sum())} zero costs: the gamma GLM needs positive costs "
                             "(the two-part model allows zeros)")
        fit = fit_gamma(cost, x)
        mu_ips, mu_sau = np.exp(as_ips @ fit.params), np.exp(as_sau @ fit.params)
        gradient = (mu_ips[:, None] * as_ips - mu_sau[:, None] * as_sau).mean(axis=0)
        return CostModelFit(model, float((mu_ips - mu_sau).mean()), float(gradient @ fit.cov_params() @ gradient),
                            pd.DataFrame(coefficient_rows("gamma_log", names, fit)), len(cost), 0)
    if model != "two_part":
        raise ValueError(f"unknown cost model {model!r}")
    if positive.sum() <= x.shape[1]:
        raise ValueError("too few positive costs for the gamma part")
    gamma = fit_gamma(cost[positive], x[positive])
    mu_ips, mu_sau = np.exp(as_ips @ gamma.params), np.exp(as_sau @ gamma.params)
    rows = coefficient_rows("gamma_log", names, gamma)
    if positive.all():  # no zeros: P(cost > 0) = 1, the two-part model is the GLM
        p_ips = p_sau = np.ones(len(cost))
        gradient_logit, logit_cov = np.zeros(0), np.zeros((0, 0))
    else:
        logit = sm.GLM(positive.astype(float), x, family=sm.families.Binomial()).fit()
        p_ips, p_sau = 1 / (1 + np.exp(-(as_ips @ logit.params))), 1 / (1 + np.exp(-(as_sau @ logit.params)))
        gradient_logit = ((p_ips * (1 - p_ips) * mu_ips)[:, None] * as_ips
                          - (p_sau * (1 - p_sau) * mu_sau)[:, None] * as_sau).mean(axis=0)
        logit_cov = logit.cov_params()
        rows = coefficient_rows("logit_any_cost", names, logit) + rows
    gradient_gamma = ((p_ips * mu_ips)[:, None] * as_ips - (p_sau * mu_sau)[:, None] * as_sau).mean(axis=0)
    # The two parts are fitted to separate likelihoods: their estimates are independent.
    variance = gradient_gamma @ gamma.cov_params() @ gradient_gamma
    if len(gradient_logit):
        variance += gradient_logit @ logit_cov @ gradient_logit
    return CostModelFit(model, float((p_ips * mu_ips - p_sau * mu_sau).mean()), float(variance),
                        pd.DataFrame(rows), len(cost), int((~positive).sum()))


def pool_cost_model(fits: list[CostModelFit]) -> tuple[PooledEstimate, pd.DataFrame]:
    """Rubin-pooled incremental cost and regression table (coefficient, SE, 95% CI) over imputations."""
    n, p = fits[0].n_families, len(fits[0].coefficients)
    df = max(n - p, 1)
    if len(fits) == 1:
        fit = fits[0]
        se = np.sqrt(fit.variance)
        estimate = PooledEstimate(fit.incremental_cost, fit.variance, 0.0, fit.variance, 0.0, 0.0, np.inf,
                                  (fit.incremental_cost - 1.959964 * se, fit.incremental_cost + 1.959964 * se), 0.95, 1)
        table = fit.coefficients.assign(ci_lower=lambda t: t.coefficient - 1.959964 * t.se,
                                        ci_upper=lambda t: t.coefficient + 1.959964 * t.se)
    else:
        estimate = pool_rubin([f.incremental_cost for f in fits], [f.variance for f in fits], df)
        rows = []
        for i, row in fits[0].coefficients.iterrows():
            pooled = pool_rubin([f.coefficients.loc[i, "coefficient"] for f in fits],
                                [f.coefficients.loc[i, "se"] ** 2 for f in fits], df)
            rows.append({"part": row["part"], "term": row["term"], "coefficient": pooled.estimate,
                         "se": float(np.sqrt(pooled.total_variance)), "ci_lower": pooled.interval[0],
                         "ci_upper": pooled.interval[1]})
        table = pd.DataFrame(rows)
    table = table.assign(exp_coefficient=np.exp(table["coefficient"]), model=fits[0].model, n_families=n,
                         n_zero_cost=fits[0].n_zero, imputations_pooled=len(fits))
    return estimate, table[["model", "part", "term", "coefficient", "se", "ci_lower", "ci_upper", "exp_coefficient",
                            "n_families", "n_zero_cost", "imputations_pooled"]]
