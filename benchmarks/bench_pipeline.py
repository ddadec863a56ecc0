"""Benchmark: the whole pipeline on a synthetic trial, stage by stage, against bare DuckDB and pandas.

    python benchmarks/bench_pipeline.py --families 20000 [--data DIR] [--out DIR] [--seed 7] [--skip PART,...]

Generates the `trial` scenario (or reuses DIR/study.toml) and prints, each measured in a fresh
process so that its peak resident memory is its own:
- a cold `run`: wall time and peak RSS of every stage (reading, questionnaire ingest, checks,
  costing, scoring, audits, exports);
- the questionnaire ingest alone (reading the survey export, its checks and long-form staging);
- the bare DuckDB join + group-by of the run's own resource rows with the unit costs;
- the same costing join and the same questionnaire melt in pandas, and the ratios;
- a warm re-run with a changed price year (staged sources re-used from the cache).
`--skip` leaves parts out (`ingest`, `pandas`, `warm`): pandas' melt peaks at 4.5 GB at 20,000
families and grows with them, so at 1,000,000 it needs more memory than most machines have.
A run's progress goes to stderr as it happens, with its elapsed time.
Figures are for this machine at this moment: the machine may be shared, so wall times are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

STAGES = {  # model -> stage; models not listed fall in by their layer
    "chk_questionnaire": "questionnaire ingest", "stg_questionnaire": "questionnaire ingest",
    "chk_questionnaire_children": "questionnaire ingest", "chk_questionnaire_answers": "questionnaire ingest",
    "stg_questionnaire_children": "questionnaire ingest", "stg_questionnaire_answer_values": "questionnaire ingest",
    "stg_questionnaire_answers": "questionnaire ingest", "chk_questionnaire_answer_issues": "questionnaire ingest",
    "int_resource_use": "costing", "fct_resource_use": "costing", "fct_family_costs": "costing",
    "fct_family_cost_breakdown": "costing", "int_unit_costs_inflated": "costing",
    "int_instrument_items": "scoring", "int_instrument_scores": "scoring", "int_chu9d_utility": "scoring",
    "fct_child_outcomes": "scoring", "fct_parent_outcomes": "scoring", "fct_family_outcomes": "scoring",
}
COSTING_MODELS = ("int_resource_use", "fct_resource_use", "fct_family_costs")
SKIPPABLE = ("ingest", "pandas", "warm")  # parts --skip may leave out


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stage(name: str, layer: str) -> str:
    if name in STAGES:
        return STAGES[name]
    return {"staging": "checks and staging", "checks": "checks and staging", "intermediate": "costing",
            "marts": "marts", "audits": "audits"}.get(layer, layer)


# --- parts, each run in its own process -------------------------------------------------------

def part_run(config: str, out: str, reuse_from: str = "") -> dict:
    """A whole run; per stage the seconds and the peak RSS seen while it ran."""
    import threading

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    samples: list[tuple[float, float, float]] = []  # (wall clock, RSS MiB, CPU seconds so far)
    ticks = os.sysconf("SC_CLK_TCK")
    stop = threading.Event()

    def sample() -> None:
        status, stat = Path("/proc/self/status"), Path("/proc/self/stat")
        while not stop.is_set():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime of every thread
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    samples.append((time.perf_counter(), int(line.split()[1]) / 1024, cpu))
            time.sleep(0.05)

    marks: list[tuple[float, str]] = []

    def progress(message: str) -> None:
        # shown as the run goes (a large trial runs for many minutes); the figures are on stdout
        print(f"  [{time.perf_counter() - start:7.1f} s] {message}", file=sys.stderr, flush=True)
        words = message.split()
        if len(words) >= 3 and words[0] in ("read", "staging", "checks", "intermediate", "marts", "audits"):
            stage = "read " + words[1] if words[0] == "read" else _stage(words[1], words[0])
            if words[0] == "read" and words[1] == "questionnaire":
                stage = "questionnaire ingest"
            marks.append((time.perf_counter(), stage))
        elif words and words[0] in ("exports", "report"):
            marks.append((time.perf_counter(), words[0]))

    start = time.perf_counter()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    result = run_pipeline(load_config(Path(config)), Path(out), progress=progress,
                          reuse_from=[Path(reuse_from)] if reuse_from else None)
    total = time.perf_counter() - start
    stop.set()
    thread.join()
    stages: dict[str, list[float]] = {}
    previous = start

    def cpu_at(moment: float) -> float:
        return next((c for t, _, c in reversed(samples) if t <= moment), 0.0)

    for at, stage in marks:
        peak = max((rss for t, rss, _ in samples if previous <= t <= at), default=0.0)
        entry = stages.setdefault(stage, [0.0, 0.0, 0.0])
        entry[0] += at - previous
        entry[1] = max(entry[1], peak)
        entry[2] += cpu_at(at) - cpu_at(previous)
        previous = at
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    return {"total_s": total, "peak_mib": _peak_mib(), "stages": stages, "cpu_s": _cpu_s(),
            "costing_s": sum(result.timings.get(m, 0.0) for m in COSTING_MODELS),
            "reused": manifest.get("reused", {}), "resource_rows": result.row_counts.get("fct_resource_use", 0),
            "answers": result.row_counts.get("stg_questionnaire_answer_values", 0)}


def part_ingest(config: str, out: str) -> dict:
    """The questionnaire ingest alone: read the export, check and stage it (randomisation first,
    which the checks need), in a fresh database."""
    import duckdb
    import pyarrow as pa

    from pfc_econ.config import load_config
    from pfc_econ.contracts import contract_rows, load_contracts
    from pfc_econ.models import order_models, run_models, run_macros, sql_models
    from pfc_econ.pipeline import _check_models
    from pfc_econ.readers import read_table
    cfg = load_config(Path(config))
    Path(out).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(Path(out) / "ingest.duckdb"))
    if cfg.run.get("memory_limit"):
        con.execute(f"set memory_limit = '{cfg.run['memory_limit']}'")
    run_macros(con)
    con.register("_rows", pa.Table.from_pylist(contract_rows()))
    con.execute("create table contract_columns as select * from _rows")
    contracts = load_contracts()
    read_table(con, contracts["randomisation"], contracts["randomisation"].tables[0],
               cfg.sources["randomisation"].path, cfg.sources["randomisation"].format)
    start = time.perf_counter()
    read_table(con, contracts["questionnaire"], contracts["questionnaire"].tables[0],
               cfg.sources["questionnaire"].path, cfg.sources["questionnaire"].format)
    read_s = time.perf_counter() - start
    wanted = {"chk_randomisation", "stg_randomisation", "chk_questionnaire", "stg_questionnaire",
              "chk_questionnaire_children", "stg_questionnaire_children", "chk_questionnaire_answers",
              "chk_questionnaire_answer_issues", "stg_questionnaire_answer_values", "stg_questionnaire_answers"}
    available = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    models = order_models([m for m in _check_models() + sql_models() if m.name in wanted], available)
    timings = run_models(con, models)
    rand = timings.get("chk_randomisation", 0) + timings.get("stg_randomisation", 0)
    answers = con.execute("select count(*) from stg_questionnaire_answer_values").fetchone()[0]
    con.close()
    return {"read_s": read_s, "models_s": sum(timings.values()) - rand, "peak_mib": _peak_mib(), "cpu_s": _cpu_s(),
            "answers": answers}


def part_bare(database: str) -> dict:
    """The bare DuckDB join of the run's resource rows with the unit costs, grouped by family × period.
    The rows are read from fct_resource_use (one row per item, as int_resource_use, which is a view)."""
    import duckdb
    con = duckdb.connect(database, read_only=True)
    sql = """
        select r.family_id, r.period, sum(r.quantity * m.multiplier * u.unit_cost_gbp) as cost_gbp, count(*) as n
        from fct_resource_use as r
        join stg_code_map as m on m.source = r.source and m.source_code = r.resource_code
        join int_unit_costs_inflated as u on u.unit_cost_code = m.unit_cost_code and u.is_selected
        group by all"""
    con.execute(f"select count(*) from ({sql})").fetchone()  # warm the buffer cache
    start = time.perf_counter()
    groups = con.execute(f"select count(*) from ({sql})").fetchone()[0]
    return {"bare_s": time.perf_counter() - start, "groups": groups, "peak_mib": _peak_mib()}


def part_pandas_costing(database: str) -> dict:
    """The same join and group-by in pandas (merge + groupby), after fetching the tables."""
    import duckdb
    con = duckdb.connect(database, read_only=True)
    start = time.perf_counter()
    items = con.execute("select family_id, period, source, resource_code, quantity from fct_resource_use").df()
    code_map = con.execute("select source, source_code as resource_code, unit_cost_code, multiplier from stg_code_map").df()
    costs = con.execute("select unit_cost_code, unit_cost_gbp from int_unit_costs_inflated where is_selected").df()
    fetch = time.perf_counter() - start
    start = time.perf_counter()
    priced = items.merge(code_map, on=["source", "resource_code"]).merge(costs, on="unit_cost_code")
    priced["cost_gbp"] = priced["quantity"] * priced["multiplier"] * priced["unit_cost_gbp"]
    groups = priced.groupby(["family_id", "period"], dropna=False)["cost_gbp"].sum()
    return {"pandas_s": time.perf_counter() - start, "fetch_s": fetch, "groups": len(groups), "peak_mib": _peak_mib()}


def part_pandas_melt(config: str) -> dict:
    """The questionnaire melt in pandas: read the export (three header rows), melt the contract's
    answer columns, drop blanks, merge the contract's fields."""
    import pandas as pd

    from pfc_econ.config import load_config
    from pfc_econ.contracts import contract_table
    cfg = load_config(Path(config))
    table = contract_table("questionnaire")
    fields = pd.DataFrame([{"column_name": c.name, "slot": c.slot, "field": c.field, "block": c.block,
                            "instrument": c.instrument, "item": c.item, "service": c.service}
                           for c in table.columns if c.block in ("service_use", "instrument")])
    start = time.perf_counter()
    path = cfg.sources["questionnaire"].path
    header = pd.read_csv(path, nrows=0).columns
    usecols = ["ResponseId"] + [c for c in header if c in set(fields["column_name"])]
    frame = pd.read_csv(path, skiprows=[1, 2], usecols=usecols, dtype=str)
    long = frame.melt(id_vars="ResponseId", var_name="column_name", value_name="raw_value").dropna()
    long = long.merge(fields, on="column_name")
    long["answer_code"] = pd.to_numeric(long["raw_value"], errors="coerce")
    return {"pandas_s": time.perf_counter() - start, "answers": len(long), "peak_mib": _peak_mib(), "cpu_s": _cpu_s()}


PARTS = {"run": part_run, "ingest": part_ingest, "bare": part_bare, "pandas_costing": part_pandas_costing,
         "pandas_melt": part_pandas_melt}


def _in_process(part: str, *args: str) -> dict:
    # stderr passes through: a run's progress lines, or the part's error
    out = subprocess.run([sys.executable, __file__, "--part", part, *args], stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench_pipeline: part {part} failed (exit {out.returncode}); its error is above")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _warm_config(config: Path, out: Path) -> Path:
    """The study config with another target price year (the cache must serve the staged sources)."""
    import tomllib
    text = config.read_text(encoding="utf-8")
    year = tomllib.loads(text).get("study", {}).get("target_price_year", "2023/24")
    other = "2022/23" if year != "2022/23" else "2023/24"
    if "target_price_year" in text:
        text = text.replace(f'target_price_year = "{year}"', f'target_price_year = "{other}"')
    else:
        text = text.replace("[study]", f'[study]\ntarget_price_year = "{other}"', 1)
    warm = config.parent / "study_warm.toml"
    warm.write_text(text, encoding="utf-8")
    return warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--data", help="folder of the synthetic trial (generated there if it has no study.toml)")
    parser.add_argument("--out", help="folder for the results (default: beside the data)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip", default="", metavar="PART[,PART]",
                        help="parts to leave out: ingest (the ingest alone), pandas (its melt and costing: at "
                             "1,000,000 families the melt needs more memory than most machines have), warm")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    if skip - set(SKIPPABLE):
        parser.error(f"--skip: unknown part(s) {', '.join(sorted(skip - set(SKIPPABLE)))}")
    if args.part:
        print(json.dumps(PARTS[args.part](*args.args)))
        return 0
    data = Path(args.data or f"/tmp/pfc-bench-{args.families}")
    out = Path(args.out or f"{data}-results")
    config = data / "study.toml"
    if not config.is_file():
        from pfc_econ.synth import generate_scenario
        start = time.perf_counter()
        generate_scenario("trial", data, families=args.families, seed=args.seed)
        print(f"generated {args.families:,} families in {time.perf_counter() - start:.0f} s into {data}")
    cold = _in_process("run", str(config), str(out / "cold"))
    print(f"\ncold run of {args.families:,} families: {cold['total_s']:.1f} s ({cold['cpu_s']:.0f} s CPU), "
          f"peak RSS {cold['peak_mib']:,.0f} MiB")
    print(f"  {'stage':<28} {'seconds':>9} {'CPU s':>7} {'peak MiB':>9}")
    for stage, (seconds, peak, cpu) in sorted(cold["stages"].items(), key=lambda kv: -kv[1][0]):
        print(f"  {stage:<28} {seconds:9.1f} {cpu:7.1f} {peak:9,.0f}")
    database = str(out / "cold" / "pfc.duckdb")
    if "ingest" not in skip:
        ingest = _in_process("ingest", str(config), str(out / "ingest"))
        ingest_s = ingest["read_s"] + ingest["models_s"]
        print(f"\nquestionnaire ingest (DuckDB, alone): {ingest_s:.1f} s ({ingest['cpu_s']:.0f} s CPU; read "
              f"{ingest['read_s']:.1f} s, checks and staging {ingest['models_s']:.1f} s), peak "
              f"{ingest['peak_mib']:,.0f} MiB, {ingest['answers']:,} answers")
    if "pandas" not in skip:
        melt = _in_process("pandas_melt", str(config))
        ratio = f"; pandas / DuckDB = {melt['pandas_s'] / ingest_s:.1f}x" if "ingest" not in skip else ""
        print(f"questionnaire melt (pandas read_csv + melt + merge): {melt['pandas_s']:.1f} s ({melt['cpu_s']:.0f} s "
              f"CPU), peak {melt['peak_mib']:,.0f} MiB, {melt['answers']:,} cells{ratio}")
    bare = _in_process("bare", database)
    print(f"\ncosting models ({', '.join(COSTING_MODELS)}): {cold['costing_s']:.2f} s for "
          f"{cold['resource_rows']:,} resource rows")
    print(f"bare DuckDB join + group-by of the same rows: {bare['bare_s']:.2f} s ({bare['groups']:,} groups); "
          f"costing / bare = {cold['costing_s'] / max(bare['bare_s'], 1e-9):.1f}x")
    if "pandas" not in skip:
        pandas_costing = _in_process("pandas_costing", database)
        print(f"pandas merge + groupby: {pandas_costing['pandas_s']:.2f} s (+ {pandas_costing['fetch_s']:.2f} s to "
              f"fetch), peak {pandas_costing['peak_mib']:,.0f} MiB; pandas / bare DuckDB = "
              f"{pandas_costing['pandas_s'] / max(bare['bare_s'], 1e-9):.1f}x")
    if "warm" not in skip:
        warm = _in_process("run", str(_warm_config(config, out)), str(out / "warm"), str(out / "cold"))
        print(f"\nwarm re-run, price year changed: {warm['total_s']:.1f} s ({warm['cpu_s']:.0f} s CPU), peak "
              f"{warm['peak_mib']:,.0f} MiB (cold {cold['total_s']:.1f} s); re-used: "
              f"{', '.join(sorted(warm['reused'])) or 'nothing'}; warm / bare join = "
              f"{warm['total_s'] / max(bare['bare_s'], 1e-9):.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
