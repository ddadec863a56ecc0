"""int_instrument_scores reads the answers, not the item table (issue 13: the scores at the speed
of the database). These tests hold it to the item-level definition: every item-made score's item
count, answered count, 'not sure' count and value equal the aggregate of its items in the
int_instrument_items view, the same join of every expected item the scores used to be computed
from; and an ICECAP-A value is the exact sum of its tariff values, whatever order the answers
arrive in.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from itertools import permutations

import duckdb
import pytest

from pfc_econ.config import load_config
from pfc_econ.paths import INSTRUMENTS_DIR
from pfc_econ.pipeline import run_pipeline
from pfc_econ.scoring import score_file
from pfc_econ.synth import generate_scenario



def read_csv(name: str) -> list[dict]:
    with open(INSTRUMENTS_DIR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

# the item-level definition: every expected item of the score, its value under the score's rule
ITEM_LEVEL_SCORES = """
with scales as (
    select s.instrument, s.form, s.score, s.items_rule, s.min_answered,
           string_split(regexp_extract(s.composition, ':([a-z_0-9|]+)', 1), '|') as parts,
           coalesce(sc.scoring, any_sc.scoring) as scoring
    from ref_scales as s
    left join ref_score_scorings as sc on sc.instrument = s.instrument and sc.score = s.score
    left join ref_score_scorings as any_sc on any_sc.instrument = s.instrument and any_sc.score = '*'
    where split_part(s.composition, ':', 1) = 'items'
),
values as (
    select i.response_id, i.person_id, i.instrument, s.score, s.items_rule,
           case s.items_rule
               when 'sum_tariff' then t.value
               when 'count_keyed' then case when i.answer_meaning in ('agree', 'disagree')
                                            then (i.answer_meaning = i.keyed_response)::int end
               else i.item_values[s.scoring]
           end::double as item_value,
           i.answer_meaning = 'not_sure' as is_not_sure
    from int_instrument_items as i
    join scales as s on s.instrument = i.instrument and s.form = i.form and list_contains(s.parts, i.scale)
    left join ref_icecap_a_tariff as t
      on s.items_rule = 'sum_tariff' and t.attribute = i.scale and t.level = i.item_values[s.scoring]::int
)
select response_id, person_id, instrument, score, count(*) as n_items, count(item_value) as n_answered,
       count(*) filter (where is_not_sure) as n_not_sure,
       round(sum(item_value::decimal(18, 9)), 9) as value_sum, any_value(items_rule) as items_rule
from values
group by all
"""


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring_structure")
    synth = generate_scenario("trial", root / "data", families=40, seed=5)
    result = run_pipeline(load_config(synth.config_path), root / "results")
    con = duckdb.connect(str(result.database), read_only=True)
    yield con
    con.close()


def test_item_made_scores_equal_the_aggregate_of_their_items(trial):
    rows = trial.execute(f"""
        with items as ({ITEM_LEVEL_SCORES}),
        scores as (select * from int_instrument_scores where items_rule not in ('sum_of_scores'))
        select count(*) filter (where s.response_id is null) as only_in_items,
               count(*) filter (where i.response_id is null) as only_in_scores,
               count(*) filter (where s.n_items <> i.n_items or s.n_answered <> i.n_answered
                                or s.n_not_sure <> i.n_not_sure) as counts_differ,
               count(*) filter (where i.n_answered >= s.min_answered and s.items_rule in ('sum', 'sum_tariff',
                                'count_keyed') and round(s.score_value, 9) <> i.value_sum) as sums_differ,
               count(*) filter (where s.items_rule = 'mean_of_answered' and s.score_value is not null
                                and abs(s.score_value - i.value_sum / i.n_answered) > 1e-9) as means_differ,
               count(*)
        from scores as s
        full join items as i using (response_id, person_id, instrument, score)""").fetchone()
    assert rows[:5] == (0, 0, 0, 0, 0) and rows[5] > 1000


def test_every_administered_instrument_has_its_scores(trial):
    missing = trial.execute("""
        select count(*) from int_instrument_administered as a
        join (select distinct instrument, form from ref_scales) using (instrument, form)
        anti join int_instrument_scores as s using (response_id, person_id, instrument, form)""").fetchone()[0]
    assert missing == 0


def _tariff() -> dict[tuple[str, int], Decimal]:
    return {(r["attribute"], int(r["level"])): Decimal(r["value"]) for r in read_csv("icecap_a_tariff.csv")}


def test_icecap_value_is_the_exact_sum_of_its_tariff_values(tmp_path):
    """Flynn et al. 2015 UK tariff (instruments/icecap_a_tariff.csv): the value of an answer set is the
    sum of its five attribute values. Floating-point addition depends on the order of the terms; the
    score is the exact decimal sum, rounded once to a double."""
    tariff = _tariff()
    order = [r["scale"] for r in sorted((r for r in read_csv("items.csv") if r["instrument"] == "icecap_a"),
                                        key=lambda r: int(r["item"]))]
    level = {int(r["value"]): int(r["code"]) for r in read_csv("answer_codes.csv")
             if r["instrument"] == "icecap_a" and r["scoring"] == "level"}
    # answer sets whose float sum depends on the order of the five terms
    chosen = []
    for levels in ((4, 3, 2, 1, 4), (3, 3, 2, 4, 1), (2, 4, 4, 3, 3), (1, 2, 3, 4, 2), (4, 4, 3, 2, 2),
                   (3, 2, 1, 4, 4), (2, 2, 3, 3, 4)):
        terms = [float(tariff[(a, l)]) for a, l in zip(order, levels)]
        sums = {sum(p) for p in permutations(terms)}
        if len(sums) > 1:
            chosen.append(levels)
    assert chosen, "no answer set among these has an order-dependent float sum"
    path = tmp_path / "icecap.csv"
    lines = ["id," + ",".join(f"icecap_{n}" for n in range(1, 6))]
    lines += [f"P{k}," + ",".join(str(level[l]) for l in levels) for k, levels in enumerate(chosen)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = score_file("icecap_a", path)
    value = result.columns.index("value_value")
    got = {row[0]: row[value] for row in result.rows}
    for k, levels in enumerate(chosen):
        exact = sum((tariff[(a, l)] for a, l in zip(order, levels)), Decimal(0))
        assert got[f"P{k}"] == float(exact), (levels, got[f"P{k}"], exact)
