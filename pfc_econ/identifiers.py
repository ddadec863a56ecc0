"""Which input columns are direct identifiers, to be dropped before anything is stored."""

from __future__ import annotations

import re
import tomllib
from functools import cache

from .paths import CONTRACTS_DIR

SLOT_PREFIX = re.compile(r"^\d+_")


@cache
def _rules() -> tuple[tuple[re.Pattern, ...], frozenset[str]]:
    spec = tomllib.loads((CONTRACTS_DIR / "identifiers.toml").read_text(encoding="utf-8"))
    return tuple(re.compile(p, re.IGNORECASE) for p in spec["patterns"]), frozenset(spec["allowed"])


def identifier_reason(column: str) -> str | None:
    """Why ``column`` is a direct identifier (the matching pattern), or None if it is not."""
    patterns, allowed = _rules()
    stem = SLOT_PREFIX.sub("", column)
    if stem in allowed or column in allowed:
        return None
    for pattern in patterns:
        if pattern.fullmatch(stem):
            return f"column name matches identifier pattern {pattern.pattern!r}"
    return None
