"""Outcome scoring against published values and hand calculations.

Each expected value cites its source: /work/shared/reference/instruments.md (§ numbers) and the
instruments/ files that transcribe it. Scores come from the same SQL the pipeline runs, through
``pfc_econ.scoring.score_file`` (fast, in memory) or a small pipeline run for the marts.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import QUESTIONNAIRE, response
from pfc_econ.cli import main
from pfc_econ.paths import INSTRUMENTS_DIR
from pfc_econ.scoring import score_file

TOD_PHYSICAL = [f"pedsql_tod_{i}" for i in range(1, 9)]       # items.csv: tod items 1-8 physical
TOD_EMOTIONAL = [f"pedsql_tod_{i}" for i in range(9, 14)]     # 9-13 emotional
TOD_SOCIAL = [f"pedsql_tod_{i}" for i in range(14, 19)]       # 14-18 social
TOD_NURSERY = [f"pedsql_tod_{i}" for i in range(19, 22)]      # 19-21 nursery/school


def score(tmp_path: Path, instrument: str, rows: list[dict], **kw) -> dict[str, dict]:
    columns = sorted({c for r in rows for c in r}, key=lambda c: (c != "id", c))
    path = tmp_path / f"{instrument}.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    result = score_file(instrument, path, **kw)
    return {r[0]: dict(zip(result.columns, r)) for r in result.rows}


# ------------------------------------------------------------------------------ ICECAP-A

def icecap(levels: str) -> dict:
    # answer code = option position; position 1 = level 4 (reference §1.2, answer_codes.csv)
    return {f"icecap_{i}": str(5 - int(level)) for i, level in enumerate(levels, 1)}


def test_icecap_a_tariff_anchors_and_a_mixed_profile(tmp_path):
    out = score(tmp_path, "icecap_a", [
        {"id": "best", **icecap("44444")}, {"id": "worst", **icecap("11111")},
        {"id": "mixed", **icecap("34213")}, {"id": "four_answered", **icecap("4444"), "icecap_5": ""}])
    # Flynn et al. 2015 tariff, 3 dp (reference §1.1 table, column sums): 44444 -> 1.000, 11111 -> -0.001
    assert out["best"]["value_value"] == pytest.approx(1.000, abs=1e-9)
    assert out["worst"]["value_value"] == pytest.approx(-0.001, abs=1e-9)
    # by hand from reference §1.1: stability 3 0.191 + attachment 4 0.228 + autonomy 2 0.084
    # + achievement 1 0.021 + enjoyment 3 0.154 = 0.678
    assert out["mixed"]["value_value"] == pytest.approx(0.678, abs=1e-9)
    # all 5 attributes must be answered (instruments/README: 'recall' rule, engine default)
    assert out["four_answered"]["value_value"] is None
    assert out["four_answered"]["value_status"] == "not_scorable"


# ------------------------------------------------------------------------------ PedsQL

def test_pedsql_worked_example_pooled_means(tmp_path):
    # pedsql.org/score.html (reference §2.1): 0->100, 1->75, 2->50, 3->25, 4->0; scale = mean of
    # answered items; psychosocial and total = mean of the POOLED items, not of scale scores.
    answers = {c: "0" for c in TOD_PHYSICAL + TOD_SOCIAL}
    answers["pedsql_tod_1"] = "2"                                         # physical: 7 x 100 + 50
    answers.update(dict(zip(TOD_EMOTIONAL, ["1", "1", "2", "0", "0"])))   # 75+75+50+100+100 = 400
    answers.update({"pedsql_tod_19": "4", "pedsql_tod_20": "", "pedsql_tod_21": ""})  # 1 of 3 answered
    out = score(tmp_path, "pedsql", [{"id": "c", "form": "tod", **answers}])["c"]
    assert out["physical_value"] == pytest.approx(750 / 8)               # 93.75
    assert out["physical_health_value"] == pytest.approx(750 / 8)        # = physical functioning
    assert out["emotional_value"] == pytest.approx(80)
    assert out["social_value"] == pytest.approx(100)
    # nursery: 2 of 3 items missing (> 50%) -> not scored; its one answer still pools (§2.1 rule 3, 5)
    assert out["nursery_school_value"] is None and out["nursery_school_status"] == "not_scorable"
    assert out["psychosocial_health_value"] == pytest.approx((400 + 500 + 0) / 11)
    assert out["total_value"] == pytest.approx((750 + 900) / 19)         # 86.842..., not the mean of scales


def test_pedsql_exactly_half_missing_is_scored_more_than_half_is_not(tmp_path):
    # pedsql.org (reference §2.1 rule 2): "If more than 50% of the items in the scale are missing,
    # the Scale Score should not be computed". Toddler physical has 8 items.
    half = {c: ("0" if i < 4 else "") for i, c in enumerate(TOD_PHYSICAL)}      # 4 of 8 missing
    more = {c: ("0" if i < 3 else "") for i, c in enumerate(TOD_PHYSICAL)}      # 5 of 8 missing
    out = score(tmp_path, "pedsql", [{"id": "half", "form": "tod", **half}, {"id": "more", "form": "tod", **more}])
    assert out["half"]["physical_value"] == 100 and out["half"]["physical_status"] == "ok"
    assert out["more"]["physical_value"] is None and out["more"]["physical_status"] == "not_scorable"


def test_pedsql_all_missing_form(tmp_path):
    out = score(tmp_path, "pedsql", [{"id": "blank", "form": "inf1", "pedsql_inf1_1": ""}])["blank"]
    assert out["total_value"] is None and out["total_status"] == "missing"
    assert out["physical_health_status"] == "missing"


def test_pedsql_infant_form_summaries(tmp_path):
    # Infant 1-12 m: physical health pools physical functioning + physical symptoms (items 1-16),
    # psychosocial pools emotional + social + cognitive (17-36): reference §2.3, labelled RECALL
    # in scales.csv; the arithmetic is the pedsql.org pooled-mean rule.
    answers = {f"pedsql_inf1_{i}": ("0" if i <= 16 else "4") for i in range(1, 37)}
    out = score(tmp_path, "pedsql", [{"id": "i", "form": "infant_1_12m", **answers}])["i"]
    assert out["physical_health_value"] == 100 and out["psychosocial_health_value"] == 0
    assert out["total_value"] == pytest.approx(1600 / 36)


# ------------------------------------------------------------------------------ SDQ

def sdq_complete() -> dict:
    # item -> code as printed; reversed items 7, 11, 14, 21, 25 score 2-code (reference §6.1)
    a = {f"sdq_{i}": "0" for i in range(1, 26)}
    a.update({"sdq_3": "2", "sdq_8": "1", "sdq_13": "1", "sdq_16": "", "sdq_24": ""})  # emotional: 4 from 3 items
    a.update({"sdq_5": "1", "sdq_7": "0"})                       # conduct: 1 + (2-0) = 3
    a.update({"sdq_2": "2", "sdq_10": "2", "sdq_15": "1", "sdq_21": "2", "sdq_25": "2"})  # hyper: 5
    a.update({"sdq_11": "2", "sdq_14": "2", "sdq_23": "1"})      # peer: 0 + 0 + 0 + 0 + 1 = 1
    return a


def test_sdq_prorating_and_totals(tmp_path):
    half_up = {f"sdq_{i}": "0" for i in (3, 8, 13, 16)} | {"sdq_3": "1", "sdq_8": "1", "sdq_24": ""}
    two_only = {"sdq_3": "2", "sdq_8": "2"}
    out = score(tmp_path, "sdq", [{"id": "a", "form": "p4_17", **sdq_complete()},
                                  {"id": "h", **half_up}, {"id": "t", **two_only}])
    # sdqinfo via awell README (reference §6.2): "a score of 4 based on 3 completed items can be
    # scaled up to a score of 7 (6.67 rounded up) for 5 items"
    assert out["a"]["emotional_value"] == 7
    assert out["a"]["conduct_value"] == 3 and out["a"]["hyperactivity_value"] == 5 and out["a"]["peer_value"] == 1
    # total difficulties = emotional + conduct + hyperactivity + peer (reference §6.1)
    assert out["a"]["total_difficulties_value"] == 7 + 3 + 5 + 1
    assert out["a"]["externalising_value"] == 3 + 5 and out["a"]["internalising_value"] == 7 + 1
    # round half up, floor(x + 0.5) (gbiele sdq.R, reference §6.2): 2 from 4 items -> 2.5 -> 3
    assert out["h"]["emotional_value"] == 3
    # fewer than 3 of 5 answered -> not scored, and total difficulties is missing (reference §6.1-6.2)
    assert out["t"]["emotional_value"] is None and out["t"]["emotional_status"] == "not_scorable"
    assert out["t"]["total_difficulties_value"] is None


def test_sdq_impact(tmp_path):
    # impact codes 1,2 -> 0; 3 -> 1; 4 -> 2 (gbiele sdq.R, reference §6.1)
    out = score(tmp_path, "sdq", [{"id": "i", **{f"sdq_imp_{i}": c for i, c in enumerate("12344", 1)}}])
    assert out["i"]["impact_value"] == 0 + 0 + 1 + 2 + 2


# ------------------------------------------------------------------------------ GHQ-12

def test_ghq12_likert_and_ghq_scoring(tmp_path):
    # Donath 2001 (reference §5.1): Likert 0-1-2-3, GHQ 0-0-1-1 by response column 1-4.
    codes = ["1", "2", "3", "4"] * 3
    missing_one = {f"ghq_{i}": c for i, c in enumerate(codes, 1)} | {"ghq_12": ""}
    out = score(tmp_path, "ghq12", [{"id": "a", **{f"ghq_{i}": c for i, c in enumerate(codes, 1)}},
                                    {"id": "m", **missing_one}])
    assert out["a"]["likert_value"] == 3 * (0 + 1 + 2 + 3)       # 18
    assert out["a"]["ghq_value"] == 3 * (0 + 0 + 1 + 1)          # 6
    # engine assumption (ghq12_rules.toml [missing]): complete forms only
    assert out["m"]["likert_value"] is None and out["m"]["likert_status"] == "not_scorable"


# ------------------------------------------------------------------------------ BCAP

def bcap_key() -> list[dict]:
    with open(INSTRUMENTS_DIR / "bcap_key_synthetic.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_bcap_not_sure_on_a_risk_item_is_not_scorable(tmp_path):
    key = bcap_key()
    all_agree = {r["item_code"]: "1" for r in key}                    # 1 agree, 2 disagree, 3 not sure
    risk_item = next(r["item_code"] for r in key if r["scale"] == "abuse_risk")
    not_sure = all_agree | {risk_item: "3"}
    out = score(tmp_path, "bcap", [{"id": "a", **all_agree}, {"id": "n", **not_sure}])
    # SYNTHETIC key (bcap_key_synthetic.csv): abuse risk = number of risk items keyed 'agree'
    expected = sum(1 for r in key if r["scale"] == "abuse_risk" and r["keyed_response"] == "agree")
    assert out["a"]["abuse_risk_value"] == expected and out["a"]["bcap_key"] == "synthetic"
    # bcap_rules.toml [missing_and_not_sure] engine assumption: any 'not sure' on a risk item -> not scorable
    assert out["n"]["abuse_risk_value"] is None and out["n"]["abuse_risk_status"] == "not_scorable"


# ------------------------------------------------------------------------------ CHU9D mapping

TEST_MAPPING = """
name = "test_mapping"
status = "test_fixture"
link = "identity"
terms = [{ term = "intercept", coefficient = 0.5 }, { term = "pedsql_total", coefficient = 0.004 }]
[bounds]
lower = 0.3369
upper = 1.0
[validated]
age_min_years = 5
age_max_years = 16
"""


def test_child_outside_the_mapping_age_range_is_flagged(tmp_path):
    mapping = tmp_path / "test_mapping.toml"
    mapping.write_text(TEST_MAPPING)
    tod = {c: "0" for c in TOD_PHYSICAL + TOD_EMOTIONAL + TOD_SOCIAL + TOD_NURSERY}
    yc = {f"pedsql_yc_{i}": "0" for i in range(1, 24)}
    out = score(tmp_path, "chu9d", [{"id": "young", "form": "tod", "age_months": "30", **tod},
                                    {"id": "six", "form": "yc", "age_months": "72", **yc}], mapping=str(mapping))
    # test mapping by hand: 0.5 + 0.004 x 100 = 0.9; computed, but flagged outside 5-16 years
    assert out["young"]["chu9d_utility"] == pytest.approx(0.9)
    assert out["young"]["utility_status"] == "outside_validated_age"
    assert out["six"]["utility_status"] == "ok" and out["six"]["chu9d_utility"] == pytest.approx(0.9)


def test_default_mapping_has_no_coefficients(tmp_path):
    # kelly_2023.toml: status coefficients_not_found, terms = [] -> no utility is computed
    tod = {c: "0" for c in TOD_PHYSICAL + TOD_EMOTIONAL + TOD_SOCIAL + TOD_NURSERY}
    out = score(tmp_path, "chu9d", [{"id": "c", "form": "tod", "age_months": "30", **tod}])["c"]
    assert out["chu9d_utility"] is None and out["utility_status"] == "coefficients_not_found"
    assert out["utility_algorithm"] == "kelly_2023"


def test_illustrative_mapping_by_hand_and_infant_flag(tmp_path):
    # illustrative_linear.toml (ILLUSTRATIVE, derived): 0.3369 + 0.006631 x PedsQL total
    answers = {c: "0" for c in TOD_PHYSICAL + TOD_SOCIAL} | {"pedsql_tod_1": "2"}
    answers |= dict(zip(TOD_EMOTIONAL, ["1", "1", "2", "0", "0"])) | {"pedsql_tod_19": "4"}
    infant = {f"pedsql_inf1_{i}": "2" for i in range(1, 37)}
    out = score(tmp_path, "chu9d", [{"id": "t", "form": "tod", "age_months": "30", **answers},
                                    {"id": "i", "form": "inf1", "age_months": "6", **infant}],
                mapping="illustrative_linear")
    assert out["t"]["chu9d_utility"] == pytest.approx(0.3369 + 0.006631 * (1650 / 19))
    assert out["t"]["utility_status"] == "illustrative"
    # the file's own worked anchor: total 50 -> 0.66845
    assert out["i"]["chu9d_utility"] == pytest.approx(0.66845)
    assert "infant_form_not_generic_core" in out["i"]["utility_flags"]


# ------------------------------------------------------------------------------ CLI

def test_score_cli_writes_scores_with_status(tmp_path, capsys):
    src = tmp_path / "ghq.csv"
    src.write_text("id," + ",".join(f"ghq_{i}" for i in range(1, 13)) + "\nP1," + ",".join(["2"] * 12) + "\n")
    out = tmp_path / "scores.csv"
    assert main(["score", "ghq12", str(src), "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    # code 2 on every item: Likert 1 x 12 = 12, GHQ 0 x 12 = 0 (Donath 2001, reference §5.1)
    assert rows[0]["likert_value"] == "12.0" and rows[0]["ghq_value"] == "0.0" and rows[0]["ghq_status"] == "ok"
    with pytest.raises(SystemExit):
        main(["score", "nonsense", str(src)])


# ------------------------------------------------------------------------------ marts (pipeline)

def family_rows():
    tod_best = {f"1_pedsql_tod_{i}": "0" for i in range(1, 22)}           # total 100
    tod_half = {f"1_pedsql_tod_{i}": "2" for i in range(1, 22)}           # total 50
    ghq_case = {f"ghq_{i}": ("4" if i <= 4 else "1") for i in range(1, 13)}  # GHQ score 4
    bcap_not_sure = {f"bcap_{i}": "1" for i in range(1, 34)} | {"bcap_1": "3"}
    return [
        response("R_b001t1", "PFC-B-001", "T1", "2023-06-20", **tod_best, **icecap("44444"), **ghq_case,
                 **bcap_not_sure),
        response("R_b001t2", "PFC-B-001", "T2", "2023-11-20", **tod_half, **icecap("34213")),
        response("R_b002t1", "PFC-B-002", "T1", "2023-06-25"),
    ]


def test_outcome_marts_and_auc(make_study, run_study):
    con = run_study(make_study(questionnaire=family_rows(),
                               extra_toml='\n[outcomes]\nmapping = "illustrative_linear"\n'))
    fam = dict(zip(["child_qaly", "parent_yfc", "baseline_child_utility", "baseline_parent_capability",
                    "followup_days", "outcome_status"], con.execute(
        """select child_qaly, parent_yfc, baseline_child_utility, baseline_parent_capability, followup_days,
                  outcome_status from fct_family_outcomes where family_id = 'PFC-B-001'""").fetchone()))
    days = 153                                     # 2023-06-20 to 2023-11-20
    u0, u1 = 1.0, 0.3369 + 0.006631 * 50           # illustrative map of totals 100 and 50
    # docs/costing.md "One window": the straight line between the assessments (baseline 11 days before
    # randomisation on 2023-07-01, follow-up 142 days after), integrated over the window that the costs
    # cover (randomisation + 1 to the follow-up, 142 days): value at the window start u0 + (u1 - u0) × 11/153
    assert fam["followup_days"] == days
    start = u0 + (u1 - u0) * 11 / 153
    assert fam["child_qaly"] == pytest.approx((start + u1) / 2 * 142 / 365.25)
    c0, c1 = 1.000, 0.678                                                           # ICECAP 44444 -> 34213
    assert fam["parent_yfc"] == pytest.approx((c0 + (c1 - c0) * 11 / 153 + c1) / 2 * 142 / 365.25)
    assert fam["baseline_child_utility"] == pytest.approx(1.0)
    assert fam["outcome_status"] == "child_utility_illustrative"
    parent = con.execute("""select ghq12_ghq_score, ghq12_is_case, bcap_abuse_risk, bcap_status
                            from fct_parent_outcomes where response_id = 'R_b001t1'""").fetchone()
    # GHQ caseness >= 4 (HSE 2012, ghq12_rules.toml); 'not sure' -> not scorable, key synthetic
    assert parent == (4, True, None, "not_scorable_synthetic_key")
    child = con.execute("""select pedsql_total, utility_status, utility_algorithm from fct_child_outcomes
                           where response_id = 'R_b002t1'""").fetchone()
    assert child == (None, "missing", "illustrative_linear")          # all-missing toddler form
    status = con.execute("select outcome_status from fct_family_outcomes where family_id = 'PFC-B-002'").fetchone()[0]
    assert "missing_follow_up" in status


def test_index_child_rule_all_under_5_sum_and_summary(make_study, run_study):
    from pfc_econ.outcome_summary import summarise_outcomes
    two = {"2_child_id": "PFC-B-001-C2", "2_child_age_months": "50", "2_child_sex": "2", "2_pedsql_form": "3"}
    best = {f"{s}_pedsql_tod_{i}": "0" for s in (1, 2) for i in range(1, 22)}
    rows = [response("R_b001t1", "PFC-B-001", "T1", "2023-06-20", **two, **best),
            response("R_b001t2", "PFC-B-001", "T2", "2024-06-19", **two, **best)]   # 365 days
    toml = '\n[outcomes]\nmapping = "illustrative_linear"\nindex_child_rule = "all_under_5_sum"\n'
    con = run_study(make_study(questionnaire=rows, extra_toml=toml))
    qaly, n = con.execute("""select child_qaly, n_index_children from fct_family_outcomes
                             where family_id = 'PFC-B-001'""").fetchone()
    # two children under 5, each utility 1.0 at both times; the follow-up is 354 days after randomisation
    # (2023-07-01), past periods.followup_max_months = 6, so the window ends at randomisation + 6 months
    # (2024-01-01, 184 days; docs/costing.md "One window"): 2 × 1.0 × 184 / 365.25
    assert n == 2 and qaly == pytest.approx(2 * 184 / 365.25)
    summary = {(m, t): (n, mean) for m, t, n, mean, _ in summarise_outcomes(Path(con.execute(
        "select file from pragma_database_list where name = current_database()").fetchone()[0]))}
    assert summary[("PedsQL total, toddler 2-4", "baseline")] == (2, 100.0)


def test_unknown_mapping_is_a_config_error(make_study):
    from pfc_econ.config import load_config
    from pfc_econ.errors import ConfigError
    with pytest.raises(ConfigError, match="outcomes"):
        load_config(make_study(extra_toml='\n[outcomes]\nmapping = "no_such_mapping"\n'))
