-- int_unit_costs_inflated: one row per unit cost (code × variant), moved to the study's target price
-- year with its own index (cost × index[target] / index[price_year]), with is_selected marking the
-- variant this run uses (base, unless costing.unit_cost_variants names another for the code). A row
-- whose index has no value for its price year or the target year has a null cost and
-- has_index_path = false: an error, reported in audit_costing, never costed as zero.
-- upstream: stg_unit_costs, stg_inflation_indices, run_settings
create or replace table int_unit_costs_inflated as
with unit_costs as (
    select * from stg_unit_costs
),
indices as (
    select * from stg_inflation_indices
),
chosen_variants as (
    -- costing.unit_cost_variants is a JSON object {unit_cost_code: variant}
    select k as unit_cost_code, s.value::json ->> k as variant
    from run_settings as s, unnest(json_keys(s.value::json)) as t(k)
    where s.key = 'costing.unit_cost_variants'
),
with_index as (
    select
        u.*,
        getvariable('study.target_price_year') as target_price_year,
        i_from.index_value as index_from,
        i_to.index_value as index_to
    from unit_costs as u
    left join indices as i_from on i_from.index_code = u.inflation_index and i_from.price_year = u.price_year
    left join indices as i_to
        on i_to.index_code = u.inflation_index and i_to.price_year = getvariable('study.target_price_year')
),
inflated as (
    select
        w.*,
        index_from is not null and index_to is not null and index_from > 0 as has_index_path,
        case when index_from > 0 then cost_gbp * index_to / index_from end as cost_target_gbp,
        w.variant = coalesce(c.variant, 'base') as is_selected
    from with_index as w
    left join chosen_variants as c using (unit_cost_code)
)
select
    unit_cost_id,
    unit_cost_code,
    variant,
    is_selected,
    description,
    unit,
    cost_gbp as cost_source_gbp,
    price_year as source_price_year,
    inflation_index,
    index_from,
    index_to,
    has_index_path,
    cost_target_gbp as unit_cost_gbp,
    target_price_year as price_year,
    sector,
    excludes_travel,
    source,
    verification
from inflated
order by unit_cost_code, variant;
