"""Statistical core of the within-trial cost-effectiveness analysis (IPS vs SAU).

``estimates``: incremental cost and effect (baseline-adjusted OLS), ICER, net monetary benefit.
``bootstrap``: stratified non-parametric bootstrap, percentile intervals, CEAC.
``chains``: chained equations with PMM (numpy); ``imputation``: Rubin's rules, statsmodels MICE.
``mi_boot``: MI Boot (Schomaker & Heumann 2018) and the joint draws; ``decisions``: P(CE), CEAC,
frontier, EVPI from the draws.

The analysis layer (``pfc-econ cea``): ``specs`` (base case and sensitivity analyses from
``[cea]`` config), ``inputs`` (the per-family table from ``fct_cea_input``), ``analysis`` (one
analysis → ``AnalysisResult``), ``rerun`` (pipeline re-runs with a modified config), ``tables``,
``plots``, ``report`` (HTML, Excel, CHEERS 2022 checklist) and ``run`` (``run_cea``).
"""

from pfc_econ.cea.bootstrap import (
    AcceptabilityCurve,
    BootstrapResult,
    bootstrap_incremental,
    build_threshold_grid,
    compute_acceptability_curve,
    compute_percentile_interval,
    compute_probability_cost_effective,
)
from pfc_econ.cea.estimates import (
    IcerResult,
    IncrementalEstimate,
    compute_icer,
    compute_net_monetary_benefit,
    estimate_incremental,
    summarise_by_arm,
)
from pfc_econ.cea.decisions import DecisionCurves, compute_decision_curves, format_probability
from pfc_econ.cea.imputation import ImputationResult, PooledEstimate, impute_within_arm, pool_rubin
from pfc_econ.cea.mi_boot import MultipleImputationResult, analyse_with_multiple_imputation

__all__ = [
    "AcceptabilityCurve",
    "BootstrapResult",
    "DecisionCurves",
    "IcerResult",
    "ImputationResult",
    "IncrementalEstimate",
    "MultipleImputationResult",
    "PooledEstimate",
    "analyse_with_multiple_imputation",
    "bootstrap_incremental",
    "build_threshold_grid",
    "compute_acceptability_curve",
    "compute_decision_curves",
    "compute_icer",
    "compute_net_monetary_benefit",
    "compute_percentile_interval",
    "compute_probability_cost_effective",
    "estimate_incremental",
    "format_probability",
    "impute_within_arm",
    "pool_rubin",
    "summarise_by_arm",
]
