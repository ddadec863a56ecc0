"""Provenance helpers for manifest.json: file hashes and the unit-cost library version."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path


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
