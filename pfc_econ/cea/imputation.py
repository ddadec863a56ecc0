"""Rubin's rules and the statsmodels chained-equations engine (kept for comparison).

``pool_rubin`` pools M complete-data estimates (Rubin 1987; Barnard & Rubin 1999 df).
``impute_within_arm`` is MICE with predictive mean matching run separately in each arm, so the
imputation model allows every association to differ by arm (Faria, Gomes, Epstein & White 2014,
PharmacoEconomics 32(12):1157–1170; van Buuren, *Flexible Imputation of Missing Data*, 2nd ed.,
2018; the sections once cited here, §4 and §6.2, not verified here: docs/cea_references.md), with the baseline covariates (and site) as predictors, by statsmodels'
``MICEData`` (its design matrices built by numpy in ``MainEffectsMICEData``). The CEA itself
uses the numpy engine of ``chains.py`` (mice's Bayesian-draw PMM, much faster) through ``mi_boot.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.imputation.mice import MICEData

from pfc_econ.cea.bootstrap import (
    DEFAULT_CONFIDENCE_LEVEL,
    validate_probability,
)
from pfc_econ.cea.estimates import (
    ARMS,
    validate_trial_data,
)

# White, Royston & Wood (2011) Stat Med 30(4):377–399, §7.3 p. 388 (secondary: quoted in others'
# notes; docs/cea_references.md): M at least the percentage of incomplete
# cases; 20 covers the trial's expected follow-up loss of up to 20%.
DEFAULT_IMPUTATIONS = 20
DEFAULT_IMPUTED_COLUMNS = ("cost", "effect", "baseline_cost", "baseline_effect")
# Chained-equation cycles before each stored data set; each data set comes from its own chain,
# as in R mice (van Buuren & Groothuis-Oudshoorn 2011, J Stat Softw 45(3), §4.3; statsmodels'
# MICE.fit also burns in 10 cycles).
DEFAULT_CYCLES = 10
# Donors for predictive mean matching: 5, the R mice default (van Buuren 2018, §3.4.2).
DEFAULT_DONORS = 5


@dataclass(frozen=True)
class PooledEstimate:
    """One quantity pooled over M imputed data sets by Rubin's rules.

    Fields (van Buuren 2018, §2.3; Rubin 1987, §3.1):
        estimate: Q̄, mean of the M complete-data estimates.
        within_variance: Ū, mean of the M complete-data variances.
        between_variance: B, variance of the M estimates (M − 1 denominator).
        total_variance: T = Ū + (1 + 1/M) B.
        relative_increase_in_variance: r = (1 + 1/M) B / Ū.
        fraction_missing_information: λ = (1 + 1/M) B / T.
        degrees_of_freedom: Rubin's ν_old = (M − 1)(1 + 1/r)², or Barnard–Rubin ν when the
            complete-data df is given; inf when B = 0 and no complete-data df is given.
        interval: (lower, upper) = Q̄ ∓ t_{ν, (1+level)/2} √T.
        confidence_level: coverage of ``interval``.
        n_imputations: M.
    """

    estimate: float
    within_variance: float
    between_variance: float
    total_variance: float
    relative_increase_in_variance: float
    fraction_missing_information: float
    degrees_of_freedom: float
    interval: tuple[float, float]
    confidence_level: float
    n_imputations: int


@dataclass(frozen=True)
class ImputationResult:
    """M completed copies of the trial data.

    Fields:
        datasets: the M completed DataFrames (original row order and columns).
        imputed_columns: columns whose missing values were imputed.
        n_missing: missing values per imputed column before imputation.
        seed: seed of the Generator that drove the chains.
    """

    datasets: tuple[pd.DataFrame, ...]
    imputed_columns: tuple[str, ...]
    n_missing: Mapping[str, int]
    seed: int | None


class MainEffectsMICEData(MICEData):
    """statsmodels ``MICEData`` with its default conditional models built by numpy, not patsy.

    The default imputation model of ``MICEData`` for each variable is OLS on an intercept and
    every other column as a main effect (``set_imputer`` with no formula). Here that same design
    matrix is built directly from the numeric frame, instead of re-parsing a patsy formula on
    every update, which takes most of the run time; fitting, Gaussian perturbation and
    predictive mean matching are statsmodels' own. A test checks the imputations are identical.
    """

    def build_conditional_design(self, vname: str) -> tuple[np.ndarray, np.ndarray]:
        """Outcome ``vname`` and its design matrix [1, every other column], all rows."""
        others = [column for column in self.data.columns if column != vname]
        design = np.column_stack([np.ones(len(self.data)), self.data[others].to_numpy(dtype=float)])
        return self.data[vname].to_numpy(dtype=float), design

    def get_split_data(self, vname):
        """As ``MICEData.get_split_data`` for the default formula (no predict keywords)."""
        outcome, design = self.build_conditional_design(vname)
        observed, missing = self.ix_obs[vname], self.ix_miss[vname]
        return outcome[observed], design[observed], design[missing], {}, {}

    def get_fitting_data(self, vname):
        """As ``MICEData.get_fitting_data`` for the default formula (no init or fit keywords)."""
        outcome, design = self.build_conditional_design(vname)
        observed = self.ix_obs[vname]
        return outcome[observed], design[observed], {}, {}


def pool_rubin(
    estimates: Sequence[float],
    variances: Sequence[float],
    complete_data_df: float | None = None,
    confidence_level: float = DEFAULT_CONFIDENCE_LEVEL,
) -> PooledEstimate:
    """Pool M complete-data estimates and variances by Rubin's rules.

    Q̄ = mean(Q_m); Ū = mean(U_m); B = Σ(Q_m − Q̄)²/(M − 1); T = Ū + (1 + 1/M) B
    (Rubin 1987, Multiple Imputation for Nonresponse in Surveys, eqs 3.1.2–3.1.5; van Buuren
    2018, §2.3). Degrees of freedom: without ``complete_data_df``, Rubin's (1987, eq. 3.1.6)
    ν_old = (M − 1)(1 + 1/r)²; with it, Barnard & Rubin (1999) Biometrika 86:948–955:
    ν_obs = (ν_com + 1)/(ν_com + 3) · ν_com (1 − λ) and ν = ν_old ν_obs / (ν_old + ν_obs).
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.ndim != 1 or len(q) < 2:
        raise ValueError(f"estimates must be a 1-D sequence of at least 2 values, got {len(np.atleast_1d(q))}")
    if u.shape != q.shape:
        raise ValueError(f"variances must match estimates in length ({len(q)}), got {u.shape}")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u)) and np.all(u >= 0)):
        raise ValueError("estimates must be finite and variances finite and non-negative")
    if complete_data_df is not None and not complete_data_df > 0:
        raise ValueError(f"complete_data_df must be positive, got {complete_data_df!r}")
    validate_probability("confidence_level", confidence_level)
    m = len(q)
    mean_estimate = q.mean()
    within = u.mean()
    between = q.var(ddof=1)
    inflated_between = (1 + 1 / m) * between
    total = within + inflated_between
    ratio = inflated_between / within if within > 0 else (np.inf if between > 0 else 0.0)
    missing_information = inflated_between / total if total > 0 else 0.0
    df_old = (m - 1) * (1 + 1 / ratio) ** 2 if ratio > 0 else np.inf
    if complete_data_df is None:
        df = df_old
    else:
        df_observed = (complete_data_df + 1) / (complete_data_df + 3) * complete_data_df * (1 - missing_information)
        df = df_observed if np.isinf(df_old) else df_old * df_observed / (df_old + df_observed)
    half_width = stats.t.ppf((1 + confidence_level) / 2, df) * np.sqrt(total)
    return PooledEstimate(
        estimate=float(mean_estimate),
        within_variance=float(within),
        between_variance=float(between),
        total_variance=float(total),
        relative_increase_in_variance=float(ratio),
        fraction_missing_information=float(missing_information),
        degrees_of_freedom=float(df),
        interval=(float(mean_estimate - half_width), float(mean_estimate + half_width)),
        confidence_level=confidence_level,
        n_imputations=m,
    )


def build_arm_predictors(frame: pd.DataFrame, columns: Sequence[str], site_column: str | None) -> pd.DataFrame:
    """Numeric frame for one arm's chained equations: the columns plus non-constant site dummies.

    Columns are renamed ``v0, v1, …`` so any column or site name is a valid model formula term.
    """
    parts = {f"v{i}": frame[column].astype(float).to_numpy() for i, column in enumerate(columns)}
    if site_column is not None:
        levels = sorted(frame[site_column].astype(str).unique())
        for j, level in enumerate(levels[1:]):
            parts[f"s{j}"] = (frame[site_column].astype(str) == level).to_numpy(dtype=float)
    return pd.DataFrame(parts)


def impute_within_arm(
    data: pd.DataFrame | Mapping,
    n_imputations: int = DEFAULT_IMPUTATIONS,
    seed: int | None = None,
    imputed_columns: Sequence[str] = DEFAULT_IMPUTED_COLUMNS,
    site_column: str | None = "site",
    n_cycles: int = DEFAULT_CYCLES,
    n_donors: int = DEFAULT_DONORS,
    chain_class: type[MICEData] = MainEffectsMICEData,
) -> ImputationResult:
    """Impute missing values of ``imputed_columns`` M times by MICE with PMM, separately per arm.

    In each arm every incomplete column is imputed from all the others (baseline covariates and
    site dummies as predictors) by statsmodels ``MICEData``; each of the M data sets is the end
    of its own chain of ``n_cycles`` cycles. An arm with nothing missing is copied unchanged,
    so data without missing values give M copies of the original. ``chain_class`` may be
    statsmodels' own ``MICEData`` (same imputations, slower).
    """
    if not isinstance(n_imputations, (int, np.integer)) or n_imputations < 2:
        raise ValueError(f"n_imputations must be an integer of at least 2, got {n_imputations!r}")
    for name, value in (("n_cycles", n_cycles), ("n_donors", n_donors)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    required = ["arm", *imputed_columns] + ([site_column] if site_column else [])
    frame = validate_trial_data(data, required)
    if site_column and frame[site_column].isna().any():
        raise ValueError(f"data[{site_column!r}] has missing values; site must be complete")
    n_missing = {column: int(frame[column].isna().sum()) for column in imputed_columns}
    rng = np.random.default_rng(seed)
    frame = frame.astype({column: float for column in imputed_columns})
    datasets = [frame.copy() for _ in range(n_imputations)]
    for arm in ARMS:
        rows = np.flatnonzero(frame["arm"] == arm)
        predictors = build_arm_predictors(frame.iloc[rows], imputed_columns, site_column)
        if not predictors.isna().to_numpy().any():
            continue
        for i, column in enumerate(imputed_columns):
            if predictors[f"v{i}"].notna().sum() < 2:
                raise ValueError(f"data[{column!r}] has fewer than 2 observed values in arm {arm}")
        if predictors.isna().all(axis=1).any():
            raise ValueError(f"some {arm} families have every column of {list(imputed_columns)} missing")
        for dataset in datasets:
            chain = chain_class(predictors, k_pmm=n_donors, rng=rng)
            chain.update_all(n_cycles)
            for i, column in enumerate(imputed_columns):
                dataset.loc[rows, column] = chain.data[f"v{i}"].to_numpy()
    return ImputationResult(tuple(datasets), tuple(imputed_columns), n_missing, seed)


def compute_probability_positive(pooled: PooledEstimate) -> float:
    """P(quantity > 0) under the Rubin reference distribution Q̄ + √T · t_ν."""
    if pooled.total_variance == 0:
        return float(pooled.estimate > 0)
    return float(stats.t.cdf(pooled.estimate / np.sqrt(pooled.total_variance), pooled.degrees_of_freedom))
