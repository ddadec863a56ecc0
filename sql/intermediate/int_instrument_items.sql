-- int_instrument_items: one row per person × timepoint × instrument × item: the expected items of
-- every administered instrument and form, with the answer code (null when blank or invalid),
-- joined to the item definition, the BCAP key and the answer-code definitions.
-- upstream: stg_questionnaire, stg_questionnaire_children, stg_questionnaire_answers,
-- ref_instrument_items, ref_instrument_forms, ref_answer_codes, ref_bcap_key
create or replace table int_instrument_items as
with responses as (
    select * from stg_questionnaire
),
children as (
    select * from stg_questionnaire_children
),
answers as (
    select * from stg_questionnaire_answers where block = 'instrument'
),
forms as (
    select * from ref_instrument_forms
),
-- parent instruments are on every parent's questionnaire; a child's PedsQL and SDQ forms are the
-- ones recorded for the child; ITSEA counts as administered when any of its items was answered
administered as (
    select r.response_id, r.family_id, r.person_id, r.timepoint, 'parent' as level,
           f.instrument, f.form
    from responses as r
    cross join forms as f
    where f.instrument in ('ghq12', 'icecap_a', 'bcap', 'prem')
    union all
    select c.response_id, c.family_id, c.person_id, c.timepoint, 'child', f.instrument, f.form
    from children as c
    join forms as f
      on (f.instrument = 'pedsql' and f.staged_form = c.pedsql_form)
      or (f.instrument = 'sdq' and f.staged_form = c.sdq_form)
    union all
    select distinct a.response_id, a.family_id, a.person_id, a.timepoint, 'child', 'itsea', 'standard'
    from answers as a
    where a.instrument = 'itsea'
),
expected as (
    select ad.*, i.item, i.item_code, coalesce(k.scale, i.scale) as scale, i.is_reversed,
           i.wording_class, k.keyed_response, k.verification as key_verification
    from administered as ad
    join ref_instrument_items as i using (instrument, form)
    left join ref_bcap_key as k on ad.instrument = 'bcap' and k.item_code = i.item_code
),
with_answers as (
    select e.*, a.answer_code
    from expected as e
    left join answers as a
      on a.response_id = e.response_id and a.person_id = e.person_id and a.field = e.item_code
),
-- the scored values of each answer code, one map per code (a small table), joined to every item.
-- An answer-code row with a wording_class (the C-GHQ scores negative items 0-1-1-1) applies only to
-- items of that class; a row without one applies to every item of the form.
item_kinds as (
    select distinct instrument, form, is_reversed, wording_class from ref_instrument_items
),
code_values as (
    select k.instrument, k.form, k.is_reversed, k.wording_class, a.code,
           any_value(a.meaning) as answer_meaning,
           map(list(a.scoring order by a.scoring), list(a.value order by a.scoring)) as item_values
    from item_kinds as k
    join ref_answer_codes as a
      on a.instrument = k.instrument and a.form = k.form and a.is_reversed = k.is_reversed
     and (a.wording_class is null or a.wording_class = k.wording_class)
    group by all
)
select
    w.response_id,
    w.family_id,
    w.person_id,
    w.timepoint,
    w.level,
    w.instrument,
    w.form,
    w.item,
    w.item_code,
    w.scale,
    w.is_reversed,
    w.wording_class,
    w.answer_code,
    v.answer_meaning,
    coalesce(v.item_values, map()) as item_values,
    w.keyed_response,
    w.key_verification,
    w.answer_code is not null as is_answered
from with_answers as w
left join code_values as v
  on v.instrument = w.instrument and v.form = w.form and v.is_reversed = w.is_reversed
 and v.wording_class is not distinct from w.wording_class and v.code = w.answer_code;
