"""The disk and memory a run needs: a warning before it starts, and one line when either runs out.

A run builds beside its results folder (pfc_econ/output_folder.py) and DuckDB spills into that
build folder or into ``[run] temp_directory`` (pfc_econ/database.py). Measured (docs/scale.md
"Disk"): the results are 5.9–6.7 times the size of the input files at 100,000 and 20,000 families,
hence RESULTS_FACTOR = 7; at 1,000,000 families under a 4 GB memory limit the export's sort had
spilled 28 GB (6.7 times the inputs) and was still growing when the disk filled, hence at least
SPILL_FACTOR = 7 more where the run spills. A disk with less than that free is warned of before the
run starts (it still runs). Running out of disk or of ``[run] memory_limit`` is the machine's
situation, not a bug: it ends in one line (exit 1) that says what ran out and what to change, and
the failed build and its spill folder are removed as for any failed run.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from .errors import PfcError

RESULTS_FACTOR = 7
SPILL_FACTOR = 7
DISK_FULL = (errno.ENOSPC, errno.EFBIG)
DISK_FULL_TEXT = re.compile(r"No space left on device|File too large|Disk quota exceeded")
WRITE_ERRORS = (duckdb.IOException, duckdb.TransactionException, duckdb.FatalException)
# where DuckDB names the file it could not write; inside the build folder, named as in the results
FILE_NAMED = re.compile(r'[Ff]ile \\?"(?P<file>[^"\\]+)')
BUILD_PART = re.compile(r"^.*?/\.[^/]+\.build-\d+-[0-9a-f]+/")


@dataclass(frozen=True)
class Disk:
    """A folder a run writes into, what was free on its disk when the run started, what it may need."""

    folder: Path
    free: int
    need: int


class ResourceExhaustedError(PfcError):
    """The run ran out of disk space or of DuckDB's memory limit; nothing was written."""


def gigabytes(n: int) -> str:
    """A size as people read it: 0.4 GB, 84 MB, 120 kB."""
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _existing(folder: Path) -> Path:
    """``folder``, or its nearest parent that exists (a results folder may not exist yet)."""
    folder = Path(folder).absolute()
    while not folder.exists():
        folder = folder.parent
    return folder


def free_bytes(folder: Path) -> int:
    """Free space on the disk that holds ``folder`` (or its nearest existing parent)."""
    return shutil.disk_usage(_existing(folder)).free


def input_bytes(files: list[Path]) -> int:
    """The size of the input files that exist (a missing one is reported by its reader)."""
    return sum(f.stat().st_size for f in files if f.is_file())


def run_disks(out_dir: Path, temp_directory: str, inputs: int) -> list[Disk]:
    """The results folder's disk, and the spill folder's when it is another disk."""
    results = Path(out_dir).absolute().parent
    if not temp_directory or os.stat(_existing(results)).st_dev == os.stat(_existing(temp_directory)).st_dev:
        return [Disk(results, free_bytes(results), (RESULTS_FACTOR + SPILL_FACTOR) * inputs)]
    spill = Path(temp_directory)
    return [Disk(results, free_bytes(results), RESULTS_FACTOR * inputs),
            Disk(spill, free_bytes(spill), SPILL_FACTOR * inputs)]


def disk_warnings(disks: list[Disk], inputs: int) -> list[str]:
    """A warning line for each disk with less free than a run of ``inputs`` bytes may need."""
    return [f"  warning      {gigabytes(d.free)} free on the disk of {d.folder}; a run of {gigabytes(inputs)} of "
            f"input files may need about {gigabytes(d.need)} there (docs/scale.md \"Disk\")"
            for d in disks if d.free < d.need]


def _file_named(error: BaseException) -> str:
    """The file an OSError or a DuckDB error names (DuckDB quotes it, JSON-escaped in an async write)."""
    named = FILE_NAMED.search(str(error))
    return getattr(error, "filename", None) or (named["file"] if named else "")


def is_exhaustion(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB's memory limit or a full disk (not a fault of the file being read)."""
    return (isinstance(exc, duckdb.OutOfMemoryException)
            or (isinstance(exc, OSError) and exc.errno in DISK_FULL)
            # (an I/O error or the commit it failed: a conversion error's text can quote a value)
            or (isinstance(exc, WRITE_ERRORS) and DISK_FULL_TEXT.search(str(exc)) is not None))


def describe_exhaustion(exc: BaseException, disks: list[Disk], inputs: int,
                        memory_limit: str) -> ResourceExhaustedError | None:
    """``exc`` (or the DuckDB error it wraps) as one line when it is a full disk or DuckDB's memory
    limit, else None. The line names files by their place in the results folder, never a value."""
    model = getattr(exc, "model", None)  # pfc_econ.models.ModelError
    during = f" in model {model}" if model else ""
    for error in (exc, exc.__cause__):
        if error is None or not is_exhaustion(error):
            continue
        text = str(error)
        first = text.splitlines()[0]
        # DuckDB stops spilling at max_temp_directory_size (90% of the spill disk's free space) and
        # says so as out of memory: "failed to offload data block"; that is the spill disk filling
        if isinstance(error, duckdb.OutOfMemoryException) and "offload" not in first:
            return ResourceExhaustedError(
                f"DuckDB ran out of memory{during} under [run] memory_limit = \"{memory_limit}\" ({first}); raise it in the "
                f"study config, or lower [run] threads so fewer buffers are held at once; no results were written")
        file = _file_named(error)
        where = f" writing {BUILD_PART.sub('', str(file))}" if file else ""
        if isinstance(error, duckdb.OutOfMemoryException):
            disk, where = disks[-1], f" (DuckDB could not spill beyond the memory limit: {first})"
        else:
            disk = next((d for d in disks[1:] if str(file).startswith(f"{d.folder}{os.sep}")), disks[0])
        if getattr(error, "errno", None) == errno.EFBIG or "File too large" in text:
            return ResourceExhaustedError(
                f"a file grew past this process's file-size limit (ulimit -f) in {disk.folder}{where}{during}; "
                f"no results were written and the run's build folder was removed: raise the limit (a run of "
                f"{gigabytes(inputs)} of input files may write files of several times that size)")
        return ResourceExhaustedError(
            f"the disk of {disk.folder} is full{where}{during}; no results were written and the run's build "
            f"folder was removed ({gigabytes(disk.free)} were free when it started). A run of {gigabytes(inputs)} "
            f"of input files may need about {gigabytes(disk.need)} there (docs/scale.md \"Disk\"): free space "
            f"there, or choose --out (or [run] temp_directory, where it spills) on a larger disk")
    return None


def describe_exhaustion_elsewhere(exc: BaseException) -> ResourceExhaustedError | None:
    """A full disk or DuckDB's memory limit outside a run (``cea``, ``init``, ``score``): one line."""
    if not is_exhaustion(exc):
        return None
    text = str(exc)
    if isinstance(exc, duckdb.OutOfMemoryException) and "offload" not in text.splitlines()[0]:
        return ResourceExhaustedError(f"DuckDB ran out of memory ({text.splitlines()[0]}); nothing was written")
    file = _file_named(exc)
    return ResourceExhaustedError(f"the disk is full{f' writing {file}' if file else ''}; nothing was written: "
                                  f"free space there and run again")


@contextmanager
def exhaustion_named(disks: list[Disk], inputs: int, memory_limit: str) -> Iterator[None]:
    """Turn a full disk or DuckDB's memory limit inside the block into a ResourceExhaustedError."""
    try:
        yield
    except (duckdb.Error, OSError, RuntimeError) as exc:
        error = describe_exhaustion(exc, disks, inputs, memory_limit)
        if error is None:
            raise
        raise error from exc
