-- audit_instruments: one row per instrument × form × timepoint (the feasibility report's Section 2,
-- from data): persons expected, administered (at least one item), complete (every item), scorable
-- (meets the minimum items of instruments/scales.csv), items missing, and why not scorable. Parent
-- instruments expect one respondent per family whose questionnaire was expected; child instruments
-- count the children of returned questionnaires whose age says the form applies (children of an
-- unreturned questionnaire are unknown: see n_questionnaires_missing).
-- upstream: audit_instrument_responses, audit_completeness, contract_columns
create or replace table audit_instruments as
with responses as (
    select * from audit_instrument_responses
),
questionnaires_missing as (
    select case period when 'pre_baseline' then 'baseline' else 'follow_up' end as timepoint,
           count(*) filter (where is_expected and not is_received) as n_questionnaires_missing
    from audit_completeness
    where source = 'questionnaire'
    group by all
),
per_form as (
    select
        instrument, form, level, timepoint,
        any_value(n_items) as n_items,
        any_value(min_items) as min_items,
        count(*) as n_persons,
        count(*) filter (where is_administered) as n_administered,
        count(*) filter (where is_complete) as n_complete,
        count(*) filter (where is_scorable) as n_scorable,
        sum(n_items_missing) filter (where is_administered) as n_items_missing,
        count(*) filter (where status = 'not_administered') as n_not_administered,
        count(*) filter (where status = 'not_scorable' and n_answered < min_items) as n_too_few_items,
        count(*) filter (where status = 'not_scorable' and n_answered >= min_items) as n_rule_not_met
    from responses
    group by all
),
parent_spine as (
    -- every parent instrument at both timepoints, even when no questionnaire came back
    select c.instrument, 'standard' as form, 'parent' as level, m.timepoint, count(*) as n_items
    from contract_columns as c
    cross join questionnaires_missing as m
    where c.source = 'questionnaire' and c.block = 'instrument' and c.level = 'parent'
    group by all
),
all_forms as (
    select * from per_form
    union all
    select s.instrument, s.form, s.level, s.timepoint, s.n_items, null, 0, 0, 0, 0, 0, 0, 0, 0
    from parent_spine as s
    anti join per_form as p using (instrument, form, level, timepoint)
),
with_expected as (
    select
        p.*,
        m.n_questionnaires_missing,
        p.n_persons + case when p.level = 'parent' then m.n_questionnaires_missing else 0 end as n_expected
    from all_forms as p
    join questionnaires_missing as m using (timepoint)
)
select
    instrument, form, level, timepoint, n_items, min_items,
    n_expected, n_administered, n_complete, n_scorable,
    coalesce(n_items_missing, 0) as n_items_missing,
    round(n_complete / nullif(n_expected, 0), 3) as completion_share,
    round(n_scorable / nullif(n_expected, 0), 3) as scorable_share,
    n_questionnaires_missing,
    nullif(concat_ws('; ',
        case when level = 'parent' and n_questionnaires_missing > 0 then n_questionnaires_missing || ' questionnaire(s) not returned' end,
        case when n_not_administered > 0 then n_not_administered || ' not administered (no item answered)' end,
        case when n_too_few_items > 0 then n_too_few_items || ' with fewer than ' || min_items || ' of ' || n_items || ' items' end,
        case when n_rule_not_met > 0 then n_rule_not_met || ' not scorable by the score''s own rule (e.g. a BCAP ''not sure'' or missing risk item)' end
    ), '') as reason_not_scorable
from with_expected
order by level desc, instrument, form, timepoint;
