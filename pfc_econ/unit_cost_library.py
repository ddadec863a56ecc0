"""The unit-cost library (unit_costs/) read directly, without a pipeline run.

Used by ``pfc-econ unit-costs`` (list the library, show one code, inflate a cost) and by the config
for the library's costing defaults (settings.toml). DuckDB reads the CSV files; no figure is held
in this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from .errors import ConfigError
from .paths import UNIT_COSTS_DIR


@dataclass(frozen=True)
class InflatedCost:
    """A cost moved between price years: ``amount × index_to / index_from``."""

    amount_gbp: float
    from_year: str
    to_year: str
    index_code: str
    index_from: float
    index_to: float
    inflated_gbp: float


def _settings(folder: Path | None) -> dict[str, Any]:
    path = (folder or UNIT_COSTS_DIR) / "settings.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def library_versions(folder: Path | None = None) -> tuple[str | None, list[str]]:
    """The library's own version (settings.toml) and the frozen versions in ``versions/<version>/``."""
    folder = folder or UNIT_COSTS_DIR
    versions = folder / "versions"
    frozen = sorted(p.name for p in versions.iterdir() if (p / "unit_costs.csv").is_file()) if versions.is_dir() else []
    version = _settings(folder).get("version")
    return (str(version) if version is not None else None), frozen


def library_costing_defaults(folder: Path | None = None) -> dict[str, Any]:
    """The costing defaults the library declares in settings.toml (see unit_costs/README.md)."""
    settings = _settings(folder)
    attendance = settings.get("attendance", {})
    sites = {k: v for k, v in settings.get("site_multipliers", {}).items() if isinstance(v, (int, float))}
    non_contact = settings.get("non_contact_time", {})
    return {
        "non_contact_allowance": non_contact.get("default_allowance", 0.0),
        "non_contact_role_allowances": role_allowances(non_contact.get("sensitivity", {})),
        "contact_activities": list(non_contact.get("contact_activities", [])),
        "site_multipliers": sites,
        "dna_contact_share": attendance.get("did_not_attend_contact_share", 1.0),
        "dna_travel_share": attendance.get("did_not_attend_travel_share", 1.0),
        "cancelled_contact_share": attendance.get("cancelled_contact_share", 0.0),
        "cancelled_travel_share": attendance.get("cancelled_travel_share", 0.0),
    }


def role_allowances(ratios: dict[str, Any]) -> dict[str, float]:
    """NSPCC role -> non-contact allowance from ``[non_contact_time.sensitivity]``: each
    ``apply_<name>_ratio_to = [roles]`` gives its roles the ratio ``<name>_ratio`` (e.g.
    clinical_psychologist_ratio = 2.03, [UC24] Table 12.5.1). A role listed twice keeps the first."""
    out: dict[str, float] = {}
    for key, roles in ratios.items():
        if key.startswith("apply_") and key.endswith("_ratio_to"):
            ratio = ratios[key[len("apply_"):-len("_to")]]
            for role in roles:
                out.setdefault(role, float(ratio))
    return out


def _connect(folder: Path | None) -> duckdb.DuckDBPyConnection:
    folder = folder or UNIT_COSTS_DIR
    con = duckdb.connect()
    for name in ("unit_costs", "inflation_indices"):
        path = folder / f"{name}.csv"
        if not path.is_file():
            raise ConfigError(f"unit-cost library file not found: {path}")
        con.execute(f"create view {name} as select * from read_csv('{path}', all_varchar = true)")
    return con


def _rows(con, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def list_unit_costs(folder: Path | None = None) -> list[dict[str, Any]]:
    """Every unit cost: id, code, variant, unit, cost, price year, sector, verification."""
    con = _connect(folder)
    return _rows(con, """select unit_cost_id, unit_cost_code, variant, unit, cast(cost_gbp as double) as cost_gbp,
                                price_year, sector, verification
                         from unit_costs order by unit_cost_code, variant <> 'base', variant""")


def show_unit_cost(code: str, folder: Path | None = None) -> list[dict[str, Any]]:
    """Every variant of one unit-cost code (or one unit_cost_id), with source, verification and note."""
    con = _connect(folder)
    rows = _rows(con, """select * from unit_costs where unit_cost_code = ? or unit_cost_id = ?
                         order by variant <> 'base', variant""", [code, code])
    if not rows:
        raise ConfigError(f"no unit cost with code or id {code!r} in the library")
    return rows


def inflate_cost(amount_gbp: float, from_year: str, to_year: str, index_code: str = "nhscii_pp_uc25",
                 folder: Path | None = None) -> InflatedCost:
    """Move ``amount_gbp`` from ``from_year`` prices to ``to_year`` prices with index ``index_code``.

    The formula is the library's (unit_costs/README.md): cost × I[to] / I[from].
    """
    if amount_gbp < 0:
        raise ValueError(f"amount_gbp = {amount_gbp}: expected 0 or more")
    con = _connect(folder)
    values = dict(con.execute("""select price_year, cast(index_value as double) from inflation_indices
                                 where index_code = ?""", [index_code]).fetchall())
    if not values:
        raise ConfigError(f"no inflation index {index_code!r} in the library")
    for argument, year in (("from_year", from_year), ("to_year", to_year)):
        if year not in values:
            raise ConfigError(f"{argument} = {year!r}: index {index_code} has no value for that year "
                              f"(it covers {min(values)} to {max(values)})")
    inflated = amount_gbp * values[to_year] / values[from_year]
    return InflatedCost(amount_gbp, from_year, to_year, index_code, values[from_year], values[to_year], inflated)
