"""exports/: Parquet, CSV and Stata files that load cleanly, rounded, ordered, lists native."""

from __future__ import annotations

import csv

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pfc_econ import exports
from pfc_econ.exports import export_tables, stata_names


@pytest.fixture
def con():
    con = duckdb.connect()
    # rows inserted out of order; 0.1 * 3 = 0.30000000000000004 and 60 * 1.0000000000000002 are the
    # binary noise a sum of doubles leaves; 1132.924999 is money to be rounded to pence.
    con.execute("""create table fct_cea_input as select * from (values
        ('PFC-G-001', 'societal', 1132.924999::double, 0.1::double * 3, ['sau_log', 'questionnaire'], true, date '2023-08-01', 12::bigint),
        ('PFC-B-001', 'nhs_pss', 10.005001::double, 60 * 1.0000000000000002::double, ['nspcc_activity'], false, null, null),
        ('PFC-B-001', 'societal', null, 0.0::double, [], null, date '2023-07-01', 3::bigint))
        t(family_id, perspective, cost_gbp, child_qaly, sources_used, is_withdrawn, randomised_date, followup_days)""")
    con.execute("comment on column fct_cea_input.child_qaly is 'Child QALYs baseline to follow-up.'")
    con.execute("create table stg_not_exported as select 1 as x")
    return con


def test_parquet_is_ordered_rounded_and_keeps_lists(con, tmp_path):
    result = export_tables(con, tmp_path)
    assert result.tables == ("fct_cea_input",)
    table = pq.read_table(tmp_path / "exports" / "fct_cea_input.parquet")
    assert str(table.schema.field("sources_used").type) == "list<element: string>"
    rows = table.to_pylist()
    assert [(r["family_id"], r["perspective"]) for r in rows] == [
        ("PFC-B-001", "nhs_pss"), ("PFC-B-001", "societal"), ("PFC-G-001", "societal")]
    assert [r["cost_gbp"] for r in rows] == [10.01, None, 1132.92]
    assert [r["child_qaly"] for r in rows] == [60.0, 0.0, 0.3]
    assert rows[2]["sources_used"] == ["sau_log", "questionnaire"]
    assert not (tmp_path / "exports" / "stg_not_exported.parquet").exists()


def test_csv_joins_lists_and_writes_pence(con, tmp_path):
    export_tables(con, tmp_path)
    text = (tmp_path / "exports" / "fct_cea_input.csv").read_text()
    assert "0.30000000000000004" not in text and "60.00000000000001" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["cost_gbp"] for r in rows] == ["10.01", "", "1132.92"]
    assert [r["sources_used"] for r in rows] == ["nspcc_activity", "", "sau_log;questionnaire"]
    assert [r["child_qaly"] for r in rows] == ["60.0", "0.0", "0.3"]


def test_csv_choice(con, tmp_path, monkeypatch):
    result = export_tables(con, tmp_path / "none", csv="none")
    assert not list((tmp_path / "none" / "exports").glob("*.csv"))
    monkeypatch.setattr(exports, "EXCEL_MAX_DATA_ROWS", 2)  # a table too long for one Excel sheet
    result = export_tables(con, tmp_path / "auto")
    assert result.parquet_only == ("fct_cea_input",) and not (tmp_path / "auto" / "exports" / "fct_cea_input.csv").exists()
    result = export_tables(con, tmp_path / "all", csv="all")
    assert result.parquet_only == () and (tmp_path / "all" / "exports" / "fct_cea_input.csv").exists()
    with pytest.raises(ValueError, match="csv = 'some'"):
        export_tables(con, tmp_path / "bad", csv="some")


def test_table_longer_than_sort_max_rows_is_written_unsorted(con, tmp_path):
    """Above [exports] sort_max_rows a table keeps the order the database holds it in (here the
    order of insertion), with the same rows; at or below it, the sorted order."""
    con.execute("create table dim_short as select * from (values (2), (1)) t(x)")
    result = export_tables(con, tmp_path / "unsorted", sort_max_rows=2)
    assert result.unsorted == ("fct_cea_input",)
    rows = pq.read_table(tmp_path / "unsorted" / "exports" / "fct_cea_input.parquet").to_pylist()
    assert [(r["family_id"], r["perspective"]) for r in rows] == [
        ("PFC-G-001", "societal"), ("PFC-B-001", "nhs_pss"), ("PFC-B-001", "societal")]
    assert [r["cost_gbp"] for r in rows] == [1132.92, 10.01, None]  # rounded all the same
    assert pq.read_table(tmp_path / "unsorted" / "exports" / "dim_short.parquet").column("x").to_pylist() == [1, 2]
    assert export_tables(con, tmp_path / "sorted", sort_max_rows=3).unsorted == ()


def test_stata_file_round_trips(con, tmp_path):
    export_tables(con, tmp_path)
    path = tmp_path / "exports" / "fct_cea_input.dta"
    frame = pd.read_stata(path)
    assert list(frame["family_id"]) == ["PFC-B-001", "PFC-B-001", "PFC-G-001"]
    assert list(frame["sources_used"]) == ["nspcc_activity", "", "sau_log;questionnaire"]
    assert frame["is_withdrawn"].tolist()[0] == 0 and frame["is_withdrawn"].tolist()[2] == 1
    assert pd.isna(frame["is_withdrawn"].tolist()[1])
    assert frame["randomised_date"].tolist()[2] == pd.Timestamp("2023-08-01")
    assert frame["cost_gbp"].tolist()[2] == 1132.92
    with pd.io.stata.StataReader(path) as reader:
        assert reader.variable_labels()["child_qaly"] == "Child QALYs baseline to follow-up."
    first = path.read_bytes()
    export_tables(con, tmp_path / "again")
    assert (tmp_path / "again" / "exports" / "fct_cea_input.dta").read_bytes() == first  # no time stamp


def test_stata_names_follow_stata_rules():
    # Stata User's Guide [U] 11.3: <= 32 characters, letters digits _, no leading digit, not reserved
    long = "baseline_parent_capability_at_follow_up_x"
    names = stata_names(["family_id", "in", "1st_score", "cost (gbp)", long, long[:32] + "_y", long[:32]])
    assert names["family_id"] == "family_id"
    assert names["in"] == "_in"
    assert names["1st_score"] == "_1st_score"
    assert names["cost (gbp)"] == "cost__gbp_"
    assert names[long] == long[:32]
    assert names[long[:32] + "_y"] == long[:30] + "_2"
    assert names[long[:32]] == long[:30] + "_3"
    assert all(len(n) <= 32 for n in names.values()) and len(set(names.values())) == len(names)


def test_renamed_stata_variable_is_labelled_with_its_column(tmp_path):
    con = duckdb.connect()
    long = "a_column_name_longer_than_stata_allows"
    con.execute(f"create table fct_cea_input as select 'PFC-B-001' as family_id, 1.5 as {long}")
    result = export_tables(con, tmp_path)
    assert result.stata_renamed == {long: long[:32]}
    with pd.io.stata.StataReader(tmp_path / "exports" / "fct_cea_input.dta") as reader:
        assert reader.variable_labels()[long[:32]].startswith(long + ":")


def test_run_lists_unsorted_exports_with_the_same_rows(make_study, tmp_path):
    """[exports] sort_max_rows reaches the run: the manifest and the run's summary name each table
    written unsorted, and its file holds the rows of the sorted export, no more, no fewer."""
    import json

    from pfc_econ.config import load_config
    from pfc_econ.pipeline import run_pipeline

    messages: list[str] = []
    result = run_pipeline(load_config(make_study(extra_toml="\n[exports]\nsort_max_rows = 3\n")),
                          tmp_path / "results", progress=messages.append)
    manifest = json.loads(result.manifest.read_text())
    unsorted = manifest["exports_unsorted"]
    counts = manifest["row_counts"]
    assert unsorted == sorted(t for t in manifest["exports"] if counts[t] > 3) and "fct_resource_use" in unsorted
    assert any("fct_resource_use in stored order, not sorted" in m for m in messages)
    con = duckdb.connect(str(result.database), read_only=True)
    export_tables(con, tmp_path / "sorted")
    for name in unsorted:
        written, sorted_file = (f"from read_parquet('{folder / 'exports' / name}.parquet')"
                                for folder in (tmp_path / "results", tmp_path / "sorted"))
        assert con.execute(f"select count(*) {written}").fetchone()[0] == counts[name]
        assert con.execute(f"select count(*) from (select * {written} except all select * {sorted_file})").fetchone()[0] == 0
        assert con.execute(f"select count(*) from (select * {sorted_file} except all select * {written})").fetchone()[0] == 0
    con.close()


def test_negative_sort_max_rows_is_a_config_error(make_study):
    from pfc_econ.config import load_config
    from pfc_econ.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[exports\] sort_max_rows = -1"):
        load_config(make_study(extra_toml="\n[exports]\nsort_max_rows = -1\n"))
