"""The `pfc-econ` command. Each subcommand is a few lines calling one public function."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import PfcError
from .paths import DATA_DIR


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_run(args) -> int:
    from .config import load_config
    from .pipeline import run_pipeline
    from .summary import print_run_summary
    config = load_config(args.config)
    start = time.perf_counter()
    result = run_pipeline(config, Path(args.out), progress=_say)
    _say(f"done in {time.perf_counter() - start:.1f} s: {result.out_dir}")
    print_run_summary(result, _say)
    return 0


def cmd_demo(args) -> int:
    args.config = str(DATA_DIR / "feasibility" / "study.toml")
    return cmd_run(args)


def cmd_init(args) -> int:
    from .study_folder import init_study
    study = init_study(Path(args.folder), demo_data=args.demo_data)
    _say(f"wrote a study folder: {study.folder} ({len(study.files)} files; what goes where: {study.folder / 'README.md'})")
    _say(f"next: put the extracts in {study.folder / 'data'}, edit {study.config}, then "
         f"pfc-econ run --config {study.config} --out {study.folder / 'results'}")
    return 0


def cmd_synth(args) -> int:
    from .synth import generate_scenario
    start = time.perf_counter()
    result = generate_scenario(args.scenario, Path(args.out), families=args.families, seed=args.seed,
                               include_nspcc=not args.no_nspcc, include_sau=not args.no_sau, progress=_say,
                               include_true_effect=args.true_effect)
    for source, n in result.n_rows.items():
        _say(f"  {source:<16} {n:>10,} rows  {result.files[source]}")
    _say(f"wrote {result.n_families:,} families in {time.perf_counter() - start:.1f} s; "
         f"run them with: pfc-econ run --config {result.config_path} --out RESULTS_DIR")
    return 0


def cmd_score(args) -> int:
    from .scoring import score_file
    result = score_file(args.instrument, args.file, out=args.out, mapping=args.mapping)
    if result.out_file:
        _say(f"wrote {len(result.rows)} rows: {result.out_file}")
    else:
        _say(",".join(result.columns))
        for row in result.rows:
            _say(",".join("" if v is None else str(v) for v in row))
    return 0


def cmd_check(args) -> int:
    from .extract_check import check_extract
    from .extract_report import RENDERERS
    report = check_extract(args.source, Path(args.file), config=args.config)
    print(RENDERERS[args.format](report))
    return report.exit_status


def cmd_audit(args) -> int:
    from .audit_headline import print_audit_headline
    print_audit_headline(Path(args.out), _say)
    return 0


def cmd_unit_costs(args) -> int:
    from .unit_cost_library import inflate_cost, list_unit_costs, show_unit_cost
    folder = Path(args.library) if args.library else None
    if args.inflate is not None:
        if not (args.from_year and args.to_year):
            raise PfcError("--inflate needs --from and --to price years, e.g. --from 2019/20 --to 2023/24")
        r = inflate_cost(args.inflate, args.from_year, args.to_year, args.index, folder)
        _say(f"£{r.amount_gbp:,.2f} in {r.from_year} prices = £{r.inflated_gbp:,.2f} in {r.to_year} prices "
             f"({r.index_code}: × {r.index_to:g} / {r.index_from:g})")
    elif args.code:
        for row in show_unit_cost(args.code, folder):
            _say("\n".join(f"  {k:<16} {v}" for k, v in row.items()) + "\n")
    else:
        for r in list_unit_costs(folder):
            _say(f"{r['unit_cost_code']:<34} {r['variant']:<20} {r['cost_gbp']:>9.2f} per {r['unit']:<12} "
                 f"{r['price_year']}  {r['sector']:<15} {r['verification']:<11} {r['unit_cost_id']}")
    return 0


def cmd_cea(args) -> int:
    from .cea.run import run_cea
    overrides = {}
    if args.bootstrap is not None:
        overrides["n_bootstrap"] = args.bootstrap
    if args.imputations is not None:
        overrides["n_imputations"] = args.imputations
    start = time.perf_counter()
    run = run_cea(Path(args.out), overrides, progress=_say)
    for entry in run.summary["analyses"]:
        if entry["status"] == "ok":
            _say(f"  {entry['name']:<36} n={entry['n_families']:<5} dC £{entry['incremental_cost_gbp']:,.0f}  "
                 f"dE {entry['incremental_qaly']:.4f}  P(CE at 20k) {entry['prob_cost_effective'].get('20000')}")
    _say(f"done in {time.perf_counter() - start:.1f} s: {run.folder} (report.html, summary.json, summary.xlsx)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pfc-econ", description="Costing engine of the Partnership for Change trial (IPS vs SAU).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the pipeline on a study config",
                       epilog="Example: pfc-econ run --config data/feasibility/study.toml --out results")
    p.add_argument("--config", required=True, help="study config (TOML)")
    p.add_argument("--out", required=True, help="results folder (replaced only when the run succeeds)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="run the pipeline on the shipped synthetic feasibility data into ./results",
                       epilog="Example: pfc-econ demo")
    p.add_argument("--out", default="results", help="results folder (default: ./results)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("init", help="start a study: a folder with study.toml (every setting commented), a copy of "
                       "the unit-cost library, code map, perspectives and mappings to edit, and a README",
                       epilog="Example: pfc-econ init my_study")
    p.add_argument("folder", metavar="DIR", help="the study folder to write (never overwrites a file)")
    p.add_argument("--demo-data", action="store_true",
                   help="also copy the synthetic feasibility extracts into DIR/data, so the study runs at once")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("synth", help="write synthetic trial data and a study config that runs on it",
                       epilog="Example: pfc-econ synth --scenario trial --families 1000 --out /tmp/trial")
    p.add_argument("--scenario", required=True, choices=["feasibility", "trial"])
    p.add_argument("--families", type=int, default=None, help="number of families (trial scenario)")
    p.add_argument("--seed", type=int, default=20231101)
    p.add_argument("--no-nspcc", action="store_true", help="leave out the NSPCC activity extract")
    p.add_argument("--no-sau", action="store_true", help="leave out the SAU social-worker log")
    p.add_argument("--true-effect", action="store_true",
                   help="trial: add the true IPS effect on cost and child QALYs to truth.json (two extra pipeline runs)")
    p.add_argument("--out", required=True, help="folder to write")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("score", help="score a stand-alone CSV of item answers (columns named as item_code "
                       "in instruments/items.csv, plus id; form for PedsQL/SDQ; age_months for chu9d)",
                       epilog="Example: pfc-econ score ghq12 answers.csv --out scores.csv")
    p.add_argument("instrument", choices=["ghq12", "icecap_a", "bcap", "pedsql", "sdq", "chu9d"])
    p.add_argument("file", help="CSV of item answers")
    p.add_argument("--out", default=None, help="CSV to write (default: print to the terminal)")
    p.add_argument("--mapping", default=None, help="chu9d: mapping name or TOML file (default: the config default)")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("check", help="check one incoming extract before accepting it (exit 0 accept, 1 reject, 2 unreadable)",
                       epilog="Example: pfc-econ check nspcc_activity nspcc_2024_03.csv --config data/feasibility/study.toml --format markdown")
    p.add_argument("source", choices=["randomisation", "questionnaire", "nspcc_activity", "sau_log"])
    p.add_argument("file", help="the extract (csv, xlsx, parquet, sav; a questionnaire .csv is a survey export)")
    p.add_argument("--config", default=None,
                   help="study config whose randomisation list gives the families to cover (default: the demo's)")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("audit", help="print the headline audit of an existing results folder",
                       epilog="Example: pfc-econ audit --out results")
    p.add_argument("--out", required=True, help="results folder written by pfc-econ run")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("unit-costs", help="list the unit-cost library, show one code, or inflate a cost",
                       epilog="Example: pfc-econ unit-costs --inflate 100 --from 2019/20 --to 2023/24")
    p.add_argument("--code", help="show every variant of one unit-cost code (or one unit_cost_id)")
    p.add_argument("--inflate", type=float, metavar="AMOUNT", help="a cost in GBP to move between price years")
    p.add_argument("--from", dest="from_year", help="price year of AMOUNT, e.g. 2019/20")
    p.add_argument("--to", dest="to_year", help="target price year, e.g. 2023/24")
    p.add_argument("--index", default="nhscii_pp_uc25", help="inflation index code (default: nhscii_pp_uc25)")
    p.add_argument("--library", help="unit-cost library folder (default: the shipped unit_costs/)")
    p.set_defaults(func=cmd_unit_costs)
    p = sub.add_parser("cea", help="cost-effectiveness analysis of a results folder: base case, sensitivity "
                       "analyses, tables, plots and report into DIR/cea",
                       epilog="Example: pfc-econ cea --out results")
    p.add_argument("--out", required=True, help="results folder written by pfc-econ run")
    p.add_argument("--bootstrap", type=int, default=None, help="bootstrap replicates (default: [cea] n_bootstrap)")
    p.add_argument("--imputations", type=int, default=None, help="imputations (default: [cea] n_imputations)")
    p.set_defaults(func=cmd_cea)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (PfcError, ValueError) as exc:
        print(f"pfc-econ: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pfc-econ: interrupted; no results were written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
