-- stg_inflation_indices: one row of unit_costs/inflation_indices.csv that meets its contract.
-- upstream: chk_inflation_indices
create or replace table stg_inflation_indices as
select
    index_code,
    price_year,
    index_value,
    base,
    vintage,
    source,
    verification,
    source_row
from chk_inflation_indices
where not has_error;
