"""What ``pfc-econ cea`` hands on beyond the analyses: the draws, the CEAC, EVPI and frontier.

Files (in DIR/cea/, for continuing in R or Stata): ``draws.parquet`` (every analysis's joint
draws of incremental cost and effect: analysis, imputation, replicate, delta_cost, delta_effect),
``ceac.csv`` (CEAC and frontier per analysis over its threshold grid) and ``evpi.csv`` (per-
family and population EVPI over the same grid). Keys added to summary.json: ``thresholds``
(per outcome, the threshold list and what it is), ``evpi`` and ``frontier`` (base case, at each
configured threshold), ``cost_composition`` (per analysis and arm), ``tipping_point`` (the
base case's MNAR grid, ``mnar.py``; also ``tipping_point.csv``). Draws carry no family
identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pfc_econ.cea.analysis import (CAPABILITY_LABEL, QALY_LABEL, STATUS_OK, AnalysisResult, build_curves, threshold_key,
                                   to_number)
from pfc_econ.cea.decisions import compute_decision_curves, format_probability
from pfc_econ.cea.mnar import build_tipping_point_table
from pfc_econ.cea.tables import disclose_table


def build_draws_table(results: Sequence[AnalysisResult]) -> pd.DataFrame:
    """One row per analysis × joint draw (imputation 0 = complete case)."""
    frames = []
    for result in results:
        if result.status != STATUS_OK or len(result.replicate_cost) == 0:
            continue
        if result.mi is not None:
            m, b = result.mi.delta_cost_replicates.shape
            imputation, replicate = np.repeat(np.arange(1, m + 1), b), np.tile(np.arange(1, b + 1), m)
        else:
            imputation, replicate = np.zeros(len(result.replicate_cost), dtype=int), np.arange(1, len(result.replicate_cost) + 1)
        frames.append(pd.DataFrame({"analysis": result.spec.name, "effect": result.spec.effect,
                                    "imputation": imputation, "replicate": replicate,
                                    "delta_cost": result.replicate_cost, "delta_effect": result.replicate_effect}))
    columns = ["analysis", "effect", "imputation", "replicate", "delta_cost", "delta_effect"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def build_curve_tables(results: Sequence[AnalysisResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ceac, evpi) tables over each analysis's threshold grid."""
    ceac, evpi = [], []
    for result in results:
        curves = result.curves
        if result.status != STATUS_OK or curves is None:
            continue
        common = {"analysis": result.spec.name, "effect": result.spec.effect, "threshold_gbp": curves.thresholds,
                  "threshold_unit": result.threshold_label}
        ceac.append(pd.DataFrame({**common, "prob_cost_effective": curves.probability_cost_effective,
                                  "prob_cost_effective_display": [format_probability(p, curves.n_draws)
                                                                  for p in curves.probability_cost_effective],
                                  "expected_inb_gbp": curves.expected_net_benefit,
                                  "frontier_option": curves.frontier_option,
                                  "frontier_probability": curves.frontier_probability, "n_draws": curves.n_draws}))
        evpi.append(pd.DataFrame({**common, "evpi_per_family_gbp": curves.evpi_per_family,
                                  "evpi_population_gbp": curves.evpi_population,
                                  "discounted_families": curves.population_multiplier, "n_draws": curves.n_draws}))
    return (pd.concat(ceac, ignore_index=True) if ceac else pd.DataFrame(),
            pd.concat(evpi, ignore_index=True) if evpi else pd.DataFrame())


def summarise_decisions(base: AnalysisResult, cea: dict[str, Any]) -> dict[str, Any]:
    """summary.json ``evpi`` and ``frontier`` of the base case at its configured thresholds."""
    if base.status != STATUS_OK:
        return {"evpi": {}, "frontier": {}, "evpi_population": {}}
    grid_curves = build_curves(base.replicate_cost, base.replicate_effect, np.asarray(base.thresholds), cea)
    chosen = compute_decision_curves(base.replicate_cost, base.replicate_effect, base.thresholds,
                                     grid_curves.population_multiplier)
    evpi, frontier = {}, {}
    for i, threshold in enumerate(base.thresholds):
        key = threshold_key(threshold)
        evpi[key] = {"per_family_gbp": to_number(chosen.evpi_per_family[i]),
                     "population_gbp": to_number(chosen.evpi_population[i])}
        frontier[key] = {"option": str(chosen.frontier_option[i]),
                         "probability": to_number(chosen.frontier_probability[i]),
                         "probability_display": format_probability(float(chosen.frontier_probability[i]), chosen.n_draws)}
    population = {"families_per_year": float(cea["evpi_population_per_year"]),
                  "horizon_years": int(cea["evpi_horizon_years"]), "discount_rate": float(cea["discount_rate"]),
                  "discounted_families": chosen.population_multiplier,
                  "note": "population and horizon are illustrative settings ([cea] evpi_*), not estimates"}
    return {"evpi": evpi, "frontier": frontier, "evpi_population": population}


def summarise_cost_composition(result: AnalysisResult) -> list[dict[str, Any]]:
    """Per arm: how much of the cost was observed, structurally zero and imputed (see components.py).

    Under component imputation the cell shares come from the cost components; under total-level
    imputation only the cost shares are known (a missing total is imputed whole); under complete
    case everything used was observed.
    """
    method = result.spec.missing_data
    if result.mi is None:
        return [{"arm": arm, "method": method, "cost_share_observed": 1.0, "cost_share_imputed": 0.0}
                for arm in ("IPS", "SAU")]
    imputed = result.mi.imputed
    if imputed.composition:
        return [{"arm": arm, "method": method, **{k: to_number(v) if isinstance(v, float) else v for k, v in shares.items()}}
                for arm, shares in imputed.composition.items()]
    arm = result.table["arm"].to_numpy()
    total = imputed.values["cost"]
    rows = []
    for name in ("IPS", "SAU"):
        in_arm = arm == name
        mean_total, mean_imputed = float(total[:, in_arm].mean()), float(imputed.imputed_cost[:, in_arm].mean())
        rows.append({"arm": name, "method": method, "n_families": int(in_arm.sum()),
                     "cost_share_observed": to_number(1 - mean_imputed / mean_total) if mean_total else None,
                     "cost_share_imputed": to_number(mean_imputed / mean_total) if mean_total else None,
                     "mean_cost_imputed_gbp": to_number(mean_imputed)})
    return rows


def build_tipping_point(base: AnalysisResult, cea: dict[str, Any]) -> pd.DataFrame | None:
    """The base case's MNAR tipping-point table at its first threshold (None without imputation)."""
    if base.status != STATUS_OK or base.mi is None or not base.thresholds:
        return None
    table = build_tipping_point_table(base.mi, base.thresholds[0], [float(d) for d in cea["mnar_cost_deltas"]],
                                      [float(d) for d in cea["mnar_effect_deltas"]])
    return table.assign(analysis=base.spec.name, effect=base.spec.effect)


def summarise_tipping_point(base: AnalysisResult, table: pd.DataFrame) -> tuple[list, dict[str, Any]]:
    """summary.json ``tipping_point`` (the rows) and ``tipping_point_summary`` (per arm the smallest
    shift that changes the conclusion)."""
    rows = [{k: (to_number(v) if isinstance(v, float) else (bool(v) if isinstance(v, (bool, np.bool_)) else v))
             for k, v in row.items()} for row in table.to_dict("records")]
    tipping = {}
    for arm in ("IPS", "SAU"):
        changed = table[(table["shifted_arm"] == arm) & table["conclusion_changes"]]
        size = changed[[f"delta_cost_{arm.lower()}", f"delta_effect_{arm.lower()}"]].abs().sum(axis=1)
        tipping[arm] = None if changed.empty else {k: to_number(changed.loc[size.idxmin(), k]) for k in
                                                  (f"delta_cost_{arm.lower()}", f"delta_effect_{arm.lower()}")}
    return rows, {"analysis": base.spec.name, "threshold_gbp": to_number(base.thresholds[0]), "first_change": tipping,
                  "note": "one arm's imputed costs × (1 + delta_cost) and imputed effects + delta_effect; the other arm at MAR"}


def build_curve_sheet(out: Path, withheld: Sequence[str] = ()) -> pd.DataFrame:
    """The acceptability frontier, CEAC and EVPI (per family and population) of every analysis over
    its whole threshold range, from ceac.csv and evpi.csv, the base case first; ``threshold_unit``
    says what each threshold is (GBP per QALY, NICE range; or per year of full capability,
    illustrative). Analyses withheld by disclosure control are left out."""
    frames = []
    for name in ("ceac.csv", "evpi.csv"):
        try:
            frames.append(pd.read_csv(out / name))
        except (FileNotFoundError, pd.errors.EmptyDataError):
            return pd.DataFrame()
    keys = ["analysis", "effect", "threshold_gbp", "threshold_unit", "n_draws"]
    ceac, evpi = frames
    if ceac.empty or evpi.empty:
        return pd.DataFrame()
    curve = ceac.merge(evpi, on=keys, how="inner")
    curve = curve[~curve["analysis"].isin(list(withheld))]
    order = ["analysis", "effect", "threshold_gbp", "threshold_unit", "frontier_option", "frontier_probability",
             "prob_cost_effective", "expected_inb_gbp", "evpi_per_family_gbp", "evpi_population_gbp",
             "discounted_families", "n_draws"]
    return curve[[c for c in order if c in curve.columns]].reset_index(drop=True)


def build_report_tables(out: Path, summary: dict[str, Any], withheld: Sequence[str] = ()) -> dict[str, pd.DataFrame]:
    """Workbook sheets from what ``write_decision_outputs`` wrote: thresholds per outcome, cost
    composition, frontier and EVPI of the base case at the configured thresholds, the frontier and
    EVPI curves over the threshold range (``build_curve_sheet``), tipping point, regression tables."""
    tables = {"thresholds": pd.DataFrame([{"outcome": k, **v} for k, v in summary["thresholds"].items()]),
              "cost_composition": pd.DataFrame([{"analysis": name, "method": entry["method"], "arm": arm, **shares}
                                                for name, entry in summary["cost_composition"].items()
                                                for arm, shares in entry["by_arm"].items()])}
    tables["value_of_information"] = pd.DataFrame([
        {"threshold_gbp": float(key), "threshold_unit": summary["analyses"][0].get("threshold_label", ""),
         "frontier_option": summary["frontier"][key]["option"],
         "frontier_probability": summary["frontier"][key]["probability"],
         "frontier_probability_display": summary["frontier"][key]["probability_display"],
         "evpi_per_family_gbp": value["per_family_gbp"], "evpi_population_gbp": value["population_gbp"]}
        for key, value in summary["evpi"].items()])
    tables["evpi_curve"] = build_curve_sheet(out, withheld)
    for name in ["tipping_point.csv", *summary.get("regression_tables", [])]:
        if (out / name).is_file():
            tables[Path(name).stem] = pd.read_csv(out / name)
    return tables


def write_decision_outputs(out: Path, results: Sequence[AnalysisResult], cea: dict[str, Any],
                           summary: dict[str, Any]) -> list[Path]:
    """Write draws.parquet, ceac.csv and evpi.csv; add thresholds, evpi and frontier to ``summary``."""
    # Flat records (the report renders each key as a table); the lists are thresholds_gbp and
    # capability_thresholds_gbp.
    summary["capability_thresholds_gbp"] = [float(t) for t in cea["capability_thresholds"]]
    summary["thresholds"] = {
        "child_qaly": {"thresholds": ", ".join(f"{t:,.0f}" for t in cea["thresholds"]), "label": QALY_LABEL},
        "parent_yfc": {"thresholds": ", ".join(f"{t:,.0f}" for t in cea["capability_thresholds"]),
                       "label": CAPABILITY_LABEL},
    }
    summary.update(summarise_decisions(results[0], cea))
    summary["cost_composition"] = {
        r.spec.name: {"method": r.spec.missing_data,
                      "by_arm": {row.pop("arm"): {k: v for k, v in row.items() if k != "method"}
                                 for row in summarise_cost_composition(r)}}
        for r in results if r.status == STATUS_OK}
    files = [out / "draws.parquet", out / "ceac.csv", out / "evpi.csv"]
    summary["regression_tables"] = []
    for result in results:
        if result.status == STATUS_OK and result.regression is not None:
            files.append(out / f"regression_{result.spec.name.replace(':', '_').replace('=', '_')}.csv")
            # n_families and n_zero_cost are counts of people: the CSV is shareable, so disclosed
            shareable = disclose_table(files[-1].stem, result.regression, int(cea["suppress_below"]))
            shareable.to_shareable_csv_frame().to_csv(files[-1], index=False)
            summary["regression_tables"].append(files[-1].name)
    tipping = build_tipping_point(results[0], cea)
    if tipping is not None:
        files.append(out / "tipping_point.csv")
        tipping.to_csv(files[-1], index=False)
        summary["tipping_point"], summary["tipping_point_summary"] = summarise_tipping_point(results[0], tipping)
    build_draws_table(results).to_parquet(files[0], index=False)
    ceac, evpi = build_curve_tables(results)
    ceac.to_csv(files[1], index=False)
    evpi.to_csv(files[2], index=False)
    return files
