"""Missing not at random: delta-adjusted (pattern-mixture) imputation by arm, and the tipping point.

Leurent, Gomes, Faria, Morris, Grieve & Carpenter (2018) PharmacoEconomics 36:889–901 (a tutorial
for trial-based CEA): impute under MAR, then shift the imputed values of one arm by δ — here the
imputed cost by a proportion δ_c (imputed cost × (1 + δ_c)) and the imputed effect by δ_e units —
and re-analyse, over a grid of δ, to find how far from MAR the conclusion changes (the tipping
point). The shift is applied to the imputed values after MAR imputation, as the tutorial does
("multiply-imputed and then modified to reflect plausible MNAR scenarios", its abstract), not fed
back into the chains; White, Horton, Carpenter & Pocock (2011) BMJ 342:d40 set out such
sensitivity analyses for intention-to-treat analysis with missing outcomes. See
docs/cea_references.md for what was verified.

Computation: the analysis model is least squares, so shifting the imputed part of the outcome
moves each data set's estimate, and each bootstrap draw's, by δ times the arm coefficient of the
shift column (``bootstrap_incremental(cost_shifts=...)``, ``mi_boot``): every grid point is exact
and costs nothing beyond the MAR analysis. δ = 0 is the MAR analysis itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pfc_econ.cea.decisions import format_probability
from pfc_econ.cea.mi_boot import MultipleImputationResult, pool_draws

ARM_INDEX = {"IPS": 0, "SAU": 1}


@dataclass(frozen=True)
class DeltaResult:
    """The analysis under one MNAR delta.

    Fields:
        arm: the arm whose imputed values are shifted.
        delta_cost: proportional shift of the arm's imputed costs (0.2 = 20% higher).
        delta_effect: additive shift of the arm's imputed effects.
        incremental_cost, incremental_effect: pooled (Rubin) point estimates.
        threshold: λ of the net benefit.
        inb: pooled incremental net monetary benefit at λ.
        inb_interval: its 95% interval (Rubin).
        probability_cost_effective: share of the shifted joint draws with INB > 0.
        n_draws: joint draws.
        conclusion_changes: True when the sign of the expected INB differs from MAR's.
    """

    arm: str
    delta_cost: float
    delta_effect: float
    incremental_cost: float
    incremental_effect: float
    threshold: float
    inb: float
    inb_interval: tuple[float, float]
    probability_cost_effective: float
    n_draws: int
    conclusion_changes: bool


def shift_estimates(mi: MultipleImputationResult, arm: str, delta_cost: float, delta_effect: float):
    """(point cost, point effect, draw cost, draw effect) after shifting ``arm``'s imputed values."""
    j = ARM_INDEX[arm]
    point_cost = np.array([p.delta_cost for p in mi.point_estimates]) + delta_cost * mi.point_cost_slopes[:, j]
    point_effect = np.array([p.delta_effect for p in mi.point_estimates]) + delta_effect * mi.point_effect_slopes[:, j]
    draws_cost = mi.delta_cost_replicates + delta_cost * mi.cost_slopes[:, :, j]
    draws_effect = mi.delta_effect_replicates + delta_effect * mi.effect_slopes[:, :, j]
    return point_cost, point_effect, draws_cost, draws_effect


def analyse_delta(mi: MultipleImputationResult, arm: str, delta_cost: float, delta_effect: float,
                  threshold: float, mar_inb: float | None = None) -> DeltaResult:
    """Pooled estimates, INB and P(CE) with ``arm``'s imputed cost × (1 + δ_c) and effect + δ_e."""
    point_cost, point_effect, draws_cost, draws_effect = shift_estimates(mi, arm, delta_cost, delta_effect)
    cost, effect, (benefit,) = pool_draws(point_cost, point_effect, draws_cost, draws_effect,
                                          np.array([threshold]), mi.complete_data_df)
    draw_benefit = threshold * draws_effect - draws_cost
    reference = benefit.estimate if mar_inb is None else mar_inb
    return DeltaResult(arm, float(delta_cost), float(delta_effect), cost.estimate, effect.estimate, float(threshold),
                       benefit.estimate, benefit.interval, float((draw_benefit > 0).mean()), int(draw_benefit.size),
                       bool((benefit.estimate > 0) != (reference > 0)))


def build_tipping_point_table(mi: MultipleImputationResult, threshold: float, cost_deltas: Sequence[float],
                              effect_deltas: Sequence[float]) -> pd.DataFrame:
    """One row per arm × δ_c × δ_e (the other arm at MAR); δ = (0, 0) is the MAR analysis."""
    mar = analyse_delta(mi, "IPS", 0.0, 0.0, threshold)
    rows = []
    for arm in ARM_INDEX:
        for delta_cost in cost_deltas:
            for delta_effect in effect_deltas:
                r = analyse_delta(mi, arm, delta_cost, delta_effect, threshold, mar.inb)
                rows.append({
                    "shifted_arm": arm,
                    "delta_cost_ips": r.delta_cost if arm == "IPS" else 0.0,
                    "delta_cost_sau": r.delta_cost if arm == "SAU" else 0.0,
                    "delta_effect_ips": r.delta_effect if arm == "IPS" else 0.0,
                    "delta_effect_sau": r.delta_effect if arm == "SAU" else 0.0,
                    "incremental_cost_gbp": r.incremental_cost, "incremental_effect": r.incremental_effect,
                    "threshold_gbp": r.threshold, "inb_gbp": r.inb,
                    "inb_ci_lower": r.inb_interval[0], "inb_ci_upper": r.inb_interval[1],
                    "prob_cost_effective": r.probability_cost_effective,
                    "prob_cost_effective_display": format_probability(r.probability_cost_effective, r.n_draws),
                    "conclusion_changes": r.conclusion_changes})
    return pd.DataFrame(rows)
