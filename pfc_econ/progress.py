"""How long commands report progress: one bar per stage on a terminal, one summary line per stage.

Library functions take ``progress``, a callable of one line of text (``print`` will do), and
mark their stages with `stage`:

    reading = stage(progress, "reading sources", total=len(tables))
    for table in tables:
        ...
        reading.step(f"  read {table} 0.12 s")      # a detail line
    reading.done("read 8 tables, 25,032 rows")       # the stage's summary line

Given a plain callable, every detail and summary line is passed to it, as before. Given a
`TerminalProgress` (what the CLI uses), each stage is a progress bar (tqdm, on stderr, shown only
on a terminal), its summary is printed when it ends, and the detail lines only with ``--verbose``.
"""

from __future__ import annotations

import sys
from typing import Callable


class TerminalProgress:
    """Progress for the terminal: a tqdm bar per stage, summaries on stdout, details if verbose."""

    def __init__(self, verbose: bool = False):
        self.verbose = verbose
        self._bar = None

    def __call__(self, message: str) -> None:
        """A line that is always shown (a stage's summary, a notice)."""
        if self._bar is not None:
            self._bar.write(message, file=sys.stdout)
        else:
            print(message, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose:
            self(message)

    def open_bar(self, name: str, total: int | None, unit: str) -> None:
        from tqdm import tqdm
        self.close_bar()
        self._bar = tqdm(total=total, desc=name, unit=unit, leave=False, disable=None, file=sys.stderr,
                         dynamic_ncols=True, bar_format="{desc}: {n_fmt}/{total_fmt} {unit} |{bar}| {elapsed}")

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Stage:
    """One stage of a long command (see the module docstring)."""

    def __init__(self, progress: Callable[[str], None] | None, name: str, total: int | None, unit: str):
        self.progress = progress
        self.is_terminal = isinstance(progress, TerminalProgress)
        if self.is_terminal:
            progress.open_bar(name, total, unit)
        elif progress is not None:
            progress(name)

    def step(self, detail: str | None = None, n: int = 1) -> None:
        """``n`` units of the stage done; ``detail`` is a line shown with --verbose (or to a callable)."""
        if self.is_terminal:
            self.progress.advance(n)
            if detail:
                self.progress.detail(detail)
        elif self.progress is not None and detail:
            self.progress(detail)

    def done(self, summary: str | None = None) -> None:
        if self.is_terminal:
            self.progress.close_bar()
        if self.progress is not None and summary:
            self.progress(summary)


def stage(progress: Callable[[str], None] | None, name: str, total: int | None = None, unit: str = "steps") -> Stage:
    """Start a stage of ``total`` units (None: unknown) reported to ``progress``."""
    return Stage(progress, name, total, unit)


def detail(progress: Callable[[str], None] | None, message: str) -> None:
    """A line that only ``--verbose`` shows on a terminal (a plain callable always gets it)."""
    if isinstance(progress, TerminalProgress):
        progress.detail(message)
    elif progress is not None:
        progress(message)
