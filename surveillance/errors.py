"""User-facing errors: each carries one line a person can act on.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; anything else that
escapes is a bug and keeps its traceback.
"""


class SurveillanceError(Exception):
    exit_code = 1


class ConfigError(SurveillanceError):
    """The configuration file is missing, malformed or has unknown keys."""


class FileRejected(SurveillanceError):
    """A whole input file could not be read (not CSV, truncated, wrong encoding, empty...)."""

    exit_code = 2


class FeedError(SurveillanceError):
    """A feed could not be pulled (timeout, HTTP error, garbage response, bad query)."""


class DatabaseBusy(SurveillanceError):
    """Another process holds the DuckDB file for writing."""


class UnknownName(SurveillanceError):
    """A name (detector, parameter, syndrome, region level...) that is not one of the valid ones."""
