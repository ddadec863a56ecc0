"""Determinism (issue 9, Build 6): identical inputs and seed give identical results.

Two runs of the shipped feasibility study: every table's contents (read in a total order, ORDER BY
ALL, since a table's storage order is not a result), every export and figure file byte for byte,
and the manifest and results marker apart from the run's timings and clock times.
"""

from __future__ import annotations

import json

import duckdb

from pfc_econ.config import load_config
from pfc_econ.paths import DATA_DIR
from pfc_econ.pipeline import run_pipeline

CLOCK_KEYS = ("started", "finished", "timings_seconds")


def _tables(database) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        return {name: con.execute(f'select * exclude (seconds) from "{name}" order by all' if name == "raw_sources"
                                  else f'select * from "{name}" order by all').fetchall() for name in names}


def test_two_runs_are_identical(tmp_path):
    config = load_config(DATA_DIR / "feasibility" / "study.toml")
    a, b = (run_pipeline(config, tmp_path / name) for name in ("a", "b"))
    tables_a, tables_b = _tables(a.database), _tables(b.database)
    assert sorted(tables_a) == sorted(tables_b)
    assert [name for name in tables_a if tables_a[name] != tables_b[name]] == []
    files_a = sorted(p.relative_to(a.out_dir) for p in a.out_dir.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b.out_dir) for p in b.out_dir.rglob("*") if p.is_file())
    differ = [str(p) for p in files_a if p.suffix != ".duckdb" and p.name != "manifest.json"
              and (a.out_dir / p).read_bytes() != (b.out_dir / p).read_bytes()]
    assert differ == []
    manifests = [json.loads(r.manifest.read_text()) for r in (a, b)]
    for manifest in manifests:
        for key in CLOCK_KEYS:
            manifest.pop(key)
    assert manifests[0] == manifests[1]
