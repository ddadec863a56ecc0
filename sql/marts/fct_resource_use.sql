-- fct_resource_use: one row per costed resource-use item: its unit cost in the target price year
-- (the selected variant, site-adjusted), cost = quantity × code-map multiplier × unit cost, and
-- is_selected, set by the source priority so that no item is counted twice. An item without a cost
-- (unmapped code, no unit cost, no index path, unknown quantity) has a null cost and a cost_problem.
-- upstream: int_resource_use, stg_code_map, int_unit_costs_inflated, dim_family, run_settings
create or replace table fct_resource_use as
with items as (
    select * from int_resource_use
),
code_map as (
    select * from stg_code_map
),
unit_costs as (
    select * from int_unit_costs_inflated where is_selected
),
families as (
    select family_id, site, arm, is_withdrawn from dim_family
),
-- costing.source_priority: {group: [source, ...]}, first source with items for the family and period wins
priority as (
    select k as priority_group, p.position, p.source
    from run_settings as s,
         unnest(json_keys(s.value::json)) as t(k),
         unnest(from_json(s.value::json -> k, '["VARCHAR"]')) with ordinality as p(source, position)
    where s.key = 'costing.source_priority'
),
-- parent_report_only (sensitivity): a group the parent reports on is costed from parent report alone;
-- a group with no parent-report item (the IPS intervention) keeps its own source.
effective_priority as (
    select * from priority
    where not getvariable('costing.parent_report_only')
       or source = 'questionnaire'
       or priority_group not in (select priority_group from priority where source = 'questionnaire')
),
priced as (
    select
        i.*,
        case i.source when 'nspcc_activity' then 'ips_intervention'
                      when 'sau_log' then 'social_work'
                      else case when list_contains(from_json(getvariable('costing.social_work_codes'), '["VARCHAR"]'),
                                                   i.resource_code) then 'social_work' else 'other' end
        end as priority_group,
        m.unit_cost_code,
        m.multiplier,
        m.category,
        u.unit_cost_id,
        u.unit,
        u.unit_cost_gbp as unit_cost_unadjusted_gbp,
        u.sector,
        u.has_index_path,
        f.site,
        f.arm,
        f.is_withdrawn,
        -- money paid to families is not a staff cost: no site adjustment
        case when u.unit = 'gbp' then 1.0
             else coalesce(try_cast(getvariable('costing.site_multipliers')::json ->> f.site as double), 1.0)
        end as site_multiplier,
        -- the non-contact allowance applies to NSPCC contact time only (not travel, not payments)
        case when i.source = 'nspcc_activity' and i.item_kind = 'contact'
             then 1 + getvariable('costing.non_contact_allowance') else 1.0 end as non_contact_factor
    from items as i
    left join code_map as m on m.source = i.source and m.source_code = i.resource_code
    left join unit_costs as u on u.unit_cost_code = m.unit_cost_code
    left join families as f using (family_id)
),
costed as (
    select
        *,
        unit_cost_unadjusted_gbp * site_multiplier * non_contact_factor as unit_cost_gbp,
        quantity * multiplier * unit_cost_unadjusted_gbp * site_multiplier * non_contact_factor as cost_gbp,
        case when unit_cost_code is null then 'unmapped_code'
             when unit_cost_id is null then 'no_unit_cost'
             when not has_index_path then 'no_index_path'
             when is_missing_quantity then 'missing_quantity' end as cost_problem
    from priced
),
chosen as (
    select c.family_id, c.period, c.priority_group, arg_min(c.source, p.position) as chosen_source
    from (select distinct family_id, period, priority_group, source from costed where period is not null) as c
    join effective_priority as p using (priority_group, source)
    group by c.family_id, c.period, c.priority_group
)
select
    c.family_id,
    c.person_id,
    c.source,
    c.period,
    c.activity_date,
    c.resource_code,
    c.item_kind,
    c.attendance,
    c.quantity,
    c.quantity_unit,
    c.multiplier,
    c.unit,
    c.unit_cost_id,
    c.unit_cost_code,
    c.unit_cost_unadjusted_gbp,
    c.site_multiplier,
    c.non_contact_factor,
    c.unit_cost_gbp,
    c.cost_gbp,
    getvariable('study.target_price_year') as price_year,
    c.sector,
    c.category,
    c.priority_group,
    ch.chosen_source,
    c.source = ch.chosen_source as is_selected,
    c.source_record_id,
    c.record_group_id,
    c.is_missing_quantity,
    c.missing_reason,
    c.cost_problem,
    c.is_outside_window,
    c.recall_months,
    c.covered_days,
    c.period_days,
    c.is_extrapolated,
    c.site,
    c.arm,
    c.is_withdrawn
from costed as c
left join chosen as ch using (family_id, period, priority_group);
