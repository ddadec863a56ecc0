"""Checks of the unit-cost library (unit_costs/*.csv, settings.toml).

Schema tests keep the library loadable by the engine; value tests pin key figures to the
published sources as recorded in reference/unit_costs.md, so a mistyped edit fails.
Only the standard library is used.
"""
import csv
import math
import re
import tomllib
from pathlib import Path

import pytest

LIB = Path(__file__).parent.parent / "unit_costs"

UNIT_COST_COLUMNS = [
    "unit_cost_id", "unit_cost_code", "variant", "description", "unit", "cost_gbp", "price_year",
    "sector", "inflation_index", "excludes_travel", "source", "verification", "note",
]
INDEX_COLUMNS = ["index_code", "price_year", "index_value", "base", "vintage", "source", "verification"]
CODE_MAP_COLUMNS = ["source", "source_code", "quantity_unit", "unit_cost_code", "multiplier", "category",
                    "priority_group", "is_transfer", "note", "net_of"]
PERSPECTIVE_COLUMNS = ["perspective", "sector", "is_included", "source"]

UNITS = {"hour", "contact_hour", "contact", "night", "item", "minute", "attendance", "call", "session", "spell", "day",
         "case", "gbp"}
SECTORS = {"nhs", "la_social_care", "education", "police", "justice", "third_sector", "out_of_pocket", "intervention"}
VERIFICATION = {"primary", "secondary", "derived", "assumption", "recalled", "not_found"}
CATEGORIES = {"primary_care", "community_health", "hospital", "mental_health", "social_care", "education",
              "third_sector", "police", "ips_intervention", "direct_support",
              # issue 10 scope (docs/costing.md "Children in care", "Out-of-pocket spending and time off work")
              "children_in_care", "child_protection", "care_proceedings", "out_of_pocket", "time_off_work"}
PRICE_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
ONE_SIXTIETH = 1 / 60

# quantity unit of the source -> unit-cost units it may be converted into
QUANTITY_TO_UNIT = {
    "contacts": {"contact"}, "calls": {"call"}, "attendances": {"attendance"}, "nights": {"night"},
    "meetings": {"contact", "session"}, "hours": {"hour", "contact_hour"}, "parcels": {"item"},
    "sessions": {"session"}, "visits": {"contact"}, "incidents": {"contact"},
    "minutes": {"hour", "contact_hour", "minute"}, "gbp": {"gbp"},
    "admissions": {"spell"}, "days": {"day", "night"}, "cases": {"case"}, "placements": {"case"},
}

REQUIRED_CODES = {
    "questionnaire": {
        "gp_surgery", "gp_phone", "practice_nurse", "health_visitor", "midwife", "nhs111", "walk_in_centre",
        "ae_attendance", "ambulance", "outpatient", "inpatient", "camhs", "adult_mental_health",
        "talking_therapies", "speech_language_therapy", "social_worker_visit", "family_support_worker",
        "cin_meeting", "child_protection_conference", "early_years_setting", "educational_psychologist",
        "food_bank", "parenting_programme", "home_start_volunteer", "domestic_abuse_service", "police_contact", "ips_team",
        "hospital_admission", "foster_care", "kinship_care", "residential_care", "child_protection_plan",
        "care_proceedings", "out_of_pocket", "time_off_work",
    },
    "nspcc_activity": {
        "clinical_psychologist", "child_psychiatrist", "social_worker", "family_engagement_worker", "team_manager",
        "direct_support:vouchers", "direct_support:taxi", "direct_support:food", "direct_support:nappies",
        "direct_support:other",
    },
    "sau_log": {
        "social_worker", "team_manager", "health_visitor", "teacher", "nursery_worker", "gp", "police_officer",
        "family_support_worker", "school_nurse", "camhs_clinician", "midwife", "housing_officer", "other",
        "placement_foster", "placement_kinship", "placement_residential", "child_protection_plan", "care_proceedings",
    },
}
QUESTIONNAIRE_UNITS = {
    "gp_surgery": "contacts", "gp_phone": "contacts", "practice_nurse": "contacts", "health_visitor": "contacts",
    "midwife": "contacts", "nhs111": "calls", "walk_in_centre": "attendances", "ae_attendance": "attendances",
    "ambulance": "contacts", "outpatient": "attendances", "inpatient": "nights", "camhs": "contacts",
    "adult_mental_health": "contacts", "talking_therapies": "contacts", "speech_language_therapy": "contacts",
    "social_worker_visit": "contacts", "family_support_worker": "contacts", "cin_meeting": "meetings",
    "child_protection_conference": "meetings", "early_years_setting": "hours",
    "educational_psychologist": "contacts", "food_bank": "parcels", "parenting_programme": "sessions",
    "home_start_volunteer": "visits", "domestic_abuse_service": "contacts", "police_contact": "incidents", "ips_team": "contacts",
    "hospital_admission": "admissions", "foster_care": "nights", "kinship_care": "nights", "residential_care": "nights",
    "child_protection_plan": "days", "care_proceedings": "cases", "out_of_pocket": "gbp", "time_off_work": "hours",
}
# SAU log status entries (contracts/sau_log.toml): unit and category by type
SAU_STATUS = {"placement_foster": ("nights", "children_in_care"), "placement_kinship": ("nights", "children_in_care"),
              "placement_residential": ("nights", "children_in_care"), "child_protection_plan": ("days", "child_protection"),
              "care_proceedings": ("cases", "care_proceedings")}
SAU_CATEGORIES = {
    "health_visitor": "community_health", "teacher": "education", "nursery_worker": "education",
    "police_officer": "police", "gp": "primary_care", "camhs_clinician": "mental_health",
    "midwife": "community_health", "school_nurse": "community_health",
}


def read_csv(name):
    with open(LIB / name, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def unit_costs():
    return read_csv("unit_costs.csv")[1]


@pytest.fixture(scope="module")
def indices():
    return read_csv("inflation_indices.csv")[1]


@pytest.fixture(scope="module")
def code_map():
    return read_csv("code_map.csv")[1]


@pytest.fixture(scope="module")
def perspectives():
    return read_csv("perspectives.csv")[1]


@pytest.fixture(scope="module")
def settings():
    with open(LIB / "settings.toml", "rb") as f:
        return tomllib.load(f)


def row(unit_costs, code, variant="base"):
    hits = [r for r in unit_costs if r["unit_cost_code"] == code and r["variant"] == variant]
    assert len(hits) == 1, f"expected one row for {code}/{variant}, found {len(hits)}"
    return hits[0]


def cost(unit_costs, code, variant="base"):
    return float(row(unit_costs, code, variant)["cost_gbp"])


def index_value(indices, code, year):
    hits = [float(r["index_value"]) for r in indices if r["index_code"] == code and r["price_year"] == year]
    assert len(hits) == 1, f"expected one value for {code} {year}, found {len(hits)}"
    return hits[0]


# --------------------------------------------------------------------------- schema: unit_costs.csv

def test_unit_costs_columns_exact():
    fields, _ = read_csv("unit_costs.csv")
    assert fields == UNIT_COST_COLUMNS


def test_unit_cost_ids_unique(unit_costs):
    ids = [r["unit_cost_id"] for r in unit_costs]
    assert len(ids) == len(set(ids)), "duplicate unit_cost_id"
    assert all(re.fullmatch(r"[A-Z0-9_]+", i) for i in ids), "ids are upper-case snake case"


def test_code_and_variant_unique_and_every_code_has_base(unit_costs):
    pairs = [(r["unit_cost_code"], r["variant"]) for r in unit_costs]
    assert len(pairs) == len(set(pairs)), "a code may repeat only with a different variant"
    codes = {c for c, _ in pairs}
    missing = sorted(c for c in codes if (c, "base") not in pairs)
    assert not missing, f"codes without a base variant: {missing}"


def test_unit_cost_field_values(unit_costs):
    for r in unit_costs:
        rid = r["unit_cost_id"]
        assert r["unit"] in UNITS, rid
        assert r["sector"] in SECTORS, rid
        assert r["verification"] in VERIFICATION, rid
        assert r["excludes_travel"] in {"true", "false"}, rid
        m = PRICE_YEAR.match(r["price_year"])
        assert m and (int(m.group(1)) + 1) % 100 == int(m.group(2)), f"{rid}: bad price year"
        value = float(r["cost_gbp"])
        assert math.isfinite(value) and value > 0, rid
        assert r["description"].strip() and r["source"].strip(), rid
        if r["unit"] == "gbp":
            assert value == 1, f"{rid}: a gbp unit cost must be 1 (the amount is the cost)"


def test_no_recalled_or_not_found_base_rows(unit_costs):
    bad = [r["unit_cost_id"] for r in unit_costs
           if r["variant"] == "base" and r["verification"] in {"recalled", "not_found"}]
    assert not bad, f"unverified figures used as base: {bad}"


def test_assumption_and_derived_rows_explain_themselves(unit_costs):
    for r in unit_costs:
        if r["verification"] == "assumption":
            assert "assum" in r["note"].lower(), f"{r['unit_cost_id']}: say what is assumed and why"
        if r["verification"] == "derived":
            assert re.search(r"\d\s*[x*/+]\s*\(?\d", r["note"]), f"{r['unit_cost_id']}: give the arithmetic"


# --------------------------------------------------------------------------- schema: indices

def test_index_columns_and_keys(indices):
    fields, _ = read_csv("inflation_indices.csv")
    assert all(c in fields for c in INDEX_COLUMNS)
    keys = [(r["index_code"], r["price_year"]) for r in indices]
    assert len(keys) == len(set(keys)), "one value per index and year"
    for r in indices:
        assert float(r["index_value"]) > 0
        assert r["verification"] in VERIFICATION
        assert r["vintage"].strip() and r["source"].strip() and "=100" in r["base"]


def test_every_unit_cost_index_covers_its_year_and_target(unit_costs, indices):
    have = {(r["index_code"], r["price_year"]) for r in indices}
    for r in unit_costs:
        for year in (r["price_year"], "2023/24"):
            assert (r["inflation_index"], year) in have, \
                f"{r['unit_cost_id']}: index {r['inflation_index']} has no value for {year}"


def fy_range(first, last):
    return {f"{y}/{(y + 1) % 100:02d}" for y in range(first, last + 1)}


def test_index_year_coverage(indices):
    by_code = {}
    for r in indices:
        by_code.setdefault(r["index_code"], set()).add(r["price_year"])
    # every year the sources print: NHSCII changes from 2015/16 (so 2014/15 is the first level), [UC24]
    # Tables 12.1.2-12.1.3 PSS changes from 2008/09 (so 2007/08), the GDP deflator and CPI outturn from 2000/01
    assert by_code["nhscii_pp_uc25"] == fy_range(2014, 2024)
    assert by_code["nhscii_pp_uc24"] == fy_range(2014, 2023)
    assert by_code["nhscii_pp_uc23"] == fy_range(2014, 2022)
    assert by_code["pss_pp_excl_cap"] == by_code["pss_la_pp_excl_cap"] == fy_range(2007, 2023)
    assert by_code["gdp_deflator"] == by_code["cpi_fy"] == fy_range(2000, 2024)


# --------------------------------------------------------------------------- schema: code map

def test_code_map_columns():
    fields, _ = read_csv("code_map.csv")
    assert fields == CODE_MAP_COLUMNS


def test_code_map_targets_exist_with_base(code_map, unit_costs):
    base = {r["unit_cost_code"]: r for r in unit_costs if r["variant"] == "base"}
    for m in code_map:
        if m["priority_group"] == "not_costed":   # kept for triangulation only (docs/costing.md)
            assert m["unit_cost_code"] == "", m["source_code"]
            continue
        assert m["unit_cost_code"] in base, f"{m['source']}:{m['source_code']} -> missing {m['unit_cost_code']}"
        assert m["category"] in CATEGORIES
        unit = base[m["unit_cost_code"]]["unit"]
        assert unit in QUANTITY_TO_UNIT[m["quantity_unit"]], f"{m['source_code']}: {m['quantity_unit']} -> {unit}"
        mult = float(m["multiplier"])
        if m["quantity_unit"] == "minutes" and unit != "minute":
            assert math.isclose(mult, ONE_SIXTIETH, rel_tol=1e-12)
        else:
            assert mult == 1


def test_code_map_covers_every_source_code_exactly(code_map):
    keys = [(m["source"], m["source_code"]) for m in code_map]
    assert len(keys) == len(set(keys)), "a source code is mapped twice"
    for source, codes in REQUIRED_CODES.items():
        mapped = {c for s, c in keys if s == source}
        assert mapped == codes, f"{source}: missing {codes - mapped}, unexpected {mapped - codes}"
    assert {s for s, _ in keys} == set(REQUIRED_CODES)


def test_code_map_units_and_categories(code_map):
    for m in code_map:
        if m["source"] == "questionnaire":
            assert m["quantity_unit"] == QUESTIONNAIRE_UNITS[m["source_code"]], m["source_code"]
        elif m["source"] == "nspcc_activity":
            if m["source_code"].startswith("direct_support:"):
                assert (m["quantity_unit"], m["category"], m["multiplier"]) == ("gbp", "direct_support", "1")
            else:
                assert (m["quantity_unit"], m["category"]) == ("minutes", "ips_intervention")
        elif m["source"] == "sau_log" and m["source_code"] in SAU_STATUS:
            assert (m["quantity_unit"], m["category"], m["priority_group"]) == SAU_STATUS[m["source_code"]] + ("children_in_care",)
        elif m["source"] == "sau_log":
            assert m["quantity_unit"] == "minutes"
            assert m["category"] == SAU_CATEGORIES.get(m["source_code"], "social_care"), m["source_code"]


def test_nspcc_codes_cost_the_intervention_sector(code_map, unit_costs):
    base = {r["unit_cost_code"]: r for r in unit_costs if r["variant"] == "base"}
    for m in code_map:
        if m["source"] == "nspcc_activity":
            assert base[m["unit_cost_code"]]["sector"] == "intervention", m["source_code"]


# --------------------------------------------------------------------------- schema: perspectives, settings

def test_perspectives(perspectives, unit_costs):
    fields, _ = read_csv("perspectives.csv")
    assert fields == PERSPECTIVE_COLUMNS
    included = {}
    for p in perspectives:
        assert p["is_included"] in {"true", "false"}
        assert p["source"].strip()
        included.setdefault(p["perspective"], {})[p["sector"]] = p["is_included"] == "true"
    assert set(included) == {"nhs_pss", "public_sector", "societal"}
    for p, sectors in included.items():
        assert set(sectors) == SECTORS, p
    on = {p: {s for s, v in sectors.items() if v} for p, sectors in included.items()}
    assert on["nhs_pss"] == {"nhs", "la_social_care", "intervention"}
    assert on["public_sector"] == on["nhs_pss"] | {"education", "police", "justice"}
    assert on["societal"] == SECTORS
    assert any("PMG36" in p["source"] for p in perspectives if p["perspective"] == "nhs_pss")
    assert {r["sector"] for r in unit_costs} <= SECTORS


def test_settings(settings, indices):
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", settings["version"])
    assert settings["version"] == "2026.12.2"
    assert settings["default_price_year"] == "2023/24"
    assert any(r["price_year"] == settings["default_price_year"] for r in indices)
    sens = settings["non_contact_time"]["sensitivity"]
    # [UC23] §8.1 H: community S&P staff direct:indirect 1:0.91
    assert sens["community_ahp_ratio"] == 0.91
    # [UC24] Table 12.5.1, p.119: clinical psychologist f2f:other 1:2.03
    assert sens["clinical_psychologist_ratio"] == 2.03
    assert settings["non_contact_time"]["default_allowance"] == 0.0
    att = settings["attendance"]
    for k in ["did_not_attend_contact_share", "did_not_attend_travel_share",
              "cancelled_contact_share", "cancelled_travel_share"]:
        assert 0.0 <= att[k] <= 1.0
    assert settings["site_multipliers"]["Bromley"] == 1.0
    assert "no verified" in settings["site_multipliers"]["note"].lower()


# --------------------------------------------------------------------------- values against the reference

@pytest.mark.parametrize("code, variant, expected, unit, price_year, verification", [
    # [UC24] Table 9.4.2, p.73: GP consultation (10 min) incl DCS, excl quals = £37
    ("gp_consultation", "base", 37, "contact", "2023/24", "primary"),
    # [UC24] Table 9.4.2, p.73: GP consultation incl DCS and quals = £45
    ("gp_consultation", "incl_quals", 45, "contact", "2023/24", "primary"),
    # [UC24] Table 9.4.2, p.73: GP per hour of patient contact, excl DCS & quals = £196
    ("gp_hour", "base", 196, "hour", "2023/24", "primary"),
    # [UC24] Table 9.3.1, p.71: GP practice nurse (Band 5) without quals = £47/hour
    ("practice_nurse_hour", "base", 47, "hour", "2023/24", "primary"),
    # [UC24] Table 6.1.1, p.43: emergency care attendance = £273
    ("ae_attendance", "base", 273, "attendance", "2023/24", "primary"),
    # [UC24] Table 6.1.1, p.43: outpatient attendance, consultant-led = £198
    ("outpatient_attendance", "base", 198, "attendance", "2023/24", "primary"),
    # [UC24] Table 6.1.1: ambulance, average of all incidents = £250
    ("ambulance_incident", "base", 250, "contact", "2023/24", "primary"),
    # [UC24] Table 6.1.1: NHS Talking Therapies care contact = £163
    ("talking_therapies_contact", "base", 163, "contact", "2023/24", "primary"),
    # [UC24] Table 2.1.1, p.20: community mental health service, functional = £280
    ("adult_mental_health_contact", "base", 280, "contact", "2023/24", "primary"),
    # [UC24] Table 2.1.1, p.20: specialist perinatal mental health community service = £313
    ("adult_mental_health_contact", "perinatal", 313, "contact", "2023/24", "primary"),
    # [UC24] Table 9.6.1, p.76 (read on the PDF page): GP-led telephone triage £18.63 per intervention
    ("gp_telephone_consultation", "base", 18.63, "contact", "2023/24", "primary"),
    # [UC24] Table 9.6.1, p.76: nurse-led telephone triage £9.08 per intervention
    ("gp_telephone_consultation", "nurse_led_triage", 9.08, "contact", "2023/24", "primary"),
    # [UC24] Table 6.1.1, p.43: non-elective inpatient stay, short stay £792 / long stay £5,134; day case £1,031
    ("inpatient_spell", "base", 792, "spell", "2023/24", "primary"),
    ("inpatient_spell", "nel_long_stay", 5134, "spell", "2023/24", "primary"),
    ("inpatient_spell", "day_case", 1031, "spell", "2023/24", "primary"),
    # DHSC answer to PQ 165361 (NCC 2020/21): unit cost per day of a non-elective bed, incl treatment = £901
    ("inpatient_night", "base", 901, "night", "2020/21", "secondary"),
    # DHSC answer to PQ 146908 (1 Mar 2023): per day excluding diagnosis and treatment, 2020/21 = £344.60
    ("inpatient_night", "bed_only", 344.60, "night", "2020/21", "secondary"),
    # [UC24] Table 10.1.1, p.84: social worker (adult services), 'per hour without qualifications £48' as printed
    ("adult_social_worker_hour", "printed_excl_capital", 48, "hour", "2023/24", "primary"),
    # [UC23] Table 11.3.2, p.95: consultant psychiatric, excl quals = £109/hour (2022/23)
    ("ips_child_psychiatrist_hour", "uc23", 109, "hour", "2022/23", "primary"),
    # amended 2024 manual Table 11.3.2 (NICE COSTmos scrape): consultant psychiatric excl quals = £121
    ("ips_child_psychiatrist_hour", "base", 121, "hour", "2023/24", "secondary"),
    # NCC 2023/24 CHS N03G (COSTmos transcription): HV other statutory contact f2f = £81.16
    ("health_visitor_contact", "base", 81.16, "contact", "2023/24", "secondary"),
    # NCC 2023/24 CHS N01P: community midwife postnatal visit = £158.39
    ("midwife_contact", "base", 158.39, "contact", "2023/24", "secondary"),
    # NCC 2023/24 CHS A13C1: SLT child one-to-one = £162.06
    ("speech_language_therapy_contact", "base", 162.06, "contact", "2023/24", "secondary"),
    # DfE PQ 193824 / Early Education (Nov 2023): 3-4-year-old national average rate from Sep 2023 = £5.62
    ("early_years_hour", "from_sep_2023", 5.62, "hour", "2023/24", "secondary"),
    # MoJ answer to PQ 244102: average cost of a public law case before the family courts, 2017/18 = £4,180
    ("care_proceedings_case", "base", 4180, "case", "2017/18", "secondary"),
    ("care_proceedings_case", "moj_2016_17", 3790, "case", "2016/17", "secondary"),
    # The Guardian (Feb 2023): Canterbury food bank standard parcel = £34.11
    ("food_bank_parcel", "base", 34.11, "item", "2022/23", "secondary"),
])
def test_verified_values(unit_costs, code, variant, expected, unit, price_year, verification):
    r = row(unit_costs, code, variant)
    assert float(r["cost_gbp"]) == pytest.approx(expected, abs=1e-9)
    assert (r["unit"], r["price_year"], r["verification"]) == (unit, price_year, verification)


@pytest.mark.parametrize("code, variant, expected", [
    # [UC24] Table 10.1.1, p.84 components: (93,011 - 10,082) / 1,607 = £51.60/hour (proxy)
    ("childrens_social_worker_hour", "base", 51.60),
    ("ips_social_worker_hour", "base", 51.60),
    ("sw_team_manager_hour", "base", 51.60),
    ("teacher_hour", "base", 51.60),
    ("police_officer_hour", "base", 51.60),
    ("other_professional_hour", "base", 51.60),
    # [UC24] Table 10.1.1, p.84 components: 93,011 / 1,607 = £57.88/hour with quals (proxy)
    ("childrens_social_worker_hour", "incl_quals", 57.88),
    ("ips_social_worker_hour", "incl_quals", 57.88),
    # [UC24] Table 8.2.1, p.64: community S&P staff Band 7 = £68/working hour; Band 7 for the IPS
    # psychologist is a band-mapping judgement ([UC23] Table 12.3.5), so the row is an assumption (audit)
    ("ips_clinical_psychologist_hour", "base", 68),
    # [UC24] Table 10.6.1, p.89: support and outreach worker = £30/hour (proxy for FSW)
    ("family_support_worker_hour", "base", 30),
    ("ips_family_engagement_worker_hour", "base", 30),
    # [UC24] Table 10.2.1, p.85: social work assistant = £39/hour
    ("family_support_worker_hour", "social_work_assistant", 39),
    # [UC24] Table 9.2.1, p.70: community qualified nurse Band 6 excl quals = £58/hour
    ("health_visitor_hour", "base", 58),
    # Home Office Police costs methodology Table 1: violence without injury = £470 (2022/23)
    ("police_incident", "base", 470),
    # DHSC answer to PQ 146908: £344.60 per day excl treatment, standing in for an excess bed day
    ("inpatient_excess_bed_day", "base", 344.60),
])
def test_assumption_rows_use_verified_inputs(unit_costs, code, variant, expected):
    r = row(unit_costs, code, variant)
    assert float(r["cost_gbp"]) == pytest.approx(expected, abs=1e-9)
    assert r["verification"] == "assumption"


def test_derived_and_assumed_arithmetic(unit_costs):
    # 15-minute practice nurse contact = hourly x 15/60
    assert cost(unit_costs, "practice_nurse_contact") == pytest.approx(cost(unit_costs, "practice_nurse_hour") * 0.25)
    # 60-minute social worker visit = children's SW hourly x 1
    assert cost(unit_costs, "social_worker_visit") == pytest.approx(cost(unit_costs, "childrens_social_worker_hour"))
    assert cost(unit_costs, "family_support_worker_contact") == pytest.approx(
        cost(unit_costs, "family_support_worker_hour"))
    # 60-minute visit at the rebuilt social worker rate
    assert cost(unit_costs, "social_worker_visit") == pytest.approx(51.60)
    # CIN meeting: 1 h x (SW + HV + FSW)
    assert cost(unit_costs, "cin_meeting") == pytest.approx(
        cost(unit_costs, "childrens_social_worker_hour") + cost(unit_costs, "health_visitor_hour")
        + cost(unit_costs, "family_support_worker_hour"))
    # CP conference: 1.5 h x (chair [team manager proxy] + SW + HV + FSW)
    assert cost(unit_costs, "child_protection_conference") == pytest.approx(1.5 * (
        cost(unit_costs, "sw_team_manager_hour") + cost(unit_costs, "childrens_social_worker_hour")
        + cost(unit_costs, "health_visitor_hour") + cost(unit_costs, "family_support_worker_hour")))
    # [UC24] Table 12.5.1, p.119 ratio 1:2.03 -> Band 7 per f2f hour = 68 x 3.03 (reference: £206)
    f2f = cost(unit_costs, "ips_clinical_psychologist_hour", "per_f2f_hour")
    assert f2f == pytest.approx(cost(unit_costs, "ips_clinical_psychologist_hour") * 3.03)
    assert round(f2f) == 206
    # [UC24] Table 9.4.2: GP £3.70 per minute x 10 minutes, now a sensitivity variant of the phone call
    assert cost(unit_costs, "gp_telephone_consultation", "surgery_rate_10min") == pytest.approx(3.70 * 10)
    # [UC24] Table 9.6.1, p.76: per call £18.63 ~ £279 per hour x 4.00 minutes / 60 (= 18.60)
    assert cost(unit_costs, "gp_telephone_consultation") == pytest.approx(279 * 4.00 / 60, abs=0.05)
    assert cost(unit_costs, "gp_telephone_consultation", "nurse_led_triage") == pytest.approx(83 * 6.56 / 60, abs=0.05)
    assert cost(unit_costs, "cin_meeting") == pytest.approx(139.60)
    assert cost(unit_costs, "child_protection_conference") == pytest.approx(286.80)


# [UC24] Table 10.1.1, p.84 (read on the PDF page): the components of a social worker's annual cost
SW_COMPONENTS = {"salary": 40076, "on_costs": 13294, "qualifications": 10082, "direct_overheads": 15477,
                 "indirect_overheads": 8539, "capital": 5543}
SW_TOTAL, SW_HOURS = 93011, 1607


def test_social_worker_rate_rebuilt_from_its_components(unit_costs):
    assert sum(SW_COMPONENTS.values()) == SW_TOTAL
    with_quals = SW_TOTAL / SW_HOURS                                        # 57.878
    without_quals = (SW_TOTAL - SW_COMPONENTS["qualifications"]) / SW_HOURS  # 51.6049, capital kept
    printed = (SW_TOTAL - SW_COMPONENTS["qualifications"] - SW_COMPONENTS["capital"]) / SW_HOURS  # 48.16
    assert cost(unit_costs, "adult_social_worker_hour") == round(without_quals, 2) == 51.60
    assert cost(unit_costs, "adult_social_worker_hour", "incl_quals") == round(with_quals, 2) == 57.88
    assert round(printed) == cost(unit_costs, "adult_social_worker_hour", "printed_excl_capital") == 48
    assert row(unit_costs, "adult_social_worker_hour")["verification"] == "derived"
    assert row(unit_costs, "adult_social_worker_hour", "incl_quals")["verification"] == "derived"
    # every social-work proxy follows the rebuilt rate; none is left on the printed £48
    proxies = ["childrens_social_worker_hour", "social_worker_visit", "sw_team_manager_hour", "ips_social_worker_hour",
               "ips_team_manager_hour", "teacher_hour", "police_officer_hour", "other_professional_hour"]
    for code in proxies:
        assert cost(unit_costs, code) == 51.60, code
    assert not [r["unit_cost_id"] for r in unit_costs if float(r["cost_gbp"]) == 48
                and r["unit_cost_code"] != "adult_social_worker_hour"]


def test_paediatric_spells_recomputed_from_the_ncc_transcription(unit_costs):
    # reference §1.4: activity-weighted P* HRG means, short 737 (688,462 spells), long 4,508 (258,195)
    assert round(cost(unit_costs, "inpatient_spell", "paediatric_short_stay")) == 737
    assert round(cost(unit_costs, "inpatient_spell", "paediatric_long_stay")) == 4508
    for variant, spells in (("paediatric_short_stay", "688,462"), ("paediatric_long_stay", "258,195")):
        assert spells in row(unit_costs, "inpatient_spell", variant)["note"]


def test_rows_an_audit_questioned(unit_costs):
    # reference §9: the IPS psychologist band is a judgement; council family support workers use the LA index
    assert row(unit_costs, "ips_clinical_psychologist_hour")["verification"] == "assumption"
    assert row(unit_costs, "ips_clinical_psychologist_hour", "band_8a")["verification"] == "assumption"
    for code, variant in (("family_support_worker_hour", "base"), ("family_support_worker_hour", "social_work_assistant"),
                          ("family_support_worker_contact", "base")):
        assert row(unit_costs, code, variant)["inflation_index"] == "pss_la_pp_excl_cap"


def test_superseded_psychiatrist_figure_not_used(unit_costs):
    # [UC24] pre-amendment Table 11.3.2, p.106 gives £87 from an implausible salary: do not use.
    assert all(not (r["unit_cost_code"] == "ips_child_psychiatrist_hour" and float(r["cost_gbp"]) == 87)
               for r in unit_costs)


@pytest.mark.parametrize("code, year, expected", [
    # reference §2.1 derived cumulative NHSCII pay & prices, 2015/16 = 100, [UC24] vintage
    ("nhscii_pp_uc24", "2022/23", 121.02),
    ("nhscii_pp_uc24", "2023/24", 126.23),
    # same, 2025-manual vintage (secondary)
    ("nhscii_pp_uc25", "2023/24", 124.01),
    ("nhscii_pp_uc25", "2024/25", 128.99),
    ("nhscii_pp_uc25", "2021/22", 112.76),
    # reference §2.3 GDP deflator (ONS L8GG, 2024/25 = 100)
    ("gdp_deflator", "2022/23", 91.30),
    ("gdp_deflator", "2023/24", 96.11),
    ("gdp_deflator", "2015/16", 74.58),
    # [WNL] seed: GDP deflator 2008-09 = 66.8397, 2000-01 = 54.3697; CPI fiscal-year mean 2023-24 = 131.6750
    ("gdp_deflator", "2008/09", 66.84),
    ("gdp_deflator", "2000/01", 54.37),
    ("cpi_fy", "2023/24", 131.68),
])
def test_index_values(indices, code, year, expected):
    assert round(index_value(indices, code, year), 2) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("code, year, change", [
    # [UC24] Table 12.1.2, p.110 (all sectors, pay & prices excl capital), read on the PDF page
    ("pss_pp_excl_cap", "2008/09", 3.20), ("pss_pp_excl_cap", "2011/12", 0.90), ("pss_pp_excl_cap", "2014/15", 1.00),
    # [UC24] Table 12.1.3, p.111 (local authority services)
    ("pss_la_pp_excl_cap", "2008/09", 3.30), ("pss_la_pp_excl_cap", "2012/13", 0.60), ("pss_la_pp_excl_cap", "2014/15", 1.00),
    # [UC24] Table 12.1.1, p.109 and the 2025-manual vintage: 2015/16 +0.40%
    ("nhscii_pp_uc24", "2015/16", 0.40), ("nhscii_pp_uc25", "2015/16", 0.40), ("nhscii_pp_uc23", "2015/16", 0.40),
])
def test_index_back_years_follow_the_printed_changes(indices, code, year, change):
    start = int(year[:4])
    before = f"{start - 1}/{start % 100:02d}"
    assert index_value(indices, code, year) / index_value(indices, code, before) == pytest.approx(1 + change / 100,
                                                                                                   abs=1e-5)


def test_index_uplifts(indices):
    # index values are stored to 4 dp, hence abs=1e-5
    # reference §2.1: 2022/23 -> 2023/24 uplift x1.0431 ([UC24]) or x1.0247 (2025 vintage)
    assert index_value(indices, "nhscii_pp_uc24", "2023/24") / index_value(indices, "nhscii_pp_uc24", "2022/23") \
        == pytest.approx(1.0431, abs=1e-5)
    assert index_value(indices, "nhscii_pp_uc25", "2023/24") / index_value(indices, "nhscii_pp_uc25", "2022/23") \
        == pytest.approx(1.0247, abs=1e-5)
    # reference §2.2: PSS all sectors excl capital, 2023/24 = +7.4%; LA services = +7.0%
    assert index_value(indices, "pss_pp_excl_cap", "2023/24") / index_value(indices, "pss_pp_excl_cap", "2022/23") \
        == pytest.approx(1.074, abs=1e-5)
    assert index_value(indices, "pss_la_pp_excl_cap", "2023/24") / index_value(
        indices, "pss_la_pp_excl_cap", "2022/23") == pytest.approx(1.070, abs=1e-5)


# --------------------------------------------------------------------------- library versions

FROZEN = LIB / "versions" / "2026.11.0"


def read_frozen(name):
    with open(FROZEN / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_frozen_version_keeps_the_old_rates():
    # library 2026.11.0 costed every social-work proxy at the printed £48 ([UC24] Table 10.1.1), a GP phone
    # call as 10 minutes at £3.70 (Table 9.4.2) and an inpatient night as one short-stay spell (Table 6.1.1)
    old = read_frozen("unit_costs.csv")
    with open(FROZEN / "settings.toml", "rb") as f:
        assert tomllib.load(f)["version"] == "2026.11.0"
    for code, expected in [("childrens_social_worker_hour", 48), ("social_worker_visit", 48), ("ips_social_worker_hour", 48),
                           ("gp_telephone_consultation", 37), ("inpatient_night", 792), ("cin_meeting", 136),
                           ("child_protection_conference", 276)]:
        assert cost(old, code) == expected, code
    assert {r["price_year"] for r in read_frozen("inflation_indices.csv") if r["index_code"] == "pss_pp_excl_cap"} \
        == fy_range(2015, 2023)


def test_current_library_keeps_every_old_index_value(indices):
    # extending the indices back and forward never moves a value the old version had
    new = {(r["index_code"], r["price_year"]): r["index_value"] for r in indices}
    for r in read_frozen("inflation_indices.csv"):
        assert new[(r["index_code"], r["price_year"])] == r["index_value"], (r["index_code"], r["price_year"])


def test_config_selects_a_library_version(tmp_path):
    from pfc_econ.config import parse_config
    from pfc_econ.errors import ConfigError
    from pfc_econ.manifest import library_version

    (tmp_path / "r.csv").write_text("x\n", encoding="utf-8")
    base = {"sources": {"randomisation": {"path": "r.csv"}, "questionnaire": {"path": "r.csv"}}}

    def parse(unit_costs):
        return parse_config({**base, "sources": {**base["sources"], "unit_costs": unit_costs}}, tmp_path / "s.toml")

    old = parse({"version": "2026.11.0"}).sources["unit_costs"].path
    assert old == FROZEN and library_version(old) == "2026.11.0"
    assert library_version(parse({"version": "2026.12.2"}).sources["unit_costs"].path) == "2026.12.2"
    assert library_version(parse({"version": "2026.12.1"}).sources["unit_costs"].path) == "2026.12.1"
    assert library_version(parse({"version": "2026.12.0"}).sources["unit_costs"].path) == "2026.12.0"
    with pytest.raises(ConfigError, match="no such unit-cost library"):
        parse({"version": "1999.1.0"})
    with pytest.raises(ConfigError, match="either path or version"):
        parse({"version": "2026.11.0", "path": "."})


def test_old_version_reproduces_old_costs_through_the_pipeline(make_study, run_study):
    # the hand-worked costs of tests/test_costing.py under library 2026.11.0: 4 social-worker contacts
    # x £48 = 192.00; the SAU follow-up 48 + 58 + 24 + 36 = 166.00 (nhs_pss) and 214.00 with the teacher,
    # plus (the shipped library maps it) the housing officer 45/60 x £39 = 29.25 -> 243.25
    from test_costing import NSPCC, QUESTIONNAIRE, SAU, family_costs

    # social work from the SAU log, as the old library's hand-worked figures were (docs/costing.md "Like for like")
    toml = '\n[sources.unit_costs]\nversion = "2026.11.0"\n\n[costing]\narm_specific_logs = true\n'
    con = run_study(make_study(questionnaire=QUESTIONNAIRE, nspcc=NSPCC, sau=SAU, extra_toml=toml), out="old")
    got = family_costs(con)
    assert got[("PFC-B-002", "pre_baseline", "nhs_pss")][0] == pytest.approx(192.00)
    assert got[("PFC-B-002", "follow_up", "public_sector")][0] == pytest.approx(214.00 + 29.25)
    assert con.execute("select max(unit_cost_gbp) from int_unit_costs_inflated "
                       "where unit_cost_code = 'childrens_social_worker_hour' and variant = 'base'").fetchone()[0] == 48


# --------------------------------------------------------------------------- unit costs issue 10 added

@pytest.mark.parametrize("code, unit, sector, verification", [
    ("foster_care_night", "night", "la_social_care", "derived"),
    ("kinship_care_night", "night", "la_social_care", "assumption"),
    ("residential_care_night", "night", "la_social_care", "assumption"),
    ("care_proceedings_case", "case", "justice", "secondary"),
    ("child_protection_plan_day", "day", "la_social_care", "assumption"),
    ("parent_time_off_work_hour", "hour", "out_of_pocket", "assumption"),
    ("out_of_pocket_gbp", "gbp", "out_of_pocket", "assumption"),
    ("direct_support_transfer_gbp", "gbp", "intervention", "assumption"),
    ("direct_support_resource_gbp", "gbp", "intervention", "assumption"),
])
def test_interface_codes_exist_with_their_unit_and_label(unit_costs, code, unit, sector, verification):
    # docs: /work/helpers/interfaces.md "unitcosts <-> costing: unit-cost codes"
    r = row(unit_costs, code)
    assert (r["unit"], r["sector"], r["verification"]) == (unit, sector, verification)


def test_new_unit_costs_against_their_cited_figures(unit_costs):
    # PSSRU blog on Unit Costs 2017, p.86: foster care £646 per child per week (2016/17) -> per night / 7
    assert cost(unit_costs, "foster_care_night") == round(646 / 7, 2) == 92.29
    assert row(unit_costs, "foster_care_night")["price_year"] == "2016/17"
    # DfE answer to PQ 49075: foster care 'around £600' and a children's home 'around £3,000' per week
    assert cost(unit_costs, "foster_care_night", "dfe_around_600") == round(600 / 7, 2)
    assert cost(unit_costs, "residential_care_night") == round(3000 / 7, 2) == 428.57
    # kinship placement assumed at the foster care cost
    assert cost(unit_costs, "kinship_care_night") == cost(unit_costs, "foster_care_night")
    # CP plan: (26 visits x £51.60 + 2 review conferences x £286.80) / 365 days
    visit, conference = cost(unit_costs, "social_worker_visit"), cost(unit_costs, "child_protection_conference")
    assert cost(unit_costs, "child_protection_plan_day") == round((26 * visit + 2 * conference) / 365, 2) == 5.25
    # ONS ASHE 2023: median full-time weekly earnings £682 (April 2023), over an assumed 37.5-hour week
    assert cost(unit_costs, "parent_time_off_work_hour") == round(682 / 37.5, 2) == 18.19
    # money: the amount is the cost; out-of-pocket spending is moved with consumer prices (CPI)
    assert row(unit_costs, "out_of_pocket_gbp")["inflation_index"] == "cpi_fy"
    # early years: (5 x £5.29 + 7 x £5.62) / 12 over financial year 2023/24
    assert cost(unit_costs, "early_years_hour") == round((5 * 5.29 + 7 * 5.62) / 12, 2) == 5.48
    assert "193824" not in row(unit_costs, "early_years_hour", "under_2")["source"].split(";")[0]
