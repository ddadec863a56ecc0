-- fct_resource_use: one row per costed resource-use item: its unit cost in the target price year
-- (the selected variant, site-adjusted), cost = quantity × code-map multiplier × unit cost, and
-- is_selected, set by the source priority so that no item is counted twice. An item without a cost
-- (unmapped code, no unit cost, no index path, unknown quantity) has a null cost and a cost_problem.
-- upstream: int_resource_use, stg_code_map, int_unit_costs_inflated, stg_inflation_indices, dim_family, run_settings,
-- stg_questionnaire, stg_nspcc_activity, stg_sau_log
-- Two passes over int_resource_use (a view), so that no copy of the items is kept: first the
-- source each family × period × group is costed from, chosen from the items' few key columns (a
-- temp table of a few hundred thousand rows); then every item, priced, with its chosen source,
-- written straight into the table. Computing the items twice costs less than keeping them between
-- the two steps: a temp table of the ~30 item columns was about 1 GB at 20,000 families, filled the
-- memory limit, and at 100,000 families spilled to disk. The temp view and table are not named
-- after the model (a model whose file makes "temp table <its name>" is taken for a temporary model).
-- DuckDB misjudges the size of the respondent ranks in int_resource_use (about 150,000 rows at
-- 20,000 families, estimated at hundreds of millions) and builds its hash join on the 2.4 million
-- answers instead; with the side-swapping optimizer off for both passes, each join builds on the
-- side written on the right (the small tables are written on the right below).
set variable fct_resource_use_disabled_optimizers = current_setting('disabled_optimizers');
set disabled_optimizers = concat_ws(',', nullif(getvariable('fct_resource_use_disabled_optimizers'), ''),
                                    'build_side_probe_side');

create or replace temp view resource_use_grouped_tmp as
select
    i.*,
    -- the code map's group; costing.social_work_codes adds questionnaire codes to social_work;
    -- an unmapped code falls in its source's usual group
    case when i.source = 'questionnaire'
              and list_contains(from_json(getvariable('costing.social_work_codes'), '["VARCHAR"]'), i.resource_code)
         then 'social_work'
         when m.priority_group is not null then m.priority_group
         when i.source = 'nspcc_activity' then 'ips_intervention'
         when i.source = 'sau_log' then 'social_work'
         else 'other' end as priority_group
from int_resource_use as i
left join stg_code_map as m on m.source = i.source and m.source_code = i.resource_code;

create or replace temp table resource_use_sources_tmp as
with families as (
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
-- Like for like (docs/costing.md): the arms each source covers ([sources.<name>] arms). In the base
-- case a source costs a group only if it covers both arms, so a log kept in one arm only leaves the
-- group to parent report in both; with costing.arm_specific_logs (sensitivity) a source costs the
-- group in the arms it covers. The intervention's own delivery (ips_intervention) is costed from its
-- log in the arms that log covers, in every analysis: the other arm has no intervention to cost.
source_arms as (
    select k as source, from_json(getvariable('costing.source_arms')::json -> k, '["VARCHAR"]') as arms
    from (select unnest(json_keys(getvariable('costing.source_arms')::json)) as k)
),
eligible as (
    select p.priority_group, p.position, p.source, a.arm,
           case when p.priority_group = 'ips_intervention' or getvariable('costing.arm_specific_logs')
                then 'source covers the arm'
                else 'source covers both arms' end as rule
    from effective_priority as p
    join source_arms as s using (source)
    cross join (select unnest(['IPS', 'SAU']) as arm) as a
    where list_contains(s.arms, a.arm)
      and (p.priority_group = 'ips_intervention' or getvariable('costing.arm_specific_logs')
           or (list_contains(s.arms, 'IPS') and list_contains(s.arms, 'SAU')))
)
select c.family_id, c.period, c.priority_group, arg_min(c.source, p.position) as chosen_source,
       arg_min(p.rule, p.position) as source_rule
from (select distinct family_id, period, priority_group, source from resource_use_grouped_tmp
      where period is not null and not is_duplicate_report) as c
join families as f using (family_id)
join eligible as p on p.priority_group = c.priority_group and p.source = c.source and p.arm = f.arm
group by c.family_id, c.period, c.priority_group;

create or replace table fct_resource_use as
with code_map as (
    select * from stg_code_map
),
unit_costs as (
    select * from int_unit_costs_inflated where is_selected
),
indices as (
    select index_code, price_year, index_value from stg_inflation_indices
),
-- the last year each index prints: money paid after it is priced at that year's level (an
-- assumption, flagged cash_after_last_index_year in audit_costing): its price level is not yet known
index_last_year as (
    select index_code, max(price_year) as last_price_year from stg_inflation_indices group by index_code
),
families as (
    select family_id, site, arm, is_withdrawn from dim_family
),
-- the financial year of each price date, worked out once per date rather than once per item
price_years as (
    select price_date, pfc_financial_year(price_date) as financial_year
    -- (every item's price date is a response's assessment date or a log record's date: these dates
    -- rather than a third pass over the items)
    from (select assessment_date as price_date from stg_questionnaire
          union select activity_date from stg_nspcc_activity
          union select activity_date from stg_sau_log)
    where price_date is not null
),
priced as (
    select
        i.*,
        m.unit_cost_code,
        m.multiplier,
        m.category,
        m.is_transfer,
        u.unit_cost_id,
        u.unit,
        -- Money (unit gbp) is in cash prices of its date: deflated from the financial year of the
        -- payment (or the questionnaire) to the target year with the row's own index (docs/costing.md
        -- "Transfers"); every other unit cost is already in the target year.
        case when u.unit = 'gbp' and i.price_date is not null
             then u.cost_source_gbp * u.index_to / nullif(cash.index_value, 0)
             else u.unit_cost_gbp end as unit_cost_unadjusted_gbp,
        case when u.unit = 'gbp' and i.price_date is not null
             then least(y.financial_year, last.last_price_year)
             else u.source_price_year end as cost_price_year,
        u.unit = 'gbp' and i.price_date is not null
            and y.financial_year > last.last_price_year as is_cash_after_last_index_year,
        case when u.unit = 'gbp' and i.price_date is not null
             then coalesce(u.index_to is not null and cash.index_value > 0, false)
             else u.has_index_path end as has_index_path,
        u.sector,
        f.site,
        f.arm,
        f.is_withdrawn,
        -- money paid to families is not a staff cost: no site adjustment
        case when u.unit = 'gbp' then 1.0
             else coalesce(try_cast(getvariable('costing.site_multipliers')::json ->> f.site as double), 1.0)
        end as site_multiplier,
        -- The non-contact allowance (a sensitivity; default 0) multiplies the minutes of face-to-face
        -- NSPCC activities (costing.contact_activities); the role's recorded non-contact activities
        -- and travel are then inside the allowance and cost nothing (factor 0), never counted twice.
        -- Per role from the library's apply_*_ratio_to lists with costing.non_contact_ratios.
        case when i.source <> 'nspcc_activity' or i.item_kind not in ('contact', 'travel') then 1.0
             when coalesce(try_cast(getvariable('costing.non_contact_role_allowances')::json ->> i.resource_code as double),
                           getvariable('costing.non_contact_allowance')) = 0 then 1.0
             when i.item_kind = 'contact'
                  and list_contains(from_json(getvariable('costing.contact_activities'), '["VARCHAR"]'), i.activity_type)
             then 1 + coalesce(try_cast(getvariable('costing.non_contact_role_allowances')::json ->> i.resource_code as double),
                               getvariable('costing.non_contact_allowance'))
             else 0.0 end as non_contact_factor
    from resource_use_grouped_tmp as i
    left join code_map as m on m.source = i.source and m.source_code = i.resource_code
    left join unit_costs as u on u.unit_cost_code = m.unit_cost_code
    left join index_last_year as last on last.index_code = u.inflation_index
    left join price_years as y on y.price_date = i.price_date
    left join indices as cash
        on u.unit = 'gbp' and cash.index_code = u.inflation_index
       and cash.price_year = least(y.financial_year, last.last_price_year)
    left join families as f using (family_id)
),
costed as (
    select
        *,
        unit_cost_unadjusted_gbp * site_multiplier * non_contact_factor as unit_cost_gbp,
        quantity * multiplier * unit_cost_unadjusted_gbp * site_multiplier * non_contact_factor as cost_gbp,
        -- a code the code map keeps for triangulation only (priority_group not_costed) is never costed
        case when priority_group = 'not_costed' then 'not_costed'
             when unit_cost_code is null then 'unmapped_code'
             when unit_cost_id is null then 'no_unit_cost'
             when not has_index_path then 'no_index_path'
             when is_missing_quantity then 'missing_quantity' end as cost_problem
    from priced
)

select
    c.family_id,
    c.person_id,
    c.source,
    c.period,
    c.activity_date,
    c.resource_code,
    c.item_kind,
    c.activity_type,
    c.attendance,
    c.quantity,
    c.reported_quantity,
    c.prorate_factor,
    c.extrapolation_factor,
    c.quantity_unit,
    c.multiplier,
    c.unit,
    c.unit_cost_id,
    c.unit_cost_code,
    c.unit_cost_unadjusted_gbp,
    c.cost_price_year,
    coalesce(c.is_cash_after_last_index_year, false) as is_cash_after_last_index_year,
    coalesce(c.is_transfer, false) as is_transfer,
    c.site_multiplier,
    c.non_contact_factor,
    c.unit_cost_gbp,
    c.cost_gbp,
    getvariable('study.target_price_year') as price_year,
    c.sector,
    c.category,
    c.priority_group,
    ch.chosen_source,
    ch.source_rule,
    c.source = ch.chosen_source and not c.is_duplicate_report and c.cost_problem is distinct from 'not_costed' as is_selected,
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
    -- the part of the cost that extrapolation added (cost × (1 − 1 / factor))
    case when c.is_extrapolated then c.cost_gbp * (1 - 1 / c.extrapolation_factor) else 0 end as extrapolated_cost_gbp,
    c.counted_per,
    c.is_duplicate_report,
    c.site,
    c.arm,
    c.is_withdrawn
from costed as c
left join resource_use_sources_tmp as ch using (family_id, period, priority_group);

set disabled_optimizers = getvariable('fct_resource_use_disabled_optimizers');
drop table resource_use_sources_tmp;
drop view resource_use_grouped_tmp;
