-- audit_unit_cost_coverage: one row per code seen in the data (questionnaire services with a
-- quantity above zero, NSPCC staff roles and direct_support:<type>, SAU attendee roles and status
-- entry types): records and families using it, its mapping, base unit cost and inflation path from
-- the unit cost's price year to the study's target price year. is_covered is false, with the problem, when any link is missing:
-- those records cannot be costed.
-- upstream: stg_questionnaire_answers, stg_nspcc_activity, stg_sau_log, stg_code_map, stg_unit_costs,
-- stg_inflation_indices, run_settings
create or replace table audit_unit_cost_coverage as
with seen as (
    select 'questionnaire' as source, service as source_code, family_id, response_id || ':' || field as record_key
    from stg_questionnaire_answers
    where block = 'service_use' and field not like '%\_any' escape '\' and answer_code > 0
    union all
    select 'nspcc_activity',
           case when activity_type = 'direct_support' then 'direct_support:' || support_type else staff_role end,
           family_id, record_id
    from stg_nspcc_activity
    union all
    select 'sau_log', unnest(attendees), family_id, record_id
    from stg_sau_log
    union all
    -- status entries (placement, plan, proceedings: no attendees) are costed by their contact_type
    select 'sau_log', contact_type, family_id, record_id
    from stg_sau_log
    where child_id is not null and coalesce(len(attendees), 0) = 0
),
codes as (
    select source, source_code, count(distinct record_key) as n_records, count(distinct family_id) as n_families
    from seen
    where source_code is not null
    group by all
),
base_costs as (
    select unit_cost_code, min(unit_cost_id) as unit_cost_id, arg_min(price_year, unit_cost_id) as price_year,
           arg_min(inflation_index, unit_cost_id) as inflation_index
    from stg_unit_costs
    where variant = 'base'
    group by unit_cost_code
),
linked as (
    select
        c.*,
        m.unit_cost_code,
        b.unit_cost_id,
        b.price_year,
        b.inflation_index,
        getvariable('study.target_price_year') as target_price_year,
        m.source_code is not null as is_mapped,
        b.unit_cost_code is not null as has_base_unit_cost,
        exists (select 1 from stg_inflation_indices as i
                where i.index_code = b.inflation_index and i.price_year = b.price_year)
        and exists (select 1 from stg_inflation_indices as i
                    where i.index_code = b.inflation_index and i.price_year = getvariable('study.target_price_year'))
            as has_inflation_path
    from codes as c
    left join stg_code_map as m using (source, source_code)
    left join base_costs as b on b.unit_cost_code = m.unit_cost_code
)
select
    *,
    is_mapped and has_base_unit_cost and has_inflation_path as is_covered,
    case
        when not is_mapped then 'no row in unit_costs/code_map.csv'
        when not has_base_unit_cost then 'unit_cost_code ' || unit_cost_code || ' has no base unit cost'
        when not has_inflation_path then 'no ' || inflation_index || ' index for ' || price_year || ' and ' || target_price_year
    end as problem
from linked
order by is_covered, source, source_code;
