"""The CEA report: one self-contained HTML page (images embedded as base64) and an Excel workbook.

Both are shareable outputs: they hold only the small-cell-suppressed tables. The CHEERS 2022
checklist (Husereau et al. 2022, BMJ 376:e067975; 28 items) is the data file
``cheers2022.csv`` beside this module: item titles 1–17 were checked against Table 1 of the
statement; titles 18–28 (``title_verified = secondary``) were read in several independent public
checklist implementations that quote it, not in the statement itself.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

CHEERS_FILE = Path(__file__).with_name("cheers2022.csv")
def describe_sample(n_randomised: int) -> str:
    """The sample-size warning every shareable output carries, naming this run's sample."""
    return (f"This analysis has {n_randomised} randomised families. The feasibility sample (19 families) "
            "is far too small for inference: from a sample of that size, estimates, intervals and "
            "probabilities illustrate the method only and must not be read as evidence about IPS.")
STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#eee}.note{background:#fff6d5;padding:0.5em;border-left:4px solid #e0b000}
img{max-width:100%}.costing{font-size:12px;color:#444}"""


def read_cheers_checklist() -> pd.DataFrame:
    """The 28 CHEERS 2022 items with where each is answered in the report, or why not."""
    return pd.read_csv(CHEERS_FILE, dtype=str, keep_default_na=False)


def embed_image(path: Path) -> str:
    """An <img> whose source is the PNG itself (data URI), so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(Path(path).stem)}" src="data:image/png;base64,{data}">'


def render_table(table: pd.DataFrame) -> str:
    """A DataFrame as an HTML table (numbers rounded for reading)."""
    if table.empty:
        return "<p><em>no rows</em></p>"
    return table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.4g}", border=0)


def render_costing_note(notes: dict[str, Any]) -> str:
    """Currency, price year, inflation indices and unit-cost sources: shown beside every cost table."""
    indices = "; ".join(f"{r.index_code} ({r.source})" for r in notes["inflation_indices"].itertuples()) or "none used"
    sources = "; ".join(str(s) for s in notes["unit_cost_sources"]["unit_cost_source"]) or "none"
    return (f'<p class="costing">Currency {notes["currency"]}, {html.escape(str(notes["price_year"]))} prices; '
            f"inflation index: {html.escape(indices)}; unit-cost sources: {html.escape(sources)} "
            f"(unit-cost library {html.escape(str(notes.get('unit_cost_library')))}).</p>")


def render_report(context: dict[str, Any]) -> str:
    """The report page. ``context`` holds the shareable tables, figure paths, settings and notes."""
    tables, notes, settings = context["tables"], context["costing_notes"], context["settings"]
    threshold = settings["suppress_below"]
    cost_note = render_costing_note(notes)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Economic evaluation of IPS vs SAU: "
             f"{html.escape(context['study_name'])}</title><style>{STYLE}</style></head><body>",
             f"<h1>Within-trial economic evaluation: IPS against services as usual</h1>",
             f"<p>Study: {html.escape(context['study_name'])}; results folder run by pfc-econ "
             f"{html.escape(str(context['version']))}.</p>",
             '<h2 id="about">About this analysis</h2>',
             f'<p class="note">{html.escape(describe_sample(context["n_randomised"]))}</p>',
             f'<p class="note">Shareable output: cells with counts from 1 to {threshold - 1} are suppressed '
             f"(shown as &lt;{threshold}, with their statistics blank). summary.json is for scripts, not for "
             "sharing: it is not suppressed.</p>",
             "<p>Comparators: Infant Parent Support (IPS, NSPCC) against services as usual (SAU), randomised "
             "1:1 within site (Bromley; Glasgow). Time horizon: randomisation to the follow-up assessment "
             "(3 to 6 months), so no discounting. Incrementals are IPS − SAU.</p>",
             '<h2 id="methods">Methods</h2>',
             f"<p>Base case: {html.escape(context['base_case_description'])}. Incremental cost and effect are "
             "the arm coefficients of cost ~ arm + baseline cost + site and effect ~ arm + baseline effect + "
             "site (Manca, Hawkins &amp; Sculpher 2005). Uncertainty: non-parametric bootstrap of families "
             "stratified by arm and site, percentile intervals; missing data: multiple imputation by chained "
             "equations with predictive mean matching within arm, at the level where data are missing (unknown "
             "item quantities, missing questionnaires; Faria et al. 2014), each imputed data set bootstrapped "
             "and pooled by Rubin's rules (MI Boot, Schomaker &amp; Heumann 2018, Stat Med 37:2252–2266). "
             "Net monetary benefit = threshold × Δeffect − Δcost; P(cost-effective), the acceptability curve "
             "and frontier and EVPI come from the joint bootstrap × imputation draws and are never shown finer "
             "than the draws resolve (e.g. &lt;0.0001).</p>",
             '<h2 id="settings">Settings</h2>', render_table(context["settings_table"]),
             '<h2 id="analyses">Base case and sensitivity analyses</h2>',
             "<p>One row per analysis; n_families is the number of families each analysis used.</p>",
             cost_note, render_table(tables["sensitivity"]),
             '<h2 id="plots">Cost-effectiveness plane and acceptability curve</h2>',
             *(embed_image(p) for p in context["figures"]["cea"]),
             *render_decisions(context),
             '<h2 id="costs">Costs by arm</h2>', cost_note,
             embed_image(context["figures"]["cost_distributions"]),
             render_table(tables["cost_by_arm"]),
             "<h3>Unit-cost sources used</h3>", render_table(notes["unit_cost_sources"]),
             '<h2 id="outcomes">QALYs and years of full capability by arm</h2>', render_table(tables["outcomes_by_arm"]),
             '<h2 id="consequences">Cost-consequence table</h2>',
             "<p>Every outcome by arm and timepoint next to costs (index child: PedsQL, CHU9D utility, SDQ; "
             "parents: GHQ-12, ICECAP-A, BCAP; family: complete costs per perspective).</p>", cost_note,
             render_table(tables["cost_consequences"]),
             '<h2 id="audits">Missing data and audits</h2>',
             *(embed_image(p) for p in context["figures"]["audits"]),
             render_table(context["audit_summary"]),
             '<h2 id="cheers">CHEERS 2022 checklist</h2>',
             "<p>Husereau D, Drummond M, Augustovski F, et al. Consolidated Health Economic Evaluation "
             "Reporting Standards 2022 (CHEERS 2022) statement. BMJ 2022;376:e067975. For each item: where this "
             "report answers it (a section of this page) or why it does not. Titles marked 'secondary' "
             "were read in public checklist implementations quoting the statement, not in it.</p>",
             render_table(read_cheers_checklist()),
             "</body></html>"]
    return "\n".join(parts)


DECISION_SECTIONS = (
    ("thresholds", "Which threshold applies to which outcome",
     "QALY thresholds are NICE's; a year of full capability has no accepted threshold, so its range is illustrative."),
    ("cost_composition", "How much of each arm's cost was observed, structurally zero and imputed",
     "Cells are family × cost category; structurally zero = no source of the family covers the category."),
    ("value_of_information", "Acceptability frontier and expected value of perfect information (base case)", ""),
    ("tipping_point", "Missing not at random: tipping point (base case)",
     "One arm's imputed costs × (1 + delta_cost) and imputed effects + delta_effect, the other arm at MAR "
     "(Leurent et al. 2018); conclusion_changes: the sign of the expected net benefit differs from MAR."),
)


def render_decisions(context: dict[str, Any]) -> list[str]:
    """Thresholds, cost composition, frontier/EVPI, tipping point and regression tables (when present)."""
    tables = context.get("decisions") or {}
    parts = []
    for key, title, note in DECISION_SECTIONS:
        parts.append(f'<h2 id="{key}">{html.escape(title)}</h2>')
        if key not in tables:
            parts.append("<p><em>not run</em></p>")
            continue
        if key == "value_of_information" and context.get("evpi_note"):
            note = context["evpi_note"]
        parts += [f"<p>{html.escape(note)}</p>" if note else "", render_table(tables[key])]
    regressions = [k for k in tables if k.startswith("regression_")]
    parts.append('<h2 id="regression">Cost models: regression tables</h2>')
    parts += [f"<h3>{html.escape(k)}</h3>" + render_table(tables[k]) for k in regressions] or ["<p><em>not run</em></p>"]
    return parts


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame], notes: list[str]) -> Path:
    """An Excel workbook (openpyxl) with a Notes sheet first, then one sheet per table."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": notes}).to_excel(writer, sheet_name="Notes", index=False)
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
    return path
