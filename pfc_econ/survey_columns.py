"""Child loop-and-merge columns of a survey export, under the spellings the contract accepts.

The platform's CSV export prefixes every column of a loop-and-merge block with the loop number
(``1_child_id``, ``2_pedsql_tod_3``: contracts/questionnaire.toml ``child_prefix``). An SPSS
variable name cannot start with a digit: it must begin with a letter or one of @, # or $ (IBM
SPSS Statistics naming rules, e.g. the Data Collection manual "Variable names and labels when
writing to a .sav file" and the SPSS variable-name rules page of the University of Geneva), so
a .sav export, or a CSV that passed through SPSS or R's ``read.csv`` (whose ``make.names`` puts
an ``X`` in front), spells the same block with a letter in front: ``v1_child_id``,
``X1_child_id``; public code that processes SPSS files downloaded from Qualtrics selects the loop
columns by ``^A<digits>`` (``A1_...``). The accepted spellings are data, ``child_prefix_spellings``
in the contract. A column that names a child-block field under any other prefix, or a block
beyond ``max_children``, is an error naming the block: its answers would otherwise be lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .contracts import SourceContract, TableContract

SLOT = re.compile(r"(\d+)_")


@dataclass(frozen=True)
class ChildColumns:
    """How a header's child-block columns map to the contract."""

    renamed: dict[str, str]          # file column -> contract column (an accepted alternative spelling)
    unrecognised: dict[str, list[str]]  # block prefix as spelt in the file -> its columns


def _spelling_patterns(contract: SourceContract) -> list[re.Pattern]:
    spellings = contract.extra.get("child_prefix_spellings") or [contract.extra.get("child_prefix", "{child}_")]
    return [re.compile("^" + re.escape(s).replace(re.escape("{child}"), r"(\d+)") + "$") for s in spellings]


def match_child_columns(contract: SourceContract, table: TableContract, names: list[str]) -> ChildColumns:
    """Recognise the child-block columns of a header; ``names`` are the file's column names."""
    known = {c.name for c in table.columns}
    child_fields = {c.field for c in table.columns if c.level == "child"}
    prefix_of = contract.extra.get("child_prefix", "{child}_")
    max_children = int(contract.extra.get("max_children", 0))
    patterns = _spelling_patterns(contract)
    renamed: dict[str, str] = {}
    unrecognised: dict[str, list[str]] = {}
    for name in names:
        if name in known:
            continue
        for m in SLOT.finditer(name):
            field = name[m.end():]
            if field not in child_fields:
                continue
            prefix = name[:m.end()]
            slot = next((int(p.match(prefix).group(1)) for p in patterns if p.match(prefix)), None)
            if slot is not None and 1 <= slot <= max_children:
                renamed[name] = prefix_of.format(child=slot) + field
            else:
                unrecognised.setdefault(prefix, []).append(name)
            break
    return ChildColumns(renamed, unrecognised)


def describe_unrecognised(contract: SourceContract, blocks: dict[str, list[str]]) -> str:
    """One line naming the unrecognised blocks (never a value, only column names)."""
    spellings = ", ".join(s.format(child=1) for s in contract.extra.get("child_prefix_spellings", ["{child}_"]))
    parts = []
    for prefix, columns in sorted(blocks.items()):
        shown = ", ".join(columns[:3]) + (f" and {len(columns) - 3} more" if len(columns) > 3 else "")
        parts.append(f"'{prefix}' ({shown})")
    return (f"child block(s) {'; '.join(parts)} not recognised: the contract accepts the prefixes "
            f"{spellings} … for blocks 1 to {contract.extra.get('max_children')}; rename the columns "
            f"or add the spelling to child_prefix_spellings in contracts/{contract.source}.toml")
