"""`pfc-econ audit RESULTS`: the headline of the audits of an existing results folder.

Per source, families expected and received (by arm); per instrument and timepoint, completion;
the codes that cannot be costed; and, only when the costing and outcome marts exist in the
database, the share of cost and of QALY unknown per arm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import duckdb

from .errors import PfcError

SOURCE_WORDS = {"questionnaire": "parent questionnaire", "nspcc_activity": "NSPCC activity",
                "sau_log": "the SAU log"}


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}


def coverage_lines(con) -> list[str]:
    """'0 of 7 IPS families covered by NSPCC activity (source absent from this run)', …"""
    rows = con.execute("""
        select source, period, arm, count(*) filter (where is_expected) as n_expected,
               count(*) filter (where is_expected and is_received) as n_received,
               bool_and(is_source_present) as is_present
        from audit_completeness group by all having count(*) filter (where is_expected) > 0
        order by source, period desc, arm""").fetchall()
    lines = []
    for source, period, arm, expected, received, present in rows:
        what = SOURCE_WORDS.get(source, source)
        when = f" at {period.replace('_', '-')}" if source == "questionnaire" else ""
        note = "" if present else " (source absent from this run)"
        lines.append(f"{received} of {expected} {arm} families covered by {what}{when}{note}")
    return lines


def instrument_lines(con) -> list[str]:
    rows = con.execute("""
        select instrument, form, timepoint, n_expected, n_administered, n_complete, n_scorable
        from audit_instruments order by level desc, instrument, form, timepoint desc""").fetchall()
    return [f"{instrument:<11} {form:<17} {timepoint:<10} {n_complete:>5} complete, {n_scorable:>5} scorable, "
            f"{n_administered:>5} administered of {n_expected:>5} expected"
            for instrument, form, timepoint, n_expected, n_administered, n_complete, n_scorable in rows]


def unknown_lines(con) -> list[str]:
    """Share of cost and of QALY unknown per arm, from fct_family_costs / fct_resource_use /
    fct_family_outcomes; each part only when its mart is in the database."""
    tables, lines = _tables(con), []
    if "fct_family_costs" in tables:
        for arm, perspective, n, partial, missing in con.execute("""
                select d.arm, c.perspective, count(*), count(*) filter (where c.cost_status = 'partial'),
                       count(*) filter (where c.cost_status = 'missing')
                from fct_family_costs as c join dim_family as d using (family_id)
                where c.period = 'follow_up'
                group by all order by d.arm, c.perspective""").fetchall():
            lines.append(f"follow-up cost unknown, {arm} {perspective}: {partial + missing} of {n} families "
                         f"({(partial + missing) / n:.0%}; {partial} partial, {missing} with no data)")
    else:
        lines.append("cost unknown: not computed (fct_family_costs is not in this database)")
    if "fct_resource_use" in tables:
        for arm, n, unknown in con.execute("""
                select d.arm, count(*), count(*) filter (where r.cost_gbp is null)
                from fct_resource_use as r join dim_family as d using (family_id)
                where r.is_selected group by all order by d.arm""").fetchall():
            lines.append(f"resource-use items without a cost, {arm}: {unknown} of {n} ({unknown / n:.0%})")
    if "fct_family_outcomes" in tables:
        for arm, n, unknown in con.execute("""
                select d.arm, count(*), count(*) filter (where o.child_qaly is null)
                from dim_family as d left join fct_family_outcomes as o using (family_id)
                group by d.arm order by d.arm""").fetchall():
            lines.append(f"child QALY unknown, {arm}: {unknown} of {n} families ({unknown / n:.0%})")
    else:
        lines.append("QALY unknown: not computed (fct_family_outcomes is not in this database)")
    return lines


def print_audit_headline(out_dir: Path, say: Callable[[str], None]) -> None:
    database = Path(out_dir) / "pfc.duckdb"
    if not database.is_file():
        raise PfcError(f"{out_dir}: no pfc.duckdb here (run pfc-econ run --out {out_dir} first)")
    con = duckdb.connect(str(database), read_only=True)
    try:
        if "audit_completeness" not in _tables(con):
            raise PfcError(f"{database}: no audit tables (written by an older pfc-econ?)")
        say("families expected and received, per source:")
        for line in coverage_lines(con):
            say("  " + line)
        say("instrument completion, per form and timepoint:")
        for line in instrument_lines(con):
            say("  " + line)
        uncosted = con.execute("""select count(*), coalesce(sum(n_records), 0) from audit_unit_cost_coverage
                                  where not is_covered""").fetchone()
        say(f"codes without a unit cost or inflation path: {uncosted[0]} ({uncosted[1]} records; "
            "table audit_unit_cost_coverage)")
        for line in unknown_lines(con):
            say(line)
    finally:
        con.close()
