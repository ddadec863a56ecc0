-- int_perspective_sectors: the sectors whose costs count in each perspective (unit_costs/
-- perspectives.csv) plus a null sector, since an item whose code has no mapping may belong to any
-- perspective: it counts in every one and makes each partial. counts_transfers: transfers (cash,
-- vouchers) cancel in the perspectives of costing.transfers_cancel_in (default societal: the
-- payer's cost is the family's gain) and count in the others (docs/costing.md "Transfers").
-- upstream: stg_perspectives
create or replace table int_perspective_sectors as
with perspectives as (
    select distinct perspective from stg_perspectives
),
sectors as (
    select distinct perspective, sector from stg_perspectives where is_included
    union all
    select perspective, null from perspectives
)
select
    perspective,
    sector,
    not list_contains(from_json(getvariable('costing.transfers_cancel_in'), '["VARCHAR"]'), perspective) as counts_transfers
from sectors
order by all;
