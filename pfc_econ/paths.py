"""Where the engine's data folders live (sql/, contracts/, unit_costs/, instruments/, data/).

The folders are kept at the top of the repository, where they are edited and reviewed. A wheel
(`pip install .`) carries a copy of each inside the package, under `pfc_econ/_resources/`
(pyproject.toml, `force-include`); an editable install reads them from the repository itself.
"""

from importlib.resources import files
from pathlib import Path

_PACKAGE = Path(str(files("pfc_econ")))
_PACKAGED = _PACKAGE / "_resources"
ROOT = _PACKAGED if (_PACKAGED / "sql").is_dir() else _PACKAGE.parent
IS_PACKAGED = ROOT == _PACKAGED
SQL_DIR = ROOT / "sql"
CONTRACTS_DIR = ROOT / "contracts"
UNIT_COSTS_DIR = ROOT / "unit_costs"
INSTRUMENTS_DIR = ROOT / "instruments"
DATA_DIR = ROOT / "data"
DOCS_DIR = ROOT / "docs"
TEMPLATES_DIR = _PACKAGE / "templates"  # files `pfc-econ init` writes (inside the package itself)
