-- stg_questionnaire_answers: one row per valid answer: person (parent or child) × timepoint ×
-- field, with its block (service_use or instrument), instrument and item, or service.
-- A blank answer has no row here; the instrument and cost models decide what blank means.
-- A view: the answers are stored narrow (stg_questionnaire_answer_values); what an answer is comes
-- from the contract (by the column's position) and whose it is from the staged response and child
-- block (by the file's line), so no string is stored once per answer. Writing these columns per
-- answer cost more than every read of them together.
-- upstream: stg_questionnaire_answer_values, contract_columns, stg_questionnaire, stg_questionnaire_children
create or replace view stg_questionnaire_answers as
select
    q.response_id,
    q.family_id,
    case when f.slot = 0 then q.person_id else ch.person_id end as person_id,
    q.timepoint,
    f.level,
    f.slot,
    f.field,
    f.block,
    f.instrument,
    f.form,
    f.item,
    f.service,
    a.answer_code,
    a.answer_value,
    a.source_row
from stg_questionnaire_answer_values as a
join contract_columns as f on f.source = 'questionnaire' and f.position = a.column_id
join stg_questionnaire as q using (source_row)
left join stg_questionnaire_children as ch on ch.source_row = a.source_row and ch.slot = f.slot;
