-- stg_code_map: one row of unit_costs/code_map.csv that meets its contract.
-- upstream: chk_code_map
create or replace table stg_code_map as
select
    source,
    source_code,
    quantity_unit,
    unit_cost_code,
    multiplier,
    category,
    priority_group,   -- blank: the source's usual group (fct_resource_use)
    coalesce(is_transfer, false) as is_transfer,
    note,
    net_of,           -- blank: the quantity as reported (docs/costing.md "Hospital stays")
    source_row
from chk_code_map
where not has_error;
