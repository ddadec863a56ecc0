-- chk_questionnaire_answers: one row per non-blank service-use or instrument answer of a staged
-- response (parent block or a child block), parsed, with the contract rules it breaks. An answer
-- breaking a rule is kept out of stg_questionnaire_answers (treated as missing) and reported in
-- audit_issues; its response stays. upstream: raw_questionnaire, stg_questionnaire,
-- stg_questionnaire_children, chk_questionnaire_children, contract_columns
create or replace table chk_questionnaire_answers as
with answer_fields as (
    select column_name, level, slot, field, block, instrument, form, item, service,
           allowed, min_value, max_value, warn_max
    from contract_columns
    where source = 'questionnaire' and block in ('service_use', 'instrument')
),
cells as (
    unpivot (select "ResponseId", source_row, columns(lambda c: regexp_matches(c, '(^|_)(su|ghq|icecap|bcap|prem|pedsql|sdq|itsea)_'))
             from raw_questionnaire)
    on columns(* exclude ("ResponseId", source_row))
    into name column_name value raw_value
),
answers as (
    select
        c."ResponseId" as response_id,
        c.source_row,
        f.*,
        c.raw_value,
        pfc_int(c.raw_value) as answer_code
    from cells as c
    join answer_fields as f using (column_name)
    where pfc_text(c.raw_value) is not null
),
with_person as (
    select
        a.*,
        q.family_id,
        q.timepoint,
        case when a.slot = 0 then q.person_id else ch.child_id end as person_id,
        ch.has_error as child_has_error
    from answers as a
    join stg_questionnaire as q using (response_id)
    left join chk_questionnaire_children as ch on ch.response_id = a.response_id and ch.slot = a.slot
)
select
    *,
    list_filter([
        case when answer_code is null then pfc_issue('invalid_type', column_name, 'error',
            column_name || ' is not a whole number', raw_value) end,
        case when allowed is not null and answer_code is not null and not list_contains(allowed, answer_code::varchar)
            then pfc_issue('not_allowed', column_name, 'error',
                column_name || ' must be one of: ' || array_to_string(allowed, ', '), raw_value) end,
        case when answer_code < min_value or answer_code > max_value then pfc_issue('out_of_range', column_name,
            'error', column_name || ' is outside ' || min_value || ' to ' || max_value, raw_value) end,
        case when answer_code > warn_max then pfc_issue('implausible', column_name, 'warning',
            column_name || ' is above ' || warn_max, raw_value) end,
        case when slot > 0 and person_id is null and child_has_error is null then pfc_issue('answer_without_child',
            column_name, 'error', 'answer in child block ' || slot || ' but the block has no child', raw_value) end,
        case when slot > 0 and child_has_error then pfc_issue('child_block_rejected', column_name, 'error',
            'child block ' || slot || ' was rejected (see its child_id issue)', raw_value) end
    ], lambda x: x is not null) as issues,
    len(list_filter(issues, lambda x: x.severity = 'error')) > 0 as has_error
from with_person;
