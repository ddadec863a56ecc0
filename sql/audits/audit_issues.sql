-- audit_issues: one row per problem found anywhere: contract errors (the row is quarantined),
-- warnings (the row stays, e.g. a parent aged 4), invalid answers and child blocks, malformed
-- lines, what the readers found (identifier columns dropped, unknown or missing columns), and
-- implausible dates across sources (audit_plausibility).
-- upstream: chk_randomisation, chk_questionnaire, chk_questionnaire_children,
-- chk_questionnaire_answer_issues, chk_nspcc_activity, chk_sau_log, chk_unit_costs,
-- chk_inflation_indices, chk_code_map, chk_perspectives, raw_rejects, raw_read_findings,
-- audit_plausibility, audit_costing
create or replace table audit_issues as
with row_issues as (
    select 'randomisation' as source, 'randomisation' as source_table, record_id, source_row, issues from chk_randomisation
    union all
    select 'questionnaire', 'questionnaire', record_id, source_row, issues from chk_questionnaire
    union all
    select 'questionnaire', 'questionnaire_children', response_id, source_row, issues from chk_questionnaire_children
    union all
    select 'questionnaire', 'questionnaire_answers', response_id, source_row, issues from chk_questionnaire_answer_issues
    union all
    select 'nspcc_activity', 'nspcc_activity', record_id, source_row, issues from chk_nspcc_activity
    union all
    select 'sau_log', 'sau_log', record_id, source_row, issues from chk_sau_log
    union all
    select 'unit_costs', 'unit_costs', record_id, source_row, issues from chk_unit_costs
    union all
    select 'unit_costs', 'inflation_indices', record_id, source_row, issues from chk_inflation_indices
    union all
    select 'unit_costs', 'code_map', record_id, source_row, issues from chk_code_map
    union all
    select 'unit_costs', 'perspectives', record_id, source_row, issues from chk_perspectives
),
unnested as (
    select source, source_table, record_id, source_row, unnest(issues) as issue
    from row_issues
    where len(issues) > 0
)
select source, source_table, record_id, source_row, issue.field as field, issue.rule as rule,
       issue.severity as severity, issue.message as message, issue.value as value
from unnested
union all
select source, source_table, null, source_row, null, 'malformed_line', 'error',
       'line cannot be parsed: ' || error, null
from raw_rejects
union all
select source, source_table, null, null, field, rule, severity, message, value
from raw_read_findings
union all
select source, source_table, record_id, source_row, field, rule, severity, message, value
from audit_plausibility
union all
-- costing problems; records outside the window are already in audit_plausibility
select source, 'costing', coalesce(record_id, family_id), null, resource_code, rule, severity, message,
       coalesce(period, '')
from audit_costing
where rule <> 'outside_window'
order by source, source_table, source_row nulls first, field;
