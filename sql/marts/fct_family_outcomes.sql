-- fct_family_outcomes: one row per randomised family: child QALYs and parent years of full
-- capability (YFC) by the area under the straight line between the baseline and follow-up values at
-- the family's actual assessment dates, over the same analysis window as its costs (int_family_windows:
-- the day after randomisation to the window end; docs/costing.md "One window"): pfc_window_auc, the
-- trapezium between the line's values at the window's start and at its end (or the follow-up), in
-- years of 365.25 days; past the follow-up nothing is counted unless costing.extrapolate_follow_up_recall.
-- The index child follows outcomes.index_child_rule: youngest_under_5 (dim_family.index_child_id),
-- all_under_5_sum or all_under_5_mean (every child under 60 months at the first questionnaire).
-- Parent: the first parent (by person_id) with a baseline questionnaire.
-- upstream: dim_family, fct_child_outcomes, fct_parent_outcomes, int_family_windows
create or replace table fct_family_outcomes as
with families as (
    select f.*, w.window_days, w.randomised_date as window_origin_date,
           f.baseline_date - w.randomised_date as t0, f.follow_up_date - w.randomised_date as t1,
           getvariable('costing.extrapolate_follow_up_recall') as carry
    from dim_family as f
    join int_family_windows as w using (family_id)
),
rule as (
    select getvariable('outcomes.index_child_rule') as index_child_rule
),
first_age as (
    select family_id, person_id, first(age_months order by assessment_date) as first_age_months
    from fct_child_outcomes
    group by all
),
index_children as (
    select f.family_id, a.person_id
    from families as f
    join first_age as a using (family_id)
    cross join rule as r
    where (r.index_child_rule = 'youngest_under_5' and a.person_id = f.index_child_id)
       or (r.index_child_rule <> 'youngest_under_5' and a.first_age_months < 60)
),
child_auc as (
    select
        i.family_id, i.person_id,
        b.chu9d_utility as u0, b.utility_status as status0,
        fu.chu9d_utility as u1, fu.utility_status as status1,
        pfc_window_auc(b.chu9d_utility, fu.chu9d_utility, f.t0, f.t1, f.window_days, f.carry) as qaly
    from index_children as i
    join families as f using (family_id)
    left join fct_child_outcomes as b
      on b.person_id = i.person_id and b.timepoint = 'baseline'
    left join fct_child_outcomes as fu
      on fu.person_id = i.person_id and fu.timepoint = 'follow_up'
),
child as (
    select
        c.family_id,
        count(*) as n_index_children,
        case when count(qaly) = count(*) then
            case r.index_child_rule when 'all_under_5_mean' then avg(qaly) else sum(qaly) end end as child_qaly,
        case when count(u0) = count(*) then
            case r.index_child_rule when 'all_under_5_mean' then avg(u0) else sum(u0) end end as baseline_child_utility,
        list_distinct(list(coalesce(status0, 'missing')) || list(coalesce(status1, 'missing'))) as utility_statuses
    from child_auc as c
    cross join rule as r
    group by c.family_id, r.index_child_rule
),
parent as (
    select
        f.family_id,
        first(b.person_id order by b.person_id) as parent_id,
        first(b.icecap_a_value order by b.person_id) as c0,
        first(fu.icecap_a_value order by b.person_id) as c1
    from families as f
    join fct_parent_outcomes as b on b.family_id = f.family_id and b.timepoint = 'baseline'
    left join fct_parent_outcomes as fu on fu.person_id = b.person_id and fu.timepoint = 'follow_up'
    group by f.family_id
),
joined as (
    select
        f.family_id, f.arm, f.site, f.is_withdrawn, f.baseline_date, f.follow_up_date,
        f.follow_up_date - f.baseline_date as followup_days,
        (select index_child_rule from rule) as index_child_rule,
        c.n_index_children, c.child_qaly, c.baseline_child_utility, c.utility_statuses,
        p.parent_id, p.c0 as baseline_parent_capability,
        pfc_window_auc(p.c0, p.c1, f.t0, f.t1, f.window_days, f.carry) as parent_yfc,
        f.window_days,
        pfc_window_days(f.t0, f.t1, f.window_days, f.carry) as outcome_days_covered
    from families as f
    left join child as c using (family_id)
    left join parent as p using (family_id)
)
select
    family_id,
    arm,
    site,
    is_withdrawn,
    child_qaly,
    parent_yfc,
    baseline_child_utility,
    baseline_parent_capability,
    followup_days,
    coalesce(nullif(array_to_string(list_filter([
        case when baseline_date is null then 'missing_baseline' end,
        case when follow_up_date is null then 'missing_follow_up' end,
        case when coalesce(n_index_children, 0) = 0 then 'no_index_child' end,
        case when n_index_children > 0 and child_qaly is null then 'child_qaly_missing' end,
        case when baseline_date is not null and parent_yfc is null then 'parent_yfc_missing' end
    ] || list_transform(list_filter(coalesce(utility_statuses, []), lambda s: s <> 'ok'),
                        lambda s: 'child_utility_' || s), lambda x: x is not null), ';'), ''),
        'complete') as outcome_status,
    index_child_rule,
    n_index_children,
    parent_id,
    baseline_date,
    follow_up_date,
    window_days,
    outcome_days_covered
from joined
order by family_id;
