"""Where a run may write, and how it writes there without harming what is already on disk.

A results folder carries a marker file (``.pfc-econ-results``, JSON) listing the entries the
run wrote. ``--out`` may name a folder that does not exist yet, an empty folder, or a folder
with that marker; anything else (a folder holding a user's file, the current folder, a file) is
refused with one line that names it, and nothing is changed.

A run holds a lock on its target for its whole length (``.NAME.lock`` beside the target, an
``fcntl.flock``; a second run into the same target fails at once with one line) and builds in a
folder unique to the run (``.NAME.build-<pid>-<token>`` beside the target). Only when the run
succeeds are its entries moved into place: each entry the previous run wrote is replaced, and
everything else in the folder (``cea/``, a user's notes) stays where it is, untouched. A failed
run removes its own build folder and nothing else. The CLI's Ctrl-C and SIGTERM handler waits
while the entries move (``PUBLISHING``; a few renames), so a stopped run leaves the folder as it
was or wholly replaced, never the previous entries set aside and the new ones not yet in place;
``PUBLISHED`` says which.

``pfc-econ cea`` writes ``RESULTS/cea`` the same way (marker ``.pfc-econ-cea``), under the
results folder's lock, so ``run`` and ``cea`` never delete each other's files.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import __version__
from .errors import OutputFolderError

# synth marks its folders too (pfc_econ/synth: it writes in place, without a build folder)
MARKERS = {"results": ".pfc-econ-results", "cea": ".pfc-econ-cea", "synth": ".pfc-econ-synth"}
WHAT = {"results": "pfc-econ results folder", "cea": "pfc-econ cea folder"}
# what a results folder written before markers existed holds (pfc-econ 0.x): recognised as ours
LEGACY_ENTRIES = {"results": frozenset({"pfc.duckdb", "manifest.json", "exports", "report", "docs", "cea"}),
                  "cea": frozenset()}
PUBLISHING: list[Path] = []  # the folder being published now: a signal handler must not raise
PUBLISHED: list[Path] = []  # the folders published in this process, so a stop after them says so


@dataclass
class OutputBuild:
    """A run's build folder and, after publishing, what it kept of the previous folder.

    Fields:
        target: the folder the user named (absolute).
        path: the build folder, unique to this run; write everything here.
        kind: 'results' or 'cea' (which marker the folder carries).
        kept: entries of the previous folder left in place because this run did not write them.
    """

    target: Path
    path: Path
    kind: str
    kept: list[str] = field(default_factory=list)


def read_marker(folder: Path, kind: str = "results") -> dict | None:
    """The marker of a folder pfc-econ wrote (as a dict), or None when it carries none."""
    folder = Path(folder)
    try:
        data = json.loads((folder / MARKERS[kind]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _read_legacy_marker(folder, kind)
    return data if isinstance(data, dict) and data.get("kind") == kind else None


def _read_legacy_marker(folder: Path, kind: str) -> dict | None:
    """A results folder of a version before markers: pfc.duckdb, a manifest naming pfc-econ, and
    nothing but the entries that version wrote."""
    try:
        names = {p.name for p in folder.iterdir()}
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (kind == "results" and "pfc.duckdb" in names and names <= LEGACY_ENTRIES[kind]
            and isinstance(manifest, dict) and "pfc_econ_version" in manifest):
        return {"kind": kind, "entries": sorted(names - {"cea"})}
    return None


def check_target(target: Path, kind: str = "results") -> dict | None:
    """Refuse a target pfc-econ may not write; return its marker (None for a new or empty folder)."""
    target = Path(target).absolute()
    cwd = Path.cwd().resolve()
    if target.resolve() == cwd or target.resolve() in cwd.parents:
        raise OutputFolderError(f"refusing to write into {target}: it is the current folder (or holds it); "
                                f"name a new folder, e.g. --out results")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise OutputFolderError(f"refusing to write to {target}: it exists and is not a folder")
    if not target.exists():
        return None
    marker = read_marker(target, kind)
    if marker is not None:
        return marker
    try:
        contents = sorted(p.name for p in target.iterdir())
    except OSError as exc:
        raise OutputFolderError(f"cannot read {target}: {exc.strerror}") from None
    if contents:
        raise OutputFolderError(
            f"refusing to write into {target}: it holds files pfc-econ did not write "
            f"({', '.join(contents[:3])}{', …' if len(contents) > 3 else ''}) and is not a {WHAT[kind]}; "
            f"name a new folder")
    return None


@contextmanager
def _target_lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``target`` exclusively, or fail at once naming the holder."""
    lock_path = target.parent / f".{target.name}.lock"
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputFolderError(f"cannot write in {target.parent}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise OutputFolderError(f"{target} is being written by another pfc-econ run ({holder}); "
                                    f"wait for it to finish or name another folder") from None
        try:  # the file may have been removed by the previous holder between open and lock
            if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}".encode(), 0)
        yield
    finally:
        try:
            os.unlink(lock_path)
        finally:
            os.close(fd)


def _remove_stale_builds(target: Path, kind: str) -> None:
    """Build folders of earlier runs into this target that were killed (ours: they carry the marker's
    build stamp, and no run into the target is live since we hold its lock)."""
    for stale in target.parent.glob(f".{target.name}.build-*"):
        if (stale / ".pfc-econ-build").is_file() and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def _publish(build: OutputBuild, previous: dict | None) -> None:
    PUBLISHING.append(build.target)
    try:
        _move_into_place(build, previous)
    finally:
        PUBLISHING.pop()
    PUBLISHED.append(build.target)


def _move_into_place(build: OutputBuild, previous: dict | None) -> None:
    """Move the build's entries into the target; keep every entry the previous run did not write."""
    target, entries = build.target, sorted(p.name for p in build.path.iterdir() if p.name != ".pfc-econ-build")
    marker = {"kind": build.kind, "pfc_econ_version": __version__, "entries": entries}  # no time: runs compare byte for byte
    if not target.exists():
        (build.path / ".pfc-econ-build").unlink()
        (build.path / MARKERS[build.kind]).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        build.path.rename(target)
        return
    ours = set(previous["entries"]) if previous else set()
    present = {p.name for p in target.iterdir()} - {MARKERS[build.kind]}
    clash = sorted((present - ours) & set(entries))
    if clash:
        raise OutputFolderError(f"refusing to replace {target / clash[0]}: pfc-econ did not write it")
    build.kept = sorted(present - ours)
    old = build.path / ".previous"
    old.mkdir()
    for name in sorted(present & ours):
        (target / name).rename(old / name)
    for name in entries:
        (build.path / name).rename(target / name)
    temporary = target / f"{MARKERS[build.kind]}.{secrets.token_hex(4)}"
    temporary.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target / MARKERS[build.kind])
    shutil.rmtree(build.path, ignore_errors=True)


@contextmanager
def open_output(target: Path, kind: str = "results") -> Iterator[OutputBuild]:
    """Lock and check ``target``, yield a fresh build folder, publish it only if the block succeeds.

    Raises OutputFolderError (one line, naming the folder) when the target may not be written,
    its parent cannot be written, or another run holds it; nothing is changed then.
    """
    target = Path(target).absolute()
    check_target(target, kind)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(f"cannot create {target.parent}: {exc.strerror}") from None
    with _target_lock(target):
        previous = check_target(target, kind)  # again, now that no other run can change it
        _remove_stale_builds(target, kind)
        work = target.parent / f".{target.name}.build-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            work.mkdir()
            (work / ".pfc-econ-build").write_text(f"{kind}\n", encoding="utf-8")
        except OSError as exc:
            raise OutputFolderError(f"cannot write in {target.parent}: {exc.strerror}") from None
        build = OutputBuild(target, work, kind)
        try:
            yield build
            _publish(build, previous)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)


@contextmanager
def lock_results_folder(folder: Path) -> Iterator[dict]:
    """Hold the lock of an existing results folder (so no run replaces it meanwhile); yield its marker."""
    folder = Path(folder).absolute()
    if read_marker(folder) is None:
        raise OutputFolderError(f"{folder} is not a pfc-econ results folder (no {MARKERS['results']} marker)")
    with _target_lock(folder):
        yield read_marker(folder)
