"""Human-readable CEA tables from the results database, and small-cell suppression for sharing.

Every table is one SQL query over the marts (DuckDB aggregates; pandas only holds the small
result): costs by arm (each perspective, period and category), outcomes by arm (QALYs, years
of full capability), the cost-consequence table (every outcome by arm and timepoint next to
costs), the costing notes (price year, currency, inflation indices, unit-cost sources) and the
sensitivity table built from the analysis results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

COST_BY_ARM_SQL = """
with complete as (
    select family_id, arm, period, perspective, total_cost_gbp, known_cost_gbp, cost_status
    from fct_family_costs
),
by_category as (
    select family_id, period, perspective, category, sum(cost_gbp) as cost_gbp
    from fct_family_cost_breakdown
    group by all
),
categories as (
    select distinct perspective, category from fct_family_cost_breakdown
),
rows as (
    select c.perspective, c.period, k.category, c.arm, 'complete_cost' as basis,
           coalesce(b.cost_gbp, 0) as cost_gbp
    from complete as c
    join categories as k using (perspective)
    left join by_category as b using (family_id, period, perspective, category)
    where c.cost_status = 'complete'
    union all
    select perspective, period, 'total', arm, 'complete_cost', total_cost_gbp
    from complete where cost_status = 'complete'
    union all
    select perspective, period, 'total', arm, 'known_cost_lower_bound', known_cost_gbp
    from complete where cost_status <> 'missing'
)
select perspective, period, category, basis, arm,
       count(*) as n, avg(cost_gbp) as mean, stddev_samp(cost_gbp) as sd
from rows
group by perspective, period, category, basis, arm
order by perspective, period, basis, (category = 'total'), category, arm
"""

OUTCOMES_BY_ARM_SQL = """
with outcomes as (
    select * from fct_family_outcomes
),
long as (
    unpivot outcomes on child_qaly, parent_yfc, baseline_child_utility, baseline_parent_capability
    into name variable value value
)
select variable, arm, count(value) as n, avg(value) as mean, stddev_samp(value) as sd
from long
group by all
order by variable, arm
"""

CONSEQUENCES_SQL = """
with index_children as (
    select o.*, f.arm
    from fct_child_outcomes as o
    join dim_family as f on o.person_id = f.index_child_id
),
parents as (
    select o.*, f.arm
    from fct_parent_outcomes as o
    join dim_family as f using (family_id)
),
child_long as (
    unpivot (select arm, timepoint, pedsql_total, chu9d_utility, sdq_total_difficulties from index_children)
    on pedsql_total, chu9d_utility, sdq_total_difficulties into name outcome value value
),
parent_long as (
    unpivot (select arm, timepoint, ghq12_likert, icecap_a_value, bcap_abuse_risk from parents)
    on ghq12_likert, icecap_a_value, bcap_abuse_risk into name outcome value value
),
cost_long as (
    select arm,
           case period when 'pre_baseline' then 'baseline' else 'follow_up' end as timepoint,
           'cost_gbp_' || perspective as outcome, total_cost_gbp as value
    from fct_family_costs where cost_status = 'complete'
),
all_rows as (
    select 'index child' as measured_on, * from child_long
    union all select 'parent', * from parent_long
    union all select 'family', * from cost_long
)
select measured_on, outcome, timepoint,
       count(value) filter (where arm = 'IPS') as ips_n,
       avg(value) filter (where arm = 'IPS') as ips_mean,
       stddev_samp(value) filter (where arm = 'IPS') as ips_sd,
       count(value) filter (where arm = 'SAU') as sau_n,
       avg(value) filter (where arm = 'SAU') as sau_mean,
       stddev_samp(value) filter (where arm = 'SAU') as sau_sd
from all_rows
group by measured_on, outcome, timepoint
order by (measured_on = 'family'), measured_on, outcome, timepoint
"""

UNIT_COST_SOURCES_SQL = """
select u.source as unit_cost_source, count(distinct u.unit_cost_id) as n_unit_costs,
       count(*) as n_items_costed, string_agg(distinct u.inflation_index, '; ') as inflation_indices
from fct_resource_use as r
join stg_unit_costs as u using (unit_cost_id)
group by all
order by n_items_costed desc
"""

INFLATION_SQL = """
select distinct i.index_code, i.source
from stg_inflation_indices as i
where i.index_code in (select distinct inflation_index from stg_unit_costs
                       where unit_cost_id in (select unit_cost_id from fct_resource_use))
order by 1
"""


def read_cost_by_arm(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """n, mean and SD of cost per perspective × period × category × arm (complete costs), and
    of the known cost (a lower bound) of every family with any cost data."""
    return con.execute(COST_BY_ARM_SQL).df()


def read_outcomes_by_arm(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """n, mean and SD of child QALYs, parent years of full capability and their baselines per arm."""
    return con.execute(OUTCOMES_BY_ARM_SQL).df()


def read_cost_consequences(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every outcome (PedsQL, CHU9D, SDQ of the index child; GHQ-12, ICECAP-A, BCAP of parents)
    by arm and timepoint, next to complete costs of each perspective and period."""
    return con.execute(CONSEQUENCES_SQL).df()


def read_costing_notes(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> dict[str, Any]:
    """Price year, currency, inflation indices and unit-cost sources of the run."""
    return {
        "currency": "GBP",
        "price_year": manifest.get("target_price_year"),
        "inflation_indices": con.execute(INFLATION_SQL).df(),
        "unit_cost_sources": con.execute(UNIT_COST_SOURCES_SQL).df(),
        "unit_cost_library": manifest.get("unit_cost_library"),
    }


def build_sensitivity_table(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per analysis (base case first) from summary.json entries."""
    rows = []
    for s in summaries:
        row = {"analysis": s["name"], "description": s["description"], "status": s["status"],
               "n_families": s["n_families"], "n_ips": s["n_intervention"], "n_sau": s["n_control"],
               "n_excluded": s["n_excluded"],
               "incremental_cost_gbp": s["incremental_cost_gbp"],
               "cost_ci_lower": s["incremental_cost_ci"][0], "cost_ci_upper": s["incremental_cost_ci"][1],
               "incremental_effect": s["incremental_qaly"],
               "effect_ci_lower": s["incremental_qaly_ci"][0], "effect_ci_upper": s["incremental_qaly_ci"][1],
               "effect": s["effect"], "icer": s["icer"], "quadrant": s["quadrant"]}
        for key, value in s["nmb"].items():
            row[f"nmb_{key}"] = value
        # P(cost-effective) as the draws resolve it ("<0.0001" rather than 0 or 2e-13).
        display = s.get("prob_cost_effective_display") or {}
        for key, value in s["prob_cost_effective"].items():
            row[f"prob_ce_{key}"] = display.get(key) or value
        row["threshold_unit"] = s.get("threshold_label", "")
        row["message"] = s["message"]
        rows.append(row)
    return pd.DataFrame(rows)


def suppress_small_cells(table: pd.DataFrame, threshold: int,
                         groups: Sequence[tuple[str, Sequence[str]]]) -> pd.DataFrame:
    """Shareable copy of ``table``: a count below ``threshold`` becomes '<threshold' and the
    statistics computed from it are blanked. ``groups`` pairs each count column with the columns
    derived from it, e.g. [("n", ["mean", "sd"])]. Zero counts stay (they disclose nothing).
    A column ``is_suppressed`` marks the rows changed.
    """
    out = table.astype(object).copy()
    flagged = np.zeros(len(out), dtype=bool)
    for count_column, derived in groups:
        counts = pd.to_numeric(table[count_column], errors="coerce")
        small = ((counts > 0) & (counts < threshold)).to_numpy()
        out.loc[small, count_column] = f"<{threshold}"
        for column in derived:
            out.loc[small, column] = None
        flagged |= small
    out["is_suppressed"] = flagged
    return out


SUPPRESSION_GROUPS = {
    "cost_by_arm": [("n", ["mean", "sd"])],
    "outcomes_by_arm": [("n", ["mean", "sd"])],
    "cost_consequences": [("ips_n", ["ips_mean", "ips_sd"]), ("sau_n", ["sau_mean", "sau_sd"])],
}
SENSITIVITY_DERIVED = ["incremental_cost_gbp", "cost_ci_lower", "cost_ci_upper", "incremental_effect",
                       "effect_ci_lower", "effect_ci_upper", "icer"]


def suppress_sensitivity_table(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Shareable sensitivity table: an analysis with an arm of fewer than ``threshold`` (but
    more than 0) families shows its counts as '<threshold' and no estimates."""
    out = table.astype(object).copy()
    small = np.zeros(len(out), dtype=bool)
    for column in ("n_ips", "n_sau"):
        counts = pd.to_numeric(table[column], errors="coerce")
        small |= ((counts > 0) & (counts < threshold)).to_numpy()
    derived = SENSITIVITY_DERIVED + [c for c in table.columns if c.startswith(("nmb_", "prob_ce_"))]
    for column in ("n_families", "n_ips", "n_sau", "n_excluded"):
        out.loc[small, column] = f"<{threshold}"
    for column in derived:
        out.loc[small, column] = None
    out["is_suppressed"] = small
    return out


COST_PER_FAMILY_SQL = """
with complete as (
    select family_id, arm, total_cost_gbp from fct_family_costs
    where period = 'follow_up' and perspective = $perspective and cost_status = 'complete'
),
categories as (
    select distinct category from fct_family_cost_breakdown where perspective = $perspective
),
by_category as (
    select family_id, category, sum(cost_gbp) as cost_gbp from fct_family_cost_breakdown
    where period = 'follow_up' and perspective = $perspective
    group by all
)
select c.family_id, c.arm, k.category, coalesce(b.cost_gbp, 0) as cost_gbp
from complete as c cross join categories as k
left join by_category as b using (family_id, category)
union all
select family_id, arm, 'total', total_cost_gbp from complete
order by 1, 3
"""


def read_cost_per_family(con: duckdb.DuckDBPyConnection, perspective: str) -> pd.DataFrame:
    """Follow-up cost per family and category (and 'total') of families with complete cost."""
    return con.execute(COST_PER_FAMILY_SQL, {"perspective": perspective}).df()
