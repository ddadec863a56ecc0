"""How each number of the shareable outputs reads: one set of kinds for the report and the workbook.

A column's kind (count, money, probability, qaly, share, score, text) says how it is written:
money to whole pounds, counts with thousands separators, QALYs and years of full capability to
four decimals, probabilities to the resolution of the draws they come from (10,000 draws resolve
0.0001; a proportion of 0 or 1 of the draws is written "< 0.0001" / "> 0.9999", never 0 or 2.2e-13).
"""

from __future__ import annotations

import math
import re

import pandas as pd

KINDS = ("count", "money", "probability", "qaly", "share", "score", "text", "display")
EXCEL_FORMATS = {"count": "#,##0", "money": '"£"#,##0;-"£"#,##0', "qaly": "0.0000", "share": "0%",
                 "score": "0.000", "text": "@", "display": "@"}
MISSING = "—"


def infer_kind(column: str) -> str:
    """The kind of a column from its name (the project's naming rules: money is *_gbp, counts n_*)."""
    name = column.lower()
    if name in ("n", "count") or name.startswith("n_") or name.endswith("_n"):
        return "count"
    if name.startswith(("prob", "p_ce", "probability")) or name.endswith("probability"):
        return "display" if name.endswith("_display") else "probability"
    if "share" in name or name.startswith(("pct", "cells_")):
        return "share"
    if name.startswith("delta_cost_") and not name.endswith("_gbp"):
        return "share"  # a delta-adjustment of imputed costs: a proportion (× (1 + delta))
    if name.startswith("delta_effect_"):
        return "qaly"
    if name.endswith("_gbp") or name.startswith(("cost", "incremental_cost", "nmb", "icer", "evpi", "inb")) \
            or "_gbp_" in name:
        return "money"
    if "qaly" in name or "effect" in name or "yfc" in name:
        return "qaly"
    return "score"


def probability_decimals(n_draws: int | None) -> int:
    """Decimals a probability from ``n_draws`` draws can resolve (10,000 → 4); 3 when unknown."""
    if not n_draws or n_draws < 1:
        return 3
    return max(1, math.ceil(math.log10(n_draws)))


def is_missing(value) -> bool:
    """None, NaN and pandas' NA / NaT: a value the table does not know."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, str)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_probability(value, n_draws: int | None) -> str:
    """A probability at the draws' resolution: '< 0.0001' below one draw in 10,000, '> 0.9999' above."""
    if is_missing(value):
        return MISSING
    decimals = probability_decimals(n_draws)
    step = 10.0 ** -decimals
    if value < step:
        return f"< {step:.{decimals}f}" if value > 0 or n_draws else f"{0:.{decimals}f}"
    if value > 1 - step:
        return f"> {1 - step:.{decimals}f}"
    return f"{value:.{decimals}f}"


def format_money(value) -> str:
    """'£1,310', '−£42' (whole pounds)."""
    if is_missing(value):
        return MISSING
    rounded = round(float(value))
    return f"−£{-rounded:,}" if rounded < 0 else f"£{rounded:,}"


def format_value(value, kind: str, n_draws: int | None = None) -> str:
    """One cell as text for the report."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind in ("text", "display") or isinstance(value, str):
        return str(value)
    if kind == "count":
        return f"{int(round(float(value))):,}"
    if kind == "money":
        return format_money(value)
    if kind == "probability":
        return format_probability(float(value), n_draws)
    if kind == "qaly":
        return f"{float(value):.4f}".replace("-", "−")
    if kind == "share":
        return f"{float(value):.0%}".replace("-", "−")
    number = float(value)
    if number == int(number) and abs(number) < 1e9:
        return f"{int(number):,}"
    return (f"{number:,.1f}" if abs(number) >= 100 else f"{number:.3f}").replace("-", "−")


def format_interval(low, high, kind: str) -> str:
    """'£895 to £1,724' (or '—' when either end is unknown)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{format_value(low, kind)} to {format_value(high, kind)}"


def excel_format(kind: str, n_draws: int | None = None) -> str:
    """The Excel number format of a kind (probabilities to the draws' resolution)."""
    if kind == "probability":
        return "0." + "0" * probability_decimals(n_draws)
    return EXCEL_FORMATS.get(kind, "General")


def humanise(name: str) -> str:
    """A column or key name as a heading: 'incremental_cost_gbp' → 'incremental cost (GBP)'."""
    text = re.sub(r"_gbp$", " (GBP)", str(name))
    return text.replace("_", " ")
