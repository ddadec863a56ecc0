"""Time the CEA analysis layer (pfc_econ.cea.analysis) on a simulated 1,000-family trial.

Run from the repository root:  PYTHONPATH=. python benchmarks/bench_cea_pipeline.py [--families N]

Prints the wall time of (1) the complete-case analysis with 10,000 stratified bootstrap replicates
and (2) the multiple-imputation analysis (MI Boot: 20 imputations, each bootstrapped 10,000 times),
both through ``analyse_table`` as ``pfc-econ cea`` runs them (CEAC included). The statistical core
alone is timed by benchmarks/bench_cea.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cea import simulate_trial  # noqa: E402

from pfc_econ.cea.analysis import analyse_table  # noqa: E402
from pfc_econ.cea.specs import AnalysisSpec  # noqa: E402
from pfc_econ.config import parse_cea_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=10_000)
    parser.add_argument("--imputations", type=int, default=20)
    parser.add_argument("--missing-share", type=float, default=0.2)
    args = parser.parse_args()
    cea = parse_cea_settings({"cea": {"n_bootstrap": args.replicates, "n_imputations": args.imputations}})
    complete = simulate_trial(args.families, 0.0, seed=1)
    incomplete = simulate_trial(args.families, args.missing_share, seed=1)
    for label, table, method in (
        (f"complete case, {args.replicates} bootstrap replicates", complete, "complete_case"),
        (f"MI Boot, {args.imputations} imputations x {args.replicates} replicates", incomplete, "multiple_imputation"),
    ):
        spec = AnalysisSpec("bench", "nhs_pss", "child_qaly", method)
        start = time.perf_counter()
        result = analyse_table(table, spec, cea)
        elapsed = time.perf_counter() - start
        print(f"{label:<60} {args.families} families {elapsed:8.2f} s  ({result.status}, "
              f"dC {result.delta_cost:.1f}, dE {result.delta_effect:.4f})", flush=True)


if __name__ == "__main__":
    main()
