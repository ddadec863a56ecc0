"""Counting a CSV file's data records without the CSV parser that reads it.

The reconciliation compares rows staged and quarantined against the file itself, so the count
must not come from the reader whose losses it is meant to catch. A record is counted here by
scanning physical lines: a line ends a record unless it ends inside a quoted field (RFC 4180 §2:
a field holding a line break is quoted, a quote opens a field only at its start, and a quote
inside a quoted field is doubled). Blank lines between records are not records (DuckDB's reader
skips them too). A quote opened and never closed leaves the rest of the file inside one field:
the line where it opened is reported, so the error can name it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CsvRecords:
    """What the line scan found after the header lines."""

    n_records: int
    unterminated_line: int | None  # physical line (1-based) where a never-closed quote opened
    start_lines: array = field(default_factory=lambda: array("q"), repr=False)  # first line of each record


def _ends_quoted(line: bytes, in_quote: bool) -> bool:
    """Whether a physical line ends inside a quoted field. A quote opens a field only at the
    field's start (RFC 4180 §2.5); inside, a doubled quote is a literal quote (§2.7)."""
    at_start, i, n = not in_quote, 0, len(line)
    while i < n:
        ch = line[i]
        if in_quote:
            if ch == 0x22:
                if i + 1 < n and line[i + 1] == 0x22:
                    i += 1
                else:
                    in_quote = False
        elif ch == 0x22 and at_start:
            in_quote = True
        at_start = ch == 0x2C and not in_quote
        i += 1
    return in_quote


def count_csv_records(path: Path, header_lines: int) -> CsvRecords:
    """Data records of a CSV file after its first ``header_lines`` physical lines."""
    n_records, line_number, in_quote, opened_at = 0, 0, False, None
    starts = array("q")
    with open(path, "rb") as fh:
        for line in fh:
            line_number += 1
            if line_number <= header_lines:
                continue
            if not in_quote:
                if not line.strip():
                    continue
                opened_at = line_number
            # Fast path: a line with an even number of quotes, outside a quoted field, is a whole
            # record (each quoted field holds an even number); only the others are scanned.
            if in_quote or line.count(b'"') % 2:
                in_quote = _ends_quoted(line, in_quote)
            if not in_quote:
                n_records += 1
                starts.append(opened_at)
    return CsvRecords(n_records + (1 if in_quote else 0), opened_at if in_quote else None, starts)
