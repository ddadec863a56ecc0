"""Human-readable CEA tables from the results database, and their disclosure rules for sharing.

Every table is one SQL query over the marts (DuckDB aggregates; pandas only holds the small
result): costs by arm (each perspective, period and category), outcomes by arm (QALYs, years
of full capability), the cost-consequence table (every outcome by arm and timepoint next to
costs) and the sensitivity table built from the analysis results; and each table's disclosure
rules (``pfc_econ.disclosure``). The sources table is ``sources.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from pfc_econ.cea.formatting import infer_kind
from pfc_econ.disclosure import (
    DisclosedTable,
    DisclosureRules,
    apply_disclosure_control,
)

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
        for key, (low, high) in s.get("nmb_ci", {}).items():
            row[f"nmb_ci_lower_{key}"], row[f"nmb_ci_upper_{key}"] = low, high
        for key, value in s["prob_cost_effective"].items():
            row[f"prob_ce_{key}"] = value  # a number, for scripts and the workbook's number format
        for key, text in (s.get("prob_cost_effective_display") or {}).items():
            row[f"prob_ce_display_{key}"] = text  # as the draws resolve it ("< 0.0001", never 2e-13)
        row["threshold_unit"] = s.get("threshold_label", "")
        row["message"] = s["message"]
        rows.append(row)
    return pd.DataFrame(rows)


ESTIMATE_COLUMNS = ("incremental_cost_gbp", "cost_ci_lower", "cost_ci_upper", "incremental_effect",
                    "effect_ci_lower", "effect_ci_upper", "icer", "quadrant")


def build_disclosure_rules(name: str, table: pd.DataFrame) -> DisclosureRules:
    """The disclosure rules of each shareable table (see ``pfc_econ.disclosure``)."""
    if name in ("cost_by_arm", "outcomes_by_arm"):
        return DisclosureRules(counts=(("n", ("mean", "sd")),))
    if name in ("cost_consequences", "cost_by_arm_wide"):
        return DisclosureRules(counts=(("ips_n", ("ips_mean", "ips_sd")), ("sau_n", ("sau_mean", "sau_sd"))))
    if name == "sensitivity":
        estimates = ESTIMATE_COLUMNS + tuple(c for c in table.columns if c.startswith(("nmb_", "prob_ce_")))
        return DisclosureRules(
            counts=(("n_families", estimates), ("n_ips", estimates), ("n_sau", estimates), ("n_excluded", ())),
            # n_families = n_ips + n_sau; n_families + n_excluded = the randomised families (public)
            sums=(("n_families", ("n_ips", "n_sau")), (None, ("n_families", "n_excluded"))),
            text=("message",))
    if name == "coverage":
        return DisclosureRules(counts=(("n_received", ()), ("n_not_received", ()), ("n_expected", ())),
                               sums=(("n_expected", ("n_received", "n_not_received")),))
    if name == "instrument_completion":
        return DisclosureRules(counts=(("n_expected", ()), ("n_administered", ()), ("n_not_administered", ()),
                                       ("n_complete", ()), ("n_scorable", ())),
                               sums=(("n_expected", ("n_administered", "n_not_administered")),))
    if name == "unknown_cost":
        return DisclosureRules(counts=(("n_families", ("unknown_share",)), ("n_complete", ("unknown_share",)),
                                       ("n_partial", ("unknown_share",)), ("n_missing", ("unknown_share",))),
                               sums=(("n_families", ("n_complete", "n_partial", "n_missing")),))
    if name == "cost_composition" and "n_families" in table.columns:
        derived = tuple(c for c in table.columns if c.startswith(("cells_", "cost_share_", "mean_cost_")))
        return DisclosureRules(counts=(("n_families", derived),))
    # any other table (summary.json keys, regression tables): every count column by its name
    return DisclosureRules(counts=tuple((c, ()) for c in table.columns if infer_kind(c) == "count"))


def disclose_table(name: str, table: pd.DataFrame, threshold: int) -> DisclosedTable:
    """The shareable copy of one named table (``apply_disclosure_control`` with its rules)."""
    return apply_disclosure_control(table, threshold, build_disclosure_rules(name, table))


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


def pivot_arms(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """A long table with one row per arm (columns arm, n, mean, sd) as one row per ``keys`` with
    the arms side by side (ips_n, ips_mean, ips_sd, sau_n, …), for reading; row order kept."""
    order = list(dict.fromkeys(map(tuple, table[list(keys)].itertuples(index=False))))
    wide = table.set_index([*keys, "arm"])[["n", "mean", "sd"]].unstack("arm").reindex(order)
    wide.columns = [f"{arm.lower()}_{stat}" for stat, arm in wide.columns]
    columns = [f"{arm}_{stat}" for arm in ("ips", "sau") for stat in ("n", "mean", "sd")]
    wide = wide.reindex(columns=[c for c in columns if c in wide.columns]).reset_index()
    for column in ("ips_n", "sau_n"):
        if column in wide.columns:
            wide[column] = wide[column].fillna(0).astype(int)
    return wide
