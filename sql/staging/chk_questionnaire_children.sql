-- chk_questionnaire_children: one row per used child slot (loop-and-merge block 1_ … 6_) of a
-- staged response, typed, with the contract rules it breaks. The child-block cells arrive in long
-- form (raw_questionnaire_cells, pfc_econ/read_survey.py), keyed by line and contract position.
-- upstream: raw_questionnaire_cells, stg_questionnaire, contract_columns
create or replace table chk_questionnaire_children as
with child_fields as (
    select position as column_id, slot, field
    from contract_columns
    where source = 'questionnaire' and block = 'child'
),
slots as (
    select
        c.source_row,
        f.slot,
        pfc_text(max(c.raw_value) filter (where f.field = 'child_id')) as child_id,
        max(c.raw_value) filter (where f.field = 'child_age_months') as raw_age,
        max(c.raw_value) filter (where f.field = 'child_sex') as raw_sex,
        max(c.raw_value) filter (where f.field = 'pedsql_form') as raw_pedsql_form,
        max(c.raw_value) filter (where f.field = 'sdq_form') as raw_sdq_form
    from raw_questionnaire_cells as c
    join child_fields as f using (column_id)
    group by all
),
typed as (
    select
        q.response_id,
        s.*,
        q.family_id,
        q.timepoint,
        pfc_int(raw_age) as age_months,
        pfc_int(raw_sex) as child_sex,
        pfc_int(raw_pedsql_form) as pedsql_form_code,
        pfc_int(raw_sdq_form) as sdq_form_code
    from slots as s
    join stg_questionnaire as q using (source_row)
)
select
    *,
    list_filter([
        case when child_id is null then pfc_issue('missing_required', slot || '_child_id', 'error',
            'child block ' || slot || ' has answers but no child_id', null) end,
        case when child_id is not null and not starts_with(child_id, family_id) then pfc_issue('child_of_other_family',
            slot || '_child_id', 'error', 'child_id does not belong to family ' || family_id, child_id) end,
        case when raw_age is not null and (age_months is null or age_months not between 0 and 215) then pfc_issue(
            'invalid_type', slot || '_child_age_months', 'error', 'child age must be 0 to 215 months', raw_age) end,
        case when raw_pedsql_form is not null and (pedsql_form_code is null or pedsql_form_code not in (1, 2, 3, 4))
            then pfc_issue('not_allowed', slot || '_pedsql_form', 'error', 'pedsql_form must be one of: 1, 2, 3, 4',
            raw_pedsql_form) end,
        case when raw_sdq_form is not null and (sdq_form_code is null or sdq_form_code not in (1, 2))
            then pfc_issue('not_allowed', slot || '_sdq_form', 'error', 'sdq_form must be one of: 1, 2', raw_sdq_form) end,
        case when count(*) over (partition by response_id, child_id) > 1 and child_id is not null then pfc_issue(
            'duplicate_id', slot || '_child_id', 'error', 'the same child is in two blocks of one response', child_id) end
    ], lambda x: x is not null) as issues,
    len(issues) > 0 as has_error
from typed;
