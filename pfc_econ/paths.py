"""Where the project's data folders live (sql/, contracts/, unit_costs/, instruments/, data/).

The package is installed editable from the repository (see README), so the folders sit beside it.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
CONTRACTS_DIR = ROOT / "contracts"
UNIT_COSTS_DIR = ROOT / "unit_costs"
INSTRUMENTS_DIR = ROOT / "instruments"
DATA_DIR = ROOT / "data"
DOCS_DIR = ROOT / "docs"
