-- chk_questionnaire_answers: one row per non-blank service-use or instrument answer of a staged
-- response (parent block or a child block), parsed, with the contract rule it breaks. An answer
-- breaking a rule is kept out of stg_questionnaire_answers (treated as missing) and reported in
-- audit_issues; its response stays. This is the widest step of a run (one row per answer, ~340
-- per response), so each row carries only what it needs: the first rule it breaks, and an
-- `issues` list only when it breaks one.
-- upstream: raw_questionnaire, stg_questionnaire, stg_questionnaire_children,
-- chk_questionnaire_children, contract_columns
create or replace table chk_questionnaire_answers as
with answer_fields as (
    select
        column_name, level, slot, field, block, instrument, form, item, service, type,
        -- ',1,2,3,4,': short enough for DuckDB to store inline, so the join stays cheap
        ',' || array_to_string(allowed, ',') || ',' as allowed_codes,
        min_value, max_value, warn_max
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
        pfc_int(c.raw_value) as answer_code,
        -- a quantity the contract types decimal (hours, pounds) may be 7.5; everything else is whole
        case when f.type = 'decimal' then pfc_decimal(c.raw_value) else pfc_int(c.raw_value) end as answer_value
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
),
checked as (
    select
        *,
        case
            when answer_value is null then 'invalid_type'
            when allowed_codes is not null and strpos(allowed_codes, ',' || answer_code || ',') = 0 then 'not_allowed'
            when answer_value < min_value or answer_value > max_value then 'out_of_range'
            when slot > 0 and child_has_error then 'child_block_rejected'
            when slot > 0 and person_id is null then 'answer_without_child'
            when answer_value > warn_max then 'implausible'
        end as rule
    from with_person
)
select
    response_id, source_row, column_name, level, slot, field, block, instrument, form, item, service,
    family_id, timepoint, person_id, answer_code, answer_value,
    case when rule is not null then [pfc_issue(rule, column_name,
        case when rule = 'implausible' then 'warning' else 'error' end,
        case rule
            when 'invalid_type' then column_name || case when type = 'decimal' then ' is not a number' else ' is not a whole number' end
            when 'not_allowed' then column_name || ' must be one of: ' || trim(replace(allowed_codes, ',', ', '), ', ')
            when 'out_of_range' then column_name || ' is outside ' || min_value || ' to ' || max_value
            when 'child_block_rejected' then 'child block ' || slot || ' was rejected (see its child_id issue)'
            when 'answer_without_child' then 'answer in child block ' || slot || ' but the block has no child'
            when 'implausible' then column_name || ' is above ' || warn_max
        end, raw_value)] end as issues,
    coalesce(rule <> 'implausible', false) as has_error
from checked;
