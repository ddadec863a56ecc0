"""The CEA report in a real browser: headless Chromium renders every section, decodes every
image, does not scroll sideways at 1200 px, and logs nothing to the console."""

from __future__ import annotations

import re

from pfc_econ.cea.report import section_ids
from pfc_econ.report_browser import check_report_page

EXPECTED_SECTIONS = ["about", "methods", "sources", "analyses", "thresholds", "plots", "costs", "outcomes",
                     "consequences", "tipping", "voi", "regressions", "audits", "settings", "cheers"]


def test_report_renders_every_section_without_console_errors(cea_report, chromium):
    page = cea_report.folder / "report.html"
    check = check_report_page(page, width=1200)
    assert check.console == ()
    ids = [s["id"] for s in check.sections]
    assert ids == list(section_ids(page.read_text(encoding="utf-8")))
    assert set(EXPECTED_SECTIONS) <= set(ids)
    for section in check.sections:
        assert section["height"] > 60 and section["heading"] > 0, section["id"]
        assert section["decoded"] == section["images"], section["id"]
    images = {s["id"]: s["images"] for s in check.sections}
    assert images["plots"] == 2 and images["costs"] >= 1 and images["audits"] >= 1
    assert check.scroll_width <= check.inner_width  # wide tables scroll inside their box, not the page
    contents = re.findall(r'<a href="#([^"]+)">', page.read_text(encoding="utf-8").split("</nav>")[0])
    assert contents == ids


def test_console_errors_are_caught(tmp_path, chromium):
    """The check itself: a page whose script fails is reported."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><head></head><body><section id='a'><h2>a</h2></section>"
                    "<script>console.error('planted'); notDefined();</script></body></html>")
    check = check_report_page(page)
    assert any("planted" in line for line in check.console)
    assert any("notDefined" in line for line in check.console)
