"""Common random numbers in the trial scenario: the observed world and both counterfactual worlds
(every family IPS, every family SAU) use the same draws for every family, so they agree on
everything the treatment does not touch (issue 11, Build 2)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from pfc_econ.synth import generate_scenario

SEED, FAMILIES = 7, 60


def read_questionnaire(path) -> pd.DataFrame:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    return frame[frame["ResponseId"].str.startswith("R_")].set_index("ResponseId")


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    root = tmp_path_factory.mktemp("crn")
    observed = generate_scenario("trial", root / "observed", families=FAMILIES, seed=SEED)
    ips = generate_scenario("trial", root / "ips", families=FAMILIES, seed=SEED, counterfactual_arm="IPS",
                            include_sau=False)
    sau = generate_scenario("trial", root / "sau", families=FAMILIES, seed=SEED, counterfactual_arm="SAU",
                            include_nspcc=False)
    arms = pd.read_csv(observed.files["randomisation"]).set_index("family_id")["arm"]
    return {"observed": observed, "IPS": ips, "SAU": sau, "arm": arms}


def treatment_touched(column: str) -> bool:
    """Follow-up answers IPS changes in the generator: service use and the PedsQL items."""
    return column.split("_", 1)[-1].startswith("su_") or column.startswith("su_") or "pedsql" in column.lower()


def test_counterfactual_worlds_agree_on_everything_the_treatment_does_not_touch(worlds):
    ips = read_questionnaire(worlds["IPS"].files["questionnaire"])
    sau = read_questionnaire(worlds["SAU"].files["questionnaire"])
    assert list(ips.index) == list(sau.index) and list(ips.columns) == list(sau.columns)
    baseline = ips["timepoint"] == "1" if "timepoint" in ips else ips.index.isin([])
    differs = (ips != sau)
    # Baseline answers are identical; at follow-up only service use and PedsQL may differ.
    if baseline.any():
        assert not differs[baseline].to_numpy().any()
    changed = [c for c in differs.columns if differs[c].any()]
    assert changed, "IPS changes some follow-up answers"
    assert all(treatment_touched(c) for c in changed), [c for c in changed if not treatment_touched(c)]


def test_observed_answers_are_the_counterfactual_answers_of_the_familys_own_arm(worlds):
    observed = read_questionnaire(worlds["observed"].files["questionnaire"])
    arm = worlds["arm"]
    n_checked = 0
    for world in ("IPS", "SAU"):
        counterfactual = read_questionnaire(worlds[world].files["questionnaire"]).loc[observed.index]
        rows = observed["family_id"].map(arm).eq(world).to_numpy()
        mine, theirs = observed[rows], counterfactual[rows]
        answered = mine != ""  # the observed world blanks some answers; the counterfactual none
        assert ((mine == theirs) | ~answered).to_numpy().all()
        n_checked += int(answered.to_numpy().sum())
    assert n_checked > 1000


@pytest.mark.parametrize("source, world, key", [("nspcc_activity", "IPS", "record_id"), ("sau_log", "SAU", "log_id")])
def test_provider_records_are_the_same_draws_in_the_observed_and_counterfactual_world(worlds, source, world, key):
    def read(result):
        path = result.files[source]
        return (pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)).astype(str)

    observed, counterfactual = read(worlds["observed"]), read(worlds[world])
    families = worlds["arm"][worlds["arm"] == world].index
    mine = observed[observed["family_id"].isin(families)].set_index(key)
    theirs = counterfactual.set_index(key).loc[mine.index.intersection(counterfactual[key])]
    assert len(theirs) > 0.95 * len(mine) and len(mine) > 50
    # Every record of an observed-world family is drawn identically (planted faults aside: a few rows).
    left = mine.loc[theirs.index]
    differing = ~((left == theirs) | (left.isna() & theirs.isna())).all(axis=1)
    assert differing.sum() <= 3
    assert np.isin(mine["family_id"], families).all()
