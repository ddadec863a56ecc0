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
