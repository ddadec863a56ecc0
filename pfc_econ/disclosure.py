"""Disclosure control: the one function every shareable output goes through.

``apply_disclosure_control`` takes a table and the rules saying which columns are counts of
people, which columns are computed from each count, which columns add up to which, and which
columns are free text; it returns a ``DisclosedTable`` whose suppressed cells are empty and
whose ``status`` says why each one was suppressed. The report, the CSV tables, the workbook and
the figures' annotations all render from it, so a count is suppressed everywhere or nowhere.

The rules follow the usual small-cell practice of UK trial and NHS statistics (e.g. NHS Digital's
"suppress 1–7" convention, here with a configurable threshold ``[cea] suppress_below``):

* primary suppression: a count from 1 to ``threshold − 1`` is withheld, and so is every statistic
  computed from it (a mean of three families is three families' data). Zero is shown: it
  discloses nothing about anyone.
* complementary suppression: where columns of a row add up (``n_families = n_ips + n_sau``), one
  withheld cell could be worked out from the others; the smallest other non-zero cell of the
  same sum is withheld too, repeated until no sum has a single withheld cell.
* text: a number in a message ("too few families with data: 3 IPS, 2 SAU") is a count too. Every
  integer from 1 to ``threshold − 1`` in a text column is replaced, and so is every count the row
  withholds, whatever its size; a number that is part of a name, date, decimal or version
  (``kelly_2023``, ``2023/24``, ``0.5``) or a rule ("at least 3 per arm", "fewer than 3") is not a count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

SHOWN, BELOW_THRESHOLD, DERIVED, COMPLEMENTARY = "", "below_threshold", "derived", "complementary"
SUPPRESSED_TEXT = "[suppressed]"
# An integer standing alone: not touching letters, digits, '_', '.', '/', ':', '=', '-' or '+'
# (those make it part of a name, decimal, date, version or code).
COUNT_PATTERN = re.compile(r"(?<![\w.,/:=+\-])(\d+)(?![\w./:=+\-%]|,\d)")
RULE_PATTERN = re.compile(r"\b(?:at (?:least|most)|fewer than|more than|less than|minimum of) \d+")


@dataclass(frozen=True)
class DisclosureRules:
    """What in a table is a count, what is computed from it, what adds up, and what is text.

    Fields:
        counts: (count column, columns computed from it) pairs, e.g. ("n", ("mean", "sd")).
        sums: (total column or None, part columns): the parts add up to the total within a row;
            None when the total is public elsewhere (e.g. the randomised families).
        text: free-text columns whose numbers are counts.
    """

    counts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sums: tuple[tuple[str | None, tuple[str, ...]], ...] = ()
    text: tuple[str, ...] = ()


@dataclass(frozen=True)
class DisclosedTable:
    """A table ready to share.

    Fields:
        frame: the table with every suppressed cell empty (NaN, pd.NA in a count column, None in
            text); numbers stay numbers, counts whole numbers.
        status: same shape; '' for a shown cell, else why it is withheld (below_threshold,
            derived, complementary).
        threshold: counts from 1 to threshold − 1 are withheld.
    """

    frame: pd.DataFrame
    status: pd.DataFrame
    threshold: int
    rules: DisclosureRules = field(default_factory=DisclosureRules)

    @property
    def is_suppressed(self) -> pd.Series:
        """True for each row with at least one withheld cell."""
        return (self.status != SHOWN).any(axis=1)

    def marker(self, row: int, column: str) -> str:
        """How a withheld cell reads in a document: '<5' for a small count, else '[suppressed]'."""
        return f"<{self.threshold}" if self.status.iloc[row][column] == BELOW_THRESHOLD else SUPPRESSED_TEXT

    def to_shareable_csv_frame(self) -> pd.DataFrame:
        """The frame with ``is_suppressed`` and ``suppressed_columns`` (';'-joined) added, so a
        reader of the CSV sees which empty cells were withheld rather than unknown."""
        out = self.frame.copy()
        out["is_suppressed"] = self.is_suppressed.to_numpy()
        out["suppressed_columns"] = [";".join(c for c in self.status.columns if row[c] != SHOWN)
                                     for _, row in self.status.iterrows()]
        return out


def is_small_count(value, threshold: int) -> bool:
    """True for a count from 1 to threshold − 1 (NaN, None and 0 are not small)."""
    if value is None or isinstance(value, str):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return not math.isnan(number) and 0 < number < threshold


def redact_counts(text: str, threshold: int, also: Iterable[int] = ()) -> str:
    """``text`` with every standalone integer from 1 to threshold − 1 shown as '<threshold' and
    every integer in ``also`` (counts withheld elsewhere in the row) shown as '[suppressed]'.
    Numbers inside names, dates, decimals or codes, and rules ("at least 3"), are kept."""
    if not isinstance(text, str) or not text:
        return text
    withheld = {int(v) for v in also}
    protected = [m.span() for m in RULE_PATTERN.finditer(text)]

    def replace(match: re.Match) -> str:
        if any(start <= match.start() < end for start, end in protected):
            return match.group(0)
        value = int(match.group(1))
        if value in withheld and not 0 < value < threshold:
            return SUPPRESSED_TEXT
        return f"<{threshold}" if 0 < value < threshold else match.group(0)

    return COUNT_PATTERN.sub(replace, text)


def apply_disclosure_control(table: pd.DataFrame, threshold: int, rules: DisclosureRules) -> DisclosedTable:
    """The shareable copy of ``table`` under ``rules`` (see the module docstring)."""
    missing = [c for c, _ in rules.counts if c not in table.columns]
    missing += [c for c, derived in rules.counts for c in derived if c not in table.columns]
    missing += [c for total, parts in rules.sums for c in (*parts, *([total] if total else [])) if c not in table.columns]
    missing += [c for c in rules.text if c not in table.columns]
    if missing:
        raise ValueError(f"rules name columns the table lacks: {sorted(set(missing))}")
    frame = table.reset_index(drop=True).copy()
    status = pd.DataFrame(SHOWN, index=frame.index, columns=frame.columns)
    for count, derived in rules.counts:
        small = frame[count].map(lambda v: is_small_count(v, threshold)).astype(bool)
        status.loc[small, count] = BELOW_THRESHOLD
        for column in derived:
            status.loc[small & (status[column] == SHOWN), column] = DERIVED
    for row in frame.index:
        protect_sums(frame, status, row, rules.sums)
    withheld_counts = [c for c, _ in rules.counts] + [c for total, parts in rules.sums for c in (*parts, total) if c]
    for column in rules.text:
        for row in frame.index:
            also = [frame.at[row, c] for c in dict.fromkeys(withheld_counts)
                    if status.at[row, c] != SHOWN and not pd.isna(frame.at[row, c])]
            frame.at[row, column] = redact_counts(frame.at[row, column], threshold, also)
    for column in frame.columns:
        hidden = status[column] != SHOWN
        if hidden.any():
            if pd.api.types.is_integer_dtype(frame[column]):
                frame[column] = frame[column].astype("Int64")  # nullable: counts stay whole numbers
                frame.loc[hidden, column] = pd.NA
            elif pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
                frame[column] = frame[column].astype(float)
                frame.loc[hidden, column] = math.nan
            else:
                frame[column] = frame[column].astype(object)
                frame.loc[hidden, column] = None
    return DisclosedTable(frame, status, threshold, rules)


def protect_sums(frame: pd.DataFrame, status: pd.DataFrame, row: int,
                 sums: Sequence[tuple[str | None, Sequence[str]]]) -> None:
    """Complementary suppression in one row: while a sum has exactly one withheld cell, withhold
    its smallest other non-zero cell (a part before the total)."""
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            cells = list(parts) + ([total] if total else [])
            hidden = [c for c in cells if status.at[row, c] != SHOWN]
            if len(hidden) != 1:
                continue
            shown = [c for c in parts if status.at[row, c] == SHOWN and not pd.isna(frame.at[row, c])]
            candidates = [c for c in shown if float(frame.at[row, c]) != 0] or shown
            if not candidates and total and status.at[row, total] == SHOWN:
                candidates = [total]
            if candidates:
                smallest = min(candidates, key=lambda c: float(frame.at[row, c]))
                status.at[row, smallest] = COMPLEMENTARY
                changed = True
