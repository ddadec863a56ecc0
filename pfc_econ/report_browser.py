"""Look at the HTML report in a real browser: headless Chromium (Debian's ``chromium`` package).

``check_report_page`` loads a copy of the page with a small probe script prepended, lets it
render (``--virtual-time-budget``), and reads back from the dumped DOM, for every
``<section id=…>``: its rendered height, whether its heading shows, how many images it has and how
many decoded; plus whether the page scrolls sideways, and every console message Chromium logged
(``--enable-logging=stderr`` prints them as ``CONSOLE`` lines; the report itself has no script, so
any message is a fault). ``screenshot_sections`` writes one PNG per section. Chromium runs
offline: no network, a fresh profile, no background services.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>")
PROBE = """<script>
window.__probeErrors = [];
window.addEventListener('error', function (e) { window.__probeErrors.push(String(e.message || e.type)); }, true);
window.addEventListener('load', function () {
  var out = {sections: [], scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};
  document.querySelectorAll('section[id]').forEach(function (s) {
    var imgs = s.querySelectorAll('img'), h = s.querySelector('h2');
    out.sections.push({id: s.id, height: s.getBoundingClientRect().height,
      heading: h ? h.getBoundingClientRect().height : 0, images: imgs.length,
      decoded: Array.prototype.filter.call(imgs, function (i) { return i.complete && i.naturalWidth > 0; }).length,
      top: s.getBoundingClientRect().top + window.scrollY});
  });
  out.errors = window.__probeErrors;
  var pre = document.createElement('pre'); pre.id = '__probe'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw.

    Fields:
        sections: per section id: height, heading height, images, images decoded, top (px).
        console: console messages Chromium logged (none expected).
        scroll_width, inner_width: the page's width and the window's (wider = sideways scroll).
    """

    sections: tuple[dict, ...]
    console: tuple[str, ...]
    scroll_width: int
    inner_width: int


def find_chromium() -> str | None:
    """The Chromium executable, or None."""
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def run_chromium(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Chromium with the offline flags and a fresh profile folder (removed afterwards)."""
    executable = find_chromium()
    if executable is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="pfc-chromium-") as profile:
        return subprocess.run([executable, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def check_report_page(page: Path, width: int = 1200, height: int = 900) -> PageCheck:
    """Render ``page`` with the probe and return what rendered (see the module docstring)."""
    page = Path(page)
    with tempfile.TemporaryDirectory(prefix="pfc-probe-") as folder:
        probed = Path(folder) / page.name
        text = page.read_text(encoding="utf-8")
        probed.write_text(text.replace("<head>", "<head>" + PROBE, 1) if "<head>" in text else PROBE + text,
                          encoding="utf-8")
        done = run_chromium(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                             f"--window-size={width},{height}", "--dump-dom", probed.as_uri()])
    found = re.search(r'<pre id="__probe">(.*?)</pre>', done.stdout, re.S)
    if not found:
        raise RuntimeError(f"the page did not finish loading in Chromium (exit {done.returncode}): "
                           f"{done.stderr[-500:]}")
    import html
    probe = json.loads(html.unescape(found.group(1)))
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line] + list(probe["errors"])
    return PageCheck(tuple(probe["sections"]), tuple(console), int(probe["scrollWidth"]), int(probe["innerWidth"]))


def screenshot_sections(page: Path, out_dir: Path, prefix: str = "report", width: int = 1200) -> list[Path]:
    """One PNG per section of ``page`` in ``out_dir`` (``{prefix}_{id}.png``), cropped to the section.

    Each section is shot from a copy of the page showing only that section, in a window as tall
    as the section rendered in the full page.
    """
    from PIL import Image

    check = check_report_page(page, width)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    text = Path(page).read_text(encoding="utf-8")
    for section in check.sections:
        height = max(200, min(8000, int(section["height"]) + 160))
        style = f"<style>body > :not(#{section['id']}) {{display:none !important}}</style>"
        with tempfile.TemporaryDirectory(prefix="pfc-shot-") as folder:
            shot = Path(folder) / "page.html"
            shot.write_text(text.replace("</head>", style + "</head>", 1), encoding="utf-8")
            png = out_dir / f"{prefix}_{section['id']}.png"
            run_chromium(["--virtual-time-budget=5000", f"--window-size={width},{height}",
                          f"--screenshot={png}", shot.as_uri()])
        if png.is_file():
            with Image.open(png) as image:
                # a page of text needs no more than 256 colours: a palette PNG is a fraction of the size
                image.convert("RGB").quantize(colors=256).save(png, optimize=True)
            written.append(png)
    return written
