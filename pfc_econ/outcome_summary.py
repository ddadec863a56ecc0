"""Per-timepoint n, mean and SD of every scored instrument in a run's database.

Used to compare the synthetic feasibility demo with the feasibility report's own figures (see
instruments/README.md, "Demo check"). Run: ``python -m pfc_econ.outcome_summary results/pfc.duckdb``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

# (label, table, column, extra filter) — the columns users compare with published summaries
MEASURES = (
    ("ICECAP-A value", "fct_parent_outcomes", "icecap_a_value", "true"),
    ("GHQ-12 Likert (0-36)", "fct_parent_outcomes", "ghq12_likert", "true"),
    ("GHQ-12 GHQ (0-12)", "fct_parent_outcomes", "ghq12_ghq_score", "true"),
    ("BCAP abuse risk (SYNTHETIC key)", "fct_parent_outcomes", "bcap_abuse_risk", "true"),
    ("SDQ total difficulties", "fct_child_outcomes", "sdq_total_difficulties", "true"),
    ("PedsQL total, toddler 2-4", "fct_child_outcomes", "pedsql_total", "pedsql_form = 'toddler_2_4y'"),
    ("PedsQL total, infant 1-12 m", "fct_child_outcomes", "pedsql_total", "pedsql_form = 'infant_1_12m'"),
    ("PedsQL total, infant 13-24 m", "fct_child_outcomes", "pedsql_total", "pedsql_form = 'infant_13_24m'"),
    ("PedsQL total, young child 5-7", "fct_child_outcomes", "pedsql_total", "pedsql_form = 'young_child_5_7y'"),
    ("CHU9D utility", "fct_child_outcomes", "chu9d_utility", "true"),
)


def summarise_outcomes(database: str | Path) -> list[tuple]:
    """Rows of (measure, timepoint, n, mean, sd) from a run's ``pfc.duckdb``."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = []
        for label, table, column, where in MEASURES:
            rows += con.execute(f"""
                select ? as measure, timepoint, count({column}) as n, avg({column}) as mean,
                       stddev_samp({column}) as sd
                from {table} where {where} group by timepoint order by timepoint""", [label]).fetchall()
        return rows
    finally:
        con.close()


def print_outcome_summary(database: str | Path) -> None:
    print(f"| {'measure':<32} | timepoint | n | mean | SD |")
    print("| --- | --- | ---: | ---: | ---: |")
    for measure, timepoint, n, mean, sd in summarise_outcomes(database):
        fmt = (lambda v: "" if v is None else f"{v:.3f}")
        print(f"| {measure:<32} | {timepoint} | {n} | {fmt(mean)} | {fmt(sd)} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m pfc_econ.outcome_summary RESULTS/pfc.duckdb")
    print_outcome_summary(sys.argv[1])
