"""`pfc-econ score`: score a stand-alone CSV of item answers with the pipeline's own SQL.

The CSV has an ``id`` column, one column per item named as ``item_code`` in instruments/items.csv
(``ghq_1``, ``icecap_3``, ``pedsql_tod_7``, ``sdq_imp_2`` …), and where needed ``form`` (PedsQL:
inf1, inf2, tod, yc or the staged names infant_1_12m …; SDQ: p2_4 or p4_17, default p4_17) and,
for the CHU9D mapping, ``age_months`` (or ``age_years``). The rows are staged as questionnaire
answers and scored by sql/intermediate/int_instrument_items, int_instrument_scores,
int_instrument_bands and int_chu9d_utility, so a score here is the same score as in a trial run.

Output: ``<score>_value`` and ``<score>_status`` per score; SDQ adds ``<score>_<scheme>`` (the
four-band and three-band label of each banded score, sdq_bands.csv; blank where the version has
no published table) and ``<scheme>_verification``; GHQ-12 adds ``ghq_is_case`` and
``cghq_is_case`` (score >= outcomes.ghq_caseness_threshold / cghq_caseness_threshold,
ghq12_rules.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from .config import SCHEMA
from .models import run_macros
from .paths import SQL_DIR
from .reference_data import load_reference_data

LINE = "__pfc_line"          # the CSV line of each input row (header = line 1), for error messages
INSTRUMENTS = ("ghq12", "icecap_a", "bcap", "pedsql", "sdq", "chu9d")
MODELS = ("int_instrument_administered", "int_instrument_answer_values", "int_instrument_items",
          "int_instrument_scores", "int_instrument_bands", "int_chu9d_utility")


@dataclass(frozen=True)
class ScoreResult:
    """Scores of a stand-alone file: one row per ``id``; ``columns`` in output order."""

    instrument: str
    columns: list[str]
    rows: list[tuple]
    out_file: Path | None


def _stage(con: duckdb.DuckDBPyConnection, instrument: str) -> None:
    """Shape the CSV (table ``input``) like the staged questionnaire tables."""
    cols = {r[0] for r in con.execute("select column_name from (describe input)").fetchall()}
    if "id" not in cols:
        raise ValueError("file: an 'id' column is required")
    form = "trim(i.form)" if "form" in cols else "null"
    if "age_months" in cols:
        age = "try_cast(age_months as double)"
    elif "age_years" in cols:
        age = "try_cast(age_years as double) * 12"
    else:
        age = "null::double"
    # source_row and slot key a person's answers as the pipeline's staged tables do (slot 0 is the
    # parent block, slot 1 the one child of a row)
    con.execute(f"""create table stg_questionnaire as select id as response_id, null::varchar as family_id,
                   id as person_id, null::varchar as timepoint, null::date as assessment_date,
                   {LINE} as source_row from input""")
    child_instrument = 'pedsql' if instrument == 'chu9d' else instrument
    con.execute(f"""create table stg_questionnaire_children as
        select i.id as response_id, null::varchar as family_id, null::varchar as timepoint, 1 as slot,
               i.id as person_id, {age} as age_months,
               (select staged_form from ref_instrument_forms where instrument = 'pedsql'
                 and {form} in (form, staged_form)) as pedsql_form,
               case when '{child_instrument}' = 'sdq' then coalesce(
                   (select staged_form from ref_instrument_forms where instrument = 'sdq'
                     and {form} in (form, staged_form)), '4-17') end as sdq_form,
               i.{LINE} as source_row
        from input as i where '{child_instrument}' in ('pedsql', 'sdq')""")
    item_cols = [c for c in cols if c not in ("id", "form", "age_months", "age_years", LINE)]
    if not item_cols:
        raise ValueError("file: no item columns (name them as item_code in instruments/items.csv)")
    con.execute(f"""create table input_cells as
        unpivot (select {LINE}, id, {", ".join(f'"{c}"::varchar as "{c}"' for c in item_cols)} from input)
        on columns(* exclude ({LINE}, id)) into name field value raw_value""")
    con.execute(f"""create table stg_questionnaire_answers as
        select c.id as response_id, null::varchar as family_id, c.id as person_id, null::varchar as timepoint,
               'instrument' as block, i.instrument, c.field, pfc_int(c.raw_value) as answer_code,
               c.{LINE} as source_row,
               case when i.instrument in ('pedsql', 'sdq', 'itsea') then 1 else 0 end as slot
        from input_cells as c
        join (select distinct instrument, item_code from ref_instrument_items) as i on i.item_code = c.field
        where pfc_text(c.raw_value) is not null""")


def _check_answers(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """One clear line for the first answer that cannot be scored: a code that is not an answer code
    of the row's form (answer_codes.csv), or an answer in a column that is not an item of it."""
    bad = con.execute(f"""
        select c.{LINE}, c.field, c.raw_value, i.instrument, i.form, i.person_id is null as not_an_item
        from input_cells as c
        left join int_instrument_items as i on i.person_id = c.id and i.item_code = c.field
        where pfc_text(c.raw_value) is not null
          and c.field in (select item_code from ref_instrument_items)
          and (i.person_id is null or i.answer_code is null or cardinality(i.item_values) = 0)
        order by c.{LINE}, c.field limit 1""").fetchone()
    if bad:
        line, field, raw, instrument, form, not_an_item = bad
        if not_an_item:
            raise ValueError(f"{name} line {line}, column {field}: not an item of the row's instrument and form "
                             "(check 'form'; items are listed in instruments/items.csv)")
        raise ValueError(f"{name} line {line}, column {field}: {raw.strip()!r} is not an answer code of "
                         f"{instrument} form {form} (instruments/answer_codes.csv)")


def _scores_query(instrument: str) -> str:
    """One row per id: each score's value and status, plus SDQ bands and GHQ-12 caseness."""
    scores = f"""pivot (select person_id as id, form, score, score_value, score_status,
                               key_verification as bcap_key from int_instrument_scores
                        where instrument = '{instrument}')
                  on score using first(score_value) as value, first(score_status) as status
                  group by id, form{", bcap_key" if instrument == "bcap" else ""}"""
    if instrument == "sdq":
        bands = """pivot (select person_id as id, score || '_' || scheme as band, band_label
                          from int_instrument_bands)
                   on band using first(band_label) group by id"""
        labels = """pivot (select distinct person_id as id, scheme || '_verification' as scheme, band_verification
                           from int_instrument_bands where score = 'total_difficulties')
                    on scheme using first(band_verification) group by id"""
        return f"""with s as ({scores}), b as ({bands}), v as ({labels})
                   select * from s left join b using (id) left join v using (id) order by id"""
    if instrument == "ghq12":
        return f"""with s as ({scores})
                   select *, ghq_value >= getvariable('outcomes.ghq_caseness_threshold') as ghq_is_case,
                          cghq_value >= getvariable('outcomes.cghq_caseness_threshold') as cghq_is_case
                   from s order by id"""
    return f"{scores} order by id"


def score_file(instrument: str, csv_path: str | Path, out: str | Path | None = None,
               mapping: str | None = None) -> ScoreResult:
    """Score ``csv_path`` for ``instrument`` (ghq12, icecap_a, bcap, pedsql, sdq, or chu9d for the
    PedsQL→CHU9D mapping); write a CSV to ``out`` if given. Defaults come from the config schema."""
    if instrument not in INSTRUMENTS:
        raise ValueError(f"instrument {instrument!r}: expected one of {', '.join(INSTRUMENTS)}")
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise ValueError(f"csv_path {str(csv_path)!r}: no such file")
    settings = {key: default for key, (_, default) in SCHEMA["outcomes"].items()}
    if mapping:
        settings["mapping"] = mapping
    con = duckdb.connect()
    run_macros(con)
    for key, value in settings.items():
        con.execute(f"set variable \"outcomes.{key}\" = ?", [value])
    load_reference_data(con, settings["mapping"], settings["bcap_key_file"])
    con.execute(f"""create table input as select row_number() over () + 1 as {LINE}, *
                    from read_csv(?, header = true, all_varchar = true)""", [str(csv_path)])
    _stage(con, instrument)
    for name in MODELS:
        con.execute((SQL_DIR / "intermediate" / f"{name}.sql").read_text(encoding="utf-8"))
    _check_answers(con, csv_path.name)
    if instrument == "chu9d":
        query = """select person_id as id, pedsql_form, age_months, pedsql_total, chu9d_utility, utility_algorithm,
                          utility_status, array_to_string(utility_flags, ';') as utility_flags
                   from int_chu9d_utility order by id"""
    else:
        query = _scores_query(instrument)
    rel = con.sql(query)
    if out:
        rel.write_csv(str(out))
    result = ScoreResult(instrument, rel.columns, rel.fetchall(), Path(out) if out else None)
    con.close()
    return result
