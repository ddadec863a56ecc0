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
