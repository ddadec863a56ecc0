"""The report's one sources table, and the banners for results resting on unverified inputs.

One row per source the results rest on: each unit-cost source used to price an item, each
inflation index used, each instrument's scoring rules and tariff, the PedsQL→CHU9D mapping the
run used and the BCAP key, with its verification label as the data file gives it. Every cost and
outcome table of the report points here. A label outside ``VERIFIED_LABELS`` (assumption, recall,
not found, illustrative, synthetic, …) raises a banner over the results that use it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

# Labels the data files use for a value read in its source (unit_costs/README.md, instruments/README.md).
VERIFIED_LABELS = ("primary", "secondary", "derived", "verified_page", "verified_code", "verified")

SOURCES_SQL = """
with used_costs as (
    select u.source, u.verification, count(distinct u.unit_cost_id) as n_unit_costs, count(*) as n_items
    from fct_resource_use as r
    join stg_unit_costs as u using (unit_cost_id)
    group by all
),
used_indices as (
    select distinct i.index_code, i.source, i.verification
    from stg_inflation_indices as i
    where i.index_code in (select distinct inflation_index from stg_unit_costs
                           where unit_cost_id in (select unit_cost_id from fct_resource_use))
),
scoring as (
    select instrument, string_agg(distinct form, ', ' order by form) as forms, source, verification
    from ref_scales
    where instrument in ('pedsql', 'sdq', 'ghq12', 'icecap_a', 'bcap')
    group by instrument, source, verification
),
rows as (
    select 'unit cost' as kind, n_unit_costs || case n_unit_costs when 1 then ' unit cost' else ' unit costs' end as what,
           source, verification, 'costs' as used_for, n_items, 1 as part, -n_items as rank
    from used_costs
    union all
    select 'inflation index', index_code, source, verification, 'costs', null, 2, 0 from used_indices
    union all
    select 'scoring rules', instrument || ' (' || forms || ')', source, verification,
           case instrument when 'pedsql' then 'child QALYs (via the mapping)'
                           when 'icecap_a' then 'parent years of full capability' else 'outcomes' end, null, 3, 0
    from scoring
    union all
    select distinct 'tariff', 'ICECAP-A tariff', source, verification, 'parent years of full capability', null, 4, 0
    from ref_icecap_a_tariff
    union all
    select 'mapping', 'PedsQL→CHU9D: ' || mapping,
           regexp_replace(coalesce(citation, ''), '^None: *', 'no published source: '), status, 'child QALYs', null, 5, 0
    from ref_mappings where is_configured
    union all
    select distinct 'scoring key', 'BCAP key', note, verification, 'BCAP scores', null, 6, 0 from ref_bcap_key
)
select kind, what, source, verification, used_for, n_items from rows
order by part, rank, what, source
"""


def read_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The sources table: source_id (S1, S2, …), kind, what, source, verification, used_for,
    n_items (unit costs: items priced), is_verified."""
    table = con.execute(SOURCES_SQL).df()
    table.insert(0, "source_id", [f"S{i}" for i in range(1, len(table) + 1)])
    table["is_verified"] = table["verification"].isin(VERIFIED_LABELS)
    return table


def describe_unverified(sources: pd.DataFrame) -> list[str]:
    """One banner line per kind of result resting on an input not verified in its source."""
    banners = []
    mapping = sources[sources["kind"] == "mapping"]
    for row in mapping.itertuples():
        if not row.is_verified:
            banners.append(f"Child QALYs rest on the PedsQL→CHU9D mapping {row.what.split(': ', 1)[1]!r}, "
                           f"labelled {row.verification}: it is not a published mapping algorithm, so every "
                           f"child-QALY result (the base case, the CE plane and the CEAC) illustrates the "
                           f"method only ({row.source_id}).")
    if mapping.empty:
        banners.append("No PedsQL→CHU9D mapping is configured: child QALYs are not estimable.")
    costs = sources[(sources["kind"] == "unit cost") & ~sources["is_verified"]]
    if len(costs):
        ids = ", ".join(costs["source_id"])
        share = costs["n_items"].sum() / sources.loc[sources["kind"] == "unit cost", "n_items"].sum()
        banners.append(f"{share:.0%} of the priced resource-use items are priced by unit costs labelled "
                       f"{', '.join(sorted(set(costs['verification'])))} ({ids}), not read in a published source.")
    other = sources[~sources["is_verified"] & ~sources["kind"].isin(["mapping", "unit cost"])]
    for (what, kind, used_for, label), rows in other.groupby(["what", "kind", "used_for", "verification"], sort=False):
        banners.append(f"{what} ({kind}, used for {used_for}) is labelled {label}: not verified in its source "
                       f"({', '.join(rows['source_id'])}).")
    return banners
