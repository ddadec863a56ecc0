-- stg_nspcc_activity: one row per NSPCC IPS activity record (staff member × contact, or payment)
-- that meets its contract. upstream: chk_nspcc_activity
create or replace table stg_nspcc_activity as
with checked as (
    select * from chk_nspcc_activity where not has_error
)
select
    record_id,
    contact_id,
    family_id,
    contact_date as activity_date,
    activity_type,
    staff_role,
    contact_minutes,
    coalesce(travel_minutes, 0) as travel_minutes,
    mode,
    attendance,
    support_type,
    support_amount_gbp,
    source_row
from checked;
