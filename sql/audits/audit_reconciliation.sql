-- audit_reconciliation: one row per source table: rows in = rows staged + rows quarantined. Rows
-- in are counted in the file itself where the format allows (CSV: data lines counted apart from
-- the parser; Parquet: the footer's row count; SPSS: the header's case count), else rows read +
-- malformed lines; staged and quarantined rows are counted from those tables themselves, so a
-- reader or a model that lost a row shows is_balanced = false.
-- upstream: raw_randomisation, raw_questionnaire, raw_nspcc_activity, raw_sau_log, raw_unit_costs,
-- raw_inflation_indices, raw_code_map, raw_perspectives, raw_rejects, raw_sources, stg_randomisation,
-- stg_questionnaire, stg_nspcc_activity, stg_sau_log, stg_unit_costs, stg_inflation_indices,
-- stg_code_map, stg_perspectives, stg_quarantine
create or replace table audit_reconciliation as
with counts as (
    select 'randomisation' as source_table, (select count(*) from raw_randomisation) as rows_read, (select count(*) from stg_randomisation) as rows_staged
    union all select 'questionnaire', (select count(*) from raw_questionnaire), (select count(*) from stg_questionnaire)
    union all select 'nspcc_activity', (select count(*) from raw_nspcc_activity), (select count(*) from stg_nspcc_activity)
    union all select 'sau_log', (select count(*) from raw_sau_log), (select count(*) from stg_sau_log)
    union all select 'unit_costs', (select count(*) from raw_unit_costs), (select count(*) from stg_unit_costs)
    union all select 'inflation_indices', (select count(*) from raw_inflation_indices), (select count(*) from stg_inflation_indices)
    union all select 'code_map', (select count(*) from raw_code_map), (select count(*) from stg_code_map)
    union all select 'perspectives', (select count(*) from raw_perspectives), (select count(*) from stg_perspectives)
),
rejected as (
    select source_table, count(*) as rows_malformed from raw_rejects group by source_table
),
quarantined as (
    select source_table, count(*) as rows_quarantined from stg_quarantine group by source_table
)
select
    s.source,
    c.source_table,
    s.is_present,
    s.file_name,
    coalesce(s.rows_in_file, c.rows_read + coalesce(r.rows_malformed, 0)) as rows_in,
    c.rows_staged,
    coalesce(qu.rows_quarantined, 0) as rows_quarantined,
    coalesce(r.rows_malformed, 0) as rows_malformed,
    coalesce(s.rows_in_file, c.rows_read + coalesce(r.rows_malformed, 0))
        = c.rows_staged + coalesce(qu.rows_quarantined, 0) as is_balanced,
    c.rows_read,
    s.rows_in_file
from counts as c
join raw_sources as s using (source_table)
left join rejected as r using (source_table)
left join quarantined as qu using (source_table)
order by s.source, c.source_table;
