-- stg_sau_log: one row per SAU social-worker log entry that meets its contract; attendees is a
-- list of roles (one element per professional), empty for a status entry (placement, plan, proceedings). upstream: chk_sau_log
create or replace table stg_sau_log as
with checked as (
    select * from chk_sau_log where not has_error
)
select
    log_id as record_id,
    family_id,
    contact_date as activity_date,
    contact_type,
    duration_minutes,
    coalesce(travel_minutes, 0) as travel_minutes,
    attendees,
    len(attendees) as n_attendees,
    referral_to,
    coalesce(attendance, 'attended') as attendance,
    child_id,    -- status entries (placement, plan, proceedings): the child
    end_date,    -- last day of a placement or plan; blank while open
    source_row
from checked;
