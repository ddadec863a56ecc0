-- stg_questionnaire_children: one row per child of a staged response (response × child slot),
-- with the PedsQL and SDQ forms answered for the child. upstream: chk_questionnaire_children
create or replace table stg_questionnaire_children as
with checked as (
    select * from chk_questionnaire_children where not has_error
)
select
    response_id,
    family_id,
    timepoint,
    slot,
    child_id as person_id,
    age_months,
    child_sex,
    case pedsql_form_code
        when 1 then 'infant_1_12m' when 2 then 'infant_13_24m'
        when 3 then 'toddler_2_4y' when 4 then 'young_child_5_7y' end as pedsql_form,
    case sdq_form_code when 1 then '2-4' when 2 then '4-17' end as sdq_form,
    source_row
from checked;
