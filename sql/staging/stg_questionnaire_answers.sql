-- stg_questionnaire_answers: one row per valid answer: person (parent or child) × timepoint ×
-- field, with its block (service_use or instrument), instrument and item, or service.
-- A blank answer has no row here; the instrument and cost models decide what blank means.
-- upstream: chk_questionnaire_answers
create or replace table stg_questionnaire_answers as
select
    response_id,
    family_id,
    person_id,
    timepoint,
    level,
    slot,
    field,
    block,
    instrument,
    form,
    item,
    service,
    answer_code,
    answer_value,
    source_row
from chk_questionnaire_answers
where not has_error;
