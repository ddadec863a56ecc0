"""`pfc-econ run`: read every source, run the SQL models, write the results folder.

The folder is built in a folder unique to the run and moved into place only when the run
succeeds (``output_folder.open_output``), so a failed run leaves the previous results intact, and a
run never writes into a folder it did not make.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa

from . import __version__
from .audit_figures import draw_audit_figures
from .checks import build_check_sql
from .config import StudyConfig
from .contracts import SOURCE_ORDER, contract_rows, load_contracts
from .database import close_database, open_database, remove_abandoned_spills
from .docs import apply_comments, render_data_dictionary
from .errors import ConfigError
from .identifiers import MASKED_SOURCES, mask_identifier_values, stored_column_types
from .exports import export_tables
from .manifest import describe_library, file_sha256, library_version
from .models import Model, order_models, run_models, run_macros, sql_models
from .output_folder import open_output
from .progress import stage
from .paths import IS_PACKAGED, ROOT
from .readers import create_empty_raw, q, read_table
from .reference_data import load_reference_data
from .resources import disk_warnings, exhaustion_named, gigabytes, input_bytes, run_disks
from .staged_reuse import STAGED_LAYERS, copy_staged, find_reusable, staging_key

@dataclass(frozen=True)
class RunResult:
    """What a run wrote."""

    out_dir: Path
    database: Path
    manifest: Path
    row_counts: dict[str, int]
    timings: dict[str, float]


def _check_models() -> list[Model]:
    models = []
    for contract in load_contracts().values():
        for table in contract.tables:
            levels = ("respondent",) if contract.source == "questionnaire" else ("record",)
            refs = {f"stg_{c.references.split('.')[0]}" for c in table.columns if c.references}
            models.append(Model(f"chk_{table.table}", build_check_sql(table, levels),
                                (f"raw_{table.table}", *sorted(refs)), "checks"))
    return models


def _unaccounted_rows(found) -> list[tuple]:
    """A finding when the rows counted in the file are not all read or rejected by the reader."""
    if found.rows_in_file is None or found.rows_in_file == found.rows_read + len(found.rejected):
        return []
    return [(None, "rows_unaccounted", "error",
             f"the file holds {found.rows_in_file} data row(s) but {found.rows_read} were read and "
             f"{len(found.rejected)} rejected as malformed")]


def _read_sources(con, config: StudyConfig, say: Callable[[str], None]) -> tuple[dict, float]:
    """Read every source into raw_* tables; record sources, findings and malformed lines."""
    con.execute("""create table raw_sources (source varchar, source_table varchar, is_present boolean,
                   file_name varchar, format varchar, sha256 varchar, rows_read bigint, seconds double,
                   rows_in_file bigint)""")
    con.execute("""create table raw_read_findings (source varchar, source_table varchar, field varchar,
                   rule varchar, severity varchar, message varchar, value varchar)""")
    con.execute("create table raw_rejects (source varchar, source_table varchar, source_row bigint, error varchar)")
    inputs = {}
    total = 0.0
    for name in SOURCE_ORDER:
        contract, source = load_contracts()[name], config.sources[name]
        for table in contract.tables:
            start = time.perf_counter()
            if not source.is_enabled:
                create_empty_raw(con, table)
                con.execute("insert into raw_sources values (?, ?, false, null, null, null, 0, 0, 0)", [name, table.table])
                con.execute("insert into raw_read_findings values (?, ?, null, 'source_absent', 'warning', ?, null)",
                            [name, table.table, f"source {name} is switched off or absent in this run"])
                say(f"  read         {table.table:<34}  absent (switched off in the config)")
                continue
            path = source.path / table.file if source.format == "folder" else source.path
            fmt = "csv" if source.format == "folder" else source.format
            found = read_table(con, contract, table, path, fmt, source.sheet)
            free_text = {c.name for c in table.columns if c.is_free_text}
            masked = mask_identifier_values(con, q(f"raw_{table.table}"), stored_column_types(table)) \
                if name in MASKED_SOURCES else []
            findings = (
                [(c, "identifier_dropped", "info", f"direct identifier dropped at read time: {why}")
                 for c, why in found.identifiers if c not in free_text]
                + [(c, "free_text_dropped", "info", "free-text platform field dropped at read time (the contract "
                    "does not keep it)") for c, _ in found.identifiers if c in free_text]
                + [(c, "unknown_column", "warning", "column is not in the contract and was not read") for c in found.unknown_columns]
                + [(c, "missing_column", "warning", "optional column is absent from the file") for c in found.missing_columns]
                + [(c, "identifier_value_masked", "warning", f"{n} value(s) read as {kind} were masked as <{kind}> "
                    "at read time (never stored)") for c, kind, n in masked]
                + _unaccounted_rows(found))
            for column, rule, severity, message in findings:
                con.execute("insert into raw_read_findings values (?, ?, ?, ?, ?, ?, null)",
                            [name, table.table, column, rule, severity, message])
            for row, error in found.rejected:
                con.execute("insert into raw_rejects values (?, ?, ?, ?)", [name, table.table, row, error])
            seconds = time.perf_counter() - start
            total += seconds
            digest = file_sha256(path)
            inputs[f"{name}/{table.table}"] = {"file": str(path), "sha256": digest, "format": fmt}
            con.execute("insert into raw_sources values (?, ?, true, ?, ?, ?, ?, ?, ?)",
                        [name, table.table, path.name, fmt, digest, found.rows_read, seconds, found.rows_in_file])
            say(f"  read         {table.table:<34} {seconds:7.2f} s  {found.rows_read:>10,} rows"
                + (f", {len(found.rejected)} malformed" if found.rejected else "")
                + (f", {len(found.identifiers)} identifier column(s) dropped" if found.identifiers else ""))
    return inputs, total


TARGET_YEAR_SQL = """
select list(distinct pfc_text(i.price_year::varchar) order by pfc_text(i.price_year::varchar)),
       count(*) filter (where pfc_text(i.price_year::varchar) = ?)
from {prefix}_inflation_indices as i
where pfc_text(i.index_code) in (select pfc_text(inflation_index) from {prefix}_unit_costs)
"""


def check_target_price_year(con, config: StudyConfig) -> None:
    """Stop the run when no inflation index the unit costs use reaches the target price year
    (every cost would be unpriced: issue 9, never £0). An index that stops short for some unit
    costs only is an error per unit cost in audit_unit_cost_coverage."""
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    prefix = "raw" if "raw_inflation_indices" in tables else "stg"  # stg_*: staged tables re-used
    years, n_reaching = con.execute(TARGET_YEAR_SQL.format(prefix=prefix), [config.target_price_year]).fetchone()
    if years and not n_reaching:
        raise ConfigError(
            f"[study] target_price_year = {config.target_price_year!r}: no inflation index of the unit-cost "
            f"library reaches it (indices cover {years[0]} to {years[-1]}: "
            f"{config.sources['unit_costs'].path / 'inflation_indices.csv'})")


def _read_summary(con, seconds: float, reused: dict) -> str:
    """One line for the read stage: tables and rows read, malformed lines (or what was re-used)."""
    if reused:
        return f"reused    {len(reused['tables'])} read and staged tables of {reused['staged_from']} (inputs unchanged)"
    tables, rows = con.execute("select count(*) filter (where is_present), coalesce(sum(rows_read), 0) "
                               "from raw_sources").fetchone()
    rejects = con.execute("select count(*) from raw_rejects").fetchone()[0]
    return (f"read      {tables} source tables, {rows:,} rows in {seconds:.1f} s"
            + (f"; {rejects:,} malformed line(s)" if rejects else ""))


def _models_summary(models: list[Model], timings: dict[str, float]) -> str:
    """One line for the model stage: how many models ran, and the seconds per layer."""
    layers: dict[str, float] = {}
    for m in models:
        layers[m.layer] = layers.get(m.layer, 0.0) + timings.get(m.name, 0.0)
    per_layer = ", ".join(f"{layer} {seconds:.1f}" for layer, seconds in layers.items())
    return f"ran       {len(models)} models in {sum(layers.values()):.1f} s ({per_layer}; each in manifest.json)"


def _input_files(config: StudyConfig) -> dict[str, Path]:
    """Each enabled source table's input file, by "source/table"."""
    return {f"{name}/{table.table}": source.path / table.file if source.format == "folder" else source.path
            for name, source in config.sources.items() if source.is_enabled
            for table in load_contracts()[name].tables}


def _read_or_reuse(con, config: StudyConfig, candidates: list[Path], say: Callable[[str], None]):
    """Read every source, or copy the staged tables of a previous run with the same staging key
    (pfc_econ/staged_reuse.py). Returns (inputs, read seconds, staging key, what was re-used)."""
    hashes = {table: file_sha256(path) for table, path in _input_files(config).items()}
    key = staging_key(config.sources, hashes, _code_version())
    database = find_reusable(candidates, key) if config.run.get("reuse_staged", True) else None
    staged = [m for m in _check_models() + sql_models() if m.layer in STAGED_LAYERS]
    tables = copy_staged(con, database, staged) if database else None
    if tables:
        manifest = json.loads((database.parent / "manifest.json").read_text(encoding="utf-8"))
        say(f"  reused       {len(tables)} read and staged tables of {database.parent} (inputs unchanged)")
        return manifest.get("inputs", {}), 0.0, key, {"staged_from": str(database.parent), "tables": list(tables)}
    inputs, seconds = _read_sources(con, config, say)
    return inputs, seconds, key, {}


def _write_settings(con, config: StudyConfig) -> None:
    """The run's settings as a table and as DuckDB variables, so SQL models can read them:
    ``getvariable('periods.baseline_recall_months')``; lists and tables are stored as JSON."""
    settings = {"study.target_price_year": config.target_price_year, "study.name": config.name}
    from .config import SCHEMA
    for section in SCHEMA:
        if section in ("study", "source"):
            continue
        for key, value in config.settings(section).items():
            settings[f"{section}.{key}"] = value
    con.execute("create table run_settings (key varchar, value varchar)")
    for key, value in sorted(settings.items()):
        text = value if isinstance(value, str) else json.dumps(value)
        con.execute("insert into run_settings values (?, ?)", [key, text])
        con.execute(f"set variable \"{key}\" = ?", [value if isinstance(value, (str, int, float, bool)) else text])


def _code_version() -> str:
    if IS_PACKAGED:  # an installed wheel: no repository to ask for the commit
        return __version__
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def run_pipeline(config: StudyConfig, out_dir: Path, progress: Callable[[str], None] | None = None,
                 reuse_from: list[Path] | None = None) -> RunResult:
    """Run the whole pipeline for ``config`` into ``out_dir`` (written completely or not at all).
    Staged sources are re-used from ``out_dir`` or a ``reuse_from`` results folder whose inputs
    are the same (pfc_econ/staged_reuse.py)."""
    say = progress or (lambda _: None)
    out_dir = Path(out_dir).absolute()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    inputs_size = input_bytes(list(_input_files(config).values()))
    for folder, size in remove_abandoned_spills(config.run["temp_directory"]):
        say(f"removed {folder} ({gigabytes(size)}): the spill folder of a run that was killed before it could")
    disks = run_disks(out_dir, config.run["temp_directory"], inputs_size)
    for warning in disk_warnings(disks, inputs_size):
        say(warning)
    with exhaustion_named(disks, inputs_size, config.run["memory_limit"]), open_output(out_dir) as build:
        work = build.path
        database = work / "pfc.duckdb"
        con = open_database(database, config.run)
        try:
            run_macros(con)
            _write_settings(con, config)
            con.register("_contract_rows", pa.Table.from_pylist(contract_rows()))
            con.execute("create table contract_columns as select * from _contract_rows")
            con.unregister("_contract_rows")
            n_tables = sum(len(load_contracts()[name].tables) for name in SOURCE_ORDER)
            reading = stage(progress, "reading sources", n_tables, "tables")
            inputs, read_seconds, key, reused = _read_or_reuse(con, config, [*(reuse_from or []), out_dir], reading.step)
            reading.done(_read_summary(con, read_seconds, reused))
            check_target_price_year(con, config)
            timings = {"read": read_seconds}
            outcomes = config.settings("outcomes")
            load_reference_data(con, outcomes["mapping"], outcomes["bcap_key_file"])
            available = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
            models = order_models([m for m in _check_models() + sql_models()
                                   if not (reused and m.layer in STAGED_LAYERS and not m.is_view)], available)
            modelling = stage(progress, "running models", len(models), "models")
            dropped_counts: dict[str, int] = {}
            timings.update(run_models(con, models, modelling.step, dropped_counts))
            modelling.done(_models_summary(models, timings))
            apply_comments(con)
            (work / "docs").mkdir()
            (work / "docs" / "data_dictionary.md").write_text(render_data_dictionary(con), encoding="utf-8")
            tables = [r[0] for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' order by 1").fetchall()]
            row_counts = {name: con.execute(f"select count(*) from {q(name)}").fetchone()[0] for name in tables}
            # the temporary tables dropped once read (pfc_econ/models.py run_models) are counted too
            row_counts = dict(sorted({**row_counts, **dropped_counts}.items()))
            writing = stage(progress, "writing results", 2, "parts")
            start = time.perf_counter()
            exports = config.settings("exports")
            exported = export_tables(con, work, exports["csv"], exports["sort_max_rows"])
            timings["export"] = time.perf_counter() - start
            writing.step(f"  exports      {len(exported.tables)} tables, {len(exported.files)} files   {timings['export']:7.2f} s")
            notes = [f"; {name} as Parquet only (longer than an Excel sheet; [exports] csv = \"all\" writes its CSV)"
                     for name in exported.parquet_only]
            notes += [f"; {name} in stored order, not sorted (longer than [exports] sort_max_rows)"
                      for name in exported.unsorted]
            start = time.perf_counter()
            figures = draw_audit_figures(con, work / "report")
            timings["figures"] = time.perf_counter() - start
            writing.step(f"  report       {len(figures)} figures                   {timings['figures']:7.2f} s")
            writing.done(f"wrote     {len(exported.tables)} tables to exports/ (Parquet, CSV, Stata) and {len(figures)} "
                         f"figures to report/ in {timings['export'] + timings['figures']:.1f} s" + "".join(notes))
        except BaseException:
            close_database(con, database)  # its spill folder may be outside the build folder
            raise
        threads = int(con.execute("select current_setting('threads')").fetchone()[0])
        close_database(con, database)
        manifest = {
            "pfc_econ_version": _code_version(),
            "duckdb_version": duckdb.__version__,
            "duckdb_threads": threads,  # [run] threads, or the cores the memory limit holds (database.py)
            "started": started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "config_file": str(config.path),
            "config": config.raw,
            "target_price_year": config.target_price_year,
            "unit_cost_library": library_version(config.sources["unit_costs"].path),
            # the shipped library or the study's own copy (pfc-econ init), and what was edited
            "unit_cost_library_source": describe_library(config.sources["unit_costs"].path),
            # the costing choices actually used (library defaults filled in): allowance, site
            # multipliers, DNA rule, source priority, variants
            "costing": config.settings("costing"),
            "inputs": inputs,
            "staging_key": key,
            "reused": reused,
            "sources_absent": [s for s, c in config.sources.items() if not c.is_enabled],
            "row_counts": row_counts,
            "exports": list(exported.tables),
            "export_files": list(exported.files),
            "exports_parquet_only": list(exported.parquet_only),
            # longer than [exports] sort_max_rows: written in the order the database holds them
            "exports_unsorted": list(exported.unsorted),
            "stata_renamed": exported.stata_renamed,
            "figures": [str(p.relative_to(work)) for p in figures],
            "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    if build.kept:
        say(f"  kept         {', '.join(build.kept)} (not written by this run; left as they were"
            + ("; cea/ describes the previous results: re-run pfc-econ cea)" if "cea" in build.kept else ")"))
    return RunResult(out_dir, out_dir / "pfc.duckdb", out_dir / "manifest.json", row_counts, timings)
