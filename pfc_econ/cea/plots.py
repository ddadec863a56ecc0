"""CEA figures (matplotlib, Agg backend, PNG): cost distributions, CE plane, CEAC."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pfc_econ.cea.analysis import STATUS_OK, AnalysisResult  # noqa: E402

ARM_COLOURS = {"IPS": "#1b7837", "SAU": "#762a83"}
MAX_PLANE_POINTS = 4000  # replicates drawn on the CE plane (a fixed-seed subsample when more)
EFFECT_LABELS = {"child_qaly": "child QALYs", "parent_yfc": "parent years of full capability"}


def write_note_figure(path: Path, title: str, note: str) -> Path:
    """A figure that says why there is nothing to draw."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, note, ha="center", va="center", wrap=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_cost_distributions(families: pd.DataFrame, path: Path, perspective: str) -> Path:
    """Box plots of follow-up cost per family by category and arm (complete costs only).

    ``families`` has columns family_id, arm, category, cost_gbp (category 'total' included).
    """
    title = f"Follow-up cost per family by category and arm ({perspective}, complete costs)"
    if families.empty:
        return write_note_figure(path, title, "no family has a complete follow-up cost")
    categories = sorted(set(families["category"]) - {"total"}) + ["total"]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(categories)), 4))
    for offset, arm in ((-0.2, "IPS"), (0.2, "SAU")):
        data = [families.loc[(families["category"] == c) & (families["arm"] == arm), "cost_gbp"].to_numpy()
                for c in categories]
        positions = np.arange(len(categories)) + offset
        parts = ax.boxplot([d if len(d) else [np.nan] for d in data], positions=positions, widths=0.35,
                           patch_artist=True, showfliers=True, flierprops={"markersize": 2})
        for box in parts["boxes"]:
            box.set_facecolor(ARM_COLOURS[arm])
            box.set_alpha(0.6)
        ax.plot([], [], color=ARM_COLOURS[arm], linewidth=6, alpha=0.6, label=arm)
    ax.set_xticks(np.arange(len(categories)), [c.replace("_", " ") for c in categories], rotation=30, ha="right")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("cost per family, GBP (symlog scale)")
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_ce_plane(result: AnalysisResult, path: Path) -> Path:
    """Bootstrap replicates of (incremental effect, incremental cost), the point estimate and
    a line per threshold (cost = threshold × effect)."""
    title = f"Cost-effectiveness plane: {result.spec.name}"
    if result.status != STATUS_OK or len(result.replicate_cost) == 0:
        return write_note_figure(path, title, f"not estimable: {result.message}")
    cost, effect = result.replicate_cost, result.replicate_effect
    if len(cost) > MAX_PLANE_POINTS:
        keep = np.random.default_rng(0).choice(len(cost), MAX_PLANE_POINTS, replace=False)
        cost, effect = cost[keep], effect[keep]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(effect, cost, s=3, alpha=0.25, color="#4575b4", label="bootstrap replicates")
    ax.scatter([result.delta_effect], [result.delta_cost], color="black", zorder=3, label="point estimate")
    span = np.nanmax(np.abs(effect)) * 1.1 if len(effect) else 1.0
    xs = np.array([-span, span])
    for threshold, style in zip(result.thresholds, ("--", ":", "-.")):
        ax.plot(xs, threshold * xs, style, color="grey", label=f"£{threshold:,.0f} per unit of effect")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlim(-span, span)
    ax.set_ylim(np.nanmin(cost) - abs(np.nanmin(cost)) * 0.1 - 1, np.nanmax(cost) + abs(np.nanmax(cost)) * 0.1 + 1)
    ax.set_xlabel(f"incremental {EFFECT_LABELS.get(result.spec.effect, result.spec.effect)} (IPS − SAU)")
    ax.set_ylabel("incremental cost, GBP (IPS − SAU)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_acceptability_curves(results: Sequence[AnalysisResult], path: Path) -> Path:
    """CEACs of every estimable analysis with child QALYs as the effect (base case in bold)."""
    drawn = [r for r in results if r.status == STATUS_OK and r.spec.effect == "child_qaly"
             and len(r.ceac_thresholds)]
    if not drawn:
        return write_note_figure(path, "Cost-effectiveness acceptability curve",
                                 "no analysis with child QALYs could be estimated")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in drawn:
        is_base = r.spec.name == "base_case"
        ax.plot(r.ceac_thresholds, r.ceac_probability, linewidth=2.2 if is_base else 1,
                color="black" if is_base else None, alpha=1 if is_base else 0.7, label=r.spec.name)
    for threshold in drawn[0].thresholds:
        ax.axvline(threshold, color="grey", linestyle=":", linewidth=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("willingness to pay per QALY, GBP")
    ax.set_ylabel("probability IPS is cost-effective")
    ax.set_title("Cost-effectiveness acceptability curve", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
