"""Sensitivity analyses that need the pipeline re-run with a modified config.

The run's own config (manifest.json ``config``) is copied, the analysis's edits applied
(``AnalysisSpec.config_changes``), validated with ``config.parse_config`` against the original
config file's folder (so relative source paths still resolve), and ``run_pipeline`` writes a
temporary results folder, from which the analysis table is read.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from pfc_econ.cea.components import CostComponents, read_cost_components
from pfc_econ.cea.inputs import ResultsFolder, read_analysis_table
from pfc_econ.cea.specs import AnalysisSpec
from pfc_econ.config import parse_config
from pfc_econ.errors import PfcError


def build_modified_config(raw: dict[str, Any], spec: AnalysisSpec) -> dict[str, Any]:
    """A deep copy of ``raw`` with the spec's (section, key, value) edits; dict values are merged."""
    modified = copy.deepcopy(raw)
    for section, key, value in spec.config_changes:
        table = modified.setdefault(section, {})
        if isinstance(value, dict):
            table[key] = {**table.get(key, {}), **value}
        else:
            table[key] = value
    return modified


def read_rerun_table(results: ResultsFolder, spec: AnalysisSpec) -> tuple[pd.DataFrame, CostComponents]:
    """Re-run the pipeline with the spec's config edits; return the analysis table and cost components."""
    from pfc_econ.pipeline import run_pipeline
    manifest = results.manifest
    config_file = Path(manifest.get("config_file", results.path / "study.toml"))
    raw = build_modified_config(manifest.get("config", {}), spec)
    try:
        config = parse_config(raw, config_file)
    except PfcError as exc:
        raise ValueError(f"config for {spec.name} is invalid: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="pfc_cea_rerun_") as folder:
        rerun = run_pipeline(config, Path(folder) / "results", reuse_from=[results.path])  # staged sources re-used
        import duckdb
        with duckdb.connect(str(rerun.database), read_only=True) as con:
            return read_analysis_table(con, spec.perspective, spec.effect), read_cost_components(con, spec.perspective)
