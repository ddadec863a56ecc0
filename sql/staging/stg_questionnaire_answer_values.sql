-- stg_questionnaire_answer_values: one row per valid answer, narrow: the file's line, the column's
-- position in the questionnaire contract, and the answer. Millions of rows at trial scale, so only
-- integers and numbers are stored; stg_questionnaire_answers reads them with what each answer is.
-- upstream: chk_questionnaire_answers
create or replace table stg_questionnaire_answer_values as
select source_row, column_id, answer_code, answer_value
from chk_questionnaire_answers
where not has_error;
