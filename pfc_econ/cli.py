"""The `pfc-econ` command. Each subcommand is a few lines calling one public function."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .errors import PfcError, UnreadableFileError, describe_database_lock
from .output_folder import PUBLISHED, PUBLISHING
from .paths import DATA_DIR

SCORE_INSTRUMENTS = ["ghq12", "icecap_a", "bcap", "pedsql", "sdq", "chu9d"]


def _say(message: str) -> None:
    print(message, flush=True)


def _warn(message: str) -> None:
    print(f"pfc-econ: warning: {message}", file=sys.stderr, flush=True)


def _results_folder(args) -> Path:
    """The RESULTS folder a command reads; the old ``--out`` spelling still works, with a warning."""
    if args.results_flag is not None:
        _warn(f"`{args.command} --out DIR` is deprecated: give the folder as RESULTS, "
              f"e.g. `pfc-econ {args.command} {args.results_flag}`")
        if args.results is not None and args.results != args.results_flag:
            raise PfcError(f"{args.command}: RESULTS {args.results} and --out {args.results_flag} differ; give one")
    folder = args.results if args.results is not None else args.results_flag
    if folder is None:
        raise PfcError(f"{args.command}: give the results folder, e.g. pfc-econ {args.command} results")
    return Path(folder)


def cmd_run(args) -> int:
    from .config import load_config
    from .pipeline import run_pipeline
    from .progress import TerminalProgress
    from .summary import print_next_steps, print_run_summary
    config = load_config(args.config)
    start = time.perf_counter()
    result = run_pipeline(config, Path(args.out), progress=TerminalProgress(args.verbose))
    _say(f"done in {time.perf_counter() - start:.1f} s: {result.out_dir}")
    print_run_summary(result, _say, verbose=args.verbose)
    print_next_steps(Path(args.out), _say, is_demo=args.command == "demo")
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
    from .progress import TerminalProgress
    from .synth import generate_scenario
    start = time.perf_counter()
    result = generate_scenario(args.scenario, Path(args.out), families=args.families, seed=args.seed,
                               include_nspcc=not args.no_nspcc, include_sau=not args.no_sau,
                               progress=TerminalProgress(args.verbose), include_true_effect=args.true_effect)
    for source, n in result.n_rows.items():
        _say(f"  {source:<16} {n:>10,} rows  {result.files[source]}")
    _say(f"wrote {result.n_families:,} families in {time.perf_counter() - start:.1f} s; "
         f"run them with: pfc-econ run --config {result.config_path} --out RESULTS")
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
    print_audit_headline(_results_folder(args), _say)
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
    from .progress import TerminalProgress
    start = time.perf_counter()
    run = run_cea(_results_folder(args), overrides, progress=TerminalProgress(args.verbose))
    for entry in run.summary["analyses"]:
        if entry["status"] == "ok":
            first = next(iter(entry["prob_cost_effective"]), None)
            shown = (entry.get("prob_cost_effective_display") or {}).get(first) or "not computed"
            _say(f"  {entry['name']:<36} n={entry['n_families']:<5} dC £{entry['incremental_cost_gbp']:,.0f}  "
                 f"dE {entry['incremental_qaly']:.4f}  P(CE at {first}) {shown}")
    _say(f"done in {time.perf_counter() - start:.1f} s: {run.folder} (report.html, summary.json, summary.xlsx)")
    return 0


def _command(sub, name: str, help: str, example: str) -> argparse.ArgumentParser:
    """A subcommand whose help ends with an example (the sqlite-utils habit)."""
    return sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                          epilog=f"Example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_results(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="?", metavar="RESULTS", help="results folder written by pfc-econ run")
    p.add_argument("--out", dest="results_flag", metavar="RESULTS", default=None,
                   help="deprecated spelling of RESULTS (kept so old scripts work; prints a warning)")


def _add_verbose(p: argparse.ArgumentParser) -> None:
    p.add_argument("--verbose", "-v", action="store_true",
                   help="print every step with its time (they are always in manifest.json), not one line per stage")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = argparse.ArgumentParser(
        prog="pfc-econ", description="Costing engine of the Partnership for Change trial (IPS vs SAU).",
        epilog="Example:\n  pfc-econ demo && pfc-econ audit results && pfc-econ cea results",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"pfc-econ {__version__}",
                        help="print the version of pfc-econ and exit")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(sub, "run", "run the pipeline on a study config: database, exports, audit figures",
                 "pfc-econ run --config my_study/study.toml --out my_study/results")
    p.add_argument("--config", required=True, help="the study config (TOML), e.g. one written by pfc-econ init")
    p.add_argument("--out", required=True, metavar="RESULTS",
                   help="results folder to write (replaced only when the run succeeds)")
    _add_verbose(p)
    p.set_defaults(func=cmd_run)

    p = _command(sub, "demo", "run the pipeline on the shipped synthetic feasibility data (faults planted on purpose)",
                 "pfc-econ demo --out results")
    p.add_argument("--out", default="results", metavar="RESULTS", help="results folder (default: ./results)")
    _add_verbose(p)
    p.set_defaults(func=cmd_demo)

    p = _command(sub, "init", "start a study: a folder with study.toml (every setting commented), a copy of the "
                 "unit-cost library, code map, perspectives and mappings to edit, and a README", "pfc-econ init my_study")
    p.add_argument("folder", metavar="DIR", help="the study folder to write (never overwrites a file)")
    p.add_argument("--demo-data", action="store_true",
                   help="also copy the synthetic feasibility extracts into DIR/data, so the study runs at once")
    p.set_defaults(func=cmd_init)

    p = _command(sub, "synth", "write synthetic trial data in the sources' real formats and a study.toml that runs on it",
                 "pfc-econ synth --scenario trial --families 1000 --out /tmp/trial")
    p.add_argument("--scenario", required=True, choices=["feasibility", "trial"],
                   help="feasibility: the 19 families of the shipped demo; trial: a full trial of --families families")
    p.add_argument("--families", type=int, default=None, help="number of families (trial scenario)")
    p.add_argument("--seed", type=int, default=20231101,
                   help="random seed; the same seed writes the same files (default: 20231101)")
    p.add_argument("--no-nspcc", action="store_true", help="leave out the NSPCC activity extract")
    p.add_argument("--no-sau", action="store_true", help="leave out the SAU social-worker log")
    p.add_argument("--true-effect", action="store_true",
                   help="trial: add the true IPS effect on cost and child QALYs to truth.json (two extra pipeline runs)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    _add_verbose(p)
    p.set_defaults(func=cmd_synth)

    p = _command(sub, "score", "score a stand-alone CSV of item answers (columns named as item_code in "
                 "instruments/items.csv, plus id; form for PedsQL/SDQ; age_months for chu9d)",
                 "pfc-econ score ghq12 answers.csv --out scores.csv")
    p.add_argument("instrument", choices=SCORE_INSTRUMENTS, help="the instrument: " + ", ".join(SCORE_INSTRUMENTS))
    p.add_argument("file", help="CSV of item answers")
    p.add_argument("--out", default=None, help="CSV to write (default: print to the terminal)")
    p.add_argument("--mapping", default=None, help="chu9d: mapping name or TOML file (default: the config default)")
    p.set_defaults(func=cmd_score)

    p = _command(sub, "check", "check one incoming extract before accepting it (exit 0 accept, 1 reject, 2 unreadable)",
                 "pfc-econ check nspcc_activity nspcc_2024_03.csv --config my_study/study.toml --format markdown")
    p.add_argument("source", choices=["randomisation", "questionnaire", "nspcc_activity", "sau_log"],
                   help="which source the extract is: randomisation, questionnaire, nspcc_activity or sau_log")
    p.add_argument("file", help="the extract (csv, xlsx, parquet, sav; a questionnaire .csv is a survey export)")
    p.add_argument("--config", default=None,
                   help="study config whose randomisation list gives the families to cover (without it, coverage is not checked)")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                   help="report format: text (default), json for scripts, markdown to paste into an e-mail or issue")
    p.set_defaults(func=cmd_check)

    p = _command(sub, "audit", "print the headline audit of a results folder: coverage, completion, costs unknown",
                 "pfc-econ audit results")
    _add_results(p)
    p.set_defaults(func=cmd_audit)

    p = _command(sub, "unit-costs", "list the unit-cost library, show one code, or inflate a cost",
                 "pfc-econ unit-costs --inflate 100 --from 2019/20 --to 2023/24")
    p.add_argument("--code", help="show every variant of one unit-cost code (or one unit_cost_id)")
    p.add_argument("--inflate", type=float, metavar="AMOUNT", help="a cost in GBP to move between price years")
    p.add_argument("--from", dest="from_year", metavar="YEAR", help="price year of AMOUNT, e.g. 2019/20")
    p.add_argument("--to", dest="to_year", metavar="YEAR", help="target price year, e.g. 2023/24")
    p.add_argument("--index", default="nhscii_pp_uc25", help="inflation index code (default: nhscii_pp_uc25)")
    p.add_argument("--library", metavar="DIR",
                   help="unit-cost library folder, e.g. a study's my_study/unit_costs (default: the shipped one)")
    p.set_defaults(func=cmd_unit_costs)

    p = _command(sub, "cea", "cost-effectiveness analysis of a results folder: base case, sensitivity analyses, "
                 "tables, plots and report into RESULTS/cea", "pfc-econ cea results --bootstrap 2000")
    _add_results(p)
    p.add_argument("--bootstrap", type=int, default=None, help="bootstrap replicates (default: [cea] n_bootstrap)")
    p.add_argument("--imputations", type=int, default=None, help="imputations (default: [cea] n_imputations)")
    _add_verbose(p)
    p.set_defaults(func=cmd_cea)
    return parser


class Terminated(Exception):
    """SIGTERM (a batch scheduler's time limit, `kill`): stop as Ctrl-C does, removing the build."""


STOPPED_BY: list[int] = []  # the signals received; DuckDB turns one inside a query into its own error


def _stop(signum, frame):
    STOPPED_BY.append(signum)
    if PUBLISHING:  # results moving into place: let the renames finish; main() reports the stop after
        return
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user's mistake ends in one line on stderr and exit 1 (data or config) or
    2 (a file that cannot be read); ``--debug`` shows the traceback instead. Ctrl-C and SIGTERM
    stop a run and remove its build folder (exit 130 and 143)."""
    args = build_parser().parse_args(argv)
    # (signal handlers can only be set in the main thread; elsewhere Python's defaults stay)
    is_main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)} if is_main else {}
    STOPPED_BY.clear()
    PUBLISHED.clear()
    try:
        code = args.func(args)
        if STOPPED_BY:  # a signal that came while results were being published
            raise KeyboardInterrupt if STOPPED_BY[-1] == signal.SIGINT else Terminated
        return code
    except BrokenPipeError:  # e.g. `pfc-econ unit-costs | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (KeyboardInterrupt, Terminated, Exception) as exc:
        # a signal inside a DuckDB query comes back as DuckDB's "Query interrupted", not as ours
        if STOPPED_BY or isinstance(exc, (KeyboardInterrupt, Terminated)):
            signum = STOPPED_BY[-1] if STOPPED_BY else signal.SIGINT
            how = "interrupted" if signum == signal.SIGINT else "stopped by SIGTERM"
            written = f" after {PUBLISHED[-1]} was written in full" if PUBLISHED else "; no results were written"
            print(f"pfc-econ: {how}{written}", file=sys.stderr)
            return 128 + signum
        if getattr(args, "debug", False):
            raise
        error = exc if isinstance(exc, PfcError) else _user_error(exc)
        if error is None:
            raise
        print(f"pfc-econ: error: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _user_error(exc: Exception) -> PfcError | None:
    """Errors from libraries that are a user's situation, not a bug: a locked database, a bad value."""
    import duckdb

    from .resources import describe_exhaustion_elsewhere
    exhausted = describe_exhaustion_elsewhere(exc)
    if exhausted is not None:
        return exhausted
    if isinstance(exc, duckdb.IOException):
        return describe_database_lock(exc)
    if isinstance(exc, ValueError):
        return PfcError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    if isinstance(exc, OSError) and exc.filename:  # a file the user named that cannot be opened
        return UnreadableFileError(f"{exc.filename}: {exc.strerror or type(exc).__name__}")
    return None


if __name__ == "__main__":
    sys.exit(main())
