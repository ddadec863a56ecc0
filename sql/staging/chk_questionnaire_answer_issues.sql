-- chk_questionnaire_answer_issues: one row per questionnaire answer that breaks a contract rule
-- (the rows of the temporary chk_questionnaire_answers that have issues), with what the answer is
-- and whose, kept in the database for audit_issues and for a re-run that re-uses the staged sources.
-- upstream: chk_questionnaire_answers, contract_columns, stg_questionnaire, chk_questionnaire_children
create or replace table chk_questionnaire_answer_issues as
select
    q.response_id, a.source_row, f.column_name, f.level, f.slot, f.field, f.block, f.instrument, f.form, f.item,
    f.service, q.family_id, q.timepoint,
    case when f.slot = 0 then q.person_id else ch.child_id end as person_id,
    a.answer_code, a.answer_value, a.issues, a.has_error
from chk_questionnaire_answers as a
join contract_columns as f on f.source = 'questionnaire' and f.position = a.column_id
join stg_questionnaire as q using (source_row)
left join chk_questionnaire_children as ch on ch.source_row = a.source_row and ch.slot = f.slot
where a.issues is not null;
