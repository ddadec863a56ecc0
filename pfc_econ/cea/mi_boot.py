"""MI Boot: impute M times within arm, bootstrap each completed data set, pool; the joint draws.

Schomaker & Heumann (2018) Stat Med 37(14):2252–2266 ("MI Boot"): the estimate of data set m is its
adjusted point estimate, its within-imputation variance the variance of its stratified bootstrap
replicates (``bootstrap.py``), and the M pairs are pooled by Rubin's rules with Barnard–Rubin df
(``imputation.pool_rubin``): these give the intervals of incremental cost, effect and net benefit.
Chosen because it needs only M imputations (Boot MI needs one per resample), keeps a
non-parametric variance for skewed costs, and its intervals are Rubin's, which Brand, van
Buuren, le Cessie & van den Hout (2019) Stat Med 38:210–220 found robust for two-arm cost data.
Caveat: imputation followed by bootstrapping is generally not valid under uncongeniality or
misspecification (Bartlett & Hughes 2020, Stat Methods Med Res, doi:10.1177/0962280220932189);
with an imputation model richer than the analysis model (here: every association by arm) Rubin's
variance tends to be conservative. docs/cea_references.md lists every reference and its check.

The joint draws: ``n_draws`` (incremental cost, incremental effect) pairs, ``n_draws / M``
bootstrap replicates from each of the M imputed data sets. Decision quantities — P(cost-
effective), the CEAC, EVPI — are shares and means over these draws, i.e. the mixture of the M
completed-data sampling distributions (mixing draws across imputations; Zhou & Reiter 2010,
Am Stat 64(2):159–163). Zhou & Reiter found such mixtures reliable only with many imputations
(m = 100 did well in their simulations, m = 5 and m = 20 did not; as summarised in
paul-buerkner/brms#688, secondary): with the default M = 20 the decision quantities are an
approximation, while the intervals are Rubin's. A share k / n_draws cannot resolve a
probability below 1 / n_draws: ``formatting.format_probability`` reports it as a bound.

The imputation is a pluggable ``imputer`` (``impute_totals`` here: the totals themselves;
``components.py``: the missing parts of each family's cost, then the total). It also says which
part of each value was imputed, so a delta-adjusted (MNAR) analysis can shift exactly that part.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pfc_econ.cea.bootstrap import DEFAULT_CONFIDENCE_LEVEL, bootstrap_incremental
from pfc_econ.cea.chains import DEFAULT_CYCLES, DEFAULT_DONORS, build_site_dummies, impute_chains
from pfc_econ.cea.estimates import (ARMS, DEFAULT_COST_COVARIATES, DEFAULT_EFFECT_COVARIATES, IncrementalEstimate,
                                    compute_net_monetary_benefit, fit_weighted_least_squares, build_design_matrices,
                                    ARM_COLUMN_INDEX, validate_trial_data)
from pfc_econ.cea.imputation import PooledEstimate, pool_rubin

IMPUTED_COLUMNS = ("cost", "effect", "baseline_cost", "baseline_effect")


@dataclass(frozen=True)
class ImputedData:
    """M completed copies of the analysis columns and what of each value was imputed.

    Fields:
        values: column → (M, n) completed values (cost, effect, baseline_cost, baseline_effect).
        imputed_cost: (M, n) the imputed part of each family's follow-up cost (0 where observed).
        is_effect_imputed: (n,) True where the follow-up effect was imputed.
        n_missing: missing values per column before imputation.
        composition: per arm, shares of cost observed / structurally zero / imputed (may be empty).
    """

    values: Mapping[str, np.ndarray]
    imputed_cost: np.ndarray
    is_effect_imputed: np.ndarray
    n_missing: Mapping[str, int]
    composition: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class MultipleImputationResult:
    """MI Boot: pooled incrementals and the joint draws.

    Fields:
        cost, effect: pooled incremental cost (IPS − SAU, GBP) and effect.
        thresholds: thresholds summarised, GBP per unit of effect.
        net_benefit: pooled incremental net monetary benefit per threshold.
        point_estimates: the complete-data estimate of each imputed data set.
        delta_cost_replicates, delta_effect_replicates: (M, B) bootstrap replicates per imputation:
            the joint draws.
        point_cost_slopes, point_effect_slopes: (M, 2) change of each data set's point estimate per
            unit of MNAR delta in IPS and SAU (cost: proportion of the imputed cost; effect: units).
        cost_slopes, effect_slopes: (M, B, 2) the same per draw.
        imputed: the imputed data (for composition, subgroups and exports).
        seed: the seed everything was drawn from.
    """

    cost: PooledEstimate
    effect: PooledEstimate
    thresholds: tuple[float, ...]
    net_benefit: tuple[PooledEstimate, ...]
    point_estimates: tuple[IncrementalEstimate, ...]
    delta_cost_replicates: np.ndarray
    delta_effect_replicates: np.ndarray
    point_cost_slopes: np.ndarray
    point_effect_slopes: np.ndarray
    cost_slopes: np.ndarray
    effect_slopes: np.ndarray
    imputed: ImputedData
    complete_data_df: tuple[float, float]
    seed: int | None

    @property
    def n_missing(self) -> Mapping[str, int]:
        """Missing values per imputed column before imputation."""
        return self.imputed.n_missing

    @property
    def n_draws(self) -> int:
        """Joint draws (imputations × replicates per imputation)."""
        return int(self.delta_cost_replicates.size)


Imputer = Callable[[pd.DataFrame, int, np.random.Generator], ImputedData]


def impute_totals(frame: pd.DataFrame, n_imputations: int, rng: np.random.Generator,
                  n_cycles: int = DEFAULT_CYCLES, n_donors: int = DEFAULT_DONORS) -> ImputedData:
    """Total-level imputation: cost, effect and both baselines by chained PMM within arm, site as predictor."""
    n = len(frame)
    values = {c: np.repeat(frame[c].to_numpy(dtype=float)[None], n_imputations, axis=0) for c in IMPUTED_COLUMNS}
    for arm in ARMS:
        rows = np.flatnonzero(frame["arm"].to_numpy() == arm)
        block = frame.iloc[rows][list(IMPUTED_COLUMNS)].to_numpy(dtype=float)
        completed = impute_chains(block, build_site_dummies(frame["site"].iloc[rows]), n_imputations, rng,
                                  n_cycles, n_donors)
        for j, column in enumerate(IMPUTED_COLUMNS):
            values[column][:, rows] = completed[:, :, j]
    is_cost_missing = frame["cost"].isna().to_numpy()
    imputed_cost = np.where(is_cost_missing[None], values["cost"], 0.0)
    n_missing = {c: int(frame[c].isna().sum()) for c in IMPUTED_COLUMNS}
    return ImputedData(values, imputed_cost, frame["effect"].isna().to_numpy(), n_missing, {})


def arm_shift_columns(amount: np.ndarray, is_intervention: np.ndarray) -> np.ndarray:
    """(n, 2): ``amount`` in IPS rows (column 0) and in SAU rows (column 1), zero elsewhere."""
    return np.column_stack([np.where(is_intervention, amount, 0.0), np.where(is_intervention, 0.0, amount)])


def analyse_with_multiple_imputation(
    data: pd.DataFrame | Mapping,
    n_imputations: int = 20,
    n_replicates: int = 10_000,
    thresholds: Sequence[float] = (20_000.0, 30_000.0),
    threshold_grid: Sequence[float] | None = None,
    seed: int | None = None,
    cost_covariates: Sequence[str] = DEFAULT_COST_COVARIATES,
    effect_covariates: Sequence[str] = DEFAULT_EFFECT_COVARIATES,
    is_stratified_by_site: bool = False,
    confidence_level: float = DEFAULT_CONFIDENCE_LEVEL,
    n_cycles: int = DEFAULT_CYCLES,
    n_donors: int = DEFAULT_DONORS,
    imputer: Imputer | None = None,
    replicates_per_imputation: int | None = None,
) -> MultipleImputationResult:
    """MI Boot with joint draws: ``replicates_per_imputation`` (default ``n_replicates``) per data set.

    ``threshold_grid`` is accepted for compatibility and unused: the CEAC comes from the draws
    (``decisions.compute_acceptability``).
    """
    if not isinstance(n_replicates, (int, np.integer)) or n_replicates < 2:
        raise ValueError(f"n_replicates must be an integer of at least 2, got {n_replicates!r}")
    if not isinstance(n_imputations, (int, np.integer)) or n_imputations < 2:
        raise ValueError(f"n_imputations must be an integer of at least 2, got {n_imputations!r}")
    per_imputation = int(replicates_per_imputation or n_replicates)
    frame = validate_trial_data(data, ["arm", "site", *IMPUTED_COLUMNS])
    chosen = np.atleast_1d(np.asarray(thresholds, dtype=float))
    imputation_seed, bootstrap_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(2))
    rng = np.random.default_rng(imputation_seed)
    imputed = (imputer or (lambda f, m, r: impute_totals(f, m, r, n_cycles, n_donors)))(frame, n_imputations, rng)
    replicate_seeds = np.random.default_rng(bootstrap_seed).integers(0, 2**63 - 1, size=n_imputations)
    is_intervention = (frame["arm"] == ARMS[0]).to_numpy()
    effect_shift = arm_shift_columns(imputed.is_effect_imputed.astype(float), is_intervention)

    results, point_cost_slopes, point_effect_slopes = [], [], []
    for m in range(n_imputations):
        dataset = frame.assign(**{c: imputed.values[c][m] for c in IMPUTED_COLUMNS})
        cost_shift = arm_shift_columns(imputed.imputed_cost[m], is_intervention)
        design = build_design_matrices(dataset, cost_covariates, effect_covariates)  # once per data set
        results.append(bootstrap_incremental(
            dataset, n_replicates=per_imputation, thresholds=tuple(chosen), seed=int(replicate_seeds[m]),
            cost_covariates=cost_covariates, effect_covariates=effect_covariates,
            is_stratified_by_site=is_stratified_by_site, confidence_level=confidence_level,
            cost_shifts=cost_shift, effect_shifts=effect_shift, design=design))
        ones = np.ones((1, len(dataset)))
        point_cost_slopes.append(fit_weighted_least_squares(design.cost_design, cost_shift, ones)[0, ARM_COLUMN_INDEX])
        point_effect_slopes.append(fit_weighted_least_squares(design.effect_design, effect_shift, ones)[0, ARM_COLUMN_INDEX])
    delta_cost = np.stack([r.delta_cost for r in results])
    delta_effect = np.stack([r.delta_effect for r in results])
    points = tuple(r.point for r in results)
    n_families = points[0].n_intervention + points[0].n_control
    df = (float(n_families - len(points[0].cost_columns)), float(n_families - len(points[0].effect_columns)))
    pooled = pool_draws(np.array([p.delta_cost for p in points]), np.array([p.delta_effect for p in points]),
                        delta_cost, delta_effect, chosen, df, confidence_level)
    return MultipleImputationResult(
        cost=pooled[0], effect=pooled[1], thresholds=tuple(float(t) for t in chosen), net_benefit=pooled[2],
        point_estimates=points, delta_cost_replicates=delta_cost, delta_effect_replicates=delta_effect,
        point_cost_slopes=np.array(point_cost_slopes), point_effect_slopes=np.array(point_effect_slopes),
        cost_slopes=np.stack([r.cost_shift_slopes for r in results]),
        effect_slopes=np.stack([r.effect_shift_slopes for r in results]),
        imputed=imputed, complete_data_df=df, seed=seed)


def pool_draws(point_cost: np.ndarray, point_effect: np.ndarray, delta_cost: np.ndarray, delta_effect: np.ndarray,
               thresholds: np.ndarray, df: tuple[float, float],
               confidence_level: float = DEFAULT_CONFIDENCE_LEVEL) -> tuple[PooledEstimate, PooledEstimate, tuple]:
    """Rubin-pool the M point estimates with their bootstrap variances: cost, effect, NMB per threshold.

    Var(λ·ΔE − ΔC) = λ² Var(ΔE) + Var(ΔC) − 2λ Cov(ΔE, ΔC), exact for the replicate moments.
    """
    variance_cost = delta_cost.var(axis=1, ddof=1)
    variance_effect = delta_effect.var(axis=1, ddof=1)
    covariance = ((delta_cost - delta_cost.mean(axis=1, keepdims=True))
                  * (delta_effect - delta_effect.mean(axis=1, keepdims=True))).sum(axis=1) / (delta_cost.shape[1] - 1)
    cost = pool_rubin(point_cost, variance_cost, df[0], confidence_level)
    effect = pool_rubin(point_effect, variance_effect, df[1], confidence_level)
    benefit = tuple(
        pool_rubin(compute_net_monetary_benefit(point_cost, point_effect, t),
                   np.maximum(t**2 * variance_effect + variance_cost - 2 * t * covariance, 0.0),
                   min(df), confidence_level)
        for t in thresholds)
    return cost, effect, benefit


def split_draws(n_draws: int, n_imputations: int) -> int:
    """Bootstrap replicates per imputed data set so that M × B reaches ``n_draws`` (at least 2 each)."""
    return max(2, math.ceil(n_draws / n_imputations))
