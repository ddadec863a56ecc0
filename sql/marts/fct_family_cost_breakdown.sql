-- fct_family_cost_breakdown: one row per family × period × perspective × category × source with
-- selected items: their known cost and how many items in the cell have no cost (unknown quantity or
-- no unit cost; category 'unmapped' for codes with no mapping). upstream: fct_resource_use, int_perspective_sectors
create or replace table fct_family_cost_breakdown as
with items as (
    select family_id, period, source, sector, category, is_transfer, cost_gbp, extrapolated_cost_gbp
    from fct_resource_use
    where is_selected
),
items_in_perspective as (
    select s.perspective, i.*
    from items as i
    join int_perspective_sectors as s on i.sector is not distinct from s.sector
    where s.counts_transfers or not i.is_transfer
)
select
    family_id,
    period,
    perspective,
    coalesce(category, 'unmapped') as category,
    source,
    round(coalesce(pfc_exact_sum(cost_gbp), 0), 2)::double as cost_gbp,
    getvariable('study.target_price_year') as price_year,
    count(*) as n_items,
    count(*) filter (where cost_gbp is null) as n_items_without_cost,
    -- the cost components cea imputes from (docs/costing.md "Results"; interfaces: costing ↔ cea)
    round(coalesce(pfc_exact_sum(cost_gbp), 0), 2)::double as known_cost_gbp,
    count(*) filter (where cost_gbp is null) as n_items_unknown,
    case when count(*) filter (where cost_gbp is null) = 0 then 'complete'
         when count(cost_gbp) = 0 then 'missing'
         else 'partial' end as cost_status,
    round(coalesce(pfc_exact_sum(extrapolated_cost_gbp), 0), 2)::double as extrapolated_cost_gbp
from items_in_perspective
group by family_id, period, perspective, coalesce(category, 'unmapped'), source
order by family_id, period desc, perspective, category, source;
