-- dim_family: one row per randomised family (the spine every later table joins to), with its
-- children and the index child: by default the youngest child under 5 (60 months) at the
-- family's first questionnaire — the focus of IPS.
-- upstream: stg_randomisation, stg_questionnaire, stg_questionnaire_children
create or replace table dim_family as
with families as (
    select * from stg_randomisation
),
children as (
    select c.family_id, c.person_id,
           first(c.age_months order by q.assessment_date, c.age_months) as first_age_months
    from stg_questionnaire_children as c
    join stg_questionnaire as q using (response_id)
    group by c.family_id, c.person_id
),
index_child as (
    select family_id, first(person_id order by first_age_months, person_id) as index_child_id
    from children
    where first_age_months < 60
    group by family_id
),
questionnaires as (
    select family_id,
           count(*) filter (where timepoint = 'baseline') > 0 as has_baseline,
           count(*) filter (where timepoint = 'follow_up') > 0 as has_follow_up,
           min(assessment_date) filter (where timepoint = 'baseline') as baseline_date,
           min(assessment_date) filter (where timepoint = 'follow_up') as follow_up_date
    from stg_questionnaire
    group by family_id
)
select
    f.family_id,
    f.site,
    f.arm,
    f.randomised_date,
    f.withdrawn_date,
    f.is_withdrawn,
    f.withdrawal_reason,
    coalesce((select count(*) from children as c where c.family_id = f.family_id), 0) as n_children,
    i.index_child_id,
    coalesce(q.has_baseline, false) as has_baseline,
    coalesce(q.has_follow_up, false) as has_follow_up,
    q.baseline_date,
    q.follow_up_date
from families as f
left join index_child as i using (family_id)
left join questionnaires as q using (family_id)
order by f.family_id;
