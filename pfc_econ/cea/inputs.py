"""Read what the CEA needs from a results folder of ``pfc-econ run``: settings and per-family data.

The per-family analysis table is the SQL model ``fct_cea_input`` (one row per family ×
perspective); this module only selects the columns of one analysis from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pfc_econ.config import parse_cea_settings
from pfc_econ.errors import PfcError

BASELINE_EFFECT = {"child_qaly": "baseline_child_utility", "parent_yfc": "baseline_parent_capability"}


@dataclass(frozen=True)
class ResultsFolder:
    """A results folder: its path, manifest and validated ``[cea]`` settings.

    Fields:
        path: the folder ``pfc-econ run`` wrote.
        manifest: manifest.json as a dict.
        cea: the ``[cea]`` settings (defaults filled in), possibly overridden by the caller.
    """

    path: Path
    manifest: dict[str, Any]
    cea: dict[str, Any]

    @property
    def database(self) -> Path:
        """The results database, pfc.duckdb."""
        return self.path / "pfc.duckdb"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the results database."""
        return duckdb.connect(str(self.database), read_only=True)


def open_results_folder(path: Path, overrides: dict[str, Any] | None = None) -> ResultsFolder:
    """Open a results folder; ``overrides`` replace keys of the ``[cea]`` config section."""
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not (manifest_path.is_file() and (path / "pfc.duckdb").is_file()):
        raise PfcError(f"{path} is not a results folder of pfc-econ run (no manifest.json or pfc.duckdb)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    raw = dict(manifest.get("config", {}))
    raw["cea"] = {**raw.get("cea", {}), **(overrides or {})}
    return ResultsFolder(path, manifest, parse_cea_settings(raw))


def read_analysis_table(con: duckdb.DuckDBPyConnection, perspective: str, effect: str) -> pd.DataFrame:
    """One row per randomised family: family_id, arm, site, cost, effect, baseline_cost, baseline_effect
    and index_child_age_months (the index child's age at the baseline assessment, for subgroups).

    ``cost`` is the follow-up cost of ``perspective`` (null unless complete), ``baseline_cost``
    the pre-baseline cost; ``effect`` is ``child_qaly`` or ``parent_yfc`` and ``baseline_effect``
    its baseline value. Missing values stay missing (NaN).
    """
    if effect not in BASELINE_EFFECT:
        raise ValueError(f"effect must be one of {sorted(BASELINE_EFFECT)}, got {effect!r}")
    return con.execute(
        f"""select i.family_id, i.arm, i.site, cost_gbp as cost, {effect} as effect,
                   baseline_cost_gbp as baseline_cost, {BASELINE_EFFECT[effect]} as baseline_effect,
                   c.age_months as index_child_age_months
            from fct_cea_input as i
            left join dim_family as f on f.family_id = i.family_id
            left join fct_child_outcomes as c
                on c.person_id = f.index_child_id and c.family_id = i.family_id and c.timepoint = 'baseline'
            where i.perspective = ? order by i.family_id""",
        [perspective]).df().astype({"cost": float, "effect": float, "baseline_cost": float, "baseline_effect": float,
                                    # numpy strings: pandas' Arrow strings are slow to compare row by row
                                    "family_id": object, "arm": object, "site": object})
