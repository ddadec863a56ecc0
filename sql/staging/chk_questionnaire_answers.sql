-- chk_questionnaire_answers: one row per non-blank service-use or instrument answer of a staged
-- response (parent block or a child block), parsed, with the contract rule it breaks. An answer
-- breaking a rule is kept out of stg_questionnaire_answer_values (treated as missing) and reported
-- in audit_issues; its response stays. This is the widest step of a run (one row per answer, ~220
-- per response), so it is a temporary table and narrow: integer keys (the file's line, the
-- column's position in the contract) and the parsed answer; what an answer is (field, block,
-- instrument, service, whose) is the contract's and the response's, joined where it is read
-- (stg_questionnaire_answers, chk_questionnaire_answer_issues) rather than repeated per answer.
-- The answers are read once, straight from the reader's narrow cells (raw_questionnaire_cells), and
-- every join builds its hash table on the small side (the contract's fields, its allowed codes, the
-- staged responses and child blocks): DuckDB estimates the filtered cells at a few thousand rows
-- and would build on them, so the side-swapping optimizer is off for this statement (the
-- session's setting is put back afterwards). Copying the cells into a parsed temporary table
-- first, as before, made a second 43-million-row temporary table at 100,000 families, with the
-- cells' text, beside the cells themselves under a 2 GB limit. Validity is a join to the allowed codes, not a string search.
-- upstream: raw_questionnaire_cells, stg_questionnaire, chk_questionnaire_children, contract_columns
set variable chk_questionnaire_answers_disabled_optimizers = current_setting('disabled_optimizers');
set disabled_optimizers = concat_ws(',', nullif(getvariable('chk_questionnaire_answers_disabled_optimizers'), ''),
                                    'build_side_probe_side');

create or replace temp table chk_questionnaire_answers as
with answer_fields as (
    select
        position as column_id, column_name, slot, type,
        allowed is not null as has_allowed_codes,
        array_to_string(allowed, ', ') as allowed_text,
        min_value, max_value, warn_max
    from contract_columns
    where source = 'questionnaire' and block in ('service_use', 'instrument')
),
allowed_codes as (
    select column_id, try_cast(code as bigint) as answer_code, true as is_allowed
    from (select position as column_id, unnest(allowed) as code
          from contract_columns
          where source = 'questionnaire' and block in ('service_use', 'instrument') and allowed is not null)
),
parsed as (
    select
        a.source_row,
        a.column_id,
        f.*,
        -- a child-block answer belongs to the block's child (none: the block has no child id)
        ch.child_id,
        ch.has_error as child_has_error,
        a.raw_value,
        a.answer_code,
        -- a quantity the contract types decimal (hours, pounds) may be 7.5; everything else is whole
        case when f.type = 'decimal' then a.answer_decimal else a.answer_code end as answer_value,
        coalesce(ok.is_allowed, false) as is_allowed
    from (select c.source_row, c.column_id, c.raw_value, pfc_int(c.raw_value) as answer_code,
                 pfc_decimal(c.raw_value) as answer_decimal
          from raw_questionnaire_cells as c
          where pfc_text(c.raw_value) is not null) as a
    join answer_fields as f using (column_id)
    -- the cells of a quarantined response are not answers of a staged one
    semi join stg_questionnaire as q using (source_row)
    left join chk_questionnaire_children as ch on ch.source_row = a.source_row and ch.slot = f.slot
    left join allowed_codes as ok on ok.column_id = a.column_id and ok.answer_code = a.answer_code
),
checked as (
    select
        *,
        case
            when answer_value is null then 'invalid_type'
            when has_allowed_codes and not is_allowed then 'not_allowed'
            when answer_value < min_value or answer_value > max_value then 'out_of_range'
            when slot > 0 and child_has_error then 'child_block_rejected'
            when slot > 0 and child_id is null then 'answer_without_child'
            when answer_value > warn_max then 'implausible'
        end as rule
    from parsed
)
select
    source_row, column_id, slot, answer_code, answer_value,
    case when rule is not null then [pfc_issue(rule, column_name,
        case when rule = 'implausible' then 'warning' else 'error' end,
        case rule
            when 'invalid_type' then column_name || case when type = 'decimal' then ' is not a number' else ' is not a whole number' end
            when 'not_allowed' then column_name || ' must be one of: ' || allowed_text
            when 'out_of_range' then column_name || ' is outside ' || min_value || ' to ' || max_value
            when 'child_block_rejected' then 'child block ' || slot || ' was rejected (see its child_id issue)'
            when 'answer_without_child' then 'answer in child block ' || slot || ' but the block has no child'
            when 'implausible' then column_name || ' is above ' || warn_max
        end, raw_value)] end as issues,
    coalesce(rule <> 'implausible', false) as has_error
from checked;

set disabled_optimizers = getvariable('chk_questionnaire_answers_disabled_optimizers');
