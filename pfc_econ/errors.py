"""Errors a user can act on. The CLI prints them as one line and exits non-zero, no traceback."""


class PfcError(Exception):
    """Base class of every error caused by a user's file, config or data."""


class ConfigError(PfcError):
    """The study config is wrong: a missing file, an unknown key or a bad value."""


class ContractError(PfcError):
    """A source file does not meet its contract so badly that it cannot be staged at all."""


class SourceReadError(PfcError):
    """A source file cannot be read (missing, unreadable, not the format it claims)."""
