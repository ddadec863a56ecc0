-- fct_cea_input: one row per randomised family × perspective: the per-family analysis table of the
-- cost-effectiveness analysis (pfc-econ cea). Costs are null unless cost_status is complete (blank is
-- not zero); effects are null where fct_family_outcomes could not compute them.
-- upstream: dim_family, fct_family_costs, fct_family_outcomes
create or replace table fct_cea_input as
with families as (
    select * from dim_family
),
costs as (
    select * from fct_family_costs
),
outcomes as (
    select * from fct_family_outcomes
),
follow_up as (
    select family_id, perspective, total_cost_gbp, known_cost_gbp, cost_status, price_year
    from costs
    where period = 'follow_up'
),
pre_baseline as (
    select family_id, perspective, total_cost_gbp, cost_status
    from costs
    where period = 'pre_baseline'
),
joined as (
    select
        f.family_id,
        fu.perspective,
        f.arm,
        f.site,
        f.is_withdrawn,
        fu.total_cost_gbp as cost_gbp,
        fu.known_cost_gbp as known_cost_gbp,
        fu.cost_status as cost_status,
        pb.total_cost_gbp as baseline_cost_gbp,
        pb.cost_status as baseline_cost_status,
        o.child_qaly,
        o.baseline_child_utility,
        o.parent_yfc,
        o.baseline_parent_capability,
        o.followup_days,
        o.outcome_status,
        fu.price_year
    from families as f
    join follow_up as fu on fu.family_id = f.family_id
    left join pre_baseline as pb on pb.family_id = f.family_id and pb.perspective = fu.perspective
    left join outcomes as o on o.family_id = f.family_id
)
select * from joined
order by perspective, family_id;
