-- fct_family_costs: one row per randomised family (withdrawn families included and marked) × period
-- (pre_baseline, follow_up) × perspective: the known cost of the items the source priority selected,
-- and a cost_status: complete (total_cost_gbp = known cost), partial (some items have unknown
-- quantity or no unit cost, or the questionnaire is absent: total_cost_gbp is null, since blank is
-- not zero) or missing (no data for the period); the days of the period the parent report covers and
-- the part of the cost extrapolated to the window. upstream: dim_family, fct_resource_use, stg_perspectives, int_perspective_sectors,
-- stg_questionnaire, int_family_windows
create or replace table fct_family_costs as
with families as (
    select * from dim_family
),
items as (
    select family_id, period, source, sector, is_transfer, cost_gbp, extrapolated_cost_gbp, is_missing_quantity,
           cost_problem, covered_days, extrapolation_factor, period_days
    from fct_resource_use
    where is_selected
),
perspectives as (
    select distinct perspective from stg_perspectives
),
periods as (
    select * from (values ('pre_baseline'), ('follow_up')) as t(period)
),
questionnaires as (
    select distinct family_id,
           case timepoint when 'baseline' then 'pre_baseline' else 'follow_up' end as period
    from stg_questionnaire
),
spine as (
    select f.family_id, f.site, f.arm, f.is_withdrawn, f.withdrawn_date, p.period, s.perspective
    from families as f cross join periods as p cross join perspectives as s
),
-- An item counts in the perspectives of its sector (int_perspective_sectors: an item with no sector,
-- an unmapped code, counts in every one and makes it partial; transfers cancel where configured).
-- The items are first summed per family × period × sector × transfer flag × source (about a fifth
-- of the rows), and only those cells are fanned out to the perspectives and summed again: a
-- fixed-point sum of sums is the same sum, and the fan-out no longer multiplies every item.
cells as (
    select
        family_id, period, sector, is_transfer, source,
        count(*) as n_items,
        pfc_exact_sum(cost_gbp) as known_cost_gbp,
        pfc_exact_sum(extrapolated_cost_gbp) as extrapolated_cost_gbp,
        count(*) filter (where is_missing_quantity) as n_missing_items,
        count(*) filter (where cost_problem in ('unmapped_code', 'no_unit_cost', 'no_index_path')) as n_unpriced_items,
        max(covered_days * extrapolation_factor) as days_covered,
        max(period_days) as report_period_days
    from items
    group by family_id, period, sector, is_transfer, source
),
totals as (
    select
        c.family_id, c.period, s.perspective,
        sum(c.n_items)::bigint as n_items,
        coalesce(sum(c.known_cost_gbp), 0) as known_cost_gbp,
        coalesce(sum(c.extrapolated_cost_gbp), 0) as extrapolated_cost_gbp,
        sum(c.n_missing_items)::bigint as n_missing_items,
        sum(c.n_unpriced_items)::bigint as n_unpriced_items,
        list(distinct c.source order by c.source) as sources_used
    from cells as c
    join int_perspective_sectors as s on c.sector is not distinct from s.sector
    where s.counts_transfers or not c.is_transfer
    group by c.family_id, c.period, s.perspective
),
-- (any_data and coverage read the cells, not the items: items read once are not materialised)
any_data as (
    select distinct family_id, period from cells
),
-- days of the period the costed parent report covers (after any extrapolation)
coverage as (
    select family_id, period, max(days_covered) as days_covered, max(report_period_days) as report_period_days
    from cells
    where source = 'questionnaire'
    group by family_id, period
),
windows as (
    select family_id, window_days from int_family_windows
),
statused as (
    select
        s.*,
        coalesce(t.n_items, 0) as n_items,
        coalesce(t.known_cost_gbp, 0) as known_cost_gbp,
        coalesce(t.extrapolated_cost_gbp, 0) as extrapolated_cost_gbp,
        coalesce(c.days_covered, 0) as days_covered,
        case s.period when 'follow_up' then w.window_days else c.report_period_days end as period_days,
        coalesce(t.n_missing_items, 0) as n_missing_items,
        coalesce(t.n_unpriced_items, 0) as n_unpriced_items,
        coalesce(t.sources_used, []::varchar[]) as sources_used,
        d.family_id is not null as has_any_data,
        q.family_id is not null as has_questionnaire
    from spine as s
    left join totals as t using (family_id, period, perspective)
    left join any_data as d using (family_id, period)
    left join questionnaires as q using (family_id, period)
    left join coverage as c using (family_id, period)
    left join windows as w using (family_id)
),
final as (
    select
        *,
        case when not has_any_data then 'missing'
             when n_missing_items > 0 or n_unpriced_items > 0 or not has_questionnaire then 'partial'
             else 'complete' end as cost_status,
        nullif(concat_ws('; ',
            case when not has_any_data then 'no resource-use data for the period' end,
            case when has_any_data and not has_questionnaire then 'no questionnaire for the period' end,
            case when n_missing_items > 0 then n_missing_items || ' item(s) with unknown quantity' end,
            case when n_unpriced_items > 0 then n_unpriced_items || ' item(s) without a unit cost (see audit_costing)' end
        ), '') as cost_status_reason
    from statused
)
select
    family_id,
    period,
    perspective,
    case when cost_status = 'complete' then round(known_cost_gbp, 2)::double end as total_cost_gbp,
    round(known_cost_gbp, 2)::double as known_cost_gbp,
    getvariable('study.target_price_year') as price_year,
    cost_status,
    cost_status_reason,
    sources_used,
    n_items,
    n_missing_items,
    n_unpriced_items,
    round(extrapolated_cost_gbp, 2)::double as extrapolated_cost_gbp,
    round(days_covered)::integer as days_covered,
    period_days,
    site,
    arm,
    is_withdrawn,
    withdrawn_date
from final
order by family_id, period desc, perspective;
