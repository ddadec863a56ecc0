"""The disk and memory a run needs: a warning before it starts, and one line when either runs out.

A run builds beside its results folder (pfc_econ/output_folder.py) and DuckDB spills into that
build folder (pfc_econ/database.py), so everything it writes lands on the results folder's disk.
Measured (docs/scale.md "Disk"): the results are 5.9–6.7 times the size of the input files at
100,000 and 20,000 families; at 1,000,000 families under a 4 GB memory limit the database was 17 GB
and the export's sort had spilled 28 GB more beside it (11 times the inputs) when the disk filled.
Hence the warning below 12 times. Running out of disk or of ``[run] memory_limit`` is the machine's
situation, not a bug: it ends in one line (exit 1) that says what ran out and what to change, and
the failed build is removed as for any failed run.
"""

from __future__ import annotations

import errno
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from .errors import PfcError

DISK_FACTOR = 12
DISK_FULL = (errno.ENOSPC, errno.EFBIG)
DISK_FULL_TEXT = re.compile(r"No space left on device|File too large|Disk quota exceeded")
# where DuckDB names the file it could not write; inside the build folder, named as in the results
FILE_NAMED = re.compile(r'[Ff]ile \\?"(?P<file>[^"\\]+)')
BUILD_PART = re.compile(r"^.*?/\.[^/]+\.build-\d+-[0-9a-f]+/")


class ResourceExhaustedError(PfcError):
    """The run ran out of disk space or of DuckDB's memory limit; nothing was written."""


def gigabytes(n: int) -> str:
    """A size as people read it: 0.4 GB, 84 MB, 120 kB."""
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def free_bytes(folder: Path) -> int:
    """Free space on the disk that holds ``folder`` (or its nearest existing parent)."""
    folder = Path(folder).absolute()
    while not folder.exists():
        folder = folder.parent
    return shutil.disk_usage(folder).free


def input_bytes(files: list[Path]) -> int:
    """The size of the input files that exist (a missing one is reported by its reader)."""
    return sum(f.stat().st_size for f in files if f.is_file())


def disk_warning(out_dir: Path, inputs: int, free: int) -> str | None:
    """A warning line when the results folder's disk has less than DISK_FACTOR × the inputs free."""
    if free >= DISK_FACTOR * inputs:
        return None
    return (f"  warning      {gigabytes(free)} free on the disk of {out_dir.parent}; a run of {gigabytes(inputs)} of "
            f"input files may need about {gigabytes(DISK_FACTOR * inputs)} there (docs/scale.md \"Disk\")")


def is_exhaustion(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB's memory limit or a full disk (not a fault of the file being read)."""
    return (isinstance(exc, duckdb.OutOfMemoryException)
            or (isinstance(exc, OSError) and exc.errno in DISK_FULL)
            or (isinstance(exc, duckdb.Error) and DISK_FULL_TEXT.search(str(exc)) is not None))


def describe_exhaustion(exc: BaseException, out_dir: Path, inputs: int, free: int,
                        memory_limit: str) -> ResourceExhaustedError | None:
    """``exc`` (or the DuckDB error it wraps) as one line when it is a full disk or DuckDB's memory
    limit, else None. The line names files by their place in the results folder, never a value."""
    model = getattr(exc, "model", None)  # pfc_econ.models.ModelError
    during = f" in model {model}" if model else ""
    for error in (exc, exc.__cause__):
        if isinstance(error, duckdb.OutOfMemoryException):
            first = str(error).splitlines()[0]
            return ResourceExhaustedError(
                f"DuckDB ran out of memory{during} under [run] memory_limit = \"{memory_limit}\" ({first}); raise it in the "
                f"study config, or set [run] threads = 1 so fewer buffers are held at once; no results were written")
        if error is not None and is_exhaustion(error):
            text = str(error)
            named = FILE_NAMED.search(text)
            file = getattr(error, "filename", None) or (named["file"] if named else "")
            where = f" writing {BUILD_PART.sub('', str(file))}" if file else ""
            limit = (getattr(error, "errno", None) == errno.EFBIG or "File too large" in text)
            if limit:
                return ResourceExhaustedError(
                    f"a file grew past this process's file-size limit (ulimit -f) in {out_dir.parent}{where}{during}; "
                    f"no results were written and the run's build folder was removed: raise the limit (a run of "
                    f"{gigabytes(inputs)} of input files may write files of several times that size)")
            return ResourceExhaustedError(
                f"the disk of {out_dir.parent} is full{where}{during}; no results were written and the run's build "
                f"folder was removed ({gigabytes(free)} were free when it started). A run of {gigabytes(inputs)} of "
                f"input files may need about {gigabytes(DISK_FACTOR * inputs)} (docs/scale.md \"Disk\"): free space "
                f"there or choose --out on a larger disk")
    return None


@contextmanager
def exhaustion_named(out_dir: Path, inputs: int, free: int, memory_limit: str) -> Iterator[None]:
    """Turn a full disk or DuckDB's memory limit inside the block into a ResourceExhaustedError."""
    try:
        yield
    except (duckdb.Error, OSError, RuntimeError) as exc:
        error = describe_exhaustion(exc, out_dir, inputs, free, memory_limit)
        if error is None:
            raise
        raise error from exc
