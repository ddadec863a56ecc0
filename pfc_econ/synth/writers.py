"""Stream writers for the synthetic files: survey CSV (three header rows), CSV, Parquet and a
byte-for-byte deterministic xlsx; plus the run config (study.toml) and truth.json."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .layout import Layout

FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


class CsvSink:
    """CSV streamed in chunks; `header_rows` are written first with the csv module."""

    def __init__(self, path: Path, schema: pa.Schema, header_rows: list[list[str]] | None = None):
        self.path, self.rows = Path(path), 0
        self._fh = open(self.path, "wb")
        if header_rows is not None:
            text = io.StringIO()
            csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(header_rows)
            self._fh.write(text.getvalue().encode("utf-8"))
        options = pacsv.WriteOptions(include_header=header_rows is None, quoting_style="needed")
        self._writer = pacsv.CSVWriter(self._fh, schema, write_options=options)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        self._fh.close()


class ParquetSink:
    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.rows = Path(path), 0
        self._writer = pq.ParquetWriter(self.path, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


class XlsxSink:
    """One sheet with a header row; deterministic bytes (fixed properties and zip timestamps).
    Meant for small extracts: rows are held until close."""

    def __init__(self, path: Path, schema: pa.Schema, sheet: str = "Sheet1"):
        self.path, self.rows, self.sheet = Path(path), 0, sheet
        self._schema, self._tables = schema, []

    def write(self, table: pa.Table) -> None:
        self._tables.append(table)
        self.rows += table.num_rows

    def close(self) -> None:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(self.sheet)
        ws.append(self._schema.names)
        table = pa.concat_tables(self._tables) if self._tables else self._schema.empty_table()
        for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns))):
            ws.append(list(row))
        wb.properties.creator = "pfc-econ synth"
        wb.properties.created = FIXED_TIME
        wb.properties.modified = FIXED_TIME
        buf = io.BytesIO()
        wb.save(buf)
        _normalise_zip(buf.getvalue(), self.path)


def _normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry timestamps and order, and fixed core properties."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for name, payload in entries:
            if name == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                payload = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + stamp + rb"\g<2>", payload)
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            dst.writestr(info, payload)


def survey_header(layout: Layout) -> list[list[str]]:
    return [[c.name for c in layout.columns], [c.text for c in layout.columns],
            [c.import_id for c in layout.columns]]


def write_study_toml(path: Path, scenario: str, seed: int, files: dict[str, Path],
                     formats: dict[str, str]) -> None:
    lines = ["[study]", f'name = "{scenario} synthetic data (seed {seed})"',
             'target_price_year = "2023/24"', ""]
    for source in ("randomisation", "questionnaire", "nspcc_activity", "sau_log"):
        lines.append(f"[sources.{source}]")
        if source in files:
            lines.append(f'path = "{files[source].name}"')
        lines.append(f'format = "{formats[source]}"')
        if source in ("nspcc_activity", "sau_log"):
            lines.append(f"enabled = {'true' if source in files else 'false'}")
            # the arms each log covers (docs/costing.md "Like for like"): the feasibility design
            lines.append(f'arms = ["{"IPS" if source == "nspcc_activity" else "SAU"}"]')
        lines.append("")
    lines += ["[periods]", "baseline_recall_months = 3", "followup_min_months = 3",
              "followup_max_months = 6", "",
              "[outcomes]",
              "# ILLUSTRATIVE mapping, NOT a published algorithm: the published PedsQL-to-CHU9D",
              "# coefficients (Kelly et al. 2023, the default) could not be read; see instruments/README.md.",
              'mapping = "illustrative_linear"', ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def write_json(path: Path, payload: dict) -> None:
    Path(path).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
