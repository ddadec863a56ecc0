"""Provenance helpers for manifest.json: file hashes and the unit-cost library version."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from .paths import UNIT_COSTS_DIR


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_version(folder: Path | None) -> str | None:
    """The unit-cost library's version from unit_costs/settings.toml, if it declares one."""
    if folder is None or not (folder / "settings.toml").is_file():
        return None
    settings = tomllib.loads((folder / "settings.toml").read_text(encoding="utf-8"))
    return str(settings.get("version") or settings.get("library", {}).get("version"))


def describe_library(folder: Path) -> dict:
    """Which unit-cost library a run read: its folder, whether it is the one shipped with pfc-econ,
    and (for a study's own copy, e.g. from `pfc-econ init`) the files that differ from the shipped
    library or are not in it."""
    folder = Path(folder).resolve()
    shipped = UNIT_COSTS_DIR.resolve()
    is_shipped = folder == shipped or folder.parent == shipped / "versions"  # current, or a frozen version
    out = {"folder": str(folder), "origin": "shipped" if is_shipped else "study", "version": library_version(folder)}
    if not is_shipped:
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        out["files_differing_from_shipped"] = [
            name for name in files
            if not (UNIT_COSTS_DIR / name).is_file() or file_sha256(folder / name) != file_sha256(UNIT_COSTS_DIR / name)]
    return out
