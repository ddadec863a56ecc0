"""Benchmark: cost the synthetic trial at --families N and print, per step, seconds, rows per
second and peak memory (resident set of this process, which includes DuckDB's memory).

    PYTHONPATH=. python benchmarks/bench_costing.py --families 1000000 --out /tmp/bench

Needs the synthetic generator (pfc_econ.synth, branch `synth`); says so clearly if it is absent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

COSTING_STEPS = ("int_unit_costs_inflated", "int_resource_use", "fct_resource_use", "fct_family_costs",
                 "fct_family_cost_breakdown", "fct_source_agreement", "audit_costing")


def _rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakSampler:
    """Samples RSS in a thread; ``take()`` returns the peak since the last call and starts afresh."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def take(self) -> int:
        peak, self.peak = max(self.peak, _rss_bytes()), _rss_bytes()
        return peak


def _costing_config(path: Path):
    """The generated study config, without sections this branch does not know (the generator may
    be newer than the config schema here, e.g. an [outcomes] section): they do not affect costing."""
    import tomllib

    from pfc_econ.config import SCHEMA, parse_config
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    unknown = [k for k in raw if k != "sources" and k not in SCHEMA]
    if unknown:
        print(f"note: config section(s) {', '.join(unknown)} unknown to this branch: ignored for the benchmark")
    return parse_config({k: v for k, v in raw.items() if k not in unknown}, Path(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=1000, help="number of synthetic families (default 1000)")
    parser.add_argument("--out", help="working folder (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=20231101)
    parser.add_argument("--all-steps", action="store_true", help="print every model, not only the costing ones")
    args = parser.parse_args(argv)
    try:
        from pfc_econ.synth import generate_scenario
    except ImportError:
        print("bench_costing: the synthetic generator pfc_econ.synth is not available on this branch "
              "(it lives on branch `synth`; merge it first)", file=sys.stderr)
        return 2
    from pfc_econ.pipeline import run_pipeline

    work = Path(args.out or tempfile.mkdtemp(prefix="pfc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, int]] = []
    with PeakSampler() as sampler:
        start = time.perf_counter()
        synth = generate_scenario("trial", work / "data", families=args.families, seed=args.seed)
        print(f"generated {synth.n_families:,} families in {time.perf_counter() - start:.1f} s "
              f"(peak {sampler.take() / 2**20:,.0f} MiB)")

        def progress(message: str) -> None:
            words = message.split()
            if len(words) >= 3 and words[-1] == "s" or (len(words) >= 4 and words[-2] == "s"):
                name = words[1] if words[0] != "read" else words[1]
                steps.append((name, sampler.take()))

        result = run_pipeline(_costing_config(synth.config_path), work / "results", progress=progress)
    peaks = dict(steps)
    print(f"{'step':<34} {'seconds':>9} {'rows':>14} {'rows/s':>14} {'peak MiB':>10}")
    for name, seconds in result.timings.items():
        if not args.all_steps and name not in COSTING_STEPS:
            continue
        rows = result.row_counts.get(name, 0)
        rate = rows / seconds if seconds > 0 else float("inf")
        print(f"{name:<34} {seconds:9.2f} {rows:14,} {rate:14,.0f} {peaks.get(name, 0) / 2**20:10,.0f}")
    total = sum(result.timings.values())
    print(f"{'whole run':<34} {total:9.2f}   families/s {args.families / total:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
