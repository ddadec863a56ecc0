"""HTML tables of the report: formatted cells, withheld cells marked, wide tables split.

Every table is rendered from a ``DisclosedTable`` (``pfc_econ.disclosure``): a withheld count
reads "<5", a value withheld with it "[suppressed]" (with a tooltip saying why); a value that is
simply unknown reads "—", never "None" or "nan". The 20-odd-column sensitivity table is split
into three tables a page can hold: the analyses, their incremental cost and effect, and net
monetary benefit and P(cost-effective) per threshold (one row per analysis × threshold).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from pfc_econ.cea.formatting import (
    MISSING,
    format_interval,
    format_value,
    humanise,
    infer_kind,
    is_missing,
)
from pfc_econ.disclosure import SHOWN, DisclosedTable

EFFECT_UNITS = {"child_qaly": "QALY", "parent_yfc": "year of full capability"}
EFFECT_PLURALS = {"child_qaly": "QALYs", "parent_yfc": "years of full capability"}
WHY = {"below_threshold": "count below the disclosure threshold",
       "derived": "computed from a count below the disclosure threshold",
       "complementary": "withheld so a suppressed count cannot be worked out from a total"}


def render_cells(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] | None = None,
                 caption: str = "", table_class: str = "") -> str:
    """An HTML table from already-formatted (and already-escaped) cells."""
    numeric = numeric or [False] * len(header)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if n else f"<td>{c}</td>"
                                    for c, n in zip(row, numeric)) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    cls = f' class="{table_class}"' if table_class else ""
    return f'<div class="scroll"><table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def render_disclosed(table: DisclosedTable | pd.DataFrame, columns: Sequence[str] | None = None,
                     kind: Callable[[str, pd.Series], str] | None = None, n_draws: int | None = None,
                     caption: str = "", headers: dict[str, str] | None = None) -> str:
    """A (disclosed) table as HTML: each cell formatted by its kind; withheld cells marked."""
    disclosed = table if isinstance(table, DisclosedTable) else None
    frame = disclosed.frame if disclosed else table
    if frame.empty:
        return "<p><em>no rows</em></p>"
    columns = [c for c in (columns or frame.columns) if c in frame.columns and c != "is_suppressed"]
    kinds = {c: infer_kind(c) for c in columns}
    rows, numeric = [], [kinds[c] not in ("text",) and pd.api.types.is_numeric_dtype(frame[c]) for c in columns]
    for i, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for column in columns:
            status = disclosed.status.iloc[i][column] if disclosed else SHOWN
            if status != SHOWN:
                cells.append(f'<span class="withheld" title="{WHY[status]}">'
                             f"{html.escape(disclosed.marker(i, column))}</span>")
                continue
            k = (kind(column, row) if kind else None) or kinds[column]
            cells.append(html.escape(format_value(row[column], k, n_draws)))
        rows.append(cells)
    names = [(headers or {}).get(c, humanise(c)) for c in columns]
    return render_cells(names, rows, numeric, caption)


def cell(disclosed: DisclosedTable, i: int, column: str, kind: str, n_draws: int | None = None) -> str:
    """One formatted, escaped cell of a disclosed table (its marker when withheld)."""
    if disclosed.status.iloc[i][column] != SHOWN:
        return f'<span class="withheld" title="{WHY[disclosed.status.iloc[i][column]]}">' \
               f"{html.escape(disclosed.marker(i, column))}</span>"
    return html.escape(format_value(disclosed.frame.iloc[i][column], kind, n_draws))


def interval_cell(disclosed: DisclosedTable, i: int, low: str, high: str, kind: str) -> str:
    row, status = disclosed.frame.iloc[i], disclosed.status.iloc[i]
    if status[low] != SHOWN or status[high] != SHOWN:
        return cell(disclosed, i, low, kind)
    return html.escape(format_interval(row[low], row[high], kind))


def n_draws_of(entry: dict[str, Any]) -> int | None:
    """How many joint draws an analysis's probabilities come from (bootstrap × imputations)."""
    if entry.get("n_draws"):
        return int(entry["n_draws"])
    n_boot = entry.get("n_bootstrap") or 0
    return int(n_boot * max(1, entry.get("n_imputations") or 0)) or None


def render_sensitivity(disclosed: DisclosedTable, summaries: Sequence[dict[str, Any]],
                       threshold_note: Callable[[str], str]) -> str:
    """The sensitivity table in three parts (analyses; increments; NMB and P(CE) per threshold)."""
    frame = disclosed.frame
    analyses = render_disclosed(disclosed, ["analysis", "description", "status", "n_families", "n_ips", "n_sau",
                                            "n_excluded", "message"],
                                headers={"description": "what changes from the base case", "n_families": "families used",
                                         "n_ips": "IPS", "n_sau": "SAU", "n_excluded": "excluded",
                                         "message": "method / why not estimable"},
                                caption="Analyses run: one changes one thing from the base case")
    rows = []
    for i in range(len(frame)):
        unit = EFFECT_UNITS.get(frame.iloc[i]["effect"], str(frame.iloc[i]["effect"]))
        rows.append([html.escape(str(frame.iloc[i]["analysis"])),
                     cell(disclosed, i, "incremental_cost_gbp", "money"),
                     interval_cell(disclosed, i, "cost_ci_lower", "cost_ci_upper", "money"),
                     cell(disclosed, i, "incremental_effect", "qaly"),
                     interval_cell(disclosed, i, "effect_ci_lower", "effect_ci_upper", "qaly"),
                     html.escape(EFFECT_PLURALS.get(frame.iloc[i]["effect"], unit)), cell(disclosed, i, "icer", "money"),
                     cell(disclosed, i, "quadrant", "text")])
    increments = render_cells(["analysis", "incremental cost", "95% interval", "incremental effect", "95% interval",
                               "effect in", "ICER (£ per unit of effect)", "quadrant"], rows,
                              [False, True, True, True, True, False, True, False],
                              "Incremental cost and effect (IPS − SAU), adjusted for baseline and site")
    rows = []
    for i, entry in enumerate(summaries):
        unit = EFFECT_UNITS.get(entry["effect"], entry["effect"])
        for key in entry["nmb"]:
            if f"nmb_{key}" not in frame.columns:
                continue
            rows.append([html.escape(entry["name"]), html.escape(f"£{float(key):,.0f} per {unit}")
                         + f'<br><small>{html.escape(threshold_note(entry["effect"]))}</small>',
                         cell(disclosed, i, f"nmb_{key}", "money"),
                         interval_cell(disclosed, i, f"nmb_ci_lower_{key}", f"nmb_ci_upper_{key}", "money")
                         if f"nmb_ci_lower_{key}" in frame.columns else MISSING,
                         cell(disclosed, i, f"prob_ce_display_{key}", "display")
                         if f"prob_ce_display_{key}" in frame.columns and isinstance(frame.iloc[i][f"prob_ce_display_{key}"], str)
                         else cell(disclosed, i, f"prob_ce_{key}", "probability", n_draws_of(entry))])
    per_threshold = render_cells(["analysis", "threshold", "net monetary benefit", "95% interval",
                                  "P(IPS cost-effective)"], rows, [False, False, True, True, True],
                                 "Net monetary benefit (threshold × Δeffect − Δcost) and the probability IPS is "
                                 "cost-effective, at the draws' resolution")
    return analyses + increments + per_threshold


def split_wide(frame: pd.DataFrame, keep: Sequence[str], width: int = 8) -> list[list[str]]:
    """Column groups of at most ``width`` columns, each repeating the ``keep`` columns."""
    rest = [c for c in frame.columns if c not in keep]
    step = max(1, width - len(keep))
    return [list(keep) + rest[i:i + step] for i in range(0, len(rest), step)] or [list(keep)]


def is_blank(value) -> bool:
    return is_missing(value) or value == ""
