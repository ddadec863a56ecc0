"""The questionnaire export's column layout, read from the source contracts.

The contracts are the interface: the column names, their order and the item codes all come from
`contracts/questionnaire.toml` and `contracts/questionnaire_services.csv`, never from a copy here.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pfc_econ.paths import CONTRACTS_DIR

# How the platform labels its own metadata columns (question text, import id).
_METADATA_TEXT = {
    "StartDate": ("Start Date", '{"ImportId":"startDate","timeZone":"Europe/London"}'),
    "EndDate": ("End Date", '{"ImportId":"endDate","timeZone":"Europe/London"}'),
    "Status": ("Response Type", '{"ImportId":"status"}'),
    "IPAddress": ("IP Address", '{"ImportId":"ipAddress"}'),
    "Progress": ("Progress", '{"ImportId":"progress"}'),
    "Duration (in seconds)": ("Duration (in seconds)", '{"ImportId":"duration"}'),
    "Finished": ("Finished", '{"ImportId":"finished"}'),
    "RecordedDate": ("Recorded Date", '{"ImportId":"recordedDate","timeZone":"Europe/London"}'),
    "ResponseId": ("Response ID", '{"ImportId":"_recordId"}'),
    "RecipientLastName": ("Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    "RecipientFirstName": ("Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    "RecipientEmail": ("Recipient Email", '{"ImportId":"recipientEmail"}'),
    "ExternalReference": ("External Data Reference", '{"ImportId":"externalDataReference"}'),
    "LocationLatitude": ("Location Latitude", '{"ImportId":"locationLatitude"}'),
    "LocationLongitude": ("Location Longitude", '{"ImportId":"locationLongitude"}'),
    "DistributionChannel": ("Distribution Channel", '{"ImportId":"distributionChannel"}'),
    "UserLanguage": ("User Language", '{"ImportId":"userLanguage"}'),
}
_EMBEDDED = ("family_id", "parent_id", "timepoint", "recall_months")


@dataclass(frozen=True)
class Service:
    service: str
    asked_of: str
    unit: str
    question: str


@dataclass(frozen=True)
class ItemBlock:
    instrument: str
    form: str | None
    level: str
    stem: str
    n_items: int
    codes: tuple[int, ...]
    meaning: str

    def column(self, item: int) -> str:
        return self.stem.replace("{item}", str(item))


@dataclass(frozen=True)
class Column:
    name: str
    text: str
    import_id: str
    kind: str = "integer"   # "integer" or "text" (timestamps are written as text)


@dataclass(frozen=True)
class Layout:
    columns: tuple[Column, ...]
    parent_columns: tuple[str, ...]  # contract [[columns]]: metadata, embedded data, demographics
    child_columns: tuple[str, ...]
    parent_services: tuple[Service, ...]
    child_services: tuple[Service, ...]
    parent_blocks: tuple[ItemBlock, ...]
    child_blocks: tuple[ItemBlock, ...]
    max_children: int

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _load(contracts_dir: Path) -> tuple[dict, list[Service]]:
    with open(contracts_dir / "questionnaire.toml", "rb") as fh:
        contract = tomllib.load(fh)
    with open(contracts_dir / contract["services"], newline="", encoding="utf-8") as fh:
        services = [
            Service(r["service"], r["asked_of"], r["quantity_unit"], r["question"])
            for r in csv.DictReader(fh)
        ]
    return contract, services


@lru_cache(maxsize=4)
def questionnaire_layout(contracts_dir: Path = CONTRACTS_DIR) -> Layout:
    """Every column of the survey export, in contract order, with question text and import id."""
    contract, services = _load(Path(contracts_dir))
    blocks = [
        ItemBlock(b["instrument"], b.get("form"), b["level"], b["stem"], int(b["n_items"]),
                  tuple(int(c) for c in b["codes"]), b["meaning"])
        for b in contract["item_blocks"]
    ]
    parent_services = tuple(s for s in services if s.asked_of == "parent")
    child_services = tuple(s for s in services if s.asked_of == "child")
    parent_blocks = tuple(b for b in blocks if b.level == "parent")
    child_blocks = tuple(b for b in blocks if b.level == "child")
    max_children = int(contract["max_children"])

    cols: list[Column] = []
    qid = 0

    def next_qid() -> int:
        nonlocal qid
        qid += 1
        return qid

    for spec in contract["columns"]:
        name = spec["name"]
        if name in _METADATA_TEXT:
            text, import_id = _METADATA_TEXT[name]
        elif name in _EMBEDDED:
            text, import_id = name, '{"ImportId":"%s"}' % name
        else:
            text = spec["meaning"]
            import_id = '{"ImportId":"QID%d"}' % next_qid()
        kind = "integer" if spec["type"] == "integer" else "text"
        cols.append(Column(name, text, import_id, kind))

    def service_columns(svc: Service, prefix: str, qids: dict[str, int]) -> list[Column]:
        q = qids.setdefault(svc.service + ":" + svc.asked_of, next_qid())
        lead = f"Child {prefix[:-1]}: " if prefix else ""
        return [
            Column(f"{prefix}su_{svc.service}_any", f"{lead}{svc.question} - any in the recall period? (1 yes, 2 no)",
                   '{"ImportId":"%sQID%d"}' % (prefix, q)),
            Column(f"{prefix}su_{svc.service}_{svc.unit}", f"{lead}{svc.question} - number of {svc.unit}",
                   '{"ImportId":"%sQID%d_TEXT"}' % (prefix, q)),
        ]

    def block_columns(block: ItemBlock, prefix: str, qids: dict[str, int]) -> list[Column]:
        q = qids.setdefault(block.stem, next_qid())
        lead = f"Child {prefix[:-1]}: " if prefix else ""
        return [
            Column(prefix + block.column(i), lead + block.meaning.replace("{item}", str(i)),
                   '{"ImportId":"%sQID%d_%d"}' % (prefix, q, i))
            for i in range(1, block.n_items + 1)
        ]

    qids: dict[str, int] = {}
    for svc in parent_services:
        cols += service_columns(svc, "", qids)
    for block in parent_blocks:
        cols += block_columns(block, "", qids)
    child_specs = contract["child_columns"]
    child_qids = {spec["name"]: next_qid() for spec in child_specs}
    for n in range(1, max_children + 1):
        prefix = f"{n}_"
        for spec in child_specs:
            kind = "integer" if spec["type"] == "integer" else "text"
            cols.append(Column(prefix + spec["name"], f"Child {n}: {spec['meaning']}",
                               '{"ImportId":"%sQID%d"}' % (prefix, child_qids[spec["name"]]), kind))
        for svc in child_services:
            cols += service_columns(svc, prefix, qids)
        for block in child_blocks:
            cols += block_columns(block, prefix, qids)

    names = [c.name for c in cols]
    if len(names) != len(set(names)):
        raise ValueError("questionnaire contract expands to duplicate column names")
    return Layout(
        columns=tuple(cols),
        parent_columns=tuple(spec["name"] for spec in contract["columns"]),
        child_columns=tuple(spec["name"] for spec in child_specs),
        parent_services=parent_services,
        child_services=child_services,
        parent_blocks=parent_blocks,
        child_blocks=child_blocks,
        max_children=max_children,
    )
