"""Time and peak memory of the CEA statistics on a trial-sized simulated data set.

Run from the repository root:  PYTHONPATH=. python benchmarks/bench_cea.py

Prints wall time of (1) 10,000 stratified bootstrap replicates of the adjusted model on 1,000
families, (2) multiple imputation (20 imputations, within arm, 20% of costs and of effects
missing) and (3) the whole MI Boot analysis (20 imputations, each bootstrapped 1,000 and 10,000
times). Each stage runs in its own process and reports that process's peak resident set size
(ru_maxrss, which includes the interpreter and imported libraries, ~100+ MiB); ``--trace-memory``
adds the tracemalloc peak of allocations, at the price of a much slower run.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from pfc_econ.cea import analyse_with_multiple_imputation, bootstrap_incremental, impute_within_arm


def simulate_trial(n_families: int, missing_share: float, seed: int) -> pd.DataFrame:
    """Two arms, two sites, skewed costs; ``missing_share`` of cost and of effect set missing."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n_families) % 2 == 0, "IPS", "SAU")
    site = np.where(rng.random(n_families) < 0.8, "Bromley", "Glasgow")
    baseline_cost = rng.gamma(2.0, 1000.0, n_families)
    baseline_effect = rng.normal(0.7, 0.1, n_families)
    cost = 500 + 300 * (arm == "IPS") + 0.6 * baseline_cost + rng.gamma(2.0, 500.0, n_families)
    effect = 0.1 + 0.02 * (arm == "IPS") + 0.5 * baseline_effect + rng.normal(0, 0.05, n_families)
    data = pd.DataFrame({"arm": arm, "site": site, "cost": cost, "effect": effect,
                         "baseline_cost": baseline_cost, "baseline_effect": baseline_effect})
    for column in ("cost", "effect"):
        data.loc[rng.random(n_families) < missing_share, column] = np.nan
    return data


def report_stage(label: str, elapsed: float) -> None:
    """Print one stage's wall time and this process's peak resident set size (KiB on Linux)."""
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<58} {elapsed:8.2f} s   peak RSS {peak_rss_mib:7.1f} MiB", flush=True)


def run_stage(stage: str, arguments: argparse.Namespace) -> None:
    """Run one stage in this process and report it; ``--trace-memory`` adds the tracemalloc peak."""
    if arguments.trace_memory:
        tracemalloc.start()
    complete = simulate_trial(arguments.families, 0.0, seed=1)
    incomplete = simulate_trial(arguments.families, arguments.missing_share, seed=1)
    started = time.perf_counter()
    if stage == "bootstrap":
        result = bootstrap_incremental(complete, n_replicates=arguments.replicates, seed=1)
        label = f"bootstrap, adjusted, {arguments.replicates} replicates"
        detail = (f"delta cost {result.point.delta_cost:.1f} (95% {result.cost_interval[0]:.1f} to "
                  f"{result.cost_interval[1]:.1f}); P(CE at £20k, £30k) = {result.probability_cost_effective}")
    elif stage == "imputation":
        impute_within_arm(incomplete, n_imputations=arguments.imputations, seed=1)
        label = f"MICE-PMM within arm, {arguments.imputations} data sets, {arguments.missing_share:.0%} missing"
        detail = ""
    else:
        replicates = arguments.mi_replicates if stage == "mi-boot-small" else arguments.replicates
        pooled = analyse_with_multiple_imputation(incomplete, n_imputations=arguments.imputations,
                                                  n_replicates=replicates, seed=1)
        label = f"MI Boot: {arguments.imputations} imputations x {replicates} replicates"
        detail = (f"pooled delta cost {pooled.cost.estimate:.1f} (95% {pooled.cost.interval[0]:.1f} to "
                  f"{pooled.cost.interval[1]:.1f}); fraction of missing information "
                  f"{pooled.cost.fraction_missing_information:.2f}")
    report_stage(label, time.perf_counter() - started)
    if arguments.trace_memory:
        print(f"    tracemalloc peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB (slows the run)")
    if detail:
        print(f"    {detail}")


STAGES = ("bootstrap", "imputation", "mi-boot-small", "mi-boot")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1_000)
    parser.add_argument("--replicates", type=int, default=10_000)
    parser.add_argument("--imputations", type=int, default=20)
    parser.add_argument("--missing-share", type=float, default=0.2)
    parser.add_argument("--mi-replicates", type=int, default=1_000,
                        help="bootstrap replicates per imputed data set in the smaller MI Boot run")
    parser.add_argument("--stage", choices=STAGES, help="run one stage in this process (default: all, each in its own)")
    parser.add_argument("--trace-memory", action="store_true", help="also report the tracemalloc peak")
    arguments = parser.parse_args(argv)
    if arguments.stage:
        run_stage(arguments.stage, arguments)
        return
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, {arguments.families} families; "
          "each stage in a fresh process so its peak RSS is its own")
    passed = [argument for argument in (argv if argv is not None else sys.argv[1:])]
    for stage in STAGES:
        subprocess.run([sys.executable, __file__, "--stage", stage, *passed], check=True)


if __name__ == "__main__":
    main()
