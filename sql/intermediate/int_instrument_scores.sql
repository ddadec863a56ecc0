-- int_instrument_scores: one row per person × timepoint × instrument × score: every score that
-- ref_scales defines for the administered form, computed by the score's rule and with a status:
-- ok; not_scorable (answered, but fewer than min_answered); missing (nothing answered).
-- Rules: mean_of_answered (PedsQL: pooled items), prorated_sum_round_half_up (SDQ: mean × items,
-- floor(x + 0.5)), sum, sum_tariff (ICECAP-A), count_keyed (BCAP), sum_of_scores, count_answered.
-- upstream: int_instrument_items, ref_scales, ref_score_scorings, ref_icecap_a_tariff
create or replace table int_instrument_scores as
with items as (
    select * from int_instrument_items
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
-- each item's value for the score it enters: the answer code's value under the score's scoring,
-- the tariff value of the ICECAP-A level, or 1/0 for a BCAP answer that matches/misses the key
-- ('not sure' has no value, so it counts as unanswered)
item_values as (
    select
        i.response_id, i.family_id, i.person_id, i.timepoint, i.level, i.instrument, i.form,
        s.score, s.items_rule, s.min_answered, s.scoring, s.score_verification, s.min_answered_status,
        i.is_answered,
        i.key_verification,
        case s.items_rule
            when 'sum_tariff' then t.value
            when 'count_keyed' then case when i.answer_meaning in ('agree', 'disagree')
                                         then (i.answer_meaning = i.keyed_response)::int end
            else i.item_values[s.scoring]
        end::double as item_value,
        i.answer_meaning = 'not_sure' as is_not_sure
    from items as i
    join scales as s
      on s.instrument = i.instrument and s.form = i.form and s.composition_kind = 'items'
     and list_contains(s.parts, i.scale)
    left join ref_icecap_a_tariff as t
      on s.items_rule = 'sum_tariff' and t.attribute = i.scale
     and t.level = i.item_values[s.scoring]::int
),
item_scores as (
    select
        response_id, family_id, person_id, timepoint, level, instrument, form, score, items_rule,
        min_answered, score_verification, min_answered_status,
        count(*) as n_items,
        count(item_value) as n_answered,
        count(*) filter (where is_not_sure) as n_not_sure,
        sum(item_value) as value_sum,
        any_value(key_verification) as key_verification
    from item_values
    group by all
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
score_scored as (
    select
        i.response_id, i.family_id, i.person_id, i.timepoint, i.level, s.instrument, s.form, s.score,
        s.items_rule, s.min_answered, s.score_verification, s.min_answered_status,
        count(*) as n_items,
        count(i.score_value) as n_answered,
        0 as n_not_sure,
        sum(i.score_value) as value_sum,
        null::varchar as key_verification,
        case when count(i.score_value) >= s.min_answered then sum(i.score_value) end as score_value
    from scales as s
    join item_scored as i
      on i.instrument = s.instrument and i.form = s.form and list_contains(s.parts, i.score)
    where s.composition_kind = 'scores'
    group by i.response_id, i.family_id, i.person_id, i.timepoint, i.level, s.instrument, s.form, s.score,
             s.items_rule, s.min_answered, s.score_verification, s.min_answered_status
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
from all_scores
order by response_id, person_id, instrument, score;
