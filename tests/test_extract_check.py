"""`pfc-econ check`: one extract with each kind of defect, its exact verdict and exit status."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from pfc_econ.cli import main
from pfc_econ.extract_check import check_extract

from conftest import NSPCC, SAU, write_csv


@pytest.fixture
def study(make_study):
    return make_study()


def nspcc_file(tmp_path, rows=NSPCC, columns=None, name="nspcc.csv"):
    return write_csv(tmp_path / name, rows, columns or list(NSPCC[0]))


def with_row(**changes):
    return [NSPCC[0], {**NSPCC[1], **changes}]


def checks(report):
    return {(f.check, f.severity, f.field) for f in report.findings}


def test_clean_extract_is_accepted(tmp_path, study):
    report = check_extract("nspcc_activity", nspcc_file(tmp_path), config=study)
    assert (report.verdict, report.exit_status) == ("accept", 0)
    assert report.coverage == ({"arm": "IPS", "site": "Bromley", "n_expected": 1, "n_covered": 1, "n_other_arm": 0},)


@pytest.mark.parametrize("rows, columns, expected", [
    pytest.param(NSPCC, [c for c in NSPCC[0] if c != "contact_date"],
                 ("missing_required_column", "error", "contact_date"), id="missing required column"),
    pytest.param(with_row(contact_minutes="an hour", activity_type="home_visit", staff_role="social_worker"), None,
                 ("invalid_type", "error", "contact_minutes"), id="text in a number column"),
    pytest.param(with_row(support_type="cash"), None, ("not_allowed", "error", "support_type"), id="unknown code"),
    pytest.param(with_row(record_id="N1"), None, ("duplicate_id", "error", "record_id"), id="duplicated id"),
    pytest.param(with_row(family_id="PFC-X-999"), None, ("unknown_family", "error", "family_id"), id="unknown family"),
    pytest.param([{**r, "staff_email": "a@example.org"} for r in NSPCC], list(NSPCC[0]) + ["staff_email"],
                 ("identifier_present", "error", "staff_email"), id="identifier column"),
])
def test_defect_rejects_with_exit_1(tmp_path, study, rows, columns, expected, capsys):
    path = nspcc_file(tmp_path, rows, columns)
    report = check_extract("nspcc_activity", path, config=study)
    assert (report.verdict, report.exit_status) == ("reject", 1)
    assert expected in checks(report)
    assert main(["check", "nspcc_activity", str(path), "--config", str(study)]) == 1
    assert "REJECT" in capsys.readouterr().out


def test_identifier_values_never_printed(tmp_path, study, capsys):
    path = nspcc_file(tmp_path, [{**r, "staff_email": "secret@example.org"} for r in NSPCC], list(NSPCC[0]) + ["staff_email"])
    for fmt in ("text", "json", "markdown"):
        assert main(["check", "nspcc_activity", str(path), "--config", str(study), "--format", fmt]) == 1
        out = capsys.readouterr().out
        assert "staff_email" in out and "secret@example.org" not in out


def test_truncated_csv_is_rejected(tmp_path, study):
    third = {**NSPCC[0], "record_id": "N3", "contact_id": "C3", "contact_date": "2023-07-20"}
    path = nspcc_file(tmp_path, NSPCC + [third])
    text = path.read_text()
    path.write_text(text[: text.rindex(",home,")])  # the last line stops half-way
    report = check_extract("nspcc_activity", path, config=study)
    assert (report.verdict, report.exit_status) == ("reject", 1)
    assert ("malformed_line", "error", None) in checks(report)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00binary\x00", b""], ids=["binary", "empty"])
def test_unreadable_file_exits_2(tmp_path, study, content, capsys):
    path = tmp_path / "nspcc.csv"
    path.write_bytes(content)
    assert main(["check", "nspcc_activity", str(path), "--config", str(study)]) == 2
    assert "error" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, study):
    assert main(["check", "nspcc_activity", str(tmp_path / "nope.csv"), "--config", str(study)]) == 2


def test_family_of_other_arm_and_uncovered_family(tmp_path, study):
    path = write_csv(tmp_path / "sau.csv", [{**SAU[0], "family_id": "PFC-B-001"}])
    report = check_extract("sau_log", path, config=study)
    assert (report.verdict, report.exit_status) == ("reject", 1)
    assert {("wrong_arm", "error", "family_id"), ("family_not_covered", "error", "family_id")} <= checks(report)


def test_warnings_alone_accept(tmp_path, study):
    path = nspcc_file(tmp_path, with_row(activity_type="home_visit", staff_role="social_worker",
                                         contact_minutes="300", support_type="", support_amount_gbp="", mode="home",
                                         attendance="attended"))
    report = check_extract("nspcc_activity", path, config=study)
    assert (report.verdict, report.exit_status) == ("accept_with_warnings", 0)
    assert ("implausible", "warning", "contact_minutes") in checks(report)


def test_json_and_markdown_outputs(tmp_path, study, capsys):
    path = nspcc_file(tmp_path, with_row(support_type="cash"))
    assert main(["check", "nspcc_activity", str(path), "--config", str(study), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "reject" and data["exit_status"] == 1
    assert main(["check", "nspcc_activity", str(path), "--config", str(study), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("# Data-sharing check") and "| not_allowed | error | support_type |" in out


def test_questionnaire_export_with_platform_identifiers_is_rejected(tmp_path, study):
    from conftest import QUESTIONNAIRE, questionnaire_columns, write_survey
    path = write_survey(tmp_path / "survey.csv", QUESTIONNAIRE)
    report = check_extract("questionnaire", path, config=study)
    assert (report.verdict, report.exit_status) == ("reject", 1)
    assert {f.check for f in report.findings if f.severity == "error"} == {"identifier_present"}
    assert set(report.identifier_columns) == {"IPAddress", "RecipientLastName", "RecipientFirstName",
                                              "RecipientEmail", "LocationLatitude", "LocationLongitude"}
    clean = [c for c in questionnaire_columns() if c not in report.identifier_columns]
    report = check_extract("questionnaire", write_survey(tmp_path / "clean.csv", QUESTIONNAIRE, clean), config=study)
    # G-001 (Glasgow SAU) has no baseline questionnaire: a warning, not a reason to reject
    assert (report.verdict, report.exit_status) == ("accept_with_warnings", 0)
    assert [(f.check, f.n_rows) for f in report.findings] == [("family_not_covered", 1)]


def test_survey_export_without_its_three_header_rows_exits_2(tmp_path, study):
    from conftest import QUESTIONNAIRE, write_survey
    path = write_survey(tmp_path / "survey.csv", QUESTIONNAIRE, header_rows=1)
    assert main(["check", "questionnaire", str(path), "--config", str(study)]) == 2


def test_without_randomisation_list_coverage_is_not_checked(tmp_path):
    # issue 9: never compare against the demo's list; say plainly that coverage was not checked
    report = check_extract("nspcc_activity", nspcc_file(tmp_path))
    assert (report.verdict, report.coverage, report.randomisation_file) == ("accept_with_warnings", (), None)
    assert "no randomisation list" in report.notes[0]
    assert [(f.check, f.severity) for f in report.findings] == [("coverage_not_checked", "warning")]


def test_questionnaire_answer_codes_are_checked(tmp_path, study):
    from conftest import QUESTIONNAIRE, questionnaire_columns, response, write_survey
    identifiers = {"IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "LocationLatitude",
                   "LocationLongitude"}
    rows = QUESTIONNAIRE + [response("R_g001t1", "PFC-G-001", "T1", "2023-07-20", ghq_1="7")]
    columns = [c for c in questionnaire_columns() if c not in identifiers]
    report = check_extract("questionnaire", write_survey(tmp_path / "survey.csv", rows, columns), config=study)
    assert (report.verdict, report.exit_status) == ("reject", 1)
    assert [(f.check, f.field, f.sample_values) for f in report.findings if f.severity == "error"] == [
        ("not_allowed", "ghq_1", ("7",))]


def test_sau_status_entries_are_checked_for_a_unit_cost(tmp_path, make_study):
    # contracts/sau_log.toml status entries are costed by their contact_type (docs/costing.md "Children
    # in care"): a library whose code map lacks one reports it, as for an attendee role.
    import shutil

    from pfc_econ.paths import UNIT_COSTS_DIR
    library = tmp_path / "library"
    shutil.copytree(UNIT_COSTS_DIR, library, ignore=shutil.ignore_patterns("versions"))
    lines = (library / "code_map.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (library / "code_map.csv").write_text("".join(l for l in lines if not l.startswith("sau_log,placement_kinship,")),
                                          encoding="utf-8")
    study = make_study()
    status = {**SAU[0], "log_id": "S2", "contact_type": "placement_kinship", "duration_minutes": "", "attendees": "",
              "referral_to": "", "child_id": "PFC-B-002-C1", "end_date": ""}
    path = write_csv(tmp_path / "sau.csv", [SAU[0], status], list(SAU[0]) + ["child_id", "end_date"])
    found = [f for f in check_extract("sau_log", path, config=study, unit_costs_dir=library).findings
             if f.check == "no_unit_cost"]
    assert [f.message for f in found] == ["code 'placement_kinship' (1 record(s)) has no row in unit_costs/code_map.csv"]


def test_codes_are_looked_up_in_the_study_library_and_a_code_kept_uncosted_is_not_reported(tmp_path, make_study):
    # unit_costs/code_map.csv keeps questionnaire ips_team without a unit cost on purpose (priority
    # group not_costed: the NSPCC log costs IPS delivery); the check said it "has no row in
    # code_map.csv". A study's own library (pfc-econ init copies it) is the one its extracts are
    # checked against, not the shipped one.
    import shutil

    from conftest import QUESTIONNAIRE, questionnaire_columns, response, write_survey
    from pfc_econ.paths import UNIT_COSTS_DIR
    identifiers = {"IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "LocationLatitude",
                   "LocationLongitude"}
    rows = QUESTIONNAIRE + [response("R_b002t2", "PFC-B-002", "T2", "2023-11-25", su_ips_team_any="1",
                                     su_ips_team_contacts="6", su_gp_surgery_any="1", su_gp_surgery_contacts="1")]
    path = write_survey(tmp_path / "survey.csv", rows, [c for c in questionnaire_columns() if c not in identifiers])

    def reported(**kwargs):
        return [f.message for f in check_extract("questionnaire", path, **kwargs).findings if f.check == "no_unit_cost"]

    assert reported(config=make_study()) == []
    library = tmp_path / "study" / "unit_costs"
    shutil.copytree(UNIT_COSTS_DIR, library, ignore=shutil.ignore_patterns("versions"))
    code_map = library / "code_map.csv"
    code_map.write_text(code_map.read_text(encoding="utf-8").replace(
        "questionnaire,gp_surgery,contacts,gp_consultation,", "questionnaire,gp_surgery,contacts,,"), encoding="utf-8")
    assert "questionnaire,gp_surgery,contacts,," in code_map.read_text(encoding="utf-8")
    study = make_study(extra_toml=f'\n[sources.unit_costs]\npath = "{library}"\n')
    assert reported(config=study) == [
        "code 'gp_surgery' (2 record(s)) has a row in unit_costs/code_map.csv with no unit_cost_code"]


def test_check_is_bounded_as_a_run_and_spills_into_a_folder_of_its_own(tmp_path, make_study, monkeypatch):
    """`check` takes the study's [run] memory limit and temp_directory; its spill folder is its own
    and gone afterwards, so nothing is left in the current folder (DuckDB's default is ./.tmp)."""
    from pfc_econ import extract_check
    from pfc_econ.database import scratch_database

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    config = make_study(extra_toml=f'\n[run]\nmemory_limit = "300MB"\ntemp_directory = "{scratch}"\n')
    seen = {}

    def recording(run=None):
        with scratch_database(run) as con:
            seen["memory_limit"] = con.execute("select current_setting('memory_limit')").fetchone()[0]
            seen["temp_directory"] = Path(con.execute("select current_setting('temp_directory')").fetchone()[0])
            yield con

    monkeypatch.setattr(extract_check, "scratch_database", contextlib.contextmanager(recording))
    monkeypatch.chdir(tmp_path)
    assert check_extract("nspcc_activity", nspcc_file(tmp_path), config=config).verdict == "accept"
    assert seen["memory_limit"] in ("286.1 MiB", "300.0 MB")  # DuckDB shows the limit in its own units
    assert seen["temp_directory"].parent == scratch and seen["temp_directory"].name.startswith("pfc-econ-scratch-")
    assert list(scratch.iterdir()) == [] and not (tmp_path / ".tmp").exists()


def test_scratch_database_defaults_and_removes_its_folder_after_an_error():
    import duckdb

    from pfc_econ.config import DEFAULT_MEMORY_LIMIT
    from pfc_econ.database import scratch_database

    with pytest.raises(ZeroDivisionError):
        with scratch_database() as con:
            folder = Path(con.execute("select current_setting('temp_directory')").fetchone()[0])
            limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
            assert folder.is_dir() and folder.name.startswith("pfc-econ-scratch-")
            1 / 0
    assert not folder.exists()
    with duckdb.connect() as plain:  # DuckDB's own default would be 80% of RAM
        plain.execute(f"set memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
        assert limit == plain.execute("select current_setting('memory_limit')").fetchone()[0]
