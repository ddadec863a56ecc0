-- int_instrument_bands: one row per person × timepoint × banded score × banding scheme: the band
-- the score falls in, by a join to the published band table of the child's SDQ version
-- (instruments/sdq_bands.csv: four_band and three_band, each score min..max inclusive).
-- Every scheme any version has is listed for every version, so a scheme with no published table
-- for this version (the 2-4 four-band table, open point 5) shows band null and
-- band_verification 'not_found' instead of borrowing another version's table.
-- band_status: ok; missing (the score is missing or not scorable); not_found (no table).
-- upstream: int_instrument_scores, ref_sdq_bands
create or replace table int_instrument_bands as
with scores as (
    select * from int_instrument_scores where instrument = 'sdq'
),
bands as (
    select * from ref_sdq_bands
),
-- one row per published table: version × scheme × score, with its verification label
band_tables as (
    select form, scheme, score, string_agg(distinct verification, ';' order by verification) as verification, count(*) as n_bands
    from bands
    group by all
),
schemes as (
    select distinct scheme from bands
),
banded_scores as (
    select distinct score from bands
)
select
    s.response_id,
    s.family_id,
    s.person_id,
    s.timepoint,
    s.level,
    s.instrument,
    s.form,
    s.score,
    s.score_value,
    s.score_status,
    sc.scheme,
    b.band,
    b.band_label,
    t.n_bands,
    coalesce(t.verification, 'not_found') as band_verification,
    case
        when t.form is null then 'not_found'
        when b.band is null then 'missing'
        else 'ok'
    end as band_status
from scores as s
join banded_scores using (score)
cross join schemes as sc
left join band_tables as t
  on t.form = s.form and t.scheme = sc.scheme and t.score = s.score
left join bands as b
  on b.form = s.form and b.scheme = sc.scheme and b.score = s.score
 and s.score_value between b.min and b.max;
