-- int_resource_use: one row per resource-use item from every source, in one long table: a
-- questionnaire service answer (person × service × response), an NSPCC contact's staff minutes
-- (travel minutes a separate row where the unit cost excludes travel) or direct-support payment,
-- and an SAU log entry's attendee (meetings cost every attendee) or the social worker's travel.
-- upstream: int_family_windows, stg_questionnaire, stg_questionnaire_children, stg_questionnaire_answer_values,
-- chk_questionnaire_children, contract_columns, stg_nspcc_activity, stg_sau_log, stg_code_map, int_unit_costs_inflated
create or replace view int_resource_use as
with responses as (
    select * from stg_questionnaire
),
children as (
    select * from stg_questionnaire_children
),
rejected_children as (
    select response_id, source_row, slot from chk_questionnaire_children where has_error
),
-- service_key: an integer for each slot × service, so the answers are grouped and joined on integers
service_fields as (
    select *, dense_rank() over (order by slot, service) as service_key
    from contract_columns where source = 'questionnaire' and block = 'service_use'
),
-- the service answers, read narrow (file line, contract position, answer) and told what they are by
-- the contract's service fields: the answers view would join each answer to its response and child
-- block for names the costing does not need
service_answers as (
    select a.source_row, f.service_key, f.field like '%\_any' escape '\' as is_gate, a.answer_code, a.answer_value
    from stg_questionnaire_answer_values as a
    join service_fields as f on f.position = a.column_id
),
nspcc as (
    select * from stg_nspcc_activity
),
sau as (
    select * from stg_sau_log
),
windows as (
    select family_id, randomised_date, window_start_date, window_end_date, window_days from int_family_windows
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
        service_key,
        max(counted_per) as counted_per,
        max(column_name) filter (where field like '%\_any' escape '\') as gate_column,
        max(column_name) filter (where field not like '%\_any' escape '\') as quantity_column,
        -- su_<service>_<unit> -> <unit>, once per field rather than once per answer
        regexp_replace(max(field) filter (where field not like '%\_any' escape '\'),
                       '^su_' || service || '_', '') as quantity_unit
    from service_fields
    group by slot, service, service_key
),
-- the gate and the count of one service, side by side (one row per answered response × slot × service).
-- The questionnaire's joins key a response by its source_row, an integer (one file row per response:
-- a duplicated ResponseId is rejected in staging), not by the response_id string; response_id is
-- joined back once per item, for record_group_id and source_record_id.
answered as (
    select source_row, service_key,
           max(answer_code) filter (where is_gate) as gate_answer,
           max(answer_value) filter (where not is_gate) as quantity_answer
    from service_answers
    group by source_row, service_key
),
-- A child block that failed its checks keeps its services, as unknown: the family is partial, not
-- silently cheaper (docs/costing.md "Edge cases").
response_persons as (
    select response_id, source_row, 0 as slot, person_id, false as is_rejected_block from responses
    union all
    select response_id, source_row, slot, person_id, false from children
    union all
    select response_id, source_row, slot, null, true from rejected_children
),
-- One window: a follow-up recall ('in the last N months', the N months up to the assessment) is
-- pro-rated to the days that fall inside the family's window (the day after randomisation to the
-- window end), and extrapolated to the whole window only with costing.extrapolate_follow_up_recall.
-- Baseline recall is the pre_baseline period itself. Worked out once per response: every answer of
-- a response shares its recall period.
recalls as (
    select
        r.response_id, r.source_row, r.family_id, r.assessment_date, r.recall_months,
        case r.timepoint when 'baseline' then 'pre_baseline' else 'follow_up' end as period_asked,
        r.assessment_date - (r.assessment_date - to_months(r.recall_months))::date as recall_days,
        w.window_days,
        greatest(0, least(r.assessment_date, w.window_end_date)
                    - greatest((r.assessment_date - to_months(r.recall_months))::date, w.randomised_date)) as overlap_days
    from responses as r
    join windows as w using (family_id)
),
response_windows as (
    select
        *,
        case when period_asked = 'pre_baseline' or overlap_days > 0 then period_asked end as period,
        case when period_asked = 'pre_baseline' then recall_days else overlap_days end as covered_days,
        case when period_asked = 'pre_baseline' then recall_days else window_days end as period_days,
        case when period_asked = 'pre_baseline' then 1.0 else overlap_days / recall_days end as prorate_factor,
        case when period_asked = 'follow_up' and getvariable('costing.extrapolate_follow_up_recall')
                  and overlap_days > 0 and overlap_days < window_days
             then window_days / overlap_days else 1.0 end as extrapolation_factor
    from recalls
),
questionnaire_items as (
    select
        p.source_row, p.slot, p.person_id, p.is_rejected_block,
        g.service, g.quantity_column, g.quantity_unit, g.counted_per,
        case when a.quantity_answer is not null then a.quantity_answer
             when a.gate_answer = 2 then 0
             -- sensitivity only: read a skipped service as not used (completion fatigue)
             when a.gate_answer is null and getvariable('costing.blank_gate_as_zero') then 0 end as reported_quantity,
        case when p.is_rejected_block then 'child_block_rejected'
             when a.quantity_answer is not null or a.gate_answer = 2 then null
             when a.gate_answer = 1 then 'blank_after_yes'
             -- not missing under the sensitivity rule, but said so: the zero is an assumption
             when getvariable('costing.blank_gate_as_zero') then 'gate_and_quantity_blank_assumed_zero'
             else 'gate_and_quantity_blank' end as missing_reason
    from response_persons as p
    join gate_and_quantity as g on g.slot = p.slot
    left join answered as a on a.source_row = p.source_row and a.service_key = g.service_key
),
-- Hospital stays (docs/costing.md "Hospital stays"): a code whose code-map row names net_of is
-- costed net of that code's answer by the same person in the same response, never below 0
-- (inpatient nights net of admissions = nights beyond the first of each spell).
net_of_codes as (
    select source_code, net_of from stg_code_map where source = 'questionnaire' and net_of is not null
),
-- the answers other codes are netted of (admissions), so the self-join below builds on a few rows
net_of_answers as (
    select source_row, slot, service, reported_quantity, is_rejected_block
    from questionnaire_items
    where service in (select net_of from net_of_codes)
),
netted as (
    select
        q.*,
        case when m.net_of is null or q.reported_quantity = 0 then q.reported_quantity
             -- (greatest ignores a null: an unknown admission count leaves the nights unknown)
             when n.reported_quantity is null or n.is_rejected_block then null
             else greatest(q.reported_quantity - n.reported_quantity, 0) end as costed_quantity,
        case when m.net_of is null or q.missing_reason is not null or q.reported_quantity = 0 then q.missing_reason
             when n.reported_quantity is null or n.is_rejected_block then 'net_of_answer_unknown' end as netted_missing_reason
    from questionnaire_items as q
    left join net_of_codes as m on m.source_code = q.service
    left join net_of_answers as n
        on m.net_of is not null and n.source_row = q.source_row and n.slot = q.slot and n.service = m.net_of
),
-- Two respondents: a service counted per child or per family is costed from one response only,
-- chosen by costing.respondent_rule; the other respondents' answers are kept, marked
-- is_duplicate_report, and reported in audit_costing (docs/costing.md "Two respondents").
-- Responses are ranked per counted unit (the family, a child, the respondent) rather than per
-- answer: every response asks each block the same services (the contract generates them per
-- block), so a response's rank for a unit is the rank of each of its answers for that unit.
response_missing as (
    select source_row, count(*) filter (where reported_quantity is null or is_rejected_block) as n_missing
    from questionnaire_items
    group by source_row
),
response_units as (
    select
        p.response_id, p.source_row, p.slot, c.counted_per, w.family_id, w.period_asked, w.period, w.assessment_date,
        case c.counted_per when 'family' then w.family_id
                           when 'child' then coalesce(p.person_id, p.response_id || ':' || p.slot)
                           else p.response_id || ':' || p.person_id end as counted_unit
    from response_persons as p
    join (select distinct slot, counted_per from gate_and_quantity) as c using (slot)
    join response_windows as w using (source_row)
),
unit_ranks as (
    select
        u.source_row, u.slot, u.counted_per,
        row_number() over (
            partition by u.family_id, u.period_asked, u.counted_per, u.counted_unit
            order by u.period is null,
                     case when getvariable('costing.respondent_rule') = 'most_complete' then m.n_missing else 0 end,
                     u.assessment_date, u.response_id, u.slot) as respondent_rank
    from response_units as u
    join response_missing as m using (source_row)
),
questionnaire_rows as (
    select
        w.family_id, q.person_id, 'questionnaire' as source, w.period, null::date as activity_date,
        w.assessment_date as price_date,
        q.service as resource_code, 'reported_use' as item_kind, null::varchar as activity_type,
        null::varchar as attendance,
        q.costed_quantity * w.prorate_factor * w.extrapolation_factor as quantity,
        q.quantity_unit,
        w.response_id as record_group_id,
        w.response_id || ':' || q.quantity_column as source_record_id,
        q.costed_quantity is null or q.is_rejected_block as is_missing_quantity,
        q.netted_missing_reason as missing_reason,
        w.recall_months, w.covered_days, w.period_days,
        q.reported_quantity as reported_quantity,
        w.prorate_factor,
        w.extrapolation_factor,
        w.extrapolation_factor > 1 as is_extrapolated,
        q.counted_per,
        k.respondent_rank > 1 as is_duplicate_report
    from netted as q
    join response_windows as w using (source_row)
    join unit_ranks as k using (source_row, slot, counted_per)
),
-- NSPCC and SAU log: the attendance rule (unit_costs/settings.toml [attendance]) turns a DNA or a
-- cancellation into shares of contact and travel time, the same for both logs.
attendance_shares as (
    select * from (values
        ('attended', 1.0, 1.0),
        ('dna', getvariable('costing.dna_contact_share'), getvariable('costing.dna_travel_share')),
        ('cancelled_notice', getvariable('costing.cancelled_contact_share'), getvariable('costing.cancelled_travel_share')),
        ('cancelled_late', getvariable('costing.cancelled_contact_share'), getvariable('costing.cancelled_travel_share'))
    ) as t(attendance, contact_share, travel_share)
),
nspcc_shares as (
    select n.*, coalesce(a.contact_share, 1.0) as contact_share, coalesce(a.travel_share, 1.0) as travel_share
    from nspcc as n
    left join attendance_shares as a using (attendance)
),
nspcc_rows as (
    select family_id, activity_date, staff_role as resource_code, 'contact' as item_kind, activity_type, attendance,
           contact_minutes * contact_share as quantity, 'minutes' as quantity_unit,
           contact_id as record_group_id, record_id as source_record_id
    from nspcc_shares where activity_type <> 'direct_support'
    union all
    select family_id, activity_date, staff_role, 'travel', activity_type, attendance,
           travel_minutes * travel_share, 'minutes', contact_id, record_id || ':travel'
    from nspcc_shares
    where activity_type <> 'direct_support' and travel_minutes > 0
      and staff_role in (select source_code from travel_not_in_unit_cost where source = 'nspcc_activity')
    union all
    select family_id, activity_date, 'direct_support:' || support_type, 'payment', activity_type, attendance,
           support_amount_gbp, 'gbp', contact_id, record_id
    from nspcc_shares where activity_type = 'direct_support'
),
-- SAU log: one row per attendee, numbered, so two social workers at one meeting are two rows.
sau_shares as (
    select s.*, a.contact_share, a.travel_share
    from sau as s
    join attendance_shares as a using (attendance)
),
sau_attendees as (
    select record_id, family_id, activity_date, contact_type, attendance, duration_minutes * contact_share as minutes,
           unnest(attendees) as attendee_role, generate_subscripts(attendees, 1) as attendee_index
    from sau_shares
),
sau_rows as (
    select family_id, activity_date, attendee_role as resource_code, 'contact' as item_kind, contact_type as activity_type,
           attendance, minutes::double as quantity, 'minutes' as quantity_unit,
           record_id as record_group_id, record_id || ':' || attendee_index as source_record_id
    from sau_attendees
    union all
    select family_id, activity_date, 'social_worker', 'travel', contact_type, attendance, travel_minutes * travel_share,
           'minutes', record_id, record_id || ':travel'
    from sau_shares
    where travel_minutes > 0
      and 'social_worker' in (select source_code from travel_not_in_unit_cost where source = 'sau_log')
),
-- SAU log status entries (docs/costing.md "Children in care"): an entry whose contact_type has a
-- code-map row is a child's placement, plan or proceedings, not a contact. A placement or a plan
-- (nights, days) costs the nights from its contact_date to its end_date (blank: still open) that fall
-- inside the window; proceedings (cases) cost one, placed by date like any record.
sau_status as (
    select s.*, m.quantity_unit, w.randomised_date, w.window_start_date, w.window_end_date,
           m.quantity_unit in ('nights', 'days') as is_span,
           greatest(0, least(coalesce(s.end_date, w.window_end_date), w.window_end_date)
                       - greatest(s.activity_date, w.randomised_date)) as nights_in_window
    from sau as s
    join stg_code_map as m on m.source = 'sau_log' and m.source_code = s.contact_type
    join windows as w using (family_id)
),
sau_status_placed as (
    select
        family_id, child_id as person_id, 'sau_log' as source,
        case when is_span and nights_in_window > 0 then 'follow_up'
             when not is_span and activity_date between window_start_date and window_end_date then 'follow_up' end as period,
        activity_date, activity_date as price_date,
        contact_type as resource_code, 'status' as item_kind, contact_type as activity_type, attendance,
        case when is_span then nights_in_window else 1 end::double as quantity, quantity_unit,
        record_id as record_group_id, record_id as source_record_id,
        false as is_missing_quantity, null::varchar as missing_reason,
        null::integer as recall_months, null::integer as covered_days, null::integer as period_days,
        case when is_span then nights_in_window else 1 end::double as reported_quantity,
        1.0 as prorate_factor, 1.0 as extrapolation_factor,
        false as is_extrapolated, 'child' as counted_per, false as is_duplicate_report
    from sau_status
),
-- Dated provider records are placed by date: the window starts the day after randomisation (a record
-- dated on the randomisation day is not follow-up); outside the window they keep a null period.
provider_rows as (
    select 'nspcc_activity' as source, * from nspcc_rows
    union all
    select 'sau_log', * from sau_rows
),
provider_placed as (
    select
        p.family_id, null::varchar as person_id, p.source,
        case when p.activity_date between w.window_start_date and w.window_end_date then 'follow_up' end as period,
        p.activity_date, p.activity_date as price_date,
        p.resource_code, p.item_kind, p.activity_type, p.attendance, p.quantity, p.quantity_unit,
        p.record_group_id, p.source_record_id,
        p.quantity is null as is_missing_quantity,
        case when p.quantity is null then 'quantity_blank' end as missing_reason,
        null::integer as recall_months, null::integer as covered_days, null::integer as period_days,
        p.quantity as reported_quantity, 1.0 as prorate_factor, 1.0 as extrapolation_factor,
        false as is_extrapolated, 'family' as counted_per, false as is_duplicate_report
    from provider_rows as p
    join windows as w using (family_id)
),
all_rows as (
    select * from questionnaire_rows
    union all by name
    select * from provider_placed
    union all by name
    select * from sau_status_placed
)
select
    family_id,
    person_id,
    source,
    period,
    period is null as is_outside_window,
    activity_date,
    price_date,
    resource_code,
    item_kind,
    activity_type,
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
    is_extrapolated,
    reported_quantity::double as reported_quantity,
    prorate_factor::double as prorate_factor,
    extrapolation_factor::double as extrapolation_factor,
    counted_per,
    is_duplicate_report
from all_rows;
