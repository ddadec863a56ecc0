"""Direct identifiers: which input columns to drop, and which values to mask, before anything is stored.

Rules are data, in contracts/identifiers.toml: phrases that make a (normalised) column name an
identifier, and value patterns. A value of a kept column that matches a pattern is replaced at
read time by ``<pattern name>`` (``<email>``, ``<nhs_number>`` …), so no table, export, report or
message can echo it.

NHS numbers are ten digits whose tenth is the modulus-11 check digit of the first nine (weights
10 to 2; remainder r, check 11 - r, 11 -> 0, 10 -> invalid): NHS Data Dictionary, "NHS Number"
(verification: secondary, the algorithm as the data dictionary and NHS Digital's validation
guidance state it; tests/test_identifiers.py checks it on a hand-worked example). A CHI number
(Scotland) is ten digits beginning with the date of birth as DDMMYY, with the same check digit
(ISD Scotland, CHI number; verification: secondary).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

import duckdb

from .paths import CONTRACTS_DIR

SLOT_PREFIX = re.compile(r"^v?\d+_", re.IGNORECASE)
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
MASKED_SOURCES = ("randomisation", "questionnaire", "nspcc_activity", "sau_log")  # not the cited reference data


@dataclass(frozen=True)
class IdentifierRules:
    """contracts/identifiers.toml, parsed: phrases per identifier kind, allowed names, value patterns."""

    ignore_words: frozenset[str]
    phrases: tuple[tuple[str, tuple[str, ...]], ...]
    allowed: frozenset[str]
    values: dict[str, str]


@cache
def load_identifier_rules() -> IdentifierRules:
    spec = tomllib.loads((CONTRACTS_DIR / "identifiers.toml").read_text(encoding="utf-8"))
    phrases = tuple(sorted(((kind, tuple(p)) for kind, options in spec["phrases"].items() for p in options),
                           key=lambda kp: -len(kp[1])))  # the longest phrase names the kind
    return IdentifierRules(frozenset(spec["ignore_words"]), phrases, frozenset(spec["allowed"]), dict(spec["values"]))


def normalise_column_name(column: str) -> tuple[str, ...]:
    """The words of a column name: loop prefix removed, camelCase split, punctuation as spaces,
    lower case, apostrophe-s and common words dropped ("Mother's Name" -> ('mother', 'name'))."""
    rules = load_identifier_rules()
    stem = SLOT_PREFIX.sub("", column.strip())
    stem = re.sub(r"['’]s\b", "", stem)
    words = re.split(r"[^a-z0-9]+", CAMEL.sub(" ", stem).lower())
    return tuple(w for w in words if w and w not in rules.ignore_words)


def identifier_kind(column: str) -> str | None:
    """The kind of direct identifier a column name names ('email', 'date_of_birth' …), or None."""
    rules = load_identifier_rules()
    if column in rules.allowed or SLOT_PREFIX.sub("", column) in rules.allowed:
        return None
    words = normalise_column_name(column)
    for kind, phrase in rules.phrases:
        n = len(phrase)
        if any(words[i:i + n] == phrase for i in range(len(words) - n + 1)):
            return kind
    return None


def identifier_reason(column: str) -> str | None:
    """Why ``column`` is a direct identifier, or None if it is not."""
    kind = identifier_kind(column)
    return f"column name reads as {kind} ({' '.join(normalise_column_name(column))})" if kind else None


# --- values ------------------------------------------------------------------------------------

def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def value_kind_sql(expr: str, is_date_column: bool) -> str:
    """A SQL expression: the identifier pattern ``expr`` (varchar) matches, or null.

    Short values (under 6 characters, every answer code) are skipped at once, so the check is cheap.
    """
    v, pats = f"trim({expr})", load_identifier_rules().values
    digits = f"regexp_replace({v}, '[^0-9]', '', 'g')"
    check = (f"(11 - list_sum(list_transform(range(1, 10), lambda i: cast(substr({digits}, i, 1) as int) * (11 - i))) % 11)"
             f" % 11 = cast(substr({digits}, 10, 1) as int)")
    ddmmyy = f"try_strptime(substr({digits}, 1, 6), '%d%m%y') is not null"
    whens = [
        f"regexp_matches({v}, {_sql_str(pats['email'])}) then 'email'",
        f"regexp_full_match({v}, {_sql_str(pats['ten_digit'])}) and {check} and {ddmmyy} then 'chi_number'",
        f"regexp_full_match({v}, {_sql_str(pats['ten_digit'])}) and {check} then 'nhs_number'",
        f"regexp_full_match({v}, {_sql_str(pats['phone'])}) and length({digits}) between 10 and 12 then 'phone'",
        f"regexp_full_match(upper({v}), {_sql_str(pats['postcode'])}) then 'postcode'",
        f"regexp_full_match({v}, {_sql_str(pats['ip_address'])}) then 'ip_address'",
    ]
    if not is_date_column:
        whens.append(f"regexp_full_match({v}, {_sql_str(pats['date'])}) then 'date_of_birth'")
    return f"(case when length({v}) < 6 then null " + " ".join(f"when {w}" for w in whens) + " end)"


def classify_value(value: str, is_date_column: bool = False) -> str | None:
    """The identifier pattern a single value matches (for tests and messages), or None."""
    with duckdb.connect() as con:
        return con.execute(f"with t as (select ?::varchar as v) select {value_kind_sql('v', is_date_column)} from t",
                           [value]).fetchone()[0]


DATE_TYPES = ("date", "timestamp")


def mask_identifier_values(con: duckdb.DuckDBPyConnection, raw_table: str,
                           columns: dict[str, str]) -> list[tuple[str, str, int]]:
    """Replace every value of ``raw_table`` that matches an identifier pattern by ``<kind>``.

    ``columns`` maps each stored column to its contract type (date columns are not checked for
    dates). Returns (column, kind, n values) for every column where something was masked.
    """
    present = {r[0] for r in con.execute(f"select column_name from (describe {raw_table})").fetchall()}
    columns = {c: t for c, t in columns.items() if c in present}
    masked = _mask_cells(con) if raw_table.strip('"') == "raw_questionnaire" else []
    if not columns:
        return masked
    quoted = {c: '"' + c.replace('"', '""') + '"' for c in columns}
    # every pattern needs 6 characters or more: most columns (answer codes) are ruled out by one
    # cheap pass, and only the others get the full check
    longest = con.execute("select " + ", ".join(f"max(length({quoted[c]}))" for c in columns)
                          + f" from {raw_table}").fetchone()
    candidates = [c for c, n in zip(columns, longest) if n is not None and n >= 6]
    kinds = {c: value_kind_sql(quoted[c], columns[c] in DATE_TYPES) for c in candidates}
    counts = con.execute("select " + ", ".join(f"count(*) filter (where {kinds[c]} is not null)" for c in candidates)
                         + f" from {raw_table}").fetchone() if candidates else ()
    for column, n in zip(candidates, counts):
        if not n:
            continue
        masked += [(column, kind, count) for kind, count in con.execute(
            f"select {kinds[column]} as kind, count(*) from {raw_table} where {kinds[column]} is not null "
            f"group by 1 order by 1"
        ).fetchall()]
        con.execute(f"update {raw_table} set {quoted[column]} = '<' || {kinds[column]} || '>' "
                    f"where {kinds[column]} is not null")
    return masked


def stored_column_types(table) -> dict[str, str]:
    """The columns of a contract table that are stored (not identifiers), with their types."""
    return {c.name: c.type for c in table.columns if not c.is_identifier}


def _mask_cells(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """The questionnaire's answer cells, read in long form (pfc_econ/read_survey.py: temporary
    raw_questionnaire_cells, keyed by the column's position in the contract): masked the same way."""
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    if "raw_questionnaire_cells" not in tables:
        return []
    kind = value_kind_sql("c.raw_value", False)
    names = ("(select position as column_id, column_name from contract_columns where source = 'questionnaire')"
             if "contract_columns" in tables else "(select null::integer as column_id, null::varchar as column_name)")
    found = con.execute(f"""select coalesce(f.column_name, 'column ' || c.column_id), {kind}, count(*)
                            from raw_questionnaire_cells as c left join {names} as f using (column_id)
                            where {kind} is not null group by all order by all""").fetchall()
    if found:
        con.execute(f"update raw_questionnaire_cells as c set raw_value = '<' || {kind} || '>' where {kind} is not null")
    return [(column, k, n) for column, k, n in found]
