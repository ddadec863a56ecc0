-- stg_questionnaire: one row per questionnaire response (one parent × family × timepoint) whose
-- respondent-level fields meet the contract. Child blocks and answers are in
-- stg_questionnaire_children and stg_questionnaire_answers. upstream: chk_questionnaire
create or replace table stg_questionnaire as
with checked as (
    select * from chk_questionnaire where not has_error
)
select
    "ResponseId" as response_id,
    family_id,
    parent_id as person_id,
    case timepoint when 'T1' then 'baseline' when 'T2' then 'follow_up' end as timepoint,
    cast("RecordedDate" as date) as assessment_date,
    "RecordedDate" as recorded_at,
    "Progress" as progress_percent,
    coalesce("Finished" = 1, false) as is_finished,
    recall_months,
    parent_age as parent_age_years,
    parent_relationship,
    parent_ethnicity,
    parent_education,
    household_income,
    receives_benefits = 1 as receives_benefits,
    n_children_household,
    source_row
from checked;
