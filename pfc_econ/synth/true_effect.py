"""The true IPS effect built into the trial scenario, by counterfactual simulation.

Method (written into truth.json as ``method``): the same families (same seed, so the same
household, dates and random streams — common random numbers) are generated twice, once with
every family in IPS and once with every family in SAU, with item-level missingness and the
planted data faults switched off so each family's follow-up cost and utilities are its
full-data values. The draws are common to the observed world and both counterfactual worlds:
every random number is drawn whether or not it is used (the IPS effect on service use is drawn
for every response; item-missing draws are made at a rate of 0 too), and provider records are
drawn for every family of a chunk as if it were in the provider's arm before the other arm's
families are dropped (``synth.keep_arm``), so no family's draws depend on the arms of the
others; ``tests/test_synth_crn.py`` checks the worlds agree on everything IPS does not touch.
Both are run through the pipeline with the scenario's own config, and the truth is the mean
over families of the paired difference IPS − SAU in

- ``incremental_cost_gbp``: follow-up cost, base-case perspective (nhs_pss), over the families
  with a follow-up cost in both worlds (those with a follow-up questionnaire);
- ``incremental_qaly``: child QALYs, over the families with a child QALY in both worlds (index
  child's utility mappable at both assessments).

It is the sample average treatment effect of these families, as the pipeline measures it
(costing rules, source priority: IPS families' social work from parent report, SAU families'
from the SAU log), which is what the trial analysis estimates. Loss to follow-up in the
scenario is unrelated to arm and outcome, so it does not change the estimand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np

BASE_CASE_PERSPECTIVE = "nhs_pss"


def read_world(results: Path) -> dict[str, dict[str, float]]:
    """family_id -> follow-up cost (base-case perspective) and child QALY of one world."""
    with duckdb.connect(str(results / "pfc.duckdb"), read_only=True) as con:
        rows = con.execute("select family_id, cost_gbp, child_qaly from fct_cea_input where perspective = ?",
                           [BASE_CASE_PERSPECTIVE]).fetchall()
    return {family: {"cost": cost, "qaly": qaly} for family, cost, qaly in rows}


def compute_true_effect(seed: int, families: int, work_dir: Path) -> dict:
    """Generate and run both counterfactual worlds in ``work_dir`` (removed after) and return the
    truth.json entries: incremental_cost_gbp, incremental_qaly, their n and the method."""
    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline

    from . import generate_scenario

    work_dir = Path(work_dir)
    worlds = {}
    try:
        for arm in ("IPS", "SAU"):
            source = work_dir / f"all_{arm}"
            result = generate_scenario("trial", source / "data", families=families, seed=seed,
                                       counterfactual_arm=arm, include_nspcc=arm == "IPS",
                                       include_sau=arm == "SAU")
            run_pipeline(load_config(result.config_path), source / "results")
            worlds[arm] = read_world(source / "results")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    out = {}
    for key, name in (("cost", "incremental_cost_gbp"), ("qaly", "incremental_qaly")):
        pairs = [(worlds["IPS"][f][key], worlds["SAU"][f][key]) for f in worlds["IPS"]
                 if worlds["IPS"][f][key] is not None and worlds["SAU"].get(f, {}).get(key) is not None]
        difference = np.array([a - b for a, b in pairs], dtype=float)
        out[name] = float(difference.mean()) if len(difference) else None
        out[f"{name}_n_families"] = len(difference)
        out[f"{name}_sd"] = float(difference.std(ddof=1)) if len(difference) > 1 else None
    out["true_effect_perspective"] = BASE_CASE_PERSPECTIVE
    out["method"] = (
        "counterfactual simulation with common random numbers: the same families generated with every "
        "family in IPS and with every family in SAU, item-level missingness off, both run through the "
        "pipeline; mean paired difference IPS - SAU of follow-up cost (nhs_pss) and of child QALYs over "
        "families with the value in both worlds (sample average treatment effect); see "
        "pfc_econ/synth/true_effect.py")
    return out
