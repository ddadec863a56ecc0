-- fct_source_agreement: one row per family × period × priority group with a parent report or a log
-- (social_work: parent-reported social-worker contacts and meetings against SAU log entries;
-- ips_intervention: NSPCC contacts against parent-reported contacts with the IPS team, never costed;
-- children_in_care: parent-reported placements, proceedings and plans against the SAU log), for
-- triangulation. Both sources are counted whichever the priority chose, so an arm-specific log that
-- the base case does not cost is compared here. upstream: fct_resource_use
create or replace table fct_source_agreement as
-- items: not materialised (DuckDB would store a CTE read three times); each reader scans the
-- stored table for its own columns and rows
with items as not materialized (
    -- parent-reported contacts with the IPS team are never costed (priority_group not_costed) but
    -- are compared here with the NSPCC log, as category ips_intervention
    select family_id, period, source, item_kind, attendance, quantity, is_missing_quantity, record_group_id,
           chosen_source,
           case when priority_group = 'not_costed' then category else priority_group end as priority_group
    from fct_resource_use
    where period is not null and not is_duplicate_report
      and (case when priority_group = 'not_costed' then category else priority_group end)
          in ('social_work', 'ips_intervention', 'children_in_care')
),
parent as (
    select family_id, period, priority_group,
           pfc_exact_sum(quantity)::double as parent_reported_contacts,
           count(*) filter (where is_missing_quantity) as n_parent_items_missing
    from items
    where source = 'questionnaire'
    group by all
),
-- a logged contact is one log entry or one NSPCC contact that took place (not DNA or cancelled)
logged as (
    select family_id, period, priority_group, source as logged_source,
           count(distinct record_group_id) as logged_contacts
    from items
    where source in ('sau_log', 'nspcc_activity') and item_kind = 'contact'
      and (attendance is null or attendance = 'attended')
    group by all
),
chosen as (
    select family_id, period, priority_group, max(chosen_source) as chosen_source from items group by all
)
select
    family_id,
    period,
    priority_group as category,
    p.parent_reported_contacts,
    coalesce(p.n_parent_items_missing, 0) as n_parent_items_missing,
    l.logged_source,
    l.logged_contacts,
    l.logged_contacts - p.parent_reported_contacts as logged_minus_reported,
    c.chosen_source
from chosen as c
left join parent as p using (family_id, period, priority_group)
left join logged as l using (family_id, period, priority_group)
order by family_id, period desc, category;
