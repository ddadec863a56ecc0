"""The audit pictures, drawn from tables of the run's database (matplotlib, Agg backend):

* ``missingness_map.png`` from ``audit_missingness_map``: family × (source · period, instrument ·
  timepoint), one panel per arm, each cell coloured by status;
* ``instrument_completion.png`` from ``audit_instruments``: per instrument, form and timepoint, the
  share of expected persons with the instrument administered, scorable and complete (bars side by
  side, 0–1; the CEA report draws it again from the disclosure-controlled counts).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MAX_NAMED_FAMILIES = 60  # above this the map shows one unnamed pixel row per family
STATUS_COLOURS = {  # worst first; colour-blind-safe (Okabe–Ito) with greys for "not expected"
    "source_absent": "#000000", "missing": "#D55E00", "not_administered": "#E69F00",
    "not_scorable": "#F0E442", "incomplete": "#56B4E9", "scorable": "#0072B2", "complete": "#009E73",
    "unexpected": "#CC79A7", "not_applicable": "#DDDDDD", "not_expected": "#F5F5F5",
}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def draw_missingness_map(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Family × source/instrument map, coloured by status, one panel per arm."""
    plt = _pyplot()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch
    import numpy as np
    columns = [r[1] for r in con.execute(
        "select distinct map_group, map_column from audit_missingness_map order by map_group desc, map_column").fetchall()]
    statuses = list(STATUS_COLOURS)
    # one row per cell with its arm, its family's position within the arm (by id) and the indices of
    # its column and status, so that the grid is filled by numpy, not cell by cell in Python
    unknown = con.execute("select distinct status from audit_missingness_map where list_position(?, status) is null",
                          [statuses]).fetchall()
    if unknown:
        raise ValueError(f"audit_missingness_map: status {unknown[0][0]!r} has no colour in STATUS_COLOURS")
    cells = con.execute("""
        select arm, dense_rank() over (partition by arm order by family_id) - 1 as family_index,
               list_position(?, map_column) - 1 as column_index, list_position(?, status) - 1 as status_index
        from audit_missingness_map""", [columns, statuses]).fetchnumpy()
    families = dict(con.execute("""select arm, list(distinct family_id order by family_id)
                                   from audit_missingness_map group by arm""").fetchall())
    arms = sorted(families) or ["(no families)"]
    families_of = {arm: families.get(arm, []) for arm in arms}
    # A trial has thousands of families: one pixel row each, no names, and a bounded figure.
    is_large = max(len(f) for f in families_of.values()) > MAX_NAMED_FAMILIES
    heights = [max(1, len(families_of[arm])) for arm in arms]
    height = 3 + (6 if is_large else 0.2 * sum(heights)) + 0.5 * len(arms)
    fig, axes = plt.subplots(len(arms), 1, squeeze=False, sharex=True, layout="constrained",
                             figsize=(max(7, 0.3 * len(columns) + 4), height),
                             gridspec_kw={"height_ratios": heights})
    cmap = ListedColormap([STATUS_COLOURS[s] for s in statuses])
    for ax, arm in zip(axes[:, 0], arms):
        families = families_of[arm]
        grid = np.full((len(families), len(columns)), np.nan)
        here = cells["arm"] == arm
        grid[cells["family_index"][here], cells["column_index"][here]] = cells["status_index"][here]
        ax.imshow(grid if grid.size else [[float("nan")]], aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(statuses) - 0.5,
                  interpolation="nearest")
        if is_large:
            ax.set_yticks([])
        else:
            ax.set_yticks(range(len(families)), families, fontsize=6)
        ax.set_xticks(range(len(columns)), columns if ax is axes[-1, 0] else [], rotation=90, fontsize=7)
        ax.set_title(f"{arm}: {len(families)} families" + (" (one row each, by id)" if is_large else ""),
                     fontsize=9, loc="left")
    fig.legend(handles=[Patch(color=STATUS_COLOURS[s], label=s.replace("_", " ")) for s in statuses],
               loc="outside right upper", fontsize=7, frameon=False)
    fig.suptitle("What data each family has: sources and instruments", fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


COMPLETION_BARS = (("n_administered", "#E69F00", "administered"), ("n_scorable", "#56B4E9", "scorable"),
                   ("n_complete", "#009E73", "complete"))


def draw_instrument_completion(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Bars per instrument × form × timepoint: administered, scorable and complete shares."""
    from .audit_headline import read_instrument_completion
    return plot_instrument_completion(read_instrument_completion(con), path)


def plot_instrument_completion(table, path: Path, withheld=None, marker: str = "") -> Path:
    """Three bars side by side per instrument × form × timepoint, each a share (0–1) of the persons
    expected: administered, scorable, complete. Side by side, not stacked: they overlap rather than
    add up (a BCAP form can be complete yet not scorable, when an answer is 'not sure').

    ``table`` has instrument, form, timepoint, n_expected and the three counts; ``withheld`` (same
    shape, True = suppressed by disclosure control) leaves a bar out and writes ``marker`` instead.
    """
    plt = _pyplot()
    n = len(table)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.42 * max(n, 1)), layout="constrained")
    height = 0.26
    for k, (column, colour, label) in enumerate(COMPLETION_BARS):
        labelled = False  # the first bar drawn carries the legend's label (the first row may be withheld)
        for i, row in enumerate(table.itertuples(index=False)):
            y = i + (k - 1) * height
            hidden = withheld is not None and (bool(withheld.iloc[i][column]) or bool(withheld.iloc[i]["n_expected"]))
            if hidden:
                ax.text(0.01, y, marker or "suppressed", va="center", fontsize=6, color="#555")
                continue
            expected = getattr(row, "n_expected")
            share = getattr(row, column) / expected if expected else 0.0
            ax.barh(y, share, height=height, color=colour, label=None if labelled else label)
            labelled = True
    labels = []
    for i, row in enumerate(table.itertuples(index=False)):
        expected = marker if withheld is not None and bool(withheld.iloc[i]["n_expected"]) else f"{row.n_expected:,}"
        labels.append(f"{row.instrument} {row.form} · {row.timepoint} (of {expected})")
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("share of persons expected to complete the form")
    if ax.get_legend_handles_labels()[0]:  # none when every row is withheld, or there are no rows
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False)
    ax.set_title("Instrument completion", fontsize=10, loc="right")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def draw_audit_figures(con: duckdb.DuckDBPyConnection, report_dir: Path) -> list[Path]:
    """Both audit pictures as PNG in ``report_dir``."""
    report_dir.mkdir(parents=True, exist_ok=True)
    return [draw_missingness_map(con, report_dir / "missingness_map.png"),
            draw_instrument_completion(con, report_dir / "instrument_completion.png")]
