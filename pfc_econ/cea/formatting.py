"""How each number of the shareable outputs reads: one set of kinds for the report and the workbook.

A column's kind (count, money, probability, qaly, share, score, text) says how it is written:
money to whole pounds, counts with thousands separators, QALYs and years of full capability to
four decimals, probabilities by one rule (``format_probability``) in the report, the workbook, the
CSVs and summary.json's display strings.

The probability rule: a probability from n joint draws is a share k / n, so it is written to the
decimals of 1 / n (d = ⌈log10 n⌉: 10,000 draws → 4 decimals, 500 → 3), which shows every k / n
apart and nothing finer; 0 of n draws is written "<1/n" and n of n ">1 − 1/n", at the same d
decimals (1/n rounded up, 1 − 1/n rounded down: "<0.0001" / ">0.9999" for 10,000 draws, "<0.004" /
">0.996" for 300), never 0, 1, "0.000" or 2.2e-13. When n is unknown, 3 decimals, and a value
that rounds to 0 or 1 is written "<0.001" / ">0.999". Excel cells keep the number and get a
conditional number format that shows the same text (``excel_format``).
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
    """Decimals of 1 / n_draws (10,000 → 4, 500 → 3, 300 → 3); 3 when unknown."""
    if not n_draws or n_draws < 1:
        return 3
    return max(1, math.ceil(math.log10(n_draws)))


def probability_bounds(n_draws: int | None) -> tuple[float, float]:
    """(lower, upper): what 0 of n and n of n draws are written as, at ``probability_decimals``:
    1/n rounded up and 1 − 1/n rounded down (10,000 → 0.0001, 0.9999; 300 → 0.004, 0.996)."""
    decimals = probability_decimals(n_draws)
    scale = 10 ** decimals
    if not n_draws or n_draws < 1:
        return 1 / scale, 1 - 1 / scale
    return -(-scale // n_draws) / scale, ((n_draws - 1) * scale // n_draws) / scale


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


def format_probability(value, n_draws: int | None = None) -> str:
    """A probability by the module's rule: '<0.0001' for 0 of 10,000 draws, '>0.9999' for all of
    them, otherwise to the draws' decimals ('0.0123'); '—' when unknown."""
    if is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    value, decimals = float(value), probability_decimals(n_draws)
    lower, upper = probability_bounds(n_draws)
    if n_draws and n_draws >= 1:
        draws = round(value * n_draws)
        is_none, is_all = draws <= 0, draws >= n_draws
    else:
        is_none, is_all = round(value, decimals) <= 0, round(value, decimals) >= 1
    if is_none:
        return f"<{lower:.{decimals}f}"
    if is_all:
        return f">{upper:.{decimals}f}"
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
        # The cell keeps its number; the conditions show 0 and all of the draws as the report does.
        decimals = probability_decimals(n_draws)
        lower, upper = probability_bounds(n_draws)
        half = 0.5 / n_draws if n_draws and n_draws >= 1 else 0.5 * 10.0 ** -decimals
        return (f'[<{half:.10g}]"<{lower:.{decimals}f}";[>{1 - half:.10g}]">{upper:.{decimals}f}";'
                f"0.{'0' * decimals}")
    return EXCEL_FORMATS.get(kind, "General")


def humanise(name: str) -> str:
    """A column or key name as a heading: 'incremental_cost_gbp' → 'incremental cost (GBP)'."""
    text = re.sub(r"_gbp$", " (GBP)", str(name))
    return text.replace("_", " ")
