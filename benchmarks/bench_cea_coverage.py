"""Coverage of the base case's 95% intervals over repeated synthetic trials (issue 11, Must show).

Run from the repository root:  python benchmarks/bench_cea_coverage.py [--trials 20] [--families 600]

Each trial: ``pfc-econ synth --scenario trial --true-effect`` with its own seed (the truth is the
sample average treatment effect by counterfactual simulation with common random numbers,
``synth/true_effect.py``), ``pfc-econ run``, then the analyses of ``pfc-econ cea`` (``run_analyses``: no report) with the
default settings for the base case (component imputation) and total-level imputation for
comparison. ``--json FILE`` writes the per-trial rows; ``--merge FILE ...`` summarises saved rows
(so the trials can run as two processes over different ``--first-seed`` ranges). Prints, per
analysis, coverage of the 95% intervals of incremental cost and incremental QALYs with its exact
binomial 95% interval (with 40 trials a true 95% reads anywhere from about 83% to 99%), mean bias
(estimate − truth) with its Monte Carlo standard error, mean interval width, and SD(error) /
mean SE, which says whether the interval's width matches the spread of the errors (about 1;
well below 1 would mean conservative intervals), and the per-trial rows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from pfc_econ.cea.analysis import summarise_result
from pfc_econ.cea.run import run_analyses
from pfc_econ.config import load_config
from pfc_econ.pipeline import run_pipeline
from pfc_econ.synth import generate_scenario

ANALYSES = ("base_case", "missing_data:multiple_imputation")


def run_trial(root: Path, seed: int, families: int) -> dict:
    """One synthetic trial: truth and the analyses' estimates and intervals."""
    trial = generate_scenario("trial", root / "trial", families=families, seed=seed, include_true_effect=True)
    truth = json.loads(trial.truth_path.read_text())
    run_pipeline(load_config(trial.config_path), root / "results")
    _, results = run_analyses(root / "results", {"sensitivity": ["missing_data:multiple_imputation"]})
    out = {"seed": seed, "true_cost": truth["incremental_cost_gbp"], "true_qaly": truth["incremental_qaly"]}
    for entry in map(summarise_result, results):
        out[entry["name"]] = {"cost": entry["incremental_cost_gbp"], "cost_ci": entry["incremental_cost_ci"],
                              "qaly": entry["incremental_qaly"], "qaly_ci": entry["incremental_qaly_ci"]}
    return out


def summarise(rows: list[dict], analysis: str) -> str:
    """Per interval: coverage with its exact (Clopper-Pearson) 95% interval, mean bias with its
    standard error, mean width, and SD(error) / mean SE: the calibration of the interval's width
    (1 when the reported standard error matches the spread of the errors; SE = width / 3.92)."""
    lines = []
    for key, truth_key, unit in (("cost", "true_cost", "GBP"), ("qaly", "true_qaly", "QALY")):
        estimate = np.array([r[analysis][key] for r in rows])
        truth = np.array([r[truth_key] for r in rows])
        lower = np.array([r[analysis][f"{key}_ci"][0] for r in rows])
        upper = np.array([r[analysis][f"{key}_ci"][1] for r in rows])
        covered = (lower <= truth) & (truth <= upper)
        error = estimate - truth
        ci = binomtest(int(covered.sum()), len(rows)).proportion_ci(0.95, method="exact")
        ratio = np.std(error, ddof=1) / np.mean((upper - lower) / 3.92) if len(rows) > 1 else float("nan")
        lines.append(f"  {analysis:<34} {key:<5} coverage {covered.sum()}/{len(rows)} = {covered.mean():5.1%} "
                     f"(exact 95% CI {ci.low:.0%}–{ci.high:.0%})   mean bias {np.mean(error):+10.4g} "
                     f"± {np.std(error, ddof=1) / np.sqrt(len(rows)):.2g} {unit}   mean width {np.mean(upper - lower):10.4g} "
                     f"{unit}   SD(error)/mean SE {ratio:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--families", type=int, default=600)
    parser.add_argument("--first-seed", type=int, default=1001)
    parser.add_argument("--json", type=Path, help="write the per-trial rows to this file")
    parser.add_argument("--merge", type=Path, nargs="+", help="summarise rows saved by --json instead of running")
    args = parser.parse_args()
    if args.merge:
        rows = [row for path in args.merge for row in json.loads(path.read_text())]
        print(f"{len(rows)} synthetic trials (seeds {', '.join(str(r['seed']) for r in rows)}), 95% intervals:")
        for analysis in ANALYSES:
            print(summarise(rows, analysis))
        return
    rows, started = [], time.perf_counter()
    for i in range(args.trials):
        with tempfile.TemporaryDirectory(prefix="bench_cov_") as folder:
            row = run_trial(Path(folder), args.first_seed + i, args.families)
        rows.append(row)
        base = row["base_case"]
        print(f"trial {i + 1:>2} seed {row['seed']}: truth dC {row['true_cost']:8.1f} dE {row['true_qaly']:.4f} | "
              f"base dC {base['cost']:8.1f} [{base['cost_ci'][0]:8.1f}, {base['cost_ci'][1]:8.1f}] "
              f"dE {base['qaly']:.4f} [{base['qaly_ci'][0]:.4f}, {base['qaly_ci'][1]:.4f}]  "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows))
    print(f"\n{args.trials} synthetic trials of {args.families} families (seeds {args.first_seed}–"
          f"{args.first_seed + args.trials - 1}), 95% intervals:")
    for analysis in ANALYSES:
        print(summarise(rows, analysis))


if __name__ == "__main__":
    main()
