"""The `surveillance` command of the library: data, detection, alerts, the situation, methods and users.

Errors are one line on stderr, not a traceback. Exit codes: 0 done; 1 error; 2 input refused
whole; 3 some rows quarantined. The service itself (`surveillance serve`) is added by the
application (``jobs.cli``), so the library never imports its own users.
"""

from . import data, alerts, situation, methods, users  # noqa: F401, I001  (each registers its commands, in this order)
from .common import app, main

__all__ = ["app", "main"]
