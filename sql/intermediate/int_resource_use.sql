-- int_resource_use: one row per resource-use item from every source, in one long table: a
-- questionnaire service answer (person × service × response), an NSPCC contact's staff minutes
-- (travel minutes a separate row where the unit cost excludes travel) or direct-support payment,
-- and an SAU log entry's attendee (meetings cost every attendee) or the social worker's travel.
-- upstream: dim_family, int_family_windows, stg_questionnaire, stg_questionnaire_children, stg_questionnaire_answers,
-- contract_columns, stg_nspcc_activity, stg_sau_log, stg_code_map, int_unit_costs_inflated
create or replace table int_resource_use as
with families as (
    select * from dim_family
),
responses as (
    select * from stg_questionnaire
),
children as (
    select * from stg_questionnaire_children
),
service_answers as (
    select * from stg_questionnaire_answers where block = 'service_use'
),
service_fields as (
    select * from contract_columns where source = 'questionnaire' and block = 'service_use'
),
nspcc as (
    select * from stg_nspcc_activity
),
sau as (
    select * from stg_sau_log
),
windows as (
    select family_id, randomised_date, follow_up_end_date from int_family_windows
),
-- Source codes whose selected unit cost does not cover travel: their travel minutes are costed as
-- a separate row. An unmapped code keeps its travel row, so the gap is reported, not dropped.
travel_not_in_unit_cost as (
    select m.source, m.source_code
    from stg_code_map as m
    left join int_unit_costs_inflated as u on u.unit_cost_code = m.unit_cost_code and u.is_selected
    group by m.source, m.source_code
    having bool_or(u.excludes_travel) or count(u.unit_cost_id) = 0
),
-- Questionnaire: every service asked of every person in a response, answered or not, because a
-- blank is itself information (zero after 'no', missing otherwise).
gate_and_quantity as (
    select
        slot,
        service,
        max(column_name) filter (where field like '%\_any' escape '\') as gate_column,
        max(column_name) filter (where field not like '%\_any' escape '\') as quantity_column,
        max(field) filter (where field like '%\_any' escape '\') as gate_field,
        max(field) filter (where field not like '%\_any' escape '\') as quantity_field,
        -- su_<service>_<unit> -> <unit>, once per field rather than once per answer
        regexp_replace(max(field) filter (where field not like '%\_any' escape '\'),
                       '^su_' || service || '_', '') as quantity_unit
    from service_fields
    group by slot, service
),
-- the gate and the count of one service, side by side (one row per answered response × slot × service)
answered as (
    select response_id, slot, service,
           max(answer_code) filter (where field like '%\_any' escape '\') as gate_answer,
           max(answer_code) filter (where field not like '%\_any' escape '\') as quantity_answer
    from service_answers
    group by response_id, slot, service
),
response_persons as (
    select response_id, 0 as slot, person_id from responses
    union all
    select response_id, slot, person_id from children
),
asked as (
    select
        r.response_id, r.family_id, p.person_id, r.timepoint, r.assessment_date, r.recall_months,
        g.service, g.quantity_column,
        g.quantity_unit,
        a.gate_answer,
        a.quantity_answer
    from responses as r
    join response_persons as p using (response_id)
    join gate_and_quantity as g on g.slot = p.slot
    left join answered as a on a.response_id = r.response_id and a.slot = p.slot and a.service = g.service
),
-- Days of each period that the recall period covers: the follow-up recall ('in the last N months')
-- may start after randomisation; by default the gap is recorded, not filled.
questionnaire_items as (
    select
        a.*,
        case a.timepoint when 'baseline' then 'pre_baseline' else 'follow_up' end as period,
        (a.assessment_date - to_months(a.recall_months))::date as recall_start_date,
        case when a.timepoint = 'baseline'
             then a.assessment_date - (a.assessment_date - to_months(a.recall_months))::date
             else a.assessment_date - greatest(w.randomised_date, (a.assessment_date - to_months(a.recall_months))::date)
        end as covered_days,
        case when a.timepoint = 'baseline'
             then a.assessment_date - (a.assessment_date - to_months(a.recall_months))::date
             else a.assessment_date - w.randomised_date
        end as period_days
    from asked as a
    join windows as w using (family_id)
),
questionnaire_rows as (
    select
        family_id, person_id, 'questionnaire' as source, period, null::date as activity_date,
        service as resource_code, 'reported_use' as item_kind, null::varchar as attendance,
        case when quantity_answer is not null then quantity_answer
             when gate_answer = 2 then 0
             -- sensitivity only: read a skipped service as not used (completion fatigue)
             when gate_answer is null and getvariable('costing.blank_gate_as_zero') then 0 end
        * case when getvariable('costing.extrapolate_follow_up_recall') and period = 'follow_up'
                    and covered_days > 0 and covered_days < period_days
               then period_days / covered_days else 1 end as quantity,
        quantity_unit,
        response_id as record_group_id,
        response_id || ':' || quantity_column as source_record_id,
        quantity_answer is null and gate_answer is distinct from 2
            and not (gate_answer is null and getvariable('costing.blank_gate_as_zero')) as is_missing_quantity,
        case when quantity_answer is not null or gate_answer = 2 then null
             when gate_answer = 1 then 'blank_after_yes'
             -- not missing under the sensitivity rule, but said so: the zero is an assumption
             when getvariable('costing.blank_gate_as_zero') then 'gate_and_quantity_blank_assumed_zero'
             else 'gate_and_quantity_blank' end as missing_reason,
        recall_months, covered_days, period_days,
        getvariable('costing.extrapolate_follow_up_recall') and period = 'follow_up'
            and covered_days > 0 and covered_days < period_days as is_extrapolated
    from questionnaire_items
),
-- NSPCC: the attendance rule turns a DNA or cancellation into shares of contact and travel time.
nspcc_shares as (
    select
        n.*,
        case when attendance = 'dna' then getvariable('costing.dna_contact_share')
             when attendance like 'cancelled%' then getvariable('costing.cancelled_contact_share')
             else 1 end as contact_share,
        case when attendance = 'dna' then getvariable('costing.dna_travel_share')
             when attendance like 'cancelled%' then getvariable('costing.cancelled_travel_share')
             else 1 end as travel_share
    from nspcc as n
),
nspcc_rows as (
    select family_id, activity_date, staff_role as resource_code, 'contact' as item_kind, attendance,
           contact_minutes * contact_share as quantity, 'minutes' as quantity_unit,
           contact_id as record_group_id, record_id as source_record_id
    from nspcc_shares where activity_type <> 'direct_support'
    union all
    select family_id, activity_date, staff_role, 'travel', attendance,
           travel_minutes * travel_share, 'minutes', contact_id, record_id || ':travel'
    from nspcc_shares
    where activity_type <> 'direct_support' and travel_minutes > 0
      and staff_role in (select source_code from travel_not_in_unit_cost where source = 'nspcc_activity')
    union all
    select family_id, activity_date, 'direct_support:' || support_type, 'payment', attendance,
           support_amount_gbp, 'gbp', contact_id, record_id
    from nspcc_shares where activity_type = 'direct_support'
),
-- SAU log: one row per attendee, numbered, so two social workers at one meeting are two rows.
sau_attendees as (
    select record_id, family_id, activity_date, duration_minutes,
           unnest(attendees) as attendee_role, generate_subscripts(attendees, 1) as attendee_index
    from sau
),
sau_rows as (
    select family_id, activity_date, attendee_role as resource_code, 'contact' as item_kind,
           null::varchar as attendance, duration_minutes::double as quantity, 'minutes' as quantity_unit,
           record_id as record_group_id, record_id || ':' || attendee_index as source_record_id
    from sau_attendees
    union all
    select family_id, activity_date, 'social_worker', 'travel', null, travel_minutes, 'minutes',
           record_id, record_id || ':travel'
    from sau
    where travel_minutes > 0
      and 'social_worker' in (select source_code from travel_not_in_unit_cost where source = 'sau_log')
),
-- Dated provider records are placed by date; outside the follow-up window they keep a null period.
provider_rows as (
    select 'nspcc_activity' as source, * from nspcc_rows
    union all
    select 'sau_log', * from sau_rows
),
provider_placed as (
    select
        p.family_id, null::varchar as person_id, p.source,
        case when p.activity_date between w.randomised_date and w.follow_up_end_date then 'follow_up' end as period,
        p.activity_date, p.resource_code, p.item_kind, p.attendance, p.quantity, p.quantity_unit,
        p.record_group_id, p.source_record_id,
        p.quantity is null as is_missing_quantity,
        case when p.quantity is null then 'quantity_blank' end as missing_reason,
        null::integer as recall_months, null::integer as covered_days, null::integer as period_days,
        false as is_extrapolated
    from provider_rows as p
    join windows as w using (family_id)
),
all_rows as (
    select * from questionnaire_rows
    union all by name
    select * from provider_placed
)
select
    family_id,
    person_id,
    source,
    period,
    period is null as is_outside_window,
    activity_date,
    resource_code,
    item_kind,
    attendance,
    quantity::double as quantity,
    quantity_unit,
    record_group_id,
    source_record_id,
    is_missing_quantity,
    missing_reason,
    recall_months,
    covered_days,
    period_days,
    is_extrapolated
from all_rows;
