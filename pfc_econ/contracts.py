"""Source contracts: the TOML files in contracts/, loaded and expanded into column lists.

A contract says, per source table, which columns arrive, their type, whether they are required,
unique or direct identifiers, their allowed values and ranges, and row rules (SQL predicates).
The questionnaire's repeated blocks (child loop-and-merge prefixes, item stems, the service-use
catalogue) are expanded here into one Column per exported column.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from .errors import ContractError
from .paths import CONTRACTS_DIR

TYPES = ("text", "integer", "decimal", "date", "timestamp", "boolean", "list")
SOURCE_ORDER = ("randomisation", "unit_costs", "questionnaire", "nspcc_activity", "sau_log")


@dataclass(frozen=True)
class Column:
    """One column of a source table, as the contract describes it."""

    name: str
    type: str
    meaning: str = ""
    is_required: bool = False
    is_unique: bool = False
    is_identifier: bool = False
    allowed: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None
    pattern: str | None = None
    references: str | None = None
    separator: str | None = None
    # Where a questionnaire column sits: level respondent/parent/child, child slot, field stem.
    level: str = "record"
    slot: int = 0
    field: str = ""
    block: str = ""
    instrument: str | None = None
    form: str | None = None
    item: int | None = None
    service: str | None = None
    # service-use columns: who the answer is counted for when two parents respond (person: each
    # respondent's own use; child: once per child; family: once per family), docs/costing.md
    counted_per: str | None = None


@dataclass(frozen=True)
class Rule:
    """A row rule: a SQL predicate over the typed columns; true means the row breaks it."""

    id: str
    field: str
    when: str
    severity: str
    message: str


@dataclass(frozen=True)
class TableContract:
    """One table of a source (most sources are one table; unit_costs is four)."""

    source: str
    table: str
    file: str | None
    record_id: str | None
    grain: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class SourceContract:
    """A source's contract: its description and its tables."""

    source: str
    title: str
    provider: str
    grain: str
    description: str
    formats: tuple[str, ...]
    is_optional: bool
    tables: tuple[TableContract, ...]
    header_rows: int = 1
    path: Path = field(default=CONTRACTS_DIR)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


def _column(spec: dict[str, Any], where: str) -> Column:
    spec = dict(spec)
    if spec.get("type") not in TYPES:
        raise ContractError(f"{where}: column {spec.get('name')!r} has type {spec.get('type')!r}")
    if "allowed" in spec:
        spec["allowed"] = tuple(spec["allowed"])
    known = set(Column.__dataclass_fields__)
    unknown = set(spec) - known
    if unknown:
        raise ContractError(f"{where}: column {spec.get('name')!r} has unknown keys {sorted(unknown)}")
    return Column(**spec)


def _rules(specs: list[dict[str, Any]]) -> tuple[Rule, ...]:
    return tuple(Rule(**spec) for spec in specs)


def _questionnaire_columns(spec: dict[str, Any], folder: Path) -> tuple[Column, ...]:
    """Expand the questionnaire's blocks into the columns of the export, in export order."""
    where = "questionnaire.toml"
    respondent = [replace(_column(c, where), level="respondent", field=c["name"], block="respondent")
                  for c in spec["columns"]]
    with open(folder / spec["services"], newline="", encoding="utf-8") as fh:
        services = list(csv.DictReader(fh))

    def service_columns(level: str, prefix: str, slot: int) -> list[Column]:
        out = []
        for s in (s for s in services if s["asked_of"] == level):
            gate, qty = f"su_{s['service']}_any", f"su_{s['service']}_{s['quantity_unit']}"
            common = dict(level=level, slot=slot, block="service_use", service=s["service"],
                          counted_per=s["counted_per"])
            out.append(Column(prefix + gate, "integer", f"{s['question']}: any in the recall period? 1 yes, 2 no",
                              allowed=(1, 2), field=gate, **common))
            out.append(Column(prefix + qty, s["quantity_type"], f"{s['question']}: number of {s['quantity_unit']}",
                              min=0, max=10000, warn_max=float(s["warn_max"]),
                              field=qty, **common))
        return out

    def item_columns(level: str, prefix: str, slot: int) -> list[Column]:
        out = []
        for b in (b for b in spec["item_blocks"] if b["level"] == level):
            for item in range(1, b["n_items"] + 1):
                stem = b["stem"].format(item=item)
                out.append(Column(prefix + stem, "integer", b["meaning"].format(item=item),
                                  allowed=tuple(b["codes"]), level=level, slot=slot, field=stem,
                                  block="instrument", instrument=b["instrument"],
                                  form=b.get("form"), item=item))
        return out

    columns = respondent + service_columns("parent", "", 0) + item_columns("parent", "", 0)
    for slot in range(1, spec["max_children"] + 1):
        prefix = spec["child_prefix"].format(child=slot)
        columns += [replace(_column(c, where), name=prefix + c["name"], level="child", slot=slot,
                            field=c["name"], block="child") for c in spec["child_columns"]]
        columns += service_columns("child", prefix, slot) + item_columns("child", prefix, slot)
    return tuple(columns)


def _load(path: Path) -> SourceContract:
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{path.name}: not valid TOML: {exc}") from None
    source = spec["source"]
    if source == "questionnaire":
        tables = (TableContract(source, source, None, spec["record_id"], spec["grain"],
                                _questionnaire_columns(spec, path.parent), _rules(spec.get("rules", []))),)
    elif "tables" in spec:
        tables = tuple(
            TableContract(source, t["table"], t.get("file"), t.get("record_id"), t["grain"],
                          tuple(_column(c, path.name) for c in t["columns"]), _rules(t.get("rules", [])))
            for t in spec["tables"])
    else:
        tables = (TableContract(source, source, None, spec.get("record_id"), spec["grain"],
                                tuple(_column(c, path.name) for c in spec["columns"]),
                                _rules(spec.get("rules", []))),)
    return SourceContract(
        source=source, title=spec["title"], provider=spec["provider"], grain=spec["grain"],
        description=spec["description"].strip(), formats=tuple(spec["formats"]),
        is_optional=spec["is_optional"], tables=tables, header_rows=spec.get("header_rows", 1),
        path=path, extra={k: v for k, v in spec.items()
               if k in ("max_children", "services", "child_prefix", "child_prefix_spellings", "sheet")})


@cache
def load_contracts(folder: Path = CONTRACTS_DIR) -> dict[str, SourceContract]:
    """Every source contract in ``folder``, in the order sources are staged."""
    contracts = {}
    for name in SOURCE_ORDER:
        path = folder / f"{name}.toml"
        if not path.is_file():
            raise ContractError(f"contract file missing: {path}")
        contracts[name] = _load(path)
    return contracts


def contract_table(source: str, table: str | None = None) -> TableContract:
    """The contract of one table (``table`` defaults to the source's only table)."""
    tables = load_contracts()[source].tables
    for t in tables:
        if t.table == (table or source):
            return t
    raise KeyError(f"{source}.{table}")


def contract_rows() -> list[dict[str, Any]]:
    """Every expanded column of every contract, as rows for the ``contract_columns`` table."""
    rows = []
    for sc in load_contracts().values():
        for t in sc.tables:
            for position, c in enumerate(t.columns, start=1):
                rows.append({
                    "source": sc.source, "source_table": t.table, "position": position,
                    "column_name": c.name, "type": c.type, "is_required": c.is_required,
                    "is_unique": c.is_unique, "is_identifier": c.is_identifier,
                    "allowed": None if c.allowed is None else [str(a) for a in c.allowed],
                    "min_value": c.min, "max_value": c.max, "warn_min": c.warn_min,
                    "warn_max": c.warn_max, "level": c.level, "slot": c.slot,
                    "field": c.field or c.name, "block": c.block or None,
                    "instrument": c.instrument, "form": c.form, "item": c.item,
                    "service": c.service, "counted_per": c.counted_per, "meaning": c.meaning,
                })
    return rows
