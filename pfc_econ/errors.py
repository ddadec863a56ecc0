"""Errors a user can act on. The CLI prints them as one line and exits non-zero, no traceback.

``exit_code`` is what ``pfc-econ`` exits with: 1 for data or config a user must change, 2 for
a file that cannot be read at all.
"""

import re


class PfcError(Exception):
    """Base class of every error caused by a user's file, config or data."""

    exit_code = 1


class ConfigError(PfcError):
    """The study config is wrong: a missing file, an unknown key or a bad value."""


class ContractError(PfcError):
    """A source file does not meet its contract so badly that it cannot be staged at all."""


class UnreadableFileError(PfcError):
    """A file the command needs is missing or cannot be read at all (exit 2)."""

    exit_code = 2


class SourceReadError(UnreadableFileError):
    """A source file cannot be read (missing, unreadable, not the format it claims)."""


class ConfigFileNotFoundError(ConfigError, UnreadableFileError):
    """The study config file named on the command line does not exist."""


class DatabaseLockedError(UnreadableFileError):
    """A results database is held open for writing by another process."""


DUCKDB_LOCK = re.compile(r'Could not set lock on file "(?P<file>[^"]+)".*?\(PID (?P<pid>\d+)\)', re.S)


def describe_database_lock(exc: Exception) -> DatabaseLockedError | None:
    """A DuckDB 'could not set lock' error as one line naming the file and process, else None."""
    found = DUCKDB_LOCK.search(str(exc))
    if not found:
        return None
    return DatabaseLockedError(
        f"{found['file']} is open for writing in another process (PID {found['pid']}); close it there, "
        f"or open it with duckdb.connect(..., read_only=True), and try again")


class OutputFolderError(PfcError):
    """The folder a run would write to may not be written (a user's folder, a file, a lock held)."""
