"""The README's "base case and the arm-specific-log sensitivity" tables, regenerated from runs.

    python scripts/costing_comparison.py --families 1000 --work /tmp/compare

Writes a synthetic trial (`pfc-econ synth --scenario trial`), runs the pipeline four times (base
case and `arm_specific_logs`, each without and with `extrapolate_follow_up_recall`) and prints, for
the follow-up period: the mean known cost per family by arm and perspective, the mean total over
the complete families, the share of the known cost that extrapolating recall periods would add,
and the mean known cost of each category by arm (docs/costing.md "Children in care", "Out-of-pocket
spending and time off work"). Nothing is typed in: every figure comes from fct_family_costs and
fct_family_cost_breakdown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from pfc_econ.config import load_config
from pfc_econ.pipeline import run_pipeline
from pfc_econ.synth import generate_scenario

ANALYSES = {"base case": "", "`arm_specific_logs`": "arm_specific_logs = true\n"}
LABELS = {"nhs_pss": "NHS & PSS", "public_sector": "public sector", "societal": "societal"}
SOURCES = {"base case": "parent report, both arms", "`arm_specific_logs`": "parent report (IPS), SAU log (SAU)"}


def run(config: Path, work: Path, name: str, costing: str) -> Path:
    """One pipeline run with extra [costing] keys; returns its database."""
    study = config.parent / f"study_{name}.toml"
    study.write_text(config.read_text(encoding="utf-8") + f"\n[costing]\n{costing}", encoding="utf-8")
    return run_pipeline(load_config(study), work / name).database


def family_table(con, extrapolated) -> dict:
    rows = con.execute("""
        select perspective, arm, avg(known_cost_gbp), avg(total_cost_gbp), count(total_cost_gbp)
        from fct_family_costs where period = 'follow_up' group by all""").fetchall()
    added = dict(((p, a), v) for p, a, v in extrapolated.execute("""
        select perspective, arm, sum(extrapolated_cost_gbp) / nullif(sum(known_cost_gbp - extrapolated_cost_gbp), 0)
        from fct_family_costs where period = 'follow_up' group by all""").fetchall())
    return {(p, a): (known, total, n, added[(p, a)]) for p, a, known, total, n in rows}


def category_table(con) -> dict:
    return {(c, p, a): v for c, p, a, v in con.execute("""
        select b.category, b.perspective, f.arm, sum(b.known_cost_gbp) / any_value(n.families)
        from fct_family_cost_breakdown as b
        join dim_family as f using (family_id)
        join (select arm, count(*) as families from dim_family group by arm) as n using (arm)
        where b.period = 'follow_up'
        group by all""").fetchall()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20231101)
    parser.add_argument("--work", type=Path, required=True, help="a new folder for the data and runs")
    args = parser.parse_args()
    data = generate_scenario("trial", args.work / "data", families=args.families, seed=args.seed)
    tables, categories = {}, {}
    for i, (name, costing) in enumerate(ANALYSES.items()):
        plain = duckdb.connect(str(run(data.config_path, args.work, f"a{i}", costing)), read_only=True)
        extra = duckdb.connect(str(run(data.config_path, args.work, f"a{i}x", costing
                                       + "extrapolate_follow_up_recall = true\n")), read_only=True)
        tables[name], categories[name] = family_table(plain, extra), category_table(plain)
    print("| perspective | analysis | social work and children in care costed from | IPS mean known | SAU mean known "
          "| difference | IPS mean total (n) | SAU mean total (n) | share extrapolation would add, IPS / SAU |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for p, label in LABELS.items():
        for name in ANALYSES:
            ips, sau = tables[name][(p, "IPS")], tables[name][(p, "SAU")]
            print(f"| {label} | {name} | {SOURCES[name]} | {ips[0]:,.0f} | {sau[0]:,.0f} | {ips[0] - sau[0]:,.0f} "
                  f"| {ips[1]:,.0f} ({ips[2]}) | {sau[1]:,.0f} ({sau[2]}) | {ips[3]:.1%} / {sau[3]:.1%} |")
    print()
    wanted = ["children_in_care", "child_protection", "care_proceedings", "out_of_pocket", "time_off_work"]
    print("| category | counted in | base case IPS | base case SAU | `arm_specific_logs` IPS | `arm_specific_logs` SAU |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for c in wanted:   # mean known cost per family in the widest perspective that counts it (societal)
        counted = [label for p, label in LABELS.items()
                   if any((c, p, arm) in categories[name] for name in ANALYSES for arm in ("IPS", "SAU"))]
        cells = [categories[name].get((c, "societal", arm)) or 0 for name in ANALYSES for arm in ("IPS", "SAU")]
        print(f"| {c} | {', '.join(counted)} | " + " | ".join(f"{v:,.0f}" for v in cells) + " |")

if __name__ == "__main__":
    main()
