-- audit_costing: one row per costing problem: a unit cost with no inflation index path (error), a
-- source code with no mapping or no unit cost (error, per family), a provider record outside every
-- period window (warning: kept, not costed in a period), items with unknown quantity (per family ×
-- period × source). upstream: int_unit_costs_inflated, fct_resource_use
create or replace table audit_costing as
with unit_costs as (
    select * from int_unit_costs_inflated
),
items as (
    select * from fct_resource_use
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
)
select * from no_index
union all select * from unpriced
union all select * from outside
union all select * from missing
-- the leading keys say how users read it; the rest make the order total (identical runs, identical tables)
order by severity, rule, source, family_id, period, resource_code, record_id, n_items, message;
