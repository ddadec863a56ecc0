"""Time `pfc-econ cea` end to end on a synthetic trial, stage by stage (issue 11, Build 8).

Run from the repository root:  python benchmarks/bench_cea_run.py --families 1000 [--families 5000]

For each size: generate the trial scenario (``pfc-econ synth``) and run the pipeline (both
untimed against the goal), then run the CEA with the default settings (base case + default
sensitivity set, 10,000 joint draws, 20 imputations) and print the wall time of each stage as
``run_cea`` reports it, then the total. Goal: under 30 s on 1,000 families and under 2 minutes
on 5,000, on the project machine's two cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from pfc_econ.cea.run import run_cea
from pfc_econ.config import load_config
from pfc_econ.pipeline import run_pipeline
from pfc_econ.synth import generate_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, action="append", help="trial size (repeatable; default 1000)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start", flush=True)
    for n in args.families or [1000]:
        with tempfile.TemporaryDirectory(prefix="bench_cea_") as folder:
            root = Path(folder)
            start = time.perf_counter()
            generate_scenario("trial", root / "trial", families=n, seed=args.seed)
            run_pipeline(load_config(root / "trial" / "study.toml"), root / "results")
            print(f"\n{n} families: synthetic trial and pipeline {time.perf_counter() - start:.1f} s (not counted)")
            last = [time.perf_counter()]

            def stage(message: str) -> None:
                now = time.perf_counter()
                print(f"  +{now - last[0]:6.1f} s  {message.strip()}", flush=True)
                last[0] = now

            start, cpu = time.perf_counter(), time.process_time()
            run = run_cea(root / "results", progress=stage)
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            stage("outputs, figures, report and workbook written")
            goal = 30 if n <= 1000 else 120
            print(f"  total pfc-econ cea: {total:.1f} s for {len(run.results)} analyses "
                  f"(goal under {goal} s at {n} families: {'met' if total < goal else 'NOT met'}); "
                  f"CPU time of this process {cpu:.1f} s; load average {os.getloadavg()[0]:.1f} "
                  "(a machine shared with other work makes wall time longer than CPU time)", flush=True)


if __name__ == "__main__":
    main()
