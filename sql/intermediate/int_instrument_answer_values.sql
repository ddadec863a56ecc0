-- int_instrument_answer_values: one row per instrument × form × kind of item (reversed or not,
-- wording class) × answer code: the code's meaning and its scored value under each scoring, as a
-- map (instruments/answer_codes.csv). An answer-code row with a wording_class (the C-GHQ scores
-- negative items 0-1-1-1) applies only to items of that class; a row without one applies to every
-- item of the form. A view over two small reference tables.
-- upstream: ref_instrument_items, ref_answer_codes
create or replace view int_instrument_answer_values as
with item_kinds as (
    select distinct instrument, form, is_reversed, wording_class from ref_instrument_items
)
select k.instrument, k.form, k.is_reversed, k.wording_class, a.code,
       any_value(a.meaning) as answer_meaning,
       map(list(a.scoring order by a.scoring), list(a.value order by a.scoring)) as item_values
from item_kinds as k
join ref_answer_codes as a
  on a.instrument = k.instrument and a.form = k.form and a.is_reversed = k.is_reversed
 and (a.wording_class is null or a.wording_class = k.wording_class)
group by all;
