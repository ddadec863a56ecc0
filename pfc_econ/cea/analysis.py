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

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pfc_econ.cea.bootstrap import bootstrap_incremental, build_threshold_grid
from pfc_econ.cea.component_imputation import make_component_imputer
from pfc_econ.cea.components import CostComponents
from pfc_econ.cea.decisions import (DecisionCurves, compute_decision_curves, compute_population_multiplier,
                                    format_probability)
from pfc_econ.cea.estimates import ARMS, compute_icer
from pfc_econ.cea.mi_boot import MultipleImputationResult, analyse_with_multiple_imputation, split_draws
from pfc_econ.cea.cost_models import fit_cost_model, pool_cost_model
from pfc_econ.cea.specs import COST_MODELS, MISSING_DATA_LABELS, AnalysisSpec

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
        probability_cost_effective: P(NMB > 0) per threshold: share of the joint draws.
        ceac_thresholds, ceac_probability: the CEAC (from the draws).
        replicate_cost, replicate_effect: the joint draws (bootstrap × imputation under MI,
            bootstrap replicates under complete case); intervals under MI are Rubin's, not theirs.
        n_bootstrap, n_imputations, seed: how it was computed (n_imputations 0 = complete case);
            n_bootstrap is the number of joint draws.
        curves: CEAC, frontier and EVPI over the threshold grid (None when not estimable).
        threshold_label: what the thresholds are (e.g. 'GBP per QALY (NICE range)').
        mi: the MI Boot result (None under complete case), for MNAR, composition and exports.
        table: the families analysed; regression: the cost model's pooled regression table.
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
    curves: DecisionCurves | None = None
    threshold_label: str = ""
    mi: MultipleImputationResult | None = None
    table: pd.DataFrame | None = None
    regression: pd.DataFrame | None = None


def count_arms(frame: pd.DataFrame) -> tuple[int, int]:
    """Families in the IPS and SAU arms of ``frame``."""
    return int((frame["arm"] == ARMS[0]).sum()), int((frame["arm"] == ARMS[1]).sum())


def select_families(table: pd.DataFrame, missing_data: str) -> pd.DataFrame:
    """The families an analysis uses: complete cases, or every family with any analysis value."""
    values = table[list(ANALYSIS_COLUMNS)]
    keep = values.notna().all(axis=1) if missing_data == "complete_case" else values.notna().any(axis=1)
    return table[keep].reset_index(drop=True)


def select_subgroup(table: pd.DataFrame, subgroup: tuple[str, str]) -> pd.DataFrame:
    """The families of a subgroup (all families when none): one site, or an index-child age band."""
    if not subgroup:
        return table
    kind, value = subgroup
    if kind == "site":
        keep = table["site"].astype(str) == value
    else:
        low, high = (int(part) for part in value.split("-"))
        keep = table["index_child_age_months"].between(low, high)
    return table[keep.fillna(False).to_numpy(bool)].reset_index(drop=True)


def analyse_table(table: pd.DataFrame, spec: AnalysisSpec, cea: dict[str, Any],
                  components: CostComponents | None = None) -> AnalysisResult:
    """Analyse one per-family table as ``spec`` says, with the ``[cea]`` settings.

    Component imputation needs the perspective's ``components`` (``components.read_cost_components``).
    """
    table = select_subgroup(table, spec.subgroup)
    used = select_families(table, spec.missing_data)
    n_ips, n_sau = count_arms(used)
    counts = dict(n_families=len(used), n_intervention=n_ips, n_control=n_sau, n_excluded=len(table) - len(used))
    thresholds, grid, label = choose_thresholds(spec.effect, cea)
    counts["threshold_label"] = label
    minimum = 2 if spec.missing_data == "complete_case" else 3
    if min(n_ips, n_sau) < minimum:
        return AnalysisResult(spec, STATUS_NOT_ESTIMABLE,
                              f"too few families with data: {n_ips} IPS, {n_sau} SAU (at least {minimum} per arm needed)",
                              thresholds=thresholds, **counts)
    counts["table"] = used
    try:
        if spec.missing_data == "complete_case":
            result = analyse_complete_case(used, spec, cea, thresholds, grid, counts)
            return result if spec.cost_model == "ols" else replace_cost_model(result)
        if spec.missing_data == "component_imputation":
            if components is None:
                raise ValueError("component imputation needs the cost components of the perspective")
            result = analyse_imputed(used, spec, cea, thresholds, grid, counts, make_component_imputer(components))
        else:
            result = analyse_imputed(used, spec, cea, thresholds, grid, counts)
        return result if spec.cost_model == "ols" else replace_cost_model(result)
    except (ValueError, np.linalg.LinAlgError) as exc:
        counts.pop("table")
        return AnalysisResult(spec, STATUS_NOT_ESTIMABLE, f"not estimable: {exc}", thresholds=thresholds, **counts)


def choose_thresholds(effect: str, cea: dict[str, Any]) -> tuple[tuple[float, ...], np.ndarray, str]:
    """Thresholds, CEAC grid and label of an outcome: QALY thresholds for QALYs, capability ones for capability."""
    if effect == "parent_yfc":
        return (tuple(float(t) for t in cea["capability_thresholds"]),
                build_threshold_grid(float(cea["capability_grid_max"]), float(cea["capability_grid_step"])),
                CAPABILITY_LABEL)
    return (tuple(float(t) for t in cea["thresholds"]),
            build_threshold_grid(float(cea["threshold_grid_max"]), float(cea["threshold_grid_step"])), QALY_LABEL)


QALY_LABEL = "GBP per QALY gained (NICE range, PMG36 2022)"
CAPABILITY_LABEL = ("GBP per year of full capability (illustrative range: no accepted threshold exists; "
                    "set [cea] capability_thresholds)")


def build_curves(delta_cost: np.ndarray, delta_effect: np.ndarray, grid: np.ndarray, cea: dict[str, Any]) -> DecisionCurves:
    """CEAC, frontier and EVPI of the draws over the grid, with the configured population."""
    multiplier = compute_population_multiplier(float(cea["evpi_population_per_year"]), int(cea["evpi_horizon_years"]),
                                               float(cea["discount_rate"]))
    return compute_decision_curves(delta_cost, delta_effect, grid, multiplier)


def analyse_complete_case(used, spec, cea, thresholds, grid, counts) -> AnalysisResult:
    """Complete-case analysis: stratified bootstrap, percentile intervals."""
    result = bootstrap_incremental(used, n_replicates=int(cea["n_bootstrap"]), thresholds=thresholds,
                                   seed=int(cea["seed"]), is_stratified_by_site=True)
    icer = compute_icer(result.point.delta_cost, result.point.delta_effect)
    curves = build_curves(result.delta_cost, result.delta_effect, grid, cea)
    return AnalysisResult(
        spec, STATUS_OK, "complete case; stratified bootstrap (arm × site), percentile intervals", **counts,
        delta_cost=result.point.delta_cost, cost_interval=result.cost_interval,
        delta_effect=result.point.delta_effect, effect_interval=result.effect_interval,
        icer=icer.icer, quadrant=icer.quadrant, thresholds=thresholds,
        net_benefit=result.net_benefit, net_benefit_intervals=result.net_benefit_intervals,
        probability_cost_effective=result.probability_cost_effective,
        ceac_thresholds=curves.thresholds, ceac_probability=curves.probability_cost_effective,
        replicate_cost=result.delta_cost, replicate_effect=result.delta_effect,
        n_bootstrap=result.n_replicates, n_imputations=0, seed=int(cea["seed"]), curves=curves)


def analyse_imputed(used, spec, cea, thresholds, grid, counts, imputer=None) -> AnalysisResult:
    """MI Boot: impute within arm, bootstrap each data set, pool by Rubin's rules; decisions from the draws."""
    n_imputations = int(cea["n_imputations"])
    result = analyse_with_multiple_imputation(
        used, n_imputations=n_imputations, n_replicates=int(cea["n_bootstrap"]), thresholds=thresholds,
        seed=int(cea["seed"]), is_stratified_by_site=True, imputer=imputer,
        replicates_per_imputation=split_draws(int(cea["n_bootstrap"]), n_imputations))
    icer = compute_icer(result.cost.estimate, result.effect.estimate)
    missing = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.n_missing.items() if v)
    draws_cost, draws_effect = result.delta_cost_replicates.ravel(), result.delta_effect_replicates.ravel()
    curves = build_curves(draws_cost, draws_effect, grid, cea)
    chosen = compute_decision_curves(draws_cost, draws_effect, thresholds)
    return AnalysisResult(
        spec, STATUS_OK, f"{MISSING_DATA_LABELS[spec.missing_data]} (MI Boot), values imputed: {missing or 'none'}", **counts,
        delta_cost=result.cost.estimate, cost_interval=result.cost.interval,
        delta_effect=result.effect.estimate, effect_interval=result.effect.interval,
        icer=icer.icer, quadrant=icer.quadrant, thresholds=thresholds,
        net_benefit=tuple(p.estimate for p in result.net_benefit),
        net_benefit_intervals=tuple(p.interval for p in result.net_benefit),
        probability_cost_effective=tuple(float(p) for p in chosen.probability_cost_effective),
        ceac_thresholds=curves.thresholds, ceac_probability=curves.probability_cost_effective,
        replicate_cost=draws_cost, replicate_effect=draws_effect,
        n_bootstrap=result.n_draws, n_imputations=n_imputations, seed=int(cea["seed"]),
        curves=curves, mi=result)


def derive_cost_model(result: AnalysisResult, spec: AnalysisSpec) -> AnalysisResult:
    """``spec``'s cost-model analysis from the analysis it varies (same families and imputations)."""
    try:
        return replace_cost_model(dataclasses.replace(result, spec=spec))
    except (ValueError, np.linalg.LinAlgError) as exc:
        return AnalysisResult(spec, STATUS_NOT_ESTIMABLE, f"not estimable: {exc}", result.n_families,
                              result.n_intervention, result.n_control, result.n_excluded,
                              thresholds=result.thresholds, threshold_label=result.threshold_label)


def replace_cost_model(result: AnalysisResult) -> AnalysisResult:
    """The analysis with its incremental cost from the spec's cost model (GLM or two-part), pooled
    over the imputed data sets; the effect stays the base model's. Net benefit is the point
    estimate only: the model's cost has no joint draws with the effect, so no interval, P(CE) or CEAC."""
    if result.mi is None:
        datasets = [result.table]
    else:
        values = result.mi.imputed.values
        datasets = [result.table.assign(**{c: values[c][m] for c in values}) for m in range(result.n_imputations)]
    pooled, table = pool_cost_model([fit_cost_model(d, result.spec.cost_model) for d in datasets])
    icer = compute_icer(pooled.estimate, result.delta_effect)
    return dataclasses.replace(
        result, message=f"{result.message}; incremental cost from {COST_MODELS[result.spec.cost_model]} "
                        "(average marginal effect, delta-method variance, Rubin's rules); net benefit point only",
        delta_cost=pooled.estimate, cost_interval=pooled.interval, icer=icer.icer, quadrant=icer.quadrant,
        net_benefit=tuple(t * result.delta_effect - pooled.estimate for t in result.thresholds),
        net_benefit_intervals=(), probability_cost_effective=(), ceac_thresholds=np.empty(0),
        ceac_probability=np.empty(0), replicate_cost=np.empty(0), replicate_effect=np.empty(0), curves=None,
        regression=table)


def compute_icer_interval(result: AnalysisResult, level: float = 0.95) -> tuple[list, str]:
    """Bootstrap percentile interval of the ICER, only where the ratio is meaningful.

    The ratio of the draws is ordered and interpretable only when (nearly) every draw lies in the
    point estimate's quadrant, north-east or south-west (Glick et al. 2014, ch. 8; Briggs, O'Brien &
    Blackhouse 2002, Annu Rev Public Health 23:377–401; this reading of both not verified here,
    docs/cea_references.md): here when at least ``level`` + (1 − level)/2
    of the draws do (so both interval ends are in it); otherwise no interval, and why.
    """
    cost, effect = result.replicate_cost, result.replicate_effect
    if len(cost) == 0:
        return [None, None], "no ICER interval: no joint draws of cost and effect"
    if result.quadrant not in ("north-east", "south-west"):
        return [None, None], f"no ICER interval: the point estimate is {result.quadrant}"
    sign = 1 if result.quadrant == "north-east" else -1
    same = (sign * effect > 0) & (sign * cost > 0)
    if same.mean() < (1 + level) / 2:
        return [None, None], (f"no ICER interval: only {same.mean():.1%} of draws lie in the {result.quadrant} "
                              "quadrant, so the ratio of the draws is not ordered; read the CEAC instead")
    lower, upper = np.quantile(cost[same] / effect[same], [(1 - level) / 2, (1 + level) / 2])
    return [float(lower), float(upper)], f"bootstrap percentile interval ({same.mean():.1%} of draws in the quadrant)"


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
        "threshold_label": result.threshold_label,
        **dict(zip(("icer_ci", "icer_ci_note"), compute_icer_interval(result))),
        "n_draws": result.curves.n_draws if result.curves else 0,
        "prob_cost_effective_display": {
            k: format_probability(v, result.curves.n_draws) if result.curves and v is not None else None
            for k, v in probability.items()},
    }

