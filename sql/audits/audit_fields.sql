-- audit_fields: one row per source × field × breakdown (overall, arm, site, timepoint) × group:
-- rows, blanks, and the share missing. For the questionnaire's service-use quantities a blank after a
-- 'no' gate is a structural zero (n_structural_zero, not missing); after a 'yes', or with the gate
-- blank, it is truly missing. Respondent fields come from every questionnaire row read; service-use
-- fields from staged responses (parent block and each child block); provider fields from every row
-- of the extract. Instrument items are audited in audit_instruments.
-- upstream: raw_randomisation, raw_questionnaire, raw_nspcc_activity, raw_sau_log, stg_questionnaire,
-- stg_questionnaire_children, stg_questionnaire_answer_values, contract_columns, dim_family
create or replace table audit_fields as
with families as (
    select family_id, arm, site from dim_family
),
respondent_cells as (
    -- blanks become '' so that unpivot keeps them
    unpivot (select family_id as _family_id, timepoint as _timepoint,
                    coalesce(columns(lambda c: c <> 'source_row' and not regexp_matches(c, '^[0-9]+_|^(su|ghq|icecap|bcap|prem)_')), '')
             from raw_questionnaire)
    on columns(* exclude (_family_id, _timepoint))
    into name field value raw_value
),
provider_cells as (
    select 'nspcc_activity' as source, _family_id, field, raw_value
    from (unpivot (select family_id as _family_id, coalesce(columns(* exclude (source_row)), '') from raw_nspcc_activity)
          on columns(* exclude (_family_id)) into name field value raw_value)
    union all
    select 'sau_log', _family_id, field, raw_value
    from (unpivot (select family_id as _family_id, coalesce(columns(* exclude (source_row)), '') from raw_sau_log)
          on columns(* exclude (_family_id)) into name field value raw_value)
    union all
    select 'randomisation', _family_id, field, raw_value
    from (unpivot (select family_id as _family_id, coalesce(columns(* exclude (source_row)), '') from raw_randomisation)
          on columns(* exclude (_family_id)) into name field value raw_value)
),
-- Service-use cells are keyed by integers: the questionnaire line, the block (0 = parent) and the
-- column's position in the contract; a quantity's gate is the same service's _any column of its block.
service_fields as (
    select position as column_id, slot, field, service, field like '%\_any' escape '\' as is_gate
    from contract_columns
    where source = 'questionnaire' and block = 'service_use'
),
service_columns as (
    select f.column_id, f.slot, f.field, f.is_gate, g.column_id as gate_column_id
    from service_fields as f
    left join service_fields as g on g.slot = f.slot and g.service = f.service and g.is_gate
),
service_persons as (
    select source_row, family_id, timepoint, 0 as slot from stg_questionnaire
    union all
    select source_row, family_id, timepoint, slot from stg_questionnaire_children
),
service_answers as (
    select source_row, column_id, answer_code
    from stg_questionnaire_answer_values
    semi join service_fields using (column_id)
),
service_cells as (
    select
        p.family_id, p.timepoint, f.field, f.is_gate,
        a.answer_code,
        g.answer_code as gate_code
    from service_persons as p
    join service_columns as f using (slot)
    left join service_answers as a on a.source_row = p.source_row and a.column_id = f.column_id
    left join service_answers as g on g.source_row = p.source_row and g.column_id = f.gate_column_id
),
cells as (
    select 'questionnaire' as source, _family_id as family_id,
           case _timepoint when 'T1' then 'baseline' when 'T2' then 'follow_up' end as timepoint,
           field, pfc_text(raw_value) is null as is_blank, false as is_structural_zero
    from respondent_cells
    where field in (select column_name from contract_columns where source = 'questionnaire' and level = 'respondent')
    union all
    select 'questionnaire', family_id, timepoint, field,
           answer_code is null and (is_gate or gate_code is distinct from 2),
           answer_code is null and not is_gate and gate_code = 2
    from service_cells
    union all
    select source, _family_id, 'follow_up', field, pfc_text(raw_value) is null, false
    from provider_cells
    where source <> 'randomisation'
    union all
    select source, _family_id, null, field, pfc_text(raw_value) is null, false
    from provider_cells
    where source = 'randomisation'
),
-- counted per arm × site × timepoint first (a few thousand groups), then added up per breakdown
counted as (
    select c.source, c.field, f.arm, f.site, c.timepoint,
           count(*) as n_rows,
           count(*) filter (where c.is_blank) as n_missing,
           count(*) filter (where c.is_structural_zero) as n_structural_zero
    from cells as c
    left join families as f using (family_id)
    group by all
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
