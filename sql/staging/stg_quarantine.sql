-- stg_quarantine: one row per input row kept out of staging, with the rules it broke: contract
-- errors of every source table, and lines the reader could not parse (malformed CSV lines).
-- upstream: chk_randomisation, chk_questionnaire, chk_nspcc_activity, chk_sau_log, chk_unit_costs,
-- chk_inflation_indices, chk_code_map, chk_perspectives, raw_rejects
create or replace table stg_quarantine as
with failed as (
    select 'randomisation' as source, 'randomisation' as source_table, record_id, source_row, issues from chk_randomisation where has_error
    union all
    select 'questionnaire', 'questionnaire', record_id, source_row, issues from chk_questionnaire where has_error
    union all
    select 'nspcc_activity', 'nspcc_activity', record_id, source_row, issues from chk_nspcc_activity where has_error
    union all
    select 'sau_log', 'sau_log', record_id, source_row, issues from chk_sau_log where has_error
    union all
    select 'unit_costs', 'unit_costs', record_id, source_row, issues from chk_unit_costs where has_error
    union all
    select 'unit_costs', 'inflation_indices', record_id, source_row, issues from chk_inflation_indices where has_error
    union all
    select 'unit_costs', 'code_map', record_id, source_row, issues from chk_code_map where has_error
    union all
    select 'unit_costs', 'perspectives', record_id, source_row, issues from chk_perspectives where has_error
),
malformed as (
    select source, source_table, null::varchar as record_id, source_row,
           [pfc_issue('malformed_line', null, 'error', 'line cannot be parsed: ' || error, null)] as issues
    from raw_rejects
),
all_rows as (
    select * from failed
    union all
    select * from malformed
)
select
    source,
    source_table,
    record_id,
    source_row,
    list_transform(list_filter(issues, lambda x: x.severity = 'error'), lambda x: x.rule) as rules,
    array_to_string(list_transform(list_filter(issues, lambda x: x.severity = 'error'),
        lambda x: coalesce(x.field || ': ', '') || x.message || coalesce(' (value ' || x.value || ')', '')), '; ') as reasons
from all_rows
order by source, source_table, source_row;
