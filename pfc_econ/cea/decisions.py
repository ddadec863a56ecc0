"""Decision quantities from the joint draws: P(cost-effective), CEAC, frontier, EVPI.

Every quantity here is a share or mean over the draws of (incremental cost, incremental effect)
of IPS against SAU (``mi_boot.py``: bootstrap × imputation; or the complete-case bootstrap).
Net benefit of SAU is the reference 0, of IPS the incremental net monetary benefit
INB = λ·ΔE − ΔC (Stinnett & Mullahy 1998).

- P(cost-effective) and the CEAC: share of draws with INB > 0 (Fenwick, Claxton & Sculpher 2001,
  Health Econ 10:779–787). With n draws a share below 1/n cannot be told from 0:
  ``format_probability`` (``formatting.py``, the one rule for every output) writes "<1/n" (and
  ">1 − 1/n"), and every other share to the decimals of 1/n, never finer.
- Cost-effectiveness acceptability frontier: at each λ the option with the higher expected net
  benefit, and the probability it is the cost-effective one (Fenwick et al. 2001, which introduces
  the frontier; Barton, Briggs & Fenwick 2008, Value Health 11(5), pages 886–897 not verified here).
- EVPI per family = E[max(NB_IPS, NB_SAU)] − max(E[NB_IPS], E[NB_SAU]) = E[max(INB, 0)] −
  max(E[INB], 0) (Claxton 1999, J Health Econ 18:341–364; Briggs, Claxton & Sculpher,
  *Decision Modelling for Health Economic Evaluation*, OUP 2006, ch. 6). Population EVPI =
  per-family EVPI × Σ_{t=0}^{H−1} N / (1 + r)^t for N families a year over a horizon of H years
  discounted at r (Briggs et al. 2006; the section, §6.2, not verified here).
References and what was verified of each: docs/cea_references.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pfc_econ.cea.estimates import compute_net_monetary_benefit
from pfc_econ.cea.formatting import format_probability  # noqa: F401  (re-exported: one rule)

OPTIONS = ("SAU", "IPS")


@dataclass(frozen=True)
class DecisionCurves:
    """CEAC, frontier and EVPI over a grid of thresholds, from n draws.

    Fields:
        thresholds: (k,) λ, GBP per unit of effect.
        probability_cost_effective: (k,) share of draws with INB > 0 (IPS cost-effective).
        expected_net_benefit: (k,) mean INB over the draws.
        frontier_option: (k,) option with the higher expected net benefit ('IPS' or 'SAU').
        frontier_probability: (k,) probability that the frontier option is the cost-effective one.
        evpi_per_family: (k,) per-family EVPI, GBP.
        evpi_population: (k,) population EVPI, GBP (``population_multiplier`` × per family).
        population_multiplier: Σ_t N / (1 + r)^t.
        n_draws: number of draws (resolution 1 / n_draws).
    """

    thresholds: np.ndarray
    probability_cost_effective: np.ndarray
    expected_net_benefit: np.ndarray
    frontier_option: np.ndarray
    frontier_probability: np.ndarray
    evpi_per_family: np.ndarray
    evpi_population: np.ndarray
    population_multiplier: float
    n_draws: int


def compute_population_multiplier(families_per_year: float, horizon_years: int, discount_rate: float) -> float:
    """Σ_{t=0}^{H−1} N / (1 + r)^t: discounted families affected over the decision horizon."""
    if families_per_year < 0 or horizon_years < 0 or discount_rate <= -1:
        raise ValueError("population, horizon and discount rate must be non-negative")
    return float(sum(families_per_year / (1 + discount_rate) ** t for t in range(int(horizon_years))))


def compute_decision_curves(delta_cost: np.ndarray, delta_effect: np.ndarray, thresholds,
                            population_multiplier: float = 0.0) -> DecisionCurves:
    """CEAC, frontier and EVPI of the draws over ``thresholds``."""
    cost = np.asarray(delta_cost, dtype=float).ravel()
    effect = np.asarray(delta_effect, dtype=float).ravel()
    if cost.shape != effect.shape or len(cost) == 0:
        raise ValueError("delta_cost and delta_effect must be non-empty arrays of equal size")
    grid = np.atleast_1d(np.asarray(thresholds, dtype=float))
    benefit = compute_net_monetary_benefit(cost[None, :], effect[None, :], grid[:, None])
    probability = (benefit > 0).mean(axis=1)
    expected = benefit.mean(axis=1)
    is_ips = expected > 0
    evpi = np.maximum(benefit, 0.0).mean(axis=1) - np.maximum(expected, 0.0)
    evpi = np.maximum(evpi, 0.0)  # rounding: E[max] ≥ max(E) exactly
    return DecisionCurves(
        thresholds=grid, probability_cost_effective=probability, expected_net_benefit=expected,
        frontier_option=np.where(is_ips, OPTIONS[1], OPTIONS[0]),
        frontier_probability=np.where(is_ips, probability, 1 - probability),
        evpi_per_family=evpi, evpi_population=evpi * population_multiplier,
        population_multiplier=float(population_multiplier), n_draws=len(cost))
