"""The shareable Excel workbook (openpyxl): a Contents sheet, a Notes sheet, then one sheet per table.

Every number is a typed number with a number format from its kind (``formatting``); headers are
bold and frozen, every sheet has a filter and columns sized to their contents; a cell withheld by
disclosure control (``pfc_econ.disclosure``) is empty and carries a comment saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from pfc_econ.cea.formatting import excel_format, infer_kind, is_missing
from pfc_econ.disclosure import BELOW_THRESHOLD, COMPLEMENTARY, DisclosedTable

MAX_WIDTH = 60
REASONS = {BELOW_THRESHOLD: "suppressed: a count from 1 to {below} (disclosure control)",
           COMPLEMENTARY: "suppressed so that a withheld count cannot be worked out from a total "
                          "(complementary suppression)",
           "derived": "suppressed: computed from a count from 1 to {below} (disclosure control)"}


@dataclass(frozen=True)
class LineChart:
    """A native Excel line chart of the first ``n_rows`` rows of a sheet, placed beside the table.

    Fields:
        title: chart title.
        x: column of the x values; x_title its axis title.
        y: columns drawn as lines (one series each, named by the column); y_title the axis title.
        n_rows: how many data rows (from the first) the chart covers.
    """

    title: str
    x: str
    x_title: str
    y: tuple[str, ...]
    y_title: str
    n_rows: int


@dataclass(frozen=True)
class Sheet:
    """One table of the workbook.

    Fields:
        name: sheet name (at most 31 characters).
        description: one line for the Contents sheet.
        table: a DisclosedTable (suppressed cells get a comment) or a plain DataFrame.
        kind: the kind of a column given its name and row (default: from the column's name).
    """

    name: str
    description: str
    table: DisclosedTable | pd.DataFrame
    kind: Callable[[str, pd.Series], str] | None = None
    chart: LineChart | None = None


def add_line_chart(ws, columns: Sequence[str], chart: LineChart) -> None:
    """Draw ``chart`` from the sheet's own cells (so it stays true to the table)."""
    if chart.n_rows < 2 or chart.x not in columns:
        return
    plot = ScatterChart()
    plot.title, plot.style, plot.height, plot.width = chart.title, 13, 9, 18
    plot.x_axis.title, plot.y_axis.title = chart.x_title, chart.y_title
    x = Reference(ws, min_col=columns.index(chart.x) + 1, min_row=2, max_row=chart.n_rows + 1)
    for name in chart.y:
        if name in columns:
            j = columns.index(name) + 1
            series = Series(Reference(ws, min_col=j, min_row=1, max_row=chart.n_rows + 1), x, title_from_data=True)
            series.marker.symbol = "none"
            plot.series.append(series)
    ws.add_chart(plot, f"{get_column_letter(len(columns) + 2)}2")


def to_cell_value(value):
    """A value openpyxl writes as a typed cell: NaN/None empty, numpy scalars as Python numbers."""
    if is_missing(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, (list, tuple, dict)):
        return "; ".join(map(str, value)) if not isinstance(value, dict) else str(value)
    return value


def write_sheet(book: Workbook, sheet: Sheet, n_draws: int | None) -> int:
    """Write one table; returns its number of rows."""
    ws = book.create_sheet(sheet.name[:31])
    disclosed = sheet.table if isinstance(sheet.table, DisclosedTable) else None
    frame = disclosed.frame if disclosed else sheet.table
    columns = list(frame.columns)
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=False)
    widths = [len(str(c)) for c in columns]
    for i, (_, row) in enumerate(frame.iterrows()):
        for j, column in enumerate(columns):
            value = to_cell_value(row[column])
            cell = ws.cell(row=i + 2, column=j + 1, value=value)
            kind = sheet.kind(column, row) if sheet.kind else infer_kind(column)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cell.number_format = excel_format(kind, n_draws)
                widths[j] = max(widths[j], len(f"{value:,.0f}") + 5)
            elif value is not None:
                widths[j] = max(widths[j], min(len(str(value)), MAX_WIDTH))
            status = disclosed.status.iat[i, j] if disclosed else ""
            if status:
                cell.comment = Comment(REASONS[status].format(below=disclosed.threshold - 1), "pfc-econ")
    for j, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = min(MAX_WIDTH, width + 2)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(frame) + 1)}"
    if sheet.chart is not None:
        add_line_chart(ws, columns, sheet.chart)
    return len(frame)


def write_text_sheet(book: Workbook, name: str, header: Sequence[str], rows: Sequence[Sequence], index: int) -> None:
    ws = book.create_sheet(name, index)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    for j in range(len(header)):
        longest = max([len(str(r[j])) for r in rows if len(r) > j] + [len(header[j])])
        ws.column_dimensions[get_column_letter(j + 1)].width = min(100, longest + 2)
    ws.freeze_panes = "A2"


def write_workbook(path: Path, sheets: Sequence[Sheet], notes: Sequence[str], n_draws: int | None = None) -> Path:
    """The workbook: Contents (each sheet, what it holds, its rows), Notes, then the tables."""
    book = Workbook()
    book.remove(book.active)
    n_rows = [write_sheet(book, sheet, n_draws) for sheet in sheets]
    contents = [("Notes", "how to read this workbook: suppression, prices, sources", len(notes))]
    contents += [(s.name[:31], s.description, n) for s, n in zip(sheets, n_rows)]
    write_text_sheet(book, "Notes", ["note"], [[n] for n in notes], 0)
    write_text_sheet(book, "Contents", ["sheet", "what it holds", "rows"], contents, 0)
    ws = book["Contents"]
    for i, (name, _, _) in enumerate(contents, start=2):
        ws.cell(row=i, column=1).hyperlink = f"#'{name}'!A1"
        ws.cell(row=i, column=1).font = Font(color="0563C1", underline="single")
    book.save(path)
    return path
