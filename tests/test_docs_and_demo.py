"""Generated documentation is fresh, and the demo runs on the shipped data."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import duckdb
import pytest

from pfc_econ.cli import main
from pfc_econ.docs import render_data_dictionary, render_source_page
from pfc_econ.paths import DOCS_DIR
from pfc_econ.contracts import load_contracts


@pytest.mark.parametrize("source", list(load_contracts()))
def test_source_pages_are_fresh(source):
    page = (DOCS_DIR / "sources" / f"{source}.md").read_text(encoding="utf-8")
    assert page == render_source_page(source), "regenerate with: python -m pfc_econ.docs"


DEMO_OUTPUT = []  # what `pfc-econ demo` printed, for the tests of its output


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "results"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", str(out)]) == 0
    DEMO_OUTPUT.append(printed.getvalue())
    con = duckdb.connect(str(out / "pfc.duckdb"), read_only=True)
    yield con
    con.close()


def test_demo_says_its_faults_are_planted_and_what_next(demo):
    said = DEMO_OUTPUT[0]
    assert "planted on purpose" in said and "next:" in said and "pfc-econ cea" in said


def test_data_dictionary_is_fresh(demo):
    text = (DOCS_DIR / "data_dictionary.md").read_text(encoding="utf-8")
    assert text == render_data_dictionary(demo), "regenerate with: python -m pfc_econ.docs results"


def test_every_table_and_column_carries_a_comment(demo):
    """Issue 12 (Build 6): whatever a user can query in pfc.duckdb says what it is (COMMENT ON)."""
    tables = [t for (t,) in demo.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                                         "and comment is null order by 1").fetchall()]
    columns = [f"{t}.{c}" for t, c in demo.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main' and comment is null "
        "and database_name = current_database() order by 1, 2").fetchall()]
    assert not tables, f"tables without a comment: {tables}; give each a header comment in its SQL model, " \
                       "or a `_table` key in its section of sql/column_docs.toml"
    assert not columns, f"{len(columns)} columns without a comment: {columns[:40]}; add them to sql/column_docs.toml"


def test_each_run_writes_its_data_dictionary(demo):
    path = demo.execute("select file from pragma_database_list where name = current_database()").fetchone()[0]
    written = (Path(path).parent / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert written == render_data_dictionary(demo) and "## `fct_cea_input`" in written


def test_demo_reconciles_and_quarantines_the_planted_faults(demo):
    assert demo.execute("select bool_and(is_balanced) from audit_reconciliation").fetchone()[0]
    assert demo.execute("select source_table, record_id, rules from stg_quarantine order by 1, 2").fetchall() == [
        ("nspcc_activity", "NSPCC-0000028", ["out_of_range"]),
        ("nspcc_activity", "NSPCC-0000103", ["unknown_family"]),
        ("sau_log", "SAU-0000021", ["not_allowed"]),
        ("sau_log", "SAU-0000045", ["unknown_family"])]
    assert demo.execute("select list(value order by value::int) from audit_issues where field = 'parent_age'").fetchone()[0] == [
        "4", "9", "13"]
    counts = demo.execute("select arm, site, count(*), count(*) filter (where is_withdrawn) from dim_family "
                          "group by all order by 1, 2").fetchall()
    assert counts == [("IPS", "Bromley", 7, 0), ("SAU", "Bromley", 10, 0), ("SAU", "Glasgow", 2, 1)]
    assert demo.execute("select count(*) filter (where timepoint = 'baseline'), count(*) filter (where timepoint = 'follow_up') "
                        "from stg_questionnaire").fetchone() == (17, 7)


def test_feasibility_without_provider_extracts_says_so_and_still_costs(tmp_path, capsys):
    """As in the feasibility study: no NSPCC extract, no SAU log."""
    import tomllib
    from pfc_econ.config import parse_config
    from pfc_econ.paths import DATA_DIR
    from pfc_econ.pipeline import run_pipeline
    path = DATA_DIR / "feasibility" / "study.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for source in ("nspcc_activity", "sau_log"):
        raw["sources"][source] = {"enabled": False}
    out = tmp_path / "results"
    run_pipeline(parse_config(raw, path), out)
    capsys.readouterr()
    assert main(["audit", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "0 of 7 IPS families covered by NSPCC activity" in said
    assert "0 of 12 SAU families covered by the SAU log" in said
    con = duckdb.connect(str(out / "pfc.duckdb"), read_only=True)
    statuses = dict(con.execute("""select cost_status, count(*) from fct_family_costs
                                   where period = 'follow_up' and perspective = 'nhs_pss' group by 1""").fetchall())
    assert statuses.get("partial", 0) > 0 and sum(statuses.values()) == 19
    sources = {s for (s,) in con.execute("select distinct source from fct_resource_use where cost_gbp > 0").fetchall()}
    assert sources == {"questionnaire"}


# The result tables and columns of ../shared/design.md: a contract users' scripts rely on.
DESIGN_COLUMNS = {
    "dim_family": "family_id site arm randomised_date withdrawn_date is_withdrawn n_children index_child_id",
    "fct_resource_use": "family_id person_id source period activity_date resource_code quantity unit unit_cost_id "
                        "unit_cost_gbp cost_gbp price_year sector category source_record_id",
    "fct_family_costs": "family_id period perspective total_cost_gbp price_year cost_status cost_status_reason sources_used",
    "fct_family_cost_breakdown": "family_id period perspective category source cost_gbp",
    "fct_child_outcomes": "person_id family_id timepoint assessment_date age_months pedsql_form pedsql_total "
                          "pedsql_physical pedsql_psychosocial chu9d_utility utility_algorithm utility_status "
                          "sdq_total_difficulties",
    "fct_parent_outcomes": "person_id family_id timepoint assessment_date icecap_a_value ghq12_likert ghq12_ghq_score "
                           "bcap_abuse_risk bcap_status",
    "fct_family_outcomes": "family_id child_qaly parent_yfc baseline_child_utility baseline_parent_capability "
                           "followup_days outcome_status",
    "audit_reconciliation": "source rows_in rows_staged rows_quarantined",
    "audit_issues": "source record_id field rule severity message value",
    "audit_completeness": "source family_id period is_expected is_received required_filled_share status",
    "audit_instruments": "instrument form timepoint n_expected n_administered n_complete n_scorable n_items_missing",
}


@pytest.mark.parametrize("table", sorted(DESIGN_COLUMNS))
def test_design_tables_keep_their_columns(demo, table):
    have = {r[0] for r in demo.execute("select column_name from duckdb_columns() where table_name = ?", [table]).fetchall()}
    assert set(DESIGN_COLUMNS[table].split()) <= have, set(DESIGN_COLUMNS[table].split()) - have


def test_family_costs_have_one_row_per_family_period_perspective(demo):
    assert demo.execute("select count(*), count(distinct (family_id, period, perspective)) from fct_family_costs").fetchone() == (
        19 * 2 * 3, 19 * 2 * 3)
    assert demo.execute("select count(*) from fct_family_costs where known_cost_gbp < 0 or isnan(known_cost_gbp)").fetchone()[0] == 0
    # every costed row points at a unit-cost row of the library
    assert demo.execute("""select count(*) from fct_resource_use r left join stg_unit_costs u using (unit_cost_id)
                           where r.cost_gbp is not null and u.unit_cost_id is null""").fetchone()[0] == 0


def test_export_order_keys_are_unique(demo):
    """pfc_econ/exports.py sorts a table with an ORDER_KEYS entry by that key alone: the order is
    total (identical inputs, identical files) only if the key is unique."""
    from pfc_econ.exports import ORDER_KEYS
    for table, key in ORDER_KEYS.items():
        cols = ", ".join(key)
        n, distinct = demo.execute(f"select count(*), count(distinct ({cols})) from {table}").fetchone()
        assert n > 0 and n == distinct, table
