-- int_instrument_administered: one row per person × timepoint × instrument × form administered
-- (a view: the scoring models read it, nothing needs it stored). Parent instruments are on every
-- parent's questionnaire; a child's PedsQL and SDQ forms are the ones recorded for the child;
-- ITSEA counts as administered when any of its items was answered. source_row and slot (0 for
-- the parent, the child block otherwise) key the person's answers as integers.
-- upstream: stg_questionnaire, stg_questionnaire_children, stg_questionnaire_answers, ref_instrument_forms
create or replace view int_instrument_administered as
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
)
select r.response_id, r.family_id, r.person_id, r.timepoint, 'parent' as level, f.instrument, f.form,
       r.source_row, 0 as slot
from responses as r
cross join forms as f
where f.instrument in ('ghq12', 'icecap_a', 'bcap', 'prem')
union all
select c.response_id, c.family_id, c.person_id, c.timepoint, 'child', f.instrument, f.form,
       c.source_row, c.slot
from children as c
join forms as f
  on (f.instrument = 'pedsql' and f.staged_form = c.pedsql_form)
  or (f.instrument = 'sdq' and f.staged_form = c.sdq_form)
union all
select distinct a.response_id, a.family_id, a.person_id, a.timepoint, 'child', 'itsea', 'standard',
       a.source_row, a.slot
from answers as a
where a.instrument = 'itsea';
