"""Contract checks, generated from the contract data as SQL: ``chk_<table>``.

``chk_<table>`` holds every raw row, typed (text parsed by the macros in sql/macros.sql), with a
list ``issues`` of the contract rules it breaks (missing required value, unparseable value, value
not allowed, out of range, implausible, duplicate id, unknown family, row rules) and ``has_error``.
The staging model of the source keeps the rows without errors; the others go to quarantine.
Generating the checks keeps the contract the single place where a rule is written.
"""

from __future__ import annotations

from .contracts import Column, TableContract
from .readers import q, sql_str

PARSERS = {
    "text": "pfc_text({v})", "integer": "pfc_int({v})", "decimal": "pfc_decimal({v})",
    "date": "pfc_date({v})", "timestamp": "pfc_timestamp({v})", "boolean": "pfc_bool({v})",
}
TYPE_WORDS = {"integer": "a whole number", "decimal": "a number", "date": "a date (YYYY-MM-DD)",
              "timestamp": "a date and time", "boolean": "true or false", "text": "text", "list": "a list"}


def typed_expression(column: Column, v: str) -> str:
    if column.type == "list":
        return f"pfc_list({v}, {sql_str(column.separator or ';')})"
    return PARSERS[column.type].format(v=v)


def _literal(value) -> str:
    return sql_str(value) if isinstance(value, str) else repr(value)


def _issue(rule: str, column: str, severity: str, message: str, value: str) -> str:
    return f"pfc_issue({sql_str(rule)}, {sql_str(column)}, {sql_str(severity)}, {message}, {value})"


def column_checks(c: Column, record_key: str | None) -> list[str]:
    """SQL ``case`` expressions, one per contract rule on column ``c``; null when the rule holds."""
    name, raw, val = c.name, f"_raw.{q(c.name)}", q(c.name)
    out = []
    if c.is_required:
        out.append(f"case when pfc_text({raw}) is null then "
                   + _issue("missing_required", name, "error", sql_str(f"{name} is required but blank"), "null") + " end")
    if c.type != "text":
        out.append(f"case when pfc_text({raw}) is not null and {val} is null then "
                   + _issue("invalid_type", name, "error", sql_str(f"{name} is not {TYPE_WORDS[c.type]}"), raw) + " end")
    if c.allowed is not None:
        allowed = ", ".join(_literal(a) for a in c.allowed)
        shown = ", ".join(str(a) for a in c.allowed)
        message = sql_str(f"{name} must be one of: {shown}")
        if c.type == "list":
            out.append(f"case when len(list_filter({val}, lambda x: x not in ({allowed}))) > 0 then "
                       + _issue("not_allowed", name, "error", message, raw) + " end")
        else:
            out.append(f"case when {val} not in ({allowed}) then "
                       + _issue("not_allowed", name, "error", message, raw) + " end")
    if c.pattern:
        out.append(f"case when {val} is not null and not regexp_full_match({val}, {sql_str(c.pattern)}) then "
                   + _issue("bad_pattern", name, "error", sql_str(f"{name} does not match {c.pattern}"), raw) + " end")
    for bound, op, rule, severity in ((c.min, "<", "out_of_range", "error"), (c.max, ">", "out_of_range", "error"),
                                      (c.warn_min, "<", "implausible", "warning"),
                                      (c.warn_max, ">", "implausible", "warning")):
        if bound is not None:
            word = "below" if op == "<" else "above"
            out.append(f"case when {val} {op} {bound!r} then "
                       + _issue(rule, name, severity, sql_str(f"{name} is {word} {bound:g}"), raw) + " end")
    if c.is_unique:
        out.append(f"case when {val} is not null and count(*) over (partition by {val}) > 1 then "
                   + _issue("duplicate_id", name, "error",
                            f"'{name} ' || {val} || ' appears ' || count(*) over (partition by {val}) || ' times'",
                            raw) + " end")
    if c.references:
        table, key = c.references.split(".")
        out.append(f"case when {val} is not null and {val} not in (select {q(key)} from stg_{table}) then "
                   + _issue("unknown_family" if key == "family_id" else "unknown_reference", name, "error",
                            sql_str(f"{name} is not on the {table} list"), raw) + " end")
    return out


def build_check_sql(table: TableContract, levels: tuple[str, ...] = ("record", "respondent")) -> str:
    """The SQL that creates ``chk_<table>`` from ``raw_<table>`` for the contract's columns."""
    columns = [c for c in table.columns if not c.is_identifier and c.level in levels]
    typed = ",\n        ".join(f"{typed_expression(c, 'r.' + q(c.name))} as {q(c.name)}" for c in columns)
    checks = [check for c in columns for check in column_checks(c, table.record_id)]
    for rule in table.rules:
        checks.append(f"case when ({rule.when}) then "
                      + _issue(rule.id, rule.field, rule.severity, sql_str(rule.message), q(rule.field)) + " end")
    record_id = f"pfc_text(_raw.{q(table.record_id)})" if table.record_id else "null::varchar"
    issue_list = ",\n            ".join(checks) if checks else ""
    return f"""-- chk_{table.table}: every row of raw_{table.table}, typed, with the contract rules it breaks.
-- Generated from contracts/{table.source}.toml by pfc_econ/checks.py; do not edit by hand.
create or replace table {q('chk_' + table.table)} as
with typed as (
    select
        r.source_row,
        {typed},
        r as _raw
    from {q('raw_' + table.table)} as r
),
checked as (
    select
        *,
        {record_id} as record_id,
        list_filter([
            {issue_list}
        ], lambda x: x is not null) as issues
    from typed
)
select
    * exclude (_raw),
    len(list_filter(issues, lambda x: x.severity = 'error')) > 0 as has_error
from checked
"""
