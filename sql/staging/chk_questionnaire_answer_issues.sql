-- chk_questionnaire_answer_issues: one row per questionnaire answer that breaks a contract rule
-- (the rows of the temporary chk_questionnaire_answers that have issues), kept in the database
-- for audit_issues and for a re-run that re-uses the staged sources.
-- upstream: chk_questionnaire_answers
create or replace table chk_questionnaire_answer_issues as
select * from chk_questionnaire_answers where issues is not null;
