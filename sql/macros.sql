-- Macros used by the generated contract checks (chk_*) and the staging models.
-- Raw tables hold text exactly as it arrived; these parse it, returning null when it cannot.

create or replace macro pfc_text(v) as nullif(trim(v), '');

-- '12', '12.0' (SPSS and Excel write whole numbers as floats) -> 12; '12.5', 'twelve' -> null
create or replace macro pfc_int(v) as
    case when try_cast(trim(v) as double) = round(try_cast(trim(v) as double))
         then try_cast(try_cast(trim(v) as double) as bigint) end;

-- 'inf', 'NaN', '-Infinity', '1e999' are not numbers a source can hold: null, so the contract
-- check reports them as invalid_type and the row is quarantined (issue 9)
create or replace macro pfc_decimal(v) as
    case when isfinite(try_cast(trim(v) as double)) then try_cast(trim(v) as double) end;

-- ISO dates first, then the UK day/month/year that spreadsheets produce; impossible dates -> null
create or replace macro pfc_date(v) as coalesce(
    try_strptime(trim(v), '%Y-%m-%d'),
    try_strptime(trim(v), '%d/%m/%Y'),
    try_strptime(trim(v), '%Y-%m-%d %H:%M:%S'))::date;

create or replace macro pfc_timestamp(v) as coalesce(
    try_strptime(trim(v), '%Y-%m-%d %H:%M:%S'),
    try_strptime(trim(v), '%Y-%m-%dT%H:%M:%S'),
    try_strptime(trim(v), '%d/%m/%Y %H:%M'),
    try_strptime(trim(v), '%Y-%m-%d'));

create or replace macro pfc_bool(v) as
    case when lower(trim(v)) in ('true', '1', 'yes', 'y') then true
         when lower(trim(v)) in ('false', '0', 'no', 'n') then false end;

create or replace macro pfc_list(v, sep) as
    list_filter(list_transform(string_split(v, sep), lambda x: trim(x)), lambda x: x <> '');

-- One problem found in a record: the shape of every element of a chk_* table's `issues` list.
create or replace macro pfc_issue(rule, field, severity, message, value) as
    {'rule': rule, 'field': field, 'severity': severity, 'message': message, 'value': value::varchar};

-- Area under a straight line from (t0, v0) to (t1, v1), days from randomisation, over the analysis
-- window [0, horizon] (docs/costing.md "One window"), in years: the trapezium between the line's
-- values where the window starts and where it (or the follow-up) ends; past the follow-up the last
-- value is carried to the horizon only when `carry` (costing.extrapolate_follow_up_recall).
create or replace macro pfc_window_auc(v0, v1, t0, t1, horizon, carry) as
    case when t1 > t0 and horizon > 0 then
        ((v0 + (v1 - v0) * (greatest(t0, 0) - t0) / (t1 - t0))
         + (v0 + (v1 - v0) * (least(t1, horizon) - t0) / (t1 - t0))) / 2
        * greatest(least(t1, horizon) - greatest(t0, 0), 0)
        + case when carry and horizon > t1 then v1 * (horizon - t1) else 0 end
    end / 365.25;

-- Days of the window [0, horizon] the outcome line covers (see pfc_window_auc).
create or replace macro pfc_window_days(t0, t1, horizon, carry) as
    case when t1 > t0 and horizon > 0 then
        greatest(least(t1, horizon) - greatest(t0, 0), 0)
        + case when carry and horizon > t1 then horizon - t1 else 0 end
    end;

-- The UK financial year (1 April to 31 March) of a date, as 'YYYY/YY': 2023-03-31 -> '2022/23'.
create or replace macro pfc_financial_year(d) as
    (year(d) - case when month(d) < 4 then 1 else 0 end)::varchar || '/'
    || lpad(((year(d) - case when month(d) < 4 then 1 else 0 end + 1) % 100)::varchar, 2, '0');

-- A sum in fixed point: each value to 1e-12 (of a pound, a contact), summed exactly, so a total does
-- not depend on the order DuckDB's parallel aggregation adds the items in (a double sum can land
-- either side of a half penny and round differently from run to run); an exact half penny then
-- rounds away from zero when the caller rounds the (decimal) total before making it a double.
create or replace macro pfc_exact_sum(x) as sum(x::decimal(38, 12));
