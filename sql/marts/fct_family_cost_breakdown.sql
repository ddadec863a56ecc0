-- fct_family_cost_breakdown: one row per family × period × perspective × category × source with
-- selected items: their known cost and how many items in the cell have no cost (unknown quantity or
-- no unit cost; category 'unmapped' for codes with no mapping). upstream: fct_resource_use, stg_perspectives
create or replace table fct_family_cost_breakdown as
with items as (
    select * from fct_resource_use where is_selected
),
perspective_sectors as (
    select perspective, sector from stg_perspectives where is_included
),
perspectives as (
    select distinct perspective from stg_perspectives
),
items_in_perspective as (
    select s.perspective, i.*
    from items as i
    join perspectives as s on i.sector is null
        or i.sector in (select sector from perspective_sectors as ps where ps.perspective = s.perspective)
    -- transfers (cash, vouchers) cancel in the perspectives of costing.transfers_cancel_in (default
    -- societal: the payer's cost is the family's gain) and count in the others (docs/costing.md "Transfers")
    where not (i.is_transfer
               and list_contains(from_json(getvariable('costing.transfers_cancel_in'), '["VARCHAR"]'), s.perspective))
)
select
    family_id,
    period,
    perspective,
    coalesce(category, 'unmapped') as category,
    source,
    round(coalesce(sum(cost_gbp), 0), 2) as cost_gbp,
    getvariable('study.target_price_year') as price_year,
    count(*) as n_items,
    count(*) filter (where cost_gbp is null) as n_items_without_cost,
    -- the cost components cea imputes from (docs/costing.md "Results"; interfaces: costing ↔ cea)
    round(coalesce(sum(cost_gbp), 0), 2) as known_cost_gbp,
    count(*) filter (where cost_gbp is null) as n_items_unknown,
    case when count(*) filter (where cost_gbp is null) = 0 then 'complete'
         when count(cost_gbp) = 0 then 'missing'
         else 'partial' end as cost_status,
    round(coalesce(sum(extrapolated_cost_gbp), 0), 2) as extrapolated_cost_gbp
from items_in_perspective
group by family_id, period, perspective, coalesce(category, 'unmapped'), source
order by family_id, period desc, perspective, category, source;
