"""What a run prints at the end: the reconciliation and the headline audit counts."""

from __future__ import annotations

from typing import Callable

import duckdb


def print_run_summary(result, say: Callable[[str], None]) -> None:
    con = duckdb.connect(str(result.database), read_only=True)
    try:
        say("rows in = staged + quarantined, per source table:")
        for source, table, present, rows_in, staged, quarantined, ok in con.execute("""
                select source, source_table, is_present, rows_in, rows_staged, rows_quarantined, is_balanced
                from audit_reconciliation order by source, source_table""").fetchall():
            state = "absent" if not present else ("ok" if ok else "ROWS LOST")
            say(f"  {source:<15} {table:<18} {rows_in:>9,} = {staged:>9,} + {quarantined:>6,}  {state}")
        counts = dict(con.execute("select severity, count(*) from audit_issues group by 1").fetchall())
        say(f"issues: {counts.get('error', 0):,} errors, {counts.get('warning', 0):,} warnings, "
            f"{counts.get('info', 0):,} info (table audit_issues)")
        dropped = con.execute("select count(*) from audit_identifiers").fetchone()[0]
        if dropped:
            say(f"direct identifiers dropped at read: {dropped} column(s) (table audit_identifiers)")
    finally:
        con.close()
