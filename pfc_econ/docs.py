"""Documentation from data: table and column comments, the data dictionary, source pages.

Table comments come from each SQL model's header; column comments from sql/column_docs.toml and,
for staging columns that keep a contract column's name, the contract's meaning. The same text is
rendered into docs/data_dictionary.md and docs/sources/<source>.md; tests fail when they are stale.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import duckdb

from .contracts import load_contracts
from .models import sql_models
from .paths import DOCS_DIR, SQL_DIR

DOCUMENTED_PREFIXES = ("dim_", "fct_", "audit_", "stg_", "int_", "ref_", "run_settings")


def _table_descriptions() -> dict[str, str]:
    out = {}
    for model in sql_models():
        lines = []
        for line in model.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line.lstrip("- ").rstrip())
        text = " ".join(lines)
        text = re.split(r"\s*upstream:", text)[0].strip()
        out[model.name] = re.sub(rf"^{model.name}:\s*", "", text)
    return out


def _column_docs() -> dict[str, dict[str, str]]:
    return tomllib.loads((SQL_DIR / "column_docs.toml").read_text(encoding="utf-8"))


def _generated_table_descriptions() -> dict[str, str]:
    """Tables no SQL model makes: each source table as read (raw_*) and as checked (chk_*), and
    the tables whose section in column_docs.toml has a ``_table`` key (ref_*, run_settings, ...)."""
    out = {}
    for contract in load_contracts().values():
        for table in contract.tables:
            what = f"{contract.title}" + (f", {table.file}" if table.file else "")
            out[f"raw_{table.table}"] = (f"one row per data row of the source file ({what}) as read: the contract's "
                                         "columns as text, plus source_row; direct identifiers are never read.")
            out[f"chk_{table.table}"] = (f"one row per row of raw_{table.table}, typed against contracts/"
                                         f"{contract.path.name}, with the rules it breaks (issues) and has_error.")
    for table, columns in _column_docs().items():
        if "_table" in columns:
            out[table] = columns["_table"]
    return out


def _column_descriptions() -> dict[str, dict[str, str]]:
    docs = _column_docs()
    out: dict[str, dict[str, str]] = {}
    for contract in load_contracts().values():
        for table in contract.tables:
            for c in table.columns:
                meaning = " ".join(c.meaning.split())
                for typed in ("raw", "chk"):  # every contract column, as read and as typed
                    out.setdefault(f"{typed}_{table.table}", {})[c.name] = meaning
                if c.level in ("record", "respondent"):
                    out.setdefault(f"stg_{table.table}", {})[c.name] = meaning
    for table, columns in docs.items():
        if table != "common":
            out.setdefault(table, {}).update({k: v for k, v in columns.items() if k != "_table"})
    _inherit_upstream(out)
    out["_common"] = docs.get("common", {})
    return out


def _inherit_upstream(out: dict[str, dict[str, str]]) -> None:
    """A column a model carries unchanged from a table it reads (its ``-- upstream:`` header) takes
    that table's meaning, nearest upstream first, unless column_docs.toml gives it its own."""
    models = order_models_for_docs()
    for model in models:  # upstream before downstream, so meanings flow down the whole chain
        own = out.setdefault(model.name, {})
        for upstream in model.upstream:
            for column, meaning in out.get(upstream, {}).items():
                own.setdefault(column, meaning)


def order_models_for_docs():
    """The SQL models, each after the models it reads."""
    from graphlib import TopologicalSorter
    models = {m.name: m for m in sql_models()}
    order = TopologicalSorter({n: {u for u in m.upstream if u in models} for n, m in models.items()}).static_order()
    return [models[n] for n in order]


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """COMMENT ON every documented table and column of the run's database."""
    tables = _generated_table_descriptions() | _table_descriptions()
    columns = _column_descriptions()
    common = columns.pop("_common")
    existing = con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main'").fetchall()
    present = {table for table, _ in existing}
    for table, description in tables.items():
        if table in present:  # a re-run that re-used its staged sources makes no temporary tables
            con.execute(f"comment on table \"{table}\" is {_lit(description)}")
    for table, column in existing:
        text = columns.get(table, {}).get(column) or common.get(column)
        if text:
            con.execute(f'comment on column "{table}"."{column}" is {_lit(text)}')


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_data_dictionary(con: duckdb.DuckDBPyConnection) -> str:
    """Markdown of every documented table of a run's database, its comment and its columns."""
    # views too: an intermediate a user may query but the run need not store (int_resource_use)
    rows = con.execute("""
        with relations as (
            select schema_name, table_name, comment from duckdb_tables()
            union all
            select schema_name, view_name, comment from duckdb_views() where not internal
        )
        select t.table_name, t.comment, c.column_name, c.data_type, c.comment
        from relations t join duckdb_columns() c using (table_name, schema_name)
        where t.schema_name = 'main'
        order by t.table_name, c.column_index""").fetchall()
    order = {"dim_": 0, "fct_": 1, "audit_": 2, "int_": 3, "stg_": 4, "ref_": 5, "run_settings": 6}
    tables: dict[str, tuple[str, list]] = {}
    for table, comment, column, dtype, ccomment in rows:
        if table.startswith(DOCUMENTED_PREFIXES):
            tables.setdefault(table, (comment or "", []))[1].append((column, dtype, ccomment or ""))
    out = ["# Data dictionary", "",
           "Generated by `python -m pfc_econ.docs` from the comments a run writes into `pfc.duckdb`",
           "(`COMMENT ON`); do not edit by hand. Marts (`dim_*`, `fct_*`) are what users query; audits",
           "(`audit_*`) are what data managers read; staging (`stg_*`) holds each source typed; `ref_*` are",
           "the instrument definitions and `run_settings` the settings the run used. The raw (`raw_*`) and",
           "checked (`chk_*`) copies of each source carry their contract's meanings (docs/sources/).", ""]
    for table in sorted(tables, key=lambda t: (order[next(p for p in order if t.startswith(p))], t)):
        comment, columns = tables[table]
        out += [f"## `{table}`", "", comment, "", "| column | type | meaning |", "| --- | --- | --- |"]
        out += [f"| `{c}` | {d} | {m} |" for c, d, m in columns]
        out.append("")
    return "\n".join(out)


def render_source_page(source: str) -> str:
    """Markdown page of one source contract."""
    sc = load_contracts()[source]
    out = [f"# Source contract: {sc.title} (`{sc.source}`)", "",
           f"Generated from `contracts/{sc.path.name}` by `python -m pfc_econ.docs`; do not edit by hand.", "",
           f"- **Provider:** {sc.provider}", f"- **Grain:** {sc.grain}",
           f"- **Formats accepted:** {', '.join(sc.formats)}",
           f"- **Optional:** {'yes — the run completes without it and the audits say so' if sc.is_optional else 'no'}",
           "", sc.description, ""]
    for table in sc.tables:
        if len(sc.tables) > 1:
            out += [f"## Table `{table.table}` (`{table.file}`)", "", f"Grain: {table.grain}.", ""]
        out += ["| column | type | required | rules | meaning |", "| --- | --- | --- | --- | --- |"]
        shown = [c for c in table.columns if c.level in ("record", "respondent")]
        for c in shown:
            out.append(f"| `{c.name}` | {c.type} | {'yes' if c.is_required else ''} | {_rules_text(c)} | {' '.join(c.meaning.split())} |")
        if sc.source == "questionnaire":
            out += _questionnaire_blocks(sc)
        if table.rules:
            out += ["", "Row rules (an `error` quarantines the row; a `warning` keeps it and reports it):", "",
                    "| rule | field | severity | when |", "| --- | --- | --- | --- |"]
            out += [f"| `{r.id}` | `{r.field}` | {r.severity} | {r.message} |" for r in table.rules]
        out.append("")
    out += ["Every source: a column whose normalised name reads as a direct identifier (`contracts/identifiers.toml`:",
            "\"NHS Number\", \"Date of birth\", \"E-mail\", \"Mother's name\" …) is dropped when the file is read and",
            "listed in `audit_identifiers`; a value of a trial source matching an identifier pattern (e-mail, phone,",
            "UK postcode, NHS/CHI number, IP address, a date outside a date column) is masked as `<pattern>` when",
            "read; a column not in the contract is not read and is reported; a row breaking a rule with severity",
            "error goes to `stg_quarantine`.", ""]
    return "\n".join(out)


def _rules_text(c) -> str:
    parts = []
    if c.is_free_text and not c.keep:
        parts.append("**free text: dropped at read**")
    elif c.is_identifier:
        parts.append("**direct identifier: dropped at read**")
    if c.is_unique:
        parts.append("unique")
    if c.allowed is not None:
        parts.append("one of " + ", ".join(f"`{a}`" for a in c.allowed))
    if c.min is not None or c.max is not None:
        parts.append("at least %g" % c.min if c.max is None else "at most %g" % c.max if c.min is None
                     else f"range {c.min:g}–{c.max:g}")
    if c.warn_min is not None:
        parts.append(f"implausible below {c.warn_min:g}")
    if c.warn_max is not None:
        parts.append(f"implausible above {c.warn_max:g}")
    if c.pattern:
        parts.append(f"pattern `{c.pattern}`")
    if c.references:
        parts.append(f"must exist in `{c.references}`")
    if c.type == "list":
        parts.append(f"separator `{c.separator}`")
    return "; ".join(parts)


def _questionnaire_blocks(sc) -> list[str]:
    table = sc.tables[0]
    out = ["", "### Child block (repeated with prefix `1_` … `%d_`)" % sc.extra["max_children"], "",
           "| column | type | rules | meaning |", "| --- | --- | --- | --- |"]
    for c in table.columns:
        if c.block == "child" and c.slot == 1:
            out.append(f"| `{{n}}_{c.field}` | {c.type} | {_rules_text(c)} | {' '.join(c.meaning.split())} |")
    out += ["", "### Service use (`contracts/questionnaire_services.csv`)", "",
            "Gate `su_<service>_any` (1 yes, 2 no), then the quantity `su_<service>_<unit>`; child services",
            "sit in each child block. A blank quantity after 'no' is zero; after 'yes' or a blank gate it is missing.", "",
            "| asked of | gate column | quantity column | question |", "| --- | --- | --- | --- |"]
    seen = set()
    for c in table.columns:
        if c.block == "service_use" and c.slot in (0, 1) and c.field.endswith("_any"):
            prefix = "{n}_" if c.slot else ""
            qty = next(x for x in table.columns if x.block == "service_use" and x.slot == c.slot
                       and x.service == c.service and not x.field.endswith("_any"))
            key = (c.level, c.service)
            if key not in seen:
                seen.add(key)
                out.append(f"| {c.level} | `{prefix}{c.field}` | `{prefix}{qty.field}` | {c.meaning.split(':')[0]} |")
    out += ["", "### Instrument items", "", "| instrument | form | asked of | columns | codes |", "| --- | --- | --- | --- | --- |"]
    blocks = {}
    for c in table.columns:
        if c.block == "instrument" and c.slot in (0, 1):
            blocks.setdefault((c.instrument, c.form, c.level), []).append(c)
    for (instrument, form, level), cols in blocks.items():
        prefix = "{n}_" if level == "child" else ""
        out.append(f"| {instrument} | {form or ''} | {level} | `{prefix}{cols[0].field}` … `{prefix}{cols[-1].field}` "
                   f"({len(cols)} items) | {', '.join(map(str, cols[0].allowed))} |")
    return out


def write_source_pages(folder: Path = DOCS_DIR / "sources") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in load_contracts():
        path = folder / f"{source}.md"
        path.write_text(render_source_page(source), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m pfc_econ.docs [RESULTS_DIR]: regenerate the docs
    import sys
    for p in write_source_pages():
        print(f"wrote {p}")
    if len(sys.argv) > 1:
        con = duckdb.connect(str(Path(sys.argv[1]) / "pfc.duckdb"), read_only=True)
        (DOCS_DIR / "data_dictionary.md").write_text(render_data_dictionary(con), encoding="utf-8")
        print(f"wrote {DOCS_DIR / 'data_dictionary.md'}")
