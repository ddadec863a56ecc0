"""Checks on the outcome-instrument definitions in instruments/ (data, not code).

Expected values below are transcribed independently from
/work/shared/reference/instruments.md ("the reference"); each test names the section and the
primary source behind it. Only values the reference tags [V-CODE], [V-PAGE], [V-2ND] or
[DERIVED] are asserted as published values; [RECALL] values are only checked to be LABELLED
recall, never asserted as true.
"""

import csv
import math
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

INSTR = Path(__file__).parent.parent / "instruments"

LABELS = {
    "verified_code", "verified_page", "verified_secondary", "derived", "recall",
    "not_found", "synthetic", "assumption", "contract",
}


def read_csv(name):
    with open(INSTR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_toml(name):
    with open(INSTR / name, "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def items():
    return read_csv("items.csv")


@pytest.fixture(scope="module")
def codes():
    return read_csv("answer_codes.csv")


@pytest.fixture(scope="module")
def tariff():
    return {(r["attribute"], int(r["level"])): float(r["value"]) for r in read_csv("icecap_a_tariff.csv")}


@pytest.fixture(scope="module")
def bands():
    return read_csv("sdq_bands.csv")


# ---------------------------------------------------------------- provenance on every row

@pytest.mark.parametrize("name", [
    "items.csv", "answer_codes.csv", "scales.csv", "icecap_a_tariff.csv",
    "sdq_bands.csv", "bcap_key_synthetic.csv",
])
def test_every_row_has_source_and_known_verification_label(name):
    rows = read_csv(name)
    assert rows, name
    for r in rows:
        assert r["verification"] in LABELS, (name, r)
        if "source" in r:
            assert r["source"].strip(), (name, r)


# ---------------------------------------------------------------- structure: item counts

# Counts: GHQ-12 12 (reference §5.2), ICECAP-A 5 (§1.2), SDQ 25 + 5 impact (§6.1),
# PedsQL infant 36 / 45 (Varni 2011 abstract, §2.3 [V-PAGE]), toddler 21 and young child 23
# (§2.2; toddler count is [RECALL] but it is also the pfc export contract pedsql_tod_1.._21),
# BCAP 33 (§7, encyclopedia entry [V-PAGE]), ITSEA 42 and PROM/PREM 6 (pfc export contract).
@pytest.mark.parametrize("instrument,form,n", [
    ("ghq12", "standard", 12),
    ("icecap_a", "standard", 5),
    ("sdq", "p4_17", 30),
    ("sdq", "p2_4", 30),
    ("pedsql", "inf1", 36),
    ("pedsql", "inf2", 45),
    ("pedsql", "tod", 21),
    ("pedsql", "yc", 23),
    ("pedsql", "ycs", 23),
    ("bcap", "standard", 33),
    ("itsea", "standard", 42),
    ("prem", "standard", 6),
])
def test_item_counts(items, instrument, form, n):
    got = [r for r in items if r["instrument"] == instrument and r["form"] == form]
    assert len(got) == n


def test_sdq_has_25_items_and_5_impact_items_per_form(items):
    # Reference §6.1: 25 items; impact supplement (parent) 5 items.
    for form in ("p4_17", "p2_4"):
        rows = [r for r in items if r["instrument"] == "sdq" and r["form"] == form]
        assert sum(r["scale"] != "impact" for r in rows) == 25
        assert sorted(int(r["item"]) for r in rows if r["scale"] == "impact") == [1, 2, 3, 4, 5]


def test_every_item_in_exactly_one_scale(items):
    keys = Counter((r["instrument"], r["form"], r["item_code"]) for r in items)
    dup = [k for k, c in keys.items() if c > 1]
    assert not dup, dup
    assert all(r["scale"].strip() for r in items)


def test_item_codes_follow_export_contract(items):
    # pfc export contract: ghq_N, icecap_N, bcap_N, sdq_N / sdq_imp_N, pedsql_<form>_N, itsea_N, prem_N
    for r in items:
        i, f, n = r["instrument"], r["form"], int(r["item"])
        expected = {
            "ghq12": f"ghq_{n}", "icecap_a": f"icecap_{n}", "bcap": f"bcap_{n}",
            "itsea": f"itsea_{n}", "prem": f"prem_{n}", "pedsql": f"pedsql_{f}_{n}",
            "sdq": f"sdq_imp_{n}" if r["scale"] == "impact" else f"sdq_{n}",
        }[i]
        assert r["item_code"] == expected, r


@pytest.mark.parametrize("instrument,allowed", [
    ("ghq12", {"ghq12"}),
    ("icecap_a", {"stability", "attachment", "autonomy", "achievement", "enjoyment"}),
    ("sdq", {"emotional", "conduct", "hyperactivity", "peer", "prosocial", "impact"}),
    ("bcap", {"abuse_risk", "lie", "random", "unassigned"}),
    ("pedsql", {"physical", "emotional", "social", "school", "nursery_school",
                "physical_symptoms", "cognitive"}),
    ("itsea", {"not_scored"}),
    ("prem", {"not_scored"}),
])
def test_scale_vocabulary(items, instrument, allowed):
    assert {r["scale"] for r in items if r["instrument"] == instrument} <= allowed


# ---------------------------------------------------------------- SDQ

# Reference §6.1 [V-CODE gbiele/masterfile sdq.R @15556d50; awell sdq_inputs.ts]:
# reverse-scored items are exactly 7 obeys, 11 friend, 14 popular, 21 reflect, 25 attends.
def test_sdq_reversed_items_exactly(items):
    for form in ("p4_17", "p2_4"):
        rev = sorted(int(r["item"]) for r in items
                     if r["instrument"] == "sdq" and r["form"] == form and r["is_reversed"] == "true")
        assert rev == [7, 11, 14, 21, 25], form


# Reference §6.1 table (item numbers per subscale), [V-CODE] + official 2-4 doc [V-PAGE].
SDQ_SCALES = {
    "emotional": [3, 8, 13, 16, 24],
    "conduct": [5, 7, 12, 18, 22],
    "hyperactivity": [2, 10, 15, 21, 25],
    "peer": [6, 11, 14, 19, 23],
    "prosocial": [1, 4, 9, 17, 20],
}


def test_sdq_subscale_membership(items):
    for form in ("p4_17", "p2_4"):
        got = defaultdict(list)
        for r in items:
            if r["instrument"] == "sdq" and r["form"] == form and r["scale"] != "impact":
                got[r["scale"]].append(int(r["item"]))
        assert {k: sorted(v) for k, v in got.items()} == SDQ_SCALES, form


def test_only_sdq_reverses_items(items):
    # GHQ-12: no reverse scoring once coded by column (§5.1). PedsQL: the 0-4 -> 100-0
    # transform applies to every item alike and lives in answer_codes.csv (§2.1).
    assert {r["instrument"] for r in items if r["is_reversed"] == "true"} == {"sdq"}


def _value(codes, instrument, form, scoring, reversed_, code):
    hit = [r for r in codes if r["instrument"] == instrument and r["form"] == form
           and r["scoring"] == scoring and r["is_reversed"] == reversed_ and int(r["code"]) == code]
    assert len(hit) == 1, (instrument, form, scoring, reversed_, code, hit)
    return hit[0]["value"]


def test_sdq_item_values_and_reversal(codes):
    # §6.1: 0 not true, 1 somewhat true, 2 certainly true; reversed items score 2/1/0 (abs(x-2)).
    for form in ("p4_17", "p2_4"):
        assert [int(_value(codes, "sdq", form, "sdq_item", "false", c)) for c in (0, 1, 2)] == [0, 1, 2]
        assert [int(_value(codes, "sdq", form, "sdq_item", "true", c)) for c in (0, 1, 2)] == [2, 1, 0]


def test_sdq_impact_values(codes):
    # §6.1 [V-CODE gbiele (x-1)*(x>1)]: not at all 0, only a little 0, medium 1, great deal 2.
    assert [int(_value(codes, "sdq", "p4_17", "sdq_impact", "false", c)) for c in (1, 2, 3, 4)] == [0, 0, 1, 2]


def _band(bands, form, scheme, score):
    rows = sorted((r for r in bands if r["form"] == form and r["scheme"] == scheme and r["score"] == score),
                  key=lambda r: int(r["band"]))
    return [(int(r["min"]), int(r["max"])) for r in rows]


# Reference §6.3, parent 4-17 four-band [V-CODE awell NEWER_FOUR_BAND_CATEGORISATION].
@pytest.mark.parametrize("score,expected", [
    ("total_difficulties", [(0, 13), (14, 16), (17, 19), (20, 40)]),
    ("emotional", [(0, 3), (4, 4), (5, 6), (7, 10)]),
    ("conduct", [(0, 2), (3, 3), (4, 5), (6, 10)]),
    ("hyperactivity", [(0, 5), (6, 7), (8, 8), (9, 10)]),
    ("peer", [(0, 2), (3, 3), (4, 4), (5, 10)]),
    ("prosocial", [(8, 10), (7, 7), (6, 6), (0, 5)]),
    ("impact", [(0, 0), (1, 1), (2, 2), (3, 10)]),
])
def test_sdq_four_band_4_17(bands, score, expected):
    assert _band(bands, "p4_17", "four_band", score) == expected


# Reference §6.3, parent 4-17 original three-band [V-CODE awell ORIGINAL_THREE_BAND_CATEGORISATION].
@pytest.mark.parametrize("score,expected", [
    ("total_difficulties", [(0, 13), (14, 16), (17, 40)]),
    ("emotional", [(0, 3), (4, 4), (5, 10)]),
    ("conduct", [(0, 2), (3, 3), (4, 10)]),
    ("hyperactivity", [(0, 5), (6, 6), (7, 10)]),
    ("peer", [(0, 2), (3, 3), (4, 10)]),
    ("prosocial", [(6, 10), (5, 5), (0, 4)]),
])
def test_sdq_three_band_4_17(bands, score, expected):
    assert _band(bands, "p4_17", "three_band", score) == expected


def test_sdq_three_band_impact_4_17(bands):
    # awell sdq_standards.ts ORIGINAL_THREE_BAND_CATEGORISATION PARENT_COMPLETED_SDQ IMPACT @a892e549
    # (read for issue 12): normal 0, borderline 1, abnormal 2-10
    assert _band(bands, "p4_17", "three_band", "impact") == [(0, 0), (1, 1), (2, 10)]


def test_each_sdq_band_table_has_one_source_and_label(bands):
    # int_instrument_bands reports one verification label per table; a table must not mix them
    groups = defaultdict(set)
    for r in bands:
        groups[(r["form"], r["scheme"], r["score"])].add((r["source"], r["verification"]))
    assert all(len(v) == 1 for v in groups.values()), groups


# Reference §6.3 [V-2ND BMC Pediatrics 2023 doi:10.1186/s12887-023-03837-1 Table 2]:
# 2-4 borderline >= / abnormal >= (prosocial: <=).
@pytest.mark.parametrize("score,borderline,abnormal", [
    ("total_difficulties", 13, 16),
    ("emotional", 3, 4),
    ("peer", 3, 4),
    ("conduct", 4, 5),
    ("hyperactivity", 6, 7),
])
def test_sdq_2_4_cutoffs(bands, score, borderline, abnormal):
    b = _band(bands, "p2_4", "three_band", score)
    assert b[1][0] == borderline and b[2][0] == abnormal and b[0][1] == borderline - 1


def test_sdq_2_4_prosocial_cutoffs(bands):
    b = _band(bands, "p2_4", "three_band", "prosocial")
    assert b[1] == (6, 6) and b[2][1] == 5  # borderline <= 6, abnormal <= 5


def test_sdq_bands_tile_the_scale_without_gaps(bands):
    groups = defaultdict(list)
    for r in bands:
        groups[(r["form"], r["scheme"], r["score"])].append((int(r["min"]), int(r["max"])))
    for k, rg in groups.items():
        covered = sorted(v for a, b in rg for v in range(a, b + 1))
        top = 40 if k[2] == "total_difficulties" else 10
        assert covered == list(range(0, top + 1)), k


def test_no_sdq_four_band_for_2_4(bands):
    # Reference §6.3: the 2-4 four-band table (official Table 3) is [NOT FOUND]; must not be invented.
    assert not [r for r in bands if r["form"] == "p2_4" and r["scheme"] == "four_band"]


# ---------------------------------------------------------------- GHQ-12

# Reference §5.2 [V-CODE awell ghq_12_inputs.ts]: positive 1,3,4,7,8,12; negative 2,5,6,9,10,11.
def test_ghq_wording_classes(items):
    ghq = {int(r["item"]): r["wording_class"] for r in items if r["instrument"] == "ghq12"}
    assert sorted(i for i, w in ghq.items() if w == "positive") == [1, 3, 4, 7, 8, 12]
    assert sorted(i for i, w in ghq.items() if w == "negative") == [2, 5, 6, 9, 10, 11]


def test_ghq_scoring_values(codes):
    # Reference §5.1 [V-PAGE Donath 2001]: Likert 0-1-2-3 and GHQ 0-0-1-1 by response column 1-4.
    assert [int(_value(codes, "ghq12", "standard", "likert", "false", c)) for c in (1, 2, 3, 4)] == [0, 1, 2, 3]
    assert [int(_value(codes, "ghq12", "standard", "ghq", "false", c)) for c in (1, 2, 3, 4)] == [0, 0, 1, 1]


def test_cghq_values_by_wording_class(codes):
    # Donath 2001 (sage.cnpereading.com page): C-GHQ scores positive items 0-0-1-1 (the GHQ method)
    # and negative items 0-1-1-1 (Goodchild & Duncan-Jones); by response column 1-4.
    def cghq(wording):
        rows = sorted((r for r in codes if r["scoring"] == "cghq" and r["wording_class"] == wording),
                      key=lambda r: int(r["code"]))
        return [int(r["value"]) for r in rows]
    assert cghq("positive") == [0, 0, 1, 1]
    assert cghq("negative") == [0, 1, 1, 1]
    # only the C-GHQ depends on wording; every other answer code applies to every item of its form
    assert {r["scoring"] for r in codes if r["wording_class"]} == {"cghq"}


def test_cghq_caseness():
    # Donath 2001 abstract: "The best threshold with C-GHQ was 3/4" (Australian survey)
    g = read_toml("ghq12_rules.toml")["caseness"]["cghq"]
    assert (g["score"], g["threshold"], g["comparison"], g["verification"]) == ("cghq", 4, ">=", "verified_page")


def test_ghq_caseness():
    # Reference §5.3: >= 4 [V-PAGE HSE 2012 ch. 4]; >= 3 is [RECALL] and must carry that label.
    g = read_toml("ghq12_rules.toml")
    assert g["caseness"]["default"]["threshold"] == 4
    assert g["caseness"]["default"]["comparison"] == ">="
    assert g["caseness"]["default"]["verification"] == "verified_page"
    assert g["caseness"]["alternative"]["threshold"] == 3
    assert g["caseness"]["alternative"]["verification"] == "recall"
    assert g["missing"]["rule_verification"] == "not_found"
    assert g["missing"]["engine_assumption_verification"] == "assumption"


# ---------------------------------------------------------------- ICECAP-A

# Reference §1.1 [V-CODE huyslab core/questionnaire_scores.jl @c0597b5d], Flynn et al. 2015.
ICECAP_EXPECTED = {
    "stability": (0.222, 0.191, 0.101, -0.001),
    "attachment": (0.228, 0.189, 0.096, -0.024),
    "autonomy": (0.188, 0.156, 0.084, 0.006),
    "achievement": (0.181, 0.159, 0.091, 0.021),
    "enjoyment": (0.181, 0.154, 0.069, -0.003),
}


@pytest.mark.parametrize("attribute", list(ICECAP_EXPECTED))
def test_icecap_attribute_values(tariff, attribute):
    for level, v in zip((4, 3, 2, 1), ICECAP_EXPECTED[attribute]):
        assert tariff[(attribute, level)] == pytest.approx(v, abs=1e-9)


def test_icecap_tariff_is_complete(tariff):
    assert len(tariff) == 20


def test_icecap_anchor_states(tariff):
    # Reference §1.1 column sums: 44444 = 1.000; 11111 = -0.001 (with these 3-dp values).
    attrs = list(ICECAP_EXPECTED)
    assert round(sum(tariff[(a, 4)] for a in attrs), 3) == 1.000
    assert round(sum(tariff[(a, 1)] for a in attrs), 3) == -0.001


def test_icecap_option_position_maps_to_level(codes, items):
    # pfc export: code = option position, position 1 = top (full capability) = level 4
    # (reference §1.2 [V-CODE clinicedc/edc-qol choices.py]). Questionnaire order per contract.
    assert [int(_value(codes, "icecap_a", "standard", "level", "false", c)) for c in (1, 2, 3, 4)] == [4, 3, 2, 1]
    order = [r["scale"] for r in sorted((r for r in items if r["instrument"] == "icecap_a"), key=lambda r: int(r["item"]))]
    assert order == ["stability", "attachment", "autonomy", "achievement", "enjoyment"]


def test_icecap_scoring_is_a_join(codes, items, tariff):
    # all answered at position 1 -> 44444 -> 1.000 ; all at position 4 -> 11111 -> -0.001
    level = {int(r["code"]): int(r["value"]) for r in codes if r["instrument"] == "icecap_a"}
    atts = [r["scale"] for r in items if r["instrument"] == "icecap_a"]
    assert round(sum(tariff[(a, level[1])] for a in atts), 3) == 1.000
    assert round(sum(tariff[(a, level[4])] for a in atts), 3) == -0.001


# ---------------------------------------------------------------- PedsQL

def test_pedsql_transform(codes):
    # Reference §2.1 [V-PAGE pedsql.org/score.html]: 0->100, 1->75, 2->50, 3->25, 4->0.
    for form in ("inf1", "inf2", "tod", "yc"):
        assert [int(_value(codes, "pedsql", form, "pedsql_0_100", "false", c)) for c in range(5)] == [100, 75, 50, 25, 0]


def test_pedsql_young_child_self_report_codes(codes):
    # Young child self-report (5-7) 3-point scale 0 / 2 / 4 [V-2ND fr3sby2/ftr-site, reference §2.1],
    # transformed as pedsql.org rule 1: 0 -> 100, 2 -> 50, 4 -> 0; codes 1 and 3 do not exist
    ycs = {int(r["code"]): int(r["value"]) for r in codes if r["instrument"] == "pedsql" and r["form"] == "ycs"}
    assert ycs == {0: 100, 2: 50, 4: 0}


def test_pedsql_recall_counts_are_labelled_recall(items):
    # Reference §2.2-2.3: per-scale counts for toddler, young child and infant forms are [RECALL].
    for r in items:
        if r["instrument"] == "pedsql":
            assert r["verification"] == "recall", r


def test_pedsql_generic_core_scale_sizes(items):
    # Reference §2.2: toddler 8/5/5/3, young child 8/5/5/5 (both [RECALL]; checked as recorded).
    def sizes(form):
        return Counter(r["scale"] for r in items if r["instrument"] == "pedsql" and r["form"] == form)
    assert sizes("tod") == {"physical": 8, "emotional": 5, "social": 5, "nursery_school": 3}
    assert sizes("yc") == {"physical": 8, "emotional": 5, "social": 5, "school": 5}


def test_pedsql_min_answered_follows_half_rule():
    # Reference §2.1: more than 50% of a scale's items missing -> not scored, i.e. at least
    # ceil(n/2) answered [DERIVED from V-PAGE rule].
    scales = read_csv("scales.csv")
    items = read_csv("items.csv")
    for s in scales:
        if s["instrument"] != "pedsql":
            continue
        pooled = s["composition"].removeprefix("items:").split("|")
        n = sum(1 for r in items if r["instrument"] == "pedsql" and r["form"] == s["form"] and r["scale"] in pooled)
        assert int(s["min_answered"]) == math.ceil(n / 2), s


def test_pedsql_summary_composition():
    # Reference §2.1 rule 3-5: psychosocial = pooled emotional+social+school items; physical health
    # = physical functioning; total = all items pooled.
    s = {(r["form"], r["score"]): r["composition"] for r in read_csv("scales.csv") if r["instrument"] == "pedsql"}
    assert s[("yc", "psychosocial_health")] == "items:emotional|social|school"
    assert s[("yc", "physical_health")] == "items:physical"
    assert s[("tod", "total")] == "items:physical|emotional|social|nursery_school"


# ---------------------------------------------------------------- SDQ / other scale rules

def test_sdq_prorating_rule():
    # Reference §6.2 [V-CODE gbiele sdq.R]: >= 3 of 5 answered, mean x 5, rounded half up.
    for r in read_csv("scales.csv"):
        if r["instrument"] == "sdq" and r["score"] in SDQ_SCALES:
            assert r["items_rule"] == "prorated_sum_round_half_up" and r["min_answered"] == "3"
        if r["instrument"] == "sdq" and r["score"] == "total_difficulties":
            assert r["composition"] == "scores:emotional|conduct|hyperactivity|peer"


def test_icecap_all_five_rule_is_labelled_recall():
    # Reference §1.2: official missing rule [NOT FOUND]; 'all 5 answered' is [RECALL].
    r = [r for r in read_csv("scales.csv") if r["instrument"] == "icecap_a"][0]
    assert r["min_answered"] == "5" and r["min_answered_status"] == "recall"


def test_unscored_instruments_are_not_scored():
    for r in read_csv("scales.csv"):
        if r["instrument"] in ("itsea", "prem"):
            assert r["items_rule"] == "count_answered" and "NOT scored" in r["note"]


# ---------------------------------------------------------------- BCAP

def test_bcap_real_key_not_in_items(items):
    # Reference §7: the key is proprietary (Psytec); items.csv must not claim an assignment.
    assert {r["scale"] for r in items if r["instrument"] == "bcap"} == {"unassigned"}
    assert {r["verification"] for r in items if r["instrument"] == "bcap"} == {"not_found"}


def test_bcap_synthetic_key():
    # Reference §7 [V-PAGE]: 33 items = 24 abuse risk + 6 lie + 3 random. Key itself SYNTHETIC.
    assert (INSTR / "bcap_key_synthetic.csv").exists()  # "synthetic" in the file name
    rows = read_csv("bcap_key_synthetic.csv")
    assert sorted(int(r["item"]) for r in rows) == list(range(1, 34))
    assert Counter(r["scale"] for r in rows) == {"abuse_risk": 24, "lie": 6, "random": 3}
    assert all(r["verification"] == "synthetic" and "SYNTHETIC" in r["note"] for r in rows)
    assert {r["keyed_response"] for r in rows} <= {"agree", "disagree"}


def test_bcap_rules():
    b = read_toml("bcap_rules.toml")
    # Reference §7 [V-PAGE s10578-021-01157-y]: cut-off 12 (Ondersma) and 9 (sensitive).
    assert b["cutoffs"]["default"]["abuse_risk_threshold"] == 12
    assert b["cutoffs"]["sensitive"]["abuse_risk_threshold"] == 9
    assert (b["instrument"]["n_abuse_risk"], b["instrument"]["n_lie"], b["instrument"]["n_random"]) == (24, 6, 3)
    assert b["validity"]["lie_threshold_verification"] == "not_found"
    assert b["validity"]["random_threshold_verification"] == "not_found"
    assert b["missing_and_not_sure"]["rule_verification"] == "not_found"
    assert b["missing_and_not_sure"]["engine_assumption_verification"] == "assumption"
    assert b["instrument"]["key_verification"] == "synthetic"


# ---------------------------------------------------------------- mappings

MAPPINGS = ["kelly_2023", "sweeney_2020", "lambe_2018", "illustrative_linear"]


@pytest.mark.parametrize("name", MAPPINGS)
def test_mapping_file_shape(name):
    m = read_toml(f"mappings/{name}.toml")
    assert m["name"] == name
    assert m["status"] in {"verified", "coefficients_not_found", "illustrative"}
    for key in ("citation", "doi", "table", "link", "terms", "bounds", "validated"):
        assert key in m, key
    coeffs = [t for t in m["terms"] if "coefficient" in t]
    if m["status"] == "verified":
        assert coeffs and m["table"], "a verified mapping must name its table and carry coefficients"
    if m["status"] == "coefficients_not_found":
        assert coeffs == [], "no coefficients may be typed for an unverified mapping"


def test_exactly_one_default_mapping_and_it_is_kelly():
    defaults = [n for n in MAPPINGS if read_toml(f"mappings/{n}.toml").get("default")]
    assert defaults == ["kelly_2023"]


def test_kelly_validated_ages():
    # Reference §3 [V-PAGE abstract]: ages 0-16.
    v = read_toml("mappings/kelly_2023.toml")["validated"]
    assert (v["age_min_years"], v["age_max_years"]) == (0, 16)


def test_lambe_fit_statistics():
    # Reference §3 [V-PAGE abstract]: GLM MAE 0.0408, MSE 0.0035, 53% within 0.03.
    f = read_toml("mappings/lambe_2018.toml")["fit"]
    assert (f["mae"], f["mse"], f["share_within_0_03"]) == (0.0408, 0.0035, 0.53)


def test_illustrative_linear_anchors():
    # DERIVED: 100 -> 1.0 and 0 -> 0.3369, the CHU-9D UK value-set minimum
    # (reference §4, PMC5997719 Table 2 [V-2ND]).
    m = read_toml("mappings/illustrative_linear.toml")
    assert m["status"] == "illustrative" and "ILLUSTRATIVE" in (INSTR / "mappings/illustrative_linear.toml").read_text()
    c = {t["term"]: t["coefficient"] for t in m["terms"]}
    predict = lambda total: c["intercept"] + c["pedsql_total"] * total
    assert predict(100) == pytest.approx(1.0, abs=1e-9)
    assert predict(0) == pytest.approx(0.3369, abs=1e-9)
    assert m["bounds"]["lower"] == 0.3369 and m["bounds"]["upper"] == 1.0
    for ex in m["fit"]["examples"]:
        assert predict(ex["pedsql_total"]) == pytest.approx(ex["utility"], abs=1e-9)


@pytest.mark.parametrize("name", ["kelly_2023"])
def test_chu9d_uk_bounds(name):
    # Reference §4 [V-2ND PMC5997719 Table 2]: UK value set 0.3369 to 1.
    b = read_toml(f"mappings/{name}.toml")["bounds"]
    assert (b["lower"], b["upper"]) == (0.3369, 1.0)
