-- int_instrument_scores: one row per person × timepoint × instrument × score: every score that
-- ref_scales defines for the administered form, computed by the score's rule and with a status:
-- ok; not_scorable (answered, but fewer than min_answered); missing (nothing answered).
-- Rules: mean_of_answered (PedsQL: pooled items), prorated_sum_round_half_up (SDQ: mean × items,
-- floor(x + 0.5)), sum, sum_tariff (ICECAP-A), count_keyed (BCAP), sum_of_scores, count_answered.
-- The item values are looked up per answer (a small table of item × answer code × score), so only
-- answered items are read: a score's n_items is its number of items in the form (the items of
-- int_instrument_items), and the sums and counts are taken over the answers by integer keys (the
-- questionnaire line and block, the form, the score), then matched to the administered forms.
-- upstream: int_instrument_administered, stg_questionnaire_answers, ref_instrument_items, ref_bcap_key,
-- int_instrument_answer_values, ref_scales, ref_score_scorings, ref_icecap_a_tariff
create or replace table int_instrument_scores as
with administered as materialized (
    select row_number() over () as administered_id, *
    from int_instrument_administered
),
answers as (
    select source_row, slot, field as item_code, answer_code
    from stg_questionnaire_answers
    where block = 'instrument' and answer_code is not null
),
scales as (
    select
        s.instrument, s.form, s.score, s.items_rule, s.min_answered, s.min_unit,
        split_part(s.composition, ':', 1) as composition_kind,
        string_split(regexp_extract(s.composition, ':([a-z_0-9|]+)', 1), '|') as parts,
        coalesce(sc.scoring, any_sc.scoring) as scoring,
        s.verification as score_verification,
        s.min_answered_status
    from ref_scales as s
    left join ref_score_scorings as sc on sc.instrument = s.instrument and sc.score = s.score
    left join ref_score_scorings as any_sc on any_sc.instrument = s.instrument and any_sc.score = '*'
),
-- the items each score is made of (the BCAP key gives BCAP items their scale and keyed response),
-- with integer keys for the form, the item and the score
score_items as (
    select s.*, i.item_code, coalesce(k.scale, i.scale) as scale, i.is_reversed, i.wording_class,
           k.keyed_response, k.verification as key_verification,
           dense_rank() over (order by s.instrument, s.form) as form_key,
           dense_rank() over (order by s.instrument, s.form, i.item_code) as item_key,
           dense_rank() over (order by s.instrument, s.form, s.score) as score_key
    from scales as s
    join ref_instrument_items as i on i.instrument = s.instrument and i.form = s.form
    left join ref_bcap_key as k on s.instrument = 'bcap' and k.item_code = i.item_code
    where s.composition_kind = 'items' and list_contains(s.parts, coalesce(k.scale, i.scale))
),
score_sizes as (
    select instrument, form, form_key, score, score_key, items_rule, min_answered, score_verification,
           min_answered_status, count(*) as n_items, any_value(key_verification) as key_verification
    from score_items
    group by all
),
-- the scored values of each answer code (int_instrument_answer_values: one map per code)
code_values as (
    select * from int_instrument_answer_values
),
-- each answer code's value for each score its item enters: the answer code's value under the
-- score's scoring, the tariff value of the ICECAP-A level, or 1/0 for a BCAP answer that
-- matches/misses the key ('not sure' has no value, so it counts as unanswered)
code_scores as materialized (
    select
        i.item_key, v.code as answer_code, i.score_key,
        case i.items_rule
            when 'sum_tariff' then t.value
            when 'count_keyed' then case when v.answer_meaning in ('agree', 'disagree')
                                         then (v.answer_meaning = i.keyed_response)::int end
            else v.item_values[i.scoring]
        end::double as item_value,
        v.answer_meaning = 'not_sure' as is_not_sure
    from score_items as i
    join code_values as v
      on v.instrument = i.instrument and v.form = i.form and v.is_reversed = i.is_reversed
     and v.wording_class is not distinct from i.wording_class
    left join ref_icecap_a_tariff as t
      on i.items_rule = 'sum_tariff' and t.attribute = i.scale
     and t.level = v.item_values[i.scoring]::int
),
-- each answer's values, keyed by what the answer itself carries (item code and answer code)
answer_lookup as materialized (
    select f.item_code, c.answer_code, f.form_key, c.score_key, c.item_value, c.is_not_sure
    from code_scores as c
    join (select distinct item_code, item_key, form_key from score_items) as f using (item_key)
),
-- sums and counts over the answers, per person (questionnaire line and block) × form × score; the
-- administered forms pick theirs below
answer_sums as (
    select a.source_row, a.slot, l.form_key, l.score_key,
           count(l.item_value) as n_answered,
           count(*) filter (where l.is_not_sure) as n_not_sure,
           sum(l.item_value::decimal(18, 9))::double as value_sum
    from answers as a
    join answer_lookup as l using (item_code, answer_code)
    group by all
),
item_scores as (
    select
        d.administered_id, d.response_id, d.family_id, d.person_id, d.timepoint, d.level, d.instrument,
        d.form, z.score, z.items_rule, z.min_answered, z.score_verification, z.min_answered_status,
        z.n_items,
        coalesce(s.n_answered, 0) as n_answered,
        coalesce(s.n_not_sure, 0) as n_not_sure,
        s.value_sum,
        z.key_verification
    from administered as d
    join score_sizes as z using (instrument, form)
    left join answer_sums as s
      on s.source_row = d.source_row and s.slot = d.slot and s.form_key = z.form_key and s.score_key = z.score_key
),
item_scored as (
    select
        *,
        case
            when items_rule = 'count_answered' then n_answered
            when n_answered < min_answered then null
            when items_rule = 'mean_of_answered' then value_sum / n_answered
            when items_rule = 'prorated_sum_round_half_up' then floor(value_sum * n_items / n_answered + 0.5)
            else value_sum
        end as score_value
    from item_scores
),
-- scores made of other scores (SDQ total difficulties, externalising, internalising)
score_parts as (
    select i.administered_id, s.score,
           count(*) as n_items,
           count(i.score_value) as n_answered,
           sum(i.score_value) as value_sum
    from scales as s
    join item_scored as i
      on i.instrument = s.instrument and i.form = s.form and list_contains(s.parts, i.score)
    where s.composition_kind = 'scores'
    group by i.administered_id, s.score
),
score_scored as (
    select
        d.administered_id, d.response_id, d.family_id, d.person_id, d.timepoint, d.level, s.instrument,
        s.form, s.score, s.items_rule, s.min_answered, s.score_verification, s.min_answered_status,
        p.n_items,
        p.n_answered,
        0 as n_not_sure,
        p.value_sum,
        null::varchar as key_verification,
        case when p.n_answered >= s.min_answered then p.value_sum end as score_value
    from score_parts as p
    join administered as d using (administered_id)
    join scales as s on s.instrument = d.instrument and s.form = d.form and s.score = p.score
),
all_scores as (
    select * from item_scored
    union all by name
    select * from score_scored
)
select
    response_id,
    family_id,
    person_id,
    timepoint,
    level,
    instrument,
    form,
    score,
    score_value,
    case
        when score_value is not null then 'ok'
        when n_answered = 0 and n_not_sure = 0 then 'missing'
        else 'not_scorable'
    end as score_status,
    items_rule,
    n_items,
    n_answered,
    n_not_sure,
    min_answered,
    score_verification,
    min_answered_status,
    key_verification
from all_scores;
