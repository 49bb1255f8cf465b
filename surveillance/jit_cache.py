"""Where numba keeps the compiled kernels (``cache=True``), so they are compiled once per machine.

numba writes its cache beside the source (``__pycache__``) when that is writable (a checkout),
else in the user's cache directory (``~/.cache/numba``). When neither is writable (a read-only
install run by a service account without a home) numba refuses to define a cached function at
all, and the package would not import. Then, and only when ``NUMBA_CACHE_DIR`` is not set, the
cache goes to a folder of its own under the system's temporary directory.

Every module with numba kernels imports this one before defining them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numba
from numba.misc.appdirs import AppDirs

PACKAGE = Path(__file__).resolve().parent


def writable(folder: Path) -> bool:
    """``folder`` exists or can be made, and files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def fallback_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"surveillance-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def choose_cache_dir(configured: str, in_tree: list[Path], user_wide: Path, is_writable=writable) -> str:
    """The ``NUMBA_CACHE_DIR`` to use: the configured one; else "" (numba's own choice) when every
    ``in_tree`` folder or the ``user_wide`` one is writable; else the fallback folder."""
    if configured:
        return configured
    if all(is_writable(folder) for folder in in_tree) or is_writable(user_wide):
        return ""
    return str(fallback_cache_dir())


def configure() -> None:
    in_tree = [PACKAGE / "spatial" / "__pycache__", PACKAGE / "detectors" / "__pycache__"]
    user_wide = Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)
    numba.config.CACHE_DIR = choose_cache_dir(numba.config.CACHE_DIR, in_tree, user_wide)


configure()
