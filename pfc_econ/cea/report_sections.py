"""Report sections fed by summary.json keys the CEA may or may not have written, and the audits.

Each ``render_*`` takes the report context; a section whose key is absent says "not run" and
which key it waits for, so the report and the CEA can change in either order (interfaces.md,
"cea ↔ report"). Every table goes through disclosure control first.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from pfc_econ.cea.formatting import format_value, infer_kind
from pfc_econ.cea.report_tables import render_disclosed, split_wide

CAPABILITY_NOTE = ("no accepted threshold exists for a year of full capability; the configured thresholds are "
                   "applied for illustration only")


def not_run(what: str, key: str) -> str:
    return (f'<p class="note">{html.escape(what)}: not run (summary.json has no <code>{html.escape(key)}</code> '
            "key; a newer <code>pfc-econ cea</code> writes it).</p>")


def threshold_note(summary: dict[str, Any], effect: str) -> str:
    """The label of the thresholds applied to an outcome (from summary.json ``thresholds`` when present)."""
    labelled = summary.get("thresholds")
    if isinstance(labelled, dict):
        entry = labelled.get(effect) or labelled.get({"child_qaly": "qaly", "parent_yfc": "capability"}.get(effect, ""))
        if isinstance(entry, dict) and entry.get("label"):
            return str(entry["label"])
    return CAPABILITY_NOTE if effect == "parent_yfc" else "configured QALY thresholds ([cea] thresholds)"


def render_thresholds(context: dict[str, Any]) -> str:
    """Which thresholds apply to which outcome (summary.json ``thresholds``: values_gbp and label per outcome)."""
    summary = context["summary"]
    labelled = summary.get("thresholds") if isinstance(summary.get("thresholds"), dict) else {}
    rows = []
    for effect, name, unit in (("child_qaly", "child QALYs", "QALY"),
                               ("parent_yfc", "parent years of full capability", "year of full capability")):
        entry = labelled.get(effect) if isinstance(labelled.get(effect), dict) else {}
        values = entry.get("values_gbp") or entry.get("values") or summary.get("thresholds_gbp", [])
        rows.append({"outcome": name, "thresholds": ", ".join(f"£{float(t):,.0f}" for t in values) + f" per {unit}",
                     "what they are": threshold_note(summary, effect)})
    note = "" if labelled else ('<p class="note">Capability thresholds of their own: not run (summary.json has '
                                "no <code>thresholds</code> key).</p>")
    return render_disclosed(pd.DataFrame(rows)) + note


def render_composition(context: dict[str, Any]) -> str:
    """summary.json ``cost_composition``: per analysis × arm, shares observed, structurally zero, imputed."""
    composition = context["summary"].get("cost_composition")
    if not composition:
        return not_run("How much of each arm's cost was observed, structurally zero and imputed", "cost_composition")
    rows = []
    for analysis, entry in composition.items():
        by_arm = entry.get("by_arm") if isinstance(entry, dict) else None
        if not by_arm:
            rows.append({"analysis": analysis, "method": str(entry.get("method", "")).replace("_", " "), "arm": "both",
                         "note": entry.get("note", "")})
            continue
        for arm, shares in by_arm.items():
            rows.append({"analysis": analysis, "method": str(entry.get("method", "")).replace("_", " "), "arm": arm,
                         **shares})
    frame = pd.DataFrame(rows)
    disclosed = context["disclose"]("cost_composition", frame)
    headers = {"cells_observed": "cells observed", "cells_structurally_zero": "cells structurally zero",
               "cells_imputed": "cells imputed", "cost_share_observed": "cost observed",
               "cost_share_imputed": "cost imputed", "mean_cost_observed_gbp": "mean observed",
               "mean_cost_imputed_gbp": "mean imputed", "n_families": "families"}
    return ("<p>Cells are family × cost category: observed, structurally zero (no source of the family covers "
            "the category) or imputed; cost shares are of the mean cost per family (mean over imputations).</p>"
            + "".join(render_disclosed(disclosed, group, headers=headers,
                                       caption="Cost composition per analysis and arm" + (" (continued)" if i else ""))
                      for i, group in enumerate(split_wide(frame, ("analysis", "arm"), width=12))))


def render_tipping_point(context: dict[str, Any]) -> str:
    """summary.json ``tipping_point``: the delta grid, and per arm the first shift that changes the conclusion."""
    tipping = context["summary"].get("tipping_point")
    if not tipping:
        return not_run("Delta-adjusted (pattern-mixture) imputation by arm", "tipping_point")
    rows = tipping.get("rows", tipping) if isinstance(tipping, dict) else tipping
    frame = pd.DataFrame(rows)
    keep = [c for c in ("shifted_arm", "delta_cost_ips", "delta_effect_ips", "delta_cost_sau", "delta_effect_sau",
                        "incremental_cost_gbp", "incremental_effect", "inb_gbp", "inb_ci_lower", "inb_ci_upper",
                        "prob_cost_effective_display", "prob_cost_effective", "conclusion_changes") if c in frame.columns]
    if "prob_cost_effective_display" in keep and "prob_cost_effective" in keep:
        keep.remove("prob_cost_effective")
    disclosed = context["disclose"]("tipping_point", frame)
    first = tipping.get("first_change", {}) if isinstance(tipping, dict) else {}
    lines = []
    for arm, shift in first.items():
        if shift is None:
            lines.append(f"{arm}: no shift in the grid changes the conclusion")
        else:
            lines.append(f"{arm}: the conclusion first changes at " + ", ".join(
                f"{k.replace('_', ' ')} {format_value(v, infer_kind(k))}" for k, v in shift.items()))
    threshold = tipping.get("threshold_gbp") if isinstance(tipping, dict) else None
    note = str(tipping.get("note", "")) if isinstance(tipping, dict) else ""
    intro = (f"<p>{html.escape(note[:1].upper() + note[1:])}. Analysis: {html.escape(str(tipping.get('analysis', '')))}"
             + (f", at £{float(threshold):,.0f} per QALY" if threshold else "") + ". Conclusion: the sign of the "
             "expected incremental net benefit (INB); <em>conclusion changes</em> marks a row where it differs "
             "from missing at random (Leurent et al. 2018).</p>") if isinstance(tipping, dict) else ""
    listing = "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>" if lines else ""
    headers = {"prob_cost_effective_display": "P(cost-effective)", "inb_gbp": "INB", "inb_ci_lower": "INB lower",
               "inb_ci_upper": "INB upper"}
    return intro + listing + render_disclosed(disclosed, keep, headers=headers, caption="Tipping-point table",
                                              n_draws=context.get("n_draws"))


def format_pence(value) -> str:
    """Money per family to the penny below £10 (a per-family EVPI is often pence), else whole pounds."""
    if value is None or not isinstance(value, (int, float)) or abs(value) >= 10 or value != value:
        return format_value(value, "money")
    return f"£{value:,.2f}" if value >= 0 else f"−£{-value:,.2f}"


def render_value_of_information(context: dict[str, Any], figures: list, embed) -> str:
    """summary.json ``frontier`` and ``evpi`` (base case, per threshold) and the curves' figure."""
    summary, parts = context["summary"], []
    evpi, frontier = summary.get("evpi") or {}, summary.get("frontier") or {}
    if not evpi and not frontier:
        return not_run("Expected value of perfect information and the acceptability frontier", "evpi")
    rows = []
    base = (summary.get("analyses") or [{}])[0]
    unit = {"child_qaly": "QALY", "parent_yfc": "year of full capability"}.get(base.get("effect"), "QALY")
    for key in [k for k in dict.fromkeys([*frontier, *evpi]) if k != "population"]:
        f, e = frontier.get(key, {}), evpi.get(key, {})
        rows.append({"threshold": f"£{float(key):,.0f} per {unit}", "option on the frontier": f.get("option", ""),
                     "P(option is cost-effective)": f.get("probability_display") or format_value(
                         f.get("probability"), "probability", context.get("n_draws")),
                     "EVPI per family": format_pence(e.get("per_family_gbp")),
                     "EVPI, population": format_value(e.get("population_gbp"), "money")})
    label = base.get("threshold_label") or threshold_note(summary, base.get("effect", "child_qaly"))
    parts.append(render_disclosed(pd.DataFrame(rows), caption="Acceptability frontier and expected value of perfect "
                                                               "information, base case, at the configured thresholds"))
    parts.append(f'<p class="note">Thresholds: {html.escape(label)}. The curves over the whole threshold range '
                 "(per family and population EVPI, the frontier) are in the figure below, in <code>evpi.csv</code> "
                 "and <code>ceac.csv</code>, and on the workbook's <em>evpi_curve</em> sheet.</p>")
    population = evpi.get("population")
    if isinstance(population, dict):
        parts.append(f"<p class=\"note\">Population: {format_value(population.get('families_per_year'), 'count')} "
                     f"families a year for {format_value(population.get('horizon_years'), 'count')} years, "
                     f"discounted at {format_value(population.get('discount_rate'), 'share')} "
                     f"({format_value(population.get('discounted_families'), 'score')} discounted families). "
                     f"{html.escape(str(population.get('note', '')))}.</p>")
    parts += [embed(path, caption) for path, caption in figures]
    return "".join(parts)


def render_regressions(context: dict[str, Any]) -> str:
    names = context["summary"].get("regression_tables")
    if not names:
        return not_run("GLM (gamma, log link) and two-part cost models", "regression_tables")
    parts = []
    for name in names if isinstance(names, list) else list(names):
        path = Path(context["folder"]) / str(name)
        if not path.is_file():
            parts.append(f"<p>{html.escape(str(name))}: listed in summary.json but not in the results folder.</p>")
            continue
        frame = pd.read_csv(path)
        disclosed = context["disclose"]("regression", frame)
        parts += [render_disclosed(disclosed, group, caption=html.escape(path.stem.replace("_", " ")))
                  for group in split_wide(frame, tuple(frame.columns[:2]))]
    return "".join(parts)


def render_audits(context: dict[str, Any], embed) -> str:
    """The audits' headline as tables (coverage, instrument completion, unknown cost) and the chart."""
    tables, figures = context["tables"], context["figures"]["audits"]
    parts = [render_disclosed(tables["coverage"], caption="Families expected and received, per source and period"),
             render_disclosed(tables["instrument_completion"],
                              caption="Instrument completion, per form and timepoint (persons)")]
    if tables.get("unknown_cost") is not None:
        parts.append(render_disclosed(tables["unknown_cost"],
                                      caption="Follow-up cost per family: complete, partly unknown, no data"))
    parts += [embed(path, caption) for path, caption in figures]
    parts.append("<p>The family-level missingness map (one row per family) is in the run's <code>report/</code> "
                 "folder for the data team; it is not part of this shareable report.</p>")
    return "".join(parts)
