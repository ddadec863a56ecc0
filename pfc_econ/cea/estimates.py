"""Incremental cost and effect of IPS against SAU, the ICER and net monetary benefit.

One row per randomised family; columns ``arm`` (``IPS``/``SAU``), ``site``, ``cost``, ``effect``,
``baseline_cost``, ``baseline_effect``. IPS is the intervention, so every incremental is IPS − SAU.

The adjusted incrementals are the arm coefficients of two OLS regressions,
``cost ~ arm + baseline_cost + site`` and ``effect ~ arm + baseline_effect + site``; adjusting the
QALY difference for baseline utility follows Manca, Hawkins & Sculpher (2005) Health Econ
14:487–496, and adjusting both equations for baseline covariates follows Glick, Doshi, Sonnad &
Polsky, *Economic Evaluation in Clinical Trials* (2nd ed., OUP 2014), ch. 5. Least squares is
written with numpy on stacked normal equations so that the same code fits one data set or ten
thousand bootstrap resamples at once (see ``fit_weighted_least_squares``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

INTERVENTION_ARM = "IPS"
CONTROL_ARM = "SAU"
ARMS = (INTERVENTION_ARM, CONTROL_ARM)
TRIAL_COLUMNS = ("arm", "site", "cost", "effect", "baseline_cost", "baseline_effect")
DEFAULT_COST_COVARIATES = ("baseline_cost", "site")
DEFAULT_EFFECT_COVARIATES = ("baseline_effect", "site")

QUADRANT_NORTH_EAST = "north-east"  # dearer and better: the ICER is meaningful
QUADRANT_SOUTH_WEST = "south-west"  # cheaper and worse: ICER is saving per unit of effect lost
QUADRANT_DOMINANT = "dominant"  # south-east: cheaper (or equal) and better
QUADRANT_DOMINATED = "dominated"  # north-west: dearer (or equal) and worse
QUADRANT_UNDEFINED = "undefined"  # no difference in effect: no ratio exists


@dataclass(frozen=True)
class IncrementalEstimate:
    """Incremental (IPS − SAU) cost and effect from one data set.

    Fields:
        delta_cost: incremental mean cost, GBP.
        delta_effect: incremental mean effect (e.g. QALYs).
        se_cost: model-based OLS standard error of ``delta_cost`` (homoscedastic; use the
            bootstrap for inference on skewed costs).
        se_effect: model-based OLS standard error of ``delta_effect``.
        n_intervention: families in the IPS arm.
        n_control: families in the SAU arm.
        cost_columns: names of the columns of the cost design matrix.
        effect_columns: names of the columns of the effect design matrix.
        is_adjusted: False when the estimate is the unadjusted difference in means.
    """

    delta_cost: float
    delta_effect: float
    se_cost: float
    se_effect: float
    n_intervention: int
    n_control: int
    cost_columns: tuple[str, ...]
    effect_columns: tuple[str, ...]
    is_adjusted: bool


@dataclass(frozen=True)
class IcerResult:
    """An incremental cost-effectiveness ratio and the quadrant of the CE plane it lies in.

    Fields:
        icer: delta_cost / delta_effect, GBP per unit of effect; NaN when the ratio is not
            meaningful (dominant, dominated, undefined) — see Glick et al. 2014, ch. 8.
        quadrant: one of north-east, south-west, dominant, dominated, undefined.
        delta_cost: the incremental cost the ratio was computed from.
        delta_effect: the incremental effect the ratio was computed from.
    """

    icer: float
    quadrant: str
    delta_cost: float
    delta_effect: float


@dataclass(frozen=True)
class DesignMatrices:
    """Design matrices and outcomes of the cost and effect regressions, with the arm in column 1.

    Fields:
        cost_design: (n, p_cost) matrix: intercept, is_intervention, cost covariates.
        effect_design: (n, p_effect) matrix: intercept, is_intervention, effect covariates.
        cost: (n,) outcome of the cost regression.
        effect: (n,) outcome of the effect regression.
        cost_columns, effect_columns: column names of the two design matrices.
        is_intervention: (n,) boolean, True for IPS families.
    """

    cost_design: np.ndarray
    effect_design: np.ndarray
    cost: np.ndarray
    effect: np.ndarray
    cost_columns: tuple[str, ...]
    effect_columns: tuple[str, ...]
    is_intervention: np.ndarray


ARM_COLUMN_INDEX = 1  # position of is_intervention in every design matrix (after the intercept)


def validate_trial_data(data: pd.DataFrame | Mapping, required: Sequence[str]) -> pd.DataFrame:
    """Return ``data`` as a DataFrame after checking columns, arms and numeric types.

    ``data`` may be a DataFrame or a mapping of column name to per-family arrays. Missing values
    are allowed here (imputation needs them); estimators reject them separately.
    """
    if isinstance(data, Mapping):
        data = pd.DataFrame({name: np.asarray(values) for name, values in data.items()})
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a DataFrame or a mapping of arrays, got {type(data)!r}")
    absent = [name for name in required if name not in data.columns]
    if absent:
        raise ValueError(f"data lacks column(s) {absent}; required: {list(required)}")
    if "arm" in data.columns:
        unknown = sorted(set(data["arm"].dropna().astype(str)) - set(ARMS))
        if unknown or data["arm"].isna().any():
            raise ValueError(f"data['arm'] must be {ARMS}; found {unknown or 'missing values'}")
        for arm in ARMS:
            if not (data["arm"] == arm).any():
                raise ValueError(f"data['arm'] has no {arm} families; both arms are needed")
    for name in required:
        if name in ("arm", "site"):
            continue
        if not pd.api.types.is_numeric_dtype(data[name]):
            raise ValueError(f"data[{name!r}] must be numeric, got {data[name].dtype}")
    return data.reset_index(drop=True)


def build_covariate_columns(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Covariate matrix: numeric columns centred and scaled, categorical columns as dummies.

    A categorical covariate (such as ``site``) becomes one 0/1 column per level except the first
    in sorted order; with a single level it contributes nothing, so a one-site trial still fits.
    Centring and scaling continuous covariates changes neither the arm coefficient nor the fit
    (the model has an intercept) but keeps the normal equations well conditioned when costs run
    to thousands of pounds. Dummies are left as 0/1 so a level absent from a bootstrap resample
    gives an all-zero column, which ``fit_weighted_least_squares`` recognises.
    """
    blocks, names = [], []
    for covariate in covariates:
        if covariate not in data.columns:
            raise ValueError(f"covariates names {covariate!r}, which is not a column of data")
        column = data[covariate]
        if column.isna().any():
            raise ValueError(f"data[{covariate!r}] has missing values; impute or drop them first")
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = column.to_numpy(dtype=float)
            spread = values.std()
            blocks.append((values - values.mean()) / (spread if spread > 0 else 1.0))
            names.append(covariate)
        else:
            levels = sorted(column.astype(str).unique())
            for level in levels[1:]:
                blocks.append((column.astype(str) == level).to_numpy(dtype=float))
                names.append(f"{covariate}[{level}]")
    matrix = np.column_stack(blocks) if blocks else np.empty((len(data), 0))
    return matrix, names


def build_design_matrices(
    data: pd.DataFrame | Mapping,
    cost_covariates: Sequence[str] = DEFAULT_COST_COVARIATES,
    effect_covariates: Sequence[str] = DEFAULT_EFFECT_COVARIATES,
) -> DesignMatrices:
    """Build the cost and effect design matrices (intercept, is_intervention, covariates)."""
    required = ["arm", "cost", "effect", *cost_covariates, *effect_covariates]
    frame = validate_trial_data(data, list(dict.fromkeys(required)))
    for outcome in ("cost", "effect"):
        if frame[outcome].isna().any():
            raise ValueError(f"data[{outcome!r}] has missing values; impute them first")
    is_intervention = (frame["arm"] == INTERVENTION_ARM).to_numpy()
    base = np.column_stack([np.ones(len(frame)), is_intervention.astype(float)])
    base_names = ["intercept", f"arm[{INTERVENTION_ARM}]"]
    cost_extra, cost_names = build_covariate_columns(frame, cost_covariates)
    effect_extra, effect_names = build_covariate_columns(frame, effect_covariates)
    return DesignMatrices(
        cost_design=np.hstack([base, cost_extra]),
        effect_design=np.hstack([base, effect_extra]),
        cost=frame["cost"].to_numpy(dtype=float),
        effect=frame["effect"].to_numpy(dtype=float),
        cost_columns=tuple(base_names + cost_names),
        effect_columns=tuple(base_names + effect_names),
        is_intervention=is_intervention,
    )


def fit_weighted_least_squares(design: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Least-squares coefficients for many frequency-weighted fits at once.

    ``design`` is (n, p), ``outcome`` (n,), ``weights`` (k, n): row j of ``weights`` counts how
    often each family appears in resample j, so fit j is exactly OLS on that resample. The
    normal equations X'WX b = X'Wy are formed for all k fits with two matrix products,
    W @ [x_i x_i'] and W @ [x_i y_i], and solved with one batched ``np.linalg.solve``.
    A column that is all zero in a resample (a site absent from it) gets a unit diagonal so its
    coefficient is 0 and the other coefficients are the OLS fit without it. Returns (k, p), or
    (k, p, r) for an (n, r) ``outcome`` (r outcomes sharing the design and weights).
    """
    n, p = design.shape
    outcomes = outcome[:, None] if outcome.ndim == 1 else outcome
    outer = (design[:, :, None] * design[:, None, :]).reshape(n, p * p)
    cross = weights @ outer
    gram = cross.reshape(-1, p, p)
    moment = (weights @ (design[:, :, None] * outcomes[:, None, :]).reshape(n, -1)).reshape(-1, p, outcomes.shape[1])
    diagonal = np.einsum("kii->ki", gram)
    empty = diagonal == 0
    if empty.any():
        rows, cols = np.nonzero(empty)
        gram[rows, cols, cols] = 1.0
    try:
        solved = np.linalg.solve(gram, moment)
    except np.linalg.LinAlgError:
        solved = np.linalg.pinv(gram) @ moment
    return solved[..., 0] if outcome.ndim == 1 else solved


def compute_ols_standard_error(design: np.ndarray, outcome: np.ndarray, column: int) -> float:
    """Model-based OLS standard error of one coefficient: sqrt(s² (X'X)⁻¹_jj), s² on n − p df."""
    coefficients, _, rank, _ = np.linalg.lstsq(design, outcome, rcond=None)
    residual_df = len(outcome) - rank
    if residual_df <= 0:
        return float("nan")
    residuals = outcome - design @ coefficients
    sigma_squared = residuals @ residuals / residual_df
    return float(np.sqrt(sigma_squared * np.linalg.pinv(design.T @ design)[column, column]))


def estimate_incremental(
    data: pd.DataFrame | Mapping,
    is_adjusted: bool = True,
    cost_covariates: Sequence[str] = DEFAULT_COST_COVARIATES,
    effect_covariates: Sequence[str] = DEFAULT_EFFECT_COVARIATES,
) -> IncrementalEstimate:
    """Incremental cost and effect of IPS against SAU.

    With ``is_adjusted`` (the default) the incrementals are the arm coefficients of
    ``cost ~ arm + cost_covariates`` and ``effect ~ arm + effect_covariates`` (baseline
    adjustment as in Manca, Hawkins & Sculpher 2005; covariates as in Glick et al. 2014, ch. 5).
    A categorical covariate with one level (a one-site analysis) is dropped. With
    ``is_adjusted=False`` the covariates are ignored and the incrementals are the differences
    in arm means.
    """
    if not is_adjusted:
        cost_covariates, effect_covariates = (), ()
    return estimate_from_design(build_design_matrices(data, cost_covariates, effect_covariates), is_adjusted)


def estimate_from_design(design: DesignMatrices, is_adjusted: bool = True) -> IncrementalEstimate:
    """``estimate_incremental`` on design matrices already built (the bootstrap and MI Boot build
    them once per data set and reuse them)."""
    ones = np.ones((1, len(design.cost)))
    delta_cost = fit_weighted_least_squares(design.cost_design, design.cost, ones)[0, ARM_COLUMN_INDEX]
    delta_effect = fit_weighted_least_squares(design.effect_design, design.effect, ones)[0, ARM_COLUMN_INDEX]
    return IncrementalEstimate(
        delta_cost=float(delta_cost),
        delta_effect=float(delta_effect),
        se_cost=compute_ols_standard_error(design.cost_design, design.cost, ARM_COLUMN_INDEX),
        se_effect=compute_ols_standard_error(design.effect_design, design.effect, ARM_COLUMN_INDEX),
        n_intervention=int(design.is_intervention.sum()),
        n_control=int((~design.is_intervention).sum()),
        cost_columns=design.cost_columns,
        effect_columns=design.effect_columns,
        is_adjusted=is_adjusted,
    )


def compute_icer(delta_cost: float, delta_effect: float) -> IcerResult:
    """ICER = delta_cost / delta_effect, with the quadrant of the cost-effectiveness plane.

    The ratio is reported only in the north-east (dearer, better) and south-west (cheaper,
    worse) quadrants; a dominant or dominated intervention, or one with no difference in
    effect, has no meaningful ratio (Glick et al. 2014, ch. 8; Drummond et al., Methods for the
    Economic Evaluation of Health Care Programmes, 4th ed., 2015, §4.5). In the south-west the
    ratio is a saving per unit of effect forgone, cost-effective when it exceeds the threshold.
    """
    for name, value in (("delta_cost", delta_cost), ("delta_effect", delta_effect)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if delta_effect == 0:
        quadrant = QUADRANT_UNDEFINED
    elif delta_effect > 0:
        quadrant = QUADRANT_DOMINANT if delta_cost <= 0 else QUADRANT_NORTH_EAST
    else:
        quadrant = QUADRANT_DOMINATED if delta_cost >= 0 else QUADRANT_SOUTH_WEST
    is_ratio = quadrant in (QUADRANT_NORTH_EAST, QUADRANT_SOUTH_WEST)
    icer = delta_cost / delta_effect if is_ratio else float("nan")
    return IcerResult(float(icer), quadrant, float(delta_cost), float(delta_effect))


def compute_net_monetary_benefit(delta_cost, delta_effect, threshold):
    """Incremental net monetary benefit, threshold × delta_effect − delta_cost (GBP).

    Stinnett & Mullahy (1998) Med Decis Making 18(2 Suppl):S68–S80; Glick et al. 2014, ch. 8.
    Arguments broadcast (numpy), so replicate arrays and threshold grids work; a scalar input
    gives a float.
    """
    threshold_array = np.asarray(threshold, dtype=float)
    if np.any(~np.isfinite(threshold_array)) or np.any(threshold_array < 0):
        raise ValueError(f"threshold must be finite and non-negative, got {threshold!r}")
    benefit = threshold_array * np.asarray(delta_effect, dtype=float) - np.asarray(delta_cost, dtype=float)
    return float(benefit) if benefit.ndim == 0 else benefit


def summarise_by_arm(
    data: pd.DataFrame | Mapping,
    columns: Sequence[str] = ("cost", "effect", "baseline_cost", "baseline_effect"),
) -> pd.DataFrame:
    """Per arm and variable: n observed, n missing, mean and SD (n − 1 denominator).

    Returns a DataFrame with columns arm, variable, n, n_missing, mean, sd; IPS first.
    """
    frame = validate_trial_data(data, ["arm", *columns])
    rows = []
    for arm in ARMS:
        in_arm = frame[frame["arm"] == arm]
        for column in columns:
            values = in_arm[column].dropna().to_numpy(dtype=float)
            rows.append({
                "arm": arm,
                "variable": column,
                "n": len(values),
                "n_missing": int(in_arm[column].isna().sum()),
                "mean": values.mean() if len(values) else float("nan"),
                "sd": values.std(ddof=1) if len(values) > 1 else float("nan"),
            })
    return pd.DataFrame(rows)
