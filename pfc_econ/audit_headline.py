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


COVERAGE_SQL = """
select source, period, arm, count(*) filter (where is_expected) as n_expected,
       count(*) filter (where is_expected and is_received) as n_received,
       count(*) filter (where is_expected and not is_received) as n_not_received,
       bool_and(is_source_present) as is_source_present
from audit_completeness group by all having count(*) filter (where is_expected) > 0
order by source, period desc, arm"""
INSTRUMENTS_SQL = """
select instrument, form, timepoint, n_expected, n_administered, n_expected - n_administered as n_not_administered,
       n_complete, n_scorable
from audit_instruments order by level desc, instrument, form, timepoint desc"""
UNKNOWN_COST_SQL = """
select d.arm, c.perspective, count(*) as n_families,
       count(*) filter (where c.cost_status = 'complete') as n_complete,
       count(*) filter (where c.cost_status = 'partial') as n_partial,
       count(*) filter (where c.cost_status = 'missing') as n_missing,
       count(*) filter (where c.cost_status <> 'complete') / count(*) as unknown_share
from fct_family_costs as c join dim_family as d using (family_id)
where c.period = 'follow_up'
group by all order by d.arm, c.perspective"""


def read_coverage(con):
    """Per source × period × arm: families expected, received and not received (a DataFrame)."""
    return con.execute(COVERAGE_SQL).df()


def read_instrument_completion(con):
    """Per instrument × form × timepoint: persons expected, administered, complete, scorable."""
    return con.execute(INSTRUMENTS_SQL).df()


def read_unknown_cost(con):
    """Per arm × perspective: follow-up cost complete, partial, missing (None without fct_family_costs)."""
    return con.execute(UNKNOWN_COST_SQL).df() if "fct_family_costs" in _tables(con) else None


def coverage_lines(con) -> list[str]:
    """'0 of 7 IPS families covered by NSPCC activity (source absent from this run)', …"""
    lines = []
    for r in read_coverage(con).itertuples():
        what = SOURCE_WORDS.get(r.source, r.source)
        when = f" at {r.period.replace('_', '-')}" if r.source == "questionnaire" else ""
        note = "" if r.is_source_present else " (source absent from this run)"
        lines.append(f"{r.n_received} of {r.n_expected} {r.arm} families covered by {what}{when}{note}")
    return lines


def instrument_lines(con) -> list[str]:
    return [f"{r.instrument:<11} {r.form:<17} {r.timepoint:<10} {r.n_complete:>5} complete, {r.n_scorable:>5} scorable, "
            f"{r.n_administered:>5} administered of {r.n_expected:>5} expected"
            for r in read_instrument_completion(con).itertuples()]


def unknown_lines(con) -> list[str]:
    """Share of cost and of QALY unknown per arm, from fct_family_costs / fct_resource_use /
    fct_family_outcomes; each part only when its mart is in the database."""
    tables, lines = _tables(con), []
    costs = read_unknown_cost(con)
    if costs is not None:
        for r in costs.itertuples():
            lines.append(f"follow-up cost unknown, {r.arm} {r.perspective}: {r.n_partial + r.n_missing} of "
                         f"{r.n_families} families ({r.unknown_share:.0%}; {r.n_partial} partial, "
                         f"{r.n_missing} with no data)")
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
