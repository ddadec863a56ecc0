-- audit_fields: one row per source × field × breakdown (overall, arm, site, timepoint) × group:
-- rows, blanks, and the share missing. For the questionnaire's service-use quantities a blank after a
-- 'no' gate is a structural zero (n_structural_zero, not missing); after a 'yes', or with the gate
-- blank, it is truly missing. Respondent fields come from every questionnaire row read; service-use
-- fields from staged responses (parent block and each child block); provider fields from every row
-- of the extract. Instrument items are audited in audit_instruments.
-- Everything is counted, never laid out cell by cell (a grid of every person × service field,
-- joined to the answers twice for the quantity and its gate, grew faster than the families): each
-- raw table is read once, counting per arm × site (× timepoint) the rows and, per column, the
-- cells that hold something, and only those counts are unpivoted; a service field's rows are its
-- block's persons, its non-blanks the answers with a code, and its structural zeros are found per
-- person from two bit masks over the block's columns (answered; gate answered 'no'), made by one
-- aggregation of the narrow answers; the rest are blanks.
-- upstream: raw_randomisation, raw_questionnaire, raw_nspcc_activity, raw_sau_log, stg_questionnaire,
-- stg_questionnaire_children, stg_questionnaire_answer_values, contract_columns, dim_family
create or replace table audit_fields as
with families as (
    select family_id, arm, site from dim_family
),
-- per family group (arm × site × timepoint), the rows of each raw table and, per column, how many
-- hold something; then one row per column (field, n_filled)
respondent_counts as (
    unpivot (select f.arm as _arm, f.site as _site, case r.timepoint when 'T1' then 'baseline' when 'T2' then 'follow_up' end as _timepoint,
                    count(*) as _n_rows, count(pfc_text(columns(r.* exclude (source_row))))
             from raw_questionnaire as r
             left join families as f on f.family_id = r.family_id
             group by all)
    on columns(* exclude (_arm, _site, _timepoint, _n_rows))
    into name field value n_filled
),
-- the three provider tables' counts side by side (union by name: a column of one table is null in
-- the others' rows, and unpivot leaves nulls out)
provider_counts as (
    unpivot (select 'nspcc_activity' as _source, f.arm as _arm, f.site as _site, count(*) as _n_rows,
                    count(pfc_text(columns(r.* exclude (source_row))))
             from raw_nspcc_activity as r left join families as f on f.family_id = r.family_id group by all
             union all by name
             select 'sau_log' as _source, f.arm as _arm, f.site as _site, count(*) as _n_rows,
                    count(pfc_text(columns(r.* exclude (source_row))))
             from raw_sau_log as r left join families as f on f.family_id = r.family_id group by all
             union all by name
             select 'randomisation' as _source, f.arm as _arm, f.site as _site, count(*) as _n_rows,
                    count(pfc_text(columns(r.* exclude (source_row))))
             from raw_randomisation as r left join families as f on f.family_id = r.family_id group by all)
    on columns(* exclude (_source, _arm, _site, _n_rows))
    into name field value n_filled
),
-- Service-use cells are keyed by integers: the questionnaire line, the block (0 = parent) and the
-- column's position in the contract; a quantity's gate is the same service's _any column of its block.
-- Each column of a block has a bit (col_bit) in one of its block's 62-bit words (col_word).
service_fields as (
    select position as column_id, slot, field, service, field like '%\_any' escape '\' as is_gate
    from contract_columns
    where source = 'questionnaire' and block = 'service_use'
),
service_columns as (
    select f.column_id, f.slot, f.field, f.is_gate, g.column_id as gate_column_id,
           (row_number() over (partition by f.slot order by f.column_id) - 1) // 62 as col_word,
           1::bigint << ((row_number() over (partition by f.slot order by f.column_id) - 1) % 62) as col_bit
    from service_fields as f
    left join service_fields as g on g.slot = f.slot and g.service = f.service and g.is_gate
),
-- each staged person (parent block, child blocks) with its family group
service_persons as (
    select p.source_row, p.slot, p.timepoint, f.arm, f.site
    from (select source_row, family_id, timepoint, 0 as slot from stg_questionnaire
          union all
          select source_row, family_id, timepoint, slot from stg_questionnaire_children) as p
    left join families as f using (family_id)
),
-- per person and word: the columns answered with a code (a blank cell, or a decimal quantity such
-- as 7.5, has none), and the quantities whose gate is answered 'no' (2), each at its column's bit
person_marks as (
    select source_row, slot, col_word, bit_or(answered_bit) as answered, bit_or(gate_no_bit) as gate_no
    from (select a.source_row, c.slot, c.col_word, c.col_bit as answered_bit, 0::bigint as gate_no_bit
          from stg_questionnaire_answer_values as a
          join service_columns as c using (column_id)
          where a.answer_code is not null
          union all
          select a.source_row, q.slot, q.col_word, 0, q.col_bit
          from stg_questionnaire_answer_values as a
          join service_columns as q on q.gate_column_id = a.column_id and not q.is_gate
          where a.answer_code = 2)
    group by all
),
service_counts as (
    -- rows: every person × every service field of its block
    select c.field, p.arm, p.site, p.timepoint, p.n_persons as n_rows, 0 as n_filled, 0 as n_structural_zero
    from (select slot, arm, site, timepoint, count(*) as n_persons from service_persons group by all) as p
    join service_columns as c using (slot)
    union all
    -- answered, and blank after a 'no' gate
    select c.field, p.arm, p.site, p.timepoint, 0,
           count(*) filter (where m.answered & c.col_bit <> 0),
           count(*) filter (where m.answered & c.col_bit = 0 and m.gate_no & c.col_bit <> 0)
    from person_marks as m
    join service_persons as p using (source_row, slot)
    join service_columns as c on c.slot = m.slot and c.col_word = m.col_word
    group by all
),
-- counted per arm × site × timepoint first (a few thousand groups), then added up per breakdown
counted as (
    select 'questionnaire' as source, field, _arm as arm, _site as site, _timepoint as timepoint, _n_rows as n_rows,
           _n_rows - n_filled as n_missing, 0 as n_structural_zero
    from respondent_counts
    where field in (select column_name from contract_columns where source = 'questionnaire' and level = 'respondent')
      and not regexp_matches(field, '^[0-9]+_|^(su|ghq|icecap|bcap|prem)_')
    union all
    select 'questionnaire', field, arm, site, timepoint, sum(n_rows), sum(n_rows) - sum(n_filled) - sum(n_structural_zero),
           sum(n_structural_zero)
    from service_counts
    group by field, arm, site, timepoint
    union all
    select _source, field, _arm, _site, case when _source <> 'randomisation' then 'follow_up' end, _n_rows,
           _n_rows - n_filled, 0
    from provider_counts
),
breakdowns as (
    select source, field, 'overall' as breakdown, 'all' as group_value, n_rows, n_missing, n_structural_zero from counted
    union all
    select source, field, 'arm', coalesce(arm, 'unknown family'), n_rows, n_missing, n_structural_zero from counted
    union all
    select source, field, 'site', coalesce(site, 'unknown family'), n_rows, n_missing, n_structural_zero from counted
    union all
    select source, field, 'timepoint', timepoint, n_rows, n_missing, n_structural_zero from counted where timepoint is not null
)
select
    source,
    field,
    breakdown,
    group_value,
    sum(n_rows)::bigint as n_rows,
    sum(n_missing)::bigint as n_missing,
    sum(n_structural_zero)::bigint as n_structural_zero,
    round(sum(n_missing)::bigint / sum(n_rows)::bigint, 3) as share_missing
from breakdowns
group by all
order by source, field, breakdown, group_value;
