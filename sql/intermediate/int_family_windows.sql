-- int_family_windows: one row per randomised family: the follow-up window every dated record is
-- placed in — from the day after randomisation to the follow-up assessment, or to randomisation +
-- periods.followup_max_months when there is no follow-up questionnaire.
-- upstream: dim_family, run_settings
create or replace table int_family_windows as
select
    family_id,
    randomised_date,
    withdrawn_date,
    follow_up_date,
    coalesce(follow_up_date,
             (randomised_date + to_months(getvariable('periods.followup_max_months')::integer))::date) as follow_up_end_date
from dim_family;
