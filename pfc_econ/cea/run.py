"""`pfc-econ cea`: every configured analysis on a results folder, written to DIR/cea/.

Writes summary.json (for scripts; not suppressed, not for sharing), the shareable tables as CSV
(cost_by_arm, outcomes_by_arm, cost_consequences, sensitivity, coverage, instrument_completion,
unknown_cost, sources; every one through ``pfc_econ.disclosure``), the figures (PNG), report.html
(self-contained) and summary.xlsx.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from pfc_econ.audit_figures import plot_instrument_completion
from pfc_econ.audit_headline import (
    read_coverage,
    read_instrument_completion,
    read_unknown_cost,
)
from pfc_econ.cea.analysis import AnalysisResult, analyse_table, derive_cost_model, summarise_result
from pfc_econ.cea.components import read_cost_components
from pfc_econ.cea.formatting import infer_kind
from pfc_econ.cea.outputs import build_report_tables, write_decision_outputs
from pfc_econ.cea.inputs import open_results_folder, read_analysis_table
from pfc_econ.cea.plots import (
    plot_acceptability_curves,
    plot_ce_plane,
    plot_value_of_information,
    plot_cost_distributions,
)
from pfc_econ.cea.report import describe_sample, render_report
from pfc_econ.cea.report_tables import EFFECT_UNITS, n_draws_of
from pfc_econ.cea.rerun import read_rerun_table
from pfc_econ.cea.sources import describe_unverified, read_sources
from pfc_econ.cea.specs import build_analysis_specs
from pfc_econ.output_folder import lock_results_folder, open_output
from pfc_econ.cea.tables import (
    build_sensitivity_table,
    disclose_table,
    pivot_arms,
    read_cost_by_arm,
    read_cost_consequences,
    read_cost_per_family,
    read_outcomes_by_arm,
)
from pfc_econ.cea.workbook import LineChart, Sheet, write_workbook
from pfc_econ.progress import stage


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
        done: dict[tuple, AnalysisResult] = {}
        for number, spec in enumerate(specs, start=1):
            start = time.perf_counter()
            analysing.step(f"  [{number}/{len(specs)}] {spec.name}: {spec.missing_data.replace('_', ' ')} ...", n=0)
            same_data = (spec.perspective, spec.effect, spec.missing_data, spec.subgroup, spec.config_changes)
            if spec.cost_model != "ols" and same_data in done:
                # A cost model re-fits the cost on the imputed data sets of the analysis it varies.
                result = derive_cost_model(done[same_data], spec)
                results.append(result)
                analysing.step(f"  {spec.name:<36} {result.status:<14} {result.n_families:>6} families  "
                               f"{time.perf_counter() - start:6.1f} s")
                continue
            if spec.needs_rerun:
                analysing.step(f"  {spec.name}: re-running the pipeline with the modified config", n=0)
                table, components = read_rerun_table(folder, spec)
            else:
                table = read_analysis_table(con, spec.perspective, spec.effect)
                components = read_cost_components(con, spec.perspective) if spec.missing_data == "component_imputation" else None
            result = analyse_table(table, spec, folder.cea, components)
            results.append(result)
            if spec.cost_model == "ols" and result.status == "ok":
                done.setdefault(same_data, result)
            analysing.step(f"  {spec.name:<36} {result.status:<14} {result.n_families:>6} families  "
                           f"{time.perf_counter() - start:6.1f} s")
    n_ok = sum(r.status == "ok" for r in results)
    analysing.done(f"analysed  {len(results)} analyses ({n_ok} estimable) in {time.perf_counter() - began:.1f} s")
    return folder, results


def run_cea(results_dir: Path, overrides: dict[str, Any] | None = None,
            progress: Callable[[str], None] | None = None) -> CeaRun:
    """Run the CEA on a results folder of ``pfc-econ run`` and write DIR/cea/.

    The results folder is locked meanwhile (no run replaces it); DIR/cea is built aside and moved
    into place when complete, replacing only the files an earlier ``cea`` wrote there.
    """
    with lock_results_folder(Path(results_dir)):
        folder, results = run_analyses(Path(results_dir), overrides, progress)
        with open_output(folder.path / "cea", kind="cea") as build:
            run = _write_cea(folder, results, build.path)
    files = tuple(folder.path / "cea" / p.relative_to(build.path) for p in run.files)
    return CeaRun(folder.path / "cea", run.summary, run.results, files)


def _write_cea(folder, results: list[AnalysisResult], out: Path) -> CeaRun:
    """Write summary.json, the shareable tables, figures, report and workbook into ``out``."""
    cea, threshold = folder.cea, int(folder.cea["suppress_below"])
    summary = {
        "analyses": [summarise_result(r) for r in results],
        "currency": "GBP",
        "price_year": folder.manifest.get("target_price_year"),
        "thresholds_gbp": [float(t) for t in cea["thresholds"]],
        "is_shareable": False,
        "note": "for scripts: counts are not suppressed; share report.html, summary.xlsx or the CSV tables",
    }
    files = write_decision_outputs(out, results, cea, summary)
    files.insert(0, out / "summary.json")
    files[0].write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")

    with folder.connect() as con:
        raw_tables = {"cost_by_arm": read_cost_by_arm(con), "outcomes_by_arm": read_outcomes_by_arm(con),
                      "cost_consequences": read_cost_consequences(con), "coverage": read_coverage(con),
                      "instrument_completion": read_instrument_completion(con)}
        unknown_cost = read_unknown_cost(con)
        if unknown_cost is not None:
            raw_tables["unknown_cost"] = unknown_cost
        sources = read_sources(con)
        per_family = read_cost_per_family(con, cea["base_case_perspective"])
        n_randomised = con.execute("select count(*) from dim_family").fetchone()[0]
        settings = dict(con.execute("select key, value from run_settings").fetchall())
    shareable = {name: disclose_table(name, table, threshold) for name, table in raw_tables.items()}
    shareable["sensitivity"] = disclose_table("sensitivity", build_sensitivity_table(summary["analyses"]), threshold)
    for name, table in shareable.items():
        files.append(out / f"{name}.csv")
        table.to_shareable_csv_frame().to_csv(files[-1], index=False)
    files.append(out / "sources.csv")
    sources.to_csv(files[-1], index=False)

    figures = draw_report_figures(results, shareable, per_family, out, cea)
    files += [figures["cost_distributions"][0], *(p for p, _ in figures["cea"]), *(p for p, _ in figures["audits"]),
              *(p for p, _ in figures["voi"])]
    settings_table = build_settings_table(cea, summary["price_year"], n_randomised)
    base = results[0]
    context = {"tables": shareable, "summary": summary, "settings": cea, "study_name": settings.get("study.name", ""),
               "version": folder.manifest.get("pfc_econ_version"), "figures": figures, "folder": out,
               "base_case_description": base.spec.description, "settings_table": settings_table,
               "n_randomised": n_randomised, "price_year": summary["price_year"], "sources": sources,
               "banners": describe_unverified(sources), "mapping": settings.get("outcomes.mapping", "?"),
               "disclose": lambda name, frame: disclose_table(name, frame, threshold),
               "n_draws": n_draws_of(summary["analyses"][0]),
               "cost_by_arm_wide": disclose_table("cost_by_arm_wide", pivot_arms(
                   raw_tables["cost_by_arm"], ["perspective", "period", "category", "basis"]), threshold)}
    files.append(out / "report.html")
    files[-1].write_text(render_report(context), encoding="utf-8")
    notes_text = [describe_sample(n_randomised), *context["banners"],
                  f"Counts from 1 to {threshold - 1} are withheld, with the statistics computed from them and any "
                  "count that would let them be worked out from a total: such cells are empty and carry a comment.",
                  f"Costs in GBP at {summary['price_year']} prices; the sources of every unit cost, index, tariff "
                  "and mapping, with their verification labels, are on the sources sheet.",
                  f"Base case: {base.spec.description.removeprefix('base case: ')}.",
                  "summary.json beside this workbook is for scripts: it is not suppressed and not for sharing."]
    sheets = build_workbook_sheets(shareable, sources, settings_table)
    # Decision sheets (thresholds, cost composition, frontier and EVPI, their curves, tipping point,
    # regressions); the curves' sheet carries a native chart of the base case's EVPI.
    withheld = list_withheld(shareable["sensitivity"])
    sheets += [Sheet(name, SHEET_DESCRIPTIONS.get(name, name.replace("_", " ")),
                     disclose_table(name, frame, threshold), lambda c, r: infer_kind(c), chart_of(name, frame))
               for name, frame in build_report_tables(out, summary, withheld).items() if not frame.empty]
    files.append(write_workbook(out / "summary.xlsx", sheets, notes_text, context["n_draws"]))
    return CeaRun(out, summary, tuple(results), tuple(files))


SHEET_DESCRIPTIONS = {
    "sensitivity": "base case and sensitivity analyses: counts, incremental cost and effect, ICER, NMB, P(CE)",
    "cost_by_arm": "cost per family by perspective, period, category and arm (n, mean, SD)",
    "outcomes_by_arm": "child QALYs, parent years of full capability and baselines by arm",
    "cost_consequences": "every outcome by arm and timepoint next to costs",
    "coverage": "families expected and received per source, period and arm",
    "instrument_completion": "persons expected, administered, complete and scorable per instrument form",
    "unknown_cost": "follow-up cost complete, partial or missing per arm and perspective",
    "thresholds": "which thresholds apply to which outcome, and what they are",
    "cost_composition": "per analysis and arm: cost observed, structurally zero and imputed",
    "value_of_information": "base case: option on the acceptability frontier, its probability, EVPI",
    "tipping_point": "missing not at random: delta-adjusted results by arm (base case)",
    "evpi_curve": "every analysis over its threshold range: frontier option and probability, CEAC, EVPI per "
                  "family and population (threshold_unit: per QALY, NICE range; per year of full capability, "
                  "illustrative)",
}


def list_withheld(sensitivity) -> list[str]:
    """Analyses whose results disclosure control withholds (an arm with too few families)."""
    return [name for i, name in enumerate(sensitivity.frame["analysis"])
            if sensitivity.status.iloc[i]["incremental_cost_gbp"]]


def chart_of(name: str, frame: pd.DataFrame) -> LineChart | None:
    """The native chart of a decision sheet: EVPI per family of the first analysis (the base case)."""
    if name != "evpi_curve" or frame.empty:
        return None
    first = frame["analysis"].iloc[0]
    unit = str(frame["threshold_unit"].iloc[0]).split(" (")[0]
    return LineChart(f"EVPI per family: {first.replace('_', ' ')}", "threshold_gbp", unit,
                     ("evpi_per_family_gbp",), "GBP per family", int((frame["analysis"] == first).sum()))


def build_workbook_sheets(shareable: dict[str, Any], sources: pd.DataFrame, settings_table: pd.DataFrame,
                          extra: dict[str, pd.DataFrame] | None = None, threshold: int = 5) -> list[Sheet]:
    """The workbook's table sheets, the sensitivity table first; ``extra`` tables (the CEA's
    decision tables: thresholds, cost composition, value of information, tipping point, regression
    tables) go through disclosure control like the rest."""
    money_stats = {"cost_by_arm"}

    def kind_of(name):
        def kind(column, row):
            if column in ("mean", "sd") or column.endswith(("_mean", "_sd")):
                if name in money_stats or str(row.get("outcome", "")).startswith("cost_gbp"):
                    return "money"
                return "qaly" if name == "outcomes_by_arm" else "score"
            return infer_kind(column)
        return kind

    order = ["sensitivity", *[n for n in shareable if n != "sensitivity"]]
    sheets = [Sheet(name, SHEET_DESCRIPTIONS.get(name, name), shareable[name], kind_of(name)) for name in order]
    for name, table in (extra or {}).items():
        sheets.append(Sheet(name, SHEET_DESCRIPTIONS.get(name, name.replace("_", " ")),
                            disclose_table(name, table, threshold), kind_of(name)))
    sheets.append(Sheet("sources", "unit-cost sources, indices, tariffs, scoring rules and mappings with their "
                        "verification labels", sources, lambda c, r: "count" if c == "n_items" else "text"))
    sheets.append(Sheet("settings", "the [cea] settings of this run", settings_table, lambda c, r: "text"))
    return sheets


def build_settings_table(cea: dict[str, Any], price_year: Any, n_randomised: int) -> pd.DataFrame:
    """The run's [cea] settings, readable: lists joined, numbers with separators."""
    def show(value):
        if isinstance(value, list):
            return ", ".join(map(str, value)) or "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, float)):
            return f"{value:,}"
        return str(value)
    rows = [{"setting": k, "value": show(v)} for k, v in cea.items()]
    rows += [{"setting": "currency", "value": "GBP"}, {"setting": "price_year", "value": str(price_year)},
             {"setting": "randomised families", "value": f"{n_randomised:,}"}]
    return pd.DataFrame(rows)


def read_csv_or_empty(path: Path) -> pd.DataFrame:
    """A CSV the CEA wrote, or an empty table when it has no rows."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def draw_report_figures(results, shareable, per_family, out: Path, cea: dict[str, Any]) -> dict[str, Any]:
    """The report's figures, each (path, caption), drawn from what disclosure control lets through."""
    threshold = int(cea["suppress_below"])
    sensitivity = shareable["sensitivity"]
    withheld = list_withheld(sensitivity)
    base = results[0]
    completion = shareable["instrument_completion"]
    voi = []
    if (out / "ceac.csv").is_file() and (out / "evpi.csv").is_file() and base.spec.name not in withheld:
        unit = EFFECT_UNITS.get(base.spec.effect, base.spec.effect)
        drawn = plot_value_of_information(read_csv_or_empty(out / "ceac.csv"), read_csv_or_empty(out / "evpi.csv"),
                                          out / "value_of_information.png", base.spec.name, base.thresholds, unit)
        if drawn is not None:
            voi.append((drawn, "Base case: the option on the acceptability frontier and the probability it is "
                               "cost-effective (top); EVPI per family (left axis) and for the population (right "
                               f"axis), by willingness to pay per {unit} over the whole threshold range; vertical "
                               f"lines: the configured thresholds ({base.threshold_label})."))
    return {
        "voi": voi,
        "cost_distributions": (plot_cost_distributions(per_family, out / "cost_distributions.png",
                                                       cea["base_case_perspective"], threshold),
                               "Follow-up cost per family of families with a complete cost, by category and arm; "
                               f"a group of fewer than {threshold} families is not drawn."),
        "cea": [(plot_ce_plane(base, out / "ce_plane.png", threshold, base.spec.name in withheld),
                 "Base case: each point one bootstrap replicate (all imputations); lines: each threshold per QALY."),
                (plot_acceptability_curves(results, out / "ceac.png", withheld),
                 "Probability IPS is cost-effective against willingness to pay per QALY; markers at each threshold.")],
        "audits": [(plot_instrument_completion(completion.frame.fillna(0), out / "instrument_completion.png",
                                               completion.status != "", f"<{threshold}"),
                    "Share of persons expected who were administered, could be scored, and completed each form "
                    "(side by side: the three overlap, they do not add up); withheld counts are not drawn.")],
    }
