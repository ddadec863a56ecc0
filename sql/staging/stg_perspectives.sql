-- stg_perspectives: one row of unit_costs/perspectives.csv that meets its contract.
-- upstream: chk_perspectives
create or replace table stg_perspectives as
select
    perspective,
    sector,
    is_included,
    source,
    source_row
from chk_perspectives
where not has_error;
