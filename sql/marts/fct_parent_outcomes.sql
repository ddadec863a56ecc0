-- fct_parent_outcomes: one row per parent × timepoint: ICECAP-A capability (UK tariff sum, all 5
-- attributes answered), GHQ-12 (Likert 0-36, GHQ 0-12, C-GHQ 0-12, caseness of the GHQ and the
-- C-GHQ score at their configured thresholds, ghq12_rules.toml) and
-- BCAP abuse risk (key from the configured key file; bcap_status says when the key is synthetic).
-- upstream: stg_questionnaire, int_instrument_scores
create or replace table fct_parent_outcomes as
with parents as (
    select * from stg_questionnaire
),
scores as (
    select response_id,
           max(score_value) filter (where instrument = 'icecap_a' and score = 'value') as icecap_a_value,
           max(score_status) filter (where instrument = 'icecap_a' and score = 'value') as icecap_a_status,
           max(score_value) filter (where instrument = 'ghq12' and score = 'likert') as ghq12_likert,
           max(score_value) filter (where instrument = 'ghq12' and score = 'ghq') as ghq12_ghq_score,
           max(score_status) filter (where instrument = 'ghq12' and score = 'ghq') as ghq12_status,
           max(score_value) filter (where instrument = 'ghq12' and score = 'cghq') as ghq12_cghq_score,
           max(score_value) filter (where instrument = 'bcap' and score = 'abuse_risk') as bcap_abuse_risk,
           max(score_status) filter (where instrument = 'bcap' and score = 'abuse_risk') as bcap_score_status,
           max(n_not_sure) filter (where instrument = 'bcap' and score = 'abuse_risk') as bcap_n_not_sure,
           max(key_verification) filter (where instrument = 'bcap' and score = 'abuse_risk') as bcap_key_verification
    from int_instrument_scores
    where level = 'parent'
    group by response_id
)
select
    p.person_id,
    p.family_id,
    p.timepoint,
    p.assessment_date,
    s.icecap_a_value,
    s.icecap_a_status,
    s.ghq12_likert,
    s.ghq12_ghq_score,
    s.ghq12_status,
    s.ghq12_ghq_score >= getvariable('outcomes.ghq_caseness_threshold') as ghq12_is_case,
    s.ghq12_cghq_score,
    s.ghq12_cghq_score >= getvariable('outcomes.cghq_caseness_threshold') as ghq12_cghq_is_case,
    s.bcap_abuse_risk,
    s.bcap_score_status
        || case when s.bcap_key_verification = 'synthetic' then '_synthetic_key' else '' end as bcap_status,
    s.bcap_key_verification,
    s.bcap_n_not_sure,
    s.bcap_abuse_risk >= getvariable('outcomes.bcap_cutoff') as bcap_is_elevated,
    s.bcap_abuse_risk >= getvariable('outcomes.bcap_cutoff_sensitive') as bcap_is_elevated_sensitive,
    'validity_not_assessed' as bcap_validity_status,
    p.response_id
from parents as p
left join scores as s using (response_id)
order by p.family_id, p.person_id, p.timepoint;
