"""Fixtures: small hand-made studies written as the sources really arrive.

``make_study`` writes a randomisation list, a survey-platform questionnaire export (three header
rows, identifier metadata columns, child loop-and-merge blocks), an NSPCC extract and an SAU log,
plus the study.toml; each can be overridden to plant a defect.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pfc_econ.contracts import contract_table

RANDOMISATION = [
    {"family_id": "PFC-B-001", "site": "Bromley", "arm": "IPS", "randomised_date": "2023-07-01",
     "withdrawn_date": "", "withdrawal_reason": ""},
    {"family_id": "PFC-B-002", "site": "Bromley", "arm": "SAU", "randomised_date": "2023-07-05",
     "withdrawn_date": "", "withdrawal_reason": ""},
    {"family_id": "PFC-G-001", "site": "Glasgow", "arm": "SAU", "randomised_date": "2023-08-01",
     "withdrawn_date": "2023-09-01", "withdrawal_reason": "moved_away"},
]


def response(response_id: str, family: str, timepoint: str, date: str, **answers) -> dict:
    """One questionnaire row: metadata (with fake identifiers), embedded data, then answers."""
    row = {
        "StartDate": f"{date} 10:00:00", "EndDate": f"{date} 10:40:00", "Status": "0",
        "IPAddress": "192.0.2.10", "Progress": "100", "Duration (in seconds)": "2400", "Finished": "1",
        "RecordedDate": f"{date} 10:40:00", "ResponseId": response_id, "RecipientLastName": "Synthetic",
        "RecipientFirstName": "Parent", "RecipientEmail": "parent@example.org", "ExternalReference": "",
        "LocationLatitude": "51.40", "LocationLongitude": "0.01", "DistributionChannel": "email",
        "UserLanguage": "EN", "family_id": family, "parent_id": f"{family}-P1", "timepoint": timepoint,
        "recall_months": "3", "parent_age": "29", "1_child_id": f"{family}-C1", "1_child_age_months": "30",
        "1_child_sex": "1", "1_pedsql_form": "3", "1_sdq_form": "1",
    }
    row.update({k: str(v) for k, v in answers.items()})
    return row


QUESTIONNAIRE = [
    response("R_b001t1", "PFC-B-001", "T1", "2023-06-20", ghq_1="2", su_gp_surgery_any="1",
             su_gp_surgery_contacts="2", su_food_bank_any="2", **{"1_pedsql_tod_1": "0", "1_sdq_1": "2"}),
    response("R_b002t1", "PFC-B-002", "T1", "2023-06-25", ghq_1="3"),
    response("R_b001t2", "PFC-B-001", "T2", "2023-11-20", ghq_1="1"),
]

NSPCC = [
    {"record_id": "N1", "contact_id": "C1", "family_id": "PFC-B-001", "contact_date": "2023-07-10",
     "activity_type": "home_visit", "staff_role": "clinical_psychologist", "contact_minutes": "60",
     "travel_minutes": "30", "mode": "home", "attendance": "attended", "support_type": "", "support_amount_gbp": ""},
    {"record_id": "N2", "contact_id": "C2", "family_id": "PFC-B-001", "contact_date": "2023-07-12",
     "activity_type": "direct_support", "staff_role": "", "contact_minutes": "", "travel_minutes": "",
     "mode": "", "attendance": "", "support_type": "taxi", "support_amount_gbp": "12.50"},
]

SAU = [
    {"log_id": "S1", "family_id": "PFC-B-002", "contact_date": "2023-07-20", "contact_type": "cin_meeting",
     "duration_minutes": "60", "travel_minutes": "", "attendees": "social_worker;health_visitor;teacher",
     "referral_to": "none", "attendance": ""},
]


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def questionnaire_columns() -> list[str]:
    return contract_table("questionnaire").column_names


def write_survey(path: Path, rows: list[dict], columns: list[str] | None = None, header_rows: int = 3) -> Path:
    columns = columns or questionnaire_columns()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        if header_rows >= 2:
            writer.writerow([f"Question text of {c}" for c in columns])
        if header_rows >= 3:
            writer.writerow([json.dumps({"ImportId": f"QID{i}"}) for i, _ in enumerate(columns, 1)])
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


@pytest.fixture
def make_study(tmp_path):
    """Write a small study; keyword arguments replace a source's rows (None switches it off)."""

    def make(randomisation=RANDOMISATION, questionnaire=QUESTIONNAIRE, nspcc=NSPCC, sau=SAU, extra_toml=""):
        folder = tmp_path / "study"
        folder.mkdir(exist_ok=True)
        write_csv(folder / "randomisation.csv", randomisation)
        write_survey(folder / "questionnaire.csv", questionnaire)
        toml = ['[study]', 'name = "test"', '',
                '[sources.randomisation]', 'path = "randomisation.csv"', '',
                '[sources.questionnaire]', 'path = "questionnaire.csv"', 'format = "survey_csv"', '']
        if nspcc is not None:
            write_csv(folder / "nspcc_activity.csv", nspcc, list(NSPCC[0]))
            toml += ['[sources.nspcc_activity]', 'path = "nspcc_activity.csv"', '']
        if sau is not None:
            write_csv(folder / "sau_log.csv", sau, list(SAU[0]))
            toml += ['[sources.sau_log]', 'path = "sau_log.csv"', '']
        (folder / "study.toml").write_text("\n".join(toml) + extra_toml, encoding="utf-8")
        return folder / "study.toml"

    return make


@pytest.fixture
def run_study(tmp_path):
    """Run the pipeline on a config and return a read-only connection to its database."""
    import duckdb

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline

    connections = []

    def run(config_path, out="results"):
        result = run_pipeline(load_config(config_path), tmp_path / out)
        con = duckdb.connect(str(result.database), read_only=True)
        connections.append(con)
        return con

    yield run
    for con in connections:
        con.close()


@pytest.fixture(scope="session")
def cea_report(tmp_path_factory):
    """A 60-family synthetic trial through the pipeline and `pfc-econ cea` (few replicates),
    with the disclosure threshold at 8 so that some counts are withheld."""
    from pfc_econ.cea.run import run_cea
    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline
    from pfc_econ.synth import generate_scenario

    root = tmp_path_factory.mktemp("cea_report")
    synth = generate_scenario("trial", root / "data", families=60, seed=11)
    # as tests/test_cea.py trial_results: at 60 families the like-for-like base case leaves too few
    # complete SAU costs for MICE, so the fixture costs social work by the arm-specific-log sensitivity
    with open(synth.config_path, "a", encoding="utf-8") as fh:
        fh.write("\n[costing]\narm_specific_logs = true\n")
    run_pipeline(load_config(synth.config_path), root / "results")
    return run_cea(root / "results", {"n_bootstrap": 200, "n_imputations": 2, "suppress_below": 8})


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium: installed with apt-get when absent (as root, or with
    passwordless sudo); the browser tests are skipped, saying why, only when that is impossible."""
    import os
    import shutil
    import subprocess

    from pfc_econ.report_browser import find_chromium

    found = find_chromium()
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip("chromium is not installed and this machine has no apt-get to install it")
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        pytest.skip("chromium is not installed, and installing it needs root (run: apt-get install chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(prefix + command, capture_output=True, text=True, env=env, timeout=900, check=False)
        if done.returncode != 0:
            pytest.skip(f"chromium could not be installed ({' '.join(command)}: {done.stderr.strip()[-300:]})")
    found = find_chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium executable was found")
    return found
