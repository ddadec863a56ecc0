-- int_instrument_items: one row per person × timepoint × instrument × item: the expected items of
-- every administered instrument and form, with the answer code (null when blank or invalid),
-- joined to the item definition, the BCAP key and the answer-code definitions. A view, for a user
-- who wants the items (5.6 million rows at 20,000 families): int_instrument_scores computes the
-- same item values from the answers directly, without this table.
-- upstream: int_instrument_administered, stg_questionnaire_answers, ref_instrument_items,
-- int_instrument_answer_values, ref_bcap_key
create or replace view int_instrument_items as
with administered as (
    select * from int_instrument_administered
),
answers as (
    select * from stg_questionnaire_answers where block = 'instrument'
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
-- the scored values of each answer code (int_instrument_answer_values: one map per code)
code_values as (
    select * from int_instrument_answer_values
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
