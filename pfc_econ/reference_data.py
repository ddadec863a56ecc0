"""Reference data: the instrument definitions in instruments/ loaded into ``ref_*`` tables.

DuckDB reads the CSV files; the TOML files (mappings, rules) are read with tomllib and inserted as
rows. Every scoring model joins these tables, so a tariff, a band or a coefficient is a row here,
never a literal in SQL.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb

from .paths import INSTRUMENTS_DIR

CSV_TABLES = {
    "ref_instrument_items": "items.csv",
    "ref_answer_codes": "answer_codes.csv",
    "ref_scales": "scales.csv",
    "ref_icecap_a_tariff": "icecap_a_tariff.csv",
    "ref_sdq_bands": "sdq_bands.csv",
    "ref_instrument_forms": "forms.csv",
    "ref_score_scorings": "score_scorings.csv",
}
MAPPINGS_DIR = INSTRUMENTS_DIR / "mappings"


def resolve_mapping(name_or_path: str) -> Path:
    """A mapping by name (``kelly_2023`` → instruments/mappings/kelly_2023.toml) or by file path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path.resolve()
    named = MAPPINGS_DIR / f"{name_or_path}.toml"
    if named.is_file():
        return named
    known = ", ".join(sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml")))
    raise ValueError(f"mapping {name_or_path!r}: no such mapping file (known: {known})")


def resolve_bcap_key(name_or_path: str) -> Path:
    """The BCAP key file: a path, or a file name inside instruments/."""
    path = Path(name_or_path)
    for candidate in (path, INSTRUMENTS_DIR / path):
        if candidate.is_file():
            return candidate.resolve()
    raise ValueError(f"bcap_key_file {name_or_path!r}: no such file")


def _csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    con.execute(f"create or replace table {table} as select * from read_csv(?, header = true, "
                "all_varchar = false, auto_detect = true)", [str(path)])


def _mapping_rows(path: Path) -> tuple[dict, list[dict]]:
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    validated, bounds = spec.get("validated", {}), spec.get("bounds", {})
    row = {
        "mapping": spec["name"], "status": spec["status"], "citation": spec.get("citation", ""),
        "doi": spec.get("doi", ""), "source_table": spec.get("table", ""), "link": spec.get("link", ""),
        "lower_bound": bounds.get("lower"), "upper_bound": bounds.get("upper"),
        "age_min_years": validated.get("age_min_years"), "age_max_years": validated.get("age_max_years"),
        "validated_forms": list(validated.get("pfc_forms", [])),
        "n_terms": len(spec.get("terms", [])), "file": path.name, "is_configured": False,
    }
    terms = [{"mapping": spec["name"], "term": t["term"], "coefficient": float(t["coefficient"])}
             for t in spec.get("terms", [])]
    return row, terms


def load_reference_data(con: duckdb.DuckDBPyConnection, mapping: str = "kelly_2023",
                        bcap_key_file: str = "bcap_key_synthetic.csv") -> None:
    """Create the ref_* tables. ``mapping`` is the configured CHU9D algorithm (ref_mappings holds
    every shipped mapping plus the configured one; ref_mapping_terms their terms)."""
    for table, file in CSV_TABLES.items():
        _csv(con, table, INSTRUMENTS_DIR / file)
    key = resolve_bcap_key(bcap_key_file)
    _csv(con, "ref_bcap_key", key)
    columns = {r[0] for r in con.execute("select column_name from (describe ref_bcap_key)").fetchall()}
    if "verification" not in columns:
        con.execute("alter table ref_bcap_key add column verification varchar default 'licensed'")
    configured = resolve_mapping(mapping)
    loaded = {}  # mapping name -> (row, terms); a configured file (e.g. a study's own edited copy)
    for path in sorted(p.resolve() for p in MAPPINGS_DIR.glob("*.toml")) + [configured]:
        row, mapping_terms = _mapping_rows(path)  # replaces the shipped file of the same name
        row["is_configured"] = path == configured
        loaded[row["mapping"]] = (row, mapping_terms)
    rows = [row for row, _ in loaded.values()]
    terms = [t for _, mapping_terms in loaded.values() for t in mapping_terms]
    con.execute("""create or replace table ref_mappings (mapping varchar, status varchar, citation varchar,
        doi varchar, source_table varchar, link varchar, lower_bound double, upper_bound double,
        age_min_years double, age_max_years double, validated_forms varchar[], n_terms integer, file varchar, is_configured boolean)""")
    for r in rows:
        con.execute("insert into ref_mappings values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(r.values()))
    con.execute("create or replace table ref_mapping_terms (mapping varchar, term varchar, coefficient double)")
    for t in terms:
        con.execute("insert into ref_mapping_terms values (?, ?, ?)", list(t.values()))
