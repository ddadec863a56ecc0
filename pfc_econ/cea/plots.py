"""CEA figures (matplotlib, Agg backend, PNG): cost distributions, CE plane, CEAC."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pfc_econ.cea.analysis import STATUS_OK, AnalysisResult  # noqa: E402
from pfc_econ.disclosure import redact_counts  # noqa: E402

ARM_COLOURS = {"IPS": "#1b7837", "SAU": "#762a83"}
MAX_PLANE_POINTS = 4000  # replicates drawn on the CE plane (a fixed-seed subsample when more)
EFFECT_LABELS = {"child_qaly": "child QALYs", "parent_yfc": "parent years of full capability"}
EFFECT_UNITS = {"child_qaly": "QALY", "parent_yfc": "year of full capability"}
THRESHOLD_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1)))


def write_note_figure(path: Path, title: str, note: str, suppress_below: int = 0) -> Path:
    """A figure that says why there is nothing to draw (its counts disclosure-controlled)."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, redact_counts(note, suppress_below), ha="center", va="center", wrap=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_cost_distributions(families: pd.DataFrame, path: Path, perspective: str, suppress_below: int = 0) -> Path:
    """Box plots of follow-up cost per family by category and arm (complete costs only).

    ``families`` has columns family_id, arm, category, cost_gbp (category 'total' included). For
    a shareable figure no single family is drawn: whiskers run from the 5th to the 95th
    percentile with no outlying points, and a group of fewer than ``suppress_below`` families is
    left out.
    """
    title = f"Follow-up cost per family by category and arm ({perspective.replace('_', ' ')}, complete costs)"
    if families.empty:
        return write_note_figure(path, title, "no family has a complete follow-up cost")
    categories = sorted(set(families["category"]) - {"total"}) + ["total"]
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(categories)), 4.5), layout="constrained")
    for offset, arm in ((-0.2, "IPS"), (0.2, "SAU")):
        data = [families.loc[(families["category"] == c) & (families["arm"] == arm), "cost_gbp"].to_numpy()
                for c in categories]
        data = [d if len(d) >= max(1, suppress_below) else np.array([np.nan]) for d in data]
        positions = np.arange(len(categories)) + offset
        parts = ax.boxplot(data, positions=positions, widths=0.35, whis=(5, 95), patch_artist=True,
                           showfliers=False, medianprops={"color": "black"})
        for box in parts["boxes"]:
            box.set_facecolor(ARM_COLOURS[arm])
            box.set_alpha(0.6)
        ax.plot([], [], color=ARM_COLOURS[arm], linewidth=6, alpha=0.6, label=arm)
    ax.set_xticks(np.arange(len(categories)), [c.replace("_", " ") for c in categories], rotation=30, ha="right")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_ylabel("cost per family, GBP (symlog scale)")
    ax.set_title(title + "\nboxes: quartiles and median; whiskers: 5th–95th percentile", fontsize=9)
    ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_ce_plane(result: AnalysisResult, path: Path, suppress_below: int = 0, is_withheld: bool = False) -> Path:
    """Bootstrap replicates of (incremental effect, incremental cost), the point estimate and a
    line per threshold (cost = threshold × effect), on axes that always include the origin so
    every threshold line is drawn. ``is_withheld``: the analysis is withheld by disclosure control."""
    title = f"Cost-effectiveness plane: {result.spec.name.replace('_', ' ')}"
    if is_withheld:
        return write_note_figure(path, title, "withheld by disclosure control: an arm has too few families")
    if result.status != STATUS_OK or len(result.replicate_cost) == 0:
        return write_note_figure(path, title, f"not estimable: {result.message}", suppress_below)
    cost, effect = result.replicate_cost, result.replicate_effect
    if len(cost) > MAX_PLANE_POINTS:
        keep = np.random.default_rng(0).choice(len(cost), MAX_PLANE_POINTS, replace=False)
        cost, effect = cost[keep], effect[keep]
    unit = EFFECT_UNITS.get(result.spec.effect, "unit of effect")
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    ax.scatter(effect, cost, s=3, alpha=0.25, color="#4575b4", label="bootstrap replicates", rasterized=True)
    ax.scatter([result.delta_effect], [result.delta_cost], color="black", zorder=3, label="point estimate")
    x_low, x_high = min(0.0, np.nanmin(effect)), max(0.0, np.nanmax(effect))
    y_low, y_high = min(0.0, np.nanmin(cost)), max(0.0, np.nanmax(cost))
    x_pad, y_pad = 0.08 * (x_high - x_low or 1.0), 0.08 * (y_high - y_low or 1.0)
    xs = np.array([x_low - x_pad, x_high + x_pad])
    for threshold, style in zip(result.thresholds, THRESHOLD_STYLES):
        ax.plot(xs, threshold * xs, linestyle=style, color="#444", linewidth=1.1,
                label=f"£{threshold:,.0f} per {unit}")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlim(*xs)
    ax.set_ylim(y_low - y_pad, y_high + y_pad)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_xlabel(f"incremental {EFFECT_LABELS.get(result.spec.effect, result.spec.effect)} (IPS − SAU)")
    ax.set_ylabel("incremental cost per family (IPS − SAU)")
    ax.set_title(title + "\nbelow a threshold line: cost-effective at that threshold", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_acceptability_curves(results: Sequence[AnalysisResult], path: Path,
                              withheld: Sequence[str] = ()) -> Path:
    """CEACs of every estimable, shareable analysis with child QALYs as the effect (base case in
    bold), a vertical marker at each threshold and the base case's probability there."""
    drawn = [r for r in results if r.status == STATUS_OK and r.spec.effect == "child_qaly"
             and len(r.ceac_thresholds) and r.spec.name not in withheld]
    if not drawn:
        return write_note_figure(path, "Cost-effectiveness acceptability curve",
                                 "no shareable analysis with child QALYs could be estimated")
    fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    for r in drawn:
        is_base = r.spec.name == "base_case"
        ax.plot(r.ceac_thresholds, r.ceac_probability, linewidth=2.2 if is_base else 1,
                color="black" if is_base else None, alpha=1 if is_base else 0.7, label=r.spec.name.replace("_", " "))
    first = drawn[0]
    for threshold, style in zip(first.thresholds, THRESHOLD_STYLES):
        ax.axvline(threshold, color="grey", linestyle=style, linewidth=0.9)
        probability = float(np.interp(threshold, first.ceac_thresholds, first.ceac_probability))
        ax.plot([threshold], [probability], "o", color="#c0392b", zorder=4)
        ax.annotate(f"£{threshold:,.0f}/QALY", (threshold, 1.0), textcoords="offset points", xytext=(3, -10),
                    fontsize=7, color="#444")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_xlabel("willingness to pay per QALY")
    ax.set_ylabel("probability IPS is cost-effective")
    ax.set_title("Cost-effectiveness acceptability curve (child QALYs)", fontsize=10)
    ax.legend(fontsize=7, loc="center right")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_value_of_information(ceac: pd.DataFrame, evpi: pd.DataFrame, path: Path, analysis: str = "base_case",
                              thresholds: Sequence[float] = (), unit: str = "QALY") -> Path | None:
    """Two panels over willingness to pay per unit of effect for one analysis: the acceptability
    frontier (probability the option on the frontier is cost-effective, coloured by that option)
    and EVPI per family (left axis) and for the population (right axis: per family × discounted
    families). From ceac.csv and evpi.csv (``outputs.py`` of the CEA); None if either lacks the
    analysis."""
    needed = ({"analysis", "threshold_gbp", "frontier_option", "frontier_probability"},
              {"analysis", "threshold_gbp", "evpi_per_family_gbp", "evpi_population_gbp"})
    if ceac.empty or evpi.empty or not needed[0] <= set(ceac.columns) or not needed[1] <= set(evpi.columns):
        return None
    frontier, value = ceac[ceac["analysis"] == analysis], evpi[evpi["analysis"] == analysis]
    if frontier.empty or value.empty:
        return None
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 6), sharex=True, layout="constrained")
    colours = {"IPS": ARM_COLOURS["IPS"], "SAU": ARM_COLOURS["SAU"]}
    for option, rows in frontier.groupby("frontier_option"):
        top.scatter(rows["threshold_gbp"], rows["frontier_probability"], s=8, label=f"{option} on the frontier",
                    color=colours.get(str(option), "#444"))
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("probability the frontier\noption is cost-effective")
    top.set_title(f"Acceptability frontier and EVPI: {analysis.replace('_', ' ')}", fontsize=10)
    top.legend(fontsize=7)
    money = matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v:,.0f}")
    bottom.plot(value["threshold_gbp"], value["evpi_per_family_gbp"], color="black")
    small = float(value["evpi_per_family_gbp"].max()) < 10  # pence matter below £10 a family
    bottom.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: f"£{v:,.2f}" if small else f"£{v:,.0f}"))
    bottom.set_ylabel("EVPI per family")
    multiplier = float(value["discounted_families"].iloc[0]) if "discounted_families" in value.columns else 0.0
    if multiplier > 0:
        population = bottom.secondary_yaxis("right", functions=(lambda v: v * multiplier, lambda v: v / multiplier))
        population.yaxis.set_major_formatter(money)
        population.set_ylabel(f"population EVPI\n({multiplier:,.0f} discounted families)")
    bottom.set_xlabel(f"willingness to pay per {unit}")
    bottom.xaxis.set_major_formatter(money)
    for ax in (top, bottom):
        for threshold, style in zip(thresholds, THRESHOLD_STYLES):
            ax.axvline(threshold, color="grey", linestyle=style, linewidth=0.9)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
