-- int_chu9d_utility: one row per child × timepoint with a PedsQL form: the CHU9D utility mapped
-- from PedsQL with the configured mapping (ref_mappings.is_configured), as data: utility = sum of
-- coefficient × term over ref_mapping_terms, truncated to the mapping's bounds. Terms a mapping
-- may use: intercept, pedsql_total, pedsql_total_sq, pedsql_physical, pedsql_psychosocial,
-- age_years, age_years_sq, pedsql_total_x_age. Status (first that applies): missing, not_scorable,
-- coefficients_not_found, illustrative, outside_validated_age, outside_validated_form, ok;
-- utility_flags lists every flag, including infant_form_not_generic_core for the Infant Scales
-- (their total is mapped as if it were a generic-core total, and flagged).
-- upstream: int_instrument_scores, stg_questionnaire_children, ref_instrument_forms,
-- ref_mappings, ref_mapping_terms
create or replace table int_chu9d_utility as
with mapping as (
    select * from ref_mappings where is_configured
),
pedsql as (
    select response_id, person_id, timepoint, form,
           max(score_value) filter (where score = 'total') as pedsql_total,
           max(score_value) filter (where score = 'physical_health') as pedsql_physical,
           max(score_value) filter (where score = 'psychosocial_health') as pedsql_psychosocial,
           max(n_answered) filter (where score = 'total') as n_answered
    from int_instrument_scores
    where instrument = 'pedsql'
    group by all
),
children as (
    select p.*, c.age_months, c.age_months / 12.0 as age_years, f.staged_form as pedsql_form
    from pedsql as p
    left join stg_questionnaire_children as c using (response_id, person_id)
    join ref_instrument_forms as f on f.instrument = 'pedsql' and f.form = p.form
),
predictors as (
    select c.response_id, c.person_id, x.term, x.value
    from children as c,
    lateral (select unnest([
        {'term': 'intercept', 'value': 1.0},
        {'term': 'pedsql_total', 'value': c.pedsql_total},
        {'term': 'pedsql_total_sq', 'value': c.pedsql_total ^ 2},
        {'term': 'pedsql_physical', 'value': c.pedsql_physical},
        {'term': 'pedsql_psychosocial', 'value': c.pedsql_psychosocial},
        {'term': 'age_years', 'value': c.age_years},
        {'term': 'age_years_sq', 'value': c.age_years ^ 2},
        {'term': 'pedsql_total_x_age', 'value': c.pedsql_total * c.age_years}
    ], recursive := true)) as x
),
linear as (
    select p.response_id, p.person_id,
           sum(t.coefficient * p.value) as linear_predictor,
           count(*) filter (where p.value is null) as n_terms_missing
    from ref_mapping_terms as t
    join mapping as m using (mapping)
    join predictors as p using (term)
    group by all
),
mapped as (
    select
        c.*,
        m.mapping as utility_algorithm,
        m.status as mapping_status,
        m.n_terms,
        l.n_terms_missing,
        case when l.n_terms_missing = 0 then l.linear_predictor end as raw_utility,
        m.lower_bound, m.upper_bound,
        c.age_years < m.age_min_years or c.age_years >= m.age_max_years + 1 as is_outside_age,
        len(m.validated_forms) > 0 and not list_contains(m.validated_forms, c.form) as is_outside_form,
        m.age_min_years is null as is_age_range_unknown
    from children as c
    cross join mapping as m
    left join linear as l using (response_id, person_id)
)
select
    response_id,
    person_id,
    timepoint,
    pedsql_form,
    age_months,
    pedsql_total,
    utility_algorithm,
    mapping_status,
    case when mapping_status <> 'coefficients_not_found' and pedsql_total is not null
         then greatest(coalesce(lower_bound, raw_utility), least(coalesce(upper_bound, raw_utility), raw_utility))
    end as chu9d_utility,
    case
        when coalesce(n_answered, 0) = 0 then 'missing'
        when pedsql_total is null or n_terms_missing > 0 then 'not_scorable'
        when mapping_status = 'coefficients_not_found' or n_terms = 0 then 'coefficients_not_found'
        when mapping_status = 'illustrative' then 'illustrative'
        when is_outside_age then 'outside_validated_age'
        when is_outside_form then 'outside_validated_form'
        else 'ok'
    end as utility_status,
    list_filter([
        case when mapping_status = 'illustrative' then 'illustrative' end,
        case when is_outside_age then 'outside_validated_age' end,
        case when is_age_range_unknown then 'validated_age_unknown' end,
        case when is_outside_form then 'outside_validated_form' end,
        case when form in ('inf1', 'inf2') then 'infant_form_not_generic_core' end,
        case when raw_utility < lower_bound or raw_utility > upper_bound then 'truncated_to_bounds' end
    ], lambda x: x is not null) as utility_flags
from mapped
order by response_id, person_id;
