"""Disclosure control (pfc_econ.disclosure): the rule on hand-worked tables, then each shareable output.

Hand-worked examples, threshold 5 (counts 1–4 withheld):
* primary: n = 3 is withheld with its mean and SD; n = 0 and n = 5 are shown.
* complementary: n_families 15 = n_ips 3 + n_sau 12: with n_ips withheld, n_sau would give it away
  (15 − 12 = 3), so the smallest other cell of the sum, n_sau, is withheld too.
* text: "too few families with data: 3 IPS, 2 SAU" reads "<5 IPS, <5 SAU"; the rule "at least 3"
  and numbers inside names and dates are kept.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from pfc_econ.disclosure import (
    BELOW_THRESHOLD,
    COMPLEMENTARY,
    DERIVED,
    DisclosureRules,
    apply_disclosure_control,
    redact_counts,
)

SENSITIVITY_RULES = DisclosureRules(
    counts=(("n_families", ("cost",)), ("n_ips", ("cost",)), ("n_sau", ("cost",)), ("n_excluded", ())),
    sums=(("n_families", ("n_ips", "n_sau")), (None, ("n_families", "n_excluded"))), text=("message",))


def test_small_counts_and_their_statistics_are_withheld_zero_and_threshold_shown():
    table = pd.DataFrame({"arm": ["IPS", "SAU", "SAU", "IPS"], "n": [3, 12, 0, 5],
                          "mean": [1.0, 2.0, None, 4.0], "sd": [0.1, 0.2, None, 0.4]})
    out = apply_disclosure_control(table, 5, DisclosureRules(counts=(("n", ("mean", "sd")),)))
    assert out.status["n"].tolist() == [BELOW_THRESHOLD, "", "", ""]
    assert out.status.loc[0, "mean"] == DERIVED and math.isnan(out.frame.loc[0, "mean"])
    assert out.frame["n"].tolist()[1:] == [12, 0, 5] and str(out.frame["n"].dtype) == "Int64"
    assert out.frame.loc[1, "mean"] == 2.0 and out.is_suppressed.tolist() == [True, False, False, False]
    assert out.marker(0, "n") == "<5" and out.marker(0, "mean") == "[suppressed]"


def test_complementary_cells_are_withheld_so_a_count_cannot_be_worked_out():
    table = pd.DataFrame({"n_families": [15, 40, 30], "n_ips": [3, 20, 15], "n_sau": [12, 20, 15],
                          "n_excluded": [10, 0, 2], "cost": [1.0, 2.0, 3.0],
                          "message": ["3 IPS, 12 SAU", "fine", "excluded 2"]})
    out = apply_disclosure_control(table, 5, SENSITIVITY_RULES)
    # row 0: n_ips 3 withheld; n_sau 12 withheld with it (15 − 12 = 3 otherwise)
    assert out.status.loc[0, "n_sau"] == COMPLEMENTARY and out.status.loc[0, "n_families"] == ""
    assert out.frame.loc[0, "message"] == "<5 IPS, [suppressed] SAU"
    assert not out.is_suppressed[1]
    # row 2: n_excluded 2 withheld; the randomised total is public, so n_families goes, then a part
    assert out.status.loc[2, "n_excluded"] == BELOW_THRESHOLD and out.status.loc[2, "n_families"] == COMPLEMENTARY
    assert (out.status.loc[2, ["n_ips", "n_sau"]] == COMPLEMENTARY).sum() == 1
    assert out.frame.loc[2, "message"] == "excluded <5"


@pytest.mark.parametrize("text, expected", [
    ("too few families with data: 3 IPS, 2 SAU (at least 3 per arm needed)",
     "too few families with data: <5 IPS, <5 SAU (at least 3 per arm needed)"),
    ("values imputed: cost 748, effect 4, baseline_cost 1,234", "values imputed: cost 748, effect <5, baseline_cost 1,234"),
    ("mapping kelly_2023, prices 2023/24, share 0.5, PFC-B-001, 3%", "mapping kelly_2023, prices 2023/24, share 0.5, PFC-B-001, 3%"),
    ("data['cost'] has fewer than 3 observed values", "data['cost'] has fewer than 3 observed values"),
    ("0 IPS, 5 SAU", "0 IPS, 5 SAU"),
])
def test_counts_in_text_are_redacted(text, expected):
    assert redact_counts(text, 5) == expected


def test_rules_naming_a_missing_column_are_refused():
    with pytest.raises(ValueError, match="n_sau"):
        apply_disclosure_control(pd.DataFrame({"n": [1]}), 5, DisclosureRules(counts=(("n_sau", ()),)))


# ---- each shareable output of `pfc-econ cea` (the conftest's 60-family trial, threshold 8) ----

def small_counts_in(text: str, threshold: int) -> list[str]:
    """Counts below the threshold next to a word that makes them counts of people."""
    return re.findall(rf"(?<![\w.<])([1-{threshold - 1}]) (?:IPS|SAU|families)\b", text)


def test_csv_tables_withhold_every_small_count(cea_report):
    folder, threshold = cea_report.folder, 8
    checked = 0
    for path in folder.glob("*.csv"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in [c for c in table.columns if c == "n" or c.startswith("n_") or c.endswith("_n")]:
            if path.name == "sources.csv":
                continue  # items priced, not people
            values = [int(v) for v in table[column] if v != ""]
            assert all(v == 0 or v >= threshold for v in values), (path.name, column)
            checked += 1
        for column in [c for c in table.columns if table[c].str.contains(r"[A-Za-z]", regex=True).any()]:
            assert not small_counts_in(" ".join(table[column]), threshold), (path.name, column)
    assert checked >= 10
    sensitivity = pd.read_csv(folder / "sensitivity.csv", keep_default_na=False, dtype=str)
    assert sensitivity["is_suppressed"].eq("True").any(), "the fixture should exercise suppression"


def test_report_withholds_small_counts_in_tables_and_messages(cea_report):
    page = (cea_report.folder / "report.html").read_text(encoding="utf-8")
    assert not small_counts_in(re.sub(r"<[^>]+>", " ", page), 8)
    raw = [a for a in cea_report.summary["analyses"] if 0 < min(a["n_intervention"], a["n_control"]) < 8]
    for analysis in raw:  # the unsuppressed message of summary.json never reaches the report
        if re.search(r"\b[1-7] (IPS|SAU)", analysis["message"]):
            assert analysis["message"] not in page
    assert "None" not in re.sub(r"<[^>]+>", " ", page) and "nan" not in re.sub(r"<[^>]+>", " ", page).split()
    assert "Base case: base case" not in page


def test_workbook_cells_are_typed_formatted_and_withheld_with_a_comment(cea_report):
    book = load_workbook(cea_report.folder / "summary.xlsx")
    assert book.sheetnames[:2] == ["Contents", "Notes"]
    ws = book["sensitivity"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref and all(c.font.bold for c in ws[1])
    header = [c.value for c in ws[1]]
    withheld = 0
    for row in ws.iter_rows(min_row=2):
        for name, cell in zip(header, row):
            if cell.comment is not None:
                assert cell.value is None and "suppressed" in cell.comment.text
                withheld += 1
            elif isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                assert cell.number_format != "General", name
            if "_display" not in name:  # prob_ce_display_*: the probability as text, beside the number
                assert not (isinstance(cell.value, str) and cell.value.startswith("<")), name
    assert withheld > 0
    cost = header.index("incremental_cost_gbp")
    assert ws.cell(row=2, column=cost + 1).number_format.startswith('"£"')
    assert ws.column_dimensions["A"].width > 10
    for sheet in book.worksheets[2:]:
        for row in sheet.iter_rows(min_row=2, values_only=True):
            assert not any(isinstance(v, str) and re.fullmatch(r"<\d+", v) for v in row), sheet.title


def test_figure_annotations_are_redacted(tmp_path, monkeypatch):
    import matplotlib.axes

    from pfc_econ.cea.analysis import AnalysisResult
    from pfc_econ.cea.plots import plot_ce_plane
    from pfc_econ.cea.specs import AnalysisSpec
    drawn = []
    original = matplotlib.axes.Axes.text
    monkeypatch.setattr(matplotlib.axes.Axes, "text", lambda self, x, y, s, *a, **k: drawn.append(s)
                        or original(self, x, y, s, *a, **k))
    spec = AnalysisSpec("base_case", "nhs_pss", "child_qaly", "complete_case")
    result = AnalysisResult(spec, "not_estimable", "too few families with data: 3 IPS, 2 SAU", 5, 3, 2, 14)
    plot_ce_plane(result, tmp_path / "plane.png", suppress_below=5)
    assert drawn and "3 IPS" not in " ".join(drawn) and "<5 IPS, <5 SAU" in " ".join(drawn)


def test_instrument_completion_bars_are_side_by_side_shares_and_withheld_bars_left_out(tmp_path, monkeypatch):
    import matplotlib.axes

    from pfc_econ.audit_figures import plot_instrument_completion
    bars, limits = [], []
    original_barh, original_set_xlim = matplotlib.axes.Axes.barh, matplotlib.axes.Axes.set_xlim
    monkeypatch.setattr(matplotlib.axes.Axes, "barh", lambda self, y, w, *a, **k: bars.append((y, w))
                        or original_barh(self, y, w, *a, **k))
    monkeypatch.setattr(matplotlib.axes.Axes, "set_xlim", lambda self, *a, **k: limits.append(a)
                        or original_set_xlim(self, *a, **k))
    # BCAP: 10 of 10 complete but 6 scorable (a 'not sure' makes a complete form unscorable)
    table = pd.DataFrame({"instrument": ["bcap", "ghq12"], "form": ["standard"] * 2, "timepoint": ["baseline"] * 2,
                          "n_expected": [10, 20], "n_administered": [10, 20], "n_not_administered": [0, 0],
                          "n_complete": [10, 3], "n_scorable": [6, 20]})
    withheld = pd.DataFrame(False, index=table.index, columns=table.columns)
    withheld.loc[1, "n_complete"] = True
    plot_instrument_completion(table, tmp_path / "completion.png", withheld, "<5")
    assert limits[-1] == (0, 1)
    assert len(bars) == 5  # six bars less the withheld one
    assert sorted(w for _, w in bars) == [0.6, 1.0, 1.0, 1.0, 1.0]
    assert len({y for y, _ in bars}) == 5  # each bar its own row: not stacked


def test_completion_legend_names_every_series_when_the_first_row_is_withheld(tmp_path, monkeypatch):
    import matplotlib.axes

    from pfc_econ.audit_figures import COMPLETION_BARS, plot_instrument_completion
    legends = []
    original = matplotlib.axes.Axes.legend
    monkeypatch.setattr(matplotlib.axes.Axes, "legend", lambda self, *a, **k: legends.append(
        self.get_legend_handles_labels()[1]) or original(self, *a, **k))
    table = pd.DataFrame({"instrument": ["bcap", "ghq12"], "form": ["standard"] * 2, "timepoint": ["baseline"] * 2,
                          "n_expected": [10, 20], "n_administered": [10, 20], "n_not_administered": [0, 0],
                          "n_complete": [10, 3], "n_scorable": [6, 20]})
    withheld = pd.DataFrame(False, index=table.index, columns=table.columns)
    withheld.loc[0, ["n_administered", "n_complete", "n_scorable"]] = True  # the first row's bars withheld
    plot_instrument_completion(table, tmp_path / "completion.png", withheld, "<5")
    assert legends == [[label for _, _, label in COMPLETION_BARS]]
    # no rows at all (a trial with no one randomised yet): no legend, and no matplotlib warning
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_instrument_completion(table.iloc[:0], tmp_path / "empty.png")
    assert len(legends) == 1 and (tmp_path / "empty.png").is_file()
