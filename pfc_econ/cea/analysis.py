"""Run one CEA analysis on a per-family table: complete case (bootstrap) or MI Boot.

``analyse_table`` takes the per-family table of one analysis (``inputs.read_analysis_table``)
and an ``AnalysisSpec`` and returns an ``AnalysisResult``: the baseline-adjusted incremental
cost and effect (``cost ~ arm + baseline_cost + site``, ``effect ~ arm + baseline_effect + site``;
Manca, Hawkins & Sculpher 2005), their 95% intervals, the ICER, net monetary benefit and the
probability IPS is cost-effective at each threshold, and the CEAC.

- complete case: families with cost, effect and both baseline values observed; stratified
  bootstrap (by arm and site) with percentile intervals (``bootstrap.py``).
- multiple imputation: MICE with PMM within arm (``imputation.py``), each imputed data set
  bootstrapped, pooled by Rubin's rules — "MI Boot", Schomaker & Heumann (2018) Stat Med
  37:2252–2266. Families with none of cost, effect, baseline cost and baseline effect observed
  carry no information for the imputation model and are excluded (counted in ``n_excluded``).

An analysis that cannot be estimated (too few families) is returned with ``status`` set to
``not_estimable`` and the reason, never raised: the other analyses still run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pfc_econ.cea.bootstrap import bootstrap_incremental, build_threshold_grid, compute_acceptability_curve
from pfc_econ.cea.estimates import ARMS, compute_icer
from pfc_econ.cea.imputation import analyse_with_multiple_imputation
from pfc_econ.cea.specs import AnalysisSpec

ANALYSIS_COLUMNS = ("cost", "effect", "baseline_cost", "baseline_effect")
STATUS_OK = "ok"
STATUS_NOT_ESTIMABLE = "not_estimable"
NAN = float("nan")


@dataclass(frozen=True)
class AnalysisResult:
    """The result of one analysis (base case or sensitivity analysis).

    Fields:
        spec: what was analysed.
        status: ``ok`` or ``not_estimable``; ``message`` says why.
        n_families, n_intervention, n_control: families the analysis used (all, IPS, SAU).
        n_excluded: randomised families left out (missing data under complete case; no data
            at all under multiple imputation).
        delta_cost, cost_interval: incremental cost (IPS − SAU, GBP) and its 95% interval.
        delta_effect, effect_interval: incremental effect and its 95% interval.
        icer, quadrant: ``estimates.compute_icer`` of the point estimates.
        thresholds: thresholds (GBP per unit of effect).
        net_benefit, net_benefit_intervals: incremental NMB per threshold and its interval.
        probability_cost_effective: P(NMB > 0) per threshold.
        ceac_thresholds, ceac_probability: the CEAC.
        replicate_cost, replicate_effect: bootstrap replicates for the CE plane (all
            imputations' replicates stacked under MI; not used for MI intervals).
        n_bootstrap, n_imputations, seed: how it was computed (n_imputations 0 = complete case).
    """

    spec: AnalysisSpec
    status: str
    message: str
    n_families: int
    n_intervention: int
    n_control: int
    n_excluded: int
    delta_cost: float = NAN
    cost_interval: tuple[float, float] = (NAN, NAN)
    delta_effect: float = NAN
    effect_interval: tuple[float, float] = (NAN, NAN)
    icer: float = NAN
    quadrant: str = ""
    thresholds: tuple[float, ...] = ()
    net_benefit: tuple[float, ...] = ()
    net_benefit_intervals: tuple[tuple[float, float], ...] = ()
    probability_cost_effective: tuple[float, ...] = ()
    ceac_thresholds: np.ndarray = field(default_factory=lambda: np.empty(0))
    ceac_probability: np.ndarray = field(default_factory=lambda: np.empty(0))
    replicate_cost: np.ndarray = field(default_factory=lambda: np.empty(0))
    replicate_effect: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_bootstrap: int = 0
    n_imputations: int = 0
    seed: int | None = None


def count_arms(frame: pd.DataFrame) -> tuple[int, int]:
    """Families in the IPS and SAU arms of ``frame``."""
    return int((frame["arm"] == ARMS[0]).sum()), int((frame["arm"] == ARMS[1]).sum())


def select_families(table: pd.DataFrame, missing_data: str) -> pd.DataFrame:
    """The families an analysis uses: complete cases, or every family with any analysis value."""
    values = table[list(ANALYSIS_COLUMNS)]
    keep = values.notna().all(axis=1) if missing_data == "complete_case" else values.notna().any(axis=1)
    return table[keep].reset_index(drop=True)


def analyse_table(table: pd.DataFrame, spec: AnalysisSpec, cea: dict[str, Any]) -> AnalysisResult:
    """Analyse one per-family table as ``spec`` says, with the ``[cea]`` settings."""
    used = select_families(table, spec.missing_data)
    n_ips, n_sau = count_arms(used)
    counts = dict(n_families=len(used), n_intervention=n_ips, n_control=n_sau, n_excluded=len(table) - len(used))
    thresholds = tuple(float(t) for t in cea["thresholds"])
    grid = build_threshold_grid(float(cea["threshold_grid_max"]), float(cea["threshold_grid_step"]))
    minimum = 2 if spec.missing_data == "complete_case" else 3
    if min(n_ips, n_sau) < minimum:
        return AnalysisResult(spec, STATUS_NOT_ESTIMABLE,
                              f"too few families with data: {n_ips} IPS, {n_sau} SAU (at least {minimum} per arm needed)",
                              thresholds=thresholds, **counts)
    try:
        if spec.missing_data == "complete_case":
            return analyse_complete_case(used, spec, cea, thresholds, grid, counts)
        return analyse_imputed(used, spec, cea, thresholds, grid, counts)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return AnalysisResult(spec, STATUS_NOT_ESTIMABLE, f"not estimable: {exc}", thresholds=thresholds, **counts)


def analyse_complete_case(used, spec, cea, thresholds, grid, counts) -> AnalysisResult:
    """Complete-case analysis: stratified bootstrap, percentile intervals."""
    result = bootstrap_incremental(used, n_replicates=int(cea["n_bootstrap"]), thresholds=thresholds,
                                   seed=int(cea["seed"]), is_stratified_by_site=True)
    icer = compute_icer(result.point.delta_cost, result.point.delta_effect)
    curve = compute_acceptability_curve(result.delta_cost, result.delta_effect, grid)
    return AnalysisResult(
        spec, STATUS_OK, "complete case; stratified bootstrap (arm × site), percentile intervals", **counts,
        delta_cost=result.point.delta_cost, cost_interval=result.cost_interval,
        delta_effect=result.point.delta_effect, effect_interval=result.effect_interval,
        icer=icer.icer, quadrant=icer.quadrant, thresholds=thresholds,
        net_benefit=result.net_benefit, net_benefit_intervals=result.net_benefit_intervals,
        probability_cost_effective=result.probability_cost_effective,
        ceac_thresholds=curve.thresholds, ceac_probability=curve.probability_cost_effective,
        replicate_cost=result.delta_cost, replicate_effect=result.delta_effect,
        n_bootstrap=result.n_replicates, n_imputations=0, seed=int(cea["seed"]))


def analyse_imputed(used, spec, cea, thresholds, grid, counts) -> AnalysisResult:
    """MI Boot: impute within arm, bootstrap each data set, pool by Rubin's rules."""
    result = analyse_with_multiple_imputation(
        used, n_imputations=int(cea["n_imputations"]), n_replicates=int(cea["n_bootstrap"]),
        thresholds=thresholds, threshold_grid=grid, seed=int(cea["seed"]), is_stratified_by_site=True)
    icer = compute_icer(result.cost.estimate, result.effect.estimate)
    missing = ", ".join(f"{k} {v}" for k, v in result.n_missing.items() if v)
    return AnalysisResult(
        spec, STATUS_OK, f"multiple imputation (MI Boot), values imputed: {missing or 'none'}", **counts,
        delta_cost=result.cost.estimate, cost_interval=result.cost.interval,
        delta_effect=result.effect.estimate, effect_interval=result.effect.interval,
        icer=icer.icer, quadrant=icer.quadrant, thresholds=thresholds,
        net_benefit=tuple(p.estimate for p in result.net_benefit),
        net_benefit_intervals=tuple(p.interval for p in result.net_benefit),
        probability_cost_effective=result.probability_cost_effective,
        ceac_thresholds=result.acceptability_curve.thresholds,
        ceac_probability=result.acceptability_curve.probability_cost_effective,
        replicate_cost=result.delta_cost_replicates.ravel(), replicate_effect=result.delta_effect_replicates.ravel(),
        n_bootstrap=int(cea["n_bootstrap"]), n_imputations=int(cea["n_imputations"]), seed=int(cea["seed"]))


def to_number(value: float) -> float | None:
    """A float for JSON, or None for NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def threshold_key(threshold: float) -> str:
    """'20000' for 20000.0: the key of a threshold in summary.json."""
    return f"{threshold:g}" if threshold != int(threshold) else str(int(threshold))


def summarise_result(result: AnalysisResult) -> dict[str, Any]:
    """One entry of summary.json's ``analyses`` (stable keys first; NaN becomes null)."""
    keys = [threshold_key(t) for t in result.thresholds]
    nmb = dict(zip(keys, result.net_benefit)) if result.net_benefit else dict.fromkeys(keys)
    probability = dict(zip(keys, result.probability_cost_effective)) if result.probability_cost_effective else dict.fromkeys(keys)
    intervals = dict(zip(keys, result.net_benefit_intervals)) if result.net_benefit_intervals else {}
    spec = result.spec
    return {
        "name": spec.name,
        "n_families": result.n_families,
        "incremental_cost_gbp": to_number(result.delta_cost),
        "incremental_cost_ci": [to_number(v) for v in result.cost_interval],
        "incremental_qaly": to_number(result.delta_effect),
        "incremental_qaly_ci": [to_number(v) for v in result.effect_interval],
        "icer": to_number(result.icer),
        "nmb": {k: to_number(v) for k, v in nmb.items()},
        "prob_cost_effective": {k: to_number(v) for k, v in probability.items()},
        "nmb_ci": {k: [to_number(v) for v in interval] for k, interval in intervals.items()},
        "quadrant": result.quadrant or None,
        "status": result.status,
        "message": result.message,
        "description": spec.description,
        "perspective": spec.perspective,
        "effect": spec.effect,
        "missing_data": spec.missing_data,
        "is_rerun": spec.needs_rerun,
        "n_intervention": result.n_intervention,
        "n_control": result.n_control,
        "n_excluded": result.n_excluded,
        "n_bootstrap": result.n_bootstrap,
        "n_imputations": result.n_imputations,
        "seed": result.seed,
    }

