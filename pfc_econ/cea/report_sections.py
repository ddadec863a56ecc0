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

from pfc_econ.cea.report_tables import render_disclosed, split_wide, to_frame

CAPABILITY_NOTE = ("no accepted threshold exists for a year of full capability; the configured thresholds are "
                   "applied for illustration only")


def not_run(what: str, key: str) -> str:
    return (f'<p class="note">{html.escape(what)}: not run (summary.json has no <code>{html.escape(key)}</code> '
            "key; a newer <code>pfc-econ cea</code> writes it).</p>")


def render_key_table(context: dict[str, Any], key: str, caption: str, keep: tuple[str, ...] = ()) -> str:
    """summary.json[key] as one or more disclosed tables (split when wider than eight columns)."""
    frame = to_frame(context["summary"][key], key_name="analysis" if key == "cost_composition" else "key")
    disclosed = context["disclose"](key, frame)
    keep = tuple(c for c in keep if c in frame.columns) or tuple(frame.columns[:1])
    groups = split_wide(frame, keep)
    return "".join(render_disclosed(disclosed, group, caption=caption if i == 0 else f"{caption} (continued)",
                                    n_draws=context.get("n_draws"))
                   for i, group in enumerate(groups))


def threshold_note(summary: dict[str, Any], effect: str) -> str:
    """The label of the thresholds applied to an outcome (from summary.json ``thresholds`` when present)."""
    labelled = summary.get("thresholds")
    if isinstance(labelled, dict):
        entry = labelled.get(effect) or labelled.get({"child_qaly": "qaly", "parent_yfc": "capability"}.get(effect, ""))
        if isinstance(entry, dict) and entry.get("label"):
            return str(entry["label"])
    return CAPABILITY_NOTE if effect == "parent_yfc" else "configured QALY thresholds ([cea] thresholds)"


def render_thresholds(context: dict[str, Any]) -> str:
    """Which thresholds apply to which outcome."""
    summary = context["summary"]
    if isinstance(summary.get("thresholds"), (dict, list)):
        return render_key_table(context, "thresholds", "Thresholds per outcome")
    values = ", ".join(f"£{t:,.0f}" for t in summary.get("thresholds_gbp", []))
    rows = pd.DataFrame([
        {"outcome": "child QALYs", "thresholds": f"{values} per QALY", "basis": threshold_note(summary, "child_qaly")},
        {"outcome": "parent years of full capability", "thresholds": f"{values} per year of full capability",
         "basis": threshold_note(summary, "parent_yfc")}])
    return (render_disclosed(rows) + '<p class="note">Capability thresholds of their own: not run (summary.json '
            "has no <code>thresholds</code> key).</p>")


def render_composition(context: dict[str, Any]) -> str:
    if "cost_composition" not in context["summary"]:
        return not_run("How much of each arm's cost was observed, structurally zero and imputed", "cost_composition")
    return render_key_table(context, "cost_composition",
                            "Share of each arm's cost observed, structurally zero and imputed, per analysis",
                            keep=("analysis", "arm"))


def render_tipping_point(context: dict[str, Any]) -> str:
    if "tipping_point" not in context["summary"]:
        return not_run("Delta-adjusted (pattern-mixture) imputation by arm", "tipping_point")
    return ("<p>Imputed values shifted by delta per arm away from missing at random; the row where the "
            "conclusion changes is flagged.</p>"
            + render_key_table(context, "tipping_point", "Tipping-point table", keep=("delta_cost", "delta_effect")))


def render_value_of_information(context: dict[str, Any], figures: list, embed) -> str:
    summary, parts = context["summary"], []
    parts.append(render_key_table(context, "evpi", "Expected value of perfect information per threshold")
                 if "evpi" in summary else not_run("Expected value of perfect information", "evpi"))
    parts.append(render_key_table(context, "frontier", "Cost-effectiveness acceptability frontier")
                 if "frontier" in summary else not_run("Acceptability frontier", "frontier"))
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
