"""`pfc-econ cea`: every configured analysis on a results folder, written to DIR/cea/.

Writes summary.json (for scripts; not suppressed, not for sharing), the shareable tables as CSV
(cost_by_arm, outcomes_by_arm, cost_consequences, sensitivity, unit_cost_sources; small cells
suppressed), the figures (PNG), report.html (self-contained) and summary.xlsx.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from pfc_econ.cea.analysis import AnalysisResult, analyse_table, summarise_result
from pfc_econ.cea.inputs import open_results_folder, read_analysis_table
from pfc_econ.cea.plots import plot_acceptability_curves, plot_ce_plane, plot_cost_distributions
from pfc_econ.cea.report import describe_sample, render_report, write_workbook
from pfc_econ.cea.rerun import read_rerun_table
from pfc_econ.cea.specs import build_analysis_specs
from pfc_econ.cea.tables import (SUPPRESSION_GROUPS, build_sensitivity_table, read_cost_by_arm,
                                 read_cost_consequences, read_cost_per_family, read_costing_notes,
                                 read_outcomes_by_arm, suppress_small_cells, suppress_sensitivity_table)
from pfc_econ.progress import stage

AUDIT_SUMMARY_SQL = """
select source, severity, count(*) as n_issues from audit_issues group by all order by source, severity
"""


@dataclass(frozen=True)
class CeaRun:
    """What ``run_cea`` wrote.

    Fields:
        folder: DIR/cea.
        summary: the summary.json content.
        results: the AnalysisResult of every analysis, base case first.
        files: every file written.
    """

    folder: Path
    summary: dict[str, Any]
    results: tuple[AnalysisResult, ...]
    files: tuple[Path, ...]


def run_analyses(results_dir: Path, overrides: dict[str, Any] | None = None,
                 progress: Callable[[str], None] | None = None) -> tuple[Any, list[AnalysisResult]]:
    """Open the results folder and run the base case and every configured sensitivity analysis."""
    folder = open_results_folder(results_dir, overrides)
    results = []
    specs = build_analysis_specs(folder.cea)
    analysing = stage(progress, "cost-effectiveness analyses", len(specs), "analyses")
    began = time.perf_counter()
    with folder.connect() as con:
        for spec in specs:
            start = time.perf_counter()
            if spec.needs_rerun:
                analysing.step(f"  {spec.name}: re-running the pipeline with the modified config", n=0)
                table = read_rerun_table(folder, spec)
            else:
                table = read_analysis_table(con, spec.perspective, spec.effect)
            result = analyse_table(table, spec, folder.cea)
            results.append(result)
            analysing.step(f"  {spec.name:<36} {result.status:<14} {result.n_families:>6} families  "
                           f"{time.perf_counter() - start:6.1f} s")
    n_ok = sum(r.status == "ok" for r in results)
    analysing.done(f"analysed  {len(results)} analyses ({n_ok} estimable) in {time.perf_counter() - began:.1f} s")
    return folder, results


def run_cea(results_dir: Path, overrides: dict[str, Any] | None = None,
            progress: Callable[[str], None] | None = None) -> CeaRun:
    """Run the CEA on a results folder of ``pfc-econ run`` and write DIR/cea/ (replaced whole)."""
    folder, results = run_analyses(Path(results_dir), overrides, progress)
    cea, threshold = folder.cea, int(folder.cea["suppress_below"])
    out = folder.path / "cea"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    summary = {
        "analyses": [summarise_result(r) for r in results],
        "currency": "GBP",
        "price_year": folder.manifest.get("target_price_year"),
        "thresholds_gbp": [float(t) for t in cea["thresholds"]],
        "is_shareable": False,
        "note": "for scripts: counts are not suppressed; share report.html, summary.xlsx or the CSV tables",
    }
    files = [out / "summary.json"]
    files[0].write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")

    with folder.connect() as con:
        raw_tables = {"cost_by_arm": read_cost_by_arm(con), "outcomes_by_arm": read_outcomes_by_arm(con),
                      "cost_consequences": read_cost_consequences(con)}
        notes = read_costing_notes(con, folder.manifest)
        per_family = read_cost_per_family(con, cea["base_case_perspective"])
        audit_summary = con.execute(AUDIT_SUMMARY_SQL).df()
        n_randomised = con.execute("select count(*) from dim_family").fetchone()[0]
        study_name = con.execute("select value from run_settings where key = 'study.name'").fetchone()[0]
    shareable = {name: suppress_small_cells(table, threshold, SUPPRESSION_GROUPS[name])
                 for name, table in raw_tables.items()}
    shareable["sensitivity"] = suppress_sensitivity_table(build_sensitivity_table(summary["analyses"]), threshold)
    shareable["unit_cost_sources"] = notes["unit_cost_sources"]
    for name, table in shareable.items():
        files.append(out / f"{name}.csv")
        table.to_csv(files[-1], index=False)

    base = results[0]
    figures = {
        "cost_distributions": plot_cost_distributions(per_family, out / "cost_distributions.png",
                                                      cea["base_case_perspective"]),
        "cea": [plot_ce_plane(base, out / "ce_plane.png"), plot_acceptability_curves(results, out / "ceac.png")],
        "audits": sorted((folder.path / "report").glob("*.png")),
    }
    files += [figures["cost_distributions"], *figures["cea"]]
    settings_table = pd.DataFrame(
        [{"setting": k, "value": json.dumps(v) if not isinstance(v, str) else v} for k, v in cea.items()]
        + [{"setting": "currency", "value": "GBP"}, {"setting": "price_year", "value": summary["price_year"]},
           {"setting": "randomised families", "value": str(n_randomised)}])
    context = {"tables": shareable, "costing_notes": notes, "settings": cea, "study_name": study_name,
               "version": folder.manifest.get("pfc_econ_version"), "figures": figures,
               "base_case_description": base.spec.description, "settings_table": settings_table,
               "audit_summary": audit_summary, "n_randomised": n_randomised}
    files.append(out / "report.html")
    files[-1].write_text(render_report(context), encoding="utf-8")
    notes_text = [describe_sample(n_randomised),
                  f"Cells with counts from 1 to {threshold - 1} are suppressed (shown as <{threshold}).",
                  f"Costs in GBP at {summary['price_year']} prices; unit-cost sources on the unit_cost_sources sheet.",
                  f"Base case: {base.spec.description}."]
    files.append(write_workbook(out / "summary.xlsx", shareable | {"settings": settings_table}, notes_text))
    return CeaRun(out, summary, tuple(results), tuple(files))
