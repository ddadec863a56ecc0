-- stg_unit_costs: one row of unit_costs/unit_costs.csv that meets its contract.
-- upstream: chk_unit_costs
create or replace table stg_unit_costs as
select
    unit_cost_id,
    unit_cost_code,
    variant,
    description,
    unit,
    cost_gbp,
    price_year,
    sector,
    inflation_index,
    excludes_travel,
    source,
    verification,
    note,
    source_row
from chk_unit_costs
where not has_error;
