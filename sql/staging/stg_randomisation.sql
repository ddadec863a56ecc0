-- stg_randomisation: one row per randomised family whose record meets its contract.
-- upstream: chk_randomisation
create or replace table stg_randomisation as
with checked as (
    select * from chk_randomisation where not has_error
)
select
    family_id,
    site,
    arm,
    randomised_date,
    withdrawn_date,
    withdrawal_reason,
    withdrawn_date is not null as is_withdrawn,
    source_row
from checked;
