-- audit_completeness: one row per source × family × period: should this source hold records for
-- this family and period (given arm, withdrawal and dates), did it, how full are its required
-- fields, and the resulting status. The NSPCC extract is expected for IPS families and the SAU log
-- for SAU families over the follow-up period; the questionnaire for every family at baseline
-- (period pre_baseline) and at follow-up unless the family withdrew before follow-up was due.
-- upstream: dim_family, raw_sources, stg_questionnaire, stg_questionnaire_answers, contract_columns,
-- stg_nspcc_activity, stg_sau_log, run_settings
create or replace table audit_completeness as
with families as (
    select * from dim_family
),
sources as (
    select source, bool_or(is_present) as is_present from raw_sources group by source
),
windows as (
    select
        family_id,
        randomised_date + interval 1 day as follow_up_start_date,
        least(withdrawn_date, randomised_date + to_months(getvariable('periods.followup_max_months')::integer))::date
            as follow_up_end_date,
        randomised_date + to_months(getvariable('periods.followup_min_months')::integer) as follow_up_due_date
    from families
),
expected as (
    select f.family_id, 'questionnaire' as source, 'pre_baseline' as period, true as is_expected
    from families as f
    union all
    select f.family_id, 'questionnaire', 'follow_up', f.withdrawn_date is null or f.withdrawn_date >= w.follow_up_due_date
    from families as f join windows as w using (family_id)
    union all
    select family_id, 'nspcc_activity', 'follow_up', arm = 'IPS' and coalesce(withdrawn_date > randomised_date, true)
    from families
    union all
    select family_id, 'sau_log', 'follow_up', arm = 'SAU' and coalesce(withdrawn_date > randomised_date, true)
    from families
),
parent_fields_per_response as (
    select count(*) as n_fields
    from contract_columns
    where source = 'questionnaire' and level = 'parent' and (block = 'instrument' or field like 'su\_%\_any' escape '\')
),
questionnaire_received as (
    select
        q.family_id,
        case q.timepoint when 'baseline' then 'pre_baseline' else 'follow_up' end as period,
        count(distinct q.response_id) as n_records,
        min(q.assessment_date) as first_record_date,
        count(a.response_id) / (count(distinct q.response_id) * max(p.n_fields)) as required_filled_share
    from stg_questionnaire as q
    cross join parent_fields_per_response as p
    left join stg_questionnaire_answers as a
        on a.response_id = q.response_id and a.level = 'parent'
       and (a.block = 'instrument' or a.field like 'su\_%\_any' escape '\')
    group by all
),
nspcc_received as (
    select
        family_id, 'follow_up' as period, count(*) as n_records, min(activity_date) as first_record_date,
        avg(case when activity_type = 'direct_support' then 1.0
                 else ((mode is not null)::int + (attendance is not null)::int) / 2 end) as required_filled_share
    from stg_nspcc_activity
    group by all
),
sau_received as (
    select family_id, 'follow_up' as period, count(*) as n_records, min(activity_date) as first_record_date,
           avg((referral_to is not null)::int) as required_filled_share
    from stg_sau_log
    group by all
),
received as (
    select 'questionnaire' as source, * from questionnaire_received
    union all select 'nspcc_activity', * from nspcc_received
    union all select 'sau_log', * from sau_received
),
joined as (
    select
        e.source, e.family_id, e.period, f.site, f.arm, f.randomised_date, f.withdrawn_date,
        w.follow_up_start_date, w.follow_up_end_date,
        s.is_present as is_source_present,
        e.is_expected,
        coalesce(r.n_records, 0) > 0 as is_received,
        coalesce(r.n_records, 0) as n_records,
        r.first_record_date,
        round(r.required_filled_share, 3) as required_filled_share
    from expected as e
    join families as f using (family_id)
    join windows as w using (family_id)
    left join sources as s using (source)
    left join received as r using (source, family_id, period)
)
select
    *,
    case
        when not is_expected and is_received then 'unexpected'
        when not is_expected then 'not_expected'
        when not is_source_present then 'source_absent'
        when not is_received then 'missing'
        when required_filled_share < 1 then 'incomplete'
        else 'complete'
    end as status
from joined
order by source, family_id, period;
