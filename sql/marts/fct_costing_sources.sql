-- fct_costing_sources: one row per arm × period × priority group × category × source that costed
-- something: which source costed which category in each arm, under which rule (docs/costing.md
-- "Like for like"), how many families and items, and their known cost before perspectives; the
-- sources that also reported the group but were not costed (kept for fct_source_agreement).
-- upstream: fct_resource_use, run_settings
create or replace table fct_costing_sources as
-- items: not materialised (DuckDB would store a CTE read twice); each reader scans the stored
-- table for its own columns and rows
with items as not materialized (
    select arm, period, priority_group, category, source, source_rule, family_id, cost_gbp, is_selected,
           is_duplicate_report, chosen_source
    from fct_resource_use where period is not null
),
analysis as (
    select case when getvariable('costing.parent_report_only') then 'parent_report_only'
                when getvariable('costing.arm_specific_logs') then 'arm_specific_logs'
                else 'base_case' end as analysis
),
-- per family first, then per cell: the families are counted as groups rather than by a distinct
-- count beside other aggregates (which DuckDB plans as a stored copy of the items)
selected_families as (
    select arm, period, priority_group, coalesce(category, 'unmapped') as category, source, family_id,
           max(source_rule) as source_rule,
           count(*) as n_items,
           pfc_exact_sum(cost_gbp) as known_cost_gbp
    from items
    where is_selected
    group by all
),
selected as (
    select arm, period, priority_group, category, source,
           max(source_rule) as source_rule,
           count(family_id) as n_families,
           sum(n_items)::bigint as n_items,
           round(coalesce(sum(known_cost_gbp), 0), 2)::double as known_cost_gbp
    from selected_families
    group by arm, period, priority_group, category, source
),
not_costed as (
    select arm, period, priority_group, list(distinct source order by source) as sources_not_costed
    from items
    where not is_selected and not is_duplicate_report and source <> chosen_source
    group by all
)
select
    a.analysis,
    s.arm,
    s.period,
    s.priority_group,
    s.category,
    s.source,
    s.source_rule,
    s.n_families,
    s.n_items,
    s.known_cost_gbp,
    getvariable('study.target_price_year') as price_year,
    coalesce(n.sources_not_costed, []::varchar[]) as sources_not_costed
from selected as s
cross join analysis as a
left join not_costed as n using (arm, period, priority_group)
order by s.arm, s.period desc, s.priority_group, s.category, s.source;
