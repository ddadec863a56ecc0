"""The CEA report: one self-contained HTML page (images embedded as base64), written for a reader.

The page opens with banners for any result resting on an illustrative or unverified input, a
contents list and the headline result; then the sections below, each with an ``id`` the contents
list (and the browser test, ``tests/test_report_browser.py``) finds. Every table in it has been
through disclosure control (``pfc_econ.disclosure``); every cost and outcome table points to the
one sources table. Sections fed by CEA results that a run may not have (tipping point, value of
information, cost composition, regression tables) say "not run" when summary.json lacks them.

The CHEERS 2022 checklist (Husereau et al. 2022, BMJ 376:e067975; 28 items) is the data file
``cheers2022.csv`` beside this module: item titles 1–17 were checked against Table 1 of the
statement; titles 18–28 (``title_verified = secondary``) were read in several independent public
checklist implementations that quote it, not in the statement itself.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pfc_econ.cea.formatting import (
    format_interval,
    format_money,
    format_probability,
    format_value,
)
from pfc_econ.cea.report_sections import (
    render_audits,
    render_composition,
    render_regressions,
    render_thresholds,
    render_tipping_point,
    render_value_of_information,
    threshold_note,
)
from pfc_econ.cea.report_tables import (
    EFFECT_PLURALS,
    EFFECT_UNITS,
    n_draws_of,
    render_cells,
    render_disclosed,
    render_sensitivity,
)
from pfc_econ.disclosure import DisclosedTable

CHEERS_FILE = Path(__file__).with_name("cheers2022.csv")
# Sample-size bands for the caveat (a reporting convention of this report, not a published rule):
# below 50 randomised families the feasibility study's warning applies; below 300 intervals are wide.
SMALL_SAMPLE, MODERATE_SAMPLE = 50, 300
STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f0f0f0;text-align:left}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
.scroll{overflow-x:auto;max-width:100%}.note{background:#fff6d5;padding:.6em;border-left:4px solid #e0b000}
.banner{background:#fde2e1;padding:.6em;border-left:5px solid #c0392b;margin:.4em 0}
.sources-ref{font-size:12px;color:#555}.withheld{color:#666;font-style:italic}
.headline{font-size:1.05em;background:#eef5ee;padding:.7em;border-left:4px solid #1b7837}
nav ol{columns:2}img{max-width:100%;height:auto}figure{margin:1em 0}figcaption{font-size:12px;color:#444}"""


def describe_sample(n_randomised: int) -> str:
    """The sample-size caveat, chosen by this run's own number of randomised families."""
    if n_randomised < SMALL_SAMPLE:
        return (f"This analysis has {n_randomised} randomised families, far too small for inference (the "
                "feasibility study randomised 19): estimates, intervals and probabilities illustrate the "
                "method only and must not be read as evidence about IPS.")
    if n_randomised < MODERATE_SAMPLE:
        return (f"This analysis has {n_randomised} randomised families: intervals are wide and chance "
                "imbalances between arms may remain after adjustment; read the intervals, not the point estimates.")
    return (f"This analysis has {n_randomised:,} randomised families. Its intervals and probabilities describe "
            "sampling and missing-data uncertainty only: they do not include the uncertainty of inputs "
            "labelled assumption, recall or illustrative (see the banners above and the sources table).")


def read_cheers_checklist() -> pd.DataFrame:
    """The 28 CHEERS 2022 items with where each is answered in the report, or why not."""
    return pd.read_csv(CHEERS_FILE, dtype=str, keep_default_na=False)


def embed_image(path: Path, caption: str = "") -> str:
    """A <figure> whose image is the PNG itself (data URI), so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{html.escape(Path(path).stem.replace("_", " "))}" ' \
           f'src="data:image/png;base64,{data}">{cap}</figure>'


def sources_reference(kinds: str) -> str:
    """The line under a cost or outcome table pointing to the sources table."""
    return f'<p class="sources-ref">Sources of {html.escape(kinds)}: <a href="#sources">sources table</a>.</p>'


def render_headline(summary: dict[str, Any], disclosed) -> str:
    """The base case in two sentences, formatted, withheld or 'not estimable' as it stands."""
    base = summary["analyses"][0]
    unit = EFFECT_UNITS.get(base["effect"], base["effect"])
    if disclosed.is_suppressed.iloc[0] and disclosed.status.iloc[0]["incremental_cost_gbp"]:
        return '<p class="headline">Base case: withheld by disclosure control (an arm has too few families).</p>'
    if base["status"] != "ok":
        return f'<p class="headline">Base case: not estimable ({html.escape(disclosed.frame.iloc[0]["message"])}).</p>'
    draws = n_draws_of(base)
    shown = base.get("prob_cost_effective_display") or {}
    chances = "; ".join(f"{shown.get(k) or format_probability(p, draws)} at £{float(k):,.0f} per {unit}"
                        for k, p in base["prob_cost_effective"].items())
    text = (f"Base case: IPS costs {format_money(base['incremental_cost_gbp'])} more per family than SAU "
            f"(95% interval {format_interval(*base['incremental_cost_ci'], 'money')}) and gives "
            f"{format_value(base['incremental_qaly'], 'qaly')} more {EFFECT_PLURALS.get(base['effect'], unit)} "
            f"({format_interval(*base['incremental_qaly_ci'], 'qaly')}); ICER "
            f"{format_money(base['icer'])} per {unit}. Probability IPS is cost-effective: {chances}.")
    return f'<p class="headline">{html.escape(text)}</p>'


def render_costs_by_perspective(disclosed) -> str:
    """Cost per family by arm, one table per perspective (rows: period × category × basis)."""
    parts = []
    frame = disclosed.frame
    money = lambda column, row: "money" if column.endswith(("_mean", "_sd")) else None  # noqa: E731
    for perspective in dict.fromkeys(frame["perspective"]):
        rows = (frame["perspective"] == perspective).to_numpy()
        part = DisclosedTable(frame[rows].reset_index(drop=True), disclosed.status[rows].reset_index(drop=True),
                              disclosed.threshold, disclosed.rules)
        parts.append(render_disclosed(
            part, ["period", "category", "basis", "ips_n", "ips_mean", "ips_sd", "sau_n", "sau_mean", "sau_sd"],
            kind=money, headers={"ips_n": "IPS n", "ips_mean": "IPS mean", "ips_sd": "IPS SD", "sau_n": "SAU n",
                                 "sau_mean": "SAU mean", "sau_sd": "SAU SD"},
            caption=f"Cost per family, {perspective.replace('_', ' ')} perspective: complete costs by category, "
                    "and the known cost (a lower bound) of every family with any cost data"))
    return "".join(parts)


def render_settings(settings_table: pd.DataFrame) -> str:
    rows = [[html.escape(str(r.setting)), html.escape(str(r.value))] for r in settings_table.itertuples()]
    return render_cells(["setting", "value"], rows)


def render_cheers() -> str:
    rows = []
    for r in read_cheers_checklist().itertuples():
        where = r.where_in_report
        link = f'<a href="{html.escape(where)}">{html.escape(where.lstrip("#"))}</a>' if where.startswith("#") \
            else html.escape(where)
        rows.append([html.escape(r.item), html.escape(r.section), html.escape(r.title), html.escape(r.title_verified),
                     link, html.escape(r.status)])
    return render_cells(["item", "section", "title", "title verified", "where in this report", "status"], rows)


def build_sections(context: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(id, title, body) of every section, in page order."""
    tables, summary, figures = context["tables"], context["summary"], context["figures"]
    threshold, sensitivity = context["settings"]["suppress_below"], tables["sensitivity"]
    base_description = context["base_case_description"].removeprefix("base case: ")
    cons_kind = lambda column, row: ("money" if str(row["outcome"]).startswith("cost_gbp") else "score") \
        if column.endswith(("_mean", "_sd")) else None  # noqa: E731
    outcome_kind = lambda column, row: "qaly" if column in ("mean", "sd") else None  # noqa: E731
    return [
        ("about", "About this analysis",
         f'<p class="note">{html.escape(describe_sample(context["n_randomised"]))}</p>'
         f'<p class="note">Shareable output: counts from 1 to {threshold - 1} are withheld (shown as '
         f"&lt;{threshold}), with every statistic computed from them and any count that would let them be "
         "worked out from a total ([suppressed]). summary.json is for scripts, not for sharing: it is not "
         "suppressed.</p><p>Comparators: Infant Parent Support (IPS, NSPCC) against services as usual (SAU), "
         "randomised 1:1 within site (Bromley; Glasgow). Time horizon: randomisation to the follow-up "
         "assessment (3 to 6 months), so no discounting. Incrementals are IPS − SAU. Currency GBP, "
         f"{html.escape(str(context['price_year']))} prices.</p>"),
        ("methods", "Methods",
         f"<p>Base case: {html.escape(base_description)}. Incremental cost and effect are the arm coefficients "
         "of cost ~ arm + baseline cost + site and effect ~ arm + baseline effect + site (Manca, Hawkins &amp; "
         "Sculpher 2005). Uncertainty: non-parametric bootstrap of families stratified by arm and site, "
         "percentile intervals; missing data: multiple imputation by chained equations with predictive mean "
         "matching within arm (statsmodels MICEData), each imputed data set bootstrapped and pooled by Rubin's "
         "rules (MI Boot, Schomaker &amp; Heumann 2018, Stat Med 37:2252–2266). Net monetary benefit = "
         "threshold × Δeffect − Δcost. Child QALYs are the area under the CHU9D utility curve, the utilities "
         f"mapped from PedsQL by {html.escape(context['mapping'])} (see the sources table).</p>"),
        ("sources", "Sources",
         "<p>Every unit cost, price index, tariff, scoring rule and mapping the results rest on, with the "
         "verification label its data file gives it (primary / secondary / derived / verified: read in the "
         "source; assumption, recall, not found, illustrative, synthetic: not).</p>"
         + render_disclosed(context["sources"], ["source_id", "kind", "what", "source", "verification", "used_for",
                                                 "n_items"], headers={"source_id": "id", "n_items": "items priced"})),
        ("analyses", "Base case and sensitivity analyses",
         render_sensitivity(sensitivity, summary["analyses"], lambda effect: threshold_note(summary, effect))
         + sources_reference("unit costs, indices, tariffs and the mapping")),
        ("thresholds", "Which threshold applies to which outcome", render_thresholds(context)),
        ("plots", "Cost-effectiveness plane and acceptability curve",
         "".join(embed_image(p, c) for p, c in figures["cea"])),
        ("costs", "Costs by arm and category",
         embed_image(*figures["cost_distributions"])
         + render_costs_by_perspective(context["cost_by_arm_wide"])
         + render_composition(context) + sources_reference("unit costs and indices")),
        ("outcomes", "QALYs and years of full capability by arm",
         render_disclosed(tables["outcomes_by_arm"], kind=outcome_kind) + sources_reference("tariffs and the mapping")),
        ("consequences", "Cost-consequence table",
         "<p>Every outcome by arm and timepoint next to costs (index child: PedsQL, CHU9D utility, SDQ; "
         "parents: GHQ-12, ICECAP-A, BCAP; family: complete costs per perspective).</p>"
         + render_disclosed(tables["cost_consequences"], kind=cons_kind)
         + sources_reference("scoring rules, tariffs, the mapping, unit costs and indices")),
        ("tipping", "Missing not at random: tipping point", render_tipping_point(context)),
        ("voi", "Value of information and the acceptability frontier",
         render_value_of_information(context, figures.get("voi", []), embed_image)),
        ("regressions", "Cost models (regression tables)", render_regressions(context)),
        ("audits", "Missing data and audits", render_audits(context, embed_image)),
        ("settings", "Settings", render_settings(context["settings_table"])),
        ("cheers", "CHEERS 2022 checklist",
         "<p>Husereau D, Drummond M, Augustovski F, et al. Consolidated Health Economic Evaluation Reporting "
         "Standards 2022 (CHEERS 2022) statement. BMJ 2022;376:e067975. For each item: where this report answers "
         "it (a section of this page) or why it does not. Titles marked 'secondary' were read in public checklist "
         "implementations quoting the statement, not in it.</p>" + render_cheers()),
    ]


def render_report(context: dict[str, Any]) -> str:
    """The report page. ``context`` holds the disclosed tables, figures, summary, sources and settings."""
    sections = build_sections(context)
    title = f"Economic evaluation of IPS vs SAU: {context['study_name']}"
    banners = "".join(f'<p class="banner"><strong>Caution.</strong> {html.escape(b)}</p>' for b in context["banners"])
    contents = "".join(f'<li><a href="#{sid}">{html.escape(name)}</a></li>' for sid, name, _ in sections)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             "<h1>Within-trial economic evaluation: IPS against services as usual</h1>",
             f"<p>Study: {html.escape(context['study_name'])}; {context['n_randomised']:,} randomised families; "
             f"results folder run by pfc-econ {html.escape(str(context['version']))}.</p>",
             f'<div id="banners">{banners}</div>',
             render_headline(context["summary"], context["tables"]["sensitivity"]),
             f'<nav id="contents"><h2>Contents</h2><ol>{contents}</ol></nav>']
    parts += [f'<section id="{sid}"><h2>{html.escape(name)}</h2>{body}</section>' for sid, name, body in sections]
    parts.append("</body></html>")
    return "\n".join(parts)


def section_ids(page: str) -> Sequence[str]:
    """The ids of the page's sections, in order (used by the browser test and the screenshot script)."""
    import re
    return re.findall(r'<section id="([^"]+)">', page)
