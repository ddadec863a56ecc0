"""`pfc-econ init DIR`: a study folder a health economist owns and edits.

It holds `study.toml` (every setting, each commented, defaults shown), a copy of the unit-cost
library (unit costs, inflation indices, code map, perspectives, settings) that `run` then reads
instead of the shipped one, copies of the PedsQL-to-CHU9D mapping files, the source contracts
(what each extract must hold), an empty `data/` for the extracts and a README of what goes where.
Nothing that already exists is ever overwritten: if any file init would write is there, it
writes nothing and names the file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template

from . import __version__
from .errors import PfcError
from .paths import DATA_DIR, DOCS_DIR, INSTRUMENTS_DIR, TEMPLATES_DIR, UNIT_COSTS_DIR

DEMO_FILES = ("randomisation.csv", "questionnaire.csv", "nspcc_activity.xlsx", "sau_log.csv")
DEFAULT_MAPPING_LINE = 'mapping = "mappings/kelly_2023.toml"'
DEMO_MAPPING_LINE = ('# ILLUSTRATIVE mapping, NOT a published algorithm (the demo data\'s choice):\n'
                     'mapping = "mappings/illustrative_linear.toml"')


@dataclass(frozen=True)
class StudyFolder:
    """What `init_study` wrote: the folder, its config and every file (relative to the folder)."""

    folder: Path
    config: Path
    files: tuple[str, ...]


def _library_defaults_toml(library: Path) -> dict[str, str]:
    from .unit_cost_library import library_costing_defaults
    out = {}
    for key, value in library_costing_defaults(library).items():
        if isinstance(value, dict):
            out[key] = "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
        else:
            out[key] = json.dumps(value)
    return out


def render_study_toml(name: str, library: Path = UNIT_COSTS_DIR, demo_data: bool = False) -> str:
    """The study.toml init writes: every setting, commented, with its default (library's for costing)."""
    template = Template((TEMPLATES_DIR / "study.toml").read_text(encoding="utf-8"))
    return template.substitute(name=name.replace('"', "'"),
                               mapping_line=DEMO_MAPPING_LINE if demo_data else DEFAULT_MAPPING_LINE,
                               **_library_defaults_toml(library))


def _plan(demo_data: bool) -> list[tuple[str, Path | None]]:
    """(path in the study folder, file to copy or None for generated text), in writing order."""
    plan: list[tuple[str, Path | None]] = [("study.toml", None), ("README.md", None)]
    plan += [(f"unit_costs/{p.name}", p) for p in sorted(UNIT_COSTS_DIR.iterdir()) if p.is_file()]
    plan += [(f"mappings/{p.name}", p) for p in sorted((INSTRUMENTS_DIR / "mappings").glob("*.toml"))]
    plan.append(("mappings/README.md", TEMPLATES_DIR / "mappings_README.md"))
    plan += [(f"docs/sources/{p.name}", p) for p in sorted((DOCS_DIR / "sources").glob("*.md"))]
    if demo_data:
        plan += [(f"data/{name}", DATA_DIR / "feasibility" / name) for name in DEMO_FILES]
    return plan


def init_study(folder: Path, demo_data: bool = False) -> StudyFolder:
    """Write a new study folder at ``folder`` (created if absent); refuse if any target file exists.

    ``demo_data``: also copy the synthetic feasibility extracts into data/ so the study runs at once."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PfcError(f"{folder} is a file, not a folder: pfc-econ init writes a new study folder")
    plan = _plan(demo_data)
    for relative, _ in plan + [("data", None)]:
        target = folder / relative
        if target.exists() and not (relative == "data" and target.is_dir()):
            raise PfcError(f"{target} already exists: pfc-econ init never overwrites a file "
                           "(choose a new folder, or move that file away)")
    name = folder.resolve().name
    texts = {"study.toml": render_study_toml(name, UNIT_COSTS_DIR, demo_data),
             "README.md": Template((TEMPLATES_DIR / "study_README.md").read_text(encoding="utf-8")).substitute(
                 name=name, version=__version__,
                 data_note="The synthetic feasibility extracts of the demo are already in `data/`; "
                           "replace them with the study's own." if demo_data else
                           "`data/` is empty: put the study's extracts there.")}
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for relative, source in plan:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as fh:  # "x": fail rather than overwrite, even in a race
            fh.write(texts[relative].encode("utf-8") if source is None else source.read_bytes())
    return StudyFolder(folder, folder / "study.toml", tuple(r for r, _ in plan))
