"""`pfc-econ check`: the data-sharing check of ONE incoming extract, before it is accepted.

The extract is read on its own into an in-memory DuckDB with the same reader and the same
generated contract checks as a run (``readers.read_table``, ``checks.build_check_sql``); the
pipeline is not run. The randomisation list of ``--config`` gives the families the extract should
cover; without ``--config`` coverage is not checked, and the report says so with a warning
(``coverage_not_checked``) rather than comparing against some other study's list.

Acceptance rule (the verdict):
  * ``reject`` (exit 1) when there is at least one finding of severity ``error``: a required column
    missing, a row breaking the contract (blank required value, text in a number column, a code
    not allowed, an out-of-range value, a duplicated record id, a family not on the randomisation
    list), a line that cannot be parsed (truncated or malformed CSV), a direct-identifier column
    present, a provider record for a family of the other arm, or a provider extract (NSPCC, SAU
    log) that leaves an expected family with no record;
  * ``accept_with_warnings`` (exit 0) when there are only warnings (implausible values, optional
    columns absent, unknown extra columns, records outside the follow-up window, codes with no
    unit cost, questionnaires not yet returned);
  * ``accept`` (exit 0) when there is nothing to report.
A file that cannot be read at all raises SourceReadError, which the CLI maps to exit 2.
No personal data is reported: identifier columns are named, never read; samples of offending
values come only from non-identifier columns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import build_check_sql
from .config import EXTENSION_FORMATS, StudyConfig, load_config
from .contracts import SourceContract, TableContract, load_contracts
from .database import scratch_database
from .errors import PfcError, SourceReadError
from .identifiers import mask_identifier_values, stored_column_types
from .models import run_macros
from .paths import SQL_DIR, UNIT_COSTS_DIR
from .readers import _header, read_table, sql_str

CHECKABLE = ("randomisation", "questionnaire", "nspcc_activity", "sau_log")
EXPECTED_ARM = {"nspcc_activity": "IPS", "sau_log": "SAU"}
SAMPLE = 3


@dataclass(frozen=True)
class Finding:
    """One problem found in the extract: a stable check id, severity, field and a count."""

    check: str
    severity: str
    field: str | None
    message: str
    n_rows: int = 0
    sample_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractReport:
    """What ``check_extract`` found: the verdict and everything behind it."""

    source: str
    file_name: str
    rows_read: int
    verdict: str
    exit_status: int
    findings: tuple[Finding, ...]
    coverage: tuple[dict[str, Any], ...] = ()
    completeness: tuple[dict[str, Any], ...] = ()
    identifier_columns: tuple[str, ...] = ()
    randomisation_file: str | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _format(source: SourceContract, path: Path) -> str:
    fmt = EXTENSION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceReadError(f"{path.name}: cannot tell the format from the extension "
                              f"(expected one of {', '.join(EXTENSION_FORMATS)})")
    return "survey_csv" if fmt == "csv" and source.header_rows > 1 else fmt


def _load_randomisation(con, path: Path | None) -> bool:
    """stg_randomisation from the trial's list, via the same contract checks; False if none."""
    if path is None:
        return False
    contract = load_contracts()["randomisation"]
    table = contract.tables[0]
    read_table(con, contract, table, path, EXTENSION_FORMATS.get(path.suffix.lower(), "csv"))
    mask_identifier_values(con, "raw_" + table.table, stored_column_types(table))
    con.execute(build_check_sql(table, ("record",)))
    con.execute((SQL_DIR / "staging" / "stg_randomisation.sql").read_text(encoding="utf-8"))
    return True


def _relaxed(table: TableContract, missing_required: list[str], has_families: bool) -> TableContract:
    """The contract with missing required columns made optional (reported once, not per row)
    and, without a randomisation list, no family reference check and no rule that reads the list."""
    columns = tuple(dataclasses.replace(c, is_required=c.is_required and c.name not in missing_required,
                                        references=c.references if has_families else None)
                    for c in table.columns)
    rules = table.rules if has_families else tuple(r for r in table.rules if "stg_randomisation" not in r.when)
    return dataclasses.replace(table, columns=columns, rules=rules)


def _row_findings(con, table: TableContract, chk: str | None = None) -> list[Finding]:
    rows = con.execute(f"""
        with issues as (select unnest(issues) as i from "{chk or 'chk_' + table.table}")
        select i.rule, i.severity, i.field, any_value(i.message), count(*),
               list(distinct i.value order by i.value)[1:{SAMPLE}]
        from issues group by 1, 2, 3 order by 2, 1, 3""").fetchall()
    identifiers = {c.name for c in table.columns if c.is_identifier}
    return [Finding(rule, severity, field_, f"{n} row(s): {message}" if n > 1 else message, n,
                    () if field_ in identifiers else tuple(v for v in sample if v is not None))
            for rule, severity, field_, message, n, sample in rows]


def _coverage(con, source: str, table: TableContract) -> tuple[list[dict], list[Finding]]:
    """Which randomised families the extract covers against which it should, by arm and site."""
    date_col = {"questionnaire": "cast(\"RecordedDate\" as date)"}.get(source, "contact_date")
    arm = EXPECTED_ARM.get(source)
    expected = f"arm = '{arm}'" if arm else "true"
    if source == "randomisation":
        return [], []
    timepoint = "timepoint = 'T1'" if source == "questionnaire" else "true"
    rows = con.execute(f"""
        with records as (
            select family_id, {date_col} as record_date from "chk_{table.table}"
            where family_id is not null and {timepoint}
        ),
        families as (
            select r.family_id, r.site, r.arm, {expected} as is_expected,
                   exists (select 1 from records as x where x.family_id = r.family_id) as is_covered
            from stg_randomisation as r
        )
        select arm, site, count(*) filter (where is_expected) as n_expected,
               count(*) filter (where is_expected and is_covered) as n_covered,
               count(*) filter (where not is_expected and is_covered) as n_other_arm
        from families group by all
        having count(*) filter (where is_expected or is_covered) > 0
        order by arm, site""").fetchall()
    coverage = [dict(zip(("arm", "site", "n_expected", "n_covered", "n_other_arm"), r)) for r in rows]
    outside = ("x.record_date > r.randomised_date" if source == "questionnaire" else
               "x.record_date <= r.randomised_date or x.record_date > r.withdrawn_date")
    window = con.execute(f"""
        select count(*) from (select family_id, {date_col} as record_date from "chk_{table.table}" where {timepoint}) as x
        join stg_randomisation as r using (family_id)
        where {outside}""").fetchone()[0]
    findings = []
    what = "a baseline questionnaire" if source == "questionnaire" else "any record"
    for c in coverage:
        gap = c["n_expected"] - c["n_covered"]
        if gap > 0:
            findings.append(Finding("family_not_covered", "warning" if source == "questionnaire" else "error",
                                    "family_id", f"{c['n_covered']} of {c['n_expected']} {c['arm']} families in "
                                    f"{c['site']} have {what} in the extract", gap))
        if c["n_other_arm"] > 0:
            findings.append(Finding("wrong_arm", "error", "family_id",
                                    f"{c['n_other_arm']} {c['arm']} families in {c['site']} have records, but this "
                                    f"source covers {arm} families only", c["n_other_arm"]))
    if window:
        findings.append(Finding("outside_window", "warning", "RecordedDate" if source == "questionnaire" else "contact_date",
                                f"{window} record(s) dated outside the family's window "
                                + ("(baseline after randomisation)" if source == "questionnaire"
                                   else "(on or before randomisation, or after withdrawal)"), window))
    return coverage, findings


def _questionnaire_blocks(con, table: TableContract) -> list[Finding]:
    """Child blocks and answers of a survey export, checked by the run's own staging SQL."""
    import pyarrow as pa
    from .contracts import contract_rows
    con.register("_contract_rows", pa.Table.from_pylist(contract_rows()))
    con.execute("create table contract_columns as select * from _contract_rows")
    con.unregister("_contract_rows")
    for model in ("stg_questionnaire", "chk_questionnaire_children", "chk_questionnaire_answers"):
        con.execute((SQL_DIR / "staging" / f"{model}.sql").read_text(encoding="utf-8"))
    return (_row_findings(con, table, "chk_questionnaire_children")
            + _row_findings(con, table, "chk_questionnaire_answers"))


def _completeness(con, table: TableContract) -> list[dict]:
    columns = [c for c in table.columns if not c.is_identifier and c.level in ("record", "respondent")]
    if not columns:
        return []
    selects = " union all ".join(
        f"select '{c.name}' as field, {str(c.is_required).lower()} as is_required, count(*) as n_rows, "
        f"count(*) filter (where pfc_text(\"{c.name}\") is null) as n_blank from \"raw_{table.table}\""
        for c in columns)
    rows = con.execute(f"select *, round(n_blank / nullif(n_rows, 0), 3) as share_blank from ({selects})").fetchall()
    return [dict(zip(("field", "is_required", "n_rows", "n_blank", "share_blank"), r)) for r in rows]


def _library(study: StudyConfig | None, unit_costs_dir: Path | None) -> Path:
    """The unit-cost library the extract's codes are looked up in: the one given, else the study
    config's ([sources.unit_costs], a study's own copy), else the shipped one."""
    if unit_costs_dir is not None:
        return Path(unit_costs_dir)
    return study.sources["unit_costs"].path if study else UNIT_COSTS_DIR


def _unmapped_codes(con, source: str, unit_costs_dir: Path) -> list[Finding]:
    """Codes in the extract with no row in code_map.csv, or none with a base unit cost. A code the
    code map keeps without a unit cost on purpose (priority_group not_costed: reported, never costed,
    as the run does) is not one."""
    codes = {
        "nspcc_activity": """select case when activity_type = 'direct_support' then 'direct_support:' || support_type
                                    else staff_role end as code from chk_nspcc_activity""",
        # attendee roles, and the contact_type of a status entry (placement, plan, proceedings: no attendees)
        "sau_log": """select unnest(attendees) as code from chk_sau_log
                      union all
                      select contact_type from chk_sau_log where child_id is not null and coalesce(len(attendees), 0) = 0""",
        "questionnaire": """select f.service as code from chk_questionnaire_answers as a
                            join contract_columns as f on f.source = 'questionnaire' and f.position = a.column_id
                            where f.block = 'service_use' and f.field not like '%\\_any' escape '\\'
                              and a.answer_code > 0 and not a.has_error""",
    }.get(source)
    if codes is None:
        return []
    code_map, unit_costs = unit_costs_dir / "code_map.csv", unit_costs_dir / "unit_costs.csv"
    rows = con.execute(f"""
        with seen as (select code, count(*) as n from ({codes}) where code is not null group by code),
        mapped as (select source_code, unit_cost_code, priority_group
                   from read_csv({sql_str(str(code_map))}, all_varchar=true) where source = {sql_str(source)}),
        costed as (select distinct unit_cost_code from read_csv({sql_str(str(unit_costs))}, all_varchar=true)
                   where variant = 'base')
        select s.code, s.n, m.source_code is null as is_unmapped, m.unit_cost_code is null as has_no_code
        from seen as s left join mapped as m on m.source_code = s.code
        where m.priority_group is distinct from 'not_costed'
          and (m.unit_cost_code is null or m.unit_cost_code not in (select unit_cost_code from costed))
        order by s.code""").fetchall()
    problems = {(True, True): "has no row in unit_costs/code_map.csv",
                (False, True): "has a row in unit_costs/code_map.csv with no unit_cost_code",
                (False, False): "maps to a unit cost code with no base unit cost"}
    return [Finding("no_unit_cost", "warning", "code", f"code {code!r} ({n} record(s)) {problems[unmapped, no_code]}",
                    n, (code,)) for code, n, unmapped, no_code in rows]


def _duplicate_content(con, table: TableContract) -> list[Finding]:
    others = [c.name for c in table.columns if not c.is_identifier and c.name != table.record_id
              and c.level in ("record", "respondent")]
    if not others or table.source == "questionnaire":
        return []
    cols = ", ".join(f'"{c}"' for c in others)
    n = con.execute(f"""select coalesce(sum(n - 1), 0) from (select count(*) as n from "raw_{table.table}"
                        group by {cols} having count(*) > 1)""").fetchone()[0]
    return [Finding("duplicate_content", "warning", None,
                    f"{n} row(s) repeat another row in every field but the record id", int(n))] if n else []


def check_extract(source: str, path: str | Path, config: str | Path | None = None,
                  unit_costs_dir: Path | None = None) -> ExtractReport:
    """Check one incoming extract of ``source`` against its contract and the randomisation list."""
    if source not in CHECKABLE:
        raise PfcError(f"source {source!r}: expected one of {', '.join(CHECKABLE)}")
    path = Path(path)
    if not path.is_file():
        raise SourceReadError(f"{path}: file not found")
    contract = load_contracts()[source]
    table = contract.tables[0]
    fmt = _format(contract, path)
    study = load_config(Path(config)) if config else None
    # bounded as a run is, spilling into a folder of its own (not ./.tmp of the current folder)
    with scratch_database(study.run if study else None) as con:
        run_macros(con)
        randomisation = study.sources["randomisation"].path if study and source != "randomisation" else None
        has_families = _load_randomisation(con, randomisation)
        names, _ = _header(path, fmt, contract.header_rows)
        missing = [c.name for c in table.columns if c.is_required and not c.is_identifier and c.name not in names]
        relaxed = _relaxed(table, missing, has_families)
        found = read_table(con, contract, relaxed, path, fmt)
        masked = mask_identifier_values(con, "raw_" + table.table, stored_column_types(relaxed))
        levels = ("respondent",) if source == "questionnaire" else ("record",)
        con.execute(build_check_sql(relaxed, levels))
        findings = [Finding("missing_required_column", "error", c, f"required column {c!r} is missing") for c in missing]
        free_text = {c.name for c in table.columns if c.is_free_text}
        findings += [Finding("identifier_present", "error", c, f"direct identifier column {c!r} is present "
                             "(its values were not read); remove it before sharing")
                     for c, _ in found.identifiers if c not in free_text]
        findings += [Finding("identifier_value", "error", c, f"{n} value(s) in {c!r} read as {kind} (masked, not "
                             "shown); remove them before sharing", n) for c, kind, n in masked]
        findings += [Finding("malformed_line", "error", None, f"line {row} cannot be parsed: {error}", 1)
                     for row, error in found.rejected]
        findings += [Finding("unknown_column", "warning", c, f"column {c!r} is not in the contract") for c in found.unknown_columns]
        findings += [Finding("missing_column", "warning", c, f"optional column {c!r} is absent")
                     for c in found.missing_columns if c not in missing]
        findings += _row_findings(con, relaxed)
        if source == "questionnaire":
            findings += _questionnaire_blocks(con, relaxed)
        findings += _duplicate_content(con, relaxed)
        coverage, notes = [], []
        dropped = [c for c, _ in found.identifiers if c in free_text]
        if dropped:
            notes.append(f"free-text platform columns not read (the contract does not keep them): {', '.join(dropped)}")
        if has_families:
            coverage, coverage_findings = _coverage(con, source, relaxed)
            findings += coverage_findings
        elif source != "randomisation":
            note = ("no randomisation list: family coverage and unknown families were NOT checked "
                    "(pass --config with the study config whose randomisation list this extract must cover)")
            notes.append(note)
            findings.append(Finding("coverage_not_checked", "warning", "family_id", note))
        findings += _unmapped_codes(con, source, _library(study, unit_costs_dir))
        completeness = _completeness(con, relaxed)
    severities = {f.severity for f in findings}
    verdict = "reject" if "error" in severities else "accept_with_warnings" if "warning" in severities else "accept"
    return ExtractReport(source, path.name, found.rows_read, verdict, 1 if verdict == "reject" else 0,
                         tuple(findings), tuple(coverage), tuple(completeness),
                         tuple(c for c, _ in found.identifiers if c not in free_text),
                         randomisation.name if randomisation else None, tuple(notes))
