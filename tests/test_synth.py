"""Tests of the synthetic data generator (pfc_econ.synth)."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pfc_econ.synth import generate_scenario

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
COMMITTED = ROOT / "data" / "feasibility"
SOURCE_FILES = ("randomisation.csv", "questionnaire.csv", "nspcc_activity.xlsx", "sau_log.csv",
                "study.toml", "truth.json")


def _contract(source: str) -> dict:
    with open(CONTRACTS / f"{source}.toml", "rb") as fh:
        return tomllib.load(fh)


def expected_questionnaire_columns() -> list[str]:
    """The survey export's columns, expanded from the contract independently of the package."""
    c = _contract("questionnaire")
    with open(CONTRACTS / c["services"], newline="") as fh:
        services = list(csv.DictReader(fh))
    stems = lambda b: [b["stem"].replace("{item}", str(i)) for i in range(1, b["n_items"] + 1)]
    cols = [col["name"] for col in c["columns"]]
    for s in services:
        if s["asked_of"] == "parent":
            cols += [f"su_{s['service']}_any", f"su_{s['service']}_{s['quantity_unit']}"]
    for b in c["item_blocks"]:
        if b["level"] == "parent":
            cols += stems(b)
    for n in range(1, c["max_children"] + 1):
        cols += [f"{n}_{col['name']}" for col in c["child_columns"]]
        for s in services:
            if s["asked_of"] == "child":
                cols += [f"{n}_su_{s['service']}_any", f"{n}_su_{s['service']}_{s['quantity_unit']}"]
        for b in c["item_blocks"]:
            if b["level"] == "child":
                cols += [f"{n}_{x}" for x in stems(b)]
    return cols


def allowed_codes() -> dict[str, set]:
    """Column (child prefix stripped) -> allowed integer codes, from the contract."""
    c = _contract("questionnaire")
    out = {col["name"]: set(col["allowed"]) for col in c["columns"] + c["child_columns"] if "allowed" in col}
    for b in c["item_blocks"]:
        for i in range(1, b["n_items"] + 1):
            out[b["stem"].replace("{item}", str(i))] = set(b["codes"])
    return out


def read_survey(path: Path) -> tuple[list[list[str]], pd.DataFrame]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [next(reader) for _ in range(3)]
    df = pd.read_csv(path, skiprows=[1, 2], header=0, low_memory=False)
    return header, df


@pytest.fixture(scope="module")
def feas(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("feasibility")
    generate_scenario("feasibility", out)
    return out


@pytest.fixture(scope="module")
def trial500(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trial500")
    generate_scenario("trial", out, families=500, seed=7)
    return out


def test_committed_feasibility_data_is_reproduced_byte_for_byte(feas):
    for name in SOURCE_FILES:
        assert (feas / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_same_seed_same_files_different_seed_different(tmp_path):
    a = generate_scenario("trial", tmp_path / "a", families=60, seed=1)
    b = generate_scenario("trial", tmp_path / "b", families=60, seed=1)
    c = generate_scenario("trial", tmp_path / "c", families=60, seed=2)
    for source, path in a.files.items():
        assert path.read_bytes() == b.files[source].read_bytes(), source
        assert path.read_bytes() != c.files[source].read_bytes(), source
    d = generate_scenario("feasibility", tmp_path / "d", seed=99)
    assert d.files["questionnaire"].read_bytes() != (COMMITTED / "questionnaire.csv").read_bytes()


def test_feasibility_counts(feas):
    r = pd.read_csv(feas / "randomisation.csv")
    assert len(r) == 19
    counts = r.groupby(["site", "arm"]).size().to_dict()
    assert counts == {("Bromley", "IPS"): 7, ("Bromley", "SAU"): 10, ("Glasgow", "SAU"): 2}
    withdrawn = r[r.withdrawn_date.notna()]
    assert list(withdrawn.family_id) == ["PFC-G-002"]
    assert withdrawn.withdrawal_reason.notna().all()
    assert r.family_id.iloc[0] == "PFC-B-001"

    _, q = read_survey(feas / "questionnaire.csv")
    assert (q.timepoint == "T1").sum() == 17 and (q.timepoint == "T2").sum() == 7
    assert "PFC-G-002" not in set(q.family_id)
    t2 = q[q.timepoint == "T2"].merge(r, on="family_id")
    assert set(t2.arm) == {"IPS", "SAU"}
    days = (pd.to_datetime(t2.RecordedDate).dt.normalize() - pd.to_datetime(t2.randomised_date)).dt.days
    assert days.between(91, 184).all()
    t1 = q[q.timepoint == "T1"].merge(r, on="family_id")
    days = (pd.to_datetime(t1.randomised_date) - pd.to_datetime(t1.RecordedDate).dt.normalize()).dt.days
    assert days.between(0, 28).all()
    assert sorted(q.parent_age[q.parent_age < 14]) == [4, 9, 13]
    bcap = q[[f"bcap_{i}" for i in range(1, 34)]]
    assert (bcap == 3).any().any()
    ghq = q[[f"ghq_{i}" for i in range(1, 13)]]
    assert int(ghq[q.timepoint == "T2"].isna().sum().sum()) == 1
    assert int(ghq[q.timepoint == "T1"].isna().sum().sum()) == 0
    assert q.n_children_household.max() == 7
    # Infant PedsQL lost; ITSEA returned for one or two under-2s only.
    for n in range(1, 7):
        infants = q[f"{n}_pedsql_form"].isin([1, 2])
        assert q.loc[infants, [f"{n}_pedsql_inf1_1", f"{n}_pedsql_inf2_1"]].isna().all().all()
    itsea = sum(int(q[f"{n}_itsea_1"].notna().sum()) for n in range(1, 7))
    assert 1 <= itsea <= 2
    # Plausible baseline means (report: GHQ-12 Likert ~15.5, ICECAP mostly levels 2-3).
    base = q[q.timepoint == "T1"]
    assert 12 <= (base[ghq.columns] - 1).sum(axis=1).mean() <= 19
    icecap = base[[f"icecap_{i}" for i in range(1, 6)]].stack()
    assert icecap.isin([2, 3]).mean() > 0.6

    nspcc = pd.read_excel(feas / "nspcc_activity.xlsx")
    sau = pd.read_csv(feas / "sau_log.csv")
    ips, sau_fams = set(r.family_id[r.arm == "IPS"]), set(r.family_id[r.arm == "SAU"])
    assert set(nspcc.family_id) - ips == {"PFC-B-018"}        # the planted unknown family
    assert set(sau.family_id) - sau_fams == {"PFC-B-018"}
    assert set(nspcc.family_id) & ips == ips
    assert (nspcc.contact_minutes < 0).sum() == 1


def test_planted_faults_are_where_truth_says(feas):
    truth = json.loads((feas / "truth.json").read_text())
    faults = [p for p in truth["planted"] if p["kind"] == "fault"]
    assert {p["file"] for p in faults} == {"nspcc_activity.xlsx", "sau_log.csv"}
    frames = {"nspcc_activity.xlsx": pd.read_excel(feas / "nspcc_activity.xlsx"),
              "sau_log.csv": pd.read_csv(feas / "sau_log.csv")}
    for p in truth["planted"]:
        if p["file"] in frames:
            row = frames[p["file"]].iloc[p["row"] - 1]
            assert row.iloc[0] == p["record_id"]
            value = row[p["field"]]
            if p["field"] == "contact_date":
                value = str(pd.Timestamp(value).date())
            assert value == p["value"], p


def _check_columns_and_codes(out: Path, xlsx: bool) -> None:
    header, q = read_survey(out / "questionnaire.csv")
    expected = expected_questionnaire_columns()
    assert header[0] == expected and list(q.columns) == expected
    assert all(h.startswith('{"ImportId":"') for h in header[2])
    assert len(set(header[2])) == len(expected)
    codes = allowed_codes()
    for col in q.columns:
        base = col.split("_", 1)[1] if col[0].isdigit() and col[1] == "_" else col
        if base in codes:
            values = q[col].dropna()
            values = set(values.astype(int) if all(isinstance(c, int) for c in codes[base]) else values)
            assert values <= codes[base], (col, values - codes[base])
        elif "_su_" in f"_{base}":
            values = q[col].dropna()
            assert (values >= 0).all() and (values == values.round()).all(), col
            if base.endswith("_any"):
                assert set(values.astype(int)) <= {1, 2}, col
    ident = q[["IPAddress", "RecipientEmail", "RecipientLastName"]]
    assert ident.IPAddress.str.startswith("192.0.2.").all()
    assert ident.RecipientEmail.str.endswith("@example.org").all()
    assert pd.to_datetime(q.RecordedDate, format="%Y-%m-%d %H:%M:%S").notna().all()

    r = pd.read_csv(out / "randomisation.csv")
    rc = _contract("randomisation")
    assert list(r.columns) == [c["name"] for c in rc["columns"]]
    for c in rc["columns"]:
        if "allowed" in c:
            assert set(r[c["name"]].dropna()) <= set(c["allowed"])
    assert r.family_id.is_unique

    for source, frame in (("nspcc_activity", pd.read_excel(out / "nspcc_activity.xlsx") if xlsx
                           else pq.read_table(out / "nspcc_activity.parquet").to_pandas()),
                          ("sau_log", pd.read_csv(out / "sau_log.csv"))):
        contract = _contract(source)
        assert list(frame.columns) == [c["name"] for c in contract["columns"]]
        assert frame[contract["record_id"]].is_unique
        for c in contract["columns"]:
            if "allowed" not in c:
                continue
            values = frame[c["name"]].dropna()
            if c["type"] == "list":
                values = values.str.split(c.get("separator", ";")).explode()
            bad = set(values) - set(c["allowed"])
            assert len(bad) <= 1, (source, c["name"], bad)     # at most the planted free text


def test_feasibility_columns_and_codes_meet_the_contracts(feas):
    _check_columns_and_codes(feas, xlsx=True)


def test_trial_columns_codes_and_distributions(trial500):
    _check_columns_and_codes(trial500, xlsx=False)
    r = pd.read_csv(trial500 / "randomisation.csv")
    assert len(r) == 500
    assert 0.7 < (r.site == "Bromley").mean() < 0.9
    for _, g in r.groupby("site"):
        assert abs((g.arm == "IPS").sum() - (g.arm == "SAU").sum()) <= 2
    assert 0.01 < r.withdrawn_date.notna().mean() < 0.1
    _, q = read_survey(trial500 / "questionnaire.csv")
    assert 0.7 < (q.timepoint == "T2").sum() / 500 < 0.9
    ghq = q[[f"ghq_{i}" for i in range(1, 13)]]
    assert 13 <= (ghq - 1).sum(axis=1, min_count=12).mean() <= 18
    icecap = q[[f"icecap_{i}" for i in range(1, 6)]].stack()
    assert icecap.isin([2, 3]).mean() > 0.6
    base = q.timepoint == "T1"
    totals = pd.concat([(100 - 25 * q.loc[base, [f"{n}_pedsql_tod_{i}" for i in range(1, 22)]]).mean(axis=1)
                        for n in range(1, 7)]).dropna()
    assert 80 <= totals.mean() <= 94                      # report: toddler total about 88
    sw = q.su_social_worker_visit_contacts.dropna()
    assert 2 <= sw[sw > 0].median() <= 10
    truth = json.loads((trial500 / "truth.json").read_text())
    assert truth["parameters"]["pedsql_item_shift"] < 0 < truth["parameters"]["service_use_factor"]
    nspcc = pq.read_table(trial500 / "nspcc_activity.parquet").to_pandas()
    staff = nspcc[nspcc.activity_type != "direct_support"]
    assert staff.contact_minutes.between(0, 240).mean() > 0.99
    amounts = nspcc.support_amount_gbp.dropna()
    assert amounts.between(5, 60).all()


def test_switches_omit_provider_files(tmp_path):
    res = generate_scenario("trial", tmp_path, families=20, include_nspcc=False, include_sau=False)
    assert set(res.files) == {"randomisation", "questionnaire"}
    assert not (tmp_path / "nspcc_activity.parquet").exists() and not (tmp_path / "sau_log.csv").exists()
    config = tomllib.loads(res.config_path.read_text())
    assert config["sources"]["nspcc_activity"]["enabled"] is False
    assert config["sources"]["sau_log"]["enabled"] is False
    assert "path" not in config["sources"]["sau_log"]
    for source in ("randomisation", "questionnaire"):
        assert (tmp_path / config["sources"][source]["path"]).exists()


def test_study_toml_names_the_files(feas):
    config = tomllib.loads((feas / "study.toml").read_text())
    assert config["study"]["target_price_year"] == "2023/24"
    assert config["sources"]["nspcc_activity"] == {"path": "nspcc_activity.xlsx", "format": "xlsx",
                                                   "enabled": True, "arms": ["IPS"]}
    assert config["sources"]["questionnaire"]["format"] == "survey_csv"
    assert config["periods"] == {"baseline_recall_months": 3, "followup_min_months": 3,
                                 "followup_max_months": 6}


@pytest.mark.parametrize("kwargs", [dict(scenario="pilot"), dict(scenario="trial", families=1),
                                    dict(scenario="feasibility", families=30),
                                    dict(scenario="trial", seed=-1)])
def test_bad_arguments_raise(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate_scenario(out_dir=tmp_path, **kwargs)


def test_a_folder_holding_a_users_files_is_refused_and_left_as_it_was(tmp_path):
    from pfc_econ.errors import OutputFolderError
    from pfc_econ.synth import SYNTH_MARKER
    study = tmp_path / "my_study"
    study.mkdir()
    (study / "questionnaire.csv").write_text("a user's extract\n")
    with pytest.raises(OutputFolderError, match=f"refusing to write synthetic data into {study}: it holds files "
                                                r"pfc-econ synth did not write \(questionnaire.csv\)"):
        generate_scenario("trial", study, families=20)
    assert [p.name for p in study.iterdir()] == ["questionnaire.csv"]
    assert (study / "questionnaire.csv").read_text() == "a user's extract\n"
    # a folder synth wrote is written again; a file the user added beside its files stays; a file
    # the user put in place of one synth means to write is not replaced
    first = generate_scenario("trial", tmp_path / "synth", families=20, include_sau=False)
    (first.out_dir / "notes.txt").write_text("mine")
    again = generate_scenario("trial", first.out_dir, families=30, include_sau=False)
    assert again.n_families == 30 and (first.out_dir / "notes.txt").read_text() == "mine"
    (first.out_dir / "sau_log.csv").write_text("mine too")
    with pytest.raises(OutputFolderError, match="refusing to replace .*sau_log.csv: pfc-econ synth did not write it"):
        generate_scenario("trial", first.out_dir, families=20)
    assert (first.out_dir / "sau_log.csv").read_text() == "mine too"
    assert SYNTH_MARKER in {p.name for p in first.out_dir.iterdir()}


def test_synth_into_a_users_folder_is_one_line_exit_1(tmp_path, capsys):
    from pfc_econ.cli import main
    (tmp_path / "study.toml").write_text("[study]\n")
    assert main(["synth", "--scenario", "feasibility", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"pfc-econ: error: refusing to write synthetic data into {tmp_path}") and err.count("\n") == 1
    assert (tmp_path / "study.toml").read_text() == "[study]\n"
