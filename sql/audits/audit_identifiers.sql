-- audit_identifiers: one row per direct-identifier column found in an input and dropped before
-- anything was stored (its values never reach the database). upstream: raw_read_findings
create or replace table audit_identifiers as
select source, source_table, field as column_name, message as reason
from raw_read_findings
where rule = 'identifier_dropped'
order by source, source_table, column_name;
