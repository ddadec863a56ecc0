-- fct_family_cost_breakdown: one row per family × period × perspective × category × source with
-- selected items: their known cost and how many items in the cell have no cost (unknown quantity or
-- no unit cost; category 'unmapped' for codes with no mapping). upstream: fct_resource_use, int_perspective_sectors
create or replace table fct_family_cost_breakdown as
-- The items are summed per cell (family × period × sector × transfer flag × category × source)
-- before the cells are fanned out to the perspectives of their sector and summed again: a
-- fixed-point sum of sums is the same sum, and the fan-out no longer multiplies every item.
with cells as (
    select family_id, period, sector, is_transfer, coalesce(category, 'unmapped') as category, source,
           count(*) as n_items,
           count(cost_gbp) as n_items_with_cost,
           pfc_exact_sum(cost_gbp) as cost_gbp,
           pfc_exact_sum(extrapolated_cost_gbp) as extrapolated_cost_gbp
    from fct_resource_use
    where is_selected
    group by all
),
cells_in_perspective as (
    select s.perspective, c.*
    from cells as c
    join int_perspective_sectors as s on c.sector is not distinct from s.sector
    where s.counts_transfers or not c.is_transfer
),
summed as (
    select family_id, period, perspective, category, source,
           coalesce(sum(cost_gbp), 0) as cost_gbp,
           sum(n_items)::bigint as n_items,
           sum(n_items - n_items_with_cost)::bigint as n_items_without_cost,
           sum(n_items_with_cost)::bigint as n_items_with_cost,
           coalesce(sum(extrapolated_cost_gbp), 0) as extrapolated_cost_gbp
    from cells_in_perspective
    group by family_id, period, perspective, category, source
)
select
    family_id,
    period,
    perspective,
    category,
    source,
    round(cost_gbp, 2)::double as cost_gbp,
    getvariable('study.target_price_year') as price_year,
    n_items,
    n_items_without_cost,
    -- the cost components cea imputes from (docs/costing.md "Results"; interfaces: costing ↔ cea)
    round(cost_gbp, 2)::double as known_cost_gbp,
    n_items_without_cost as n_items_unknown,
    case when n_items_without_cost = 0 then 'complete'
         when n_items_with_cost = 0 then 'missing'
         else 'partial' end as cost_status,
    round(extrapolated_cost_gbp, 2)::double as extrapolated_cost_gbp
from summed
order by family_id, period desc, perspective, category, source;
