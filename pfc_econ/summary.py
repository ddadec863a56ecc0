"""What a run prints at the end: the reconciliation, the headline audit counts, and what to do next."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Callable

import duckdb

from .paths import DATA_DIR


def print_run_summary(result, say: Callable[[str], None], verbose: bool = True) -> None:
    """Rows in = staged + quarantined per source table (one line when every table balances,
    unless ``verbose``), then the issues found and the identifier columns dropped."""
    con = duckdb.connect(str(result.database), read_only=True)
    try:
        rows = con.execute("""
                select source, source_table, is_present, rows_in, rows_staged, rows_quarantined, is_balanced
                from audit_reconciliation order by source, source_table""").fetchall()
        balanced = all(is_balanced or not is_present for _, _, is_present, _, _, _, is_balanced in rows)
        if verbose or not balanced:
            say("rows in = staged + quarantined, per source table:")
            for source, table, present, rows_in, staged, quarantined, ok in rows:
                state = "absent" if not present else ("ok" if ok else "ROWS LOST")
                say(f"  {source:<15} {table:<18} {rows_in:>9,} = {staged:>9,} + {quarantined:>6,}  {state}")
        else:
            present = [r for r in rows if r[2]]
            quarantined = sum(r[5] for r in present)
            say(f"rows in = staged + quarantined for all {len(present)} source tables read "
                f"({sum(r[3] for r in present):,} rows, {quarantined:,} quarantined; table audit_reconciliation)")
        counts = dict(con.execute("select severity, count(*) from audit_issues group by 1").fetchall())
        say(f"issues: {counts.get('error', 0):,} errors, {counts.get('warning', 0):,} warnings, "
            f"{counts.get('info', 0):,} info (table audit_issues)")
        dropped = con.execute("select count(*) from audit_identifiers").fetchone()[0]
        if dropped:
            say(f"direct identifiers dropped at read: {dropped} column(s) (table audit_identifiers)")
    finally:
        con.close()


def print_next_steps(results: Path, say: Callable[[str], None], is_demo: bool = False) -> None:
    """A short "what next" after a run; for the demo, a word that its faults are planted."""
    folder = shlex.quote(str(results))
    if is_demo:
        planted = json.loads((DATA_DIR / "feasibility" / "truth.json").read_text(encoding="utf-8"))["planted"]
        say(f"The demo's data are synthetic, with {len(planted)} faults planted on purpose (ages typed wrongly, "
            "negative minutes, families not on the randomisation list, free text for a code, records outside "
            "the follow-up window); the audits above are expected to report them.")
    say("next:")
    say(f"  pfc-econ audit {folder:<24} the headline audit: what is missing or wrong, by source and arm")
    say(f"  pfc-econ cea {folder:<26} cost-effectiveness analysis, report in {results / 'cea' / 'report.html'}")
    say(f"  {str(results / 'report'):<39} missingness map and instrument completion figures")
    say(f"  {str(results / 'docs' / 'data_dictionary.md'):<39} every table and column of {results / 'pfc.duckdb'}")
