"""Non-parametric bootstrap of the incremental cost and effect, percentile intervals and the CEAC.

Families are resampled with replacement within arm (and optionally within site), so each
family's cost and effect stay paired and each resample keeps the trial's arm sizes — the
stratified bootstrap of Glick, Doshi, Sonnad & Polsky, *Economic Evaluation in Clinical Trials*
(2nd ed., OUP 2014), ch. 7 (chapter and sections not verified here: docs/cea_references.md);
Efron & Tibshirani, *An Introduction to the Bootstrap* (1993),
ch. 13 for the percentile interval. The probability that IPS is cost-effective at a threshold
is the share of replicates with positive incremental net monetary benefit, and the
cost-effectiveness acceptability curve (CEAC) is that share over a grid of thresholds
(Fenwick, Claxton & Sculpher 2001, Health Econ 10:779–787; Glick et al. 2014, ch. 8).

All replicates are computed at once: a resample is a row of counts (how often each family is
drawn), and the adjusted regressions of every resample are solved together from stacked
normal equations (``estimates.fit_weighted_least_squares``), in chunks to bound memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pfc_econ.cea.estimates import (
    ARM_COLUMN_INDEX,
    DEFAULT_COST_COVARIATES,
    DEFAULT_EFFECT_COVARIATES,
    DesignMatrices,
    IncrementalEstimate,
    build_design_matrices,
    compute_net_monetary_benefit,
    estimate_from_design,
    fit_weighted_least_squares,
    validate_trial_data,
)

DEFAULT_REPLICATES = 10_000
# NICE's range of £20,000 to £30,000 per QALY gained: NICE health technology evaluations: the manual
# (PMG36, 2022), chapter "Committee recommendations" (the £20,000 statement read there; the range as
# cited by others; PMG9 2013 §6.3 not verified here: docs/cea_references.md).
DEFAULT_THRESHOLDS_GBP = (20_000.0, 30_000.0)
DEFAULT_CONFIDENCE_LEVEL = 0.95
# The CEAC grid is a presentation choice, not evidence: £0 to £50,000 (beyond NICE's upper bound)
# in £1,000 steps.
DEFAULT_CEAC_MAXIMUM_GBP = 50_000.0
DEFAULT_CEAC_STEP_GBP = 1_000.0
# Resamples solved per batch: bounds the (chunk × families) count matrix to tens of megabytes.
DEFAULT_CHUNK_SIZE = 1_000


@dataclass(frozen=True)
class AcceptabilityCurve:
    """Probability that IPS is cost-effective at each threshold.

    Fields:
        thresholds: (k,) willingness to pay per unit of effect, GBP.
        probability_cost_effective: (k,) share of replicates (or, after multiple imputation,
            the pooled probability) with incremental net monetary benefit > 0.
    """

    thresholds: np.ndarray
    probability_cost_effective: np.ndarray


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap replicates of the incremental cost and effect, and summaries of them.

    Fields:
        point: the estimate on the original data (same model as the replicates).
        delta_cost: (n_replicates,) incremental cost in each resample, GBP.
        delta_effect: (n_replicates,) incremental effect in each resample.
        confidence_level: coverage of the percentile intervals.
        cost_interval: (lower, upper) percentile interval of delta_cost.
        effect_interval: (lower, upper) percentile interval of delta_effect.
        thresholds: thresholds at which net benefit is summarised, GBP per unit of effect.
        net_benefit: incremental net monetary benefit of the point estimate at each threshold.
        net_benefit_intervals: (lower, upper) percentile interval of net benefit per threshold.
        probability_cost_effective: share of replicates with net benefit > 0 per threshold.
        strata: columns the resampling was stratified by.
        seed: the seed the Generator was built from (None: fresh entropy).
        n_replicates_with_empty_level: resamples in which a covariate level (a site) was absent,
            so its dummy was dropped from that resample's regression.
        cost_shift_slopes, effect_shift_slopes: (n_replicates, r) arm coefficients of the
            ``cost_shifts`` / ``effect_shifts`` columns in each resample (None when not asked):
            by linearity of least squares, adding δ × shift column j to the outcome moves that
            resample's incremental by δ × slope j (used for delta-adjusted MNAR analyses).
    """

    point: IncrementalEstimate
    delta_cost: np.ndarray
    delta_effect: np.ndarray
    confidence_level: float
    cost_interval: tuple[float, float]
    effect_interval: tuple[float, float]
    thresholds: tuple[float, ...]
    net_benefit: tuple[float, ...]
    net_benefit_intervals: tuple[tuple[float, float], ...]
    probability_cost_effective: tuple[float, ...]
    strata: tuple[str, ...]
    seed: int | None
    n_replicates_with_empty_level: int
    cost_shift_slopes: np.ndarray | None = None
    effect_shift_slopes: np.ndarray | None = None

    @property
    def n_replicates(self) -> int:
        """Number of bootstrap replicates."""
        return len(self.delta_cost)


def build_threshold_grid(
    maximum: float = DEFAULT_CEAC_MAXIMUM_GBP, step: float = DEFAULT_CEAC_STEP_GBP
) -> np.ndarray:
    """Thresholds 0, step, 2·step, …, maximum (GBP per unit of effect) for a CEAC."""
    if not (np.isfinite(maximum) and maximum > 0):
        raise ValueError(f"maximum must be a positive number, got {maximum!r}")
    if not (np.isfinite(step) and 0 < step <= maximum):
        raise ValueError(f"step must be positive and at most maximum, got {step!r}")
    return np.arange(0.0, maximum + step / 2, step)


def validate_probability(name: str, value: float) -> None:
    """Raise ValueError unless 0 < value < 1."""
    if not (isinstance(value, (int, float)) and 0 < value < 1):
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")


def compute_percentile_interval(
    replicates: np.ndarray, confidence_level: float = DEFAULT_CONFIDENCE_LEVEL
) -> tuple[float, float]:
    """Percentile interval: the (1 − level)/2 and (1 + level)/2 quantiles of the replicates.

    Efron & Tibshirani 1993, §13.3; Glick et al. 2014, ch. 7.
    """
    validate_probability("confidence_level", confidence_level)
    values = np.asarray(replicates, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError("replicates must be a non-empty one-dimensional array")
    tail = (1 - confidence_level) / 2
    lower, upper = np.quantile(values, [tail, 1 - tail])
    return float(lower), float(upper)


def compute_probability_cost_effective(delta_cost: np.ndarray, delta_effect: np.ndarray, thresholds) -> np.ndarray:
    """Share of replicates whose net benefit at each threshold is strictly positive.

    Returns an array with one probability per threshold (Fenwick et al. 2001; Glick et al.
    2014, ch. 8). Replicates with net benefit exactly 0 count as not cost-effective.
    """
    costs = np.asarray(delta_cost, dtype=float)
    effects = np.asarray(delta_effect, dtype=float)
    if costs.shape != effects.shape or costs.ndim != 1 or len(costs) == 0:
        raise ValueError("delta_cost and delta_effect must be non-empty 1-D arrays of equal length")
    grid = np.atleast_1d(np.asarray(thresholds, dtype=float))
    benefit = compute_net_monetary_benefit(costs[None, :], effects[None, :], grid[:, None])
    return (benefit > 0).mean(axis=1)


def compute_acceptability_curve(
    delta_cost: np.ndarray, delta_effect: np.ndarray, thresholds=None
) -> AcceptabilityCurve:
    """The CEAC of bootstrap replicates over ``thresholds`` (default ``build_threshold_grid()``)."""
    grid = build_threshold_grid() if thresholds is None else np.atleast_1d(np.asarray(thresholds, dtype=float))
    return AcceptabilityCurve(grid, compute_probability_cost_effective(delta_cost, delta_effect, grid))


def draw_resample_counts(strata_codes: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(n_resamples, n) matrix: how often each family is drawn, resampling within each stratum.

    Each stratum of size m contributes m draws with replacement from its own members, so arm
    (and site) sizes are those of the trial in every resample.
    """
    n = len(strata_codes)
    drawn = []
    for code in np.unique(strata_codes):
        members = np.flatnonzero(strata_codes == code)
        drawn.append(members[rng.integers(0, len(members), size=(n_resamples, len(members)))])
    positions = np.hstack(drawn)
    positions += (np.arange(n_resamples) * n)[:, None]  # one bincount for all resamples
    return np.bincount(positions.ravel(), minlength=n_resamples * n).reshape(n_resamples, n).astype(float)


def bootstrap_incremental(
    data: pd.DataFrame | Mapping,
    n_replicates: int = DEFAULT_REPLICATES,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_GBP,
    seed: int | None = None,
    is_adjusted: bool = True,
    cost_covariates: Sequence[str] = DEFAULT_COST_COVARIATES,
    effect_covariates: Sequence[str] = DEFAULT_EFFECT_COVARIATES,
    is_stratified_by_site: bool = False,
    confidence_level: float = DEFAULT_CONFIDENCE_LEVEL,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    cost_shifts: np.ndarray | None = None,
    effect_shifts: np.ndarray | None = None,
    design: DesignMatrices | None = None,
) -> BootstrapResult:
    """Stratified non-parametric bootstrap of the (adjusted) incremental cost and effect.

    Families are resampled within arm (and within site when ``is_stratified_by_site``); each
    resample is analysed with the same model as the point estimate (``estimate_incremental``).
    The same ``seed`` gives identical replicates (numpy ``Generator``, PCG64). ``design``: the
    design matrices of ``data`` with these covariates, when the caller has built them already.
    """
    if not isinstance(n_replicates, (int, np.integer)) or n_replicates < 1:
        raise ValueError(f"n_replicates must be a positive integer, got {n_replicates!r}")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    validate_probability("confidence_level", confidence_level)
    threshold_values = tuple(float(value) for value in np.atleast_1d(thresholds))
    if any(not np.isfinite(value) or value < 0 for value in threshold_values):
        raise ValueError(f"thresholds must be finite and non-negative, got {thresholds!r}")
    strata = ("arm", "site") if is_stratified_by_site else ("arm",)
    frame = validate_trial_data(data, list(strata))
    if not is_adjusted:
        cost_covariates, effect_covariates = (), ()
    if design is None:
        design = build_design_matrices(frame, cost_covariates, effect_covariates)
    point = estimate_from_design(design, is_adjusted)
    strata_codes = combine_strata(frame, strata)
    is_nonzero = (np.hstack([design.cost_design, design.effect_design]) != 0).astype(float)
    cost_outcomes = stack_outcomes(design.cost, cost_shifts)
    effect_outcomes = stack_outcomes(design.effect, effect_shifts)

    rng = np.random.default_rng(seed)
    cost_arm = np.empty((n_replicates, cost_outcomes.shape[1]))
    effect_arm = np.empty((n_replicates, effect_outcomes.shape[1]))
    n_empty = 0
    for start in range(0, n_replicates, chunk_size):
        stop = min(start + chunk_size, n_replicates)
        counts = draw_resample_counts(strata_codes, stop - start, rng)
        cost_arm[start:stop] = fit_weighted_least_squares(design.cost_design, cost_outcomes, counts)[:, ARM_COLUMN_INDEX]
        effect_arm[start:stop] = fit_weighted_least_squares(design.effect_design, effect_outcomes, counts)[:, ARM_COLUMN_INDEX]
        n_empty += int((~(counts @ is_nonzero > 0).all(axis=1)).sum())
    delta_cost, delta_effect = cost_arm[:, 0].copy(), effect_arm[:, 0].copy()

    threshold_column = np.asarray(threshold_values)[:, None]
    benefit = compute_net_monetary_benefit(delta_cost[None, :], delta_effect[None, :], threshold_column)
    return BootstrapResult(
        point=point,
        delta_cost=delta_cost,
        delta_effect=delta_effect,
        confidence_level=confidence_level,
        cost_interval=compute_percentile_interval(delta_cost, confidence_level),
        effect_interval=compute_percentile_interval(delta_effect, confidence_level),
        thresholds=threshold_values,
        net_benefit=tuple(
            compute_net_monetary_benefit(point.delta_cost, point.delta_effect, value) for value in threshold_values
        ),
        net_benefit_intervals=tuple(compute_percentile_interval(row, confidence_level) for row in benefit),
        probability_cost_effective=tuple(float(p) for p in (benefit > 0).mean(axis=1)),
        strata=strata,
        seed=seed,
        n_replicates_with_empty_level=n_empty,
        cost_shift_slopes=cost_arm[:, 1:] if cost_shifts is not None else None,
        effect_shift_slopes=effect_arm[:, 1:] if effect_shifts is not None else None,
    )


def combine_strata(frame: pd.DataFrame, strata: Sequence[str]) -> np.ndarray:
    """One integer code per family for the combination of its ``strata`` values."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in strata:
        level, levels = pd.factorize(frame[column].astype(str))
        codes = codes * max(len(levels), 1) + level
    return codes


def stack_outcomes(outcome: np.ndarray, shifts: np.ndarray | None) -> np.ndarray:
    """(n, 1 + r): the outcome and the shift columns fitted alongside it."""
    if shifts is None:
        return outcome[:, None]
    shifts = np.asarray(shifts, dtype=float).reshape(len(outcome), -1)
    return np.column_stack([outcome, shifts])
