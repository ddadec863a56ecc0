-- int_family_windows: one row per randomised family: the one analysis window that costs and
-- outcomes both cover (docs/costing.md "One window"). It starts the day after randomisation and
-- ends, with periods.analysis_horizon = 'observed', on the date of the first valid follow-up
-- questionnaire (a staged follow-up response dated after randomisation and no later than
-- randomisation + periods.followup_max_months), or at randomisation + followup_max_months when
-- there is none; with 'fixed', at randomisation + periods.analysis_horizon_months for every family.
-- Later follow-up questionnaires are counted here and reported in audit_costing.
-- upstream: dim_family, stg_questionnaire, run_settings
create or replace table int_family_windows as
with families as (
    select * from dim_family
),
follow_ups as (
    select q.family_id, q.response_id, q.assessment_date,
           q.assessment_date > f.randomised_date
               and q.assessment_date <= (f.randomised_date
                   + to_months(getvariable('periods.followup_max_months')::integer))::date as is_valid
    from stg_questionnaire as q
    join families as f using (family_id)
    where q.timepoint = 'follow_up'
),
first_valid as (
    select family_id,
           min(assessment_date) filter (where is_valid) as window_follow_up_date,
           count(*) as n_follow_up_questionnaires,
           count(*) filter (where not is_valid) as n_follow_up_outside_window
    from follow_ups
    group by family_id
),
ends as (
    select
        f.family_id, f.randomised_date, f.withdrawn_date, f.follow_up_date,
        v.window_follow_up_date,
        coalesce(v.n_follow_up_questionnaires, 0) as n_follow_up_questionnaires,
        coalesce(v.n_follow_up_outside_window, 0) as n_follow_up_outside_window,
        case when getvariable('periods.analysis_horizon') = 'fixed'
             then (f.randomised_date + to_months(getvariable('periods.analysis_horizon_months')::integer))::date
             else coalesce(v.window_follow_up_date,
                           (f.randomised_date + to_months(getvariable('periods.followup_max_months')::integer))::date)
        end as window_end_date
    from families as f
    left join first_valid as v using (family_id)
)
select
    family_id,
    randomised_date,
    withdrawn_date,
    follow_up_date,
    window_follow_up_date,
    (randomised_date + 1)::date as window_start_date,
    window_end_date,
    -- kept for models written before the window had a name: the same date
    window_end_date as follow_up_end_date,
    window_end_date - randomised_date as window_days,
    getvariable('periods.analysis_horizon') as analysis_horizon,
    n_follow_up_questionnaires,
    n_follow_up_outside_window
from ends;
