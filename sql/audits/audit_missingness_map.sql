-- audit_missingness_map: one row per family × map column, the data of the missingness map
-- (report/missingness_map.png): for each source × period (from audit_completeness) and each
-- instrument × timepoint (the worst status over the family's persons in audit_instrument_responses),
-- the family's status, with arm and site so that the map is split by arm.
-- upstream: dim_family, audit_completeness, audit_instrument_responses
-- The cells are made first and then sorted into the table. As one statement (joins, aggregate and
-- the sort into the table together) DuckDB ran out of memory at 1,000,000 families under a 4 GB
-- limit, and at 100,000 under 300 MB, where the two steps fit.
create or replace temp table missingness_cells_tmp as
with families as (
    select family_id, arm, site from dim_family
),
status_rank as (
    select * from (values ('source_absent', 0), ('missing', 1), ('not_administered', 2), ('not_scorable', 3),
                          ('incomplete', 4), ('scorable', 4), ('complete', 5), ('unexpected', 6),
                          ('not_applicable', 7), ('not_expected', 8)) as t(status, status_rank)
),
source_cells as (
    select family_id, 'source' as map_group, source || ' · ' || period as map_column, status
    from audit_completeness
),
questionnaire_expected as (
    select family_id, case period when 'pre_baseline' then 'baseline' else 'follow_up' end as timepoint,
           is_expected, is_received
    from audit_completeness
    where source = 'questionnaire'
),
instrument_columns as (
    select distinct instrument, timepoint from audit_instrument_responses
),
instrument_status as (
    select r.family_id, r.instrument, r.timepoint, arg_min(r.status, k.status_rank) as status
    from audit_instrument_responses as r
    join status_rank as k using (status)
    group by all
),
instrument_cells as (
    select
        e.family_id,
        'instrument' as map_group,
        c.instrument || ' · ' || c.timepoint as map_column,
        case
            when not e.is_expected and s.status is null then 'not_expected'
            when not e.is_received then 'missing'
            when s.status is null then 'not_applicable'
            else s.status
        end as status
    from questionnaire_expected as e
    join instrument_columns as c using (timepoint)
    left join instrument_status as s on s.family_id = e.family_id and s.instrument = c.instrument
                                    and s.timepoint = c.timepoint
),
cells as (
    select * from source_cells
    union all
    select * from instrument_cells
)
select f.arm, f.site, c.family_id, c.map_group, c.map_column, c.status, k.status_rank
from cells as c
join families as f using (family_id)
join status_rank as k using (status);

create or replace table audit_missingness_map as
select * from missingness_cells_tmp
order by arm, family_id, map_group desc, map_column;

drop table missingness_cells_tmp;
