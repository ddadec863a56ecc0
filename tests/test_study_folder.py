"""`pfc-econ init DIR`: the study folder, its commented study.toml, its own unit-cost library."""

from __future__ import annotations

import csv
import json
import re
import tomllib

import duckdb
import pytest

from pfc_econ.cli import main
from pfc_econ.config import SCHEMA, load_config, parse_config
from pfc_econ.errors import PfcError
from pfc_econ.paths import UNIT_COSTS_DIR
from pfc_econ.pipeline import run_pipeline
from pfc_econ.reference_data import load_reference_data
from pfc_econ.study_folder import init_study, render_study_toml

SETTING = re.compile(r"^# ([a-z_]+) = (.+)$")
ALTERNATIVE = re.compile(r"^#\s{2,}([a-z_]+) = ")  # an alternative to a set key (e.g. version for path)


def test_study_toml_lists_every_setting_with_its_default(tmp_path):
    """Every key of config.SCHEMA is in templates/study.toml, and each commented "# key = value"
    line, uncommented, is exactly the default the engine uses (so the file never lies)."""
    text = render_study_toml("s")
    sections, section = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]").split(".")[0]
        match = SETTING.match(line) or re.match(r"^([a-z_]+) = ", line) or ALTERNATIVE.match(line)
        if match and section:
            sections.setdefault("source" if section == "sources" else section, set()).add(match.group(1))
    for name, keys in SCHEMA.items():
        missing = set(keys) - sections.get(name, set())
        assert not missing, (f"[{name}] {sorted(missing)} not in pfc_econ/templates/study.toml: add each new "
                             "setting there, commented, with its default")
    folder = init_study(tmp_path / "study", demo_data=True).folder
    as_written = parse_config(tomllib.loads(text), folder / "study.toml")
    uncommented = "\n".join(SETTING.sub(r"\1 = \2", line) for line in text.splitlines())
    with_defaults = parse_config(tomllib.loads(uncommented), folder / "study.toml")
    assert with_defaults.extra == as_written.extra
    assert (with_defaults.periods, with_defaults.run) == (as_written.periods, as_written.run)


def test_init_writes_the_folder_and_run_reads_its_own_library(tmp_path, capsys):
    assert main(["init", str(tmp_path / "study"), "--demo-data"]) == 0
    study = tmp_path / "study"
    assert "README.md" in capsys.readouterr().out
    for path in ("study.toml", "README.md", "unit_costs/unit_costs.csv", "unit_costs/code_map.csv",
                 "unit_costs/perspectives.csv", "unit_costs/settings.toml", "mappings/kelly_2023.toml",
                 "docs/sources/questionnaire.md", "data/randomisation.csv"):
        assert (study / path).is_file(), path
    assert (study / "unit_costs" / "unit_costs.csv").read_bytes() == (UNIT_COSTS_DIR / "unit_costs.csv").read_bytes()
    # the health economist edits one unit cost in the study's copy
    path = study / "unit_costs" / "unit_costs.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    row = next(r for r in rows if r["unit_cost_code"] == "gp_consultation" and r["variant"] == "base")
    row["cost_gbp"] = "123.45"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = load_config(study / "study.toml")
    assert config.sources["unit_costs"].path == study / "unit_costs"
    result = run_pipeline(config, study / "results")
    manifest = json.loads(result.manifest.read_text())
    assert manifest["unit_cost_library_source"]["origin"] == "study"
    assert manifest["unit_cost_library_source"]["files_differing_from_shipped"] == ["unit_costs.csv"]
    con = duckdb.connect(str(result.database), read_only=True)
    assert con.execute("select cost_gbp from stg_unit_costs where unit_cost_id = ?",
                       [row["unit_cost_id"]]).fetchone()[0] == pytest.approx(123.45)


def test_init_never_overwrites_a_file(tmp_path):
    study = tmp_path / "study"
    (study / "unit_costs").mkdir(parents=True)
    mine = study / "unit_costs" / "code_map.csv"
    mine.write_text("my own code map\n")
    with pytest.raises(PfcError, match=r"code_map\.csv already exists"):
        init_study(study)
    assert mine.read_text() == "my own code map\n"
    assert sorted(p.relative_to(study).as_posix() for p in study.rglob("*")) == ["unit_costs", "unit_costs/code_map.csv"]
    assert main(["init", str(mine)]) != 0  # a file is not a folder


def test_a_study_copy_of_a_mapping_replaces_the_shipped_one(tmp_path):
    study = init_study(tmp_path / "study").folder
    path = study / "mappings" / "illustrative_linear.toml"
    spec = tomllib.loads(path.read_text())
    edited = path.read_text().replace(f'coefficient = {spec["terms"][0]["coefficient"]}', "coefficient = 0.5", 1)
    path.write_text(edited)
    con = duckdb.connect()
    load_reference_data(con, str(path))
    assert con.execute("select count(*), bool_and(is_configured) from ref_mappings "
                       "where mapping = 'illustrative_linear'").fetchone() == (1, True)
    terms = con.execute("select term, coefficient from ref_mapping_terms where mapping = 'illustrative_linear' "
                        "order by term").fetchall()
    assert len(terms) == len(spec["terms"]) and 0.5 in [c for _, c in terms]
