"""Statistical core of the within-trial cost-effectiveness analysis (IPS vs SAU).

``estimates``: incremental cost and effect (baseline-adjusted OLS), ICER, net monetary benefit.
``bootstrap``: stratified non-parametric bootstrap, percentile intervals, CEAC.
``imputation``: MICE with PMM within arm, Rubin's rules, MI Boot (Schomaker & Heumann 2018).

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
from pfc_econ.cea.imputation import (
    ImputationResult,
    MultipleImputationResult,
    PooledEstimate,
    analyse_with_multiple_imputation,
    impute_within_arm,
    pool_rubin,
)

__all__ = [
    "AcceptabilityCurve",
    "BootstrapResult",
    "IcerResult",
    "ImputationResult",
    "IncrementalEstimate",
    "MultipleImputationResult",
    "PooledEstimate",
    "analyse_with_multiple_imputation",
    "bootstrap_incremental",
    "build_threshold_grid",
    "compute_acceptability_curve",
    "compute_icer",
    "compute_net_monetary_benefit",
    "compute_percentile_interval",
    "compute_probability_cost_effective",
    "estimate_incremental",
    "impute_within_arm",
    "pool_rubin",
    "summarise_by_arm",
]
