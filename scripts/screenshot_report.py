"""Screenshot each section of a CEA report in headless Chromium: one PNG per section.

Usage: python scripts/screenshot_report.py REPORT.html OUT_DIR [--prefix report] [--width 1200]
Example: python scripts/screenshot_report.py results/cea/report.html docs/img --prefix report
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pfc_econ.report_browser import screenshot_sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--prefix", default="report")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args()
    for path in screenshot_sections(args.report, args.out_dir, args.prefix, args.width):
        print(path)


if __name__ == "__main__":
    main()
