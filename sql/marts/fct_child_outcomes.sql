-- fct_child_outcomes: one row per child × timepoint: PedsQL scores (summaries are means of the
-- pooled items, pedsql.org; a scale with more than half its items missing is not scored, and the
-- same rule is applied to the summaries as an assumption), the mapped CHU9D utility with its
-- algorithm and status, and SDQ scores with their bands: both published schemes (four-band and
-- three-band) for total difficulties, each subscale, prosocial and impact, per SDQ version.
-- upstream: stg_questionnaire, stg_questionnaire_children, int_instrument_scores,
-- int_chu9d_utility, int_instrument_bands
create or replace table fct_child_outcomes as
with children as (
    select c.*, q.assessment_date
    from stg_questionnaire_children as c
    join stg_questionnaire as q using (response_id)
),
scores as (
    select * from int_instrument_scores where level = 'child'
),
pedsql as (
    select response_id, person_id,
           max(score_value) filter (where score = 'total') as pedsql_total,
           max(score_value) filter (where score = 'physical_health') as pedsql_physical,
           max(score_value) filter (where score = 'psychosocial_health') as pedsql_psychosocial,
           max(score_status) filter (where score = 'total') as pedsql_status,
           max(score_verification) filter (where score = 'total') as pedsql_verification
    from scores where instrument = 'pedsql'
    group by all
),
sdq as (
    select response_id, person_id, any_value(form) as sdq_form_code,
           max(score_value) filter (where score = 'total_difficulties') as sdq_total_difficulties,
           max(score_status) filter (where score = 'total_difficulties') as sdq_status,
           max(score_value) filter (where score = 'emotional') as sdq_emotional,
           max(score_value) filter (where score = 'conduct') as sdq_conduct,
           max(score_value) filter (where score = 'hyperactivity') as sdq_hyperactivity,
           max(score_value) filter (where score = 'peer') as sdq_peer,
           max(score_value) filter (where score = 'prosocial') as sdq_prosocial,
           max(score_value) filter (where score = 'externalising') as sdq_externalising,
           max(score_value) filter (where score = 'internalising') as sdq_internalising,
           max(score_value) filter (where score = 'impact') as sdq_impact
    from scores where instrument = 'sdq'
    group by all
),
-- every band of every banded score under both schemes (int_instrument_bands joins the tables);
-- the finest published banding of total difficulties: four bands when the version has a table
bands as (
    select * from int_instrument_bands
),
sdq_band as (
    select response_id, person_id,
           max(band_label) filter (where score = 'total_difficulties' and scheme = 'four_band') as sdq_total_difficulties_four_band,
           max(band_label) filter (where score = 'total_difficulties' and scheme = 'three_band') as sdq_total_difficulties_three_band,
           max(band_label) filter (where score = 'emotional' and scheme = 'four_band') as sdq_emotional_four_band,
           max(band_label) filter (where score = 'emotional' and scheme = 'three_band') as sdq_emotional_three_band,
           max(band_label) filter (where score = 'conduct' and scheme = 'four_band') as sdq_conduct_four_band,
           max(band_label) filter (where score = 'conduct' and scheme = 'three_band') as sdq_conduct_three_band,
           max(band_label) filter (where score = 'hyperactivity' and scheme = 'four_band') as sdq_hyperactivity_four_band,
           max(band_label) filter (where score = 'hyperactivity' and scheme = 'three_band') as sdq_hyperactivity_three_band,
           max(band_label) filter (where score = 'peer' and scheme = 'four_band') as sdq_peer_four_band,
           max(band_label) filter (where score = 'peer' and scheme = 'three_band') as sdq_peer_three_band,
           max(band_label) filter (where score = 'prosocial' and scheme = 'four_band') as sdq_prosocial_four_band,
           max(band_label) filter (where score = 'prosocial' and scheme = 'three_band') as sdq_prosocial_three_band,
           max(band_label) filter (where score = 'impact' and scheme = 'four_band') as sdq_impact_four_band,
           max(band_label) filter (where score = 'impact' and scheme = 'three_band') as sdq_impact_three_band,
           max(band_verification) filter (where score = 'total_difficulties' and scheme = 'four_band') as sdq_four_band_verification,
           max(band_verification) filter (where score = 'total_difficulties' and scheme = 'three_band') as sdq_three_band_verification,
           first(band_label order by scheme = 'four_band' desc) filter (where score = 'total_difficulties' and band_status = 'ok') as sdq_total_band,
           first(scheme order by scheme = 'four_band' desc) filter (where score = 'total_difficulties' and band_status = 'ok') as sdq_band_scheme
    from bands
    group by all
)
select
    c.person_id,
    c.family_id,
    c.timepoint,
    c.assessment_date,
    c.age_months,
    c.pedsql_form,
    p.pedsql_total,
    p.pedsql_physical,
    p.pedsql_psychosocial,
    p.pedsql_status,
    p.pedsql_verification,
    'pooled_item_mean; >50% missing -> not scored (scales: pedsql.org; summaries: assumption)' as pedsql_summary_rule,
    u.chu9d_utility,
    u.utility_algorithm,
    coalesce(u.utility_status, 'missing') as utility_status,
    coalesce(u.utility_flags, []) as utility_flags,
    c.sdq_form,
    s.sdq_total_difficulties,
    s.sdq_status,
    s.sdq_emotional,
    s.sdq_conduct,
    s.sdq_hyperactivity,
    s.sdq_peer,
    s.sdq_prosocial,
    s.sdq_externalising,
    s.sdq_internalising,
    s.sdq_impact,
    b.sdq_total_band,
    b.sdq_band_scheme,
    b.sdq_total_difficulties_four_band,
    b.sdq_total_difficulties_three_band,
    b.sdq_emotional_four_band,
    b.sdq_emotional_three_band,
    b.sdq_conduct_four_band,
    b.sdq_conduct_three_band,
    b.sdq_hyperactivity_four_band,
    b.sdq_hyperactivity_three_band,
    b.sdq_peer_four_band,
    b.sdq_peer_three_band,
    b.sdq_prosocial_four_band,
    b.sdq_prosocial_three_band,
    b.sdq_impact_four_band,
    b.sdq_impact_three_band,
    b.sdq_four_band_verification,
    b.sdq_three_band_verification,
    c.response_id
from children as c
left join pedsql as p using (response_id, person_id)
left join int_chu9d_utility as u using (response_id, person_id)
left join sdq as s using (response_id, person_id)
left join sdq_band as b using (response_id, person_id)
order by c.family_id, c.person_id, c.timepoint;
