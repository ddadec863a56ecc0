-- audit_plausibility: one row per implausible date found by comparing sources (each source's own
-- ranges, such as a parent aged 4 or a contact of 20 hours, are contract warnings in audit_issues):
-- a baseline questionnaire after randomisation, a follow-up questionnaire before baseline or on or
-- before randomisation, a provider record outside the family's follow-up window (before
-- randomisation, after withdrawal or after the follow-up maximum), and provider records of the
-- other arm's families. Same columns as audit_issues, which includes these rows.
-- upstream: dim_family, int_family_windows, stg_questionnaire, stg_nspcc_activity, stg_sau_log, stg_code_map, run_settings
create or replace table audit_plausibility as
with families as (
    select f.*, w.follow_up_end_date as window_end_date
    from dim_family as f join int_family_windows as w using (family_id)
),
questionnaire_dates as (
    select q.*, f.randomised_date, f.baseline_date
    from stg_questionnaire as q join families as f using (family_id)
),
-- the arms each provider source covers, as the study config declares them ([sources.<name>] arms)
provider_records as (
    select 'nspcc_activity' as source, record_id, source_row, family_id, activity_date,
           from_json(getvariable('costing.source_arms')::json -> 'nspcc_activity', '["VARCHAR"]') as covers_arms,
           null::date as span_end_date
    from stg_nspcc_activity
    union all
    -- an SAU placement or plan (a span in nights or days, docs/costing.md "Children in care") that
    -- started before randomisation is inside the window while it is open after it
    select 'sau_log', s.record_id, s.source_row, s.family_id, s.activity_date,
           from_json(getvariable('costing.source_arms')::json -> 'sau_log', '["VARCHAR"]'),
           case when m.quantity_unit in ('nights', 'days') then coalesce(s.end_date, '9999-12-31'::date) end
    from stg_sau_log as s
    left join stg_code_map as m on m.source = 'sau_log' and m.source_code = s.contact_type
),
questionnaire_issues as (
    select 'questionnaire' as source, 'questionnaire' as source_table, response_id as record_id, source_row,
           'RecordedDate' as field, 'baseline_after_randomisation' as rule, 'warning' as severity,
           'baseline questionnaire dated after randomisation (' || randomised_date || ')' as message,
           assessment_date::varchar as value
    from questionnaire_dates where timepoint = 'baseline' and assessment_date > randomised_date
    union all
    select 'questionnaire', 'questionnaire', response_id, source_row, 'RecordedDate', 'follow_up_before_baseline',
           'error', 'follow-up questionnaire dated before the baseline questionnaire (' || baseline_date || ')',
           assessment_date::varchar
    from questionnaire_dates where timepoint = 'follow_up' and assessment_date < baseline_date
    union all
    select 'questionnaire', 'questionnaire', response_id, source_row, 'RecordedDate', 'follow_up_before_randomisation',
           'error', 'follow-up questionnaire dated on or before randomisation (' || randomised_date || ')',
           assessment_date::varchar
    from questionnaire_dates where timepoint = 'follow_up' and assessment_date <= randomised_date
),
provider_issues as (
    select p.source, p.source, p.record_id, p.source_row, 'contact_date', 'outside_follow_up_window', 'warning',
           'record dated outside the follow-up window ' || (f.randomised_date + 1) || ' to '
               || f.window_end_date || ': kept, not costed in a period',
           p.activity_date::varchar
    from provider_records as p join families as f using (family_id)
    where coalesce(p.span_end_date, p.activity_date) <= f.randomised_date or p.activity_date > f.window_end_date
    union all
    select p.source, p.source, p.record_id, p.source_row, 'contact_date', 'after_withdrawal', 'warning',
           'record dated after the family withdrew on ' || f.withdrawn_date, p.activity_date::varchar
    from provider_records as p join families as f using (family_id)
    where p.activity_date > f.withdrawn_date
    union all
    select p.source, p.source, p.record_id, p.source_row, 'family_id', 'family_of_other_arm', 'error',
           'record for a ' || f.arm || ' family, but this source covers ' || array_to_string(p.covers_arms, ', ')
               || ' families only', p.family_id
    from provider_records as p join families as f using (family_id)
    where not list_contains(p.covers_arms, f.arm)
),
all_issues as (
    select * from questionnaire_issues
    union all
    select * from provider_issues
)
select * from all_issues
order by source, record_id, rule;
