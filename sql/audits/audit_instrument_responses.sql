-- audit_instrument_responses: one row per person × instrument × form × timepoint that a received
-- questionnaire should hold (parent instruments for every responding parent; PedsQL, SDQ and ITSEA
-- for each child whose age says the form applies, or who was given it): items answered, whether the
-- instrument is complete (all items) or scorable (its headline score was computed by the scoring
-- models, e.g. not with a BCAP 'not sure' on a risk item; else the minimum items of
-- instruments/scales.csv), and why not. The data of audit_instruments and the missingness map.
-- upstream: stg_questionnaire, stg_questionnaire_children, stg_questionnaire_answer_values, contract_columns,
-- ref_scales, ref_instrument_forms, int_instrument_scores
create or replace table audit_instrument_responses as
with responses as (
    select * from stg_questionnaire
),
children as (
    select * from stg_questionnaire_children
),
instrument_items as (
    select instrument, coalesce(form, 'standard') as form, level, count(*) as n_items
    from contract_columns
    where source = 'questionnaire' and block = 'instrument' and slot in (0, 1)
    group by all
),
-- the form codes of instruments/ (inf1, p2_4, …) as staged (infant_1_12m, 2-4, …)
form_names as (
    select instrument, form, coalesce(nullif(staged_form, ''), form) as staged_form from ref_instrument_forms
),
scales_form as (
    -- the minimum items per score, and the contract's own instrument for SDQ impact
    select
        case when s.instrument = 'sdq' and s.score = 'impact' then 'sdq_impact' else s.instrument end as instrument,
        coalesce(n.staged_form, s.form) as scales_form,
        try_cast(s.min_answered as integer) as min_answered
    from ref_scales as s
    left join form_names as n using (instrument, form)
    where s.min_unit = 'items'
),
-- the scoring models' verdict on each instrument's headline score
headline_scores as (
    select
        s.response_id, s.person_id,
        case when s.instrument = 'sdq' and s.score = 'impact' then 'sdq_impact' else s.instrument end as instrument,
        coalesce(n.staged_form, s.form) as form,
        s.score_status, s.n_not_sure
    from int_instrument_scores as s
    left join form_names as n using (instrument, form)
    where (s.instrument, s.score) in (('bcap', 'abuse_risk'), ('ghq12', 'likert'), ('icecap_a', 'value'),
                                      ('pedsql', 'total'), ('sdq', 'total_difficulties'), ('sdq', 'impact'))
),
minimum_items as (
    select instrument, scales_form, max(min_answered) as min_items from scales_form group by all
),
parent_rows as (
    select r.response_id, r.family_id, r.person_id, r.timepoint, 'parent' as level, i.instrument,
           'standard' as form, i.instrument as scales_instrument, 'standard' as scales_form,
           r.source_row, 0 as slot
    from responses as r
    cross join instrument_items as i
    where i.level = 'parent'
),
child_forms as (
    select
        c.*,
        coalesce(c.pedsql_form, case when c.age_months <= 12 then 'infant_1_12m' when c.age_months <= 24 then 'infant_13_24m'
                                     when c.age_months < 60 then 'toddler_2_4y' when c.age_months < 96 then 'young_child_5_7y' end)
            as pedsql_row_form,
        coalesce(c.sdq_form, case when c.age_months >= 48 then '4-17' when c.age_months >= 24 then '2-4' end) as sdq_row_form,
        c.age_months < 24 as is_itsea_age
    from children as c
),
child_rows as (
    select response_id, family_id, person_id, timepoint, 'child' as level, 'pedsql' as instrument,
           pedsql_row_form as form, 'pedsql' as scales_instrument, pedsql_row_form as scales_form, source_row, slot
    from child_forms where pedsql_row_form is not null
    union all
    select response_id, family_id, person_id, timepoint, 'child', unnest(['sdq', 'sdq_impact']), sdq_row_form,
           unnest(['sdq', 'sdq_impact']), sdq_row_form, source_row, slot
    from child_forms where sdq_row_form is not null
    union all
    select response_id, family_id, person_id, timepoint, 'child', 'itsea', 'standard', 'itsea', 'standard',
           source_row, slot
    from child_forms where is_itsea_age
),
expected_rows as (
    select * from parent_rows
    union all
    select * from child_rows
),
-- answers counted per person by integer keys (the questionnaire line and block, 0 = parent, and a
-- key per instrument × form), straight from the narrow answers; the names are joined to the counts
instrument_forms as (
    -- a key per instrument × form: the contract position of its first column
    select instrument, coalesce(form, 'standard') as answer_form, min(position) as form_key
    from contract_columns
    where source = 'questionnaire' and block = 'instrument'
    group by all
),
instrument_columns as (
    select c.position as column_id, c.slot, f.form_key
    from contract_columns as c
    join instrument_forms as f
      on f.instrument is not distinct from c.instrument and f.answer_form = coalesce(c.form, 'standard')
    where c.source = 'questionnaire' and c.block = 'instrument'
),
answered as (
    select a.source_row, a.slot, f.instrument, f.answer_form, a.n_answered
    from (select v.source_row, c.slot, c.form_key, count(*) as n_answered
          from stg_questionnaire_answer_values as v
          join instrument_columns as c using (column_id)
          group by all) as a
    join instrument_forms as f using (form_key)
),
counted as (
    select
        e.*,
        i.n_items,
        coalesce(m.min_items, i.n_items) as min_items,
        coalesce(a.n_answered, 0) as n_answered,
        h.score_status,
        h.n_not_sure
    from expected_rows as e
    join instrument_items as i
        on i.instrument = e.instrument
       and i.form = case when e.instrument = 'pedsql' then e.form else 'standard' end
    left join minimum_items as m on m.instrument = e.scales_instrument and m.scales_form = e.scales_form
    left join answered as a
        on a.source_row = e.source_row and a.slot = e.slot and a.instrument = e.instrument
       and a.answer_form = case when e.instrument = 'pedsql' then e.form else 'standard' end
    left join headline_scores as h
        on h.response_id = e.response_id and h.person_id = e.person_id and h.instrument = e.instrument
       and h.form = e.form
),
judged as (
    select *, n_answered > 0 and coalesce(score_status = 'ok', n_answered >= min_items) as is_scorable
    from counted
)
select
    response_id, family_id, person_id, timepoint, level, instrument, form,
    n_items, min_items, n_answered,
    n_items - n_answered as n_items_missing,
    n_answered > 0 as is_administered,
    n_answered = n_items as is_complete,
    is_scorable,
    case
        when n_answered = 0 then 'not_administered'
        when not is_scorable then 'not_scorable'
        when n_answered = n_items then 'complete'
        else 'scorable'
    end as status,
    case
        when n_answered = 0 then 'no item answered'
        when n_answered < min_items then 'only ' || n_answered || ' of ' || n_items || ' items answered (' || min_items || ' needed)'
        when not is_scorable and n_not_sure > 0 then n_not_sure || ' ''not sure'' answer(s) on abuse-risk items'
        when not is_scorable then 'the score''s own rule is not met (see int_instrument_scores)'
    end as reason_not_scorable
from judged
order by timepoint, instrument, form, family_id, person_id;
