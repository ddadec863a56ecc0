"""Direct identifiers (issue 9, Build 3): column names after normalising, values masked by pattern.

The spellings are real-world column names seen in survey-platform exports, NHS and local-authority
extracts and data-collection forms; each must be recognised as the identifier it names, and no
column of any shipped contract may be.
"""

from __future__ import annotations

import pytest

from pfc_econ.contracts import load_contracts
from pfc_econ.identifiers import classify_value, identifier_kind

SPELLINGS = [
    ("NHS Number", "nhs_number"), ("NHS No", "nhs_number"), ("nhs_no", "nhs_number"), ("NHSNumber", "nhs_number"),
    ("CHI Number", "chi_number"), ("CHI", "chi_number"), ("Date of birth", "date_of_birth"),
    ("DOB", "date_of_birth"), ("date-of-birth", "date_of_birth"), ("Child's DOB", "date_of_birth"),
    ("BirthDate", "date_of_birth"), ("2_child_date_of_birth", "date_of_birth"), ("Post code", "postcode"),
    ("Postcode", "postcode"), ("POST_CODE", "postcode"), ("Home postcode", "postcode"), ("Zip Code", "postcode"),
    ("E-mail", "email"), ("Email Address", "email"), ("RecipientEmail", "email"), ("e_mail", "email"),
    ("Tel", "phone"), ("Tel.", "phone"), ("Mobile", "phone"), ("Mobile No.", "phone"), ("Telephone number", "phone"),
    ("Phone", "phone"), ("Contact number", "phone"), ("Mother's name", "name"), ("Mothers Name", "name"),
    ("First name", "name"), ("Surname", "name"), ("RecipientLastName", "name"), ("v1_child_name", "name"),
    ("Forename(s)", "name"), ("Address line 1", "address"), ("Address Line 2", "address"),
    ("Street", "address"), ("Town", "address"), ("IPAddress", "ip_address"), ("IP address", "ip_address"),
    ("LocationLatitude", "location"), ("Location Longitude", "location"), ("NI number", "national_insurance"),
]


@pytest.mark.parametrize("column, kind", SPELLINGS)
def test_real_world_spellings_are_identifiers(column, kind):
    assert identifier_kind(column) == kind


def test_the_list_is_long_enough():
    assert len(SPELLINGS) >= 30


def test_no_contract_column_reads_as_an_identifier_unless_marked():
    flagged = [(s, c.name) for s, contract in load_contracts().items() for t in contract.tables for c in t.columns
               if not c.is_identifier and identifier_kind(c.name)]
    assert flagged == []


# NHS number check digit, worked by hand (NHS Data Dictionary, "NHS Number": weights 10..2 on the
# first nine digits, 11 - remainder mod 11, 11 -> 0, 10 invalid): 943 476 591 ->
# 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9, so 9434765919 is valid
# and 9434765918 is not. CHI: DDMMYY 010190 + 123 -> 0+9+0+7+54+0+4+6+6 = 86; 86 mod 11 = 9; check 2.
@pytest.mark.parametrize("value, is_date_column, kind", [
    ("parent@example.org", False, "email"), ("write to jo.bloggs+pfc@nhs.net please", False, "email"),
    ("9434765919", False, "nhs_number"), ("943 476 5919", False, "nhs_number"), ("943-476-5919", False, "nhs_number"),
    ("9434765918", False, None), ("0101901232", False, "chi_number"), ("07700 900123", False, "phone"),
    ("+44 7700 900123", False, "phone"), ("020 7946 0958", False, "phone"), ("(01632) 960 001", False, "phone"),
    ("SW1A 1AA", False, "postcode"), ("g2 1dh", False, "postcode"), ("192.0.2.10", False, "ip_address"),
    ("12/03/2021", False, "date_of_birth"), ("2021-03-12", False, "date_of_birth"), ("2021-03-12", True, None),
    ("home_visit", False, None), ("PFC-B-001", False, None), ("60", False, None), ("12.50", False, None),
    ("2023/24", False, None), ("social_worker;health_visitor", False, None), ("R_b001t1", False, None),
    ("PFC-B-001-P1", False, None), ("1234567", False, None),
])
def test_values_are_classified_by_pattern(value, is_date_column, kind):
    assert classify_value(value, is_date_column) == kind


# --- end to end: no planted identifier reaches the database, exports, report or printed output ---

PLANTED = {  # (source, column): value, each an identifier of a different kind in a kept or dropped column
    ("randomisation", "withdrawal_reason"): "mum.smith@example.org",
    ("questionnaire", "ghq_2"): "07700 900123",
    ("questionnaire", "parent_age"): "9434765919",
    ("questionnaire", "UserLanguage"): "SW1A 1AA",
    ("questionnaire", "ExternalReference"): "ref-jo.bloggs-77",
    ("questionnaire", "DistributionChannel"): "Joanna Bloggs list",
    ("nspcc_activity", "mode"): "0101901232",
    ("nspcc_activity", "support_type"): "12/03/2021",
    ("nspcc_activity", "NHS Number"): "4505577104",
    ("sau_log", "referral_to"): "192.0.2.77",
    ("sau_log", "attendees"): "social_worker;gran@example.net",
    ("sau_log", "Date of birth"): "2020-02-29",
    ("sau_log", "Mother's name"): "Anwen Prydderch",
}


def _planted_study(make_study):
    from conftest import NSPCC, QUESTIONNAIRE, RANDOMISATION, SAU, questionnaire_columns, write_csv, write_survey
    rows = {"randomisation": [dict(r) for r in RANDOMISATION], "questionnaire": [dict(r) for r in QUESTIONNAIRE],
            "nspcc_activity": [dict(r) for r in NSPCC], "sau_log": [dict(r) for r in SAU]}
    for (source, column), value in PLANTED.items():
        rows[source][0][column] = value
    config = make_study()
    folder = config.parent
    write_csv(folder / "randomisation.csv", rows["randomisation"])
    write_survey(folder / "questionnaire.csv", rows["questionnaire"], questionnaire_columns())
    write_csv(folder / "nspcc_activity.csv", rows["nspcc_activity"], list(rows["nspcc_activity"][0]))
    write_csv(folder / "sau_log.csv", rows["sau_log"], list(rows["sau_log"][0]))
    return config


def _database_text(database) -> str:
    import duckdb
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        parts = []
        for table in tables:
            parts += [str(row) for row in con.execute(f'select * from "{table}"').fetchall()]
        return "\n".join(parts)


def test_no_planted_identifier_is_stored_exported_reported_or_printed(make_study, tmp_path, capsys):
    from pfc_econ.cli import main
    config = _planted_study(make_study)
    out = tmp_path / "results"
    assert main(["run", "--config", str(config), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    for source in ("randomisation", "questionnaire", "nspcc_activity", "sau_log"):
        code = main(["check", source, str(config.parent / f"{source}.csv"), "--config", str(config),
                     "--format", "json"])
        assert code == 1  # every extract carries an identifier (a column or a value): rejected
        assert main(["check", source, str(config.parent / f"{source}.csv"), "--config", str(config),
                     "--format", "markdown"]) == 1
    checked = capsys.readouterr()
    haystacks = {"database": _database_text(out / "pfc.duckdb"),
                 "printed": printed.out + printed.err + checked.out + checked.err}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix != ".duckdb":
            haystacks[str(path.relative_to(out))] = path.read_bytes().decode("latin-1")
    for (source, column), value in PLANTED.items():
        found = [name for name, text in haystacks.items() if value in text]
        assert found == [], f"{source}.{column} = {value!r} found in {found}"
    import duckdb
    with duckdb.connect(str(out / "pfc.duckdb"), read_only=True) as con:
        masked = con.execute("select source, field, message from audit_issues where rule = 'identifier_value_masked' "
                             "order by 1, 2").fetchall()
        assert [(s, f) for s, f, _ in masked] == [
            ("nspcc_activity", "mode"), ("nspcc_activity", "support_type"), ("questionnaire", "UserLanguage"),
            ("questionnaire", "ghq_2"), ("questionnaire", "parent_age"), ("randomisation", "withdrawal_reason"),
            ("sau_log", "attendees"), ("sau_log", "referral_to")]
        assert "read as email were masked as <email>" in dict(((s, f), m) for s, f, m in masked)[
            ("randomisation", "withdrawal_reason")]
        assert con.execute("select value from audit_issues where source = 'nspcc_activity' and field = 'mode' "
                           "and rule = 'not_allowed'").fetchone()[0] == "<chi_number>"
        assert con.execute("select column_name from audit_identifiers where source in ('nspcc_activity', 'sau_log') "
                           "order by 1").fetchall() == [
            ("Date of birth",), ("Mother's name",), ("NHS Number",)]
