-- audit_costing: one row per costing problem: a unit cost with no inflation index path (error), a
-- source code with no mapping or no unit cost (error, per family), a provider record outside every
-- period window (warning: kept, not costed in a period), items with unknown quantity (per family ×
-- period × source), answers not costed because another respondent's answer about the same child or
-- family was (info), and follow-up questionnaires that do not end the window: later ones (info) and
-- ones outside the follow-up window (warning), and hospital nights reported with no admission
-- (warning: docs/costing.md "Hospital stays"). upstream: int_unit_costs_inflated, fct_resource_use,
-- int_family_windows, stg_questionnaire, stg_code_map
create or replace table audit_costing as
with unit_costs as (
    select * from int_unit_costs_inflated
),
-- items: not materialised (DuckDB would store a CTE read five times); each reader scans the stored
-- table for its own columns and rows
items as not materialized (
    select source, family_id, period, resource_code, source_record_id, record_group_id, person_id, is_selected,
           cost_problem, reported_quantity, is_outside_window, activity_date, is_missing_quantity, missing_reason,
           is_cash_after_last_index_year, cost_price_year, is_duplicate_report
    from fct_resource_use
),
no_index as (
    select 'no_index_path' as rule, case when is_selected then 'error' else 'warning' end as severity,
           'unit_costs' as source, null as family_id, null as period, unit_cost_code as resource_code,
           unit_cost_id as record_id, 1 as n_items,
           'index ' || inflation_index || ' has no value for ' || source_price_year || ' or ' || price_year
               || ': the cost cannot be moved to the target price year' as message
    from unit_costs where not has_index_path
),
unpriced as (
    select cost_problem, 'error', source, family_id, period, resource_code, min(source_record_id), count(*),
           case cost_problem when 'unmapped_code' then 'code has no row in code_map.csv: not costed (never zero)'
                else 'mapped unit cost has no selected row in unit_costs.csv: not costed' end
    from items where cost_problem in ('unmapped_code', 'no_unit_cost')
    group by all
),
-- nights reported with 'no' admissions: a contradictory answer, costed as excess bed days without a
-- spell (code_map.csv net_of), so reported rather than guessed
nights_without_admission as (
    select 'nights_without_admission', 'warning', n.source, n.family_id, n.period, n.resource_code,
           n.source_record_id, 1,
           n.reported_quantity || ' night(s) reported with no ' || m.net_of
               || ': costed as excess bed days without a spell'
    from items as n
    join stg_code_map as m on m.source = n.source and m.source_code = n.resource_code and m.net_of is not null
    join items as a on a.record_group_id = n.record_group_id and a.person_id is not distinct from n.person_id
                   and a.source = n.source and a.resource_code = m.net_of
    where n.reported_quantity > 0 and a.reported_quantity = 0
),
outside as (
    select 'outside_window', 'warning', source, family_id, null, resource_code, source_record_id, 1,
           'record dated ' || activity_date || ' is outside the follow-up window: kept, not costed in a period'
    from items where is_outside_window
),
missing as (
    select 'missing_quantity', 'warning', source, family_id, period, null, null, count(*),
           count(*) || ' item(s) with unknown quantity (' || string_agg(distinct missing_reason, ', ' order by missing_reason) || ')'
    from items where is_missing_quantity and period is not null
    group by all
),
cash_after_index as (
    select 'cash_after_last_index_year', 'warning', source, family_id, period, resource_code, min(source_record_id), count(*),
           count(*) || ' payment(s) dated after the last year of their inflation index: priced at its last year ('
               || max(cost_price_year) || '), an assumption until the index is published'
    from items where is_cash_after_last_index_year and is_selected
    group by all
),
duplicates as (
    select 'duplicate_report', 'info', source, family_id, period, null, min(record_group_id), count(*),
           count(*) || ' answer(s) about a child or the family already counted from another response '
               || '(costing.respondent_rule = ' || getvariable('costing.respondent_rule') || '): reported, not costed'
    from items where is_duplicate_report
    group by all
),
follow_ups as (
    select q.response_id, q.family_id, q.assessment_date, w.window_follow_up_date, w.randomised_date
    from stg_questionnaire as q
    join int_family_windows as w using (family_id)
    where q.timepoint = 'follow_up'
),
later_follow_ups as (
    select case when window_follow_up_date is null or assessment_date <= randomised_date
                     or assessment_date < window_follow_up_date then 'follow_up_outside_window'
                else 'later_follow_up' end,
           case when window_follow_up_date is null or assessment_date <= randomised_date
                     or assessment_date < window_follow_up_date then 'warning' else 'info' end,
           'questionnaire', family_id, 'follow_up', null, response_id, 1,
           case when window_follow_up_date is null or assessment_date <= randomised_date
                     or assessment_date < window_follow_up_date
                then 'follow-up questionnaire dated ' || assessment_date || ' is outside the follow-up window: it does not end the window; its recall counts only where it falls inside'
                else 'follow-up questionnaire dated ' || assessment_date || ' is later than the one that ends the window ('
                     || window_follow_up_date || '): its recall counts only where it falls inside the window' end
    from follow_ups
    where window_follow_up_date is distinct from assessment_date
)
select * from no_index
union all select * from duplicates
union all select * from cash_after_index
union all select * from later_follow_ups
union all select * from unpriced
union all select * from outside
union all select * from missing
union all select * from nights_without_admission
-- the leading keys say how users read it; the rest make the order total (identical runs, identical tables)
order by severity, rule, source, family_id, period, resource_code, record_id, n_items, message;
